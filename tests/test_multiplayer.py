"""Multiplayer mode (gd_mp_api): the 9-byte header codec, MultiplayerClient on its own, and a
WebSocketClient against a scripted raw socket server for signal order, what the client sends,
back-pressure and malformed input (FACTS 2)."""

from __future__ import annotations

import logging
import queue
import socket
import struct
import time
from typing import Any

import pytest
from support import RawServer, frame, ok_response, poll_until, read_request

from godot_ws import (
    CONNECTION_CONNECTED,
    CONNECTION_CONNECTING,
    CONNECTION_DISCONNECTED,
    ERR_UNAVAILABLE,
    ERR_UNCONFIGURED,
    FAILED,
    OK,
    TRANSFER_MODE_RELIABLE,
    TRANSFER_MODE_UNRELIABLE,
    WebSocketClient,
    WebSocketPeer,
    WebSocketServer,
)
from godot_ws.variant.types3 import Vector2
from godot_ws.godot3.multiplayer import (
    PROTO_SIZE,
    Header,
    MultiplayerClient,
    SysType,
    decode_header,
    encode_header,
)
from godot_ws.core.protocol import PacketQueue
from godot_ws.common.signals import Signal
from godot_ws.variant.codec import encode_var

MY_ID = 123456789
MP_SIGNALS = ("peer_connected", "peer_disconnected", "peer_packet", "connection_succeeded",
              "connection_failed", "server_disconnected")
PLAIN_SIGNALS = ("connection_established", "connection_error", "connection_closed",
                 "server_close_request", "data_received")


def mp(kind: int, src: int, dst: int, payload: bytes = b"") -> bytes:
    return struct.pack("<Bii", kind, src, dst) + payload


def sys_msg(kind: int, peer_id: int) -> bytes:
    return mp(kind, 1, 0, struct.pack("<i", peer_id))


def wire(*messages: bytes) -> bytes:
    """Binary frames, one per message, as a Godot server writes them."""
    return b"".join(frame(2, m) for m in messages)


JOIN = wire(sys_msg(3, MY_ID), sys_msg(1, 1))  # SYS_ID then SYS_ADD(server): FACTS 2.2


# ---------------------------------------------------------------------- header codec


def test_header_layout() -> None:
    assert PROTO_SIZE == 9
    assert [int(t) for t in SysType] == [0, 1, 2, 3]
    assert encode_header(SysType.SYS_ID, 1, 0) == bytes.fromhex("03 01000000 00000000")
    assert encode_header(0, 0x12345678, -2) == bytes.fromhex("00 78563412 feffffff")
    head = decode_header(bytes.fromhex("02 01000000 00000000 05000000"))
    assert head == Header(SysType.SYS_DEL, 1, 0) and head.from_ == 1 and head.to == 0
    assert decode_header(encode_header(0, 7, -(2**31))) == (0, 7, -(2**31))
    assert decode_header(encode_header(0, 2**31 - 1, 0)).from_ == 2**31 - 1


def test_header_errors() -> None:
    with pytest.raises(ValueError):
        decode_header(b"\x00" * 8)
    with pytest.raises(struct.error):
        encode_header(0, 2**31, 0)
    with pytest.raises(struct.error):
        encode_header(256, 1, 0)


# ---------------------------------------------------------------------- MultiplayerClient


class FakeSignals:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        for name in MP_SIGNALS:
            sig = Signal(name)
            sig.connect(lambda *a, n=name: self.calls.append((n, *a)))
            setattr(self, name, sig)


def raw_queue(*messages: bytes) -> PacketQueue:
    q = PacketQueue(1024, 1 << 20)
    for m in messages:
        q.packets.append((m, False))
        q.nbytes += len(m)
    return q


