"""WebSocketServer against our client, the websockets library's client and raw hostile sockets;
plus a bounded load test."""

from __future__ import annotations

import socket
import struct
import threading
import time
import tracemalloc
from typing import Any

import pytest
from support import frame, poll_until
from websockets.sync.client import connect

from godot_ws import (
    CONNECTION_CONNECTED,
    CONNECTION_DISCONNECTED,
    ERR_ALREADY_IN_USE,
    ERR_CANT_CREATE,
    ERR_OUT_OF_MEMORY,
    FAILED,
    OK,
    WebSocketClient,
    WebSocketPeer,
    WebSocketServer,
)


class Loop:
    """Polls a server and any clients together, as one game loop would."""

    def __init__(self, server: WebSocketServer, *clients: WebSocketClient) -> None:
        self.server = server
        self.clients = list(clients)

    def poll(self) -> None:
        self.server.poll()
        for client in self.clients:
            client.poll()


def make_server(*protocols: str, echo: bool = True, **buffers: int) -> WebSocketServer:
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    if buffers:
        assert server.set_buffers(buffers["in_kb"], buffers["in_pkts"], buffers["out_kb"],
                                  buffers["out_pkts"]) == OK
    server.events = []  # type: ignore[attr-defined]
    record = server.events  # type: ignore[attr-defined]
    server.client_connected.connect(lambda i, p: record.append(("connected", i, p)))
    server.client_close_request.connect(lambda i, c, r: record.append(("close_request", i, c, r)))
    server.client_disconnected.connect(
        lambda i, clean: record.append(("disconnected", i, clean, server.has_peer(i))))
    if echo:
        def on_data(peer_id: int) -> None:
            peer = server.get_peer(peer_id)
            assert peer is not None
            data = peer.get_packet()
            peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT if peer.was_string_packet()
                                else WebSocketPeer.WRITE_MODE_BINARY)
            assert peer.put_packet(data) == OK
        server.data_received.connect(on_data)
    assert server.listen(0, list(protocols)) == OK
    return server


def url(server: WebSocketServer) -> str:
    return f"ws://127.0.0.1:{server.get_local_port()}/"


def names(server: WebSocketServer) -> list[str]:
    return [e[0] for e in server.events]  # type: ignore[attr-defined]


@pytest.fixture
def server() -> Any:
    server = make_server("chat", "json")
    yield server
    server.stop()


def join(server: WebSocketServer, protocols: tuple[str, ...] = ("chat",)) -> tuple[Loop,
                                                                                     WebSocketClient]:
    client = WebSocketClient()
    assert client.connect_to_url(url(server), list(protocols)) == OK
    loop = Loop(server, client)
    poll_until(loop, lambda: client.get_connection_status() == CONNECTION_CONNECTED)
    return loop, client


def test_listen_errors(server: WebSocketServer) -> None:
    assert server.listen(0) == ERR_ALREADY_IN_USE
    other = WebSocketServer()
    other.bind_ip = "127.0.0.1"
    assert other.listen(server.get_local_port()) == ERR_CANT_CREATE
    assert other.set_buffers(1, 1, 1, 1) == OK
    assert server.set_buffers(1, 1, 1, 1) == FAILED
    assert server.is_listening() and not other.is_listening()


def test_our_client_echo_and_protocol_choice(server: WebSocketServer) -> None:
    loop, client = join(server, ("xml", "json", "chat"))
    (_, peer_id, protocol), = server.events  # type: ignore[attr-defined]
    assert protocol == "json"  # the first of the client's list that the server supports
    assert peer_id > 1 and server.has_peer(peer_id)
    assert server.get_peer_address(peer_id) == "127.0.0.1"
    assert server.get_peer_port(peer_id) > 0
    peer = client.get_peer(1)
    assert peer is not None
    peer.put_packet(b"bin")
    peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)
    peer.put_packet("tëxt".encode())
    got: list[tuple[bytes, bool]] = []

    def drained() -> bool:
        while peer.get_available_packet_count():
            got.append((peer.get_packet(), peer.was_string_packet()))
        return len(got) == 2

    poll_until(loop, drained)
    assert got == [(b"bin", False), ("tëxt".encode(), True)]


