"""The Godot 3 RPC layer between Python peers (real WebSocketServer/WebSocketClient on
127.0.0.1): Godot 3.2.3's bytes (FACTS 4, RPC3.md 7), call rules, path caches, bad input
logged with Godot's wording and dropped, the SceneTree/Node API."""

from __future__ import annotations

import logging
import re
import struct
from collections.abc import Iterator
from typing import Any

import pytest
from rpc_support import FULL, GAME_PATH, Player, RpcGame, calls_in, pump, target_of

from godot_ws import (
    CONNECTION_CONNECTED,
    ERR_INVALID_DATA,
    ERR_UNCONFIGURED,
    NETWORK_COMMAND_CONFIRM_PATH,
    NETWORK_COMMAND_RAW,
    NETWORK_COMMAND_REMOTE_CALL,
    NETWORK_COMMAND_REMOTE_SET,
    NETWORK_COMMAND_SIMPLIFY_PATH,
    OK,
    MultiplayerAPI,
    Node,
    NodePath,
    RPCMode,
    SceneTree,
    WebSocketClient,
    encode_var,
    remote,
)
from godot_ws.godot3.rpc import codec3 as codec
from godot_ws.godot3.rpc.multiplayer_api import can_call_mode, should_call_local

LOG = "godot_ws.rpc"


@pytest.fixture
def game() -> Iterator[tuple[Player, Player, Player]]:
    """A Python host and two Python clients, everyone knowing everyone."""
    host = Player.host()
    p1 = Player.join(host.url)
    pump([host, p1], lambda: p1.tree.get_network_connected_peers() == [1])
    p2 = Player.join(host.url)
    everyone = [host, p1, p2]
    pump(everyone, lambda: all(len(p.tree.get_network_connected_peers()) == 2
                               for p in everyone), what="all joined")
    yield host, p1, p2
    for p in everyone:
        p.close()


# ------------------------------------------------------------------ bytes (sans-IO)


def test_names_and_numbers_are_godots() -> None:
    assert [NETWORK_COMMAND_REMOTE_CALL, NETWORK_COMMAND_REMOTE_SET, NETWORK_COMMAND_SIMPLIFY_PATH,
            NETWORK_COMMAND_CONFIRM_PATH, NETWORK_COMMAND_RAW] == [0, 1, 2, 3, 4]
    assert [m.value for m in (RPCMode.DISABLED, RPCMode.REMOTE, RPCMode.MASTER, RPCMode.PUPPET,
                              RPCMode.REMOTESYNC, RPCMode.MASTERSYNC, RPCMode.PUPPETSYNC)] == \
        list(range(7))
    assert RPCMode.SLAVE is RPCMode.PUPPET and RPCMode.SYNC is RPCMode.REMOTESYNC
    assert MultiplayerAPI.RPC_MODE_PUPPETSYNC == 6


def test_codec_matches_godot_captures() -> None:
    # FACTS 4: Python -> server hello(42, "hi"), no cache: full-path form, offset 0x20
    call = codec.encode_call(0, 1, "hello", [42, "hi"], False)
    assert codec.with_full_path(call, "Main") == bytes.fromhex(
        "00 20000080 68656c6c6f00 02 02000000 2a000000 04000000 02000000 68690000 4d61696e00")
    # rpc_id(id, "from_server", 7, "seven") before confirmation (offset 0x2a)
    call = codec.encode_call(0, 1, "from_server", [7, "seven"], False)
    assert codec.with_full_path(call, "Main") == bytes.fromhex(
        "00 2a000080 66726f6d5f73657276657200 02 02000000 07000000 04000000 05000000"
        "736576656e000000 4d61696e00")
    # rset_id(id, "x", 99): no count byte
    call = codec.encode_call(1, 1, "x", [99], False)
    assert codec.with_full_path(call, "Main") == bytes.fromhex(
        "01 0f000080 7800 02000000 63000000 4d61696e00")
    # cached form: reply("got 0") with id 1
    assert codec.encode_call(0, 1, "reply", ["got 0"], False) == bytes.fromhex(
        "00 01000000 7265706c7900 01 04000000 05000000 676f742030000000")
    assert codec.encode_simplify_path(1, "Main") == bytes.fromhex("02 01000000 4d61696e00")
    assert codec.encode_confirm_path("Main") == bytes.fromhex("03 4d61696e00")
    # RPC3.md 7: the full-path offset of set_player_name("py") on the lobby path
    call = codec.encode_call(0, 1, "set_player_name", ["py"], False)
    full = codec.with_full_path(call, "Main/Panel/VBoxContainer/Game")
    assert full[1:5] == bytes.fromhex("22000080") and full.endswith(b"Game\0")


