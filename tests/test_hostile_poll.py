"""Issue 25, findings 5 and 13: what all of a host's peers together may cost one poll.

Attackers are raw loopback sockets that finish the upgrade and then write a bounded flood
(tiny messages, pings, or compressed messages that inflate 900x) straight into the host's
kernel buffers before the host polls again; an honest peer's one message arrives last. The
host's poll must stay within one budget across connections (``net/limits.py``: POLL_WORK
units, a frame or an inflated KiB each), serve the honest peer within two polls (round
robin), and lose nothing: every flooded message is delivered over the following polls.
The time a poll takes under attack is measured in ``python -m bench`` (hostile rows).
"""

from __future__ import annotations

import socket
import time
import zlib
from collections.abc import Callable, Iterator

import pytest

from godot_ws import OK, WebSocketServer
from godot_ws.godot4 import WebSocketMultiplayerPeer
from godot_ws.net.limits import MIN_SHARE, POLL_WORK, VISIT_COST
from tests.hostile_support import close_all, masked, open_attackers, read_all, send_all_now

ATTACKERS = 24
FLOOD = 3000  # messages (or pings) per attacker: 21 KB each, all in the host's kernel
HONEST = b"honest"


class Host:
    """Either face's host, seen the same way: poll it, take what it delivered."""

    def __init__(self, face: str) -> None:
        self.face = face
        self.got: list[bytes] = []
        if face == "3":
            server = WebSocketServer()
            server.bind_ip = "127.0.0.1"
            assert server.listen(0) == OK

            def take(peer_id: int) -> None:
                peer = server.get_peer(peer_id)
                assert peer is not None
                while peer.get_available_packet_count():
                    self.got.append(peer.get_packet())

            server.data_received.connect(take)
            self.server: WebSocketServer | WebSocketMultiplayerPeer = server
        else:
            mp = WebSocketMultiplayerPeer()
            assert mp.create_server(0, "127.0.0.1") == OK
            self.server = mp

    @property
    def port(self) -> int:
        return self.server.get_local_port()

    def poll(self) -> list[bytes]:
        """One host poll; the messages it delivered."""
        before = len(self.got)
        self.server.poll()
        if isinstance(self.server, WebSocketMultiplayerPeer):
            while self.server.get_available_packet_count():
                self.got.append(self.server.get_packet())
        return self.got[before:]

    def stop(self) -> None:
        if isinstance(self.server, WebSocketServer):
            self.server.stop()
        else:
            self.server.close()


@pytest.fixture(params=["3", "4"], ids=["godot3", "godot4"])
def host(request: pytest.FixtureRequest) -> Iterator[Host]:
    h = Host(request.param)
    yield h
    h.stop()


def flood_then_honest(host: Host, frame: bytes) -> tuple[list[socket.socket], socket.socket]:
    attackers = open_attackers(host.port, ATTACKERS, host.poll)
    honest = open_attackers(host.port, 1, host.poll)[0]
    for _ in range(5):
        host.poll()  # the Godot 4 ids are sent and everyone is settled
    host.got.clear()
    read_all([*attackers, honest])
    send_all_now(attackers, frame * FLOOD)
    send_all_now([honest], masked(2, HONEST))
    return attackers, honest


def test_a_tiny_message_flood_gets_one_budget_per_poll_and_the_honest_peer_is_served(
        host: Host) -> None:
    attackers, honest = flood_then_honest(host, masked(2, b"x"))
    try:
        per_poll = []
        honest_poll = 0
        deadline = time.monotonic() + 30
        while len(host.got) < ATTACKERS * FLOOD + 1:
            assert time.monotonic() < deadline, f"only {len(host.got)} messages delivered"
            got = host.poll()
            per_poll.append(len(got))
            if HONEST in got:
                honest_poll = len(per_poll)
        # Before issue 25 the first poll decoded every attacker's queue room: 24 x 1024
        # messages (3.x), 24 x 4096 (Godot 4).
        assert max(per_poll) <= POLL_WORK, per_poll[:5]
        assert 1 <= honest_poll <= 2, (honest_poll, per_poll[:5])
        assert host.got.count(b"x") == ATTACKERS * FLOOD  # nothing lost, only spread
    finally:
        close_all([*attackers, honest])


def test_a_ping_flood_gets_one_budget_per_poll_and_the_honest_peer_is_served(
        host: Host) -> None:
    attackers, honest = flood_then_honest(host, masked(9))
    try:
        got = host.poll()
        # The pongs of that one poll (loopback delivers them as they are written; a late
        # one would only make the count smaller).
        pongs = 0
        deadline = time.monotonic() + 5
        while not pongs:
            assert time.monotonic() < deadline, "no pong arrived"
            pongs = read_all(attackers) // 2  # an empty pong is 2 bytes
        pongs += read_all(attackers) // 2
        # Before: 24 x 1024 pongs (every connection's own per-poll frame limit) in one poll.
        assert 0 < pongs <= POLL_WORK
        polls = 1
        while HONEST not in got:
            assert polls < 2, "the honest peer was not served within two polls"
            got = host.poll()
            polls += 1
        answered = pongs
        deadline = time.monotonic() + 30
        while answered < ATTACKERS * FLOOD:
            assert time.monotonic() < deadline, f"only {answered} pings answered"
            host.poll()
            answered += read_all(attackers) // 2
    finally:
        close_all([*attackers, honest])


def bomb(size: int = 60_000) -> bytes:
    """A compressed message of ``size`` zero bytes (about 70 bytes on the wire)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = c.compress(bytes(size)) + c.flush(zlib.Z_SYNC_FLUSH)
    return data[:-4]


def compressed_host() -> tuple[WebSocketServer, Callable[[], int]]:
    """A 3.x host with compression on and a 4 MiB input buffer (Godot 4's multiplayer peer
    has no compression); a function that polls it once and returns the bytes delivered."""
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    server.compression_enabled = True
    server.set_buffers(4096, 1024, 64, 1024)
    assert server.listen(0) == OK
    got: list[int] = [0]

    def take(peer_id: int) -> None:
        peer = server.get_peer(peer_id)
        assert peer is not None
        while peer.get_available_packet_count():
            got[0] += len(peer.get_packet())

    server.data_received.connect(take)

    def poll() -> int:
        before = got[0]
        server.poll()
        return got[0] - before

    return server, poll


def test_inflated_bytes_count_against_the_poll_budget() -> None:
    """Finding 13: 8 connections each send 40 messages of ~70 bytes that inflate to 60 KB.
    Before, one poll inflated every one of them (19 MB); now at most the budget's KiB."""
    server, poll = compressed_host()
    attackers = open_attackers(server.get_local_port(), 8, server.poll, deflate=True)
    try:
        for _ in range(5):
            poll()
        message = bomb()
        send_all_now(attackers, masked(2, message, rsv1=True) * 40)
        first = poll()
        share = max(MIN_SHARE, POLL_WORK // 8 - VISIT_COST)
        # A message that starts within a share is finished: at most one message over it.
        assert 0 < first <= 8 * (share * 1024 + 60_000), first
        total = first
        deadline = time.monotonic() + 30
        while total < 8 * 40 * 60_000:
            assert time.monotonic() < deadline, f"only {total} bytes delivered"
            total += poll()
        assert total == 8 * 40 * 60_000
    finally:
        close_all(attackers)
        server.stop()