def test_client_close_gives_close_request_then_clean_disconnect(server: WebSocketServer) -> None:
    loop, client = join(server)
    client.disconnect_from_host(4001, "bye")
    poll_until(loop, lambda: "disconnected" in names(server))
    peer_id = server.events[0][1]  # type: ignore[attr-defined]
    assert server.events[1:] == [  # type: ignore[attr-defined]
        ("close_request", peer_id, 4001, "bye"),
        ("disconnected", peer_id, True, True),  # has_peer is still true inside the signal
    ]
    assert not server.has_peer(peer_id)
    poll_until(loop, lambda: client.get_connection_status() == CONNECTION_DISCONNECTED)


def test_disconnect_peer_sends_code_and_reason(server: WebSocketServer) -> None:
    loop, client = join(server)
    seen: list[Any] = []
    client.server_close_request.connect(lambda c, r: seen.append((c, r)))
    client.connection_closed.connect(lambda clean: seen.append(clean))
    peer_id = server.events[0][1]  # type: ignore[attr-defined]
    server.disconnect_peer(peer_id, 4444, "kicked")
    poll_until(loop, lambda: "disconnected" in names(server))
    poll_until(loop, lambda: len(seen) == 2)
    assert seen == [(4444, "kicked"), True]
    assert server.events[-1] == ("disconnected", peer_id, True, True)  # type: ignore[attr-defined]


def test_client_without_a_common_protocol_is_refused(server: WebSocketServer) -> None:
    client = WebSocketClient()
    errors: list[bool] = []
    client.connection_error.connect(lambda: errors.append(True))
    client.connect_to_url(url(server), ["xml"])
    poll_until(Loop(server, client), lambda: bool(errors))
    assert server.events == []  # type: ignore[attr-defined]


def test_websockets_client_talks_to_our_server() -> None:
    server = make_server()
    results: list[Any] = []

    def run() -> None:
        with connect(url(server), subprotocols=None) as ws:
            ws.send(b"\x00\x01")
            ws.send("text")
            results.append(ws.recv(timeout=5))
            results.append(ws.recv(timeout=5))
            ws.close(1000, "done")
        results.append("closed")

    thread = threading.Thread(target=run)
    thread.start()
    poll_until(server, lambda: "disconnected" in names(server), timeout=10)
    thread.join(5)
    server.stop()
    assert results == [b"\x00\x01", "text", "closed"]
    assert server.events[-2][2:] == (1000, "done")  # type: ignore[attr-defined]
    assert server.events[-1][2] is True  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- hostile clients


def raw_client(server: WebSocketServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.get_local_port()))
    sock.settimeout(5)
    return sock


