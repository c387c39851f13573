"""A wheel of this checkout and virtual environments that install it offline, for the tests that
run a newcomer's `pip install` commands exactly as written (the README, the init workflow)."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

from tests.conftest import REPO


def build_wheel(dest: Path) -> Path:
    """The wheel of this checkout, as the release workflow builds it (no network: the build
    backend comes from this environment)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(dest), str(REPO)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = dest.glob("scholarpage-*.whl")
    return wheel


def make_venv(dest: Path, *, with_pip: bool = False) -> Path:
    """A virtual environment that sees this environment's packages (the dependencies), so an
    install needs no package index; returns its bin folder."""
    venv.EnvBuilder(system_site_packages=True, with_pip=with_pip, symlinks=True).create(dest)
    return dest / "bin"


def offline_env(bin_dir: Path, find_links: Path, **extra: str) -> dict[str, str]:
    """The environment for running a user's commands in the venv of `bin_dir`: its programs come
    first on PATH, and pip takes scholarpage from `find_links` instead of PyPI.

    pip is configured through its environment variables, so the commands themselves run as
    written: no index, the local wheel, and neither dependencies nor the copy of scholarpage
    this environment may have installed are looked at (they come from the shared site-packages).
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {
        **env,
        "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        "VIRTUAL_ENV": str(bin_dir.parent),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(find_links),
        "PIP_NO_DEPS": "1",
        "PIP_IGNORE_INSTALLED": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_ROOT_USER_ACTION": "ignore",
        **extra,
    }
