"""WebSocketClient against real servers on 127.0.0.1: the websockets library's server, and a raw
socket server for misbehaviour."""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import (
    RawServer,
    Recorder,
    WebsocketsServer,
    drain,
    frame,
    ok_response,
    poll_until,
    read_request,
    run_until_closed,
    sending_server,
    unmask_frames,
)
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection

from godot_ws import (
    CONNECTION_CONNECTED,
    CONNECTION_CONNECTING,
    CONNECTION_DISCONNECTED,
    ERR_ALREADY_IN_USE,
    ERR_INVALID_PARAMETER,
    ERR_OUT_OF_MEMORY,
    ERR_UNAVAILABLE,
    ERR_UNCONFIGURED,
    FAILED,
    OK,
    WebSocketClient,
    WebSocketPeer,
)


def echo(ws: ServerConnection) -> None:
    for message in ws:
        ws.send(message)


@pytest.fixture
def echo_server() -> Any:
    server = WebsocketsServer(echo)
    yield server
    server.close()


def connected_client(url: str, **kwargs: Any) -> WebSocketClient:
    client = WebSocketClient()
    assert client.connect_to_url(url, **kwargs) == OK
    poll_until(client, lambda: client.get_connection_status() == CONNECTION_CONNECTED,
               what="connection")
    return client


# ---------------------------------------------------------------------- connect_to_url


@pytest.mark.parametrize("url", [
    "", "http://127.0.0.1:9", "ftp://x/", "WS://127.0.0.1:9", "ws://", "ws://127.0.0.1:0",
    "ws://127.0.0.1:70000", "ws://127.0.0.1:-5", "ws://127.0.0.1:abc", "ws://a b/",
])
def test_connect_to_url_refuses_bad_urls(url: str) -> None:
    client = WebSocketClient()
    assert client.connect_to_url(url) == ERR_INVALID_PARAMETER
    assert client.get_connection_status() == CONNECTION_DISCONNECTED


def test_connect_to_url_refuses_crlf_in_headers_and_protocols(echo_server: Any) -> None:
    client = WebSocketClient()
    assert client.connect_to_url(echo_server.url, custom_headers=["X-A: 1\r\nX-B: 2"]) == \
        ERR_INVALID_PARAMETER
    assert client.connect_to_url(echo_server.url, protocols=["chat\n"]) == ERR_INVALID_PARAMETER
    assert client.get_connection_status() == CONNECTION_DISCONNECTED


def test_connect_to_url_refuses_handshake_headers(echo_server: Any, caplog: Any) -> None:
    """Issue 11.9: Godot's ERR_INVALID_PARAMETER and a logged reason, not a TypeError."""
    client = WebSocketClient()
    for line in ("Sec-WebSocket-Key", "Sec-WebSocket-Key: x", "Host: other"):
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="godot_ws"):
            assert client.connect_to_url(echo_server.url, custom_headers=[line]) == \
                ERR_INVALID_PARAMETER
        assert "handshake itself" in caplog.text or "Name: value" in caplog.text
        assert client.get_connection_status() == CONNECTION_DISCONNECTED


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_connect_to_url_never_raises_for_any_string(url: str) -> None:
    client = WebSocketClient()
    result = client.connect_to_url(url)
    assert result in (OK, ERR_INVALID_PARAMETER)
    client.disconnect_from_host()
    assert client.get_connection_status() == CONNECTION_DISCONNECTED


