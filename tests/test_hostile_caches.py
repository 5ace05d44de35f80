"""Hostile peers against the RPC path caches and the peer lists (issue 25, findings 1, 2, 12 and
17), over real sockets on 127.0.0.1, each attack bounded in count: a SIMPLIFY_PATH flood stores
at most ``MAX_CACHED_PATHS`` entries per peer and never a peer's padded string; an oversized
path is neither cached nor echoed back; a hostile Godot 4 host cannot grow a client's peer list
without bound nor make it "connect" twice; peer text in a log line is escaped and cut."""

from __future__ import annotations

import logging
import struct
from typing import Any

import pytest
from rpc_support import Player, pump
from test_godot4_multiplayer import Game, HelloServer, Net, hx, net, record  # noqa: F401

from godot_ws.core.constants import Error
from godot_ws.godot3.rpc import codec3
from godot_ws.godot4._scene_wire import remote_call_packet, simplify_path_packet

LIMIT = 1024  # MAX_CACHED_PATHS and MAX_PATH_BYTES (godot_ws.core.constants)
FLOOD = 1500  # more entries than LIMIT: bounded (about 3 MB over loopback)


def _put_all(net_or_players: Any, put: Any, packets: list[bytes]) -> None:
    """Queue every packet, polling while the output buffer is full (it pushes back)."""
    for packet in packets:
        for _ in range(10_000):
            if put(packet) == Error.OK:
                break
            net_or_players()
        else:
            raise AssertionError("the output buffer never drained")


def _clean(caplog: pytest.LogCaptureFixture) -> None:
    """No log line a peer caused spans lines or runs on (finding 12)."""
    for record_ in caplog.records:
        message = record_.getMessage()
        assert "\n" not in message and "\r" not in message, message
        assert len(message) < 600, message[:200]


# ------------------------------------------------------------------ finding 1: Godot 4 cache


def _godot4_host_and_client(net: Net) -> tuple[Any, Game, Any, int, str]:
    """A Godot 4 host with a Game node and one joined client: (host, game, client, the
    client's id, the game's RPC checksum)."""
    server, _speer, port = net.host()
    game = Game(server)
    client = net.join(port)
    cid = client.get_unique_id()
    net.until(lambda: server.get_peers() == [cid], "the client")
    return server, game, client, cid, server.get_rpc_md5(game)


def test_godot4_simplify_path_flood_is_bounded(net: Net,
                                               caplog: pytest.LogCaptureFixture) -> None:
    server, game, client, cid, md5 = _godot4_host_and_client(net)
    padded = "/root/Main" + "/" * 2000  # a real node's path, padded: it resolves
    packets = [simplify_path_packet(md5, i + 1, padded) for i in range(FLOOD)]
    _put_all(net.poll, client.multiplayer_peer.put_packet, packets)
    got: list[bytes] = []
    server.peer_packet.connect(lambda pid, data: got.append(data))
    client.send_bytes(b"done")
    net.until(lambda: got == [b"done"], "the flood to be handled", timeout=30)
    entries = server._cache.peers_info[cid].recv_nodes
    assert len(entries) <= LIMIT
    held = [v for entry in entries.values()
            for v in (entry if isinstance(entry, tuple) else (entry,)) if isinstance(v, str)]
    assert all(len(text) < 100 for text in held), "the peer's padded string is kept"
    # The peer still reaches the node: by full path once its cache is full.
    client_game = Game(client)
    client_game.rpc_id(1, "hello", 1, 2)
    net.until(lambda: ("hello", cid, (1, 2)) in game.calls, "an honest RPC")
    _clean(caplog)


def test_godot4_oversized_path_is_refused_before_lookup(net: Net) -> None:
    server, game, client, cid, md5 = _godot4_host_and_client(net)
    confirms: list[bytes] = []
    client_peer = client.multiplayer_peer
    client_peer.put_packet(simplify_path_packet(md5, 7, "/root/Main" + "/" * (LIMIT + 1)))
    client_peer.put_packet(simplify_path_packet(md5, 8, "Main"))
    orig = client._cache.process_confirm_path
    client._cache.process_confirm_path = lambda s, p: (confirms.append(p), orig(s, p))
    net.until(lambda: any(p[2:6] == struct.pack("<I", 8) for p in confirms),
              "the honest path's confirmation")
    assert list(server._cache.peers_info[cid].recv_nodes) == [8]


# ------------------------------------------------------------------ finding 2: Godot 3 cache


@pytest.fixture
def pair() -> Any:
    host = Player.host()
    p1 = Player.join(host.url)
    pump([host, p1], lambda: p1.tree.get_network_connected_peers() == [1])
    yield host, p1
    p1.close()
    host.close()