def test_codec_parses_both_target_forms() -> None:
    cached = codec.encode_call(0, 7, "f", [1, "a"], False)
    assert codec.parse_target(cached) == (7, None, len(cached))
    full = codec.with_full_path(cached, "Main/Game")
    assert codec.parse_target(full) == (None, "Main/Game", len(cached))
    assert codec.parse_name(full, len(cached)) == ("f", 7)
    assert codec.decode_args(full, 7, len(cached), False) == [1, "a"]


@pytest.mark.parametrize("mode, master, local, skip", [
    (RPCMode.DISABLED, False, False, False), (RPCMode.REMOTE, True, False, False),
    (RPCMode.REMOTESYNC, False, True, False), (RPCMode.PUPPETSYNC, True, True, False),
    (RPCMode.MASTERSYNC, True, True, True), (RPCMode.MASTERSYNC, False, True, False),
    (RPCMode.MASTER, True, True, True), (RPCMode.MASTER, False, False, False),
    (RPCMode.PUPPET, True, False, False), (RPCMode.PUPPET, False, True, False),
])
def test_should_call_local_is_godots(mode: RPCMode, master: bool, local: bool,
                                     skip: bool) -> None:
    assert should_call_local(mode, master) == (local, skip)


def test_can_call_mode_is_godots() -> None:
    assert not can_call_mode(RPCMode.DISABLED, True, 1, 1)
    assert can_call_mode(RPCMode.REMOTE, False, 1, 5) and can_call_mode(RPCMode.SYNC, True, 1, 5)
    assert can_call_mode(RPCMode.MASTER, True, 1, 5)
    assert not can_call_mode(RPCMode.MASTERSYNC, False, 1, 5)
    assert can_call_mode(RPCMode.PUPPET, False, 1, 1)
    assert not can_call_mode(RPCMode.PUPPET, False, 1, 5)  # not from the master
    assert not can_call_mode(RPCMode.PUPPETSYNC, True, 1, 1)  # we are the master


# ------------------------------------------------------------------ between Python peers


def test_path_cache_handshake(game: tuple[Player, Player, Player]) -> None:
    host, p1, p2 = game
    a, b = p1.id, p2.id
    p1.game.rpc("r_remote", 1, "first")
    # SIMPLIFY_PATH to each peer (ascending ids), then the full-path form to each
    first = p1.sent[:]
    order = sorted([1, a, b])
    order.remove(a)
    assert [(t, d[:1]) for t, d in first] == [(order[0], b"\2"), (order[1], b"\2"),
                                              (order[0], b"\0"), (order[1], b"\0")]
    assert first[0][1] == b"\2\1\0\0\0Main/Game\0"
    assert target_of(first[2][1]) == FULL | (len(first[2][1]) - len(b"Main/Game\0"))
    pump(game, lambda: len(host.game.calls) == 1 and len(p2.game.calls) == 1)
    pump(game, lambda: all(p1.tree._send_cache["Main/Game"].confirmed.values()))
    # every target confirmed: ONE packet to target 0, cached id 1, no path
    del p1.sent[:]
    p1.game.rpc("r_remote", 2, "cached")
    assert p1.sent == [(0, codec.encode_call(0, 1, "r_remote", [2, "cached"], False))]
    pump(game, lambda: len(p2.game.calls) == 2)
    # a new node gets the next id; the receivers keep both
    other = RpcGame(p1.tree, "/root/Main/Other")
    RpcGame(p2.tree, "/root/Main/Other")
    other.rpc_id(b, "r_remote", 3, "other")
    assert p1.sent[-2][1] == b"\2\2\0\0\0Main/Other\0"
    pump(game, lambda: len(p2.tree.get_node("Main/Other").calls) == 1)
    assert p2.tree._get_cache[a] == {1: "Main/Game", 2: "Main/Other"}
    # a peer that leaves is dropped from every cache; a newcomer is asked to cache again
    p2.close()
    pump([host, p1, p2], lambda: p1.tree.get_network_connected_peers() == [1])
    assert b not in p1.tree._send_cache["Main/Game"].confirmed
    assert b not in host.tree._get_cache and b not in host.tree._send_cache.get(
        "Main/Game", type("X", (), {"confirmed": {}})).confirmed