def test_connect_to_url_rejects_wrong_types() -> None:
    with pytest.raises(TypeError):
        WebSocketClient().connect_to_url(b"ws://x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        WebSocketClient().connect_to_url("ws://x", protocols="chat")


def test_status_flow_and_already_in_use(echo_server: Any) -> None:
    client = WebSocketClient()
    rec = Recorder(client)
    assert client.get_connection_status() == CONNECTION_DISCONNECTED
    assert client.connect_to_url(echo_server.url) == OK
    assert client.get_connection_status() == CONNECTION_CONNECTING
    assert client.connect_to_url(echo_server.url) == ERR_ALREADY_IN_USE
    statuses = []
    client.connection_established.connect(
        lambda _p: statuses.append(client.get_connection_status()))
    poll_until(client, lambda: rec.has("connection_established"))
    assert statuses == [CONNECTION_CONNECTED]
    assert rec.calls == [("connection_established", "")]
    assert client.connect_to_url(echo_server.url) == ERR_ALREADY_IN_USE
    assert client.get_connected_host() == "127.0.0.1"
    assert client.get_connected_port() == echo_server.port


def test_subprotocol_is_negotiated() -> None:
    server = WebsocketsServer(echo, subprotocols=["chat", "json"])
    client = WebSocketClient()
    rec = Recorder(client)
    client.connect_to_url(server.url, protocols=["xml", "json"])
    poll_until(client, lambda: rec.has("connection_established"))
    server.close()
    assert rec.calls == [("connection_established", "json")]


def test_custom_headers_are_sent() -> None:
    seen: dict[str, str] = {}

    def script(conn: socket.socket, server: RawServer) -> None:
        _, headers = read_request(conn)
        seen.update(headers)
        conn.sendall(ok_response(headers))
        server.read_rest(conn, 1)

    server = RawServer(script)
    client = connected_client(server.url, custom_headers=["X-Game: pong", "Cookie: a=1"])
    client.disconnect_from_host()
    poll_until(client, lambda: client.get_connection_status() == CONNECTION_DISCONNECTED)
    server.close()
    assert seen["x-game"] == "pong" and seen["cookie"] == "a=1"
    assert "origin" not in seen  # Godot sends none


# ---------------------------------------------------------------------- data


def test_text_and_binary_echo(echo_server: Any) -> None:
    client = connected_client(echo_server.url)
    peer = client.get_peer(1)
    assert peer is not None and peer.get_write_mode() == WebSocketPeer.WRITE_MODE_BINARY
    assert peer.put_packet(b"\x00\xffbin") == OK
    peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)
    assert peer.put_packet("héllo".encode()) == OK
    assert peer.put_packet(b"") == OK  # an empty frame, not nothing (3.2.3 sends nothing)
    got: list[tuple[bytes, bool]] = []
    poll_until(client, lambda: got.extend(drain(client)) or len(got) == 3)
    assert got == [(b"\x00\xffbin", False), ("héllo".encode(), True), (b"", True)]


def test_twenty_thousand_messages_then_close_lose_nothing() -> None:
    def blaster(ws: ServerConnection) -> None:
        ws.recv()
        for i in range(20000):
            ws.send(struct.pack("<I", i))
        ws.close(4001, "done")

    server = WebsocketsServer(blaster)
    client = connected_client(server.url)
    rec = Recorder(client)
    peer = client.get_peer(1)
    assert peer is not None
    peer.put_packet(b"go")
    got: list[bytes] = []
    # Drain only now and then: the queue fills (1024 packets) and reading pauses meanwhile.
    frames = 0
    def done() -> bool:
        nonlocal frames
        frames += 1
        if frames % 7 == 0:
            got.extend(p for p, _ in drain(client))
        return rec.has("connection_closed")
    poll_until(client, done, timeout=30, what="close after 20000 messages")
    got.extend(p for p, _ in drain(client))
    server.close()
    assert [struct.unpack("<I", g)[0] for g in got] == list(range(20000))
    assert rec.names() == ["server_close_request", "connection_closed"]
    assert ("server_close_request", 4001, "done") in rec.calls
    assert ("connection_closed", True) in rec.calls
    assert sum(1 for c in rec.calls if c[0] == "data_received") == 20000


def test_packets_stay_readable_after_close_until_next_connect() -> None:
    def sender(ws: ServerConnection) -> None:
        ws.send(b"one")
        ws.send("two")
        ws.close()

    server = WebsocketsServer(sender)
    client = WebSocketClient()
    rec = Recorder(client)
    client.connect_to_url(server.url)
    poll_until(client, lambda: rec.has("connection_closed"))
    peer = client.get_peer(1)
    assert peer is not None and not peer.is_connected_to_host()
    assert peer.get_available_packet_count() == 2
    assert peer.get_packet() == b"one" and not peer.was_string_packet()
    client.connect_to_url(server.url)
    new_peer = client.get_peer(1)
    assert new_peer is not peer and new_peer is not None
    assert new_peer.get_available_packet_count() == 0
    server.close()


def test_full_input_queue_pauses_reading_instead_of_dropping() -> None:
    def blaster(ws: ServerConnection) -> None:
        for i in range(500):
            ws.send(struct.pack("<I", i) * 64)  # 256 bytes each
        ws.recv()

    server = WebsocketsServer(blaster)
    client = WebSocketClient()
    assert client.set_buffers(4, 8, 64, 1024) == OK
    client.connect_to_url(server.url)
    peer = client.get_peer(1)
    assert peer is not None
    poll_until(client, lambda: peer.get_available_packet_count() == 8)
    for _ in range(50):  # the game is busy: polls without reading
        client.poll()
    assert peer.get_available_packet_count() == 8
    got: list[bytes] = []
    poll_until(client, lambda: got.extend(p for p, _ in drain(client)) or len(got) >= 500,
               timeout=20)
    assert [struct.unpack_from("<I", g)[0] for g in got] == list(range(500))
    assert client.get_connection_status() == CONNECTION_CONNECTED
    server.close()


