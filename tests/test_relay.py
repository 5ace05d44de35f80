"""The multiplayer relay under load (issue 11 item 1): readers that keep up are never closed
and get every message; the sender is pushed back instead; only a reader that takes nothing
for ``stall_timeout`` is dropped."""

from __future__ import annotations

import time
from typing import Any

from godot_ws import CONNECTION_CONNECTED, OK, WebSocketClient, WebSocketServer


class Game:
    """A relay host and ``n`` multiplayer clients, all joined."""

    def __init__(self, n: int) -> None:
        self.host = WebSocketServer()
        self.host.bind_ip = "127.0.0.1"
        assert self.host.listen(0, gd_mp_api=True) == OK
        self.left: list[int] = []
        self.host.peer_disconnected.connect(self.left.append)
        url = f"ws://127.0.0.1:{self.host.get_local_port()}"
        self.clients = [WebSocketClient() for _ in range(n)]
        for c in self.clients:
            assert c.connect_to_url(url, gd_mp_api=True) == OK
        self.run(lambda: all(c.get_unique_id() and c.get_connection_status()
                             == CONNECTION_CONNECTED for c in self.clients), what="joining")
        for _ in range(10):  # the SYS_ADD traffic settles
            self.frame()

    def frame(self, host: bool = True, skip: tuple[Any, ...] = ()) -> None:
        if host:
            self.host.poll()
        for c in self.clients:
            if c not in skip:
                c.poll()

    def run(self, condition: Any, timeout: float = 10.0, what: str = "condition",
            skip: tuple[Any, ...] = ()) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            self.frame(skip=skip)

    def close(self) -> None:
        for c in self.clients:
            c.disconnect_from_host()
        self.host.stop()


def _read_all(client: WebSocketClient, into: list[bytes]) -> None:
    while client.get_available_packet_count():
        into.append(client.get_packet())


def test_readers_that_keep_up_through_a_host_pause_get_everything() -> None:
    # The scenario: a sender puts 5 x 1000 B a frame to everyone but the server; the
    # host skips 18 frames once (300 ms at 60 FPS); both readers read every frame. Before,
    # both were closed with 1008 "output buffer full" after 144 of 430 messages.
    game = Game(3)
    sender, *readers = game.clients
    sender.set_target_peer(-1)
    got: dict[Any, list[bytes]] = {r: [] for r in readers}
    sent = 0
    for frame_no in range(86):
        for _ in range(5):
            assert sender.put_packet(b"%06d" % sent + b"x" * 994) == OK
            sent += 1
        game.frame(host=not 20 <= frame_no < 38)
        for r in readers:
            _read_all(r, got[r])
    game.run(lambda: all(len(got[r]) == sent for r in readers)
             or any(r.get_connection_status() != CONNECTION_CONNECTED for r in readers),
             what="every message")
    for r in readers:
        _read_all(r, got[r])
        assert r.get_connection_status() == CONNECTION_CONNECTED
        assert [int(m[:6]) for m in got[r]] == list(range(sent))
    assert game.left == []
    game.close()


def test_a_200_kb_burst_to_everyone_reaches_every_reader() -> None:
    game = Game(3)
    sender, *readers = game.clients
    sender.set_target_peer(-1)
    sent = 0
    while sent < 200:  # one frame's burst; poll only if our own output is full
        if sender.put_packet(b"%06d" % sent + b"y" * 994) == OK:
            sent += 1
        else:
            sender.poll()
    got: dict[Any, list[bytes]] = {r: [] for r in readers}

    def done() -> bool:
        for r in readers:
            _read_all(r, got[r])
        return all(len(got[r]) == sent for r in readers) or bool(game.left)

    game.run(done, what="the burst")
    assert game.left == []
    for r in readers:
        assert r.get_connection_status() == CONNECTION_CONNECTED
        assert [int(m[:6]) for m in got[r]] == list(range(sent))
    game.close()


def test_a_reader_that_never_reads_is_dropped_after_stall_timeout_and_others_get_all() -> None:
    game = Game(3)
    sender, reader, stuck = game.clients
    relay = game.host._relay
    assert relay is not None
    relay.stall_timeout = 0.3
    stuck_id = stuck.get_unique_id()
    sender.set_target_peer(-1)
    got: list[bytes] = []
    sent = 0
    payload = b"z" * 16000
    deadline = time.monotonic() + 20
    while stuck_id not in game.left:  # bounded: 20 s, and at most 4000 x 16 KB
        assert time.monotonic() < deadline and sent < 4000, "the stuck reader stayed"
        while sent < 4000 and sender.put_packet(b"%06d" % sent + payload) == OK:
            sent += 1
        game.frame(skip=(stuck,))
        _read_all(reader, got)
    game.run(lambda: _read_all(reader, got) or len(got) == sent, what="the rest",
             skip=(stuck,))
    assert [int(m[:6]) for m in got] == list(range(sent))
    assert game.left == [stuck_id]
    assert reader.get_connection_status() == CONNECTION_CONNECTED
    game.close()
