"""The Godot 4 way of serving WebSockets: ``TCPServer.take_connection()``, optionally
``StreamPeerTLS.accept_stream``, then ``WebSocketPeer.accept_stream`` with the handshake done
inside ``poll()``; talked to by the 4.x peer, the 3.x classes and the ``websockets`` client,
with and without TLS (certificates from trustme)."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import trustme
from support import Recorder, WebsocketsServer, poll_until
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import connect
from websockets.sync.server import ServerConnection

import godot_ws
from godot_ws.godot4 import (
    ERR_ALREADY_IN_USE,
    ERR_INVALID_PARAMETER,
    OK,
    CryptoKey,
    StreamPeerTCP,
    StreamPeerTLS,
    TCPServer,
    TLSOptions,
    WebSocketPeer,
    X509Certificate,
)


class Godot4EchoServer:
    """A Godot 4 server script, line by line: accept with TCPServer, (TLS,) accept_stream,
    poll every peer, echo each packet in the mode it came in, forget closed peers."""

    def __init__(self, tls: TLSOptions | None = None, protocols: tuple[str, ...] = (),
                 headers: tuple[str, ...] = ()) -> None:
        self.tcp = TCPServer()
        assert self.tcp.listen(0, "127.0.0.1") == OK
        self.port = self.tcp.get_local_port()
        self.url = f"{'wss' if tls else 'ws'}://127.0.0.1:{self.port}"
        self.tls = tls
        self.protocols = protocols
        self.headers = headers
        self.peers: list[WebSocketPeer] = []
        self.closed: list[WebSocketPeer] = []  # peers that reached CLOSED, in order
        self.opened: list[WebSocketPeer] = []

    def poll(self) -> None:
        while self.tcp.is_connection_available():
            conn = self.tcp.take_connection()
            assert conn is not None
            stream: StreamPeerTCP | StreamPeerTLS = conn
            if self.tls is not None:
                stream = StreamPeerTLS()
                assert stream.accept_stream(conn, self.tls) == OK
            ws = WebSocketPeer()
            ws.supported_protocols = list(self.protocols)
            ws.handshake_headers = list(self.headers)
            assert ws.accept_stream(stream) == OK
            self.peers.append(ws)
        for ws in list(self.peers):
            ws.poll()
            state = ws.get_ready_state()
            if state == WebSocketPeer.STATE_OPEN:
                if ws not in self.opened:
                    self.opened.append(ws)
                while ws.get_available_packet_count():
                    packet = ws.get_packet()
                    if ws.was_string_packet():
                        ws.send_text(packet.decode())
                    else:
                        ws.put_packet(packet)
            elif state == WebSocketPeer.STATE_CLOSED:
                self.peers.remove(ws)
                self.closed.append(ws)

    def stop(self) -> None:
        for ws in self.peers:
            ws.close(-1)
        self.tcp.stop()


class Threaded:
    """Polls ``target`` in a thread (for blocking clients such as websockets' sync one)."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.running:
            with self.lock:
                self.target.poll()
            time.sleep(0.0005)

    def stop(self) -> None:
        self.running = False
        self.thread.join(5)


def poll_all(*pollables: Any, until: Callable[[], bool], timeout: float = 5.0,
             what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        for p in pollables:
            p.poll()
        time.sleep(0.0005)


@pytest.fixture
def server() -> Iterator[Godot4EchoServer]:
    s = Godot4EchoServer()
    yield s
    s.stop()


def connected(server: Godot4EchoServer, url: str | None = None,
              options: TLSOptions | None = None, **props: Any) -> WebSocketPeer:
    client = WebSocketPeer()
    for name, value in props.items():
        setattr(client, name, value)
    assert client.connect_to_url(url or server.url + "/", options) == OK
    poll_all(server, client, until=lambda: client.get_ready_state() != 0,
             what="the handshake")
    return client


# ------------------------------------------------------------------ TCPServer


def test_tcp_server_api() -> None:
    tcp = TCPServer()
    assert not tcp.is_listening() and tcp.get_local_port() == 0
    assert not tcp.is_connection_available()
    assert tcp.take_connection() is None  # logged, as Godot's error
    assert tcp.listen(70000) == ERR_INVALID_PARAMETER
    assert tcp.listen(0, "not an address") == ERR_INVALID_PARAMETER
    assert tcp.listen(0, "127.0.0.1") == OK
    assert tcp.is_listening() and tcp.get_local_port() > 0
    assert tcp.listen(0) == ERR_ALREADY_IN_USE
    with socket.create_connection(("127.0.0.1", tcp.get_local_port()), timeout=5) as raw:
        poll_all(until=tcp.is_connection_available, what="a connection")
        conn = tcp.take_connection()
        assert conn is not None
        assert conn.get_status() == StreamPeerTCP.STATUS_CONNECTED
        assert conn.get_connected_host() == "127.0.0.1"
        assert conn.get_connected_port() == raw.getsockname()[1]
        assert conn.get_local_port() == tcp.get_local_port()
        assert conn.put_data(b"hi") == OK
        assert raw.recv(2) == b"hi"
        raw.sendall(b"yo")
        poll_all(until=lambda: conn.get_partial_data(10) == [OK, b"yo"], what="data")
        conn.disconnect_from_host()
        assert conn.get_status() == StreamPeerTCP.STATUS_NONE
    taken = TCPServer()
    assert taken.listen(tcp.get_local_port(), "127.0.0.1") == godot_ws.ERR_CANT_CREATE
    tcp.stop()
    assert not tcp.is_listening()


# ------------------------------------------------------------------ 4.x <-> 4.x


def test_godot4_client_and_server_talk(server: Godot4EchoServer) -> None:
    client = connected(server, server.url + "/game?room=1")
    assert client.get_ready_state() == WebSocketPeer.STATE_OPEN
    poll_all(server, client, until=lambda: bool(server.opened), what="the server peer")
    peer = server.opened[0]
    assert peer.get_requested_url() == f"ws://127.0.0.1:{server.port}/game?room=1"
    assert peer.get_connected_host() == "127.0.0.1"
    assert peer.get_connected_port() == client._conn.transport.sock.getsockname()[1]  # type: ignore
    client.send_text("hello")
    client.put_packet(b"\x01\x02")
    client.put_var([1, "two", 3.5])
    got: list[Any] = []

    def more() -> bool:
        while client.get_available_packet_count():
            got.append((client.get_packet(), client.was_string_packet()))
        return len(got) == 3

    poll_all(server, client, until=more, what="the echoes")
    assert got[:2] == [(b"hello", True), (b"\x01\x02", False)]
    client.close(4002, "done")
    poll_all(server, client, until=lambda: client.get_ready_state() == 3 and bool(server.closed),
             what="both sides closed")
    assert (client.get_close_code(), client.get_close_reason()) == (4002, "done")
    assert (peer.get_close_code(), peer.get_close_reason()) == (4002, "done")


def test_protocols_follow_godot4_rules() -> None:
    server = Godot4EchoServer(protocols=("v1", "chat"), headers=("X-Server: godot4",))
    # The client's order decides: its first entry the server supports.
    client = connected(server, supported_protocols=["chat", "v1"])
    assert client.get_selected_protocol() == "chat"
    poll_all(server, client, until=lambda: bool(server.opened))
    assert server.opened[0].get_selected_protocol() == "chat"
    # No match, and no protocol at all while the server needs one: refused.
    for offered in (["other"], []):
        refused = connected(server, supported_protocols=offered)
        assert refused.get_ready_state() == WebSocketPeer.STATE_CLOSED
        assert refused.get_close_code() == -1
    server.stop()
    # Godot 4 (unlike 3.x) also refuses a client that offers protocols to a server with none.
    plain = Godot4EchoServer()
    refused = connected(plain, supported_protocols=["chat"])
    assert refused.get_ready_state() == WebSocketPeer.STATE_CLOSED
    plain.stop()


def test_server_handshake_headers_reach_the_client() -> None:
    server = Godot4EchoServer(headers=("X-Server: godot4",))
    runner = Threaded(server)
    try:
        with connect(server.url + "/") as ws:
            assert ws.response.headers["X-Server"] == "godot4"
            ws.send("ping")
            assert ws.recv(timeout=5) == "ping"
    finally:
        runner.stop()
        server.stop()


def test_bad_request_is_dropped_and_the_peer_closes(server: Godot4EchoServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        raw.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # not an upgrade
        poll_all(server, until=lambda: bool(server.closed), what="the refused peer")
        raw.settimeout(5)
        reply = raw.recv(4096)
        assert reply.startswith(b"HTTP/1.1 400")
    assert server.closed[0].get_close_code() == -1


def test_server_peer_close_reaches_the_client(server: Godot4EchoServer) -> None:
    client = connected(server)
    poll_all(server, client, until=lambda: bool(server.opened))
    peer = server.opened[0]
    peer.close(1001, "server going down")
    assert peer.get_ready_state() == WebSocketPeer.STATE_CLOSING
    poll_all(server, client, until=lambda: client.get_ready_state() == 3 and bool(server.closed))
    assert (client.get_close_code(), client.get_close_reason()) == (1001, "server going down")
    assert peer.get_close_code() == 1001  # the client echoed it


def test_server_peer_heartbeat_drops_a_client_that_stopped_polling(
        server: Godot4EchoServer) -> None:
    client = connected(server)
    poll_all(server, client, until=lambda: bool(server.opened))
    peer = server.opened[0]
    peer.heartbeat_interval = 0.05
    # The client is never polled again, so it never answers the ping.
    poll_all(server, until=lambda: peer.get_ready_state() == WebSocketPeer.STATE_CLOSED,
             what="the heartbeat to drop the client")
    assert peer.get_close_code() == -1
    poll_until(client, lambda: client.get_ready_state() == WebSocketPeer.STATE_CLOSED)
    assert client.get_close_code() == -1  # TCP ended without a close frame


# ------------------------------------------------------------------ with other libraries


def test_websockets_client_against_godot4_server() -> None:
    server = Godot4EchoServer()
    runner = Threaded(server)
    try:
        with connect(server.url + "/", max_size=None) as ws:
            ws.send("text")
            assert ws.recv(timeout=5) == "text"
            ws.send(b"\x00" * 65535)  # exactly inbound_buffer_size: fits
            assert ws.recv(timeout=5) == b"\x00" * 65535
            ws.send(b"\x00" * 65536)  # one byte more: the server closes with 1009
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    finally:
        runner.stop()
    assert server.closed[-1].get_close_code() == 1009
    assert server.closed[-1].get_close_reason() == "Message too big"
    server.stop()


def test_websockets_client_gets_selected_protocol() -> None:
    server = Godot4EchoServer(protocols=("chat",))
    runner = Threaded(server)
    try:
        with connect(server.url + "/", subprotocols=["x", "chat"]) as ws:
            assert ws.subprotocol == "chat"
        with pytest.raises(InvalidHandshake):
            connect(server.url + "/", subprotocols=["x"], open_timeout=5)
    finally:
        runner.stop()
        server.stop()


def test_godot3_client_against_godot4_server(server: Godot4EchoServer) -> None:
    client = godot_ws.WebSocketClient()
    rec = Recorder(client)
    assert client.connect_to_url(server.url + "/") == OK
    poll_all(server, client, until=lambda: rec.has("connection_established"))
    peer = client.get_peer(1)
    assert peer is not None
    peer.put_packet(b"from 3.x")
    poll_all(server, client, until=lambda: peer.get_available_packet_count() == 1)
    assert peer.get_packet() == b"from 3.x"
    client.disconnect_from_host(1000, "bye")
    poll_all(server, client, until=lambda: rec.has("connection_closed"))
    assert rec.calls[-1] == ("connection_closed", True)


def test_godot4_client_against_godot3_server() -> None:
    server = godot_ws.WebSocketServer()
    server.bind_ip = "127.0.0.1"
    assert server.listen(0, ["chat"]) == OK
    server.data_received.connect(
        lambda peer_id: server.get_peer(peer_id).put_packet(server.get_peer(peer_id).get_packet()))
    client = WebSocketPeer()
    client.supported_protocols = ["chat"]
    assert client.connect_to_url(f"ws://127.0.0.1:{server.get_local_port()}/") == OK
    poll_all(server, client, until=lambda: client.get_ready_state() == 1)
    assert client.get_selected_protocol() == "chat"
    client.put_packet(b"to 3.x")
    poll_all(server, client, until=lambda: client.get_available_packet_count() == 1)
    assert client.get_packet() == b"to 3.x"
    client.close()
    poll_all(server, client, until=lambda: client.get_ready_state() == 3)
    assert client.get_close_code() == 1000
    server.stop()


def test_godot4_client_against_websockets_server() -> None:
    def handler(ws: ServerConnection) -> None:
        for message in ws:
            ws.send(message)

    server = WebsocketsServer(handler)
    client = WebSocketPeer()
    assert client.connect_to_url(server.url) == OK
    poll_until(client, lambda: client.get_ready_state() == 1)
    client.send_text("x" * 1000)
    poll_until(client, lambda: client.get_available_packet_count() == 1)
    assert client.get_packet() == b"x" * 1000 and client.was_string_packet()
    client.close()
    poll_until(client, lambda: client.get_ready_state() == 3)
    server.close()


# ------------------------------------------------------------------ TLS


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_options(ca: trustme.CA, *names: str) -> TLSOptions:
    issued = ca.issue_cert(*(names or ("localhost", "127.0.0.1")))
    key = CryptoKey()
    assert key.load_from_string(issued.private_key_pem.bytes().decode()) == OK
    cert = X509Certificate()
    chain = "".join(p.bytes().decode() for p in issued.cert_chain_pems)
    assert cert.load_from_string(chain) == OK
    return TLSOptions.server(key, cert)


def ca_cert(ca: trustme.CA) -> X509Certificate:
    cert = X509Certificate()
    assert cert.load_from_string(ca.cert_pem.bytes().decode()) == OK
    return cert


def test_tls_options_shape(ca: trustme.CA) -> None:
    chain = ca_cert(ca)
    client = TLSOptions.client(chain, "example.org")
    assert not client.is_server() and not client.is_unsafe_client()
    assert client.get_trusted_ca_chain() is chain
    assert client.get_common_name_override() == "example.org"
    unsafe = TLSOptions.client_unsafe()
    assert unsafe.is_unsafe_client() and unsafe.get_trusted_ca_chain() is None
    served = server_options(ca)
    assert served.is_server() and served.get_private_key() is not None
    assert served.get_own_certificate() is not None
    with pytest.raises(TypeError):
        TLSOptions.server(None, None)  # type: ignore[arg-type]


def tls_outcome(server: Godot4EchoServer, url: str, options: TLSOptions | None) -> WebSocketPeer:
    client = WebSocketPeer()
    assert client.connect_to_url(url, options) == OK
    poll_all(server, client, until=lambda: client.get_ready_state() != 0, what="TLS")
    return client


@pytest.mark.parametrize(
    ("names", "host", "options", "opens"),
    [
        (("localhost", "127.0.0.1"), "127.0.0.1", "pinned", True),
        (("localhost", "127.0.0.1"), "localhost", "pinned", True),
        (("localhost", "127.0.0.1"), "127.0.0.1", "default", False),  # not in the system store
        (("localhost",), "127.0.0.1", "pinned", False),  # the name does not match
        (("localhost",), "127.0.0.1", "pinned+override", True),  # checked against localhost
        (("example.org",), "127.0.0.1", "pinned+override", False),
        (("example.org",), "127.0.0.1", "unsafe", True),  # no checks at all
        (("example.org",), "127.0.0.1", "unsafe+pinned", True),  # chain checked, name not
        (("example.org",), "127.0.0.1", "unsafe+other", False),  # chain from another CA
    ],
)
def test_tls_client_options(ca: trustme.CA, names: tuple[str, ...], host: str, options: str,
                            opens: bool) -> None:
    server = Godot4EchoServer(tls=server_options(ca, *names))
    chosen = {
        "pinned": TLSOptions.client(ca_cert(ca)),
        "default": None,
        "pinned+override": TLSOptions.client(ca_cert(ca), "localhost"),
        "unsafe": TLSOptions.client_unsafe(),
        "unsafe+pinned": TLSOptions.client_unsafe(ca_cert(ca)),
        "unsafe+other": TLSOptions.client_unsafe(ca_cert(trustme.CA())),
    }[options]
    client = tls_outcome(server, f"wss://{host}:{server.port}/", chosen)
    if not opens:
        assert client.get_ready_state() == WebSocketPeer.STATE_CLOSED
        assert client.get_close_code() == -1
        server.stop()
        return
    assert client.get_ready_state() == WebSocketPeer.STATE_OPEN
    client.put_packet(b"s" * 20_000)
    poll_all(server, client, until=lambda: client.get_available_packet_count() == 1)
    assert client.get_packet() == b"s" * 20_000
    client.close()
    poll_all(server, client, until=lambda: client.get_ready_state() == 3 and bool(server.closed))
    assert client.get_close_code() == 1000
    assert server.closed[0].get_requested_url().startswith("wss://")
    server.stop()


def test_pinning_the_leaf_certificate_itself(ca: trustme.CA) -> None:
    leaf = ca.issue_cert("localhost", "127.0.0.1")
    key = CryptoKey()
    assert key.load_from_string(leaf.private_key_pem.bytes().decode()) == OK
    own = X509Certificate()
    assert own.load_from_string(leaf.cert_chain_pems[0].bytes().decode()) == OK
    server = Godot4EchoServer(tls=TLSOptions.server(key, own))
    client = tls_outcome(server, f"wss://localhost:{server.port}/", TLSOptions.client(own))
    assert client.get_ready_state() == WebSocketPeer.STATE_OPEN
    other = X509Certificate()
    other_pem = ca.issue_cert("localhost").cert_chain_pems[0].bytes().decode()
    assert other.load_from_string(other_pem) == OK
    stranger = tls_outcome(server, f"wss://localhost:{server.port}/", TLSOptions.client(other))
    assert stranger.get_ready_state() == WebSocketPeer.STATE_CLOSED
    client.close(-1)
    server.stop()


def test_expired_certificate_is_refused(ca: trustme.CA) -> None:
    expired = ca.issue_cert("localhost", not_after=datetime.datetime(2000, 1, 1,
                                                                     tzinfo=datetime.timezone.utc))
    key = CryptoKey()
    assert key.load_from_string(expired.private_key_pem.bytes().decode()) == OK
    cert = X509Certificate()
    assert cert.load_from_string(expired.cert_chain_pems[0].bytes().decode()) == OK
    server = Godot4EchoServer(tls=TLSOptions.server(key, cert))
    client = tls_outcome(server, f"wss://localhost:{server.port}/", TLSOptions.client(ca_cert(ca)))
    assert client.get_ready_state() == WebSocketPeer.STATE_CLOSED
    assert client.get_close_code() == -1
    server.stop()


def test_wss_to_a_plain_server_and_ws_to_a_tls_server_fail_cleanly(ca: trustme.CA) -> None:
    plain = Godot4EchoServer()
    client = tls_outcome(plain, f"wss://localhost:{plain.port}/", TLSOptions.client(ca_cert(ca)))
    assert client.get_ready_state() == WebSocketPeer.STATE_CLOSED
    poll_all(plain, until=lambda: bool(plain.closed), what="the server peer")
    plain.stop()
    secure = Godot4EchoServer(tls=server_options(ca))
    client = tls_outcome(secure, f"ws://localhost:{secure.port}/", None)
    assert client.get_ready_state() == WebSocketPeer.STATE_CLOSED
    poll_all(secure, until=lambda: bool(secure.closed), what="the server peer")
    secure.stop()


def test_bad_key_material_is_invalid_parameter(ca: trustme.CA) -> None:
    mine = ca.issue_cert("localhost")
    theirs = ca.issue_cert("localhost")
    key = CryptoKey()
    assert key.load_from_string(theirs.private_key_pem.bytes().decode()) == OK
    cert = X509Certificate()
    assert cert.load_from_string(mine.cert_chain_pems[0].bytes().decode()) == OK
    tcp = TCPServer()
    assert tcp.listen(0, "127.0.0.1") == OK
    with socket.create_connection(("127.0.0.1", tcp.get_local_port()), timeout=5):
        poll_all(until=tcp.is_connection_available)
        conn = tcp.take_connection()
        assert conn is not None
        tls = StreamPeerTLS()
        assert tls.accept_stream(conn, TLSOptions.server(key, cert)) == ERR_INVALID_PARAMETER
        assert tls.get_status() == StreamPeerTLS.STATUS_DISCONNECTED
    tcp.stop()


def test_tls_stream_status_steps_on_poll(ca: trustme.CA) -> None:
    tcp = TCPServer()
    assert tcp.listen(0, "127.0.0.1") == OK
    client = WebSocketPeer()
    assert client.connect_to_url(f"wss://127.0.0.1:{tcp.get_local_port()}/",
                                 TLSOptions.client(ca_cert(ca))) == OK
    poll_all(client, until=tcp.is_connection_available)
    conn = tcp.take_connection()
    assert conn is not None
    tls = StreamPeerTLS()
    assert tls.get_status() == StreamPeerTLS.STATUS_DISCONNECTED
    assert tls.accept_stream(conn, TLSOptions.client()) == ERR_INVALID_PARAMETER
    assert tls.accept_stream(conn, server_options(ca)) == OK
    poll_all(client, tls, until=lambda: tls.get_status() != StreamPeerTLS.STATUS_HANDSHAKING)
    assert tls.get_status() == StreamPeerTLS.STATUS_CONNECTED
    assert tls.get_stream() is conn
    ws = WebSocketPeer()
    assert ws.accept_stream(tls) == OK
    assert ws.accept_stream(tls) == ERR_ALREADY_IN_USE
    poll_all(client, ws, until=lambda: client.get_ready_state() == 1 and ws.get_ready_state() == 1)
    ws.close(-1)
    assert conn.get_status() == StreamPeerTCP.STATUS_NONE  # the socket went with it
    poll_all(client, until=lambda: client.get_ready_state() == 3)
    tcp.stop()


def test_tls_streams_both_ways(ca: trustme.CA) -> None:
    tcp = TCPServer()
    assert tcp.listen(0, "127.0.0.1") == OK
    port = tcp.get_local_port()

    def pair(name: str) -> tuple[StreamPeerTLS, StreamPeerTLS]:
        raw = StreamPeerTCP()
        assert raw.connect_to_host("127.0.0.1", port) == OK
        poll_all(raw, until=lambda: raw.get_status() != StreamPeerTCP.STATUS_CONNECTING)
        assert raw.get_status() == StreamPeerTCP.STATUS_CONNECTED
        poll_all(until=tcp.is_connection_available)
        accepted = tcp.take_connection()
        assert accepted is not None
        server, client = StreamPeerTLS(), StreamPeerTLS()
        assert server.accept_stream(accepted, server_options(ca, "localhost")) == OK
        assert client.connect_to_stream(raw, name, TLSOptions.client(ca_cert(ca))) == OK
        poll_all(server, client, until=lambda: client.get_status() != 1, what="TLS")
        return server, client

    server, client = pair("localhost")
    assert client.get_status() == StreamPeerTLS.STATUS_CONNECTED
    poll_all(server, until=lambda: server.get_status() == StreamPeerTLS.STATUS_CONNECTED)
    assert client.put_data(b"over tls") == OK
    poll_all(until=lambda: server.get_partial_data(100) == [OK, b"over tls"], what="data")
    client.disconnect_from_host()
    server.disconnect_from_host()
    _, client = pair("example.org")
    assert client.get_status() == StreamPeerTLS.STATUS_ERROR_HOSTNAME_MISMATCH
    tcp.stop()


def test_websockets_tls_client_against_godot4_server(ca: trustme.CA) -> None:
    server = Godot4EchoServer(tls=server_options(ca))
    runner = Threaded(server)
    context = ssl.create_default_context()
    ca.configure_trust(context)
    try:
        with connect(f"wss://localhost:{server.port}/", ssl=context) as ws:
            ws.send("secure")
            assert ws.recv(timeout=5) == "secure"
    finally:
        runner.stop()
        server.stop()


def test_godot4_client_against_websockets_tls_server(ca: trustme.CA) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)

    def handler(ws: ServerConnection) -> None:
        for message in ws:
            ws.send(message)

    server = WebsocketsServer(handler, ssl=context)
    client = WebSocketPeer()
    assert client.connect_to_url(f"wss://localhost:{server.port}/",
                                 TLSOptions.client(ca_cert(ca))) == OK
    poll_until(client, lambda: client.get_ready_state() == 1)
    client.send_text("over tls")
    poll_until(client, lambda: client.get_available_packet_count() == 1)
    assert client.get_packet() == b"over tls"
    client.close()
    poll_until(client, lambda: client.get_ready_state() == 3)
    server.close()


def test_godot3_client_against_godot4_tls_server(ca: trustme.CA) -> None:
    server = Godot4EchoServer(tls=server_options(ca))
    client = godot_ws.WebSocketClient()
    client.trusted_tls_certificate = ca_cert(ca)
    rec = Recorder(client)
    assert client.connect_to_url(f"wss://localhost:{server.port}/") == OK
    poll_all(server, client, until=lambda: rec.has("connection_established"))
    client.disconnect_from_host()
    poll_all(server, client, until=lambda: rec.has("connection_closed"))
    server.stop()