UPGRADE = (b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")


def handshake_raw(server: WebSocketServer, sock: socket.socket) -> None:
    sock.sendall(UPGRADE + b"\r\n")
    data = b""
    deadline = time.monotonic() + 5
    while b"\r\n\r\n" not in data and time.monotonic() < deadline:
        server.poll()
        try:
            sock.settimeout(0.01)
            data += sock.recv(4096)
        except TimeoutError:
            pass
    assert data.startswith(b"HTTP/1.1 101")


def masked(opcode: int, payload: bytes, key: bytes = b"\x11\x22\x33\x44",
           length: int | None = None) -> bytes:
    head = frame(opcode, b"", length=len(payload) if length is None else length)
    head = bytes([head[0], head[1] | 0x80]) + head[2:]
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def test_slow_headers_time_out_without_stalling_others() -> None:
    server = make_server()
    # 1 s: the good client below must finish its own handshake inside it on a loaded machine
    server.handshake_timeout = 1.0
    slow = raw_client(server)
    slow.sendall(UPGRADE[:20])  # and never more
    loop, client = join(server, ())  # a good client joins meanwhile
    slow.settimeout(3)
    start = time.monotonic()
    while time.monotonic() - start < 15:  # ends as soon as the slow client is dropped
        loop.poll()
        try:
            slow.settimeout(0.01)
            if slow.recv(100) == b"":
                break
        except TimeoutError:
            continue
    else:
        pytest.fail("the slow client was never dropped")
    assert client.get_connection_status() == CONNECTION_CONNECTED
    server.stop()


def test_huge_frame_claim_gets_1009_and_unmasked_frame_1002() -> None:
    server = make_server(in_kb=4, in_pkts=16, out_kb=64, out_pkts=1024)
    huge = raw_client(server)
    handshake_raw(server, huge)
    huge.sendall(masked(2, b"", length=2**62))
    unmasked = raw_client(server)
    handshake_raw(server, unmasked)
    unmasked.sendall(frame(2, b"no mask"))
    poll_until(server, lambda: names(server).count("disconnected") == 2)
    for sock, code in ((huge, 1009), (unmasked, 1002)):
        data = b""
        sock.settimeout(2)
        while True:
            chunk = sock.recv(100)
            if not chunk:
                break
            data += chunk
        assert data == frame(8, struct.pack("!H", code))
    assert [e[2] for e in server.events if e[0] == "disconnected"] == [False, False]  # type: ignore[attr-defined]
    server.stop()


def test_a_client_that_never_reads_hits_the_output_limit() -> None:
    server = make_server(echo=False, in_kb=64, in_pkts=1024, out_kb=64, out_pkts=1024)
    lazy = raw_client(server)
    lazy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    handshake_raw(server, lazy)
    poll_until(server, lambda: "connected" in names(server))
    peer = server.get_peer(server.events[0][1])  # type: ignore[attr-defined]
    assert peer is not None
    results = []
    tracemalloc.start()
    for _ in range(100_000):  # at most 100 MB: far beyond what the kernel's buffers hold
        results.append(peer.put_packet(b"x" * 1000))
        server.poll()
        if results[-1] == ERR_OUT_OF_MEMORY:
            break
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert results[-1] == ERR_OUT_OF_MEMORY  # it stops accepting instead of growing
    assert peak < 1_000_000, f"peak {peak} bytes"
    server.stop()


def test_messages_sent_before_a_client_closes_are_all_delivered() -> None:
    server = make_server(echo=False)
    got: list[bytes] = []

    def on_data(peer_id: int) -> None:
        peer = server.get_peer(peer_id)
        assert peer is not None
        got.append(peer.get_packet())

    server.data_received.connect(on_data)
    sock = raw_client(server)
    handshake_raw(server, sock)
    sock.sendall(b"".join(masked(2, struct.pack("<I", i)) for i in range(500))
                 + masked(8, struct.pack("!H", 1000)))
    poll_until(server, lambda: "disconnected" in names(server))
    assert [struct.unpack("<I", g)[0] for g in got] == list(range(500))
    assert server.events[-1][2] is True  # type: ignore[attr-defined]
    server.stop()


# ---------------------------------------------------------------------- load


def test_load_200_clients_every_message_arrives() -> None:
    server = make_server()
    clients = [WebSocketClient() for _ in range(200)]
    for client in clients:
        assert client.connect_to_url(url(server)) == OK
    loop = Loop(server, *clients)
    poll_until(loop, lambda: all(c.get_connection_status() == CONNECTION_CONNECTED
                                 for c in clients), timeout=30, what="200 connections")
    per_client = 20
    for i, client in enumerate(clients):
        peer = client.get_peer(1)
        assert peer is not None
        for n in range(per_client):
            assert peer.put_packet(struct.pack("<II", i, n)) == OK
    received: dict[int, list[int]] = {i: [] for i in range(len(clients))}

    def all_back() -> bool:
        for i, client in enumerate(clients):
            peer = client.get_peer(1)
            assert peer is not None
            while peer.get_available_packet_count():
                who, n = struct.unpack("<II", peer.get_packet())
                assert who == i
                received[i].append(n)
        return all(len(v) == per_client for v in received.values())

    tracemalloc.start()
    poll_until(loop, all_back, timeout=60, what="every echo")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert all(v == list(range(per_client)) for v in received.values())
    assert peak < 20_000_000, f"peak {peak} bytes"
    for client in clients:
        client.disconnect_from_host()
    poll_until(loop, lambda: names(server).count("disconnected") == 200, timeout=30)
    server.stop()


def test_godot_style_nul_after_a_close_reason_is_stripped() -> None:
    server = make_server(echo=False)
    sock = raw_client(server)
    handshake_raw(server, sock)
    sock.sendall(masked(8, struct.pack("!H", 4002) + b"bye\0"))  # as Godot 3.x sends it
    poll_until(server, lambda: "disconnected" in names(server))
    assert [e[2:] for e in server.events if e[0] == "close_request"] == [(4002, "bye")]  # type: ignore[attr-defined]
    server.stop()


def test_refuse_new_connections_turns_clients_away() -> None:
    server = make_server()
    server.refuse_new_connections = True
    client = WebSocketClient()
    errors: list[bool] = []
    client.connection_error.connect(lambda: errors.append(True))
    client.connect_to_url(url(server))
    poll_until(Loop(server, client), lambda: bool(errors))
    assert server.events == []  # type: ignore[attr-defined]
    server.set_refuse_new_connections(False)
    loop, joined = join(server, ())
    assert joined.get_connection_status() == CONNECTION_CONNECTED
    server.stop()


def test_disconnect_peer_without_a_reply_ends_unclean_after_close_timeout() -> None:
    server = make_server(echo=False)
    server.close_timeout = 0.3
    sock = raw_client(server)  # reads nothing and never answers the close
    handshake_raw(server, sock)
    poll_until(server, lambda: "connected" in names(server))
    peer_id = server.events[0][1]  # type: ignore[attr-defined]
    server.disconnect_peer(peer_id, 4000, "go")
    poll_until(server, lambda: "disconnected" in names(server), timeout=3)
    assert server.events[-1] == ("disconnected", peer_id, False, True)  # type: ignore[attr-defined]
    server.stop()


# ------------------------------------------------------------------ caller mistakes (issue 12)


@pytest.mark.parametrize("port", [-1, 65536, 70000])
def test_listen_with_a_bad_port_logs_why(port: int, caplog: pytest.LogCaptureFixture) -> None:
    from godot_ws import ERR_INVALID_PARAMETER

    server = WebSocketServer()
    with caplog.at_level("ERROR", logger="godot_ws"):
        assert server.listen(port) == ERR_INVALID_PARAMETER
    assert [r.getMessage() for r in caplog.records] == [
        f"listen: port {port} is outside 0-65535"]
    assert not server.is_listening()


@pytest.mark.parametrize("bad", ["not-an-ip", "", "localhost", "127.0.0.256", "1.2.3"])
def test_bind_ip_refuses_what_godot_refuses(bad: str, caplog: pytest.LogCaptureFixture) -> None:
    # Godot 3.2.3 prints "Invalid IP address" and keeps the old value (checked on the binary).
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    with caplog.at_level("ERROR", logger="godot_ws"):
        server.bind_ip = bad
    assert server.bind_ip == "127.0.0.1"
    assert "is not an IP address" in caplog.text
    for good in ("*", "::1", "0.0.0.0", "127.0.0.1"):
        server.bind_ip = good
        assert server.bind_ip == good
    with pytest.raises(TypeError):
        server.bind_ip = None  # type: ignore[assignment]


def test_bind_ip_cannot_change_while_listening(server: WebSocketServer) -> None:
    server.bind_ip = "0.0.0.0"
    assert server.bind_ip == "127.0.0.1"


def test_wss_to_a_plain_server_fails_at_once_with_a_hint(
        server: WebSocketServer, caplog: pytest.LogCaptureFixture) -> None:
    # Both timeouts are long: the failure must come from the server refusing a ClientHello
    # it can never parse as HTTP, not from a timer (it took handshake_timeout, 3 s, before).
    server.handshake_timeout = 60
    client = WebSocketClient()
    client.handshake_timeout = 60
    failed: list[bool] = []
    client.connection_error.connect(lambda: failed.append(True))
    caplog.set_level("INFO", logger="godot_ws")
    assert client.connect_to_url(f"wss://127.0.0.1:{server.get_local_port()}/") == OK
    poll_until(Loop(server, client), lambda: bool(failed), timeout=5, what="connection_error")
    assert "(is the server plain ws://?)" in caplog.text
    assert "it used wss:// on this plain ws:// server" in caplog.text


def test_a_plain_client_on_a_multiplayer_host_is_turned_away_at_its_handshake(
        caplog: pytest.LogCaptureFixture) -> None:
    """godot_ws's plain clients say so in their upgrade request (X-Godot-WS-Mode: plain): the
    multiplayer host closes them with a reason before sending a SYS byte, without waiting for
    them to send, and they never become peers."""
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    assert server.listen(0, gd_mp_api=True) == OK
    joined: list[int] = []
    server.peer_connected.connect(joined.append)
    server.peer_disconnected.connect(joined.append)
    clients = [WebSocketClient() for _ in range(4)]
    requests: list[tuple[int, str]] = []
    closed: list[bool] = []
    data: list[bytes] = []
    for client in clients:
        client.server_close_request.connect(lambda code, reason: requests.append((code, reason)))
        client.connection_closed.connect(closed.append)
        client.data_received.connect(lambda c=client: data.append(c.get_peer(1).get_packet()))
        assert client.connect_to_url(url(server)) == OK  # plain mode; they never send
    caplog.set_level("WARNING", logger="godot_ws")
    poll_until(Loop(server, *clients), lambda: len(closed) == len(clients),
               what="every plain client to be closed")
    assert requests == [(1003, "not a Godot multiplayer client: connect with gd_mp_api=true")] * 4
    assert closed == [True] * 4 and data == [] and joined == []
    lines = [r.getMessage() for r in caplog.records if "not a Godot multiplayer" in
             r.getMessage() and r.name.startswith("godot_ws.godot3")]
    assert len(lines) == 1, lines  # rate-limited: one line for the four
    assert "it sent a handshake saying it is a plain client" in lines[0]
    # ... and each client says why it was closed
    assert caplog.text.count("closed the connection (1003): not a Godot multiplayer") == 4
    server.stop()


def test_a_foreign_plain_client_is_closed_when_it_sends(caplog: pytest.LogCaptureFixture) -> None:
    """Clients of other libraries send no such header: the host knows them by their first
    message (a type byte no multiplayer peer sends) and closes them with the same reason."""
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    assert server.listen(0, gd_mp_api=True) == OK
    closes: list[tuple[int, str]] = []

    def run() -> None:
        with connect(url(server)) as ws:
            ws.send("position 10 20")
            try:
                while True:
                    ws.recv(timeout=5)
            except Exception:
                pass
            if ws.close_code is not None:
                closes.append((ws.close_code, ws.close_reason or ""))

    caplog.set_level("WARNING", logger="godot_ws")
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    poll_until(server, lambda: len(closes) == 2 or not any(t.is_alive() for t in threads),
               timeout=10, what="the foreign clients to be closed")
    for thread in threads:
        thread.join(5)
    server.stop()
    assert closes == [(1003, "not a Godot multiplayer client: connect with gd_mp_api=true")] * 2
    lines = [r.getMessage() for r in caplog.records if "not a Godot multiplayer" in
             r.getMessage()]
    assert len(lines) == 1, lines  # rate-limited
    assert "a message of type 112, which no multiplayer peer sends" in lines[0]


def test_hostile_control_and_fragment_floods_are_closed_at_once() -> None:
    """Issue 11.2/11.3 on the server: a ping claiming 2**62 bytes (then a stream of data) is
    a 1002 at its header; empty continuation frames end in 1009 at the fragment cap; an honest
    client keeps echoing meanwhile."""
    server = make_server()
    loop, client = join(server, ())
    ping = raw_client(server)
    handshake_raw(server, ping)
    ping.sendall(masked(9, b"", length=2**62) + bytes(300_000))
    empty = raw_client(server)
    handshake_raw(server, empty)

    def unfinished(frame_bytes: bytes) -> bytes:  # clear FIN
        return bytes([frame_bytes[0] & 0x7F]) + frame_bytes[1:]

    empty.sendall(unfinished(masked(2, b"x")) + unfinished(masked(0, b"")) * 3000)
    poll_until(loop, lambda: names(server).count("disconnected") == 2, what="both closed")
    for sock, code in ((ping, 1002), (empty, 1009)):
        data = b""
        sock.settimeout(2)
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
        assert data.startswith(frame(8, struct.pack("!H", code))), (code, data[:20])
    peer = client.get_peer(1)
    assert peer.put_packet(b"still here") == OK
    poll_until(loop, lambda: peer.get_available_packet_count() == 1, what="the echo")
    server.stop()


def test_multiplayer_put_packet_refuses_an_oversized_bytearray_before_copying() -> None:
    """Issue 11.9: the host's put_packet checks the size first (no copy of 100 MB)."""
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    assert server.listen(0, gd_mp_api=True) == OK
    big = bytearray(100_000_000)
    tracemalloc.start()
    try:
        assert server.put_packet(big) == ERR_OUT_OF_MEMORY
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, peak
    server.stop()
