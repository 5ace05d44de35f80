"""Examples of README and docs/ that the other example tests do not run: every complete example
passes ``mypy --strict`` (README promises a type-checked game), and the "Godot 4 values" and
"Godot 4 high-level multiplayer" examples run as written (the port and frame count aside, as
in tests/test_readme.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from test_readme import README, ROOT, Example, code_blocks, doc_pages, free_port, python_blocks


def complete_examples() -> list[str]:
    """Every ``.. code-block:: python`` of README and docs/ that is a whole program (it starts
    with its imports); the rest are fragments of a table or of the example before them."""
    whole = [block for page in doc_pages() for block in python_blocks(page.read_text())]
    return [block for block in whole if block.startswith(("import ", "from "))]


def test_readme_examples_pass_mypy_strict(tmp_path: Path) -> None:
    examples = complete_examples()
    assert len(examples) >= 18, len(examples)
    paths = []
    for number, code in enumerate(examples):
        path = tmp_path / f"docs_example_{number}.py"
        path.write_text(code, encoding="utf-8")
        paths.append(str(path))
    # From the checkout's root, so godot_ws is found as README's editable install puts it.
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", *paths], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_godot4_values_example_runs() -> None:
    (code,) = code_blocks("Godot 4 values (``var_to_bytes``)")
    exec(compile(code, "README.rst", "exec"), {})  # its own assert checks the round trip


def test_godot4_multiplayer_example_runs(tmp_path: Path) -> None:
    (code,) = code_blocks("Godot 4 high-level multiplayer")
    example = Example(code, free_port(), tmp_path, "godot4_multiplayer", frames=300)
    out = example.finish(60)
    assert example.proc.returncode == 0, out
    # call_local: the player's own Main runs it, and the host's Main gets the RPC.
    lines = [line for line in out.splitlines() if line.startswith("hello 42 hi from ")]
    assert len(lines) == 2, out


def test_layout_names_every_layer_and_the_architecture_page_every_module() -> None:
    """README's Layout names each layer folder; docs/architecture.rst names each module (written
    in parallel, such maps drift)."""
    layout = README.split("\nLayout\n------\n", 1)[1]
    folders = sorted(p.name for p in (ROOT / "godot_ws").iterdir()
                     if p.is_dir() and p.name != "__pycache__")
    assert [f for f in folders if f"{f}/" not in layout] == []
    page = (ROOT / "docs" / "architecture.rst").read_text()
    modules = sorted(path.relative_to(ROOT / "godot_ws")
                     for path in (ROOT / "godot_ws").rglob("*.py") if path.name != "__init__.py")
    missing = [str(path) for path in modules if f"``{path.name}``" not in page]
    assert not missing, f"docs/architecture.rst does not name {missing}"
