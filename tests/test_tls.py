"""wss:// against a TLS websockets server with certificates made at test time (trustme)."""

from __future__ import annotations

import datetime
import logging
import os
import socket
import ssl
from typing import Any

import pytest
import trustme
from support import RawServer, Recorder, WebsocketsServer, drain, ok_response, poll_until
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection

from godot_ws import (
    CONNECTION_CONNECTED,
    ERR_FILE_CANT_OPEN,
    ERR_PARSE_ERROR,
    OK,
    WebSocketClient,
    X509Certificate,
)


def echo(ws: ServerConnection) -> None:
    try:
        for message in ws:
            ws.send(message)
    except ConnectionClosed:
        pass


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def tls_server(ca: trustme.CA, *names: str, **issue: Any) -> WebsocketsServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*(names or ("localhost", "127.0.0.1")), **issue).configure_cert(context)
    return WebsocketsServer(echo, ssl=context)


def pinned(ca: trustme.CA) -> X509Certificate:
    cert = X509Certificate()
    assert cert.load_from_string(ca.cert_pem.bytes().decode()) == OK
    return cert


def wss(server: WebsocketsServer, host: str = "localhost") -> str:
    return f"wss://{host}:{server.port}/"


def outcome(client: WebSocketClient, url: str) -> Recorder:
    rec = Recorder(client)
    assert client.connect_to_url(url) == OK
    poll_until(client, lambda: rec.has("connection_established") or rec.has("connection_error"),
               what="the TLS handshake to end")
    return rec


def test_pinned_certificate_connects_and_echoes(ca: trustme.CA) -> None:
    server = tls_server(ca)
    client = WebSocketClient()
    client.trusted_tls_certificate = pinned(ca)
    rec = outcome(client, wss(server))
    assert rec.calls == [("connection_established", "")]
    peer = client.get_peer(1)
    assert peer is not None
    got: list[Any] = []
    for size in (5, 20_000):
        peer.put_packet(b"s" * size)
    poll_until(client, lambda: got.extend(drain(client)) or len(got) == 2)
    assert [len(p) for p, _ in got] == [5, 20_000]
    client.disconnect_from_host()
    poll_until(client, lambda: rec.has("connection_closed"))
    assert rec.calls[-1] == ("connection_closed", True)
    server.close()


def test_by_ip_address_too(ca: trustme.CA) -> None:
    server = tls_server(ca)
    client = WebSocketClient()
    client.set_trusted_ssl_certificate(pinned(ca))  # Godot 3 name
    rec = outcome(client, wss(server, "127.0.0.1"))
    assert rec.calls == [("connection_established", "")]
    server.close()


def test_untrusted_certificate_is_a_connection_error_by_default(ca: trustme.CA,
                                                                caplog: Any) -> None:
    server = tls_server(ca)
    client = WebSocketClient()
    assert client.verify_tls and client.is_verify_ssl_enabled()  # on by default
    with caplog.at_level(logging.WARNING, "godot_ws"):
        rec = outcome(client, wss(server))
    assert rec.calls == [("connection_error",)]
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text
    server.close()


def test_pin_rejects_a_certificate_from_another_ca(ca: trustme.CA) -> None:
    server = tls_server(trustme.CA())
    client = WebSocketClient()
    client.trusted_tls_certificate = pinned(ca)
    assert outcome(client, wss(server)).calls == [("connection_error",)]
    server.close()


def test_wrong_host_name_is_a_connection_error(ca: trustme.CA, caplog: Any) -> None:
    server = tls_server(ca, "example.org")
    client = WebSocketClient()
    client.trusted_tls_certificate = pinned(ca)
    with caplog.at_level(logging.WARNING, "godot_ws"):
        assert outcome(client, wss(server)).calls == [("connection_error",)]
    assert "hostname" in caplog.text.lower() or "match" in caplog.text.lower()
    server.close()


def test_expired_certificate_is_a_connection_error(ca: trustme.CA, caplog: Any) -> None:
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=2)
    server = tls_server(ca, "localhost", not_before=past - datetime.timedelta(days=30),
                        not_after=past)
    client = WebSocketClient()
    client.trusted_tls_certificate = pinned(ca)
    with caplog.at_level(logging.WARNING, "godot_ws"):
        assert outcome(client, wss(server)).calls == [("connection_error",)]
    assert "expired" in caplog.text
    server.close()