def test_state_signal_order() -> None:
    sig = FakeSignals()
    state = MultiplayerClient(sig, 16, 1024)  # type: ignore[arg-type]
    raw = raw_queue(sys_msg(3, MY_ID), sys_msg(1, 1), sys_msg(1, 42), mp(0, 42, 0, b"hi"),
                    mp(0, 1, MY_ID, b""), sys_msg(2, 42))
    assert state.unique_id == 0
    assert state.receive(raw) == 6
    assert state.unique_id == MY_ID
    assert sig.calls == [("peer_connected", 1), ("connection_succeeded",),
                         ("peer_connected", 42), ("peer_packet", 42), ("peer_packet", 1),
                         ("peer_disconnected", 42)]
    assert state.packet_peer() == 42 and state.pop() == b"hi"
    assert state.packet_peer() == 1 and state.pop() == b""
    assert state.packet_peer() is None and state.pop() is None
    state.connection_lost()  # Godot 3: connection_failed, joined or not
    assert sig.calls[-1] == ("connection_failed",)


def test_state_lost_before_joining_is_connection_failed() -> None:
    sig = FakeSignals()
    state = MultiplayerClient(sig, 16, 1024)  # type: ignore[arg-type]
    state.receive(raw_queue(sys_msg(3, MY_ID), sys_msg(1, 5)))  # a peer, but not the server
    state.connection_lost()
    assert sig.calls == [("peer_connected", 5), ("connection_failed",)]


def test_state_frame_uses_id_and_target() -> None:
    state = MultiplayerClient(FakeSignals(), 16, 1024, target_peer=-9)  # type: ignore[arg-type]
    state.unique_id = MY_ID
    assert state.frame(b"xy") == mp(0, MY_ID, -9, b"xy")


def test_state_stops_taking_when_full_and_force_takes_all() -> None:
    sig = FakeSignals()
    state = MultiplayerClient(sig, 4, 1000)  # type: ignore[arg-type]
    raw = raw_queue(*[mp(0, 1, 0, bytes([i]) * 10) for i in range(6)], sys_msg(2, 77))
    assert state.receive(raw) == 4
    assert len(raw.packets) == 3 and len(state.packets) == 4
    assert [c for c in sig.calls if c[0] == "peer_packet"] == [("peer_packet", 1)] * 4
    assert state.receive(raw) == 0  # still full: nothing moves, nothing is lost
    assert state.pop() == bytes([0]) * 10
    assert state.receive(raw) == 1
    assert state.receive(raw, force=True) == 2
    assert not raw.packets and len(state.packets) == 5
    assert sig.calls[-1] == ("peer_disconnected", 77)  # order kept: after the 6th packet


def test_state_byte_limit() -> None:
    state = MultiplayerClient(FakeSignals(), 100, 25)  # type: ignore[arg-type]
    raw = raw_queue(mp(0, 1, 0, b"a" * 20), mp(0, 1, 0, b"b" * 10), mp(0, 1, 0, b"c" * 40))
    assert state.receive(raw) == 1  # 20 + 10 > 25
    state.pop()
    assert state.receive(raw) == 1
    state.pop()
    assert state.receive(raw) == 1  # an empty queue takes one message of any size
    assert state.nbytes == 40


@pytest.mark.parametrize(("message", "reason"), [
    (b"\x00\x01\x00\x00\x00\x00\x00\x00", "shorter than the 9-byte header"),
    (b"", "shorter than the 9-byte header"),
    (mp(1, 5, 0, struct.pack("<i", 6)), "only the server"),
    (mp(3, 1, 0, b"\x01\x02"), "without a peer id"),
    (mp(9, 1, 0, struct.pack("<i", 6)), "unknown type 9"),
    (sys_msg(3, 0), "invalid id 0"),
    (sys_msg(3, 1), "invalid id 1"),
])
def test_state_drops_malformed_messages(message: bytes, reason: str, caplog: Any) -> None:
    sig = FakeSignals()
    state = MultiplayerClient(sig, 16, 1024)  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR, "godot_ws"):
        assert state.receive(raw_queue(message, mp(0, 3, 0, b"ok"))) == 2
    assert reason in caplog.text
    assert sig.calls == [("peer_packet", 3)]
    assert state.unique_id == 0 and list(state.packets) == [(3, b"ok")]


# ---------------------------------------------------------------------- a scripted server