def test_byte_limit_pauses_too() -> None:
    def blaster(ws: ServerConnection) -> None:
        for i in range(40):
            ws.send(bytes([i]) * 1000)
        ws.recv()

    server = WebsocketsServer(blaster)
    client = WebSocketClient()
    client.set_buffers(4, 1024, 64, 1024)  # 4096 bytes: at most 4 messages of 1000 bytes
    client.connect_to_url(server.url)
    peer = client.get_peer(1)
    assert peer is not None
    poll_until(client, lambda: peer.get_available_packet_count() == 4)
    for _ in range(20):
        client.poll()
    assert peer.get_available_packet_count() == 4
    got: list[bytes] = []
    poll_until(client, lambda: got.extend(p for p, _ in drain(client)) or len(got) >= 40)
    assert got == [bytes([i]) * 1000 for i in range(40)]
    server.close()


def test_message_over_input_buffer_closes_with_1009(caplog: Any) -> None:
    codes: list[int | None] = []

    def sender(ws: ServerConnection) -> None:
        ws.send(b"x" * 5000)
        try:
            ws.recv()
        except Exception:
            pass
        codes.append(ws.close_code)

    server = WebsocketsServer(sender)
    client = WebSocketClient()
    client.set_buffers(4, 16, 4, 16)
    rec = Recorder(client)
    with caplog.at_level(logging.WARNING, "godot_ws"):
        client.connect_to_url(server.url)
        poll_until(client, lambda: rec.has("connection_closed"))
    server.close()
    assert ("connection_closed", False) in rec.calls
    assert codes == [1009]
    assert "exceeds the input buffer" in caplog.text


def test_huge_length_claim_is_refused_without_allocating() -> None:
    server = sending_server(frame(2, b"", length=2**62))
    rec = run_until_closed(server)
    assert rec.calls[-1] == ("connection_closed", False)
    assert list(unmask_frames(server.received)) == [(8, struct.pack("!H", 1009))]


# ---------------------------------------------------------------------- closing


def test_disconnect_from_host_sends_code_and_reason_then_closes_cleanly() -> None:
    seen: list[tuple[int | None, str | None]] = []

    def handler(ws: ServerConnection) -> None:
        try:
            for _ in ws:
                pass
        except ConnectionClosed:
            pass
        seen.append((ws.close_code, ws.close_reason))

    server = WebsocketsServer(handler)
    client = connected_client(server.url)
    rec = Recorder(client)
    client.disconnect_from_host(4002, "cli-reason")
    assert client.get_connection_status() == CONNECTION_CONNECTED  # until the reply
    poll_until(client, lambda: rec.has("connection_closed"))
    server.close()
    assert seen == [(4002, "cli-reason")]  # no trailing NUL
    assert rec.calls == [("connection_closed", True)]
    assert client.get_connection_status() == CONNECTION_DISCONNECTED


def test_peer_close_is_the_same_as_disconnect() -> None:
    def script(conn: socket.socket, server: RawServer) -> None:
        _, headers = read_request(conn)
        conn.sendall(ok_response(headers))
        data = b""
        while len(data) < 2 + 4 + 5:  # the masked close frame with code 1001 and "bye"
            data += conn.recv(100)
        conn.sendall(frame(8, struct.pack("!H", 1000)))
        server.read_rest(conn, 1)
        server.received = data

    server = RawServer(script)
    client = connected_client(server.url)
    rec = Recorder(client)
    client.get_peer(1).close(1001, "bye")  # type: ignore[union-attr]
    poll_until(client, lambda: rec.has("connection_closed"))
    server.close()
    assert list(unmask_frames(server.received)) == [(8, struct.pack("!H", 1001) + b"bye")]
    assert rec.calls == [("connection_closed", True)]


def test_tcp_drop_is_an_unclean_close() -> None:
    rec = run_until_closed(sending_server(frame(2, b"last"), read_back=False))
    client = rec.client
    assert rec.names() == ["connection_established", "connection_closed"]
    assert rec.calls[-1] == ("connection_closed", False)
    assert drain(client) == [(b"last", False)]


