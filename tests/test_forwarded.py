"""``trusted_proxies``: the client's address from ``X-Forwarded-For``/``X-Real-IP`` when, and
only when, the connection comes from a trusted proxy (common/forwarded.py), on the Godot 3
server and Godot 4's ``TCPServer`` + ``WebSocketPeer`` and ``WebSocketMultiplayerPeer``.
tests/test_nginx_howto.py does the same through a real nginx."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from godot_ws import OK, WebSocketClient, WebSocketServer
from godot_ws.common.forwarded import client_address, parse_trusted
from godot_ws.godot4 import TCPServer, WebSocketMultiplayerPeer, WebSocketPeer

LOCAL = parse_trusted(["127.0.0.1"])


@pytest.mark.parametrize("peer, headers, trusted, expected", [
    # not trusted (or nothing trusted): the headers are ignored
    ("203.0.113.5", {"x-forwarded-for": "198.51.100.7"}, LOCAL, "203.0.113.5"),
    ("127.0.0.1", {"x-forwarded-for": "198.51.100.7"}, (), "127.0.0.1"),
    # one trusted proxy
    ("127.0.0.1", {"x-forwarded-for": "198.51.100.7"}, LOCAL, "198.51.100.7"),
    ("127.0.0.1", {"x-real-ip": "198.51.100.7"}, LOCAL, "198.51.100.7"),
    ("127.0.0.1", {"x-forwarded-for": " 198.51.100.7 ", "x-real-ip": "192.0.2.1"}, LOCAL,
     "198.51.100.7"),
    # a client's own forged entry on the left is never reached
    ("127.0.0.1", {"x-forwarded-for": "6.6.6.6, 198.51.100.7"}, LOCAL, "198.51.100.7"),
    # a chain of trusted proxies: the first untrusted address from the right
    ("127.0.0.1", {"x-forwarded-for": "198.51.100.7, 10.1.2.3"},
     parse_trusted(["127.0.0.1", "10.0.0.0/8"]), "198.51.100.7"),
    # every hop trusted: the leftmost
    ("127.0.0.1", {"x-forwarded-for": "10.9.9.9, 10.1.2.3"},
     parse_trusted(["127.0.0.0/8", "10.0.0.0/8"]), "10.9.9.9"),
    # malformed: stop at the last trusted address
    ("127.0.0.1", {"x-forwarded-for": "not-an-ip"}, LOCAL, "127.0.0.1"),
    ("127.0.0.1", {"x-forwarded-for": "junk, 10.1.2.3"}, parse_trusted(["127.0.0.1", "10.0.0.0/8"]),
     "10.1.2.3"),
    ("127.0.0.1", {"x-real-ip": "junk"}, LOCAL, "127.0.0.1"),
    ("127.0.0.1", {}, LOCAL, "127.0.0.1"),
    # IPv6, and an IPv4 client on a dual-stack socket
    ("::1", {"x-forwarded-for": "2001:db8::7"}, parse_trusted(["::1"]), "2001:db8::7"),
    ("::ffff:127.0.0.1", {"x-forwarded-for": "198.51.100.7"}, LOCAL, "198.51.100.7"),
])
def test_client_address(peer: str, headers: dict[str, str], trusted: tuple[object, ...],
                        expected: str) -> None:
    assert client_address(peer, headers, trusted) == expected  # type: ignore[arg-type]


def test_trusted_proxies_refuses_what_is_not_an_address() -> None:
    server = WebSocketServer()
    with pytest.raises(ValueError, match="'proxy.example.com' is not an IP address"):
        server.trusted_proxies = ["proxy.example.com"]
    with pytest.raises(TypeError, match="a list"):
        server.trusted_proxies = "127.0.0.1"  # type: ignore[assignment]
    assert server.trusted_proxies == []
    server.trusted_proxies = ["127.0.0.1", "10.0.0.0/8"]
    assert server.trusted_proxies == ["127.0.0.1/32", "10.0.0.0/8"]
    assert TCPServer().trusted_proxies == WebSocketMultiplayerPeer().get_trusted_proxies() == []


def until(polls: list[Callable[[], object]], condition: Callable[[], bool],
          what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        for poll in polls:
            poll()
        time.sleep(0.001)


@pytest.mark.parametrize("trusted, expected", [([], "127.0.0.1"),
                                               (["127.0.0.1"], "198.51.100.7"),
                                               (["10.0.0.0/8"], "127.0.0.1")])
def test_godot3_server(trusted: list[str], expected: str) -> None:
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    server.trusted_proxies = trusted
    joined: list[int] = []
    server.client_connected.connect(lambda peer_id, protocol: joined.append(peer_id))
    assert server.listen(0) == OK
    client = WebSocketClient()
    assert client.connect_to_url(f"ws://127.0.0.1:{server.get_local_port()}/",
                                 custom_headers=["X-Forwarded-For: 198.51.100.7"]) == OK
    try:
        until([server.poll, client.poll], lambda: bool(joined), "the join")
        assert server.get_peer_address(joined[0]) == expected
        assert server.get_peer_port(joined[0]) > 0  # the connection's own port, always
    finally:
        client.disconnect_from_host()
        server.stop()


@pytest.mark.parametrize("trusted, expected", [([], "127.0.0.1"),
                                               (["127.0.0.1"], "198.51.100.7")])
def test_godot4_tcp_server_and_websocket_peer(trusted: list[str], expected: str) -> None:
    server = TCPServer()
    server.trusted_proxies = trusted
    assert server.listen(0, "127.0.0.1") == OK
    client = WebSocketPeer()
    client.handshake_headers = ["X-Forwarded-For: 198.51.100.7"]
    assert client.connect_to_url(f"ws://127.0.0.1:{server.get_local_port()}/") == OK
    peer = WebSocketPeer()
    until([client.poll], server.is_connection_available, "the connection")
    stream = server.take_connection()
    assert stream is not None and peer.accept_stream(stream) == OK
    until([client.poll, peer.poll], lambda: peer.get_ready_state() == peer.STATE_OPEN,
          "the handshake")
    assert peer.get_connected_host() == expected
    assert client.get_connected_host() == "127.0.0.1"  # a client never reads forwarded headers
    client.close(-1)
    server.stop()


def test_godot4_multiplayer_peer() -> None:
    server = WebSocketMultiplayerPeer()
    server.trusted_proxies = ["127.0.0.1"]
    assert server.create_server(0, "127.0.0.1") == OK
    client = WebSocketMultiplayerPeer()
    client.handshake_headers = ["X-Real-IP: 198.51.100.7"]
    assert client.create_client(f"ws://127.0.0.1:{server.get_local_port()}") == OK
    joined: list[int] = []
    server.peer_connected.connect(joined.append)
    until([server.poll, client.poll], lambda: bool(joined), "the join")
    assert server.get_peer_address(joined[0]) == "198.51.100.7"
    client.close()
    server.close()