class MPServer:
    """A raw server speaking as a Godot multiplayer server: the test queues bytes with
    ``send``; the client's frames are parsed into ``frames`` as (opcode, payload)."""

    def __init__(self, join: bytes | None = JOIN) -> None:
        self.outbox: queue.Queue[bytes | None] = queue.Queue()
        self.frames: list[tuple[int, bytes]] = []
        if join is not None:
            self.outbox.put(join)
        self.raw = RawServer(self._script)
        self.url = self.raw.url

    def send(self, data: bytes | None) -> None:
        """Queue bytes for the client; None drops TCP (no close frame)."""
        self.outbox.put(data)

    def payloads(self) -> list[bytes]:
        return [p for op, p in self.frames if op in (1, 2)]

    def _script(self, conn: socket.socket, server: RawServer) -> None:
        _, headers = read_request(conn)
        conn.sendall(ok_response(headers))
        conn.settimeout(0.005)
        buf = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                item = self.outbox.get_nowait()
                if item is None:
                    return
                conn.sendall(item)
            except queue.Empty:
                pass
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                return
            buf += chunk
            buf = self._parse(buf)

    def _parse(self, buf: bytes) -> bytes:
        while len(buf) >= 6:
            n = buf[1] & 0x7F
            pos = 2
            if n == 126:
                n, pos = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                n, pos = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < pos + 4 + n:
                break
            key = buf[pos : pos + 4]
            data = buf[pos + 4 : pos + 4 + n]
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(data))
            self.frames.append((buf[0] & 0x0F, payload))
            buf = buf[pos + 4 + n :]
        return buf

    def close(self) -> None:
        self.outbox.put(None)
        self.raw.close()


class Recorder:
    def __init__(self, client: WebSocketClient) -> None:
        self.calls: list[tuple[Any, ...]] = []
        for name in MP_SIGNALS + PLAIN_SIGNALS:
            getattr(client, name).connect(lambda *a, n=name: self.calls.append((n, *a)))

    def has(self, name: str) -> bool:
        return any(c[0] == name for c in self.calls)


@pytest.fixture
def server() -> Any:
    srv = MPServer()
    yield srv
    srv.close()


def mp_client(url: str) -> tuple[WebSocketClient, Recorder]:
    client = WebSocketClient()
    rec = Recorder(client)
    assert client.connect_to_url(url, gd_mp_api=True) == OK
    return client, rec


def joined(url: str) -> tuple[WebSocketClient, Recorder]:
    client, rec = mp_client(url)
    poll_until(client, lambda: rec.has("connection_succeeded"), what="connection_succeeded")
    return client, rec


def test_connected_at_handshake_with_id_zero_and_no_signal() -> None:
    server = MPServer(join=None)
    client, rec = mp_client(server.url)
    assert client.get_connection_status() == CONNECTION_CONNECTING
    poll_until(client, lambda: client.get_connection_status() == CONNECTION_CONNECTED)
    for _ in range(20):
        client.poll()
    assert client.get_unique_id() == 0
    assert rec.calls == []  # no connection_established in multiplayer mode
    assert client.put_packet(b"early") == ERR_UNCONFIGURED  # no id yet
    server.send(JOIN)
    poll_until(client, lambda: rec.has("connection_succeeded"))
    assert client.get_unique_id() == MY_ID
    assert rec.calls == [("peer_connected", 1), ("connection_succeeded",)]
    server.close()
    assert server.payloads() == []  # the refused packet never went out


def test_signal_order_and_packets(server: MPServer) -> None:
    server.send(wire(sys_msg(1, 77), mp(0, 77, 0, b"from77"), mp(0, 1, MY_ID, b"from1")))
    server.send(wire(sys_msg(1, 88), sys_msg(2, 77)))
    client, rec = mp_client(server.url)
    poll_until(client, lambda: rec.has("peer_disconnected"))
    assert rec.calls == [
        ("peer_connected", 1), ("connection_succeeded",), ("peer_connected", 77),
        ("peer_packet", 77), ("peer_packet", 1), ("peer_connected", 88),
        ("peer_disconnected", 77),
    ]
    assert client.get_available_packet_count() == 2
    assert client.get_packet_peer() == 77  # the source of the NEXT packet
    assert client.get_packet() == b"from77" and client.get_packet_error() == OK
    assert client.get_packet_peer() == 1
    assert client.get_packet() == b"from1"
    assert client.get_available_packet_count() == 0
    peer = client.get_peer(1)
    assert isinstance(peer, WebSocketPeer) and peer.is_connected_to_host()
    assert peer.get_available_packet_count() == 0  # the multiplayer layer took them