def test_both_target_forms_accepted_any_time(game: tuple[Player, Player, Player],
                                             caplog: pytest.LogCaptureFixture) -> None:
    host, p1, _ = game
    peer = p1.peer
    peer.set_target_peer(1)
    # a full-path call with no SIMPLIFY_PATH at all, then a cache id, then full-path again
    peer.put_packet(codec.with_full_path(codec.encode_call(0, 9, "r_remote", [1, "a"], False),
                                         "Main/Game"))
    peer.put_packet(codec.encode_simplify_path(5, "Main/Game"))
    peer.put_packet(codec.encode_call(0, 5, "r_remote", [2, "b"], False))
    peer.put_packet(codec.with_full_path(codec.encode_call(0, 5, "r_remote", [3, "c"], False),
                                         "Main/Game"))
    pump(game, lambda: len(host.game.calls) == 3)
    assert host.game.called("r_remote") == [(p1.id, (1, "a")), (p1.id, (2, "b")),
                                           (p1.id, (3, "c"))]
    assert (p1.id, b"\3Main/Game\0") in host.sent
    # SIMPLIFY_PATH of an unknown path is still confirmed (Godot looks nodes up per call)
    peer.put_packet(codec.encode_simplify_path(6, "Nowhere"))
    pump(game, lambda: (p1.id, b"\3Nowhere\0") in host.sent)


def test_targets_and_local_calls(game: tuple[Player, Player, Player],
                                 caplog: pytest.LogCaptureFixture) -> None:
    host, p1, p2 = game
    a, b = p1.id, p2.id
    hg = host.game
    caplog.set_level(logging.ERROR, LOG)
    hg.rpc("r_master", 1)  # master on the master: local only, nothing sent
    assert hg.called("r_master") == [(1, (1,))] and host.sent == []
    hg.rpc("r_mastersync", 2)  # also local only on the master
    assert hg.called("r_mastersync") == [(1, (2,))] and host.sent == []
    hg.rpc_id(1, "r_remotesync", 3)  # to ourselves: runs here, nothing sent
    assert hg.called("r_remotesync") == [(1, (3,))] and host.sent == []
    hg.rpc_id(1, "r_remote", 4)  # to ourselves, a mode without local call
    assert "RPC 'r_remote' on yourself is not allowed by selected mode." in caplog.text
    hg.rpc_id(-a, "r_puppetsync", 5)  # runs here (puppetsync) and at p2 only
    hg.rpc_id(b, "r_puppet", 6)
    hg.rpc_id(-999, "r_sync", 7)  # no such peer: logged, still runs here (RPC3.md 8)
    assert "Attempt to remote call unexisting ID: -999." in caplog.text
    assert hg.called("r_sync") == [(1, (7,))]
    hg.rpc("r_sync", *range(256))  # too many args: logged, the local call still happens
    assert "Too many arguments >255." in caplog.text
    assert "rpc() aborted in local call:  - 'RpcGame::r_sync': Method expected 1 arguments, " \
        "but called with 256." in caplog.text
    hg.rpc("r_puppet", "end")
    pump(game, lambda: p1.game.called("r_puppet") == [(1, ("end",))]
         and (1, ("end",)) in p2.game.called("r_puppet"))
    assert p2.game.called("r_puppetsync") == [(1, (5,))] and not p1.game.called("r_puppetsync")
    assert p2.game.called("r_puppet") == [(1, (6,)), (1, ("end",))]
    assert hg.called("r_puppetsync") == [(1, (5,))] and not hg.called("r_puppet")
    # a sync call runs here with our own id as sender, for 0 and -N targets, not for N
    p1.game.rpc_id(b, "r_sync", 8)
    p1.game.rpc_id(-b, "r_sync", 9)
    assert p1.game.called("r_sync") == [(a, (9,))]
    # rset: remotesync sets here first, then sends; the rset of a puppet var from the master
    hg.rset("rs_var", 9)
    hg.rset_id(a, "p_var", 10)
    hg.rset_unreliable("r_var", 11)
    hg.rset_unreliable_id(b, "p_var", 12)
    assert (hg.rs_var, hg.p_var, hg.r_var) == (9, 0, 0)
    pump(game, lambda: p1.game.p_var == 10 and p2.game.p_var == 12 and p2.game.r_var == 11)
    assert p1.game.rs_var == 9 and p1.game.r_var == 11