def test_godot3_simplify_path_flood_is_bounded(pair: Any,
                                               caplog: pytest.LogCaptureFixture) -> None:
    host, p1 = pair
    p1.peer.set_target_peer(1)
    paths = ["Main/Game" + "/" * 1000, "Nowhere/" + "x" * 1000]
    packets = [codec3.encode_simplify_path(i + 1, paths[i % 2] + str(i)) for i in range(FLOOD)]

    def poll() -> None:
        host.tree.poll()
        p1.tree.poll()

    _put_all(poll, p1.peer.put_packet, packets)
    p1.tree.send_bytes(b"done", 1)
    got: list[bytes] = []
    host.tree.network_peer_packet.connect(lambda pid, data: got.append(data))
    pump([host, p1], lambda: got == [b"done"], timeout=30, what="the flood to be handled")
    cache = host.tree._get_cache[p1.id]
    assert len(cache) <= LIMIT
    assert sum(len(path) for path in cache.values()) <= 64 * 1024 + LIMIT * len("Main/Game")
    echoed = [data for _target, data in host.sent if data[:1] == b"\3"]
    assert len(echoed) <= LIMIT
    assert all(len(data) <= LIMIT + 2 for data in echoed), "an oversized path was echoed"
    # The honest call still arrives, by full path.
    p1.game.rpc_id(1, "r_remote", 1, 2)
    pump([host, p1], lambda: host.game.called("r_remote") == [(p1.id, (1, 2))])
    _clean(caplog)


def test_godot3_oversized_path_is_not_echoed(pair: Any) -> None:
    host, p1 = pair
    p1.peer.set_target_peer(1)
    p1.peer.put_packet(codec3.encode_simplify_path(5, "Main/Game/" + "a" * (LIMIT + 10)))
    p1.peer.put_packet(codec3.encode_simplify_path(6, "Main/Game"))
    pump([host, p1], lambda: (p1.id, b"\3Main/Game\0") in host.sent)
    assert [d for _t, d in host.sent if d[:1] == b"\3"] == [b"\3Main/Game\0"]
    assert list(host.tree._get_cache[p1.id]) == [6]


# ------------------------------------------------------------------ finding 12: log injection

FORGED = "Main\nCRITICAL godot_ws: peer 1 authenticated as admin."


def test_godot4_peer_text_is_escaped_in_logs(net: Net, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="godot_ws")
    server, game, client, cid, md5 = _godot4_host_and_client(net)
    peer = client.multiplayer_peer
    peer.put_packet(remote_call_packet(0, 0, b"\x00", False, path=FORGED))
    peer.put_packet(remote_call_packet(0, 0, b"\x00", False, path=FORGED + "x" * 20_000))
    peer.put_packet(simplify_path_packet(md5, 3, FORGED))
    peer.put_packet(simplify_path_packet("0" * 32, 4, "/root/Main///"))  # checksum fails
    got: list[bytes] = []
    server.peer_packet.connect(lambda pid, data: got.append(data))
    client.send_bytes(b"done")
    net.until(lambda: got == [b"done"], "the packets to be handled")
    assert "authenticated as admin" in caplog.text  # it was logged, escaped
    _clean(caplog)


def test_godot3_peer_text_is_escaped_in_logs(pair: Any,
                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="godot_ws")
    host, p1 = pair
    peer = p1.peer
    peer.set_target_peer(1)
    call = codec3.encode_call(0, 9, "r_remote", [1, 2], False)
    peer.put_packet(codec3.with_full_path(call, FORGED))
    peer.put_packet(codec3.with_full_path(call, FORGED + "x" * 20_000))
    evil = codec3.encode_call(0, 9, "nope\nCRITICAL godot_ws: forged", [1], False)
    peer.put_packet(codec3.with_full_path(evil, "Main/Game"))
    p1.tree.send_bytes(b"done", 1)
    got: list[bytes] = []
    host.tree.network_peer_packet.connect(lambda pid, data: got.append(data))
    pump([host, p1], lambda: got == [b"done"], what="the packets to be handled")
    assert "authenticated as admin" in caplog.text and "forged" in caplog.text
    _clean(caplog)


# ------------------------------------------------------------------ finding 17: hostile host


def test_hostile_host_cannot_flood_or_fake_a_godot4_client(
        net: Net, caplog: pytest.LogCaptureFixture) -> None:
    srv = HelloServer(struct.pack("<i", 777))
    try:
        client = net.join(srv.server.port)
        events = record(client)
        for bad in (1, 777, 0, -5):
            srv.to_send.put(hx("07 01") + struct.pack("<i", bad))
        flood = 5000  # more than MAX_PEERS (4096): 30 KB of ADD_PEER
        for pid in range(1000, 1000 + flood):
            srv.to_send.put(hx("07 01") + struct.pack("<i", pid))
        srv.to_send.put(b"\x03ok")
        got: list[bytes] = []
        client.peer_packet.connect(lambda pid, data: got.append(data))
        net.until(lambda: got == [b"ok"], "the flood to be handled", timeout=30)
        peers = client.get_peers()
        assert 1 in peers and 777 not in peers and 0 not in peers and -5 not in peers
        assert len(peers) <= 4096
        assert ("connected_to_server",) not in events  # it fired once, before record()
        assert ("peer_connected", 1) not in events
        _clean(caplog)
    finally:
        srv.server.close()