def test_verify_off_accepts_any_certificate_with_a_warning(caplog: Any) -> None:
    server = tls_server(trustme.CA(), "example.org")
    client = WebSocketClient()
    client.verify_tls = False
    with caplog.at_level(logging.WARNING, "godot_ws"):
        rec = outcome(client, wss(server))
    assert rec.calls == [("connection_established", "")]
    assert "verification is off" in caplog.text
    server.close()


def test_plain_server_on_a_wss_url_is_a_connection_error() -> None:
    server = WebsocketsServer(echo)
    client = WebSocketClient()
    client.verify_tls = False
    assert outcome(client, wss(server)).calls == [("connection_error",)]
    server.close()


def test_garbage_mid_stream_is_an_unclean_close(ca: trustme.CA) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)

    def script(conn: socket.socket, server: RawServer) -> None:
        tls = context.wrap_socket(conn, server_side=True)
        data = b""
        while b"\r\n\r\n" not in data:
            data += tls.recv(4096)
        key = next(line.split(b": ", 1)[1].decode() for line in data.split(b"\r\n")
                   if line.lower().startswith(b"sec-websocket-key"))
        tls.sendall(ok_response({"sec-websocket-key": key}) + b"\x82\x02hi")
        # Bytes that are not a TLS record, written under the TLS layer: a fatal alert follows.
        raw = socket.socket(fileno=os.dup(tls.fileno()))
        raw.sendall(b"\x17\x03\x03\x00\x05garbage")
        server.read_rest(raw, 2)
        raw.close()

    server = RawServer(script)
    client = WebSocketClient()
    client.trusted_tls_certificate = pinned(ca)
    rec = Recorder(client)
    client.connect_to_url(f"wss://localhost:{server.port}/")
    poll_until(client, lambda: rec.has("connection_closed") or rec.has("connection_error"))
    server.close()
    assert rec.names() == ["connection_established", "connection_closed"]
    assert rec.calls[-1] == ("connection_closed", False)
    assert drain(client) == [(b"hi", False)]


def test_certificate_load_save_and_errors(ca: trustme.CA, tmp_path: Any) -> None:
    cert = pinned(ca)
    path = str(tmp_path / "ca.crt")
    assert cert.save(path) == OK
    again = X509Certificate()
    assert again.load(path) == OK and again == cert
    assert X509Certificate().load(str(tmp_path / "missing.crt")) == ERR_FILE_CANT_OPEN
    assert X509Certificate().load_from_string("not a certificate") == ERR_PARSE_ERROR


def test_pin_can_only_change_while_disconnected(ca: trustme.CA) -> None:
    server = tls_server(ca)
    client = WebSocketClient()
    client.trusted_tls_certificate = pinned(ca)
    outcome(client, wss(server))
    assert client.get_connection_status() == CONNECTION_CONNECTED
    client.trusted_tls_certificate = None
    assert client.trusted_tls_certificate is not None
    server.close()


def test_joins_a_real_godot_wss_server(ca: trustme.CA, tmp_path: Any,
                                       godot_process_factory: Any) -> None:
    leaf = ca.issue_cert("localhost")
    key_path, cert_path = tmp_path / "server.key", tmp_path / "server.crt"
    leaf.private_key_pem.write_to_path(str(key_path))
    leaf.cert_chain_pems[0].write_to_path(str(cert_path))
    godot = godot_process_factory("echo_server.gd", f"key={key_path}", f"cert={cert_path}")
    client = WebSocketClient()
    client.trusted_tls_certificate = pinned(ca)
    rec = outcome(client, f"wss://localhost:{godot.port}/")
    assert rec.calls == [("connection_established", "")], godot.output()
    peer = client.get_peer(1)
    assert peer is not None
    peer.put_packet(b"over tls")
    got: list[Any] = []
    poll_until(client, lambda: got.extend(drain(client)) or bool(got))
    assert got == [(b"over tls", False)]
    client.disconnect_from_host(1000, "bye")
    poll_until(client, lambda: rec.has("connection_closed"))
    assert rec.calls[-1] == ("connection_closed", True)


