"""Godot 4 replication between godot_ws.godot4 peers over real sockets on 127.0.0.1: a Python
host and Python clients, each a SceneMultiplayer with MultiplayerSpawner and
MultiplayerSynchronizer nodes, and the Node lifecycle they rely on. Packets are recorded where
they arrive (the receiver's ``_process_packet``) and compared with REPLICATION4.md's bytes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support import poll_until

from godot_ws.core.constants import Error
from godot_ws.godot4 import (
    MultiplayerSpawner,
    MultiplayerSynchronizer,
    Node,
    SceneMultiplayer,
    SceneReplicationConfig,
    Vector2,
    WebSocketMultiplayerPeer,
    rpc,
)

LOG = "godot_ws.godot4.multiplayer"
ON_CHANGE = SceneReplicationConfig.REPLICATION_MODE_ON_CHANGE


def hx(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def player_config() -> SceneReplicationConfig:
    config = SceneReplicationConfig()
    config.add_property(".:position")
    config.add_property("name_label:text")
    config.property_set_replication_mode("name_label:text", ON_CHANGE)
    return config


class Player(Node):
    """REPLICATION4 section 5's player.tscn: a root with a label and a synchronizer."""

    scene_file_path = "res://player.tscn"

    def __init__(self, multiplayer: SceneMultiplayer, path: str,
                 position: Vector2 = Vector2(0, 0), text: str = "") -> None:
        super().__init__(multiplayer, path)
        self.position = position
        self.events: list[tuple[Any, ...]] = []
        self.label = Node(multiplayer, path + "/name_label")
        self.label.text = text  # type: ignore[attr-defined]
        self.sync = MultiplayerSynchronizer(multiplayer, path + "/MultiplayerSynchronizer")
        self.sync.replication_config = player_config()

    def _enter_tree(self) -> None:
        self.events.append(("enter_tree", self.position))

    @rpc("any_peer")
    def hit(self, n: int) -> None:
        self.events.append(("hit", n))

    def _ready(self) -> None:
        self.events.append(("ready", self.position, self.label.text))  # type: ignore[attr-defined]

    def _exit_tree(self) -> None:
        self.events.append(("exit_tree",))


class Game:
    """One peer: its SceneMultiplayer, /root/Main/{Players,Spawner}, and what it received."""

    def __init__(self, mp: SceneMultiplayer) -> None:
        self.mp = mp
        self.main = Node(mp, "Main")
        self.players = Node(mp, "Main/Players")
        self.spawner = MultiplayerSpawner(mp, "Main/Spawner")
        self.spawner.spawn_path = "../Players"
        self.spawner.add_spawnable_scene("res://player.tscn")
        self.spawned: list[Node] = []
        self.despawned: list[Node] = []
        self.spawner.spawned.connect(self.spawned.append)
        self.spawner.despawned.connect(self.despawned.append)
        self.packets: list[tuple[int, bytes]] = []
        process = mp._process_packet

        def record(sender: int, packet: bytes) -> None:
            self.packets.append((sender, bytes(packet)))
            process(sender, packet)

        mp._process_packet = record  # type: ignore[method-assign]

    def commands(self, first: int) -> list[bytes]:
        """The packets received whose first byte is ``first`` (0x06 SYNC, 0x16 DELTA...)."""
        return [p for _, p in self.packets if p[0] == first]

    def node(self, name: str) -> Any:
        return self.players.get_node_or_null(name)


