"""Every demo runs headless (SDL's dummy video driver) and prints a one-line summary."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("pygame", reason="the demos need pygame-ce: pip install -e '.[demos]'")


def run_demo(*args: str, timeout: float = 60) -> dict[str, str]:
    # The demos import the godot_ws of this checkout, installed or not (each engineer's
    # worktree runs its own copy).
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
               PYGAME_HIDE_SUPPORT_PROMPT="1", PYTHONPATH=path)
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    return dict(re.findall(r"(\w+)=(\S+)", summary))


def test_echo_demo() -> None:
    summary = run_demo("demos/echo.py", "--frames", "60")
    assert int(summary["frames"]) == 60
    assert int(summary["received"]) >= 55


def test_arena_hosts_and_plays_with_bots(tmp_path: Path) -> None:
    shot = tmp_path / "arena.png"
    summary = run_demo("demos/arena.py", "--headless", "--frames", "240", "--bots", "3",
                       "--screenshot", str(shot))
    assert int(summary["frames"]) == 240
    assert int(summary["players_seen"]) == 4
    assert int(summary["messages_in"]) > 100 and int(summary["messages_out"]) > 50
    assert float(summary["ping_ms"]) > 0
    assert shot.stat().st_size > 1000


def test_arena_client_joins_the_godot_host(godot_process_factory: Any) -> None:
    from godot_peer import GodotProcess

    godot = GodotProcess.start("arena_server.gd", "bind=127.0.0.1",
                               project=ROOT / "demos" / "godot_server")
    try:
        summary = run_demo("demos/arena.py", "--join", f"ws://127.0.0.1:{godot.port}/",
                           "--headless", "--frames", "240", "--bots", "2")
        assert int(summary["players_seen"]) == 3, godot.output()
        assert float(summary["ping_ms"]) > 0  # the Godot host answered pings
        assert any(line.startswith("JOINED") for line in godot.lines())
    finally:
        godot.stop()


def test_chat_demo(tmp_path: Path) -> None:
    summary = run_demo("demos/chat.py", "--headless", "--frames", "240", "--bots", "2",
                       "--screenshot", str(tmp_path / "chat.png"))
    assert int(summary["chatters"]) == 3
    assert int(summary["messages_in"]) >= 3  # three "joined the chat" lines at least
    assert int(summary["messages_in"]) <= int(summary["messages_out"])