def test_our_server_over_wss(ca: trustme.CA) -> None:
    from godot_ws import CryptoKey, WebSocketServer

    leaf = ca.issue_cert("localhost")
    key, cert = CryptoKey(), X509Certificate()
    assert key.load_from_string(leaf.private_key_pem.bytes().decode()) == OK
    assert cert.load_from_string(leaf.cert_chain_pems[0].bytes().decode()) == OK
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    server.private_key = key
    server.ssl_certificate = cert
    assert server.listen(0) == OK
    server.data_received.connect(
        lambda i: server.get_peer(i).put_packet(server.get_peer(i).get_packet()))  # type: ignore[union-attr]
    client = WebSocketClient()
    client.trusted_tls_certificate = pinned(ca)
    rec = Recorder(client)
    client.connect_to_url(f"wss://localhost:{server.get_local_port()}/")

    class Both:
        def poll(self) -> None:
            server.poll()
            client.poll()

    poll_until(Both(), lambda: rec.has("connection_established") or rec.has("connection_error"))
    assert rec.calls == [("connection_established", "")]
    client.get_peer(1).put_packet(b"secret" * 5000)  # type: ignore[union-attr]
    got: list[Any] = []
    poll_until(Both(), lambda: got.extend(drain(client)) or bool(got))
    assert got == [(b"secret" * 5000, False)]
    # A plain client on the wss port fails the handshake and does not disturb the server.
    plain = WebSocketClient()
    errors: list[bool] = []
    plain.connection_error.connect(lambda: errors.append(True))
    plain.connect_to_url(f"ws://127.0.0.1:{server.get_local_port()}/")
    poll_until(Both(), lambda: (plain.poll(), bool(errors))[1], timeout=8)
    assert client.get_connection_status() == CONNECTION_CONNECTED
    server.stop()


def test_bad_key_material_is_refused_at_listen(ca: trustme.CA) -> None:
    from godot_ws import ERR_INVALID_PARAMETER, CryptoKey, WebSocketServer

    key, cert = CryptoKey(), X509Certificate()
    key.load_from_string(ca.issue_cert("a").private_key_pem.bytes().decode())
    cert.load_from_string(ca.issue_cert("b").cert_chain_pems[0].bytes().decode())  # other key
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    server.private_key = key
    server.ssl_certificate = cert
    assert server.listen(0) == ERR_INVALID_PARAMETER
    assert not server.is_listening()
    assert CryptoKey().load_from_string("nope") != OK


def test_pinning_the_leaf_certificate_itself(ca: trustme.CA) -> None:
    """Issue 11.9: README promises "only it (or a chain ending in it)": pinning the server's
    own certificate (not a CA) connects; pinning another leaf of the same CA does not."""
    leaf = ca.issue_cert("localhost", "127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    server = WebsocketsServer(echo, ssl=context)
    client = WebSocketClient()
    cert = X509Certificate()
    assert cert.load_from_string(leaf.cert_chain_pems[0].bytes().decode()) == OK
    client.trusted_tls_certificate = cert
    rec = outcome(client, wss(server))
    assert rec.calls == [("connection_established", "")]
    client.disconnect_from_host()
    poll_until(client, lambda: rec.has("connection_closed"))
    other = X509Certificate()
    other_pem = ca.issue_cert("localhost").cert_chain_pems[0].bytes().decode()
    assert other.load_from_string(other_pem) == OK
    stranger = WebSocketClient()
    stranger.trusted_tls_certificate = other
    assert outcome(stranger, wss(server)).calls == [("connection_error",)]
    server.close()


def test_large_messages_over_tls_arrive_whole(ca: trustme.CA) -> None:
    """Issue 13: large frames are read with recv_into their own buffer, TLS included."""
    server = tls_server(ca)
    client = WebSocketClient()
    assert client.set_buffers(4096, 16, 4096, 16) == OK
    client.trusted_tls_certificate = pinned(ca)
    rec = outcome(client, wss(server))
    assert rec.calls == [("connection_established", "")]
    peer = client.get_peer(1)
    sizes = [300_000, 70_000, 5, 1_000_000]
    payloads = [bytes([i]) * n for i, n in enumerate(sizes)]
    for payload in payloads:
        assert peer.put_packet(payload) == OK
    got: list[Any] = []
    poll_until(client, lambda: got.extend(drain(client)) or len(got) == len(sizes))
    assert [p for p, _ in got] == payloads
    server.close()
