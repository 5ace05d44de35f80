"""godot_ws.godot4.WebSocketPeer as a client: against the ``websockets`` server and raw
servers that misbehave on purpose (state machine, close codes, buffers, heartbeat)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import trustme
from support import (
    RawServer,
    WebsocketsServer,
    frame,
    ok_response,
    poll_until,
    read_request,
    sending_server,
    unmask_frames,
)
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection

from godot_ws.godot4 import (
    ERR_ALREADY_IN_USE,
    ERR_INVALID_PARAMETER,
    ERR_OUT_OF_MEMORY,
    ERR_UNAVAILABLE,
    FAILED,
    OK,
    CryptoKey,
    TLSOptions,
    WebSocketPeer,
    X509Certificate,
)


def echo(ws: ServerConnection) -> None:
    try:
        for message in ws:
            ws.send(message)
    except ConnectionClosed:
        pass


@pytest.fixture
def echo_server() -> Any:
    server = WebsocketsServer(echo)
    yield server
    server.close()


@pytest.fixture(scope="module")
def ca_key_cert() -> tuple[CryptoKey, X509Certificate]:
    issued = trustme.CA().issue_cert("localhost")
    key = CryptoKey()
    assert key.load_from_string(issued.private_key_pem.bytes().decode()) == OK
    cert = X509Certificate()
    assert cert.load_from_string(issued.cert_chain_pems[0].bytes().decode()) == OK
    return key, cert


def until_state(peer: WebSocketPeer, state: int, timeout: float = 5.0) -> None:
    poll_until(peer, lambda: peer.get_ready_state() == state, timeout,
               what=f"state {WebSocketPeer.State(state).name}")


def open_peer(url: str, **props: Any) -> WebSocketPeer:
    peer = WebSocketPeer()
    for name, value in props.items():
        setattr(peer, name, value)
    assert peer.connect_to_url(url) == OK
    assert peer.get_ready_state() == WebSocketPeer.STATE_CONNECTING
    until_state(peer, WebSocketPeer.STATE_OPEN)
    return peer


def close_peer(peer: WebSocketPeer) -> None:
    """Close as a Godot 4 script does: close(), then poll until CLOSED."""
    peer.close()
    until_state(peer, WebSocketPeer.STATE_CLOSED)


def receive(peer: WebSocketPeer, count: int, timeout: float = 5.0) -> list[tuple[bytes, bool]]:
    got: list[tuple[bytes, bool]] = []

    def more() -> bool:
        while peer.get_available_packet_count():
            got.append((peer.get_packet(), peer.was_string_packet()))
        return len(got) >= count

    poll_until(peer, more, timeout, what=f"{count} packets")
    return got


# ------------------------------------------------------------------ the API's shape


def test_defaults_enums_and_properties() -> None:
    peer = WebSocketPeer()
    assert peer.get_ready_state() == WebSocketPeer.STATE_CLOSED == 3
    assert (WebSocketPeer.STATE_CONNECTING, WebSocketPeer.STATE_OPEN,
            WebSocketPeer.STATE_CLOSING) == (0, 1, 2)
    assert (WebSocketPeer.WRITE_MODE_TEXT, WebSocketPeer.WRITE_MODE_BINARY) == (0, 1)
    assert WebSocketPeer.State.STATE_OPEN is WebSocketPeer.STATE_OPEN
    assert peer.get_close_code() == -1 and peer.get_close_reason() == ""
    assert peer.supported_protocols == [] and peer.handshake_headers == []
    assert peer.inbound_buffer_size == 65535 and peer.outbound_buffer_size == 65535
    assert peer.max_queued_packets == 4096 and peer.heartbeat_interval == 0.0
    assert peer.get_requested_url() == "" and peer.get_selected_protocol() == ""
    assert peer.get_current_outbound_buffered_amount() == 0
    assert peer.get_available_packet_count() == 0
    peer.supported_protocols = [" chat ", "v2"]
    assert peer.get_supported_protocols() == ["chat", "v2"]  # edges stripped, as Godot
    peer.set_heartbeat_interval(-1.0)  # refused (logged), unchanged
    assert peer.heartbeat_interval == 0.0
    peer.heartbeat_interval = 0.25
    assert peer.get_heartbeat_interval() == 0.25
    assert peer.put_packet(b"x") == FAILED and peer.send_text("x") == FAILED
    assert peer.get_packet() == b"" and peer.get_packet_error() == FAILED
    peer.poll()  # nothing to do, nothing raised
    peer.close()
    with pytest.raises(TypeError):
        peer.put_packet("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        peer.supported_protocols = "chat"


@pytest.mark.parametrize("url", ["", "http://x/", "ws://", "ws://h:0/", "ws://h:99999/",
                                 "ws://a b/"])
def test_bad_urls_are_invalid_parameter(url: str) -> None:
    assert WebSocketPeer().connect_to_url(url) == ERR_INVALID_PARAMETER


def test_server_options_cannot_connect_a_client(ca_key_cert: Any) -> None:
    key, cert = ca_key_cert
    peer = WebSocketPeer()
    assert peer.connect_to_url("wss://127.0.0.1:1/", TLSOptions.server(key, cert)) == \
        ERR_INVALID_PARAMETER


def test_crlf_in_headers_is_refused() -> None:
    peer = WebSocketPeer()
    peer.handshake_headers = ["X-A: 1\r\nX-B: 2"]
    assert peer.connect_to_url("ws://127.0.0.1:1/") == ERR_INVALID_PARAMETER


# ------------------------------------------------------------------ talking


def test_text_binary_and_put_packet_echo(echo_server: Any) -> None:
    peer = open_peer(echo_server.url + "/path?q=1")
    assert peer.get_requested_url() == echo_server.url + "/path?q=1"
    assert peer.get_connected_host() == "127.0.0.1"
    assert peer.get_connected_port() == echo_server.port
    assert peer.get_packet() == b"" and peer.get_packet_error() == ERR_UNAVAILABLE
    assert peer.send_text("héllo") == OK
    assert peer.send(b"\x00\x01") == OK
    assert peer.send("text mode".encode(), WebSocketPeer.WRITE_MODE_TEXT) == OK
    assert peer.put_packet(bytearray(b"always binary")) == OK
    assert peer.send(b"", WebSocketPeer.WRITE_MODE_BINARY) == OK
    got = receive(peer, 5)
    assert got == [("héllo".encode(), True), (b"\x00\x01", False), (b"text mode", True),
                   (b"always binary", False), (b"", False)]
    assert peer.send(b"\xff", WebSocketPeer.WRITE_MODE_TEXT) == ERR_INVALID_PARAMETER
    close_peer(peer)


def test_put_var_get_var_round_trip(echo_server: Any) -> None:
    peer = open_peer(echo_server.url)
    value = {"name": "player", "hp": 10, "pos": [1.5, -2.0], "ok": True}
    assert peer.put_var(value) == OK
    poll_until(peer, lambda: peer.get_available_packet_count() == 1)
    assert peer.get_var() == value
    close_peer(peer)


def test_put_var_speaks_godot4s_variant_table() -> None:
    from godot_ws.godot4 import Vector2i, bytes_to_var, var_to_bytes

    received: list[bytes] = []

    def handler(ws: ServerConnection) -> None:
        message = ws.recv(timeout=5)
        assert isinstance(message, bytes)
        received.append(message)
        ws.send(var_to_bytes(Vector2i(3, -4)))
        echo(ws)

    server = WebsocketsServer(handler)
    peer = open_peer(server.url)
    assert peer.put_var(Vector2i(7, 8)) == OK
    poll_until(peer, lambda: peer.get_available_packet_count() == 1)
    assert received == [var_to_bytes(Vector2i(7, 8))]
    assert received[0][:4] == bytes((6, 0, 0, 0))  # Vector2i is type 6 in Godot 4
    assert peer.get_var() == Vector2i(3, -4) == bytes_to_var(var_to_bytes(Vector2i(3, -4)))
    close_peer(peer)
    server.close()


def test_subprotocol_and_handshake_headers() -> None:
    seen: dict[str, str] = {}

    def handler(ws: ServerConnection) -> None:
        seen.update({k.lower(): v for k, v in ws.request.headers.raw_items()})
        echo(ws)

    server = WebsocketsServer(handler, subprotocols=["v2", "chat"])
    peer = open_peer(server.url, supported_protocols=["chat", "v2"],
                     handshake_headers=["X-Token: abc"])
    assert peer.get_selected_protocol() in ("chat", "v2")
    poll_until(peer, lambda: bool(seen), what="the server's handler")  # runs after the 101
    assert seen["x-token"] == "abc"
    assert seen["sec-websocket-protocol"] == "chat,v2"  # Godot: comma, no space
    close_peer(peer)
    server.close()


def test_unrequested_subprotocol_fails_the_handshake() -> None:
    def script(conn: socket.socket, server: RawServer) -> None:
        _, headers = read_request(conn)
        conn.sendall(ok_response(headers, "Sec-WebSocket-Protocol: evil\r\n"))
        server.read_rest(conn, 1.0)

    server = RawServer(script)
    peer = WebSocketPeer()
    assert peer.connect_to_url(server.url) == OK
    until_state(peer, WebSocketPeer.STATE_CLOSED)
    assert peer.get_close_code() == -1
    server.close()


def test_connect_while_open_is_already_in_use(echo_server: Any) -> None:
    peer = open_peer(echo_server.url)
    assert peer.connect_to_url(echo_server.url) == ERR_ALREADY_IN_USE
    peer.close()
    assert peer.get_ready_state() == WebSocketPeer.STATE_CLOSING
    # Godot allows a new connection while CLOSING: the old one is dropped.
    assert peer.connect_to_url(echo_server.url) == OK
    until_state(peer, WebSocketPeer.STATE_OPEN)
    close_peer(peer)


# ------------------------------------------------------------------ closing


def test_close_handshake_reports_the_peers_code() -> None:
    def handler(ws: ServerConnection) -> None:
        try:
            for _ in ws:
                pass
        except ConnectionClosed:
            pass

    server = WebsocketsServer(handler)
    peer = open_peer(server.url)
    peer.close(4000, "bye")
    assert peer.get_ready_state() == WebSocketPeer.STATE_CLOSING
    assert peer.get_close_code() == -1  # no close frame has arrived yet
    until_state(peer, WebSocketPeer.STATE_CLOSED)
    assert (peer.get_close_code(), peer.get_close_reason()) == (4000, "bye")  # echoed
    server.close()


def test_server_close_gives_its_code_and_reason() -> None:
    def handler(ws: ServerConnection) -> None:
        ws.send("last words")
        ws.close(4001, "go away")

    server = WebsocketsServer(handler)
    peer = WebSocketPeer()
    assert peer.connect_to_url(server.url) == OK
    until_state(peer, WebSocketPeer.STATE_CLOSED)
    assert (peer.get_close_code(), peer.get_close_reason()) == (4001, "go away")
    # Unlike Godot, what arrived before the close stays readable.
    assert peer.get_available_packet_count() == 1
    assert peer.get_packet() == b"last words" and peer.was_string_packet()
    server.close()


def test_close_frame_without_payload_gives_code_0() -> None:
    server = sending_server(frame(0x8))
    peer = WebSocketPeer()
    peer.connect_to_url(server.url)
    until_state(peer, WebSocketPeer.STATE_CLOSED)
    assert (peer.get_close_code(), peer.get_close_reason()) == (0, "")
    server.close()
    replies = list(unmask_frames(server.received))
    assert replies and replies[0][0] == 0x8  # the close was answered


def test_tcp_drop_leaves_close_code_minus_1() -> None:
    server = sending_server(frame(0x2, b"abc"), read_back=False)
    peer = WebSocketPeer()
    peer.connect_to_url(server.url)
    until_state(peer, WebSocketPeer.STATE_CLOSED)
    assert peer.get_close_code() == -1 and peer.get_close_reason() == ""
    assert peer.get_packet() == b"abc"
    server.close()


def test_close_minus_1_drops_at_once_without_a_close_frame() -> None:
    def script(conn: socket.socket, server: RawServer) -> None:
        _, headers = read_request(conn)
        conn.sendall(ok_response(headers))
        server.read_rest(conn)

    server = RawServer(script)
    peer = open_peer(server.url)
    peer.close(-1)
    assert peer.get_ready_state() == WebSocketPeer.STATE_CLOSED
    assert peer.get_close_code() == -1
    server.close()
    assert list(unmask_frames(server.received)) == []  # no close frame, just the FIN


def test_close_while_connecting_drops_the_attempt() -> None:
    def script(conn: socket.socket, server: RawServer) -> None:
        server.read_rest(conn, 1.0)  # never answers the upgrade

    server = RawServer(script)
    peer = WebSocketPeer()
    peer.connect_to_url(server.url)
    peer.poll()
    peer.close()
    assert peer.get_ready_state() == WebSocketPeer.STATE_CLOSED
    server.close()


@pytest.mark.parametrize(
    ("frames", "code", "reason"),
    [
        (bytes((0x82, 0x81, 1, 2, 3, 4, 5)), 1002, "Protocol error"),  # masked from a server
        (frame(0x1, b"\xff\xfe"), 1007, "Invalid frame payload data"),
        (frame(0x2, b"x" * 200), 1009, "Message too big"),
    ],
)
def test_protocol_errors_expose_the_code_we_sent(frames: bytes, code: int, reason: str) -> None:
    server = sending_server(frames)
    peer = WebSocketPeer()
    peer.inbound_buffer_size = 100
    peer.connect_to_url(server.url)
    until_state(peer, WebSocketPeer.STATE_CLOSED)
    assert (peer.get_close_code(), peer.get_close_reason()) == (code, reason)
    server.close()
    sent = list(unmask_frames(server.received))
    assert sent and sent[-1][0] == 0x8 and int.from_bytes(sent[-1][1][:2], "big") == code


# ------------------------------------------------------------------ buffers


def test_outbound_limits_return_out_of_memory() -> None:
    reading = threading.Event()

    def script(conn: socket.socket, server: RawServer) -> None:
        _, headers = read_request(conn)
        conn.sendall(ok_response(headers))
        reading.wait(10)  # stops reading until the client's buffers are full
        server.read_rest(conn)

    server = RawServer(script)
    peer = open_peer(server.url, outbound_buffer_size=100_000)
    assert peer.put_packet(b"x" * 100_001) == ERR_OUT_OF_MEMORY  # can never fit
    assert peer.put_packet(b"x" * 60_000) == OK  # written through at once
    results = [peer.put_packet(b"x" * 60_000) for _ in range(2000)]  # < 120 MB, bounded
    assert ERR_OUT_OF_MEMORY in results  # the kernel's buffers filled, then ours
    first_refusal = results.index(ERR_OUT_OF_MEMORY)
    assert 0 < peer.get_current_outbound_buffered_amount() <= 100_000
    reading.set()
    poll_until(peer, lambda: peer.get_current_outbound_buffered_amount() == 0, 10.0,
               what="the buffers to drain")
    assert peer.put_packet(b"x" * 100_000) == OK
    poll_until(peer, lambda: peer.get_current_outbound_buffered_amount() == 0)
    peer.close(-1)
    server.close()
    # Everything accepted arrived, and nothing refused was sent.
    assert frame_sizes(server.received) == [60_000] * (1 + first_refusal) + [60_000] * sum(
        r == OK for r in results[first_refusal:]) + [100_000]


def frame_sizes(data: bytes) -> list[int]:
    """Payload sizes of the masked frames in ``data`` (without unmasking them)."""
    sizes, pos = [], 0
    while pos + 2 <= len(data):
        n = data[pos + 1] & 0x7F
        pos += 2
        if n >= 126:
            width = 2 if n == 126 else 8
            n = int.from_bytes(data[pos:pos + width], "big")
            pos += width
        sizes.append(n)
        pos += 4 + n
    return sizes


def test_full_inbound_queue_pauses_reading_and_loses_nothing() -> None:
    def blaster(ws: ServerConnection) -> None:
        for i in range(200):
            ws.send(i.to_bytes(2, "big"))
        try:
            for _ in ws:
                pass
        except ConnectionClosed:
            pass

    server = WebsocketsServer(blaster)
    peer = open_peer(server.url, max_queued_packets=8)
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        peer.poll()
        assert peer.get_available_packet_count() <= 8
    got = receive(peer, 200)
    assert [int.from_bytes(p, "big") for p, _ in got] == list(range(200))
    close_peer(peer)
    server.close()


def test_inbound_ring_bytes_pause_reading_too() -> None:
    def blaster(ws: ServerConnection) -> None:
        for i in range(10):
            ws.send(bytes([i]) * 400)
        try:
            for _ in ws:
                pass
        except ConnectionClosed:
            pass

    server = WebsocketsServer(blaster)
    # 1000 rounds up to a 1024-byte ring, 1023 of them usable: two 400-byte messages fit.
    peer = open_peer(server.url, inbound_buffer_size=1000)
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        peer.poll()
        assert peer.get_available_packet_count() <= 2
    got = receive(peer, 10)
    assert [p for p, _ in got] == [bytes([i]) * 400 for i in range(10)]
    close_peer(peer)
    server.close()


# ------------------------------------------------------------------ heartbeat


def test_heartbeat_keeps_a_live_connection_open(echo_server: Any) -> None:
    # The pong comes from a thread of this process: a generous interval, so a loaded CI
    # machine does not miss it.
    peer = open_peer(echo_server.url, heartbeat_interval=0.2)
    deadline = time.monotonic() + 0.7  # about four pings, each answered by a pong
    while time.monotonic() < deadline:
        peer.poll()
        assert peer.get_ready_state() == WebSocketPeer.STATE_OPEN
        time.sleep(0.002)
    close_peer(peer)


def test_heartbeat_drops_a_peer_that_stops_answering() -> None:
    pings: list[bytes] = []

    def script(conn: socket.socket, server: RawServer) -> None:
        _, headers = read_request(conn)
        conn.sendall(ok_response(headers))
        data = server.read_rest(conn, 3.0)
        pings.extend(p for op, p in unmask_frames(data) if op == 0x9)

    server = RawServer(script)
    started = time.monotonic()  # the first ping goes out after this, the drop > 0.05 s later
    peer = open_peer(server.url, heartbeat_interval=0.05)
    until_state(peer, WebSocketPeer.STATE_CLOSED, timeout=3.0)
    assert time.monotonic() - started >= 0.05
    assert peer.get_close_code() == -1  # an abrupt close
    server.close()
    assert pings == [b""]  # one empty ping, then the drop when the next was due


# ------------------------------------------------------------------ the whole API

# Godot 4.7's extension API (godot-cpp's generated web_socket_peer.cpp and the class docs);
# StreamPeerTCP is only what accept_stream needs (no bind, no StreamPeer put_u8 & co.).
GODOT4_API = {
    "WebSocketPeer": """connect_to_url accept_stream send send_text was_string_packet poll close
        get_connected_host get_connected_port get_selected_protocol get_requested_url
        set_no_delay get_current_outbound_buffered_amount get_ready_state get_close_code
        get_close_reason get_supported_protocols set_supported_protocols get_handshake_headers
        set_handshake_headers get_inbound_buffer_size set_inbound_buffer_size
        get_outbound_buffer_size set_outbound_buffer_size set_max_queued_packets
        get_max_queued_packets set_heartbeat_interval get_heartbeat_interval
        supported_protocols handshake_headers inbound_buffer_size outbound_buffer_size
        max_queued_packets heartbeat_interval STATE_CONNECTING STATE_OPEN STATE_CLOSING
        STATE_CLOSED WRITE_MODE_TEXT WRITE_MODE_BINARY get_var put_var get_packet put_packet
        get_packet_error get_available_packet_count get_encode_buffer_max_size
        set_encode_buffer_max_size encode_buffer_max_size""",
    "TCPServer": "listen is_connection_available is_listening get_local_port take_connection stop",
    "StreamPeerTLS": """poll accept_stream connect_to_stream get_status get_stream
        disconnect_from_host STATUS_DISCONNECTED STATUS_HANDSHAKING STATUS_CONNECTED
        STATUS_ERROR STATUS_ERROR_HOSTNAME_MISMATCH""",
    "StreamPeerTCP": """connect_to_host poll get_status get_connected_host get_connected_port
        get_local_port disconnect_from_host set_no_delay STATUS_NONE STATUS_CONNECTING
        STATUS_CONNECTED STATUS_ERROR""",
    "TLSOptions": """client client_unsafe server is_server is_unsafe_client
        get_common_name_override get_trusted_ca_chain get_private_key get_own_certificate""",
}


@pytest.mark.parametrize("cls", sorted(GODOT4_API))
def test_godot4_api_is_complete(cls: str) -> None:
    import godot_ws.godot4 as g4

    missing = [name for name in GODOT4_API[cls].split() if not hasattr(getattr(g4, cls), name)]
    assert missing == []
