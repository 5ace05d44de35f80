"""The harness itself (tests/engine4.py): a real Godot 4.6 starts in headless Chromium, gets its
user arguments, prints in order to both streams, quits with a code, and a GDScript error ends a
wait at once with the whole output. One engine serves several of these checks."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from engine4 import ENGINE_VERSION, Engine4, EngineError

MAIN = """\
extends Node

func _ready():
	print("args=", JSON.stringify(OS.get_cmdline_user_args()))
	print("version=", Engine.get_version_info().string)
	for i in 50:
		if i % 2:
			printerr("line ", i)
		else:
			print("line ", i)
	print("two\\nlines")
	await get_tree().create_timer(0.2).timeout
	get_tree().quit(7)
"""


@pytest.fixture(scope="module")
def engine(godot4_module_engine: Callable[..., Engine4]) -> Engine4:
    return godot4_module_engine({"main.gd": MAIN}, ["a=1", "two words", "é"], name="harness")


def test_user_args_arrive(engine: Engine4) -> None:
    line = engine.wait_line("args=")
    assert line == 'args=["a=1","two words","é"]'


def test_the_engine_is_godot_4_6(engine: Engine4) -> None:
    assert engine.wait_line("version=") == "version=" + ENGINE_VERSION.replace(".stable.official", "-stable (official)")


def test_lines_keep_their_order_across_streams(engine: Engine4) -> None:
    engine.wait_line("line 49")
    lines = engine.lines
    numbered = [line for line in lines if re.fullmatch(r"line \d+", line)]
    assert numbered == [f"line {i}" for i in range(50)]
    at = lines.index("two")
    assert lines[at + 1] == "lines"


def test_quit_code_and_wait_after_quit(engine: Engine4) -> None:
    polls: list[int] = []
    assert engine.wait_exit(poll=lambda: polls.append(1)) == 7
    assert polls  # the poll callable ran while waiting
    with pytest.raises(EngineError, match="quit before printing 'never printed'"):
        engine.wait_line("never printed", timeout=5)


def test_script_error_ends_the_wait(godot4_engine: Callable[..., Engine4]) -> None:
    engine = godot4_engine({"main.gd": "extends Node\nfunc _ready():\n\tprint(undefined_name)\n"})
    with pytest.raises(EngineError, match="printed an error") as failure:
        engine.wait_line("never printed", timeout=60)
    assert "undefined_name" in str(failure.value)
