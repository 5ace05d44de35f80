"""Godot 4.6 replication against the real engine: a Godot 4 game built the usual way
(tests/godot4/repl_main.gd: a MultiplayerSpawner, and repl_player.tscn with two
MultiplayerSynchronizers) with ``godot_ws.godot4`` peers, hosted by either side.

Python host: two Godot clients (one joins late) and a Python client see every spawn, position,
label and score; the Godot clients' own synchronizers move their players on our host and,
through our relay, on the other clients; a node visible to one peer only; a leaver's player is
freed. Godot host (tests/tunnel4.py): two Python clients see Godot's spawns, SYNCs and DELTAs,
move their own players on the Godot host, and see a leaver despawned. Each scenario runs once in
a module fixture; the tests check its parts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from engine4 import Engine4
from tunnel4 import Gateway, tunnel_files

from godot_ws.godot4 import (
    OK,
    MultiplayerSpawner,
    MultiplayerSynchronizer,
    Node,
    SceneMultiplayer,
    SceneReplicationConfig,
    Vector2,
    WebSocketMultiplayerPeer,
)
from godot_ws.godot4._replication_wire import decode_spawn

HERE = Path(__file__).parent / "godot4"
FILES = {"main.gd": (HERE / "repl_main.gd").read_text(),
         "repl_player.gd": (HERE / "repl_player.gd").read_text(),
         "repl_player.tscn": (HERE / "repl_player.tscn").read_text(), **tunnel_files()}
ON_CHANGE = SceneReplicationConfig.REPLICATION_MODE_ON_CHANGE


class Player(Node):
    """res://repl_player.tscn in Python: the same children, in the same order, same configs."""

    scene_file_path = "res://repl_player.tscn"

    def __init__(self, multiplayer: SceneMultiplayer, path: str,
                 position: Vector2 = Vector2(0, 0), text: str = "") -> None:
        super().__init__(multiplayer, path)
        self.position = position
        self.score = 0
        self.label = Node(multiplayer, path + "/name_label")
        self.label.text = text  # type: ignore[attr-defined]
        self.server_sync = MultiplayerSynchronizer(multiplayer, path + "/ServerSync")
        config = SceneReplicationConfig()
        for prop in ("name_label:text", ".:score"):
            config.add_property(prop)
            config.property_set_replication_mode(prop, ON_CHANGE)
        self.server_sync.replication_config = config
        self.move_sync = MultiplayerSynchronizer(multiplayer, path + "/MoveSync")
        config = SceneReplicationConfig()
        config.add_property(".:position")
        self.move_sync.replication_config = config

    def _enter_tree(self) -> None:
        if self.name.isdigit():  # a peer's player: that peer moves it
            self.move_sync.set_multiplayer_authority(int(self.name))

    @property
    def text(self) -> str:
        return str(self.label.text)  # type: ignore[attr-defined]


@dataclass
class Game:
    """One Python peer of the game: /root/Main/{Players,Spawner} and what it saw."""

    mp: SceneMultiplayer
    players: Node
    spawner: MultiplayerSpawner
    spawned: list[str] = field(default_factory=list)
    despawned: list[str] = field(default_factory=list)

    @classmethod
    def make(cls, peer: WebSocketMultiplayerPeer) -> Game:
        mp = SceneMultiplayer()
        Node(mp, "Main")
        players = Node(mp, "Main/Players")
        spawner = MultiplayerSpawner(mp, "Main/Spawner")
        spawner.spawn_path = "../Players"
        spawner.add_spawnable_scene(Player)
        game = cls(mp, players, spawner)
        spawner.spawned.connect(lambda n: game.spawned.append(n.name))
        spawner.despawned.connect(lambda n: game.despawned.append(n.name))
        mp.multiplayer_peer = peer
        return game

    def player(self, name: str | int) -> Player | None:
        node = self.players.get_node_or_null(str(name))
        return node if isinstance(node, Player) else None

    def at(self, name: str | int, x: float, y: float) -> bool:
        p = self.player(name)
        return p is not None and p.position == Vector2(x, y)


def godot_id(engine: Engine4, poll: Callable[[], object]) -> int:
    return int(engine.wait_line("connected id=", timeout=60, poll=poll).split("=")[1])