def test_relayed_calls_keep_the_sender(game: tuple[Player, Player, Player]) -> None:
    host, p1, p2 = game
    a, b = p1.id, p2.id
    p1.game.rpc_id(b, "r_remote", 1, "to p2")
    p2.game.rpc_id(-a, "r_remote", 2, "not p1")
    p2.game.rpc_id(a, "r_remote", 3, "to p1")
    pump(game, lambda: p1.game.called("r_remote") == [(b, (3, "to p1"))]
         and p2.game.called("r_remote") == [(a, (1, "to p2"))]
         and host.game.called("r_remote") == [(b, (2, "not p1"))])


def test_network_master_and_refusals(game: tuple[Player, Player, Player],
                                     caplog: pytest.LogCaptureFixture) -> None:
    host, p1, p2 = game
    a = p1.id
    caplog.set_level(logging.ERROR, LOG)
    for p in game:  # p1 becomes the master of the game node everywhere (as a game would)
        p.game.set_network_master(a)
    assert p1.game.is_network_master() and not host.game.is_network_master()
    p1.game.rpc("r_puppet", 1)  # puppets (host, p2) accept it from their master
    host.game.rpc_id(a, "r_master", 2)  # the master accepts master calls from anyone
    p2.game.rpc("r_puppet", 3)  # refused: p2 is not the master
    p2.game.rpc_id(a, "r_disabled", 4)
    p1.game.rpc_id(1, "r_nonexistent", 5)
    p2.game.rpc_id(a, "r_remote", "end", 0)
    pump(game, lambda: (p2.id, ("end", 0)) in p1.game.called("r_remote"))
    pump(game, lambda: host.game.called("r_puppet") == [(a, (1,))])
    assert p1.game.called("r_master") == [(1, (2,))]
    assert not [c for c in p1.game.calls if c[0] in ("r_puppet", "r_disabled")]
    for text in (f"RPC 'r_puppet' is not allowed on node /root/Main/Game from: {p2.id}. "
                 f"Mode is 3, master is {a}.",
                 f"RPC 'r_disabled' is not allowed on node /root/Main/Game from: {p2.id}. "
                 f"Mode is 0, master is {a}.",
                 f"RPC 'r_nonexistent' is not allowed on node /root/Main/Game from: {a}. "
                 f"Mode is 0, master is {a}."):
        assert text in caplog.text


def test_rpc_config_overrides_the_decorator(game: tuple[Player, Player, Player]) -> None:
    host, p1, _ = game
    host.game.rpc_config("r_disabled", RPCMode.REMOTE)
    host.game.rpc_config("r_remote", RPCMode.DISABLED)
    host.game.rset_config("p_var", RPCMode.REMOTE)
    p1.game.rpc_id(1, "r_remote", 0, "refused")
    p1.game.rpc_id(1, "r_disabled", 1)
    p1.game.rset_id(1, "p_var", 2)
    pump(game, lambda: host.game.p_var == 2)
    assert host.game.called("r_disabled") == [(p1.id, (1,))] and not host.game.called("r_remote")


