"""A mass disconnect (issue 25, finding 3): when many peers leave in one poll, each departure
is announced once to the peers that stay, never to the others that are leaving too, and
nothing is logged per failed send. Raw TCP clients on 127.0.0.1 join a real host, then all
reset their connections at once (bounded: ``LEAVERS`` sockets)."""

from __future__ import annotations

import logging
import socket
import struct
from typing import Any

import pytest
from rpc_support import Player, pump
from test_godot4_multiplayer import Net, net, record  # noqa: F401

from godot_ws.godot3.multiplayer import SysType

LEAVERS = 60

_REQUEST = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def _raw_clients(port: int, count: int) -> list[socket.socket]:
    """Sockets that send a WebSocket upgrade request and then only wait (they never read)."""
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(_REQUEST)
        socks.append(sock)
    return socks


def _reset_all(socks: list[socket.socket]) -> None:
    """Close every socket with a TCP reset, back to back: the host sees them in one poll."""
    for sock in socks:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()


def test_godot4_mass_disconnect_is_announced_once(net: Net,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    server, speer, port = net.host()
    stayer = net.join(port)
    stayer_events = record(stayer)
    socks = _raw_clients(port, LEAVERS)
    try:
        net.until(lambda: len(server.get_peers()) == LEAVERS + 1, "everyone to join", 20)
        leavers = set(server.get_peers()) - {stayer.get_unique_id()}
        net.until(lambda: len(stayer.get_peers()) == LEAVERS + 1, "the stayer to hear of all")
        puts: list[int] = []
        put, put_system = speer.put_packet, speer._put_system

        def counting_put(buffer: Any) -> Any:
            puts.append(speer._target_peer)
            return put(buffer)

        def counting_put_system(peer_id: int, packet: bytes) -> None:
            puts.append(peer_id)
            put_system(peer_id, packet)

        speer.put_packet = counting_put  # type: ignore[method-assign]
        speer._put_system = counting_put_system  # type: ignore[method-assign]
        caplog.clear()
        caplog.set_level(logging.WARNING, logger="godot_ws")
        _reset_all(socks)
        net.until(lambda: server.get_peers() == [stayer.get_unique_id()], "all to leave", 20)
        net.until(lambda: len([e for e in stayer_events if e[0] == "peer_disconnected"])
                  == LEAVERS, "the stayer to hear of every departure")
        to_leavers = [target for target in puts if target in leavers or target <= 0]
        assert to_leavers == [], f"{len(to_leavers)} sends to peers that were leaving"
        assert len(puts) == LEAVERS  # one DEL_PEER per departure, to the one who stays
        assert [r.getMessage() for r in caplog.records] == []
    finally:
        for sock in socks:
            sock.close()


def test_godot3_mass_disconnect_is_announced_once(caplog: pytest.LogCaptureFixture) -> None:
    host = Player.host()
    stayer = Player.join(host.url)
    socks: list[socket.socket] = []
    try:
        pump([host, stayer], lambda: stayer.tree.get_network_connected_peers() == [1])
        port = host.peer.get_local_port()
        socks = _raw_clients(port, LEAVERS)
        pump([host, stayer], lambda: len(host.tree.get_network_connected_peers()) == LEAVERS + 1,
             timeout=20, what="everyone to join")
        relay = host.peer._relay
        sent: list[tuple[Any, int, int]] = []
        sys_ = relay._sys

        def counting_sys(link: Any, kind: int, peer_id: int) -> None:
            sent.append((link, kind, peer_id))
            sys_(link, kind, peer_id)

        relay._sys = counting_sys
        gone: list[int] = []
        stayer.tree.network_peer_disconnected.connect(gone.append)
        caplog.clear()
        caplog.set_level(logging.WARNING, logger="godot_ws")
        _reset_all(socks)
        pump([host, stayer], lambda: len(gone) == LEAVERS, timeout=20,
             what="the stayer to hear of every departure")
        stayer_link = relay.links[stayer.id]
        dels = [(link, pid) for link, kind, pid in sent if kind == SysType.SYS_DEL]
        wasted = [pid for link, pid in dels if link is not stayer_link]
        assert wasted == [], f"{len(wasted)} SYS_DEL to clients that were leaving"
        assert len(dels) == LEAVERS
        assert [r.getMessage() for r in caplog.records] == []
    finally:
        for sock in socks:
            sock.close()
        stayer.close()
        host.close()