def engine_errors(engine: Engine4) -> list[str]:
    """Errors the engine printed once the game was running (the web build's start-up line
    "Could not load global script cache" is not the game's)."""
    lines = engine.lines
    start = next((i for i, line in enumerate(lines)
                  if line.startswith(("create_client", "HOSTING", "joining"))), 0)
    return [line for line in lines[start:] if re.search(r"ERROR", line)]


# ------------------------------------------------------------------ a Python host


@dataclass
class Hosted:
    a: Engine4
    b: Engine4
    host: Game
    py: Game
    ids: dict[str, int]
    ghost_a: list[str]


@pytest.fixture(scope="module")
def python_host(godot4_module_engine: Callable[..., Engine4]) -> Iterator[Hosted]:
    server = WebSocketMultiplayerPeer()
    assert server.create_server(0, "127.0.0.1") == OK
    url = f"ws://127.0.0.1:{server.get_local_port()}"
    host = Game.make(server)
    # The game's rules, as the host's GDScript would have them: a player per peer.
    host.mp.peer_connected.connect(
        lambda pid: Player(host.mp, f"Main/Players/{pid}", Vector2(5, 6), f"P{pid}"))
    host.mp.peer_disconnected.connect(lambda pid: host.player(pid) and host.player(pid).free())
    bot = Player(host.mp, "Main/Players/bot", Vector2(1, 1), "Bot")
    ghost = Player(host.mp, "Main/Players/ghost", Vector2(9, 9), "Ghost")
    for sync in (ghost.server_sync, ghost.move_sync):
        sync.public_visibility = False  # spawned to nobody until made visible
    client = WebSocketMultiplayerPeer()
    assert client.create_client(url) == OK
    py = Game.make(client)
    games = [host, py]

    def poll() -> None:
        for game in games:
            if game.mp.multiplayer_peer is not None:
                game.mp.poll()

    a = godot4_module_engine(FILES, [f"join={url}"], name="repl-a")
    ids = {"a": godot_id(a, poll)}
    a.wait_for(lambda: py.mp.get_unique_id() > 1 and 1 in py.mp.get_peers(), "py joins", 10, poll)
    ids["py"] = py.mp.get_unique_id()
    # a sees what the host spawned before it came, and its own player; moves its player
    a.wait_line("spawned bot 1.0 1.0 Bot 0", poll=poll)
    # A peer's player spawns without its position: MoveSync is that peer's, not the host's.
    a.wait_line(f"spawned {ids['a']} 0.0 0.0 P{ids['a']} 0", poll=poll)
    own = ids["a"] % 1000
    a.wait_for(lambda: host.at(ids["a"], own, 22) and py.at(ids["a"], own, 22),
               "a's MoveSync on the host and, relayed, on py", poll=poll)
    # the host changes the bot; py moves its own player
    bot.position = Vector2(2, 1)
    bot.score = 5
    bot.label.text = "Bot!"  # type: ignore[attr-defined]
    a.wait_line("state bot 2.0 1.0 Bot! 5", poll=poll)
    py_player = py.player(ids["py"])
    assert py_player is not None
    py_player.position = Vector2(33, 44)
    a.wait_line(f"state {ids['py']} 33.0 44.0 P{ids['py']} 0", poll=poll)
    # visibility: the ghost is spawned to a only, then taken away again
    for sync in (ghost.server_sync, ghost.move_sync):
        sync.set_visibility_for(ids["a"], True)
    a.wait_line("spawned ghost 9.0 9.0 Ghost 0", poll=poll)
    ghost_a = [name for name in py.spawned if name == "ghost"]
    for sync in (ghost.server_sync, ghost.move_sync):
        sync.set_visibility_for(ids["a"], False)
    a.wait_line("despawned ghost", poll=poll)
    # b joins late: everything that exists, and a's position through a's own synchronizer
    b = godot4_module_engine(FILES, [f"join={url}"], name="repl-b")
    ids["b"] = godot_id(b, poll)
    b.wait_line("spawned bot 2.0 1.0 Bot! 5", poll=poll)
    b.wait_line(f"state {ids['a']} {own}.0 22.0 P{ids['a']} 0", poll=poll)
    b.wait_line(f"state {ids['py']} 33.0 44.0 P{ids['py']} 0", poll=poll)
    b.wait_for(lambda: host.at(ids["b"], ids["b"] % 1000, 22), "b moves on the host", poll=poll)
    # a leaves when its label says so; the host frees its player everywhere
    host_a = host.player(ids["a"])
    assert host_a is not None
    host_a.label.text = "bye"  # type: ignore[attr-defined]
    a.wait_line("leaving", poll=poll)
    b.wait_line(f"despawned {ids['a']}", poll=poll)
    b.wait_for(lambda: py.player(ids["a"]) is None, "py drops a's player", poll=poll)
    bot.free()
    b.wait_line("despawned bot", poll=poll)
    yield Hosted(a, b, host, py, ids, ghost_a)
    client.close()
    server.close()