class Net:
    """The peers of one test, polled together."""

    def __init__(self) -> None:
        self.games: list[Game] = []
        self.port = 0

    def host(self) -> Game:
        peer = WebSocketMultiplayerPeer()
        assert peer.create_server(0, "127.0.0.1") == Error.OK
        self.port = peer.get_local_port()
        mp = SceneMultiplayer()
        mp.multiplayer_peer = peer
        game = Game(mp)
        self.games.append(game)
        return game

    def join(self) -> Game:
        peer = WebSocketMultiplayerPeer()
        assert peer.create_client(f"ws://127.0.0.1:{self.port}") == Error.OK
        mp = SceneMultiplayer()
        mp.multiplayer_peer = peer
        game = Game(mp)
        self.games.append(game)
        self.until(lambda: 1 in mp.get_peers(), "the client to join")
        return game

    def poll(self) -> None:
        for game in self.games:
            assert game.mp.poll() == Error.OK

    def until(self, condition: Callable[[], object], what: str, timeout: float = 5.0) -> None:
        poll_until(self, lambda: bool(condition()), timeout, what)

    def settle(self, seconds: float = 0.15) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.poll()
            time.sleep(0.001)

    def close(self) -> None:
        for game in self.games:
            peer = game.mp.multiplayer_peer
            if peer is not None:
                peer.close()


@pytest.fixture
def net() -> Iterator[Net]:
    n = Net()
    yield n
    n.close()


# ------------------------------------------------------------------ the worked example


def test_spawn_sync_delta_despawn_match_the_worked_example(net: Net) -> None:
    host = net.host()
    client = net.join()
    player = Player(host.mp, "Main/Players/2", Vector2(100, 200), "P2")
    net.until(lambda: client.spawned, "the spawn")
    remote = client.node("2")
    assert client.spawned == [remote] and isinstance(remote, Player)
    # Spawn state is applied when the synchronizer enters the tree: after the root's
    # _enter_tree, before _ready (as in Godot).
    assert remote.events == [("enter_tree", Vector2(0, 0)), ("ready", Vector2(100, 200), "P2")]
    net.until(lambda: client.commands(0x16), "the first delta")
    simplify, spawn = client.commands(1)[0], client.commands(4)[0]
    assert simplify == b"\x01d41d8cd98f00b204e9800998ecf8427e\x00" + hx("01000000") \
        + b"Main/Spawner\x00"
    assert spawn == hx("04 00 01000000 01000000 01000000 02000000 02000000 3200"
                       "05000000 0000c842 00004843 04000000 02000000 50320000")
    assert client.commands(6)[0] == hx("06 0100 02000000 0c000000 05000000 0000c842 00004843")
    assert client.commands(0x16)[0] == hx("16 02000000 0100000000000000 0c000000"
                                          "04000000 02000000 50320000")
    # Positions go every frame (time +1 each), the label only when it changes.
    player.position = Vector2(110.5, 200)
    player.label.text = "Bob"  # type: ignore[attr-defined]
    net.until(lambda: remote.label.text == "Bob" and remote.position.x == 110.5, "the update")
    assert hx("06 00 02000000 0c000000 05000000 0000dd42 00004843")[3:] in client.commands(6)[-1]
    assert client.commands(0x16)[-1] == hx("16 02000000 0100000000000000 0c000000 04000000"
                                           "03000000 426f6200")
    deltas = len(client.commands(0x16))
    times = [int.from_bytes(p[1:3], "little") for p in client.commands(6)]
    assert times == list(range(1, len(times) + 1)) and deltas == 2
    player.free()
    net.until(lambda: client.despawned, "the despawn")
    assert client.commands(5) == [hx("05 01000000")]
    assert client.despawned == [remote] and client.node("2") is None
    assert remote.events[-1] == ("exit_tree",) and not remote.is_inside_tree()