def test_handlers_can_read_and_send_inside_signals(server: MPServer) -> None:
    client = WebSocketClient()
    got: list[tuple[int, Any]] = []
    client.connection_succeeded.connect(lambda: client.put_var(["hello", client.get_unique_id()]))
    client.peer_packet.connect(lambda src: got.append((client.get_packet_peer(),
                                                       client.get_var())))
    client.connect_to_url(server.url, gd_mp_api=True)
    poll_until(client, lambda: len(server.frames) == 1, what="hello")
    assert server.frames == [(2, mp(0, MY_ID, 0, encode_var(["hello", MY_ID])))]
    server.send(wire(mp(0, 5, MY_ID, encode_var(Vector2(1.5, 2.0)))))
    poll_until(client, lambda: bool(got))
    assert got == [(5, Vector2(1.5, 2.0))]


def test_what_the_client_sends(server: MPServer) -> None:
    client, _ = joined(server.url)
    peer = client.get_peer(1)
    assert peer is not None
    peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)  # does not apply to the MP layer
    assert client.put_packet(b"all") == OK
    client.set_target_peer(1)
    assert client.put_packet(bytearray(b"server")) == OK
    client.set_target_peer(-42)
    assert client.put_var({"k": 3}) == OK
    client.set_target_peer(42)
    assert client.put_packet(b"") == OK
    poll_until(client, lambda: len(server.frames) == 4, what="4 frames")
    assert server.frames == [
        (2, mp(0, MY_ID, 0, b"all")),
        (2, mp(0, MY_ID, 1, b"server")),
        (2, mp(0, MY_ID, -42, encode_var({"k": 3}))),
        (2, mp(0, MY_ID, 42, b"")),
    ]
    with pytest.raises(TypeError):
        client.put_packet("text")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        client.set_target_peer(2**31)
    with pytest.raises(TypeError):
        client.set_target_peer("1")  # type: ignore[arg-type]


def test_target_peer_set_before_connecting_is_kept(server: MPServer) -> None:
    client = WebSocketClient()
    client.set_target_peer(1)
    rec = Recorder(client)
    client.connect_to_url(server.url, gd_mp_api=True)
    assert client.put_packet(b"x") == FAILED  # not connected yet
    poll_until(client, lambda: rec.has("connection_succeeded"))
    assert client.put_packet(b"x") == OK
    poll_until(client, lambda: bool(server.frames))
    assert server.frames == [(2, mp(0, MY_ID, 1, b"x"))]


def test_text_frames_are_multiplayer_messages_too(server: MPServer) -> None:
    server.send(frame(1, mp(0, 1, 0, b"text")))  # a header that is valid UTF-8
    client, rec = joined(server.url)
    poll_until(client, lambda: rec.has("peer_packet"))
    assert client.get_packet() == b"text"


def test_malformed_messages_are_logged_and_dropped(server: MPServer, caplog: Any) -> None:
    server.send(wire(b"short", mp(2, 99, 0, struct.pack("<i", 1)), mp(7, 1, 0, b"\0" * 4),
                     mp(0, 9, 0, b"good")))
    with caplog.at_level(logging.ERROR, "godot_ws"):
        client, rec = joined(server.url)
        poll_until(client, lambda: rec.has("peer_packet"))
    assert [c for c in rec.calls if c[0] != "peer_connected"] == [
        ("connection_succeeded",), ("peer_packet", 9)]
    assert "shorter than the 9-byte header" in caplog.text
    assert "only the server" in caplog.text and "unknown type 7" in caplog.text
    assert client.get_connection_status() == CONNECTION_CONNECTED
    assert client.get_packet() == b"good"


def test_empty_queue_and_misuse(server: MPServer, caplog: Any) -> None:
    client, _ = joined(server.url)
    with caplog.at_level(logging.ERROR, "godot_ws"):
        assert client.get_packet_peer() == 1
        assert client.get_packet() == b"" and client.get_packet_error() == ERR_UNAVAILABLE
        assert client.get_var() is None
    assert "no packet queued" in caplog.text
    assert client.get_transfer_mode() == TRANSFER_MODE_RELIABLE
    client.transfer_mode = TRANSFER_MODE_UNRELIABLE
    assert client.transfer_mode == TRANSFER_MODE_RELIABLE  # WebSocket is TCP: always reliable
    assert client.refuse_new_connections is False
    client.set_refuse_new_connections(True)
    assert client.is_refusing_new_connections()