def test_abrupt_reset_is_an_unclean_close() -> None:
    def script(conn: socket.socket, server: RawServer) -> None:
        _, headers = read_request(conn)
        conn.sendall(ok_response(headers))
        conn.recv(100)  # the client's first message: it has seen the 101
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    server = RawServer(script)
    client = WebSocketClient()
    rec = Recorder(client)
    client.connection_established.connect(
        lambda _p: client.get_peer(1).put_packet(b"hi"))  # type: ignore[union-attr]
    client.connect_to_url(server.url)
    poll_until(client, lambda: rec.has("connection_closed"))
    server.close()
    assert rec.calls[-1] == ("connection_closed", False)


def test_handler_may_send_and_disconnect_inside_signals(echo_server: Any) -> None:
    client = WebSocketClient()
    peer_holder: list[WebSocketPeer] = []
    closed: list[bool] = []

    def on_established(_protocol: str) -> None:
        peer = client.get_peer(1)
        assert peer is not None
        peer_holder.append(peer)
        assert peer.put_packet(b"ping") == OK

    def on_data() -> None:
        peer = peer_holder[0]
        assert peer.get_packet() == b"ping"
        client.disconnect_from_host(1000, "done")

    client.connection_established.connect(on_established)
    client.data_received.connect(on_data)
    client.connection_closed.connect(closed.append)
    client.connect_to_url(echo_server.url)
    poll_until(client, lambda: bool(closed))
    assert closed == [True]


def test_ping_is_answered() -> None:
    answered: list[bool] = []

    def handler(ws: ServerConnection) -> None:
        answered.append(ws.ping(b"hi").wait(5))
        ws.recv()

    server = WebsocketsServer(handler)
    client = connected_client(server.url)
    poll_until(client, lambda: bool(answered))
    assert answered == [True]
    client.disconnect_from_host()
    poll_until(client, lambda: client.get_connection_status() == CONNECTION_DISCONNECTED)
    server.close()


# ---------------------------------------------------------------------- failures


def test_refused_port_gives_connection_error() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    client = WebSocketClient()
    rec = Recorder(client)
    assert client.connect_to_url(f"ws://127.0.0.1:{port}/") == OK
    poll_until(client, lambda: rec.has("connection_error"))
    assert rec.calls == [("connection_error",)]
    assert client.get_connection_status() == CONNECTION_DISCONNECTED


def test_dns_failure_gives_connection_error_and_polls_do_not_block() -> None:
    client = WebSocketClient()
    rec = Recorder(client)
    assert client.connect_to_url("ws://no-such-host.invalid/") == OK
    worst = 0.0
    deadline = time.monotonic() + 10
    while not rec.has("connection_error") and time.monotonic() < deadline:
        start = time.perf_counter()
        client.poll()
        worst = max(worst, time.perf_counter() - start)
        time.sleep(0.001)
    assert rec.calls == [("connection_error",)]
    assert worst < 0.05, f"a poll took {worst * 1000:.1f} ms"


@pytest.mark.parametrize("reply", [
    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: bm90LXRoZS1yaWdodC1rZXk=\r\n\r\n",
    b"garbage\r\n\r\n",
])
def test_bad_handshake_reply_gives_connection_error(reply: bytes, caplog: Any) -> None:
    def script(conn: socket.socket, server: RawServer) -> None:
        read_request(conn)
        conn.sendall(reply)
        server.read_rest(conn, 2)

    server = RawServer(script)
    client = WebSocketClient()
    rec = Recorder(client)
    with caplog.at_level(logging.WARNING, "godot_ws"):
        client.connect_to_url(server.url)
        poll_until(client, lambda: rec.has("connection_error"))
    server.close()
    assert rec.calls == [("connection_error",)]
    assert "failed" in caplog.text


def test_unrequested_subprotocol_gives_connection_error() -> None:
    def script(conn: socket.socket, server: RawServer) -> None:
        _, headers = read_request(conn)
        conn.sendall(ok_response(headers, "Sec-WebSocket-Protocol: chat\r\n"))
        server.read_rest(conn, 2)

    server = RawServer(script)
    client = WebSocketClient()
    rec = Recorder(client)
    client.connect_to_url(server.url)
    poll_until(client, lambda: rec.has("connection_error"))
    server.close()
    assert rec.calls == [("connection_error",)]


