"""A host's poll looks only at clients with something to do (issue 11 item 10): idle players
cost nothing per frame (the time per poll is measured in ``python -m bench``)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from godot_ws import CONNECTION_CONNECTED, OK, WebSocketClient, WebSocketServer
from godot_ws.net.connection import Connection


def count_pumps(monkeypatch: pytest.MonkeyPatch) -> list[Connection]:
    """From now on, every Connection.pump call appends its connection to the returned list."""
    pumped: list[Connection] = []
    real_pump = Connection.pump

    def counting_pump(self: Connection, first: bytes | None = None, *args: Any) -> int:
        pumped.append(self)
        return real_pump(self, first, *args)

    monkeypatch.setattr(Connection, "pump", counting_pump)
    return pumped


def test_idle_clients_are_not_pumped_and_an_active_one_is(monkeypatch: Any) -> None:
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    assert server.listen(0) == OK
    got: list[bytes] = []
    server.data_received.connect(lambda pid: got.append(server.get_peer(pid).get_packet()))
    url = f"ws://127.0.0.1:{server.get_local_port()}"
    clients = [WebSocketClient() for _ in range(30)]
    for c in clients:
        c.connect_to_url(url)
    deadline = time.monotonic() + 10
    while not all(c.get_connection_status() == CONNECTION_CONNECTED for c in clients):
        assert time.monotonic() < deadline
        server.poll()
        for c in clients:
            c.poll()
    for _ in range(5):
        server.poll()
    pumped = count_pumps(monkeypatch)
    for _ in range(20):
        server.poll()
    assert pumped == []  # 30 idle clients, 20 polls: nobody looked at
    peer = clients[7].get_peer(1)
    assert peer is not None
    peer.put_packet(b"hello")
    deadline = time.monotonic() + 5
    while not got:
        assert time.monotonic() < deadline
        server.poll()
    assert got == [b"hello"]
    assert len(set(pumped)) == 1  # only the client that sent something
    for c in clients:
        c.disconnect_from_host()
    server.stop()


def test_slow_handshakes_are_not_stepped_while_they_send_nothing(monkeypatch: Any) -> None:
    import socket

    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    server.handshake_timeout = 30.0
    assert server.listen(0) == OK
    port = server.get_local_port()
    slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(30)]
    for s in slow:
        s.sendall(b"GET / HTTP/1.1\r\n")  # and nothing more
    for _ in range(20):
        server.poll()
    stepped = count_pumps(monkeypatch)
    for _ in range(20):
        server.poll()
    assert stepped == []
    joined: list[int] = []
    server.client_connected.connect(lambda pid, proto: joined.append(pid))
    client = WebSocketClient()
    client.connect_to_url(f"ws://127.0.0.1:{port}")
    deadline = time.monotonic() + 5
    while not joined:
        assert time.monotonic() < deadline
        server.poll()
        client.poll()
    slow[0].sendall(b"Host: x\r\n")  # a chunk: that connection alone is stepped
    before = len(stepped)
    deadline = time.monotonic() + 5
    while len(stepped) == before:
        assert time.monotonic() < deadline
        server.poll()
    for s in slow:
        s.close()
    client.disconnect_from_host()
    server.stop()


def test_a_host_sending_to_everyone_each_frame_reads_nobody(monkeypatch: Any) -> None:
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    assert server.listen(0) == OK
    joined: list[int] = []
    server.client_connected.connect(lambda pid, proto: joined.append(pid))
    url = f"ws://127.0.0.1:{server.get_local_port()}"
    clients = [WebSocketClient() for _ in range(10)]
    for c in clients:
        c.connect_to_url(url)
    deadline = time.monotonic() + 10
    while len(joined) < 10 or not all(c.get_connection_status() == CONNECTION_CONNECTED
                                      for c in clients):
        assert time.monotonic() < deadline
        server.poll()
        for c in clients:
            c.poll()
    for _ in range(5):
        server.poll()
    pumped = count_pumps(monkeypatch)
    frames = 30  # more frames than one write-through budget: the budget comes back each poll
    for frame_no in range(frames):
        server.poll()
        for pid in joined:
            peer = server.get_peer(pid)
            assert peer is not None
            assert peer.put_packet(b"state %d" % frame_no) == OK
    monkeypatch.undo()  # reading again below must not count
    assert pumped == []
    got: dict[int, list[bytes]] = {i: [] for i in range(len(clients))}
    deadline = time.monotonic() + 5
    while any(len(v) < frames for v in got.values()):
        assert time.monotonic() < deadline
        for i, c in enumerate(clients):
            c.poll()
            peer = c.get_peer(1)
            while peer.get_available_packet_count():
                got[i].append(peer.get_packet())
    assert all(v == [b"state %d" % n for n in range(frames)] for v in got.values())
    for c in clients:
        c.disconnect_from_host()
    server.stop()
