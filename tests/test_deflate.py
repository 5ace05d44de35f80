"""permessage-deflate (RFC 7692): negotiation rules, then client and server against the
``websockets`` library (which speaks deflate), a raw server sending a decompression bomb and
RSV1 misuse."""

from __future__ import annotations

import os
import socket
import threading
import tracemalloc
import zlib

import pytest
from support import (
    RawServer,
    Recorder,
    WebsocketsServer,
    frame,
    ok_response,
    poll_until,
    read_request,
    unmask_frames,
)
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.sync.client import connect
from websockets.sync.server import ServerConnection

from godot_ws import DeflateOptions, WebSocketClient, WebSocketServer
from godot_ws.core.deflate import (
    DeflateError,
    DeflateParams,
    PerMessageDeflate,
    client_accept,
    client_offer,
    server_accept,
)
from godot_ws.core.handshake import parse_target
from godot_ws.core.protocol import ClientProtocol, PacketQueue, ServerProtocol

TEXT = ("The quick brown fox jumps over the lazy dog. " * 200).encode()


# ---------------------------------------------------------------------- negotiation


def test_offer() -> None:
    assert client_offer(DeflateOptions()) == "permessage-deflate; client_max_window_bits"
    assert client_offer(DeflateOptions(client_max_window_bits=10, server_max_window_bits=11,
                                       server_no_context_takeover=True)) == (
        "permessage-deflate; server_no_context_takeover; client_max_window_bits=10; "
        "server_max_window_bits=11")
    with pytest.raises(ValueError):
        DeflateOptions(server_max_window_bits=8)


def test_client_checks_the_answer() -> None:
    options = DeflateOptions(server_max_window_bits=10)
    assert client_accept("permessage-deflate; server_max_window_bits=10; "
                         "client_max_window_bits=12", options) == DeflateParams(12, 10)
    for bad in ("permessage-deflate",  # ignored our server_max_window_bits
                "permessage-deflate; server_max_window_bits=12",  # more than offered
                "permessage-deflate; server_max_window_bits=10; foo",
                "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
                "permessage-deflate; server_max_window_bits=10; client_max_window_bits",
                "permessage-deflate; server_max_window_bits=10; client_max_window_bits=8",
                "x-webkit-deflate-frame",
                "permessage-deflate; server_max_window_bits=10, permessage-deflate"):
        with pytest.raises(DeflateError):
            client_accept(bad, options)
    assert client_accept("permessage-deflate; client_no_context_takeover",
                         DeflateOptions()).client_no_context_takeover


def test_server_picks_the_first_acceptable_offer() -> None:
    options = DeflateOptions()
    # An unknown parameter skips that offer; an 8-bit window for our side is declined.
    accepted = server_accept("permessage-deflate; foo, permessage-deflate; "
                             "server_max_window_bits=8, permessage-deflate; "
                             "client_max_window_bits; server_no_context_takeover", options)
    assert accepted is not None
    params, answer = accepted
    assert answer == "permessage-deflate; server_no_context_takeover"
    assert params.server_no_context_takeover and params.server_max_window_bits == 15
    assert server_accept("x-foo, permessage-deflate; server_max_window_bits=99", options) is None
    limited = DeflateOptions(server_max_window_bits=10, client_max_window_bits=11,
                             client_no_context_takeover=True)
    accepted = server_accept("permessage-deflate; client_max_window_bits", limited)
    assert accepted is not None
    assert accepted[1] == ("permessage-deflate; client_no_context_takeover; "
                           "server_max_window_bits=10; client_max_window_bits=11")
    assert accepted[0].client_max_window_bits == 11  # what we inflate the client's data with


# ---------------------------------------------------------------------- memory


