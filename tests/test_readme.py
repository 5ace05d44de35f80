"""README.rst stays true: it renders cleanly, and CI runs exactly its test command."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.rst").read_text(encoding="utf-8")


def test_readme_renders_without_warnings() -> None:
    core = pytest.importorskip("docutils.core")
    errors = io.StringIO()
    core.publish_doctree(README, settings_overrides={"warning_stream": errors,
                                                     "report_level": 2})
    assert errors.getvalue() == ""


def test_ci_runs_the_readme_test_command() -> None:
    command = re.search(r"Install what the tests need and run them::\n\n    (.+)\n", README)
    assert command is not None
    assert command.group(1) in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_images_exist() -> None:
    for image in re.findall(r"^\.\. image:: (\S+)", README, re.M):
        assert (ROOT / image).is_file(), image
