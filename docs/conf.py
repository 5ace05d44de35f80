"""Sphinx configuration of godot_ws's documentation (``sphinx-build -W docs docs/_build``).

The reference pages are generated at build time from the ``__all__`` of each public module
(``_ext/apiref.py``), so a name added to ``__all__`` gets its page without editing anything
here.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the checkout's godot_ws, not an installed one
sys.path.insert(0, str(HERE / "_ext"))

import godot_ws  # noqa: E402

project = "godot_ws"
author = "the godot_ws authors"
copyright = "the godot_ws authors"  # noqa: A001 (Sphinx's name)
release = version = godot_ws.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "apiref",
]

# Python's own documentation for links such as :class:`bytes` and :mod:`logging`. The build
# must not need the network (CI has none): Debian's python3-doc ships the inventory, and
# only without it is it fetched from docs.python.org.
_LOCAL_INVENTORIES = sorted(Path("/usr/share/doc").glob("python3*/html/objects.inv"))
intersphinx_mapping = {
    "python": ("https://docs.python.org/3",
               str(_LOCAL_INVENTORIES[-1]) if _LOCAL_INVENTORIES else None),
}
intersphinx_timeout = 10

autodoc_member_order = "groupwise"
autodoc_typehints = "signature"
autodoc_class_signature = "mixed"
autodoc_preserve_defaults = True
autodoc_default_options = {"show-inheritance": True}

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
html_theme = "furo"
html_title = f"godot_ws {release}"
html_show_sourcelink = False
pygments_style = "sphinx"
