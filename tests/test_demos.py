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


def run_demo(*args: str, timeout: float = 60, full: bool = False) -> Any:
    # The demos import the godot_ws of this checkout, installed or not (each engineer's
    # worktree runs its own copy).
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
               PYGAME_HIDE_SUPPORT_PROMPT="1", PYTHONPATH=path)
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    if full:
        return done
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


def test_arena_over_godot4_protocol(tmp_path: Path) -> None:
    """--godot4: the same game over WebSocketMultiplayerPeer + SceneMultiplayer @rpc calls,
    host and clients in Python; ERROR lines would mean a refused or undeliverable call."""
    done = run_demo("demos/arena.py", "--godot4", "--headless", "--frames", "240", "--bots",
                    "3", "--screenshot", str(tmp_path / "arena4.png"), full=True)
    summary = dict(re.findall(r"(\w+)=(\S+)", done.stdout.strip().splitlines()[-1]))
    assert int(summary["frames"]) == 240
    assert int(summary["players_seen"]) == 4
    assert int(summary["messages_in"]) > 100 and int(summary["messages_out"]) > 50
    assert float(summary["ping_ms"]) > 0  # the host's pong RPCs arrived
    assert "Godot 4 protocol" in done.stdout
    assert "ERROR" not in done.stderr, done.stderr


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


# ------------------------------------------------------------------ the arena, in-process

DEMOS = ROOT / "demos"


