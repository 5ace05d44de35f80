"""The package's layers and the rules between them (docs/architecture.rst draws them).

Each module belongs to the layer of its folder. A module may import its own layer and the
layers under it, never one above, and the two faces (``godot3``, ``godot4``) never import each
other. The sans-IO layers (``core``, ``variant``) import no socket, ssl, select or time. No
module is longer than 500 lines. Imports under ``if TYPE_CHECKING:`` count too: they are
dependencies all the same.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "godot_ws"

# Layer of each top-level part of the package: a module may import layers of lower or equal
# rank, except its siblings of equal rank (net/variant, godot3/godot4), which stay apart.
RANK = {"core": 0, "net": 1, "variant": 1, "common": 2, "godot3": 3, "godot4": 3, "": 4}
IO_MODULES = {"socket", "ssl", "select", "selectors", "time"}
SANS_IO = {"core", "variant"}
MAX_LINES = 500


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) < 2 or parts[1] not in RANK:
        return ""  # godot_ws/__init__.py, reconnect.py, godot_types.py: the top
    return parts[1]


def _imports(path: Path, package_dir: Path = PACKAGE) -> set[str]:
    """Absolute names of every module ``path`` imports (``from x import y`` gives x and x.y)."""
    module = _name(path, package_dir)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def _own(imported: str) -> bool:
    return imported == "godot_ws" or imported.startswith("godot_ws.")


MODULES = _modules()


def test_the_folders_are_the_layers() -> None:
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert folders == ["common", "core", "godot3", "godot4", "net", "variant"]


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_imports_run_down_the_layers(path: Path) -> None:
    layer = _layer(_name(path))
    wrong = []
    for imported in sorted(_imports(path)):
        if not _own(imported) or imported == "godot_ws":
            continue
        if not (PACKAGE.parent / imported.replace(".", "/")).exists() and not (
                PACKAGE.parent / (imported.replace(".", "/") + ".py")).exists():
            continue  # a name imported from a module, not a module
        other = _layer(imported)
        if other == layer:
            continue
        if RANK[other] >= RANK[layer]:
            wrong.append(f"{imported} ({other or 'top'} is not below {layer or 'top'})")
    assert not wrong, f"{_name(path)} imports upward or sideways: {wrong}"


@pytest.mark.parametrize("path", [p for p in MODULES if _layer(_name(p)) in SANS_IO], ids=_name)
def test_sans_io_layers_import_no_io(path: Path) -> None:
    used = sorted(name for name in _imports(path) if name.split(".")[0] in IO_MODULES)
    assert not used, f"{_name(path)} is sans-IO but imports {used}"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_module_is_over_500_lines(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{_name(path)} has {lines} lines: split it where a seam is natural"


def test_the_rules_catch_a_violation(tmp_path: Path) -> None:
    """The checker itself: a core module importing a face and socket is caught."""
    fake = tmp_path / "godot_ws"
    (fake / "core").mkdir(parents=True)
    bad = fake / "core" / "probe.py"
    bad.write_text("import socket\nfrom ..godot3 import client\n")
    imported = _imports(bad, fake)
    assert _layer(_name(bad, fake)) == "core"
    assert "socket" in imported and "godot_ws.godot3.client" in imported
    assert RANK[_layer("godot_ws.godot3.client")] > RANK["core"]
