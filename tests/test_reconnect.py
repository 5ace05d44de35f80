"""Reconnector against a real server process that is killed (SIGKILL) and restarted on the
same port: backoff with jitter, the signals, packets from before the drop, packets put while
down, giving up; and multiplayer mode against a WebSocketServer that stops and listens again."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from support import poll_until

from godot_ws import FAILED, OK, WebSocketClient, WebSocketServer
from godot_ws.reconnect import Reconnector

HERE = Path(__file__).resolve().parent
ECHO_SERVER = HERE / "autobahn" / "echo_server.py"  # an echo server on WebSocketServer


class EchoProcess:
    """tests/autobahn/echo_server.py in its own process, so it can really be killed."""

    def __init__(self, port: int = 0) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE.parent),
                                                        env.get("PYTHONPATH", "")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-u", str(ECHO_SERVER), "--port", str(port), "--lifetime", "60"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # blocks until READY (or the process ends)
        if not line.startswith("READY "):
            self.proc.kill()
            raise RuntimeError(f"echo server did not start: {line!r}")
        self.port = int(line.split()[1])

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)


def _record(link: Reconnector) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    link.reconnecting.connect(lambda attempt, delay: calls.append(("reconnecting", attempt,
                                                                   round(delay, 6))))
    link.reconnected.connect(lambda: calls.append(("reconnected",)))
    link.reconnect_failed.connect(lambda: calls.append(("reconnect_failed",)))
    return calls


def test_server_killed_and_restarted() -> None:
    server = EchoProcess()
    port = server.port
    client = WebSocketClient()
    link = Reconnector(client, initial_delay=0.05, max_delay=0.2, max_attempts=0,
                       rng=lambda: 0.5)  # jitter takes a quarter off each delay
    calls = _record(link)
    try:
        assert link.connect_to_url(f"ws://127.0.0.1:{port}") == OK
        poll_until(link, lambda: client.get_connection_status() == client.CONNECTION_CONNECTED)
        peer = client.get_peer(1)
        assert peer is not None
        for i in range(3):
            assert peer.put_packet(b"before %d" % i) == OK
        poll_until(link, lambda: peer.get_available_packet_count() == 3)  # received, unread

        server.kill()
        poll_until(link, link.is_reconnecting, what="the drop to be noticed")
        assert calls == [("reconnecting", 1, 0.0375)]
        # While down (and while each retry is connecting) nothing is queued silently.
        assert peer.put_packet(b"lost?") == FAILED
        assert client.get_peer(1).put_packet(b"lost?") == FAILED  # type: ignore[union-attr]
        poll_until(link, lambda: len(calls) >= 4, what="three refused retries")
        assert calls[:4] == [("reconnecting", 1, 0.0375), ("reconnecting", 2, 0.075),
                             ("reconnecting", 3, 0.15), ("reconnecting", 4, 0.15)]  # capped
        assert client.get_peer(1).put_packet(b"lost?") == FAILED  # type: ignore[union-attr]

        server = EchoProcess(port)  # the same port again
        poll_until(link, lambda: ("reconnected",) in calls, timeout=10,
                   what="the reconnection")
        assert not link.is_reconnecting() and link.get_attempt() == 0
        new_peer = client.get_peer(1)
        assert new_peer is not None and new_peer is not peer
        assert new_peer.put_packet(b"after") == OK
        got: list[bytes] = []

        def read() -> bool:
            while new_peer.get_available_packet_count():
                got.append(new_peer.get_packet())
            return b"after" in got

        poll_until(link, read)
        # The old connection's unread packets come first; nothing put while down arrives.
        assert got == [b"before 0", b"before 1", b"before 2", b"after"]
        link.disconnect_from_host()
        poll_until(link, lambda: client.get_connection_status() == client.CONNECTION_DISCONNECTED)
        assert not link.is_reconnecting()
        assert calls[-1] == ("reconnected",)
    finally:
        server.kill()


def test_gives_up_after_max_attempts() -> None:
    server = EchoProcess()
    client = WebSocketClient()
    link = Reconnector(client, initial_delay=0.01, max_delay=0.02, max_attempts=3)
    calls = _record(link)
    assert link.connect_to_url(f"ws://127.0.0.1:{server.port}") == OK
    poll_until(link, lambda: client.get_connection_status() == client.CONNECTION_CONNECTED)
    server.kill()
    poll_until(link, lambda: ("reconnect_failed",) in calls, what="giving up")
    assert [c[:2] for c in calls] == [("reconnecting", 1), ("reconnecting", 2),
                                     ("reconnecting", 3), ("reconnect_failed",)]
    assert all(0.005 <= c[2] <= 0.02 for c in calls[:3])  # jittered, capped
    assert not link.is_reconnecting()
    end = time.monotonic() + 0.1
    poll_until(link, lambda: time.monotonic() > end)
    assert calls[-1] == ("reconnect_failed",)  # no more attempts
    assert client.get_connection_status() == client.CONNECTION_DISCONNECTED


def test_bad_settings() -> None:
    with pytest.raises(ValueError):
        Reconnector(WebSocketClient(), initial_delay=2, max_delay=1)
    with pytest.raises(TypeError):
        Reconnector(object())  # type: ignore[arg-type]


def test_multiplayer_mode_reconnects_and_keeps_packets() -> None:
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    assert server.listen(0, gd_mp_api=True) == OK
    port = server.get_local_port()
    client = WebSocketClient()
    link = Reconnector(client, initial_delay=0.02, max_delay=0.05)
    calls = _record(link)
    assert link.connect_to_url(f"ws://127.0.0.1:{port}", gd_mp_api=True) == OK

    class Both:
        @staticmethod
        def poll() -> None:
            server.poll()
            link.poll()

    poll_until(Both, lambda: client.get_unique_id() != 0)
    first_id = client.get_unique_id()
    server.set_target_peer(first_id)
    assert server.put_packet(b"kept") == OK
    poll_until(Both, lambda: client.get_available_packet_count() == 1)
    server.stop()
    poll_until(link, link.is_reconnecting)
    assert client.put_packet(b"while down") != OK
    assert server.listen(port, gd_mp_api=True) == OK
    poll_until(Both, lambda: ("reconnected",) in calls and client.get_unique_id() != 0,
               timeout=10)
    assert client.get_unique_id() != first_id
    assert client.get_available_packet_count() == 1
    assert client.get_packet_peer() == 1 and client.get_packet() == b"kept"
    link.disconnect_from_host()
    server.stop()
