"""Every Python example in README and docs/ is checked: each block compiles, each complete
example (one that starts with its imports) is run by the test ``RUNS`` names for its section
and passes ``mypy --strict`` (tests/test_readme_examples.py); this file also runs the examples
no other test does. A new complete example fails ``test_every_complete_example_is_run`` until
a test runs it and ``RUNS`` says which."""

from __future__ import annotations

import re
from pathlib import Path

from test_readme import (
    ROOT,
    Example,
    code_blocks,
    doc_pages,
    free_port,
    python_blocks,
    wait_listening,
)

# (page, section title) -> the test that runs its complete examples, as "file::function".
RUNS = {
    ("README.rst", "A game loop (plain client)"):
        "test_readme.py::test_plain_game_loop_against_the_plain_host",
    ("README.rst", "Hosting a game"):
        "test_readme.py::test_plain_game_loop_against_the_plain_host",
    ("docs/howto/port-godot3.rst", "Hosting a multiplayer game"):
        "test_readme.py::test_multiplayer_client_against_the_multiplayer_host",
    ("docs/howto/port-godot3.rst", "Joining a multiplayer game"):
        "test_readme.py::test_multiplayer_client_against_the_multiplayer_host",
    ("docs/howto/host-internet.rst", "Secure connections (wss://)"):
        "test_readme.py::test_wss_client_against_the_wss_host",
    ("docs/howto/host-many-games.rst", "The hosts"):
        "test_nginx_howto.py::test_games_behind_nginx",
    ("docs/howto/join-godot-game.rst", "A load tester"):
        "test_docs_examples.py::test_load_tester_against_the_multiplayer_host",
    ("docs/howto/long-lived.rst", "Reconnecting"):
        "test_readme_longlived.py::test_long_lived_examples_run",
    ("docs/howto/long-lived.rst", "Compression (permessage-deflate, RFC 7692)"):
        "test_readme_longlived.py::test_long_lived_examples_run",
    ("docs/howto/port-godot4.rst", "WebSockets the Godot 4 way"):
        "test_godot4_readme.py::test_godot4_client_example_against_the_godot4_server_example",
    ("docs/howto/port-godot4.rst", "Godot 4 values (``var_to_bytes``)"):
        "test_readme_examples.py::test_godot4_values_example_runs",
    ("docs/howto/port-godot4.rst", "Godot 4 high-level multiplayer"):
        "test_readme_examples.py::test_godot4_multiplayer_example_runs",
    ("docs/howto/port-godot4.rst", "Godot 4 replication"):
        "test_godot4_replication.py::test_readme_replication_example_runs",
    ("docs/howto/troubleshooting.rst", "Nothing is printed when something fails"):
        "test_docs_examples.py::test_logging_example_runs",
    ("docs/tutorial.rst", "Step 2: a square that moves"):
        "test_tutorial.py::test_step_2_window_opens_and_closes",
    ("docs/tutorial.rst", "Step 3: the host"):
        "test_tutorial.py::test_step_4_players_see_each_other_through_the_step_3_host",
    ("docs/tutorial.rst", "Step 4: join, send, draw the others"):
        "test_tutorial.py::test_step_4_players_see_each_other_through_the_step_3_host",
}


def examples_by_section() -> dict[tuple[str, str], list[str]]:
    """(page, title of the section a block is in) -> its Python blocks, for every page."""
    found: dict[tuple[str, str], list[str]] = {}
    for page in doc_pages():
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(ROOT).as_posix()
        for match in re.finditer(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text):
            titles = re.findall(r"^(\S[^\n]*)\n[-=~]+\n", text[:match.start()], re.M)
            found.setdefault((name, titles[-1]), []).extend(python_blocks(match.group(0)))
    return found


def test_every_python_block_compiles() -> None:
    blocks = examples_by_section()
    assert sum(len(b) for b in blocks.values()) >= 20
    for (page, title), codes in blocks.items():
        for code in codes:
            compile(code, f"{page}: {title}", "exec")  # a SyntaxError names the section


def test_every_complete_example_is_run() -> None:
    complete = {key for key, codes in examples_by_section().items()
                if any(code.startswith(("import ", "from ")) for code in codes)}
    assert complete - RUNS.keys() == set(), "add the test that runs these to RUNS"
    assert RUNS.keys() - complete == set(), "RUNS names sections with no complete example"
    for test in set(RUNS.values()):
        file, function = test.split("::")
        source = (ROOT / "tests" / file).read_text(encoding="utf-8")
        assert f"def {function}(" in source, test


def test_logging_example_runs() -> None:
    import logging

    logger = logging.getLogger("godot_ws")
    level, root_handlers = logger.level, list(logging.getLogger().handlers)
    try:
        (code,) = code_blocks("Nothing is printed when something fails")
        exec(compile(code, "troubleshooting.rst", "exec"), {})
        assert logger.getEffectiveLevel() == logging.INFO
    finally:
        logger.setLevel(level)
        for handler in logging.getLogger().handlers:
            if handler not in root_handlers:
                logging.getLogger().removeHandler(handler)


def test_load_tester_against_the_multiplayer_host(tmp_path: Path) -> None:
    port = free_port()
    host = Example(code_blocks("Hosting a multiplayer game")[0], port, tmp_path, "mp_host")
    try:
        wait_listening(port)
        tester = Example(code_blocks("A load tester")[0], port, tmp_path, "load_tester")
        out = tester.finish(60)
        assert tester.proc.returncode == 0, out
        assert "200 of 200 answered" in out, out
        assert re.search(r"^median round trip \d+\.\d ms, worst \d+\.\d ms$", out, re.M), out
    finally:
        host.stop()