# ---------------------------------------------------------------------- the end of it


def test_server_close_after_joining_is_connection_failed(server: MPServer) -> None:
    client, rec = joined(server.url)
    server.send(wire(mp(0, 1, MY_ID, b"last")) + frame(8, struct.pack("!H", 4000) + b"bye\0"))
    poll_until(client, lambda: rec.has("connection_failed"))
    assert rec.calls[2:] == [("peer_packet", 1), ("server_close_request", 4000, "bye"),
                             ("connection_failed",)]
    assert client.get_connection_status() == CONNECTION_DISCONNECTED
    assert client.get_packet() == b"last"  # readable after the end, as in plain mode
    # the client echoed the close (with Godot's NUL: it is the server's own payload)
    poll_until(client, lambda: (8, struct.pack("!H", 4000) + b"bye\0") in server.frames)


def test_tcp_drop_after_joining_is_connection_failed(server: MPServer) -> None:
    client, rec = joined(server.url)
    server.send(None)
    poll_until(client, lambda: rec.has("connection_failed"))
    assert [c[0] for c in rec.calls] == ["peer_connected", "connection_succeeded",
                                         "connection_failed"]


def test_local_disconnect_after_joining_is_connection_failed(server: MPServer) -> None:
    client, rec = joined(server.url)
    client.disconnect_from_host(1000, "leaving")
    poll_until(client, lambda: bool(server.frames))
    assert server.frames == [(8, struct.pack("!H", 1000) + b"leaving")]
    server.send(frame(8, struct.pack("!H", 1000)))
    poll_until(client, lambda: rec.has("connection_failed"))
    assert [c[0] for c in rec.calls] == ["peer_connected", "connection_succeeded",
                                         "connection_failed"]


def test_close_before_joining_is_connection_failed() -> None:
    server = MPServer(join=wire(sys_msg(3, MY_ID)) + frame(8, struct.pack("!H", 1001)))
    client, rec = mp_client(server.url)
    poll_until(client, lambda: rec.has("connection_failed"))
    server.close()
    assert rec.calls == [("server_close_request", 1001, ""), ("connection_failed",)]
    assert client.get_connection_status() == CONNECTION_DISCONNECTED


def test_refused_port_is_connection_failed() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    client, rec = mp_client(f"ws://127.0.0.1:{port}/")
    poll_until(client, lambda: rec.has("connection_failed"))
    assert rec.calls == [("connection_failed",)]


def test_bad_handshake_is_connection_failed() -> None:
    def script(conn: socket.socket, srv: RawServer) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        srv.read_rest(conn, 2)

    server = RawServer(script)
    client, rec = mp_client(server.url)
    poll_until(client, lambda: rec.has("connection_failed"))
    server.close()
    assert rec.calls == [("connection_failed",)]


def test_plain_mode_is_back_after_a_multiplayer_connection(server: MPServer) -> None:
    client, rec = joined(server.url)
    server.send(None)
    poll_until(client, lambda: rec.has("connection_failed"))
    plain = MPServer(join=b"")
    rec.calls.clear()
    assert client.connect_to_url(plain.url) == OK
    poll_until(client, lambda: rec.has("connection_established"))
    assert client.get_unique_id() == 0
    assert client.put_packet(b"x") == ERR_UNCONFIGURED
    plain.close()


# ---------------------------------------------------------------------- back-pressure


def test_full_queue_pauses_reading_and_loses_nothing(server: MPServer) -> None:
    client = WebSocketClient()
    assert client.set_buffers(64, 4, 64, 1024) == OK
    rec = Recorder(client)
    client.connect_to_url(server.url, gd_mp_api=True)
    poll_until(client, lambda: rec.has("connection_succeeded"))
    server.send(wire(*[mp(0, 1, MY_ID, struct.pack("<I", i)) for i in range(40)]))
    poll_until(client, lambda: client.get_available_packet_count() == 4)
    for _ in range(30):  # the game is busy: polls without reading
        client.poll()
    assert client.get_available_packet_count() == 4
    got: list[int] = []

    def drain() -> bool:
        while client.get_available_packet_count():
            got.append(struct.unpack("<I", client.get_packet())[0])
        return len(got) >= 40

    poll_until(client, drain, what="40 packets")
    assert got == list(range(40))
    assert sum(1 for c in rec.calls if c[0] == "peer_packet") == 40


