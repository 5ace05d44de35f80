"""godot_ws against the real Godot 3.2.3 (godot3-server running tests/godot/*.gd).

Plain mode against echo_server.gd; multiplayer mode (gd_mp_api) against mp_server.gd with
several Python clients in one game. Every test here is marked ``godot`` by conftest.py (the
fixtures), and skips without the binary unless $CI is set.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from godot_peer import GODOT_VALUES, GodotProcess, godot_equal
from support import poll_until

from godot_ws import (
    CONNECTION_CONNECTED,
    CONNECTION_DISCONNECTED,
    OK,
    WebSocketClient,
    WebSocketPeer,
)
from godot_ws.variant.types3 import PoolByteArray, PoolIntArray, Vector2

pytestmark = pytest.mark.godot

TIMEOUT = 10.0
MP_SIGNALS = ("peer_connected", "peer_disconnected", "peer_packet", "connection_succeeded",
              "connection_failed", "server_disconnected")
PLAIN_SIGNALS = ("connection_established", "connection_error", "connection_closed",
                 "server_close_request", "data_received")


class Recorder:
    def __init__(self, client: WebSocketClient, names: Sequence[str]) -> None:
        self.calls: list[tuple[Any, ...]] = []
        for name in names:
            getattr(client, name).connect(lambda *a, n=name: self.calls.append((n, *a)))

    def has(self, *call: Any) -> bool:
        if len(call) == 1:
            return any(c[0] == call[0] for c in self.calls)
        return tuple(call) in self.calls

    def names(self) -> list[str]:
        return [c[0] for c in self.calls if c[0] not in ("data_received", "peer_packet")]


def poll_all(
    clients: Sequence[WebSocketClient], condition: Callable[[], bool], what: str = "condition",
    timeout: float = TIMEOUT,
) -> None:
    """Poll every client (a relay needs the sender's and the receiver's polls) until done."""

    class _All:
        def poll(self) -> None:
            for client in clients:
                client.poll()

    poll_until(_All(), condition, timeout, what)


# ---------------------------------------------------------------------- plain mode


def plain_client(godot: GodotProcess) -> tuple[WebSocketClient, Recorder, WebSocketPeer]:
    client = WebSocketClient()
    rec = Recorder(client, PLAIN_SIGNALS)
    assert client.connect_to_url(godot.url) == OK
    poll_until(client, lambda: rec.has("connection_established"), TIMEOUT, "handshake")
    peer = client.get_peer(1)
    assert peer is not None
    return client, rec, peer


def read(client: WebSocketClient, peer: WebSocketPeer, n: int = 1) -> list[tuple[bytes, bool]]:
    got: list[tuple[bytes, bool]] = []

    def more() -> bool:
        while peer.get_available_packet_count() and len(got) < n:
            got.append((peer.get_packet(), peer.was_string_packet()))
        return len(got) >= n

    poll_until(client, more, TIMEOUT, f"{n} packets")
    return got


def test_plain_text_and_binary_echo(godot_echo_server: GodotProcess) -> None:
    client, rec, peer = plain_client(godot_echo_server)
    assert rec.calls == [("connection_established", "")]
    assert peer.put_packet(b"\x00\xffbinary") == OK
    peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)
    assert peer.put_packet("héllo ✓".encode()) == OK
    peer.set_write_mode(WebSocketPeer.WRITE_MODE_BINARY)
    assert peer.put_var(Vector2(1.5, -2.25)) == OK
    assert read(client, peer, 3) == [
        (b"\x00\xffbinary", False), ("héllo ✓".encode(), True),
        (bytes.fromhex("05000000 0000c03f 000010c0"), False),
    ]
    big = bytes(range(256)) * 200
    assert peer.put_packet(big) == OK
    assert read(client, peer) == [(big, False)]
    assert client.get_connected_host() == "127.0.0.1"
    assert client.get_connected_port() == godot_echo_server.port


def test_plain_put_var_get_var_through_godot(godot_echo_server: GodotProcess) -> None:
    client, _, peer = plain_client(godot_echo_server)
    for value in GODOT_VALUES.values():
        assert peer.put_var(value) == OK
    poll_until(client, lambda: peer.get_available_packet_count() >= len(GODOT_VALUES), TIMEOUT)
    for name, value in GODOT_VALUES.items():
        got = peer.get_var()
        assert godot_equal(got, value), (name, got, value)


def test_plain_server_close_with_code_and_reason(godot_echo_server: GodotProcess) -> None:
    client, rec, peer = plain_client(godot_echo_server)
    peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)
    peer.put_packet(b"close:4001:bye:now")
    poll_until(client, lambda: rec.has("connection_closed"), TIMEOUT, "close")
    # Godot 3.2.3 sends "bye:now\0" (FACTS 1.9); godot_ws strips that one NUL
    assert rec.names() == ["connection_established", "server_close_request", "connection_closed"]
    assert rec.has("server_close_request", 4001, "bye:now")
    assert rec.has("connection_closed", True)
    # our echo of the close completes Godot's side (it waits for it with no timeout)
    godot_echo_server.wait_for(r"^DISCONNECTED \d+ false$", TIMEOUT)


def test_plain_server_close_without_reason(godot_echo_server: GodotProcess) -> None:
    client, rec, peer = plain_client(godot_echo_server)
    peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)
    peer.put_packet(b"close:4002")
    poll_until(client, lambda: rec.has("connection_closed"), TIMEOUT, "close")
    assert rec.has("server_close_request", 4002, "")
    assert rec.has("connection_closed", True)


def test_plain_client_close_reaches_godot(godot_echo_server: GodotProcess) -> None:
    client, rec, peer = plain_client(godot_echo_server)
    peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)
    peer.put_packet(b"info")
    info = read(client, peer)[0][0].decode()
    peer_id = int(info.split(":")[1])
    client.disconnect_from_host(4003, "cli-reason")
    poll_until(client, lambda: rec.has("connection_closed"), TIMEOUT, "close reply")
    assert rec.calls[-1] == ("connection_closed", True)  # 3.2.3 itself would say False
    godot_echo_server.wait_for(rf'^CLOSE_REQUEST {peer_id} 4003 "cli-reason"$', TIMEOUT)
    godot_echo_server.wait_for(rf"^DISCONNECTED {peer_id} true$", TIMEOUT)


def test_plain_burst_keeps_order(godot_echo_server: GodotProcess) -> None:
    client, rec, peer = plain_client(godot_echo_server)
    peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)
    peer.put_packet(b"burst:3000")  # more than the 1024-packet input queue: reading pauses
    got = read(client, peer, 3001)
    assert got[:3000] == [(struct.pack("<I", i), False) for i in range(3000)]
    assert got[3000] == (b"burst-end:3000", True)
    peer.put_packet(b"tburst:3")
    assert read(client, peer, 4) == [(b"0", True), (b"1", True), (b"2", True),
                                     (b"burst-end:3", True)]
    assert sum(1 for c in rec.calls if c[0] == "data_received") == 3005


def test_plain_server_quit_and_kill(godot_process_factory: Any) -> None:
    godot = godot_process_factory("echo_server.gd")
    client, rec, peer = plain_client(godot)
    peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)
    peer.put_packet(b"quit")
    poll_until(client, lambda: rec.has("connection_closed"), TIMEOUT, "close")
    assert rec.names() == ["connection_established", "server_close_request", "connection_closed"]
    assert rec.has("server_close_request", 1000, "") and rec.has("connection_closed", True)
    assert godot.wait(TIMEOUT) == 0

    godot = godot_process_factory("echo_server.gd")
    client, rec, peer = plain_client(godot)
    godot.kill()
    poll_until(client, lambda: rec.has("connection_closed"), TIMEOUT, "drop")
    assert rec.calls[-1] == ("connection_closed", False)


# ---------------------------------------------------------------------- multiplayer mode


class Player:
    """One Python client in the Godot game, with its signals recorded."""

    def __init__(self, godot: GodotProcess) -> None:
        self.client = WebSocketClient()
        self.rec = Recorder(self.client, MP_SIGNALS + PLAIN_SIGNALS)
        self.inbox: list[tuple[int, Any]] = []
        assert self.client.connect_to_url(godot.url, gd_mp_api=True) == OK

    @property
    def id(self) -> int:
        return self.client.get_unique_id()

    def take(self) -> bool:
        """Move every queued packet to ``inbox`` as (source, value)."""
        client = self.client
        while client.get_available_packet_count():
            source = client.get_packet_peer()
            self.inbox.append((source, client.get_var()))
        return bool(self.inbox)

    def send(self, value: Any, target: int = 1) -> None:
        self.client.set_target_peer(target)
        assert self.client.put_var(value) == OK


def join(godot: GodotProcess, *others: Player) -> Player:
    player = Player(godot)
    clients = [p.client for p in (*others, player)]
    poll_all(clients, lambda: player.rec.has("connection_succeeded"), "connection_succeeded")
    return player


def ask(player: Player, request: Any, others: Sequence[Player] = ()) -> Any:
    """Send ``request`` to the server and return its reply (from peer 1)."""
    player.send(request)
    clients = [player.client, *(p.client for p in others)]
    poll_all(clients, player.take, f"the reply to {request!r}")
    source, reply = player.inbox.pop(0)
    assert source == 1, (source, reply)
    return reply


def test_mp_join_signals_and_ids(godot_mp_server: GodotProcess) -> None:
    a = Player(godot_mp_server)
    poll_until(a.client, lambda: a.client.get_connection_status() == CONNECTION_CONNECTED,
               TIMEOUT)
    if a.id == 0:  # unless the 101 and SYS_ID came in one read: connected, no id, no signal
        assert a.rec.calls == []
    poll_until(a.client, lambda: a.rec.has("connection_succeeded"), TIMEOUT)
    assert a.rec.calls == [("peer_connected", 1), ("connection_succeeded",)]
    godot_mp_server.wait_for(rf"^PEER_CONNECTED {a.id}$", TIMEOUT)
    assert a.id > 1

    b = join(godot_mp_server, a)
    assert b.id > 1 and b.id != a.id
    # b learns of a in its join burst (which a loaded machine may read over two polls); a
    # learns of b from a SYS_ADD of its own
    poll_all([a.client, b.client], lambda: b.rec.has("peer_connected", a.id), "b sees a")
    assert b.rec.calls == [("peer_connected", 1), ("connection_succeeded",),
                           ("peer_connected", a.id)]
    poll_all([a.client, b.client], lambda: a.rec.has("peer_connected", b.id), "a sees b")
    assert ask(a, ["peers"]) == ["peers", PoolIntArray(sorted((a.id, b.id)))]
    peer = a.client.get_peer(1)  # Godot's get_peer(1) works in multiplayer mode too
    assert peer is not None and peer.is_connected_to_host()
    assert peer.get_connected_port() == godot_mp_server.port

    b.client.disconnect_from_host()
    poll_all([a.client, b.client], lambda: a.rec.has("peer_disconnected", b.id), "b leaves")
    poll_all([b.client], lambda: b.rec.has("connection_failed"), "b's close")
    godot_mp_server.wait_for(rf"^PEER_DISCONNECTED {b.id}$", TIMEOUT)
    names = {c[0] for c in a.rec.calls + b.rec.calls}
    assert not names & {"connection_established", "data_received", "connection_closed",
                        "connection_error", "server_disconnected"}


def test_mp_every_value_checked_by_godot(godot_mp_server: GodotProcess) -> None:
    a = join(godot_mp_server)
    failed = []
    for name, value in GODOT_VALUES.items():
        reply = ask(a, ["check", name, value])
        if reply != ["checked", name, True]:
            failed.append((name, reply))
    assert not failed, f"{failed}\n--- Godot ---\n{godot_mp_server.output()}"


def test_mp_every_value_made_by_godot(godot_mp_server: GodotProcess) -> None:
    a = join(godot_mp_server)
    failed = []
    for name, value in GODOT_VALUES.items():
        reply = ask(a, ["make", name])
        if reply[:2] != ["made", name] or not godot_equal(reply[2], value):
            failed.append((name, reply, value))
    assert not failed, failed
    assert ask(a, ["echo", PoolByteArray(b"\x00\x01")]) == ["echo", b"\x00\x01"]


def test_mp_relay_every_value_between_python_clients(godot_mp_server: GodotProcess) -> None:
    a = join(godot_mp_server)
    b = join(godot_mp_server, a)
    players = [a.client, b.client]
    for value in GODOT_VALUES.values():
        a.send(value, target=b.id)  # the server relays it without reading it
    for value in GODOT_VALUES.values():
        b.send(value, target=a.id)
    poll_all(players, lambda: b.take() and a.take() and len(a.inbox) == len(b.inbox)
             == len(GODOT_VALUES), "every value both ways")
    for (src_b, got_b), (src_a, got_a), (name, value) in zip(
        b.inbox, a.inbox, GODOT_VALUES.items(), strict=True
    ):
        assert src_b == a.id and src_a == b.id
        assert godot_equal(got_b, value), (name, got_b, value)
        assert godot_equal(got_a, value), (name, got_a, value)
    assert sum(1 for c in b.rec.calls if c[0] == "peer_packet") == len(GODOT_VALUES)


def test_mp_broadcast_and_exclude_one(godot_mp_server: GodotProcess) -> None:
    a = join(godot_mp_server)
    b = join(godot_mp_server, a)
    c = join(godot_mp_server, a, b)
    everyone = [a, b, c]
    clients = [p.client for p in everyone]
    poll_all(clients, lambda: a.rec.has("peer_connected", c.id)
             and b.rec.has("peer_connected", c.id), "everyone sees c")

    def until(cond: Callable[[], bool], what: str) -> None:
        def done() -> bool:
            for p in everyone:
                p.take()
            return cond()

        poll_all(clients, done, what)

    a.send(["echo", "to all"], target=0)  # broadcast: b, c and the server
    until(lambda: len(a.inbox) == len(b.inbox) == len(c.inbox) == 1, "broadcast")
    assert b.inbox.pop() == c.inbox.pop() == (a.id, ["echo", "to all"])
    assert a.inbox.pop() == (1, ["echo", "to all"])  # the server's reply to it

    a.send(["echo", "not b"], target=-b.id)  # everyone but b (the server too)
    a.send("marker", target=b.id)  # a's messages keep their order through the server
    until(lambda: len(b.inbox) == 1 and len(c.inbox) == 1 and len(a.inbox) == 1, "exclude")
    assert b.inbox.pop() == (a.id, "marker")  # the excluded message never came
    assert c.inbox.pop() == (a.id, ["echo", "not b"])
    assert a.inbox.pop() == (1, ["echo", "not b"])

    # the server's own sends: broadcast to all (sender included) and all-but-one
    assert ask(a, ["broadcast", 5], [b, c]) == ["bcast", 5]
    until(lambda: len(b.inbox) == len(c.inbox) == 1, "server broadcast")
    assert b.inbox.pop() == c.inbox.pop() == (1, ["bcast", 5])
    a.send(["send_to", -c.id, 6])
    until(lambda: len(a.inbox) == len(b.inbox) == 1, "server all-but-c")
    assert a.inbox.pop() == b.inbox.pop() == (1, ["from_server", 6])
    a.send(["send_to", c.id, 7])
    until(lambda: len(c.inbox) == 1, "server to c")
    assert c.inbox.pop() == (1, ["from_server", 7])  # and c got nothing before it


def test_mp_minus_one_target_still_reaches_the_server(godot_mp_server: GodotProcess) -> None:
    """Godot 3.2.3's relay bug (FACTS 2.4): to = -1 should exclude the server, but it does not."""
    a = join(godot_mp_server)
    b = join(godot_mp_server, a)
    a.send(["echo", "minus one"], target=-1)
    poll_all([a.client, b.client], lambda: a.take() and b.take(), "both")
    assert a.inbox == [(1, ["echo", "minus one"])]
    assert b.inbox == [(a.id, ["echo", "minus one"])]