def test_synchronized_signals_and_the_stale_time_rule(net: Net) -> None:
    host = net.host()
    client = net.join()
    player = Player(host.mp, "Main/Players/p")
    net.until(lambda: client.spawned, "the spawn")
    remote = client.node("p")
    counts = {"sync": 0, "delta": 0}
    remote.sync.synchronized.connect(lambda: counts.__setitem__("sync", counts["sync"] + 1))
    remote.sync.delta_synchronized.connect(lambda: counts.__setitem__("delta", counts["delta"] + 1))
    player.label.text = "x"  # type: ignore[attr-defined]
    net.until(lambda: counts["sync"] >= 3 and counts["delta"] >= 1, "the signals")
    last = remote.sync.last_inbound_sync
    old = hx("06") + ((last - 1) & 0xFFFF).to_bytes(2, "little") + hx("02000000 0c000000") \
        + hx("05000000 00000000 00000000")
    remote.position = Vector2(5, 5)
    client.mp._replication.on_sync_receive(1, old)  # older than the last one: ignored
    assert remote.position == Vector2(5, 5)
    assert not remote.sync.update_inbound_sync_time(last)  # equal: ignored too
    assert remote.sync.update_inbound_sync_time((last + 40000) & 0xFFFF) or last < 32767


# ------------------------------------------------------------------ path-based synchronizers


class Avatar(Node):
    """A static (not spawned) node whose synchronizer a client owns (REPLICATION4 section 10)."""

    def __init__(self, multiplayer: SceneMultiplayer, path: str, owner: int) -> None:
        super().__init__(multiplayer, path)
        self.position = Vector2(0, 0)
        self.label = ""
        self.sync = MultiplayerSynchronizer(multiplayer, path + "/MultiplayerSynchronizer")
        config = SceneReplicationConfig()
        config.add_property(".:position")
        config.add_property(".:label")
        config.property_set_replication_mode(".:label", ON_CHANGE)
        self.sync.replication_config = config
        self.owner = owner

    def _enter_tree(self) -> None:
        self.set_multiplayer_authority(self.owner)


def test_client_owned_synchronizer_uses_path_ids_after_confirm(net: Net) -> None:
    host = net.host()
    client = net.join()
    me = client.mp.get_unique_id()
    on_host = Avatar(host.mp, f"Main/Players/{me}", me)
    mine = Avatar(client.mp, f"Main/Players/{me}", me)
    mine.position = Vector2(1, 0.5)
    mine.label = "godot-a-0"
    net.until(lambda: on_host.label == "godot-a-0" and on_host.position == Vector2(1, 0.5),
              "the client's state on the host")
    got = host.packets
    assert got[0][1] == b"\x01d41d8cd98f00b204e9800998ecf8427e\x00" + hx("01000000") \
        + f"Main/Players/{me}/MultiplayerSynchronizer".encode() + b"\x00"
    first_sync = host.commands(6)[0]
    assert first_sync[3:] == hx("01000080 0c000000 05000000 0000803f 0000003f")
    assert int.from_bytes(first_sync[1:3], "little") >= 2  # frames before CONFIRM still count
    assert host.commands(0x16)[0] == hx(
        "16 01000080 0100000000000000 14000000 04000000 09000000") + b"godot-a-0\0\0\0"
    # The host's copy of the synchronizer never sends: the host is not its authority.
    assert not client.commands(6) and not client.commands(0x16)


def test_sync_from_a_non_authority_is_ignored(net: Net, caplog: pytest.LogCaptureFixture) -> None:
    host = net.host()
    client = net.join()
    me = client.mp.get_unique_id()
    on_host = Avatar(host.mp, "Main/Players/x", 1)  # the host thinks it owns it
    mine = Avatar(client.mp, "Main/Players/x", me)
    mine.position = Vector2(9, 9)
    with caplog.at_level(logging.ERROR, LOG):
        net.until(lambda: "Ignoring sync data from non-authority" in caplog.text, "the refusal")
    assert on_host.position == Vector2(0, 0)


# ------------------------------------------------------------------ peers coming and going


