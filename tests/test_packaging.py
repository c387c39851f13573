"""A plain wheel install works in an unrelated folder: themes and the init skeleton ship inside,
and the wheel's declared dependencies are all it needs.

The wheel is built and installed the way a user does it: `pip wheel` (with build isolation, so
the build backend comes from the package index, not from this environment), then a fresh virtual
environment without system site-packages and `pip install` of the wheel with its dependencies.
Nothing of the environment running the tests leaks in (not its site-packages, not PYTHONPATH),
so the test behaves the same whether the suite itself runs in a virtual environment or not.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

# Variables that would put this checkout or another installation on the fresh interpreter's path.
_PATH_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONSTARTUP", "VIRTUAL_ENV")


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a step that must succeed; on failure, the assertion shows its output."""
    proc = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert proc.returncode == 0, (args, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


def test_wheel_install_init_build(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in _PATH_VARIABLES}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    dist = tmp_path / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
        tmp_path,
        env,
    )
    (wheel,) = dist.glob("scholarpage-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "generator/themes/scholar/templates/index.html" in names
    assert "generator/themes/scholar/static/style.css" in names
    assert "generator/skeleton/site.yaml" in names
    assert "generator/serve_client.js" in names
    assert not any(n.startswith(("tests/", "content/")) for n in names)

    env_dir = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(env_dir)], tmp_path, env)
    python = env_dir / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", str(wheel)], tmp_path, env)
    # the package and its dependencies come from the fresh environment, not from this checkout
    # or the environment running the tests
    where = _run(
        [str(python), "-c", "import generator, pybtex, jinja2, watchfiles; "
         "print(generator.__file__, pybtex.__file__, jinja2.__file__, watchfiles.__file__)"],
        tmp_path,
        env,
    )  # fmt: skip
    paths = [Path(p).resolve() for p in where.stdout.split()]
    assert len(paths) == 4, where.stdout
    for path in paths:
        assert path.is_relative_to(env_dir.resolve()), (path, env_dir)
    client = _run(
        [
            str(python),
            "-c",
            "from generator.devserver import client_script; print(client_script())",
        ],
        tmp_path,
        env,
    )
    assert "new EventSource(" in client.stdout  # package data, read from the installed wheel
    _run([str(python), "-m", "pip", "check"], tmp_path, env)

    work = tmp_path / "elsewhere"
    work.mkdir()
    script = env_dir / "bin" / "scholarpage"
    _run([str(script), "init", "mysite"], work, env)
    built = _run([str(script), "build", "mysite"], work, env)
    assert "Traceback" not in built.stderr
    assert (work / "mysite" / "_site" / "index.html").is_file()
    assert (work / "mysite" / "_site" / "assets" / "style.css").is_file()