def test_mp_burst_order_and_bad_payload(godot_mp_server: GodotProcess) -> None:
    a = Player(godot_mp_server)
    a.client.set_buffers(64, 16, 64, 1024)  # the burst overflows the queues: reading pauses
    poll_until(a.client, lambda: a.rec.has("connection_succeeded"), TIMEOUT)
    a.send(["burst", 500])
    poll_until(a.client, lambda: a.take() and len(a.inbox) == 501, TIMEOUT, "burst")
    assert a.inbox[:500] == [(1, ["seq", i]) for i in range(500)]
    assert a.inbox[500] == (1, ["burst_end", 500])
    a.inbox.clear()
    junk = bytes.fromhex("040000000900000041")
    a.client.set_target_peer(1)
    assert a.client.put_packet(junk) == OK
    poll_until(a.client, a.take, TIMEOUT, "decode_error")
    assert a.inbox == [(1, ["decode_error", junk])]
    godot_mp_server.wait_for(rf"^DECODE_ERROR {a.id} 040000000900000041$", TIMEOUT)


def test_mp_kick_is_connection_failed_with_reason(godot_mp_server: GodotProcess) -> None:
    a = join(godot_mp_server)
    a.send(["kick", 4005, "go"])
    poll_until(a.client, lambda: a.rec.has("connection_failed"), TIMEOUT, "kick")
    assert a.rec.names()[2:] == ["server_close_request", "connection_failed"]
    assert a.rec.has("server_close_request", 4005, "go")  # Godot sent "go\0"
    assert a.client.get_connection_status() == CONNECTION_DISCONNECTED