def test_late_joiner_gets_spawns_before_peer_connected(net: Net) -> None:
    host = net.host()
    a = Player(host.mp, "Main/Players/a", Vector2(1, 2), "A")
    b = Player(host.mp, "Main/Players/b", Vector2(3, 4), "B")
    order: list[str] = []

    def greet(pid: int) -> None:
        order.append(f"connected {pid}")
        host.mp.send_bytes(b"hello", pid)

    host.mp.peer_connected.connect(greet)
    client = net.join()
    net.until(lambda: client.commands(3), "the greeting")
    kinds = [p[0] for _, p in client.packets]
    assert kinds.index(4) < kinds.index(3) and kinds.count(4) == 2  # both SPAWNs, then RAW
    assert [n.name for n in client.spawned] == ["a", "b"]
    assert (client.node("a").position, client.node("b").label.text) == (Vector2(1, 2), "B")
    del a, b


def test_nodes_a_leaving_peer_spawned_are_freed(net: Net) -> None:
    host = net.host()
    client = net.join()
    me = client.mp.get_unique_id()
    for game in (host, client):  # a spawner the client owns, on both sides
        game.spawner.set_multiplayer_authority(me)
    Player(client.mp, "Main/Players/c", Vector2(7, 7))
    net.until(lambda: host.node("c") is not None, "the client's spawn on the host")
    remote = host.node("c")
    client.mp.multiplayer_peer.close()
    net.until(lambda: not remote.is_inside_tree(), "the host to free the leaver's node")
    assert host.node("c") is None


def test_host_leaving_frees_what_it_spawned(net: Net) -> None:
    host = net.host()
    client = net.join()
    Player(host.mp, "Main/Players/h")
    net.until(lambda: client.spawned, "the spawn")
    remote = client.spawned[0]
    host.mp.multiplayer_peer.close()
    net.until(lambda: not remote.is_inside_tree(), "the client to free the host's nodes")


# ------------------------------------------------------------------ visibility


def test_visibility_per_peer_and_filters(net: Net) -> None:
    host = net.host()
    c1, c2 = net.join(), net.join()
    id1, id2 = c1.mp.get_unique_id(), c2.mp.get_unique_id()
    player = Player(host.mp, "Main/Players/v")
    changes: list[int] = []
    player.sync.visibility_changed.connect(changes.append)
    player.sync.public_visibility = False  # despawns everywhere
    net.until(lambda: c1.despawned and c2.despawned, "the despawns")
    player.sync.set_visibility_for(id2, True)
    net.until(lambda: len(c2.spawned) == 2, "the spawn to the one peer")
    net.settle()
    assert len(c1.spawned) == 1 and c1.node("v") is None and c2.node("v") is not None
    assert changes == [0, id2] and player.sync.get_visibility_for(id2)
    # A filter: re-evaluated every poll; every filter must agree. Godot asks it for peer 0
    # (everyone) first: a filter saying yes to 0 makes the node visible to all.
    player.sync.public_visibility = True
    player.sync.add_visibility_filter(lambda pid: pid == id1)
    net.until(lambda: c1.node("v") is not None and c2.node("v") is None, "the filter")
    syncs_before = len(c2.commands(6))
    net.settle()
    assert len(c2.commands(6)) == syncs_before  # no SYNC for what it cannot see


def test_rpcs_of_a_replicated_node_go_to_the_peers_that_see_it(
        net: Net, caplog: pytest.LogCaptureFixture) -> None:
    host = net.host()
    c1, c2 = net.join(), net.join()
    id1, id2 = c1.mp.get_unique_id(), c2.mp.get_unique_id()
    player = Player(host.mp, "Main/Players/r")
    player.sync.public_visibility = False
    player.sync.set_visibility_for(id2, True)
    net.until(lambda: c1.despawned and c2.node("r") is not None, "the visibility")
    assert player.rpc("hit", 1) == Error.OK  # to everyone who can see it: c2 only
    with caplog.at_level(logging.ERROR, LOG):
        assert player.rpc_id(id1, "hit", 2) == Error.OK
    assert "cannot see this node. Peer ID: %d" % id1 in caplog.text
    net.until(lambda: ("hit", 1) in c2.node("r").events, "the call")
    net.settle()
    assert [e for e in c2.node("r").events if e[0] == "hit"] == [("hit", 1)]
    assert not [p for _, p in c1.packets if p[0] & 7 == 0]  # no REMOTE_CALL reached c1
    # the peer that spawned a node may always be called on it
    assert c2.node("r").rpc_id(1, "hit", 3) == Error.OK
    net.until(lambda: ("hit", 3) in player.events, "the call back")