def test_send_bytes_and_raw(game: tuple[Player, Player, Player]) -> None:
    host, p1, p2 = game
    got: list[tuple[str, int, bytes, int]] = []
    for p, name in ((host, "host"), (p1, "p1"), (p2, "p2")):
        p.tree.connect("network_peer_packet", lambda s, d, n=name, t=p.tree: got.append(
            (n, s, d, t.get_rpc_sender_id())))
    assert p1.tree.send_bytes(b"\0abc") == OK
    assert host.tree.send_bytes(bytearray(b"x"), -p1.id) == OK
    assert p1.tree.send_bytes(b"") == ERR_INVALID_DATA
    pump(game, lambda: len(got) == 3)
    assert sorted(got) == [("host", p1.id, b"\0abc", p1.id), ("p2", 1, b"x", 1),
                           ("p2", p1.id, b"\0abc", p1.id)]
    assert MultiplayerAPI().send_bytes(b"x") == ERR_UNCONFIGURED


# ------------------------------------------------------------------ bad input


def _raw(game: tuple[Player, Player, Player], packets: list[bytes]) -> None:
    host, p1, _ = game
    ends = host.game.called("r_remote").count((p1.id, ("end", 0)))
    p1.peer.set_target_peer(1)
    for packet in packets:
        assert p1.peer.put_packet(packet) == OK
    # a good call after the bad ones: once it ran, every bad one was handled
    p1.peer.put_packet(codec.with_full_path(codec.encode_call(0, 1, "r_remote", ["end", 0],
                                                              False), "Main/Game"))
    pump(game, lambda: host.game.called("r_remote").count((p1.id, ("end", 0))) > ends)


class Boom(RpcGame):
    @remote
    def explode(self, x: Any) -> None:
        raise RuntimeError(f"boom {x}")


def test_bad_input_is_logged_with_godots_words_and_dropped(
        game: tuple[Player, Player, Player], caplog: pytest.LogCaptureFixture) -> None:
    host, p1, _ = game
    caplog.set_level(logging.ERROR, LOG)
    Boom(host.tree, "/root/Main/Boom")
    call = codec.encode_call(0, 1, "r_remote", [1, 2], False)
    cases = [
        (b"", "Invalid packet received. Size too small."),
        (b"\0\1\0\0", "Invalid packet received. Size too small."),  # < 6 bytes
        (b"\2\1\0", "Invalid packet received. Size too small."),  # SIMPLIFY_PATH < 5
        (b"\3", "Invalid packet received. Size too small."),  # CONFIRM_PATH < 2
        (b"\4", "Invalid packet received. Size too small."),  # RAW without data
        (b"\3Main/Unknown\0", "Tries to confirm a path which was not found in cache."),
        (codec.encode_call(0, 77, "r_remote", [1, 2], False),
         "Invalid packet received. Unabled to find requested cached node."),
        (b"\0" + struct.pack("<I", FULL | 500) + b"r_remote\0\0",
         "Invalid packet received. Size smaller than declared."),
        (codec.with_full_path(call, "Main/Missing"), "Failed to get path from RPC: Main/Missing."),
        (codec.with_full_path(b"\0\1\0\0\0r_remote", "Main/Game"),
         "Invalid packet received. Size too small."),  # name without NUL
        (codec.with_full_path(b"\0\1\0\0\0r_remote\0\2" + encode_var(1), "Main/Game"),
         "Invalid packet received. Size too small."),  # argc 2, one Variant
        (codec.with_full_path(b"\0\1\0\0\0r_remote\0\2" + b"\xff\0\0\0" * 2, "Main/Game"),
         "Invalid packet received. Unable to decode RPC argument."),
        (codec.with_full_path(codec.encode_call(0, 1, "r_remote", [1], False), "Main/Game"),
         "RPC - 'RpcGame::r_remote': Method expected 2 arguments, but called with 1."),
        (codec.with_full_path(codec.encode_call(0, 1, "r_remote", [1, 2, 3], False),
                              "Main/Game"),
         "RPC - 'RpcGame::r_remote': Method expected 2 arguments, but called with 3."),
        (codec.with_full_path(codec.encode_call(0, 1, "explode", [1], False), "Main/Boom"),
         "RPC - 'Boom::explode': RuntimeError: boom 1"),
        (codec.with_full_path(codec.encode_call(1, 1, "r_var", [], False), "Main/Game"),
         "Invalid packet received. Size too small."),  # RSET without a value
        (codec.with_full_path(b"\1\1\0\0\0r_var\0\x1f\0\0\0", "Main/Game"),
         "Invalid packet received. Unable to decode RSET value."),
        (codec.with_full_path(b"\0\1\0\0\0\xff\xfe\0\0", "Main/Game"), "is not valid UTF-8"),
        (b"\x09whatever", None),  # unknown command: ignored
    ]
    _raw(game, [packet for packet, _ in cases])
    for packet, text in cases:
        if text is not None:
            assert text in caplog.text, (packet, text)
    assert host.game.called("r_remote") == [(p1.id, ("end", 0))]
    assert "Traceback" in caplog.text  # the exception in explode() is logged whole


