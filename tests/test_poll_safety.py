"""What a handler can do to poll() (issue 11 items 6-9): signal order when data arrives with
the 101, disconnecting from any handler, re-entrant poll(), a BaseException from a handler,
and what the server logs when a client hangs up."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
from support import (
    RawServer,
    frame,
    ok_response,
    poll_until,
    read_request,
    sending_server,
    unmask_frames,
)

from godot_ws import (
    CONNECTION_CONNECTED,
    CONNECTION_DISCONNECTED,
    OK,
    WebSocketClient,
    WebSocketServer,
)


def _listening(gd_mp_api: bool = False) -> WebSocketServer:
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    assert server.listen(0, gd_mp_api=gd_mp_api) == OK
    return server


def _url(server: WebSocketServer) -> str:
    return f"ws://127.0.0.1:{server.get_local_port()}"


def _run(nodes: list[Any], condition: Callable[[], bool], timeout: float = 5.0,
         what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        for node in nodes:
            node.poll()
        time.sleep(0.0005)


def _close_echo_server() -> RawServer:
    """Sends two messages in the same segment as its 101, answers a close frame with one,
    and records what the client sent."""

    def script(conn: socket.socket, server: RawServer) -> None:
        _, headers = read_request(conn)
        conn.sendall(ok_response(headers) + frame(2, b"one") + frame(2, b"two"))
        conn.settimeout(5)
        data = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
            if any(op == 8 for op, _ in unmask_frames(data)):
                conn.sendall(frame(8, (1000).to_bytes(2, "big")))
                break
        server.received = data

    return RawServer(script)


# ------------------------------------------------------------------ item 6: signal order


def test_established_fires_before_data_that_came_with_the_101() -> None:
    server = _close_echo_server()
    client = WebSocketClient()
    seen: list[tuple[str, int]] = []
    client.connection_established.connect(
        lambda proto: seen.append(("established", client.get_connection_status())))
    client.data_received.connect(
        lambda: seen.append(("data", client.get_connection_status())))
    client.connect_to_url(server.url)
    poll_until(client, lambda: len(seen) == 3)
    assert seen == [("established", CONNECTION_CONNECTED), ("data", CONNECTION_CONNECTED),
                    ("data", CONNECTION_CONNECTED)]
    client.disconnect_from_host()
    server.close()


@pytest.mark.parametrize("where", ["connection_established", "data_received"])
def test_disconnect_inside_a_handler_is_a_normal_close(where: str) -> None:
    server = _close_echo_server()
    client = WebSocketClient()
    closed: list[bool] = []
    calls: list[str] = []

    def leave(*_: Any) -> None:
        calls.append(where)
        if len(calls) == 1:
            client.disconnect_from_host(1000, "")

    getattr(client, where).connect(leave)
    client.connection_closed.connect(closed.append)
    client.connect_to_url(server.url)
    poll_until(client, lambda: bool(closed), what="connection_closed")
    assert closed == [True]
    assert client.get_connection_status() == CONNECTION_DISCONNECTED
    server.close()
    assert [op for op, _ in unmask_frames(server.received)] == [8]  # a close frame
    # And the client can connect again.
    again = _close_echo_server()
    assert client.connect_to_url(again.url) == OK
    poll_until(client, lambda: client.get_connection_status() == CONNECTION_CONNECTED)
    client.disconnect_from_host()
    again.close()


def test_multiplayer_succeeded_fires_connected_and_may_disconnect() -> None:
    host = _listening(gd_mp_api=True)
    client = WebSocketClient()
    statuses: list[int] = []
    ended: list[str] = []

    def succeeded() -> None:
        statuses.append(client.get_connection_status())
        client.disconnect_from_host()

    client.connection_succeeded.connect(succeeded)
    client.server_disconnected.connect(lambda: ended.append("server_disconnected"))
    client.connection_failed.connect(lambda: ended.append("connection_failed"))
    left: list[int] = []
    host.peer_disconnected.connect(left.append)
    client.connect_to_url(_url(host), gd_mp_api=True)
    _run([host, client], lambda: bool(ended) and bool(left), what="the close")
    assert statuses == [CONNECTION_CONNECTED]
    assert ended == ["connection_failed"]  # as every Godot 3 release reports it
    assert client.get_connection_status() == CONNECTION_DISCONNECTED
    assert client.connect_to_url(_url(host), gd_mp_api=True) == OK
    _run([host, client], lambda: client.get_unique_id() != 0, what="rejoining")
    client.disconnect_from_host()
    host.stop()


# ------------------------------------------------------------------ item 7: re-entrant poll


def test_reentrant_server_poll_changes_nothing_and_closes_nobody(caplog: Any) -> None:
    server = _listening()
    joined: list[int] = []
    left: list[tuple[int, bool]] = []
    got: list[bytes] = []
    server.client_connected.connect(lambda pid, proto: joined.append(pid))
    server.client_disconnected.connect(lambda pid, clean: left.append((pid, clean)))

    def on_data(pid: int) -> None:
        server.poll()  # re-entry: refused, logged
        peer = server.get_peer(pid)
        assert peer is not None
        got.append(peer.get_packet())
        peer.put_packet(b"ok")

    server.data_received.connect(on_data)
    clients = [WebSocketClient() for _ in range(2)]
    for c in clients:
        c.connect_to_url(_url(server))
    _run([server, *clients], lambda: len(joined) == 2 and all(
        c.get_connection_status() == CONNECTION_CONNECTED for c in clients))
    with caplog.at_level(logging.INFO, logger="godot_ws"):
        for c in clients:
            peer = c.get_peer(1)
            assert peer is not None
            peer.put_packet(b"hi")
        _run([server, *clients], lambda: all(
            c.get_peer(1).get_available_packet_count() for c in clients))
        for _ in range(50):  # and nobody is closed afterwards
            for node in (server, *clients):
                node.poll()
    assert got == [b"hi", b"hi"]
    assert left == []
    assert all(c.get_connection_status() == CONNECTION_CONNECTED for c in clients)
    assert "poll() called from a signal handler" in caplog.text
    assert "timed out" not in caplog.text
    for c in clients:
        c.disconnect_from_host()
    server.stop()


def test_reentrant_client_poll_is_refused(caplog: Any) -> None:
    server = _close_echo_server()
    client = WebSocketClient()
    seen: list[str] = []

    def on_data() -> None:
        client.poll()
        seen.append("data")

    client.data_received.connect(on_data)
    client.connection_established.connect(lambda p: seen.append("established"))
    client.connect_to_url(server.url)
    with caplog.at_level(logging.ERROR, logger="godot_ws"):
        poll_until(client, lambda: len(seen) == 3)
    assert seen == ["established", "data", "data"]
    assert "poll() called from a signal handler" in caplog.text
    client.disconnect_from_host()
    server.close()


# ------------------------------------------------------------------ item 8: BaseException


def test_keyboard_interrupt_in_a_handler_loses_no_client_signal() -> None:
    # Two messages and a close frame arrive in one poll; the first data_received raises.
    server = sending_server(frame(2, b"one") + frame(2, b"two")
                            + frame(8, (1000).to_bytes(2, "big")))
    client = WebSocketClient()
    seen: list[Any] = []

    def on_data() -> None:
        seen.append("data")
        if seen.count("data") == 1:
            raise KeyboardInterrupt

    client.data_received.connect(on_data)
    client.server_close_request.connect(lambda code, reason: seen.append(("request", code)))
    client.connection_closed.connect(lambda clean: seen.append(("closed", clean)))
    client.connect_to_url(server.url)
    with pytest.raises(KeyboardInterrupt):
        poll_until(client, lambda: False, what="the interrupt")
    poll_until(client, lambda: ("closed", True) in seen, what="connection_closed")
    assert seen == ["data", "data", ("request", 1000), ("closed", True)]
    assert client.get_connection_status() == CONNECTION_DISCONNECTED
    server.close()


def test_system_exit_in_a_server_handler_loses_no_server_signal() -> None:
    server = _listening()
    seen: list[Any] = []
    server.client_connected.connect(lambda pid, proto: seen.append("connected"))

    def on_data(pid: int) -> None:
        seen.append("data")
        if seen.count("data") == 1:
            raise SystemExit(3)

    server.data_received.connect(on_data)
    server.client_disconnected.connect(lambda pid, clean: seen.append(("left", clean)))
    sock = socket.create_connection(("127.0.0.1", server.get_local_port()))
    # The upgrade, two masked messages and a close frame in one segment.
    masked = b"".join(bytes((0x80 | op, 0x80 | len(p))) + b"\0\0\0\0" + p
                      for op, p in ((2, b"a"), (2, b"b"), (8, (1000).to_bytes(2, "big"))))
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 b"Sec-WebSocket-Version: 13\r\n\r\n" + masked)
    with pytest.raises(SystemExit):
        _run([server], lambda: False, what="the exit")
    _run([server], lambda: ("left", True) in seen, what="client_disconnected")
    assert seen == ["connected", "data", "data", ("left", True)]
    assert not server.has_peer(1) and server.poll() is None
    sock.close()
    server.stop()


# ------------------------------------------------------------------ item 9: the server's log


def test_server_log_says_the_client_hung_up(caplog: Any) -> None:
    server = _listening()
    left: list[bool] = []
    server.client_disconnected.connect(lambda pid, clean: left.append(clean))
    client = WebSocketClient()
    client.connect_to_url(_url(server))
    _run([server, client], lambda: client.get_connection_status() == CONNECTION_CONNECTED)
    with caplog.at_level(logging.INFO, logger="godot_ws"):
        conn = client._conn
        assert conn is not None
        conn.transport.close()  # TCP goes away without a close frame
        _run([server], lambda: bool(left))
    assert left == [False]
    assert "closed by the server" not in caplog.text
    assert "closed by the client" in caplog.text
    server.stop()


def test_keyboard_interrupt_in_a_multiplayer_handler_loses_no_signal() -> None:
    host = _listening(gd_mp_api=True)
    client = WebSocketClient()
    seen: list[Any] = []

    def on_packet(source: int) -> None:
        seen.append(("packet", client.get_packet()))
        if len(seen) == 1:
            raise KeyboardInterrupt

    client.peer_packet.connect(on_packet)
    client.connection_failed.connect(lambda: seen.append("ended"))
    client.connect_to_url(_url(host), gd_mp_api=True)
    _run([host, client], lambda: client.get_unique_id() != 0, what="joining")
    peer_id = client.get_unique_id()
    host.set_target_peer(peer_id)
    for message in (b"one", b"two"):
        assert host.put_packet(message) == OK
    host.disconnect_peer(peer_id)  # both messages and the close leave together
    with pytest.raises(KeyboardInterrupt):
        poll_until(client, lambda: False, what="the interrupt")
    _run([host, client], lambda: "ended" in seen, what="the end of the connection")
    assert seen == [("packet", b"one"), ("packet", b"two"), "ended"]
    assert client.get_connection_status() == CONNECTION_DISCONNECTED
    host.stop()