def test_silent_server_times_out() -> None:
    def script(conn: socket.socket, server: RawServer) -> None:
        server.read_rest(conn, 3)

    server = RawServer(script)
    client = WebSocketClient()
    client.handshake_timeout = 0.3
    rec = Recorder(client)
    client.connect_to_url(server.url)
    poll_until(client, lambda: rec.has("connection_error"), timeout=3)
    server.close()
    assert rec.calls == [("connection_error",)]


def test_reserved_bits_fail_the_connection_with_1002() -> None:
    server = sending_server(frame(2, b"ok") + frame(2, b"bad", rsv=4))
    rec = run_until_closed(server)
    client = rec.client
    assert rec.calls[-1] == ("connection_closed", False)
    assert list(unmask_frames(server.received)) == [(8, struct.pack("!H", 1002))]
    assert drain(client) == [(b"ok", False)]  # what came before the violation is kept


def test_server_close_without_code_reports_1005() -> None:
    server = sending_server(frame(8))
    rec = run_until_closed(server)
    assert rec.names() == ["connection_established", "server_close_request", "connection_closed"]
    assert ("server_close_request", 1005, "") in rec.calls
    assert list(unmask_frames(server.received)) == [(8, b"")]


# ---------------------------------------------------------------------- misuse and limits


def test_unconnected_peer_and_plain_mode_misuse() -> None:
    client = WebSocketClient()
    peer = client.get_peer(1)
    assert peer is not None
    assert peer.put_packet(b"x") == FAILED
    assert peer.get_packet() == b"" and peer.get_packet_error() == FAILED
    assert client.get_peer(2) is None
    assert client.put_packet(b"x") == ERR_UNCONFIGURED
    assert client.get_available_packet_count() == 0
    with pytest.raises(TypeError):
        peer.put_packet("text")  # type: ignore[arg-type]


def test_get_packet_on_empty_connected_peer_is_unavailable(echo_server: Any) -> None:
    client = connected_client(echo_server.url)
    peer = client.get_peer(1)
    assert peer is not None
    assert peer.get_packet() == b"" and peer.get_packet_error() == ERR_UNAVAILABLE


def test_set_buffers_only_while_disconnected(echo_server: Any) -> None:
    client = WebSocketClient()
    assert client.set_buffers(1000, 1000, 1, 1) == OK
    client.connect_to_url(echo_server.url)
    assert client.set_buffers(64, 1024, 64, 1024) == FAILED


def test_full_output_buffer_returns_out_of_memory() -> None:
    # The output limit counts what the socket could not take: against a server that does
    # not read, put_packet succeeds until the kernel buffers and then ours are full, then
    # says ERR_OUT_OF_MEMORY; once the server reads, every accepted message arrives.
    reading = threading.Event()
    counted: list[int] = []

    def script(conn: socket.socket, server: RawServer) -> None:
        _, headers = read_request(conn)
        conn.sendall(ok_response(headers))
        reading.wait(10)
        data = server.read_rest(conn, timeout=1.0)
        counted.append(sum(1 for op, _ in unmask_frames(data) if op == 2))

    server = RawServer(script)
    client = connected_client(server.url)
    peer = client.get_peer(1)
    assert peer is not None
    assert peer.put_packet(b"x" * 70000) == ERR_OUT_OF_MEMORY  # larger than the whole buffer
    ok = 0
    for _ in range(5000):  # bounded: 5000 x 16 KiB is far more than loopback buffers hold
        if peer.put_packet(b"y" * 16384) != OK:
            break
        ok += 1
    else:
        raise AssertionError("put_packet never reported a full output buffer")
    assert 0 < client.get_current_outbound_buffered_amount() <= 65536
    reading.set()
    poll_until(client, lambda: client.get_current_outbound_buffered_amount() == 0,
               what="the output buffer to drain")
    client.disconnect_from_host()
    server.close()
    assert counted == [ok]


def test_signal_styles_godot3_and_godot4(echo_server: Any) -> None:
    class Game:
        def __init__(self) -> None:
            self.events: list[Any] = []

        def _on_established(self, protocol: str, extra: str) -> None:
            self.events.append(("g3", protocol, extra))

    game = Game()
    client = WebSocketClient()
    assert client.connect("connection_established", game, "_on_established", ["bound"]) == OK
    assert client.is_connected("connection_established", game, "_on_established")
    assert client.connect("connection_established", game, "_on_established") == \
        ERR_INVALID_PARAMETER
    assert client.connect("no_such_signal", game, "_on_established") == ERR_INVALID_PARAMETER
    client.connection_established.connect(lambda p: game.events.append(("g4", p)))
    client.connect_to_url(echo_server.url)
    poll_until(client, lambda: len(game.events) == 2)
    assert game.events == [("g3", "", "bound"), ("g4", "")]


