"""Godot 4 high-level multiplayer over real sockets: a Python host (WebSocketMultiplayerPeer
server + SceneMultiplayer) and Python clients on 127.0.0.1, plus the ``websockets`` library
as an independent Godot-4-style server (the 4-byte id hello, then recorded frames)."""

from __future__ import annotations

import logging
import re
import queue
import socket
import struct
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support import WebsocketsServer
from websockets.sync.server import ServerConnection

from godot_ws.core.constants import ConnectionStatus, Error
from godot_ws.godot4 import (
    MultiplayerAPI,
    Node,
    SceneMultiplayer,
    WebSocketMultiplayerPeer,
    rpc,
)

LOG = "godot_ws.godot4.multiplayer"
CONNECTED = ConnectionStatus.CONNECTION_CONNECTED


def hx(text: str) -> bytes:
    return bytes.fromhex(text)


class Game(Node):
    """One node the tests call into; records (method, sender, args)."""

    def __init__(self, multiplayer: SceneMultiplayer, path: str = "Main") -> None:
        super().__init__(multiplayer, path)
        self.calls: list[tuple[str, int, tuple[Any, ...]]] = []

    def _record(self, name: str, *args: Any) -> None:
        self.calls.append((name, self.multiplayer.get_remote_sender_id(), args))

    @rpc("any_peer")
    def hello(self, a: Any, b: Any) -> None:
        self._record("hello", a, b)

    @rpc("any_peer", "call_local")
    def shout(self, text: str) -> None:
        self._record("shout", text)

    @rpc
    def order(self, what: str) -> None:  # authority only (the default)
        self._record("order", what)

    @rpc("authority", "call_local", "unreliable", 2)
    def sync_state(self, state: dict[str, Any]) -> None:
        self._record("sync_state", state)