def test_object_decoding_follows_allow_object_decoding(
        game: tuple[Player, Player, Player], caplog: pytest.LogCaptureFixture) -> None:
    from godot_ws import GodotObject
    host, p1, _ = game
    caplog.set_level(logging.ERROR, LOG)
    obj = GodotObject("Reference", {"a": 1})
    packet = codec.with_full_path(b"\0\1\0\0\0r_remote\0\2" + encode_var(obj, True)
                                  + encode_var(1), "Main/Game")
    _raw(game, [packet])
    assert "Unable to decode RPC argument" in caplog.text
    host.tree.allow_object_decoding = True
    _raw(game, [packet])
    assert host.game.called("r_remote")[1] == (p1.id, (obj, 1))


# ------------------------------------------------------------------ API surface


def test_scene_tree_and_node_api() -> None:
    tree = SceneTree()
    assert tree.multiplayer is tree and tree.get_network_peer() is None
    assert not tree.has_network_peer() and not tree.is_network_server()
    assert tree.get_rpc_sender_id() == 0
    for name in ("network_peer_connected", "network_peer_disconnected", "network_peer_packet",
                 "connected_to_server", "connection_failed", "server_disconnected"):
        assert tree.has_signal(name)
    main = Node(tree, "/root/Main")
    game = RpcGame(tree, "Main/Game")
    sub = Node(tree, NodePath("/root/Main/Game/Sub"))
    assert str(game.get_path()) == "/root/Main/Game" and game.name == "Game"
    assert game.get_tree() is tree and game.multiplayer is tree and game.is_inside_tree()
    assert tree.get_node("/root/Main/Game") is game and tree.get_node("Main/Game") is game
    assert sub.get_node("..") is game and game.get_node("Sub") is sub
    assert game.get_parent() is main and sub.get_node("/root/Main") is main
    assert game.get_network_master() == 1 and not game.is_network_master()
    main.set_network_master(5)
    assert sub.get_network_master() == 5 and game.get_network_master() == 5
    game.set_network_master(7, recursive=False)
    assert sub.get_network_master() == 5
    with pytest.raises(ValueError):
        Node(tree, "/elsewhere/Node")
    sub.queue_free()  # freed at the end of the frame, as in Godot
    assert tree.get_node("Main/Game/Sub") is sub
    tree.poll()
    assert tree.get_node("Main/Game/Sub") is None and not sub.is_inside_tree()
    # rpc without a peer: Godot's message, nothing raised
    game.rpc("r_remote", 1, 2)