def _idle_bytes_per_end(options: DeflateOptions, pairs: int = 40) -> float:
    """Traced bytes (zlib's state included) per connection end of ``pairs`` in-memory
    client/server protocols that exchanged one 1.5 KiB message each way and went idle."""
    target = parse_target("ws://127.0.0.1:1/")
    assert target is not None
    kept = []
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(pairs):
            client = ClientProtocol(target, PacketQueue(1 << 20, 64), max_message_size=1 << 20,
                                    deflate=options)
            server = ServerProtocol(PacketQueue(1 << 20, 64), (), 1 << 20, deflate=options)
            server.receive_data(client.data_to_send())
            client.receive_data(server.data_to_send())
            assert client.deflate is not None and server.deflate is not None
            message = b"%d" % i + TEXT[:1500]
            client.send_message(message, True)
            server.receive_data(client.data_to_send())
            server.send_message(message, True)
            client.receive_data(server.data_to_send())
            assert server.queue.packets[-1][0] == client.queue.packets[-1][0] == message
            server.queue.packets.clear()
            client.queue.packets.clear()
            kept.append((client, server))
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return held / (2 * pairs)


def test_idle_connection_without_context_takeover_holds_no_zlib_state() -> None:
    # Issue 25 finding 9: the compressor (256 KiB at 15 bits) and the decompressor's window
    # stayed allocated while idle although no_context_takeover makes a new one per message:
    # 308 KiB per connection end, against 6.4 KiB uncompressed.
    nct = DeflateOptions(server_no_context_takeover=True, client_no_context_takeover=True)
    assert _idle_bytes_per_end(nct) < 16 * 1024


def test_small_window_small_compressor() -> None:
    # memLevel follows the window: 12-bit windows cost 196 KiB per end with zlib's default
    # memLevel 8, 56 KiB with memLevel 5 (32 KiB compressor, 4 KiB window + inflate state).
    small = DeflateOptions(server_max_window_bits=12, client_max_window_bits=12)
    assert _idle_bytes_per_end(small) < 80 * 1024


def test_peer_reaching_past_its_agreed_window_fails() -> None:
    # The server agreed client_max_window_bits=9 and keeps a 512-byte window between
    # messages, so a client that compresses with 15 bits anyway (its second message is a
    # match 2000 bytes back, into the first) is refused; one that keeps to 9 bits is read.
    chunk = os.urandom(2000)
    for bits, ok in ((15, False), (9, True)):
        receiver = PerMessageDeflate(DeflateParams(client_max_window_bits=9), client=False,
                                     options=DeflateOptions())
        sender = zlib.compressobj(6, zlib.DEFLATED, -bits)
        first, second = (sender.compress(chunk) + sender.flush(zlib.Z_SYNC_FLUSH)
                         for _ in range(2))
        assert receiver.decompress(first[:-4], True, 1 << 20) == chunk
        if ok:
            assert receiver.decompress(second[:-4], True, 1 << 20) == chunk
        else:
            with pytest.raises(DeflateError):
                receiver.decompress(second[:-4], True, 1 << 20)


# ---------------------------------------------------------------------- against websockets


def _echo(ws: ServerConnection) -> None:
    for message in ws:
        ws.send(message)


def test_client_compresses_with_websockets_server() -> None:
    seen: list[object] = []

    def handler(ws: ServerConnection) -> None:
        seen.append(ws.protocol.extensions)
        _echo(ws)

    server = WebsocketsServer(handler)
    client = WebSocketClient()
    assert client.compression_enabled is False
    client.compression_enabled = True
    client.set_buffers(1024, 1024, 1024, 1024)
    rec = Recorder(client)
    client.connect_to_url(server.url)
    poll_until(client, lambda: rec.has("connection_established"))
    peer = client.get_peer(1)
    assert peer is not None
    messages = [(TEXT, True), (bytes(range(256)) * 300, False), (b"", False), (b"x", True)]
    for payload, text in messages * 3:  # context takeover across messages
        peer.set_write_mode(0 if text else 1)
        assert peer.put_packet(payload) == 0
    got: list[tuple[bytes, bool]] = []

    def collect() -> bool:
        while peer.get_available_packet_count():
            got.append((peer.get_packet(), peer.was_string_packet()))
        return len(got) == len(messages) * 3

    poll_until(client, collect)
    assert got == messages * 3
    assert seen and seen[0] and type(seen[0][0]).__name__ == "PerMessageDeflate"  # type: ignore[index]
    client.disconnect_from_host()
    poll_until(client, lambda: rec.has("connection_closed"))
    server.close()