def test_godot_clients_see_every_spawn_with_its_state(python_host: Hosted) -> None:
    ids, a, b = python_host.ids, python_host.a, python_host.b
    spawned_a = [line for line in a.lines if line.startswith("spawned ")]
    assert spawned_a[:1] == ["spawned bot 1.0 1.0 Bot 0"]
    assert f"spawned {ids['py']} 0.0 0.0 P{ids['py']} 0" in spawned_a
    assert "spawned ghost" not in " ".join(line for line in b.lines if line.startswith("spawned"))
    assert python_host.ghost_a == []  # py never saw the ghost either


def test_godot_synchronizers_move_players_on_our_host_and_relay(python_host: Hosted) -> None:
    ids, host, py = python_host.ids, python_host.host, python_host.py
    assert host.at(ids["b"], ids["b"] % 1000, 22)
    assert py.at(ids["b"], ids["b"] % 1000, 22)
    assert host.player(ids["a"]) is None and py.player(ids["a"]) is None


def test_godot_accepts_every_packet_of_ours(python_host: Hosted) -> None:
    for engine in (python_host.a, python_host.b):
        assert engine_errors(engine) == [], engine.output()


# ------------------------------------------------------------------ a Godot host


@dataclass
class GodotHosted:
    engine: Engine4
    gateway: Gateway
    p1: Game
    p2: Game
    ids: dict[str, int]


@pytest.fixture(scope="module")
def godot_host(godot4_module_engine: Callable[..., Engine4]) -> Iterator[GodotHosted]:
    gateway = Gateway()
    engine = godot4_module_engine(FILES, [f"tunnel={gateway.tunnel_url}"], name="repl-host")
    engine.wait_line("HOSTING", timeout=60, poll=gateway.poll)
    games: list[Game] = []

    def poll() -> None:
        gateway.poll()
        for game in games:
            if game.mp.multiplayer_peer is not None:
                game.mp.poll()

    def join() -> Game:
        peer = WebSocketMultiplayerPeer()
        assert peer.create_client(gateway.url) == OK
        game = Game.make(peer)
        games.append(game)
        engine.wait_for(lambda: 1 in game.mp.get_peers(), "a Python client joins", poll=poll)
        return game

    p1 = join()
    ids = {"p1": p1.mp.get_unique_id()}
    engine.wait_for(lambda: p1.player("bot") is not None and p1.player(ids["p1"]) is not None,
                    "Godot's spawns", poll=poll)
    bot = p1.player("bot")
    assert bot is not None
    engine.wait_for(lambda: bot.position.x > 2 and bot.score > 1, "the bot moving", poll=poll)
    mine = p1.player(ids["p1"])
    assert mine is not None and mine.text == f"P{ids['p1']}"  # no position: MoveSync is p1's
    mine.position = Vector2(33, 44)
    engine.wait_line(f"state {ids['p1']} 33.0 44.0 P{ids['p1']} 0", poll=poll)
    p2 = join()  # late: Godot spawns what exists; p1's own synchronizer reaches it via Godot
    ids["p2"] = p2.mp.get_unique_id()
    engine.wait_for(lambda: p2.at(ids["p1"], 33, 44) and p2.player("bot") is not None,
                    "p2 sees bot and p1", poll=poll)
    p2.mp.multiplayer_peer.close()
    games.remove(p2)
    engine.wait_line(f"peer_disconnected {ids['p2']}", poll=poll)
    engine.wait_for(lambda: p1.player(ids["p2"]) is None and str(ids["p2"]) in p1.despawned,
                    "Godot's DESPAWN of p2's player", poll=poll)
    yield GodotHosted(engine, gateway, p1, p2, ids)
    p1.mp.multiplayer_peer.close()
    gateway.close()


