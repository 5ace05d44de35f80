"""The turn-based dice game: demos/godot_server/dice.gd (unchanged GDScript, Godot 3.2.3) and
its line-by-line Python port demos/dice.py play one game together, whichever side hosts."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
GODOT_DEMO = ROOT / "demos" / "godot_server"


class PyPlayer:
    """demos/dice.py in a subprocess, its stdout lines collected by a thread."""

    def __init__(self, *args: str) -> None:
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            [sys.executable, "demos/dice.py", "--timeout", "30", *args], cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=path), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        for line in self.seen:
            if m := rx.search(line):
                return m
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            self.seen.append(line)
            if m := rx.search(line):
                return m
        raise AssertionError(f"no {pattern!r} from dice.py:\n" + "\n".join(self.seen))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(5)


@pytest.fixture
def py_players() -> Iterator[Callable[..., PyPlayer]]:
    started: list[PyPlayer] = []

    def start(*args: str) -> PyPlayer:
        started.append(PyPlayer(*args))
        return started[-1]

    yield start
    for p in started:
        p.stop()


def test_python_player_joins_the_godot_hosted_game(godot_process_factory: Any,
                                                   py_players: Any) -> None:
    host = godot_process_factory("dice_main.gd", "players=2", "goal=12", "bind=127.0.0.1",
                                 project=GODOT_DEMO)
    url = f"ws://127.0.0.1:{host.port}/"
    godot_player = godot_process_factory("dice_main.gd", f"url={url}", "name=gd",
                                         project=GODOT_DEMO)
    py = py_players("--join", url, "--name", "py")
    over = py.wait_for(r"^GAME_OVER (\d+) (\w+)$")
    host.wait_for(rf"^GAME_OVER {over.group(1)} {over.group(2)}$")
    godot_player.wait_for(rf"^GAME_OVER {over.group(1)} {over.group(2)}$")
    assert py.proc.wait(10) == 0
    # both players rolled, and everyone saw the same totals
    rolls = [ln for ln in py.seen if ln.startswith("ROLLED")]
    assert len({ln.split()[1] for ln in rolls}) == 2
    assert rolls == [ln for ln in host.lines() if ln.startswith("ROLLED")]
    for godot in (host, godot_player):  # no RPC refused or malformed on the Godot side
        assert not re.search(r"not allowed|Invalid packet|RPC -", godot.output())


def test_godot_players_join_the_python_hosted_game(godot_process_factory: Any,
                                                   py_players: Any) -> None:
    host = py_players("--host", "0", "--players", "3", "--goal", "12")
    port = int(host.wait_for(r"^READY (\d+)$").group(1))
    url = f"ws://127.0.0.1:{port}/"
    gd1 = godot_process_factory("dice_main.gd", f"url={url}", "name=gd1", project=GODOT_DEMO)
    gd2 = godot_process_factory("dice_main.gd", f"url={url}", "name=gd2", project=GODOT_DEMO)
    py = py_players("--join", url, "--name", "py")
    over = host.wait_for(r"^GAME_OVER (\d+) (\w+)$")
    for godot in (gd1, gd2):
        godot.wait_for(rf"^GAME_OVER {over.group(1)} {over.group(2)}$")
    py.wait_for(rf"^GAME_OVER {over.group(1)} {over.group(2)}$")
    assert host.proc.wait(10) == 0  # the host ends once its players left
    rolls = [ln for ln in host.seen if ln.startswith("ROLLED")]
    assert len({ln.split()[1] for ln in rolls}) == 3
    assert rolls == [ln for ln in gd1.lines() if ln.startswith("ROLLED")]
