"""`python -m generator` is the same program as `scholarpage`."""

from generator.cli import main

raise SystemExit(main())