def test_lifecycle_and_refused_peer(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    class Script(Node):
        def _ready(self) -> None:
            seen.append("ready")

        def _process(self, delta: float) -> None:
            seen.append(f"process {delta >= 0}")

    tree = SceneTree()
    Script(tree, "/root/Script")
    tree.poll()
    tree.poll()
    assert seen == ["ready", "process True", "process True"]
    caplog.set_level(logging.ERROR, LOG)
    tree.set_network_peer(WebSocketClient())  # disconnected: refused, as Godot
    assert "must be connecting or connected" in caplog.text and not tree.has_network_peer()


def test_set_network_peer_none_clears(game: tuple[Player, Player, Player]) -> None:
    host, p1, _ = game
    p1.game.rpc("r_remote", 1, 2)
    assert p1.tree._send_cache
    p1.tree.set_network_peer(None)
    assert not p1.tree._send_cache and not p1.tree._connected_peers
    assert p1.tree._last_send_cache_id == 1
    assert not p1.peer.peer_connected.is_connected(p1.tree._add_peer)


def test_client_signals_forwarded(game: tuple[Player, Player, Player]) -> None:
    host, _, _ = game
    tree = SceneTree()
    events: list[tuple[Any, ...]] = []
    for name in ("network_peer_connected", "connected_to_server", "server_disconnected",
                 "connection_failed", "network_peer_disconnected"):
        tree.connect(name, lambda *args, n=name: events.append((n, *args,
                                                               tree.get_network_connected_peers())))
    client = WebSocketClient()
    client.connect_to_url(host.url, [], True)
    tree.set_network_peer(client)
    # RPC3.md 8: CONNECTED already when connection_succeeded fires (rpc() checks it)
    statuses: list[int] = []
    client.connection_succeeded.connect(lambda: statuses.append(client.get_connection_status()))
    players = [host]
    pump(players + [], lambda: (tree.poll() or True) and len(events) >= 4)
    assert events[0] == ("network_peer_connected", 1, [1])
    assert events[1] == ("connected_to_server", [1])
    assert statuses == [CONNECTION_CONNECTED]
    host.peer.stop()
    pump(players, lambda: (tree.poll() or True) and events[-1][0] in (
        "server_disconnected", "connection_failed"))
    assert tree.get_network_connected_peers() == []


def test_random_packets_never_raise(game: tuple[Player, Player, Player]) -> None:
    """Any bytes, and mutations of valid packets, are handled (logged) without an exception
    escaping the dispatcher; the game still works afterwards."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    host, p1, _ = game
    process = host.tree._process_packet
    valid = [codec.with_full_path(codec.encode_call(0, 1, "r_remote", [1, "a"], False),
                                  "Main/Game"),
             codec.encode_call(1, 1, "r_var", [5], False), codec.encode_simplify_path(1, "Main/Game"),
             b"\3Main/Game\0", b"\4raw"]

    @st.composite
    def packets(draw: Any) -> bytes:
        if draw(st.booleans()):
            return bytes(draw(st.binary(max_size=64)))
        data = bytearray(draw(st.sampled_from(valid)))
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
        return bytes(data[:draw(st.integers(0, len(data)))])

    logging.getLogger(LOG).setLevel(logging.CRITICAL)  # thousands of expected errors
    try:
        @settings(max_examples=200, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(packets())
        def run(packet: bytes) -> None:
            host.tree._rpc_sender_id = p1.id
            process(p1.id, packet)

        run()
    finally:
        logging.getLogger(LOG).setLevel(logging.NOTSET)
    before = len(host.game.calls)
    p1.game.rpc_id(1, "r_remote", "still", "works")
    pump(game, lambda: len(host.game.calls) > before)


def test_last_words_of_a_leaving_peer_are_run(game: tuple[Player, Player, Player],
                                              caplog: pytest.LogCaptureFixture) -> None:
    """A peer's RPCs that arrive in the same poll as its leave still run (Godot drops those in
    the cached form: 'Requests invalid peer cache'); a node queue_free()'d by the leave
    handler is still there for them."""
    host, p1, p2 = game
    b = p2.id
    caplog.set_level(logging.ERROR, "godot_ws")
    p2.game.rpc_id(1, "r_remote", 1, "first")  # SIMPLIFY_PATH + full path form
    pump(game, lambda: host.tree._send_cache == {} and
         p2.tree._send_cache["Main/Game"].confirmed.get(1) is True)
    host.tree.network_peer_disconnected.connect(lambda peer_id: host.game.queue_free())
    p2.game.rpc_id(1, "r_remote", 2, "cached")
    p2.game.rpc_id(1, "r_remote", 3, "last words")
    p2.peer.disconnect_from_host()
    deadline = 200
    while p2.peer._conn is not None and p2.peer._conn.transport.pending and deadline:
        p2.peer.poll()
        deadline -= 1
    pump([host, p2], lambda: b not in host.tree.get_network_connected_peers(), what="p2 leaves")
    assert host.game.called("r_remote") == [(b, (1, "first")), (b, (2, "cached")),
                                           (b, (3, "last words"))]
    assert b not in host.tree._get_cache  # dropped at the end of that poll
    assert host.tree.get_node(GAME_PATH) is None
    assert not [r for r in caplog.records if r.name.startswith("godot_ws.rpc")]


API_3_2_3 = (
    "allow_object_decoding network_peer refuse_new_network_connections clear "
    "get_network_connected_peers get_network_peer get_network_unique_id get_rpc_sender_id "
    "has_network_peer is_network_server is_object_decoding_allowed "
    "is_refusing_new_network_connections poll send_bytes set_allow_object_decoding "
    "set_network_peer set_refuse_new_network_connections set_root_node RPC_MODE_DISABLED "
    "RPC_MODE_REMOTE RPC_MODE_MASTER RPC_MODE_PUPPET RPC_MODE_SLAVE RPC_MODE_REMOTESYNC "
    "RPC_MODE_SYNC RPC_MODE_MASTERSYNC RPC_MODE_PUPPETSYNC"
).split()


def test_multiplayer_api_has_godots_members() -> None:
    api = MultiplayerAPI()
    assert [name for name in API_3_2_3 if not hasattr(api, name)] == []
    for name in ("network_peer_connected", "network_peer_disconnected", "network_peer_packet",
                 "connected_to_server", "connection_failed", "server_disconnected"):
        assert api.has_signal(name)
    tree = SceneTree()
    node = Node(tree, "/root/Main")
    for name in ("rpc rpc_id rpc_unreliable rpc_unreliable_id rset rset_id rset_unreliable "
                 "rset_unreliable_id rpc_config rset_config set_network_master "
                 "get_network_master is_network_master get_tree get_path queue_free "
                 "custom_multiplayer multiplayer get_multiplayer").split():
        assert hasattr(node, name), name


def test_custom_multiplayer_and_root_node() -> None:
    tree = SceneTree()
    main = Node(tree, "/root/Main")
    game = RpcGame(tree, "/root/Main/Game")
    custom = MultiplayerAPI()
    custom.set_root_node(main)
    assert str(custom.root_path) == "/root/Main"
    game.custom_multiplayer = custom
    assert game.multiplayer is custom and custom.get_node("Game") is game
    assert custom.get_node_wire_path(game) == "Game"  # the wire path under the custom root
    game.custom_multiplayer = None
    assert custom.get_node("Game") is None and game.multiplayer is tree


def test_a_call_the_peer_cannot_take_is_logged(game: tuple[Player, Player, Player],
                                               caplog: pytest.LogCaptureFixture) -> None:
    # Godot ignores put_packet's result in rpc(); a call larger than the output buffer
    # (64 KiB by default) must not vanish without a word.
    host, _, _ = game
    caplog.set_level(logging.ERROR, LOG)
    host.game.rpc("r_puppet", b"x" * 200_000)
    assert "RPC packet of " in caplog.text and "not sent: ERR_OUT_OF_MEMORY" in caplog.text


def test_two_nodes_at_one_path_rename_the_newcomer(game: tuple[Player, Player, Player],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """Godot 3's add_child renames a newcomer whose name is taken to @<name>@<count>; the
    first node keeps the path and its RPCs. We do the same, with a warning."""
    host, p1, _ = game
    caplog.set_level(logging.WARNING, logger="godot_ws")
    newcomer = RpcGame(host.tree)
    renamed = str(newcomer.get_path())
    assert re.fullmatch(r"/root/Main/@Game@\d+", renamed), renamed
    assert newcomer.name == renamed.rsplit("/", 1)[1]
    assert host.tree.get_node(GAME_PATH) is host.game
    assert host.tree.get_node(renamed) is newcomer
    assert f"a node is already at {GAME_PATH}; this one is {renamed}" in caplog.text
    p1.game.rpc_id(1, "r_remote", 1, 2)
    pump([host, p1], lambda: bool(host.game.called("r_remote")), what="the call")
    assert newcomer.calls == []

