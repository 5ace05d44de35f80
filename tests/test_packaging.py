"""The sdist and the wheel carry what a user of the package is owed: the MIT LICENSE that
setup.cfg declares, and the typing marker."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from support import copy_checkout

ROOT = Path(__file__).resolve().parent.parent


def _backend_path(tmp_path: Path) -> str:
    """A directory holding setuptools>=64 and wheel for the build (the only download: the
    environments under test need not have a build backend)."""
    if (tmp_path / "backend").is_dir():
        return str(tmp_path / "backend")
    target = tmp_path / "backend"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target",
                           str(target), "setuptools>=64", "wheel"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return str(target)


@pytest.mark.install
def test_sdist_and_wheel_ship_the_license(tmp_path: Path) -> None:
    checkout = copy_checkout(ROOT, tmp_path / "godot_ws")
    out = tmp_path / "dist"
    out.mkdir()
    names = []
    for hook in ("build_sdist", "build_wheel"):  # one process each, as build frontends do
        code = ("import sys\n"
                "if sys.argv[1]: sys.path.insert(0, sys.argv[1])\n"
                "from setuptools import build_meta\n"
                f"print('BUILT', build_meta.{hook}(sys.argv[2]))\n")
        done = subprocess.run([sys.executable, "-c", code, _backend_path(tmp_path), str(out)],
                              cwd=checkout, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        built = [line for line in done.stdout.splitlines() if line.startswith("BUILT ")]
        assert built, done.stdout
        names.append(built[-1].split()[1])
    sdist_name, wheel_name = names
    license_text = (ROOT / "LICENSE").read_text()
    assert license_text.startswith("MIT License")
    with tarfile.open(out / sdist_name) as sdist:
        top = sdist_name.removesuffix(".tar.gz")
        member = sdist.extractfile(f"{top}/LICENSE")
        assert member is not None and member.read().decode() == license_text
        assert f"{top}/godot_ws/py.typed" in sdist.getnames()
    with zipfile.ZipFile(out / wheel_name) as wheel:
        names = wheel.namelist()
        licenses = [n for n in names if n.endswith(".dist-info/LICENSE")
                    or n.endswith(".dist-info/licenses/LICENSE")]
        assert licenses, names
        assert wheel.read(licenses[0]).decode() == license_text
        assert "godot_ws/py.typed" in names
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        assert "License: MIT" in wheel.read(metadata).decode()