class Net:
    """The processes of one test: every SceneMultiplayer, polled together."""

    def __init__(self) -> None:
        self.mps: list[SceneMultiplayer] = []

    def host(self, **props: Any) -> tuple[SceneMultiplayer, WebSocketMultiplayerPeer, int]:
        peer = WebSocketMultiplayerPeer()
        assert peer.create_server(0, "127.0.0.1") == Error.OK
        mp = SceneMultiplayer()
        for name, value in props.items():
            setattr(mp, name, value)
        mp.multiplayer_peer = peer
        self.mps.append(mp)
        return mp, peer, peer.get_local_port()

    def join(self, port: int, wait: bool = True, **props: Any) -> SceneMultiplayer:
        peer = WebSocketMultiplayerPeer()
        assert peer.create_client(f"ws://127.0.0.1:{port}") == Error.OK
        mp = SceneMultiplayer()
        for name, value in props.items():
            setattr(mp, name, value)
        mp.multiplayer_peer = peer
        self.mps.append(mp)
        if wait:
            self.until(lambda: 1 in mp.get_peers(), "the client to join")
        return mp

    def until(self, condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            self.poll()
            time.sleep(0.001)

    def poll(self) -> None:
        for mp in self.mps:
            assert mp.poll() == Error.OK

    def settle(self, seconds: float = 0.15) -> None:
        """Poll for a while (to show that something does NOT happen)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.poll()
            time.sleep(0.001)

    def close(self) -> None:
        for mp in self.mps:
            peer = mp.multiplayer_peer
            if peer is not None:
                peer.close()


@pytest.fixture
def net() -> Iterator[Net]:
    n = Net()
    yield n
    n.close()


def record(mp: SceneMultiplayer) -> list[tuple[Any, ...]]:
    events: list[tuple[Any, ...]] = []
    for name in ("peer_connected", "peer_disconnected", "connected_to_server",
                 "connection_failed", "server_disconnected", "peer_packet",
                 "peer_authenticating", "peer_authentication_failed"):
        getattr(mp, name).connect(lambda *a, n=name: events.append((n, *a)))
    return events


# ------------------------------------------------------------------ the id hello


def test_client_joins_with_the_server_given_id(net: Net) -> None:
    server, speer, port = net.host()
    server_events = record(server)
    client = SceneMultiplayer()
    client_events = record(client)
    cpeer = WebSocketMultiplayerPeer()
    assert cpeer.create_client(f"ws://127.0.0.1:{port}") == Error.OK
    assert cpeer.get_connection_status() == ConnectionStatus.CONNECTION_CONNECTING
    client.multiplayer_peer = cpeer
    net.mps.append(client)
    net.until(lambda: client.get_peers() == [1], "the hello")
    cid = client.get_unique_id()
    assert 2 <= cid < 2**31 and not client.is_server()
    assert client_events == [("connected_to_server",), ("peer_connected", 1)]
    net.until(lambda: server.get_peers() == [cid], "the server to admit the client")
    assert server.is_server() and server.get_unique_id() == 1
    assert server_events == [("peer_connected", cid)]
    assert speer.get_peer(cid) is not None
    assert speer.get_peer_address(cid) == "127.0.0.1"
    assert speer.get_peer_port(cid) > 0
    assert cpeer.get_unique_id() == cid


def test_properties_have_godot_defaults() -> None:
    peer = WebSocketMultiplayerPeer()
    assert peer.supported_protocols == [] and peer.handshake_headers == []
    assert (peer.inbound_buffer_size, peer.outbound_buffer_size) == (65535, 65535)
    assert peer.max_queued_packets == 4096 and peer.handshake_timeout == 3.0
    assert peer.get_max_packet_size() == 65526
    assert peer.get_connection_status() == ConnectionStatus.CONNECTION_DISCONNECTED
    mp = SceneMultiplayer()
    assert mp.auth_timeout == 3.0 and mp.server_relay and not mp.allow_object_decoding
    assert mp.get_unique_id() == 1 and mp.is_server()  # the offline peer
    assert MultiplayerAPI is SceneMultiplayer


class HelloServer:
    """The ``websockets`` library as a Godot 4 server: sends ``hello`` first, then records
    every message and sends what the test queues."""

    def __init__(self, hello: bytes) -> None:
        self.received: queue.Queue[bytes] = queue.Queue()
        self.to_send: queue.Queue[bytes] = queue.Queue()

        def handler(ws: ServerConnection) -> None:
            ws.send(hello)
            while True:
                try:
                    data = ws.recv(timeout=0.01)
                    self.received.put(data if isinstance(data, bytes) else data.encode())
                except TimeoutError:
                    pass
                except Exception:
                    return
                while not self.to_send.empty():
                    ws.send(self.to_send.get())

        self.server = WebsocketsServer(handler)

    def next(self, net: Net, timeout: float = 5.0) -> bytes:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                return self.received.get_nowait()
            except queue.Empty:
                net.poll()
                time.sleep(0.001)
        raise AssertionError("no message from the client")


@pytest.mark.parametrize("hello", [hx("01 00 00 00"), hx("00 00 00 00"), hx("ff ff ff ff"),
                                   hx("05 00 00"), hx("05 00 00 00 00"), b""])
def test_client_refuses_a_bad_hello(net: Net, hello: bytes,
                                    caplog: pytest.LogCaptureFixture) -> None:
    srv = HelloServer(hello)
    try:
        client = net.join(srv.server.port, wait=False)
        events = record(client)
        net.until(lambda: events != [], "the client to give up")
        assert events == [("connection_failed",)]
        assert "Invalid ID received from server" in caplog.text
    finally:
        srv.server.close()


def test_worked_example_on_the_wire(net: Net) -> None:
    """FACTS4 4.7 over a real connection: our client's frames, byte for byte."""
    client_id = 1234567
    srv = HelloServer(struct.pack("<i", client_id))
    try:
        client = net.join(srv.server.port)
        assert client.get_unique_id() == client_id
        main = Game(client)
        assert main.rpc_id(1, "hello", 42, "hi") == Error.OK
        # The sorted names are hello, order, shout, sync_state: hello is id 0, as in FACTS4.
        md5 = client.get_rpc_md5(main)
        assert srv.next(net) == b"\x01" + md5.encode() + hx("00 01 00 00 00 4d 61 69 6e 00")
        assert srv.next(net) == hx("20 15 00 00 80 00 02 02 2a 04 00 00 00 02 00 00 00 68 69"
                                   " 00 00 4d 61 69 6e 00")
        srv.to_send.put(hx("02 01 01 00 00 00"))  # CONFIRM_PATH (4.3+)
        net.settle(0.1)
        main.rpc_id(1, "hello", 42, "hi")
        assert srv.next(net) == hx("00 01 00 02 02 2a 04 00 00 00 02 00 00 00 68 69 00 00")
        # The server calls us: the full-path form, with our script's id for "order" (1).
        srv.to_send.put(hx("20 08 00 00 80 01 01 81 4d 61 69 6e 00"))
        net.until(lambda: main.calls[-1:] == [("order", 1, (True,))], "the server's call")
    finally:
        srv.server.close()


# ------------------------------------------------------------------ relay


def three_clients(net: Net) -> tuple[SceneMultiplayer, list[SceneMultiplayer], list[Game]]:
    server, _peer, port = net.host()
    clients = [net.join(port) for _ in range(3)]
    everyone = [server, *clients]
    ids = sorted(c.get_unique_id() for c in clients)
    net.until(lambda: all(sorted({1, *mp.get_peers()} - {mp.get_unique_id()})
                          == sorted({1, *ids} - {mp.get_unique_id()}) for mp in everyone),
              "everyone to know everyone")
    return server, clients, [Game(mp) for mp in everyone]


def test_relay_to_one_to_all_and_to_all_but_one(net: Net) -> None:
    server, (a, b, c), (g_server, g_a, g_b, g_c) = three_clients(net)
    aid, bid, cid = (x.get_unique_id() for x in (a, b, c))

    assert g_a.rpc_id(bid, "hello", 1, "to b") == Error.OK
    net.until(lambda: g_b.calls == [("hello", aid, (1, "to b"))], "b to get the call")
    net.settle()
    assert g_c.calls == [] and g_server.calls == []

    assert g_a.rpc("hello", 2, "to all") == Error.OK
    everyone_else = (g_server, g_b, g_c)
    net.until(lambda: all(g.calls[-1:] == [("hello", aid, (2, "to all"))] for g in everyone_else),
              "everyone to get the broadcast")
    assert g_a.calls == []

    assert g_a.rpc_id(-bid, "hello", 3, "not b") == Error.OK
    net.until(lambda: g_server.calls[-1][2] == (3, "not b") and g_c.calls[-1][2] == (3, "not b"),
              "all but b")
    net.settle()
    assert g_b.calls[-1][2] == (2, "to all")

    # A client excluding the server: rpc_id(-1) reaches every other client, not the server.
    assert g_a.rpc_id(-1, "hello", 4, "not the server") == Error.OK
    net.until(lambda: g_b.calls[-1][2] == (4, "not the server")
              and g_c.calls[-1][2] == (4, "not the server"), "all but the server")
    net.settle()
    assert g_server.calls[-1][2] == (3, "not b")


def test_send_bytes_relay_and_peer_packet(net: Net) -> None:
    server, (a, b, c), _games = three_clients(net)
    got: dict[str, list[tuple[int, bytes]]] = {"s": [], "b": [], "c": []}
    server.peer_packet.connect(lambda pid, data: got["s"].append((pid, data)))
    b.peer_packet.connect(lambda pid, data: got["b"].append((pid, data)))
    c.peer_packet.connect(lambda pid, data: got["c"].append((pid, data)))
    aid = a.get_unique_id()
    assert a.send_bytes(b"raw!", b.get_unique_id()) == Error.OK
    net.until(lambda: got["b"] == [(aid, b"raw!")], "b to get the bytes")
    assert a.send_bytes(b"all") == Error.OK
    net.until(lambda: got["s"] == [(aid, b"all")] and got["c"] == [(aid, b"all")]
              and got["b"][-1] == (aid, b"all"), "broadcast")
    # Unlike rpc_id(-N), send_bytes(-N) is one RELAY: the server does the excluding.
    assert a.send_bytes(b"not b", -b.get_unique_id()) == Error.OK
    net.until(lambda: got["s"][-1] == (aid, b"not b") and got["c"][-1] == (aid, b"not b"),
              "all but b")
    assert a.send_bytes(b"not the server", -1) == Error.OK
    net.until(lambda: got["b"][-1] == (aid, b"not the server")
              and got["c"][-1] == (aid, b"not the server"), "all but the server")
    net.settle()
    assert got["b"][-1] == (aid, b"not the server") and got["s"][-1] == (aid, b"not b")
    assert len(got["b"]) == 3 and len(got["s"]) == 2
    assert a.send_bytes(b"") == Error.ERR_INVALID_DATA


def test_server_relay_off_keeps_clients_apart(net: Net,
                                             caplog: pytest.LogCaptureFixture) -> None:
    server, _peer, port = net.host(server_relay=False)
    a = net.join(port, server_relay=False)
    b = net.join(port, server_relay=False)
    net.until(lambda: len(server.get_peers()) == 2, "two clients")
    net.settle()
    assert a.get_peers() == [1] and b.get_peers() == [1]


def test_peer_leaving_sends_del_peer(net: Net) -> None:
    server, (a, b, c), _games = three_clients(net)
    events = record(b)
    aid = a.get_unique_id()
    a.multiplayer_peer.close()
    net.mps.remove(a)
    net.until(lambda: ("peer_disconnected", aid) in events, "b to hear that a left")
    net.until(lambda: aid not in server.get_peers(), "the server to drop a")


def test_server_going_away(net: Net) -> None:
    server, _peer, port = net.host()
    client = net.join(port)
    events = record(client)
    server.multiplayer_peer.close()
    net.mps.remove(server)
    net.until(lambda: ("server_disconnected",) in events, "server_disconnected")
    assert events == [("peer_disconnected", 1), ("server_disconnected",)]
    assert client.get_peers() == []


# ------------------------------------------------------------------ authority and call_local


def test_authority_rules(net: Net, caplog: pytest.LogCaptureFixture) -> None:
    server, (a, b, _c), (g_server, g_a, g_b, _g_c) = three_clients(net)
    aid = a.get_unique_id()
    caplog.set_level(logging.ERROR, LOG)
    # A client calling an authority-only method on the server's node: refused.
    assert g_a.rpc_id(1, "order", "sit") == Error.OK  # the sender does not check
    net.until(lambda: "is not allowed" in caplog.text, "the refusal")
    assert g_server.calls == []
    assert (f"RPC 'order' is not allowed on node /root/Main from: {aid}. Mode is "
            f"\"authority\", authority is 1.") in caplog.text
    # The server is the authority: its call is accepted by every client.
    assert g_server.rpc("order", "stand") == Error.OK
    net.until(lambda: g_a.calls == [("order", 1, ("stand",))]
              and g_b.calls == [("order", 1, ("stand",))], "the server's order")
    # Make a the authority (everywhere, as a game would): now a's call is accepted, not 1's.
    for g in (g_server, g_a, g_b):
        g.set_multiplayer_authority(aid)
    assert g_a.is_multiplayer_authority() and not g_server.is_multiplayer_authority()
    g_a.rpc_id(1, "order", "jump")
    net.until(lambda: g_server.calls == [("order", aid, ("jump",))], "a's order")
    caplog.clear()
    g_server.rpc_id(aid, "order", "no")
    net.until(lambda: "is not allowed" in caplog.text, "the server refused")
    assert f"authority is {aid}." in caplog.text
    # DISABLED (node-level config, mode 0) is refused whoever sends it.
    for g in (g_server, g_a):
        g.rpc_config("node_level", {"rpc_mode": 0})
    g_a.node_level = lambda: g_a.calls.append(("node_level", 0, ()))  # type: ignore[attr-defined]
    caplog.clear()
    g_a.rpc_id(1, "node_level")
    net.until(lambda: 'Mode is "disabled"' in caplog.text, "the disabled refusal")


def test_call_local_and_errors_on_self(net: Net, caplog: pytest.LogCaptureFixture) -> None:
    server, (a, b, c), (g_server, g_a, g_b, g_c) = three_clients(net)
    aid = a.get_unique_id()
    assert g_a.rpc("shout", "hey") == Error.OK
    assert g_a.calls == [("shout", aid, ("hey",))]  # ran here at once, sender = ourselves
    net.until(lambda: all(g.calls == [("shout", aid, ("hey",))] for g in (g_server, g_b, g_c)),
              "the shout")
    assert g_a.rpc_id(aid, "shout", "me") == Error.OK  # call_local: only here
    assert g_a.calls[-1] == ("shout", aid, ("me",))
    caplog.set_level(logging.ERROR, LOG)
    assert g_a.rpc_id(aid, "hello", 1, 2) == Error.ERR_INVALID_PARAMETER
    assert "RPC 'hello' on yourself is not allowed by selected mode." in caplog.text
    assert g_a.rpc("missing") == Error.ERR_INVALID_PARAMETER
    assert 'Unable to get the RPC configuration for the function "missing"' in caplog.text
    g_a.rpc_id(987654, "hello", 1, 2)
    assert "Attempt to call RPC with unknown peer ID: 987654." in caplog.text
    caplog.clear()
    g_a.rpc_id(1, "hello", "one argument short")
    net.until(lambda: "Method expected 2 arguments, but called with 1." in caplog.text,
              "the arity error")
    assert "RPC - 'Game::hello': Method expected 2 arguments" in caplog.text
    # Authority + call_local + unreliable + channel 2 (WebSocket is reliable anyway).
    g_server.rpc("sync_state", {"hp": 3})
    assert g_server.calls[-1] == ("sync_state", 1, ({"hp": 3},))
    net.until(lambda: g_c.calls[-1:] == [("sync_state", 1, ({"hp": 3},))], "the state")


# ------------------------------------------------------------------ authentication


def authenticated_pair(net: Net, server_ok: Callable[[bytes], bool],
                       client_sends: bytes | None,
                       timeout: float = 3.0) -> tuple[SceneMultiplayer, SceneMultiplayer,
                                                      list[Any], list[Any]]:
    server, _peer, port = net.host()
    server.auth_timeout = timeout

    def server_auth(pid: int, data: bytes) -> None:
        if server_ok(data):
            server.send_auth(pid, b"welcome")
            server.complete_auth(pid)
        else:
            server.disconnect_peer(pid)

    server.auth_callback = server_auth
    server_events = record(server)
    client = SceneMultiplayer()
    client_events = record(client)

    def client_auth(pid: int, data: bytes) -> None:
        assert (pid, data) == (1, b"welcome")
        client.complete_auth(1)

    client.auth_callback = client_auth
    client.auth_timeout = timeout

    def on_authenticating(pid: int) -> None:
        if client_sends is not None:
            client.send_auth(1, client_sends)

    client.peer_authenticating.connect(on_authenticating)
    cpeer = WebSocketMultiplayerPeer()
    cpeer.create_client(f"ws://127.0.0.1:{port}")
    client.multiplayer_peer = cpeer
    net.mps.append(client)
    return server, client, server_events, client_events


def test_auth_success(net: Net) -> None:
    server, client, sev, cev = authenticated_pair(net, lambda d: d == b"secret", b"secret")
    net.until(lambda: client.get_peers() == [1] and len(server.get_peers()) == 1, "admission")
    cid = client.get_unique_id()
    assert sev == [("peer_authenticating", cid), ("peer_connected", cid)]
    assert cev == [("peer_authenticating", 1), ("connected_to_server",), ("peer_connected", 1)]
    # A second client sees the first only after it is admitted, via ADD_PEER.
    g1, g2 = Game(client), Game(server)
    g1.rpc_id(1, "hello", "after", "auth")
    net.until(lambda: g2.calls == [("hello", cid, ("after", "auth"))], "an rpc after auth")


def test_auth_failure_rejected_by_callback(net: Net) -> None:
    server, client, sev, cev = authenticated_pair(net, lambda d: False, b"wrong")
    net.until(lambda: ("server_disconnected",) in cev or ("connection_failed",) in cev,
              "the client to be dropped")
    assert server.get_peers() == [] and server.get_authenticating_peers() == []
    assert [e[0] for e in sev] == ["peer_authenticating"]  # disconnect_peer is silent
    assert ("peer_authentication_failed", 1) in cev and ("connected_to_server",) not in cev


def test_auth_timeout(net: Net) -> None:
    server, client, sev, cev = authenticated_pair(net, lambda d: True, None, timeout=0.3)
    client.auth_timeout = 0  # only the server gives up
    net.until(lambda: any(e[0] == "peer_authentication_failed" for e in sev), "the timeout")
    assert [e[0] for e in sev] == ["peer_authenticating", "peer_authentication_failed"]
    net.until(lambda: ("peer_authentication_failed", 1) in cev, "the client to notice")
    assert server.get_peers() == []


def test_packets_before_auth_are_dropped(net: Net, caplog: pytest.LogCaptureFixture) -> None:
    server, client, sev, cev = authenticated_pair(net, lambda d: True, None, timeout=0)
    net.until(lambda: client.get_authenticating_peers() == [1], "the client to authenticate")
    caplog.set_level(logging.ERROR, LOG)
    client.multiplayer_peer.put_packet(b"\x03raw")  # not 07 00: the server drops it
    net.until(lambda: "still authenticating" in caplog.text, "the drop")
    assert ("peer_packet",) not in [e[:1] for e in sev]
    assert client.send_auth(1, b"") == Error.ERR_INVALID_PARAMETER
    assert client.send_auth(99, b"x") == Error.ERR_INVALID_PARAMETER
    assert client.complete_auth(1) == Error.OK
    assert client.complete_auth(1) == Error.ERR_FILE_CANT_WRITE
    assert client.send_auth(1, b"x") == Error.ERR_FILE_CANT_WRITE


# ------------------------------------------------------------------ connection management


def test_refuse_new_connections(net: Net) -> None:
    server, _peer, port = net.host()
    server.refuse_new_connections = True
    assert server.refuse_new_connections
    client = net.join(port, wait=False)
    client.multiplayer_peer.handshake_timeout = 0.5
    events = record(client)
    net.until(lambda: events != [], "the refused client to give up")
    assert events == [("connection_failed",)]
    server.refuse_new_connections = False
    net.join(port)


def test_handshake_timeout(net: Net) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        peer = WebSocketMultiplayerPeer()
        peer.handshake_timeout = 0.3
        peer.create_client(f"ws://127.0.0.1:{silent.getsockname()[1]}")
        mp = SceneMultiplayer()
        mp.multiplayer_peer = peer
        events = record(mp)
        net.mps.append(mp)
        start = time.monotonic()
        net.until(lambda: events != [], "the handshake timeout")
        assert events == [("connection_failed",)] and time.monotonic() - start < 3
    finally:
        silent.close()


def test_server_peer_targets_and_packet_api(net: Net) -> None:
    """The peer alone (no SceneMultiplayer): hello, set_target_peer, get_packet_peer."""
    server = WebSocketMultiplayerPeer()
    assert server.create_server(0, "127.0.0.1") == Error.OK
    assert server.create_server(0) == Error.ERR_ALREADY_IN_USE
    port = server.get_local_port()
    clients = [WebSocketMultiplayerPeer() for _ in range(3)]
    for c in clients:
        c.create_client(f"ws://127.0.0.1:{port}")
    ids: list[int] = []
    server.peer_connected.connect(ids.append)

    def pump() -> None:
        server.poll()
        for c in clients:
            c.poll()

    deadline = time.monotonic() + 5
    while (len(ids) < 3 or any(c.get_connection_status() != CONNECTED for c in clients)):
        assert time.monotonic() < deadline
        pump()
    assert sorted(ids) == sorted(c.get_unique_id() for c in clients)
    server.set_target_peer(-clients[0].get_unique_id())
    assert server.put_packet(b"not 0") == Error.OK
    server.set_target_peer(clients[0].get_unique_id())
    assert server.put_packet(b"only 0") == Error.OK
    server.set_target_peer(424242)
    assert server.put_packet(b"x") == Error.ERR_INVALID_PARAMETER
    clients[2].put_packet(b"up")
    deadline = time.monotonic() + 5
    while not (clients[0].get_available_packet_count() and clients[1].get_available_packet_count()
               and server.get_available_packet_count()):
        assert time.monotonic() < deadline
        pump()
    assert clients[0].get_packet() == b"only 0"
    assert clients[1].get_packet_peer() == 1 and clients[1].get_packet() == b"not 0"
    assert server.get_packet_peer() == clients[2].get_unique_id()
    assert server.get_packet() == b"up"
    for peer in (server, *clients):
        peer.close()


# ------------------------------------------------------------------ bad input never raises


@pytest.mark.parametrize("packets", [
    [b"\x07"], [b"\x07\x01"], [hx("07 01 05 00 00 00")], [hx("07 02 05 00 00 00")],
    [hx("07 03 00 00 00 00")], [hx("07 03 ff ff ff 7f 03 00")], [hx("07 09 00 00 00 00")],
    [b"\x00"], [hx("00 09 00")], [hx("20 ff ff ff ff 00 00")], [hx("30 00 00 00 00")],
    [hx("01 00")], [b"\x01" + b"0" * 32 + hx("00 01 00 00 00 4e 6f 00")], [hx("02 01 07")],
    [hx("02 00 63 00 00 00")], [b"\x03"], [b"\x04\x05\x06"], [hx("00 01 00 05 04 ff ff 00 00")],
    [hx("07 00 01")], [b"\x0f\xff" * 50],
])
def test_bad_input_from_a_client_never_raises(net: Net, packets: list[bytes]) -> None:
    server, _peer, port = net.host()
    Game(server)
    client = net.join(port)
    net.until(lambda: len(server.get_peers()) == 1, "the client")
    for packet in packets:
        client.multiplayer_peer.put_packet(packet)
        client.multiplayer_peer.put_packet(hx("07 03 01 00 00 00") + packet)
    client.send_bytes(b"still alive")
    got: list[bytes] = []
    server.peer_packet.connect(lambda pid, data: got.append(data))
    net.until(lambda: got == [b"still alive"], "the server to keep going")


def test_bad_input_from_a_server_never_raises(net: Net) -> None:
    srv = HelloServer(struct.pack("<i", 777))
    try:
        client = net.join(srv.server.port)
        Game(client)
        for packet in (b"\x07", hx("07 01 01 00 00 00"), hx("07 03 05 00 00 00 00 01 00"),
                       hx("00 01 00 00"), hx("02 01 01 00 00 00"), hx("21 03 00 00 80 00 00"),
                       b"\x01" + b"z" * 40, hx("06 00 00")):
            srv.to_send.put(packet)
        srv.to_send.put(b"\x03ok")
        got: list[bytes] = []
        client.peer_packet.connect(lambda pid, data: got.append(data))
        net.until(lambda: got == [b"ok"], "the client to keep going")
        # ADD_PEER from the server is accepted (a relayed peer), then a RELAY from it.
        srv.to_send.put(hx("07 01 05 00 00 00"))
        srv.to_send.put(hx("07 03 05 00 00 00 03 68 69"))
        net.until(lambda: got == [b"ok", b"hi"], "the relayed raw packet")
        assert 5 in client.get_peers()
    finally:
        srv.server.close()


def test_last_messages_before_a_close_are_delivered(net: Net) -> None:
    """Nothing is lost: what a peer sent just before closing arrives before its departure."""
    server, _peer, port = net.host()
    a = net.join(port)
    aid = a.get_unique_id()
    net.until(lambda: server.get_peers() == [aid], "a to join")
    server_events = record(server)
    a.send_bytes(b"bye")
    a.multiplayer_peer.disconnect_peer(1)  # close 1000 right after the message
    net.until(lambda: ("peer_disconnected", aid) in server_events, "a to leave")
    assert server_events == [("peer_packet", aid, b"bye"), ("peer_disconnected", aid)]

    b = net.join(port)
    bid = b.get_unique_id()
    net.until(lambda: server.get_peers() == [bid], "b to join")
    b_events = record(b)
    server.send_bytes(b"last words", bid)
    server.disconnect_peer(bid)  # close 1000 right after the message
    net.until(lambda: ("server_disconnected",) in b_events, "b to be dropped")
    assert b_events == [("peer_packet", 1, b"last words"), ("peer_disconnected", 1),
                        ("server_disconnected",)]


def test_wss_host_and_clients(net: Net) -> None:
    """create_server/create_client with TLSOptions: the same game over wss://."""
    import trustme

    from godot_ws.godot4 import OK, CryptoKey, TLSOptions, X509Certificate

    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1")
    key, cert, trusted = CryptoKey(), X509Certificate(), X509Certificate()
    assert key.load_from_string(issued.private_key_pem.bytes().decode()) == OK
    assert cert.load_from_string("".join(p.bytes().decode() for p in issued.cert_chain_pems)) \
        == OK
    assert trusted.load_from_string(ca.cert_pem.bytes().decode()) == OK
    speer = WebSocketMultiplayerPeer()
    assert speer.create_server(0, "127.0.0.1", TLSOptions.client()) == Error.ERR_INVALID_PARAMETER
    assert speer.create_server(0, "127.0.0.1", TLSOptions.server(key, cert)) == OK
    server = SceneMultiplayer()
    server.multiplayer_peer = speer
    net.mps.append(server)
    url = f"wss://127.0.0.1:{speer.get_local_port()}"
    clients = []
    for _ in range(2):
        cpeer = WebSocketMultiplayerPeer()
        assert cpeer.create_client(url, TLSOptions.server(key, cert)) == \
            Error.ERR_INVALID_PARAMETER
        assert cpeer.create_client(url, TLSOptions.client(trusted)) == OK
        mp = SceneMultiplayer()
        mp.multiplayer_peer = cpeer
        net.mps.append(mp)
        clients.append(mp)
    a, b = clients
    net.until(lambda: len(server.get_peers()) == 2 and len(a.get_peers()) == 2
              and len(b.get_peers()) == 2, "both clients over TLS")
    g_a, g_b = Game(a), Game(b)
    g_a.rpc_id(b.get_unique_id(), "hello", "over", "tls")
    net.until(lambda: g_b.calls == [("hello", a.get_unique_id(), ("over", "tls"))], "the call")
    # An untrusted certificate: the join fails.
    bad = WebSocketMultiplayerPeer()
    bad.create_client(url)  # the system's CAs do not know trustme's
    mp = SceneMultiplayer()
    mp.multiplayer_peer = bad
    events = record(mp)
    net.mps.append(mp)
    net.until(lambda: events != [], "the untrusted join to fail")
    assert events == [("connection_failed",)]


def test_peer_properties_reach_every_connection(net: Net) -> None:
    """supported_protocols, handshake_headers and the buffer sizes are handed to each
    WebSocketPeer the multiplayer peer creates (``_create_peer``)."""
    speer = WebSocketMultiplayerPeer()
    speer.supported_protocols = ["arena-v1"]
    speer.inbound_buffer_size = 1000
    assert speer.create_server(0, "127.0.0.1") == Error.OK
    server = SceneMultiplayer()
    server.multiplayer_peer = speer
    net.mps.append(server)
    port = speer.get_local_port()

    def client(protocols: list[str]) -> tuple[SceneMultiplayer, WebSocketMultiplayerPeer]:
        cpeer = WebSocketMultiplayerPeer()
        cpeer.supported_protocols = protocols
        cpeer.handshake_headers = ["X-Player: ada"]
        cpeer.handshake_timeout = 1.0
        assert cpeer.create_client(f"ws://127.0.0.1:{port}") == Error.OK
        mp = SceneMultiplayer()
        mp.multiplayer_peer = cpeer
        net.mps.append(mp)
        return mp, cpeer

    good, gpeer = client(["arena-v1"])
    net.until(lambda: good.get_peers() == [1], "the matching client")
    assert gpeer.get_peer(1).get_selected_protocol() == "arena-v1"
    sid = good.get_unique_id()
    assert speer.get_peer(sid).get_inbound_buffer_size() == 1000
    bad, _bpeer = client(["other"])
    events = record(bad)
    net.until(lambda: events != [], "the client without the protocol to fail")
    assert events == [("connection_failed",)]
    # A message larger than the server's inbound buffer closes that client (1009).
    good_events = record(good)
    good.send_bytes(b"x" * 2000)
    net.until(lambda: ("server_disconnected",) in good_events, "the oversized message")


def test_readme_example_runs(tmp_path: Any) -> None:
    """README's "Godot 4 high-level multiplayer" example, as written (port and frames aside)."""
    from test_readme import Example, code_blocks, free_port

    (code,) = code_blocks("Godot 4 high-level multiplayer")
    example = Example(code, free_port(), tmp_path, "godot4_multiplayer", frames=60)
    out = example.finish()
    assert example.proc.returncode == 0, out
    lines = [line for line in out.splitlines() if line.startswith("hello 42 hi from ")]
    assert len(lines) == 2, out  # call_local ran on the client, and the host got the call


# Godot 4.7's extension API for these classes (methods, properties, constants, signals).
GODOT4_MP_API = {
    "WebSocketMultiplayerPeer": """create_client create_server get_peer get_peer_address
        get_peer_port get_supported_protocols set_supported_protocols get_handshake_headers
        set_handshake_headers get_inbound_buffer_size set_inbound_buffer_size
        get_outbound_buffer_size set_outbound_buffer_size get_handshake_timeout
        set_handshake_timeout set_max_queued_packets get_max_queued_packets supported_protocols
        handshake_headers inbound_buffer_size outbound_buffer_size handshake_timeout
        max_queued_packets""",
    "MultiplayerPeer": """set_transfer_channel get_transfer_channel set_transfer_mode
        get_transfer_mode set_target_peer get_packet_peer get_packet_channel get_packet_mode
        poll close disconnect_peer get_connection_status get_unique_id generate_unique_id
        set_refuse_new_connections is_refusing_new_connections is_server_relay_supported
        refuse_new_connections transfer_mode transfer_channel CONNECTION_DISCONNECTED
        CONNECTION_CONNECTING CONNECTION_CONNECTED TARGET_PEER_BROADCAST TARGET_PEER_SERVER
        TRANSFER_MODE_UNRELIABLE TRANSFER_MODE_UNRELIABLE_ORDERED TRANSFER_MODE_RELIABLE
        get_var put_var get_packet put_packet get_packet_error get_available_packet_count
        get_encode_buffer_max_size set_encode_buffer_max_size encode_buffer_max_size""",
    "SceneMultiplayer": """has_multiplayer_peer get_multiplayer_peer set_multiplayer_peer
        get_unique_id is_server get_remote_sender_id poll rpc get_peers multiplayer_peer
        RPC_MODE_DISABLED RPC_MODE_ANY_PEER RPC_MODE_AUTHORITY set_root_path get_root_path
        clear disconnect_peer get_authenticating_peers send_auth complete_auth
        set_auth_callback get_auth_callback set_auth_timeout get_auth_timeout
        set_refuse_new_connections is_refusing_new_connections set_allow_object_decoding
        is_object_decoding_allowed set_server_relay_enabled is_server_relay_enabled send_bytes
        root_path auth_callback auth_timeout allow_object_decoding refuse_new_connections
        server_relay""",
    "Node": """rpc rpc_id rpc_config get_node_rpc_config set_multiplayer_authority
        get_multiplayer_authority is_multiplayer_authority get_multiplayer multiplayer get_path
        get_name name is_inside_tree queue_free""",
}
GODOT4_MP_SIGNALS = {
    "WebSocketMultiplayerPeer": ["peer_connected", "peer_disconnected"],
    "SceneMultiplayer": ["peer_connected", "peer_disconnected", "connected_to_server",
                         "connection_failed", "server_disconnected", "peer_packet",
                         "peer_authenticating", "peer_authentication_failed"],
}


@pytest.mark.parametrize("cls", sorted(GODOT4_MP_API))
def test_godot4_multiplayer_api_is_complete(cls: str) -> None:
    import godot_ws.godot4 as g4

    missing = [name for name in GODOT4_MP_API[cls].split() if not hasattr(getattr(g4, cls), name)]
    assert missing == []
    if cls in GODOT4_MP_SIGNALS:
        obj = getattr(g4, cls)()
        assert all(obj.has_signal(name) for name in GODOT4_MP_SIGNALS[cls])


def test_multiplayer_peer_put_var_uses_godot4_variants(net: Net) -> None:
    server, speer, port = net.host()
    client = net.join(port)
    cid = client.get_unique_id()
    net.until(lambda: server.get_peers() == [cid], "the client")
    from godot_ws.godot4 import Vector2i

    # The peers' own PacketPeer API (their SceneMultiplayers are not polled here): put_var
    # sends a Godot 4 Variant (Vector2i is type 6, which Godot 3 does not have).
    speer.set_target_peer(cid)
    assert speer.put_var(Vector2i(3, 4)) == Error.OK
    cpeer = client.multiplayer_peer
    deadline = time.monotonic() + 5
    while not cpeer.get_available_packet_count():
        assert time.monotonic() < deadline
        cpeer.poll()
        speer.poll()
    assert cpeer.get_var() == Vector2i(3, 4)
    assert cpeer.get_packet() == b"" and cpeer.get_packet_error() == Error.ERR_UNAVAILABLE


def test_two_nodes_at_one_path_rename_the_newcomer(net: Net,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """Godot 4's add_child renames a newcomer whose name is taken to @<class>@<count> and the
    first node keeps the path (and its RPCs); we do the same, with a warning."""
    server, _, port = net.host()
    client = net.join(port)
    first = Game(server, "Main")
    caplog.set_level(logging.WARNING, logger="godot_ws")
    second = Game(server, "/root/Main")
    renamed = second.get_path()
    assert re.fullmatch(r"/root/@Node@\d+", renamed), renamed
    assert second.name == renamed.rsplit("/", 1)[1] and second.is_inside_tree()
    assert server.get_node_or_null("Main") is first
    assert server.get_node_or_null(renamed) is second
    assert f"a node is already at /root/Main; this one is {renamed}" in caplog.text
    third = Game(server, "Main")
    n2, n3 = (int(n.get_path().rsplit("@", 1)[1]) for n in (second, third))
    assert n3 > n2  # one count for the process, as Godot's node_hrcr_count
    mine = Game(client, "Main")
    assert mine.rpc_id(1, "hello", 1, 2) == Error.OK
    net.until(lambda: bool(first.calls), "the call to reach the first node")
    assert second.calls == [] and third.calls == []
