"""Reconnector against a real server process that is killed (SIGKILL) and restarted on the
same port: backoff with jitter, the signals, packets from before the drop, packets put while
down, giving up; multiplayer mode against a WebSocketServer that stops and listens again; and
against a raw server that accepts and kicks (issue 25 finding 8, issue 23 item 8): which closes
reconnect, and that a kick right after joining is a failed attempt."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from support import frame, ok_response, poll_until, read_request

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


class KickingServer:
    """Accepts up to ``limit`` connections on 127.0.0.1, one at a time: each is upgraded,
    then after ``kick_after`` seconds closed with a close frame of ``code`` (its reply read)
    or, with ``code=None``, dropped without one. ``accepted`` counts handshakes."""

    def __init__(self, kick_after: float, code: int | None, limit: int,
                 lifetime: float = 20.0) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.kick_after, self.code, self.limit = kick_after, code, limit
        self.lifetime = lifetime
        self.accepted = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        deadline = time.monotonic() + self.lifetime  # stops by itself
        while (self.accepted < self.limit and not self.stopped.is_set()
               and time.monotonic() < deadline):
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    _, headers = read_request(conn)
                    conn.sendall(ok_response(headers))
                    self.accepted += 1
                    time.sleep(self.kick_after)
                    if self.code is not None:
                        conn.sendall(frame(0x8, self.code.to_bytes(2, "big") + b"bye"))
                        conn.recv(64)  # the client's reply close frame
                except OSError:
                    pass

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(5)
        self.listener.close()


def test_kick_after_join_backs_off_and_gives_up() -> None:
    # Finding 8: each successful connect reset the backoff, so a server that kicks right
    # after the upgrade got attempt 1 forever and max_attempts never triggered.
    server = KickingServer(kick_after=0.03, code=None, limit=8)
    client = WebSocketClient()
    link = Reconnector(client, initial_delay=0.02, multiplier=2.0, max_delay=0.16, jitter=0,
                       max_attempts=4)  # stable_after: the default 10 s
    calls = _record(link)
    try:
        assert link.connect_to_url(f"ws://127.0.0.1:{server.port}") == OK
        poll_until(link, lambda: ("reconnect_failed",) in calls, timeout=10,
                   what="giving up on a server that kicks at once")
        assert [c for c in calls if c[0] == "reconnecting"] == [
            ("reconnecting", 1, 0.02), ("reconnecting", 2, 0.04), ("reconnecting", 3, 0.08),
            ("reconnecting", 4, 0.16)]
        assert calls.count(("reconnected",)) == 4
        assert server.accepted == 5 and not link.is_reconnecting()
    finally:
        server.close()


def test_connection_that_stays_up_resets_the_backoff() -> None:
    server = KickingServer(kick_after=0.25, code=None, limit=3)
    client = WebSocketClient()
    link = Reconnector(client, initial_delay=0.02, max_delay=1.0, jitter=0,
                       stable_after=0.1)
    calls = _record(link)
    try:
        assert link.connect_to_url(f"ws://127.0.0.1:{server.port}") == OK
        poll_until(link, lambda: calls.count(("reconnected",)) == 2, timeout=10)
        assert [c for c in calls if c[0] == "reconnecting"] == [
            ("reconnecting", 1, 0.02), ("reconnecting", 1, 0.02)]
    finally:
        link.disconnect_from_host()
        server.close()


@pytest.mark.parametrize("code", [1003, 1008, 4000, 4999])
def test_refusing_close_codes_back_off_hard(code: int) -> None:
    server = KickingServer(kick_after=0.01, code=code, limit=1)
    client = WebSocketClient()
    link = Reconnector(client, initial_delay=0.01, max_delay=5.0, jitter=0)
    calls = _record(link)
    try:
        assert link.connect_to_url(f"ws://127.0.0.1:{server.port}") == OK
        poll_until(link, link.is_reconnecting, what="the kick")
        assert calls == [("reconnecting", 1, 5.0)]  # max_delay at once, not 0.01
    finally:
        link.disconnect_from_host()
        server.close()


@pytest.mark.parametrize("code, again", [(1000, False), (1001, True), (1011, True)])
def test_normal_closure_by_the_server_is_final(code: int, again: bool) -> None:
    # Issue 23 item 8: a clean close the server chose (1000) reconnected.
    server = KickingServer(kick_after=0.01, code=code, limit=2)
    client = WebSocketClient()
    closed: list[bool] = []
    client.connection_closed.connect(closed.append)
    link = Reconnector(client, initial_delay=0.01, max_delay=0.05, jitter=0)
    calls = _record(link)
    try:
        assert link.connect_to_url(f"ws://127.0.0.1:{server.port}") == OK
        poll_until(link, lambda: closed == [True], what="the server's close")
        if again:
            poll_until(link, lambda: ("reconnected",) in calls, what="the reconnection")
            assert calls[0] == ("reconnecting", 1, 0.01)
        else:
            end = time.monotonic() + 0.2  # several retry delays: nothing is scheduled
            poll_until(link, lambda: time.monotonic() > end)
            assert calls == [] and not link.is_reconnecting() and server.accepted == 1
            assert client.get_connection_status() == client.CONNECTION_DISCONNECTED
    finally:
        link.disconnect_from_host()
        server.close()


def test_first_connection_that_fails_is_not_a_reconnection() -> None:
    # Issue 23 item 8: reconnecting(1) fired although no connection had ever been up.
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    client = WebSocketClient()
    errors: list[str] = []
    client.connection_error.connect(lambda: errors.append("connection_error"))
    link = Reconnector(client, initial_delay=0.01, max_delay=0.02)
    calls = _record(link)
    assert link.connect_to_url(f"ws://127.0.0.1:{port}") == OK  # nothing listens there
    poll_until(link, lambda: errors == ["connection_error"], what="the refusal")
    end = time.monotonic() + 0.2
    poll_until(link, lambda: time.monotonic() > end)
    assert calls == [] and not link.is_reconnecting() and link.get_attempt() == 0
    assert client.get_connection_status() == client.CONNECTION_DISCONNECTED
