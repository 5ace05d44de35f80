"""The tutorial (docs/tutorial.rst) works step by step, as a reader runs it: the window of step 2
opens and closes, and two games of step 4 joined to the host of step 3 each see the other's
square. pygame runs headless (``SDL_VIDEODRIVER=dummy``); a prelude put before each program
plays the player who closes the window: it adds a QUIT event to ``pygame.event.get()`` after
some frames, and at exit prints whom the game saw. The programs are otherwise as written (the
port aside, as in tests/test_readme.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_readme import ROOT, Example, code_blocks, free_port, wait_listening

pytest.importorskip("pygame", reason="the tutorial needs pygame-ce: pip install -e '.[demos]'")

# Closes the window once the game has seen another player for 90 frames, or after
# ``frames`` frames when it needs no one, or at the deadline; prints at exit every player id
# that was ever in the game's ``others``.
PRELUDE = """\
import atexit as _atexit
import time as _time
import pygame as _pygame

_state = {{"frames": 0, "seen_at": None, "deadline": _time.monotonic() + 40, "ever": set()}}
_real_get = _pygame.event.get


def _get(*args, **kwargs):
    import __main__
    events = _real_get(*args, **kwargs)
    _state["frames"] += 1
    others = getattr(__main__, "others", None)
    if others:
        _state["ever"].update(others)
        if _state["seen_at"] is None:
            _state["seen_at"] = _state["frames"]
    seen = _state["seen_at"] is not None and _state["frames"] - _state["seen_at"] >= 90
    if (seen or _state["frames"] >= {frames} or _time.monotonic() > _state["deadline"]):
        events.append(_pygame.event.Event(_pygame.QUIT))
    return events


_pygame.event.get = _get
_atexit.register(lambda: print("FRAMES", _state["frames"], "SAW", sorted(_state["ever"])))
"""

HEADLESS = {"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
            "PYGAME_HIDE_SUPPORT_PROMPT": "1"}


def step(title: str) -> str:
    (code,) = code_blocks(title)
    return code


def with_prelude(code: str, frames: int) -> str:
    return PRELUDE.format(frames=frames) + code


def test_step_2_window_opens_and_closes(tmp_path: Path) -> None:
    program = tmp_path / "game.py"
    program.write_text(with_prelude(step("Step 2: a square that moves"), frames=30))
    env = dict(os.environ, **HEADLESS, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, str(program)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FRAMES 30 SAW []" in done.stdout, done.stdout


def test_step_4_players_see_each_other_through_the_step_3_host(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in HEADLESS.items():
        monkeypatch.setenv(name, value)
    port = free_port()
    host = Example(step("Step 3: the host"), port, tmp_path, "host")
    games: list[Example] = []
    try:
        wait_listening(port)
        game = with_prelude(step("Step 4: join, send, draw the others"), frames=10_000)
        games = [Example(game, port, tmp_path, f"game{n}") for n in (1, 2)]
        outs = [g.finish(60) for g in games]
        ids = []
        for game_run, out in zip(games, outs, strict=True):
            assert game_run.proc.returncode == 0, out
            joined = re.search(r"^joined as (\d+)$", out, re.M)
            assert joined, out
            ids.append(int(joined.group(1)))
        for mine, other, out in ((ids[0], ids[1], outs[0]), (ids[1], ids[0], outs[1])):
            seen = re.search(r"^FRAMES \d+ SAW \[(.*)\]$", out, re.M)
            assert seen and seen.group(1) == str(other), (mine, other, out)
        host.wait_for(f"player {ids[0]} joined")
        host.wait_for(f"player {ids[1]} joined")
        host.wait_for("left")  # the games said goodbye (disconnect_from_host)
    finally:
        for g in games:
            g.stop()
        host.stop()