def test_messages_before_the_close_all_arrive_in_order(server: MPServer) -> None:
    client = WebSocketClient()
    client.set_buffers(64, 4, 64, 1024)
    rec = Recorder(client)
    client.connect_to_url(server.url, gd_mp_api=True)
    poll_until(client, lambda: rec.has("connection_succeeded"))
    server.send(wire(*[mp(0, 1, MY_ID, bytes([i])) for i in range(6)], sys_msg(2, 55))
                + frame(8, struct.pack("!H", 1000)))
    poll_until(client, lambda: rec.has("connection_failed"), what="the close")
    # 4 fit the multiplayer queue, 2 waited in the peer's; the close forced them through
    tail = [c for c in rec.calls if c[0] not in ("peer_connected", "connection_succeeded")]
    assert tail == [("peer_packet", 1)] * 6 + [
        ("peer_disconnected", 55), ("server_close_request", 1000, ""), ("connection_failed",)]
    assert [client.get_packet() for _ in range(6)] == [bytes([i]) for i in range(6)]


# ------------------------------------------------------------------ mode mix-ups


def _plain_host() -> WebSocketServer:
    host = WebSocketServer()
    host.bind_ip = "127.0.0.1"
    assert host.listen(0) == OK  # plain mode
    return host


def test_multiplayer_client_on_a_plain_host_warns_when_no_id_comes(
        caplog: pytest.LogCaptureFixture) -> None:
    """No SYS_ID within handshake_timeout of the upgrade: one warning naming the likely cause.
    Godot's signals stay Godot's: still CONNECTED, id 0, no connection_succeeded."""
    host = _plain_host()
    client = WebSocketClient()
    client.handshake_timeout = 1.0  # the upgrade itself must fit in it on a loaded machine
    succeeded: list[bool] = []
    client.connection_succeeded.connect(lambda: succeeded.append(True))
    caplog.set_level(logging.WARNING, logger="godot_ws")
    assert client.connect_to_url(f"ws://127.0.0.1:{host.get_local_port()}/",
                                 gd_mp_api=True) == OK
    connected_at: list[float] = []

    def warned() -> bool:
        host.poll()
        if client.get_connection_status() == CONNECTION_CONNECTED and not connected_at:
            connected_at.append(time.monotonic())
        return "no peer id arrived within 1.0 s" in caplog.text

    poll_until(client, warned, timeout=30, what="the warning")
    assert time.monotonic() - connected_at[0] >= 0.9
    assert "probably a plain WebSocket server, not a Godot multiplayer host" in caplog.text
    for _ in range(20):  # said once
        client.poll()
        host.poll()
    assert caplog.text.count("no peer id arrived") == 1
    assert client.get_connection_status() == CONNECTION_CONNECTED
    assert client.get_unique_id() == 0 and succeeded == []
    host.stop()


def test_multiplayer_client_warns_at_a_plain_hosts_first_message(
        caplog: pytest.LogCaptureFixture) -> None:
    """A plain host that talks first gives itself away at once: its first message is not
    SYS_ID."""
    host = _plain_host()
    host.client_connected.connect(lambda peer_id, protocol: host.get_peer(peer_id).put_packet(
        b"welcome to the chat"))
    client = WebSocketClient()
    client.handshake_timeout = 30  # the message, not the timeout, gives it away
    caplog.set_level(logging.WARNING, logger="godot_ws")
    assert client.connect_to_url(f"ws://127.0.0.1:{host.get_local_port()}/",
                                 gd_mp_api=True) == OK

    def warned() -> bool:
        host.poll()
        return "not Godot's id message" in caplog.text

    poll_until(client, warned, timeout=5, what="the warning")
    assert "its first message (19 bytes) is not Godot's id message from ws://127.0.0.1:" \
        in caplog.text
    host.stop()