def test_ip_literals_need_no_resolver_thread(echo_server: Any, monkeypatch: Any) -> None:
    import _thread

    def no_thread(*args: Any) -> None:
        raise AssertionError("a resolver thread was started for an IP literal")

    monkeypatch.setattr(_thread, "start_new_thread", no_thread)
    client = connected_client(echo_server.url)
    assert client.get_connected_host() == "127.0.0.1"


def test_negative_close_code_drops_at_once_on_the_next_poll(echo_server: Any) -> None:
    client = connected_client(echo_server.url)
    rec = Recorder(client)
    for _ in range(3):  # settle into the idle fast path
        client.poll()
    client.disconnect_from_host(-1)
    client.poll()
    assert rec.calls == [("connection_closed", False)]


def test_close_without_a_reply_ends_unclean_after_close_timeout() -> None:
    def script(conn: socket.socket, server: RawServer) -> None:
        _, headers = read_request(conn)
        conn.sendall(ok_response(headers))
        server.read_rest(conn, 3)  # reads our close frame, never answers

    server = RawServer(script)
    client = connected_client(server.url)
    client.close_timeout = 0.3
    rec = Recorder(client)
    client.disconnect_from_host(1000, "bye")
    poll_until(client, lambda: rec.has("connection_closed"), timeout=3)
    assert rec.calls == [("connection_closed", False)]
    server.close()
    assert list(unmask_frames(server.received)) == [(8, struct.pack("!H", 1000) + b"bye")]


# ------------------------------------------------------------------- hostile peers (issue 11)


def test_a_burst_survives_a_reset_right_after_it() -> None:
    """Issue 11.11: the server sends 20,000 messages and a close, then resets after the
    client's third 60 FPS frame after it was sent; a reset discards what the server's kernel still holds, so
    each poll must read as much as it can (not stop when the packet queue is full). Every
    message and the clean close arrive (main before the fix: about 7,500)."""
    import threading

    count = 20_000
    burst = b"".join(frame(2, struct.pack("!I", i) + bytes(28)) for i in range(count))
    burst += frame(8, struct.pack("!H", 1000))
    go = threading.Event()
    sent = threading.Event()
    reset = threading.Event()

    def script(conn: socket.socket, server: RawServer) -> None:
        _, headers = read_request(conn)
        conn.sendall(ok_response(headers))
        go.wait(10)
        conn.sendall(burst)
        sent.set()
        reset.wait(10)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    server = RawServer(script)
    client = WebSocketClient()
    rec = Recorder(client)
    got: list[bytes] = []
    client.connect_to_url(server.url)
    poll_until(client, lambda: client.get_connection_status() == CONNECTION_CONNECTED)
    go.set()
    frames_after = 0
    deadline = time.monotonic() + 10
    while frames_after < 3:  # game frames: poll, read every packet, wait for the next frame
        assert time.monotonic() < deadline, "the burst was never sent"
        time.sleep(1 / 60)
        client.poll()
        got.extend(p for p, _ in drain(client))
        if sent.is_set():  # the whole burst is in the kernel (ours or the server's)
            frames_after += 1
    reset.set()
    server.close()  # the reset is sent

    def read_all() -> bool:
        got.extend(p for p, _ in drain(client))
        return rec.has("connection_closed")

    poll_until(client, read_all, what="every message and the close")
    read_all()
    assert len(got) == count
    assert [struct.unpack_from("!I", p)[0] for p in got] == list(range(count))
    assert ("connection_closed", True) in rec.calls


def test_an_oversized_bytearray_is_refused_before_any_copy(echo_server: Any) -> None:
    """Issue 11.9: put_packet checks the size first; a 100 MB bytearray over the 64 KiB output
    buffer is refused without allocating a copy of it."""
    import tracemalloc

    client = connected_client(echo_server.url)
    peer = client.get_peer(1)
    big = bytearray(100_000_000)
    tracemalloc.start()
    try:
        assert peer.put_packet(big) == ERR_OUT_OF_MEMORY
        assert peer.put_packet(memoryview(big)) == ERR_OUT_OF_MEMORY
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, peak
    assert peer.put_packet(bytearray(b"fits")) == OK
    poll_until(client, lambda: peer.get_available_packet_count() == 1, what="the echo")
    assert peer.get_packet() == b"fits"