def test_delta_interval_and_replication_interval(net: Net) -> None:
    host = net.host()
    client = net.join()
    player = Player(host.mp, "Main/Players/i")
    player.sync.replication_interval = 0.2
    net.until(lambda: client.spawned, "the spawn")
    start = len(client.commands(6))
    net.settle(0.5)
    got = len(client.commands(6)) - start
    assert 1 <= got <= 4  # ~every 0.2 s, not every poll


def test_sync_packets_are_split_at_max_sync_packet_size(net: Net) -> None:
    host = net.host()
    host.mp.max_sync_packet_size = 128
    assert host.mp.max_sync_packet_size == 128
    client = net.join()
    players = [Player(host.mp, f"Main/Players/m{i}", Vector2(i, i)) for i in range(12)]
    net.until(lambda: len(client.spawned) == 12, "the spawns")
    for p in players:
        p.position = Vector2(p.position.x + 100, 0)
    net.until(lambda: all(client.node(f"m{i}").position.x == i + 100 for i in range(12)),
              "every position")
    syncs = client.commands(6)
    assert max(map(len, syncs)) <= 128
    times = [p[1:3] for p in syncs]
    assert any(times.count(t) >= 2 for t in times)  # one frame, several packets


# ------------------------------------------------------------------ custom spawns, limits


def test_custom_spawn_sends_the_argument(net: Net) -> None:
    host = net.host()
    client = net.join()
    for game in (host, client):
        mp, players = game.mp, game.players

        def make(data: Any, mp: SceneMultiplayer = mp, players: Node = players) -> Node:
            return Player(mp, f"{players.get_path()}/{data['name']}", Vector2(data["x"], 0))

        game.spawner.spawn_function = make
    node = host.spawner.spawn({"name": "cs", "x": 42})
    assert isinstance(node, Player) and node.name == "cs"
    net.until(lambda: client.spawned, "the custom spawn")
    spawn = client.commands(4)[0]
    assert spawn[1] == 0xFF
    assert client.node("cs").position == Vector2(42, 0)
    assert host.spawner.get_spawn_argument(node) == {"name": "cs", "x": 42}


def test_spawn_limit_and_spawner_checks(net: Net, caplog: pytest.LogCaptureFixture) -> None:
    host = net.host()
    client = net.join()
    host.spawner.spawn_limit = 1
    with caplog.at_level(logging.ERROR, LOG):
        assert client.spawner.spawn(1) is None  # not the authority
        assert host.spawner.spawn(1) is None  # no spawn_function
    assert "spawn_function" in caplog.text
    assert host.spawner.get_spawnable_scene(0) == "res://player.tscn"
    assert host.spawner.get_spawnable_scene_count() == 1
    host.spawner.clear_spawnable_scenes()
    Player(host.mp, "Main/Players/not_replicated")
    net.settle()
    assert not client.spawned


def test_bad_replication_packets_never_raise(net: Net, caplog: pytest.LogCaptureFixture) -> None:
    host = net.host()
    client = net.join()
    Player(host.mp, "Main/Players/ok")
    net.until(lambda: client.spawned, "the spawn")
    bad = [hx("04"), hx("04 00 01000000 01000000 00000000 02000000 3200"),  # cache id unknown
           hx("04 00 63000000 01000000 00000000 02000000 3200"),
           hx("05 01"), hx("05 63000000"), hx("06 0100"), hx("06 0100 02000000 ff000000 00"),
           hx("16 02000000 0100000000000000 04000000 02ffffff"),
           hx("16 02000000 0000000000000000 04000000 02ffffff"), hx("06 ff")]
    with caplog.at_level(logging.ERROR, LOG):
        for packet in bad:
            client.mp.multiplayer_peer.set_target_peer(1)
            client.mp.multiplayer_peer.put_packet(packet)
        net.settle()
    assert "Traceback" not in caplog.text
    assert host.node("ok") is not None