def test_compression_is_off_by_default() -> None:
    """No offer without compression_enabled; our server declines websockets' offer."""
    requests: list[str | None] = []

    def handler(ws: ServerConnection) -> None:
        requests.append(ws.request.headers.get("Sec-WebSocket-Extensions") if ws.request
                        else None)
        _echo(ws)

    server = WebsocketsServer(handler)
    client = WebSocketClient()
    rec = Recorder(client)
    client.connect_to_url(server.url)
    poll_until(client, lambda: rec.has("connection_established"))
    client.disconnect_from_host()
    poll_until(client, lambda: rec.has("connection_closed"))
    server.close()
    assert requests == [None]  # read after the handler has surely run

    ours = WebSocketServer()
    ours.bind_ip = "127.0.0.1"
    assert ours.listen(0) == 0
    result: dict[str, object] = {}

    def run() -> None:
        with connect(f"ws://127.0.0.1:{ours.get_local_port()}") as ws:  # offers deflate
            result["extensions"] = list(ws.protocol.extensions)

    thread = threading.Thread(target=run)
    thread.start()
    poll_until(ours, lambda: not thread.is_alive())
    assert result["extensions"] == []
    ours.stop()


def _serve_websockets_client(
    server: WebSocketServer, run: object
) -> dict[str, object]:
    """Run ``run(url, result)`` in a thread while polling ``server``, echoing every message."""
    result: dict[str, object] = {}
    url = f"ws://127.0.0.1:{server.get_local_port()}"
    thread = threading.Thread(target=run, args=(url, result))  # type: ignore[arg-type]
    ids: list[int] = []
    server.client_connected.connect(lambda pid, proto: ids.append(pid))
    thread.start()

    def echo_all() -> bool:
        for pid in ids:
            peer = server.get_peer(pid)
            while peer is not None and peer.get_available_packet_count():
                data = peer.get_packet()
                peer.set_write_mode(0 if peer.was_string_packet() else 1)
                peer.put_packet(data)
        return not thread.is_alive()

    poll_until(server, echo_all, timeout=15, what="the websockets client")
    return result


@pytest.mark.parametrize("options, offer, expect", [
    (DeflateOptions(), ClientPerMessageDeflateFactory(client_max_window_bits=True),
     {"server_max_window_bits": 15}),
    (DeflateOptions(server_max_window_bits=10, server_no_context_takeover=True),
     ClientPerMessageDeflateFactory(client_max_window_bits=True),
     {"server_max_window_bits": 10, "server_no_context_takeover": True}),
    (DeflateOptions(), ClientPerMessageDeflateFactory(server_max_window_bits=9,
                                                      client_no_context_takeover=True),
     {"server_max_window_bits": 9, "client_no_context_takeover": True}),
    (DeflateOptions(client_max_window_bits=9), ClientPerMessageDeflateFactory(
        client_max_window_bits=True), {"client_max_window_bits": 9}),
])
def test_server_negotiates_with_websockets_client(
    options: DeflateOptions, offer: ClientPerMessageDeflateFactory, expect: dict[str, object]
) -> None:
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    server.compression_enabled = True
    server.compression_options = options
    assert server.listen(0) == 0

    def run(url: str, result: dict[str, object]) -> None:
        with connect(url, extensions=[offer], compression=None) as ws:
            result["extensions"] = list(ws.protocol.extensions)
            for i in range(5):
                ws.send(TEXT.decode() + str(i))
                result[f"echo{i}"] = ws.recv(timeout=5)
            ws.send(bytes(60000))
            result["binary"] = ws.recv(timeout=5)

    result = _serve_websockets_client(server, run)
    server.stop()
    assert [result[f"echo{i}"] for i in range(5)] == [TEXT.decode() + str(i) for i in range(5)]
    assert result["binary"] == bytes(60000)
    extension = result["extensions"][0]  # type: ignore[index]
    remote_bits = getattr(extension, "remote_max_window_bits")  # the server's window
    local_bits = getattr(extension, "local_max_window_bits")
    assert remote_bits == expect.get("server_max_window_bits", 15)
    assert local_bits == expect.get("client_max_window_bits", local_bits)
    assert getattr(extension, "remote_no_context_takeover") == expect.get(
        "server_no_context_takeover", False)
    if "client_no_context_takeover" in expect:
        assert getattr(extension, "local_no_context_takeover")