def test_python_client_sees_godot_spawns_syncs_and_deltas(godot_host: GodotHosted) -> None:
    p1 = godot_host.p1
    assert p1.spawned[:2] == ["bot", str(godot_host.ids["p1"])]
    bot = p1.player("bot")
    assert bot is not None and bot.text == "Bot" and bot.score > 1 and bot.position.y == 1


def test_godot_host_spawn_bytes(godot_host: GodotHosted) -> None:
    """Godot's own SPAWN (REPLICATION4 section 10 lacked one): the bot, both synchronizers
    owned by the host, spawn state text, score, position."""
    p1 = godot_host.ids["p1"]
    spawns = [packet for to, packet in godot_host.gateway.sent if to == p1 and packet[0] == 4]
    bot = decode_spawn(spawns[0])
    assert (bot.scene_id, bot.name, len(bot.sync_ids)) == (0, "bot", 2)
    own = decode_spawn(spawns[1])
    assert (own.name, len(own.sync_ids)) == (str(p1), 1)  # MoveSync is p1's: path-based
    assert [packet for to, packet in godot_host.gateway.received
            if to == p1 and packet[0] == 6 and packet[3:7] != b"\x00\x00\x00\x00"]


def test_godot_host_accepts_every_packet_of_ours(godot_host: GodotHosted) -> None:
    assert engine_errors(godot_host.engine) == [], godot_host.engine.output()


# ------------------------------------------------------------------ the arena demo


class _Seen:
    """LinkEvents of a Python player that only records."""

    def __init__(self) -> None:
        self.world: dict[int, Vector2] = {}
        self.states: list[Any] = []

    def on_joined(self, my_id: int) -> None: ...
    def on_world(self, positions: dict[int, Vector2]) -> None:
        self.world = positions
    def on_state(self, state: Any) -> None:
        self.states.append(state)
    def on_tagged(self, tagger: int, victim: int) -> None: ...
    def on_pong(self, ping_ms: float) -> None: ...
    def on_peer_left(self, peer_id: int) -> None: ...
    def on_lost(self, reason: str, was_joined: bool) -> None: ...


def test_arena_godot4_client_plays_on_a_python_host(godot4_engine: Callable[..., Engine4],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """demos/godot4 (the arena's Godot 4 client: spawner, synchronized players, the Arena
    RPCs) joins demos/arena_net4.py's host next to a Python player: each sees the other
    move, the host's rules count both, and Godot gets the host's state and pongs."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent.parent / "demos"))
    import arena_net4

    from godot_ws.godot4 import Color

    server = WebSocketMultiplayerPeer()
    assert server.create_server(0, "127.0.0.1") == OK
    url = f"ws://127.0.0.1:{server.get_local_port()}/"
    mp = SceneMultiplayer()
    mp.multiplayer_peer = server
    arena_host = arena_net4.ArenaHost(mp, 60)
    seen = _Seen()
    link = arena_net4.ArenaLink(url, seen)
    assert link.connect()
    folder = Path(__file__).parent.parent / "demos" / "godot4"
    files: dict[str, str | bytes] = {p.name: p.read_bytes() for p in folder.iterdir()}
    step = [0]

    def poll() -> None:
        arena_host.update()
        link.poll()
        step[0] += 1
        if link.joined and step[0] % 4 == 0:
            link.send_move(Vector2(100 + step[0] % 300, 200))

    engine = godot4_engine(files, [f"join={url}", "name=Godot"], name="arena-godot4")
    godot = int(engine.wait_line("joined as ", timeout=60, poll=poll).split()[-1])
    link.send_join("Py", Color(0.2, 0.4, 1))
    me = link.my_id
    engine.wait_line(f"spawned {me} Py", poll=poll)  # the name comes in the spawn
    engine.wait_line(re.compile(rf"sees {me} Py at"), poll=poll)
    engine.wait_for(lambda: arena_host.rules.names.get(godot) == "Godot" and godot in seen.world
                    and seen.world[godot] != Vector2(0, 0), "Godot moving on our side", poll=poll)
    engine.wait_line("state phase=playing", poll=poll)
    engine.wait_line("pong ", poll=poll)
    assert engine_errors(engine) == [], engine.output()
    link.close()
    for _ in range(20):
        arena_host.update()
        link.poll()
    arena_host.close()