# ------------------------------------------------------------------ the Node lifecycle


class Traced(Node):
    log: list[str] = []

    def __init__(self, multiplayer: SceneMultiplayer, path: str, kids: int = 0) -> None:
        super().__init__(multiplayer, path)
        for i in range(kids):
            Traced(multiplayer, f"{path}/k{i}")

    def _enter_tree(self) -> None:
        self.log.append(f"enter {self.name}")

    def _ready(self) -> None:
        self.log.append(f"ready {self.name}")

    def _exit_tree(self) -> None:
        self.log.append(f"exit {self.name}")


def test_lifecycle_order_and_tree_navigation() -> None:
    mp = SceneMultiplayer()
    Traced.log = []
    root = Traced(mp, "Main", kids=2)
    assert Traced.log == ["enter Main", "enter k0", "enter k1", "ready k0", "ready k1",
                          "ready Main"]
    k0 = root.get_node("k0")
    assert isinstance(k0, Traced) and k0.get_parent() is root and root.get_parent() is None
    assert [c.name for c in root.get_children()] == ["k0", "k1"]
    assert k0.get_node("../k1") is root.get_child(1) and k0.get_node("..") is root
    assert root.get_node("/root/Main/k0") is k0 and root.get_node_or_null("nope") is None
    assert root.get_node(".") is root and root.has_node("k1") and not root.has_node("k9")
    assert root.is_node_ready() and mp.get_node_or_null("Main/k1") is root.get_child(1)
    late = Traced(mp, "Main/k2")  # made later under a node in the tree: add_child
    assert late.get_parent() is root and Traced.log[-2:] == ["enter k2", "ready k2"]
    Traced.log = []
    root.free()
    assert Traced.log == ["exit k2", "exit k1", "exit k0", "exit Main"]
    assert not k0.is_inside_tree() and mp.get_node_or_null("Main/k0") is None
    again = Traced(mp, "Main")  # the path is free again
    assert again.get_children() == []


def test_a_failing_constructor_leaves_nothing_behind() -> None:
    mp = SceneMultiplayer()

    class Broken(Node):
        def __init__(self, multiplayer: SceneMultiplayer, path: str) -> None:
            super().__init__(multiplayer, path)
            Node(multiplayer, path + "/child")
            raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        Broken(mp, "B")
    assert mp.get_node_or_null("B") is None and mp.get_node_or_null("B/child") is None


def test_set_name_moves_the_subtree() -> None:
    mp = SceneMultiplayer()
    node = Node(mp, "Main")
    child = Node(mp, "Main/a")
    node.name = "Other"
    assert node.get_path() == "/root/Other" and child.get_path() == "/root/Other/a"
    assert mp.get_node_or_null("Other/a") is child and mp.get_node_or_null("Main") is None


def test_readme_replication_example_runs(tmp_path: Any) -> None:
    """The "Godot 4 replication" example (docs/howto/port-godot4.rst), as written (port and
    frames aside)."""
    from test_readme import Example, code_blocks, free_port

    (code,) = code_blocks("Godot 4 replication")
    example = Example(code, free_port(), tmp_path, "godot4_replication", frames=240)
    out = example.finish(timeout=60)
    assert example.proc.returncode == 0, out
    pid = out.splitlines()[0].split()[1]
    assert out.splitlines() == [f"ready {pid} player {pid}", f"ready {pid} player {pid}",
                                f"client sees {pid} player {pid} True"], out