# ---------------------------------------------------------------------- hostile input


def _deflate(payload: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return data[:-4]


def _compressing_server(frames: bytes) -> RawServer:
    def script(conn: socket.socket, server: RawServer) -> None:
        _, headers = read_request(conn)
        assert "permessage-deflate" in headers.get("sec-websocket-extensions", "")
        conn.sendall(ok_response(headers, "Sec-WebSocket-Extensions: permessage-deflate\r\n")
                     + frames)
        server.read_rest(conn)

    return RawServer(script)


def _run_until_closed(
    frames: bytes,
) -> tuple[WebSocketClient, Recorder, list[tuple[int, bytes]]]:
    """A compressing client against a raw server that sends ``frames``, polled until the
    connection ends: the client, its signals and the frames it sent (unmasked)."""
    server = _compressing_server(frames)
    client = WebSocketClient()
    client.compression_enabled = True
    rec = Recorder(client)
    client.connect_to_url(server.url)
    poll_until(client, lambda: rec.has("connection_closed"))
    server.close()
    return client, rec, list(unmask_frames(server.received))


def _closed_with(frames: bytes) -> tuple[Recorder, list[tuple[int, bytes]]]:
    _, rec, sent = _run_until_closed(frames)
    return rec, sent


def test_decompression_bomb_closes_1009_without_a_huge_allocation() -> None:
    bomb = _deflate(bytes(200 * 1024 * 1024))  # 200 MiB of zeros, ~200 KiB compressed
    assert len(bomb) < 300_000
    tracemalloc.start()
    try:
        rec, sent = _closed_with(frame(0x2, bomb, rsv=4))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rec.calls[-1] == ("connection_closed", False)
    assert sent[-1][0] == 0x8 and int.from_bytes(sent[-1][1][:2], "big") == 1009
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes while refusing a bomb"


def test_compressed_message_from_a_raw_server() -> None:
    """A compressed message split into fragments (RSV1 on the first only) is inflated."""
    data = _deflate(TEXT)
    frames = (frame(0x1, data[:10], fin=False, rsv=4) + frame(0x0, data[10:20], fin=False)
              + frame(0x0, data[20:]) + frame(0x2, b"plain") + frame(0x8, b"\x03\xe8"))
    client, _, _ = _run_until_closed(frames)
    peer = client.get_peer(1)
    assert peer is not None
    assert peer.get_packet() == TEXT and peer.was_string_packet()
    assert peer.get_packet() == b"plain"


@pytest.mark.parametrize("frames, code", [
    (frame(0x2, _deflate(b"a"), fin=False) + frame(0x0, b"x", rsv=4), 1002),  # RSV1 on CONT
    (frame(0x9, b"", rsv=4), 1002),  # RSV1 on a control frame
    (frame(0x2, b"\xff\xff\xff\xff", rsv=4), 1007),  # not deflate data
    (frame(0x1, _deflate(b"\xff\xfe"), rsv=4), 1007),  # inflates to bad UTF-8
    (frame(0x2, b"x", rsv=2), 1002),  # RSV2 is never allowed
])
def test_bad_compressed_frames_fail(frames: bytes, code: int) -> None:
    rec, sent = _closed_with(frames)
    assert rec.calls[-1] == ("connection_closed", False)
    assert sent[-1][0] == 0x8 and int.from_bytes(sent[-1][1][:2], "big") == code


def test_rsv1_without_negotiation_is_a_protocol_error() -> None:
    server = RawServer(lambda conn, srv: (
        conn.sendall(ok_response(read_request(conn)[1]) + frame(0x2, _deflate(b"hi"), rsv=4)),
        srv.read_rest(conn)))
    client = WebSocketClient()  # compression off: RSV1 is illegal
    rec = Recorder(client)
    client.connect_to_url(server.url)
    poll_until(client, lambda: rec.has("connection_closed"))
    server.close()
    sent = list(unmask_frames(server.received))
    assert sent[-1][0] == 0x8 and int.from_bytes(sent[-1][1][:2], "big") == 1002


def test_unrequested_parameters_fail_the_handshake() -> None:
    def script(conn: socket.socket, server: RawServer) -> None:
        _, headers = read_request(conn)
        conn.sendall(ok_response(headers, "Sec-WebSocket-Extensions: permessage-deflate; "
                                          "server_max_window_bits=99\r\n"))
        server.read_rest(conn, timeout=1.0)

    server = RawServer(script)
    client = WebSocketClient()
    client.compression_enabled = True
    rec = Recorder(client)
    client.connect_to_url(server.url)
    poll_until(client, lambda: rec.has("connection_error"))
    server.close()


def test_incompressible_message_of_exactly_the_input_buffer() -> None:
    """Deflate makes random bytes a little larger: a 64 KiB random message still fits the
    default 64 KiB input buffer (the limit is on the inflated size)."""
    payload = os.urandom(65536)

    def handler(ws: ServerConnection) -> None:
        ws.recv()
        ws.send(payload)
        ws.recv()

    server = WebsocketsServer(handler)
    client = WebSocketClient()
    client.compression_enabled = True
    rec = Recorder(client)
    client.connect_to_url(server.url)
    poll_until(client, lambda: rec.has("connection_established"))
    peer = client.get_peer(1)
    assert peer is not None
    peer.put_packet(b"go")
    poll_until(client, lambda: peer.get_available_packet_count() == 1 or rec.has(
        "connection_closed"))
    assert peer.get_packet() == payload
    client.disconnect_from_host()
    poll_until(client, lambda: rec.has("connection_closed"))
    server.close()


# ---------------------------------------------------------------------- the 4.x WebSocketPeer


def test_godot4_peer_compresses_both_ways() -> None:
    """godot_ws.godot4.WebSocketPeer.compression_enabled: as a client against the websockets
    server, and as a server (TCPServer + accept_stream) against the websockets client."""
    from godot_ws.godot4 import TCPServer
    from godot_ws.godot4 import WebSocketPeer as Peer4

    seen: list[object] = []

    def handler(ws: ServerConnection) -> None:
        seen.append(list(ws.protocol.extensions))
        _echo(ws)

    server = WebsocketsServer(handler)
    client = Peer4()
    assert client.compression_enabled is False
    client.compression_enabled = True
    assert client.connect_to_url(server.url) == 0
    poll_until(client, lambda: client.get_ready_state() == Peer4.STATE_OPEN)
    assert client.send_text(TEXT.decode()) == 0
    poll_until(client, lambda: client.get_available_packet_count() == 1)
    assert client.get_packet() == TEXT and client.was_string_packet()
    client.close()
    poll_until(client, lambda: client.get_ready_state() == Peer4.STATE_CLOSED)
    server.close()
    assert seen and seen[0]  # websockets negotiated an extension

    tcp = TCPServer()
    assert tcp.listen(0, "127.0.0.1") == 0
    result: dict[str, object] = {}

    def run() -> None:
        with connect(f"ws://127.0.0.1:{tcp.get_local_port()}") as ws:  # offers deflate
            result["extensions"] = list(ws.protocol.extensions)
            ws.send(TEXT.decode())
            result["echo"] = ws.recv(timeout=5)

    thread = threading.Thread(target=run)
    thread.start()
    peers: list[Peer4] = []

    class Host:
        @staticmethod
        def poll() -> None:
            while tcp.is_connection_available():
                peer = Peer4()
                peer.compression_enabled = True
                stream = tcp.take_connection()
                assert stream is not None and peer.accept_stream(stream) == 0
                peers.append(peer)
            for peer in peers:
                peer.poll()
                while peer.get_available_packet_count():
                    data = peer.get_packet()
                    peer.send(data, Peer4.WRITE_MODE_TEXT if peer.was_string_packet()
                              else Peer4.WRITE_MODE_BINARY)

    poll_until(Host, lambda: not thread.is_alive(), timeout=10)
    tcp.stop()
    assert result["echo"] == TEXT.decode()
    assert result["extensions"]