def test_mp_server_quitting_is_connection_failed(godot_mp_server: GodotProcess) -> None:
    a = join(godot_mp_server)
    b = join(godot_mp_server, a)
    a.send("quit")
    poll_all([a.client, b.client],
             lambda: a.rec.has("connection_failed") and b.rec.has("connection_failed"),
             "connection_failed")
    for p in (a, b):
        tail = [c for c in p.rec.calls if c[0] not in ("peer_connected", "connection_succeeded")]
        assert tail == [("server_close_request", 1000, ""), ("connection_failed",)]
        assert p.client.get_connection_status() == CONNECTION_DISCONNECTED
    assert godot_mp_server.wait(TIMEOUT) == 0


def test_mp_server_killed_is_connection_failed(godot_mp_server: GodotProcess) -> None:
    a = join(godot_mp_server)
    godot_mp_server.kill()
    poll_until(a.client, lambda: a.rec.has("connection_failed"), TIMEOUT)
    assert a.rec.names() == ["peer_connected", "connection_succeeded", "connection_failed"]


def test_mp_nothing_listening_is_connection_failed(godot_process_factory: Any) -> None:
    godot = godot_process_factory("mp_server.gd")
    url = godot.url
    godot.stop()
    a = Player(godot)  # connect_to_url is OK: the refusal comes from poll()
    assert a.client.get_peer(1) is not None and godot.url == url
    poll_until(a.client, lambda: a.rec.has("connection_failed"), TIMEOUT)
    assert a.rec.calls == [("connection_failed",)]