@pytest.fixture
def arena(monkeypatch: pytest.MonkeyPatch) -> Any:
    """demos/arena.py imported in this process, drawing on a dummy SDL display."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.syspath_prepend(str(DEMOS))
    import pygame

    import arena as module

    pygame.init()
    module.pygame = pygame
    yield module
    pygame.quit()


def _poll(server: Any, host: Any, players: list[Any], until: Any, what: str) -> None:
    import time

    deadline = time.monotonic() + 10
    while not until():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        if server is not None:
            server.poll()
        if host is not None:
            host.update()
        for p in players:
            p.link.poll()
            p.step(1 / 60, None)
        time.sleep(0.002)


def _hosted_game(arena: Any, bots: int) -> tuple[Any, Any, list[Any]]:
    from arena_net import ArenaHost

    from godot_ws import OK, WebSocketServer

    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    assert server.listen(0, gd_mp_api=True) == OK
    url = f"ws://127.0.0.1:{server.get_local_port()}/"
    host = ArenaHost(server)
    players = [arena.Player(url, f"p{i}", bot=True) for i in range(bots)]
    _poll(server, host, players, lambda: all(len(p.others) == bots - 1 for p in players),
          "everyone to see everyone")
    return server, host, players


def test_arena_host_leaving_clears_the_screen_and_says_why(arena: Any) -> None:
    import pygame

    server, host, players = _hosted_game(arena, 3)
    me = players[0]
    assert arena.status_line(me).startswith(f"connected to {me.url}   players online: 3")
    server.stop()
    _poll(None, None, players, lambda: all(p.link.offline for p in players), "the end")
    # no frozen ghosts, the right words, and the reason on screen
    assert me.others == {} and me.scores == {} and me.it == 0
    assert arena.status_line(me).startswith(f"disconnected from {me.url}   players online: 0")
    assert "ping: -" in arena.status_line(me)
    assert me.problem == (f"disconnected from {me.url}: the host closed the connection "
                          "(1001 server stopped)")
    screen = pygame.display.set_mode((arena.WIDTH + arena.SIDEBAR, arena.HEIGHT))
    font = pygame.font.Font(None, 22)
    arena.draw(screen, font, font, me)  # the problem panel draws
    me.retry_now()  # the host is gone for good: rejoining fails, the story stays on screen
    _poll(None, None, [me], lambda: "rejoining failed" in me.problem, "a failed rejoin")
    assert me.problem_title == f"disconnected from {me.url}"
    assert me.problem_details[0] == "the host closed the connection (1001 server stopped)"
    assert "ECONNREFUSED" in me.problem_details[1]
    arena.draw(screen, font, font, me)


def test_arena_godot4_game_host_leaving_and_rejoin(arena: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """--godot4 in-process: three players see each other and the host's state RPCs; when the
    host goes away the screen clears and says so; rejoining a dead host fails visibly."""
    import arena_net4

    from godot_ws.godot4 import OK, SceneMultiplayer, WebSocketMultiplayerPeer

    monkeypatch.setattr(arena, "Link", arena_net4.ArenaLink)
    peer = WebSocketMultiplayerPeer()
    assert peer.create_server(0, "127.0.0.1") == OK
    multiplayer = SceneMultiplayer()
    multiplayer.multiplayer_peer = peer
    host = arena_net4.ArenaHost(multiplayer)
    url = f"ws://127.0.0.1:{peer.get_local_port()}/"
    players = [arena.Player(url, f"p{i}", bot=True) for i in range(3)]
    _poll(multiplayer, host, players,
          lambda: all(len(p.others) == 2 and len(p.scores) == 3 for p in players),
          "everyone to see everyone and the host's state")
    me = players[0]
    assert me.it in host.scores and me.scores == host.scores
    assert arena.status_line(me).startswith(f"connected to {me.url}   players online: 3")
    host.close()
    _poll(None, None, players, lambda: all(p.link.offline for p in players), "the end")
    assert me.others == {} and me.scores == {} and me.it == 0
    assert arena.status_line(me).startswith(f"disconnected from {me.url}   players online: 0")
    # The host dropped every socket (Godot 4's close()): the reason is the logged reset.
    assert me.problem.startswith(f"disconnected from {me.url}: ")
    me.retry_now()
    _poll(None, None, [me], lambda: "rejoining failed" in me.problem, "a failed rejoin")


def test_arena_failed_join_shows_the_reason(arena: Any) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    me = arena.Player(f"ws://127.0.0.1:{port}/", "me", bot=True)
    _poll(None, None, [me], lambda: bool(me.problem), "the failure")
    assert me.problem.startswith(f"could not join ws://127.0.0.1:{port}/: ")
    assert "ECONNREFUSED" in me.problem
    assert arena.status_line(me).startswith(f"could not join ws://127.0.0.1:{port}/")


def test_arena_host_answers_no_one_who_left(arena: Any, caplog: pytest.LogCaptureFixture) -> None:
    server, host, players = _hosted_game(arena, 2)
    leaver = players[1]
    leaver.link.send_ping()  # its last words, then it leaves in the same frame
    leaver.quitting = True
    leaver.link.close()
    leaver.link.poll()
    caplog.set_level("ERROR", logger="godot_ws")
    _poll(server, host, players[:1], lambda: len(host.scores) == 1, "the leaver to go")
    host.update()
    assert not [r for r in caplog.records if "no peer" in r.getMessage()]
    server.stop()


def test_arena_join_hint_matches_the_bind_address(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    monkeypatch.syspath_prepend(str(DEMOS))
    from _common import host, lan_address

    server, url = host(argparse.Namespace(join=None, host=None), gd_mp_api=True)
    assert server is not None and server.bind_ip == "127.0.0.1"
    out = capsys.readouterr().out
    assert "this machine only" in out and f"ws://127.0.0.1:{server.get_local_port()}/" in out
    server.stop()
    server, url = host(argparse.Namespace(join=None, host=0), gd_mp_api=True)
    assert server is not None and server.bind_ip == "0.0.0.0"
    assert f"--join ws://{lan_address()}:{server.get_local_port()}/" in capsys.readouterr().out
    server.stop()


def test_arena_ctrl_c_closes_cleanly() -> None:
    import signal

    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
               PYGAME_HIDE_SUPPORT_PROMPT="1", PYTHONPATH=path)
    proc = subprocess.Popen([sys.executable, "demos/arena.py", "--headless", "--frames",
                             "100000"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("playing"):
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, out + err
    assert "interrupted: closing" in out and "frames=" in out
    assert "Traceback" not in err, err


def test_demos_pass_mypy_strict() -> None:
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "demos/arena.py",
                           "demos/arena_net.py", "demos/arena_net4.py", "demos/_common.py",
                           "demos/chat.py", "demos/echo.py", "demos/dice.py"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_arena_godot_player_joins_the_python_host(godot_process_factory: Any) -> None:
    """A Godot 3.2.3 player (demos/godot_server/arena_bot.gd, the same arena.gd as the Godot
    host) plays in a Python-hosted arena next to Python players: everyone sees everyone."""
    from godot_peer import free_port

    port = free_port()
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
               PYGAME_HIDE_SUPPORT_PROMPT="1", PYTHONPATH=path)
    proc = subprocess.Popen([sys.executable, "demos/arena.py", "--host", str(port),
                             "--headless", "--frames", "360", "--bots", "1"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("playing"):
                break
        bot = godot_process_factory("arena_bot.gd", f"url=ws://127.0.0.1:{port}/",
                                    "frames=180", project=ROOT / "demos" / "godot_server")
        match = bot.wait_for(r"^BOT id=(\d+) seen=(\d+) tags=\d+ pongs=(\d+)$", timeout=30)
        out = proc.communicate(timeout=60)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out
    summary = dict(re.findall(r"(\w+)=(\S+)", out.strip().splitlines()[-1]))
    assert int(summary["players_seen"]) == 3, out  # me, the Python bot, the Godot bot
    assert int(match.group(2)) == 3 and int(match.group(3)) > 0, bot.output()
    assert "ERROR" not in out and "not allowed" not in bot.output()
