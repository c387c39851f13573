"""A plain wheel install works in an unrelated folder: themes and the init skeleton ship inside."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


def test_wheel_install_init_build(tmp_path: Path) -> None:
    pytest.importorskip("hatchling", reason="hatchling (the build backend) is needed to build")
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(dist), str(REPO)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = dist.glob("scholarpage-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "generator/themes/scholar/templates/index.html" in names
    assert "generator/themes/scholar/static/style.css" in names
    assert "generator/skeleton/site.yaml" in names
    assert "generator/serve_client.js" in names
    assert not any(n.startswith(("tests/", "content/")) for n in names)

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
         str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    where = subprocess.run(
        [str(python), "-c", "import generator; print(generator.__file__)"],
        check=True, capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert str(env_dir) in where.stdout  # the wheel, not this checkout
    client = subprocess.run(
        [str(python), "-c", "from generator.serve import client_script; print(client_script())"],
        check=True, capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert "new EventSource(" in client.stdout  # package data, read from the installed wheel
    work = tmp_path / "elsewhere"
    work.mkdir()
    script = env_dir / "bin" / "scholarpage"
    subprocess.run([str(script), "init", "mysite"], check=True, cwd=work, timeout=120)
    built = subprocess.run(
        [str(script), "build", "mysite"], capture_output=True, text=True, cwd=work, timeout=120
    )
    assert built.returncode == 0, built.stderr
    assert (work / "mysite" / "_site" / "index.html").is_file()
    assert (work / "mysite" / "_site" / "assets" / "style.css").is_file()
