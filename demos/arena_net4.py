"""The arena's networking over Godot 4's protocol (``demos/arena.py --godot4``).

The same game as arena_net.py (``ArenaHost``, ``ArenaLink``, the same ``LinkEvents``; the
rules are demos/arena_rules.py), written the way a Godot 4 game is: a
``WebSocketMultiplayerPeer`` under a ``SceneMultiplayer``; a ``MultiplayerSpawner``
(``/root/Arena/Spawner``) that spawns an ``ArenaPlayer`` per player under
``/root/Arena/Players`` on every peer, whose ``MultiplayerSynchronizer`` carries its position
(ALWAYS, 30 times a second), name and score (ON_CHANGE) and colour (in the spawn only); and an
``Arena`` node whose ``@rpc`` methods carry the rest. The host alone may call the
``authority`` methods and owns the players' synchronizers. Host and clients (and the Godot 4
client demos/godot4/arena_client.gd) build the same nodes, so the method ids, the path checksum
and the replicated properties agree, as two copies of one Godot project would.

    player -> host:  join(name, color), ping(t)          any_peer
                     move(pos), 30 a second             any_peer, unreliable_ordered
    host -> all:     state(dict), tagged(a, b)           authority
                     the players' nodes                 spawner + synchronizers
    host -> player:  pong(t)                             authority
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from _common import lan_address
from arena_net import LinkEvents, last_warning
from arena_rules import Rules, host_frame, parse_state

from godot_ws.godot4 import (
    OK,
    Color,
    MultiplayerPeer,
    MultiplayerSpawner,
    MultiplayerSynchronizer,
    Node,
    SceneMultiplayer,
    SceneReplicationConfig,
    Vector2,
    WebSocketMultiplayerPeer,
    rpc,
)

__all__ = ["ArenaHost", "ArenaLink", "ArenaPlayer", "host"]

SERVER = 1
_CONNECTED = MultiplayerPeer.CONNECTION_CONNECTED
_DISCONNECTED = MultiplayerPeer.CONNECTION_DISCONNECTED


class Arena(Node):
    """/root/Arena on the host and on every client; ``handler`` gets the calls it may take
    (``ArenaHost`` the players', ``ArenaLink`` the host's)."""

    def __init__(self, multiplayer: SceneMultiplayer, handler: Any) -> None:
        super().__init__(multiplayer, "Arena")
        self.handler = handler

    def _sender(self) -> int:
        return self.multiplayer.get_remote_sender_id()

    @rpc("any_peer")
    def join(self, name: Any, color: Any) -> None:
        self.handler.got_join(self._sender(), name, color)

    @rpc("any_peer", "unreliable_ordered")
    def move(self, pos: Any) -> None:
        self.handler.got_move(self._sender(), pos)

    @rpc("any_peer")
    def ping(self, t: Any) -> None:
        if isinstance(t, float):
            self.handler.got_ping(self._sender(), t)

    @rpc  # authority: only the host's calls are accepted
    def state(self, state: Any) -> None:
        self.handler.got_state(state)

    @rpc
    def tagged(self, tagger: Any, victim: Any) -> None:
        if isinstance(tagger, int) and isinstance(victim, int):
            self.handler.got_tagged(tagger, victim)

    @rpc
    def pong(self, t: Any) -> None:
        if isinstance(t, float):
            self.handler.got_pong(t)


class ArenaPlayer(Node):
    """res://arena_player.tscn: one player, spawned by the host on every peer. Its
    synchronizer (authority: the host) sends the position 30 times a second, the name and the
    score when they change; the colour travels in the spawn."""

    scene_file_path = "res://arena_player.tscn"

    def __init__(self, multiplayer: SceneMultiplayer, path: str, nick: str = "",
                 color: Color = Color(1, 1, 1), position: Vector2 = Vector2(0, 0)) -> None:
        super().__init__(multiplayer, path)  # a receiving spawner passes no more than this
        self.position = position  # set before the constructor returns: they go in the SPAWN
        self.nick = nick
        self.score = 0
        self.color = color
        self.sync = MultiplayerSynchronizer(multiplayer, path + "/Sync")
        self.sync.replication_interval = 1 / 30
        config = SceneReplicationConfig()
        for prop, mode in ((".:position", config.REPLICATION_MODE_ALWAYS),
                           (".:nick", config.REPLICATION_MODE_ON_CHANGE),
                           (".:score", config.REPLICATION_MODE_ON_CHANGE),
                           (".:color", config.REPLICATION_MODE_NEVER)):
            config.add_property(prop)
            config.property_set_replication_mode(prop, mode)
        self.sync.replication_config = config


def _level(multiplayer: SceneMultiplayer,
           handler: Any) -> tuple[Arena, Node, MultiplayerSpawner]:
    """/root/Arena (the RPCs), /root/Arena/Players and /root/Arena/Spawner."""
    arena = Arena(multiplayer, handler)
    players = Node(multiplayer, "Arena/Players")
    spawner = MultiplayerSpawner(multiplayer, "Arena/Spawner")
    spawner.spawn_path = "../Players"
    spawner.add_spawnable_scene(ArenaPlayer)
    return arena, players, spawner


class _Handler:
    """Both sides' handlers take every call; each side overrides the ones it answers (the
    others arrive only from a misbehaving peer and are ignored)."""

    def got_join(self, sender: int, name: Any, color: Any) -> None: ...
    def got_move(self, sender: int, pos: Any) -> None: ...
    def got_ping(self, sender: int, t: float) -> None: ...
    def got_state(self, state: Any) -> None: ...
    def got_tagged(self, tagger: int, victim: int) -> None: ...
    def got_pong(self, t: float) -> None: ...


# --------------------------------------------------------------------------------- host


def host(args: argparse.Namespace) -> tuple[SceneMultiplayer | None, str]:
    """The Godot 4 host unless ``--join`` was given: its SceneMultiplayer and the URL to join.
    Exits with status 2 if the port cannot be used."""
    if args.join is not None:
        return None, args.join
    peer = WebSocketMultiplayerPeer()
    bind = "0.0.0.0" if args.host is not None else "127.0.0.1"
    if peer.create_server(args.host or 0, bind) != OK:
        print(f"could not listen on port {args.host}")
        sys.exit(2)
    multiplayer = SceneMultiplayer()
    multiplayer.multiplayer_peer = peer
    port = peer.get_local_port()
    if args.host is not None:
        print(f"hosting (Godot 4 protocol) on every interface, port {port}: others join with "
              f"--godot4 --join ws://{lan_address()}:{port}/")
    else:
        print(f"hosting (Godot 4 protocol) on 127.0.0.1:{port}, this machine only (--host PORT "
              f"lets others join): --godot4 --join ws://127.0.0.1:{port}/")
    return multiplayer, f"ws://127.0.0.1:{port}/"


class ArenaHost(_Handler):
    """The host (as arena_net.ArenaHost): the players' RPCs feed the rules during
    ``update()``'s poll, and the rules' news goes out as RPCs."""

    def __init__(self, multiplayer: SceneMultiplayer, round_seconds: float) -> None:
        self.multiplayer = multiplayer
        self.node, self.players, _ = _level(multiplayer, self)
        self.rules = Rules(round_seconds, time.monotonic())
        multiplayer.peer_disconnected.connect(self._left)

    def update(self) -> None:
        """One frame, before the players poll: the calls that arrived, then the answers;
        the players' nodes follow the rules (their synchronizers send them at the next
        poll)."""
        self.multiplayer.poll()
        host_frame(self.rules, time.monotonic(), self._send)
        rules = self.rules
        for node in self.players.get_children():
            if int(node.name) not in rules.pos:
                node.free()  # despawned everywhere
        for pid, pos in rules.pos.items():
            player = self.players.get_node_or_null(str(pid))
            if player is None:
                player = ArenaPlayer(self.multiplayer, f"Arena/Players/{pid}",
                                     rules.names[pid], rules.colors[pid], pos)
            assert isinstance(player, ArenaPlayer)
            player.position, player.nick = pos, rules.names[pid]
            player.score = rules.scores.get(pid, 0)

    def _send(self, what: str, *args: Any) -> None:
        if what != "world" and self.multiplayer.get_peers():  # positions: the synchronizers
            self.node.rpc(what, *args)

    def _left(self, peer_id: int) -> None:
        self.rules.leave(peer_id, time.monotonic())  # the state goes out next frame

    def got_join(self, sender: int, name: Any, color: Any) -> None:
        self.rules.join(sender, name, color, time.monotonic())

    def got_move(self, sender: int, pos: Any) -> None:
        self.rules.move(sender, pos)

    def got_ping(self, sender: int, t: float) -> None:
        if sender in self.rules.names:
            self.node.rpc_id(sender, "pong", t)

    def close(self) -> None:
        peer = self.multiplayer.multiplayer_peer
        if peer is not None:
            peer.close()


# --------------------------------------------------------------------------------- players


class ArenaLink(_Handler):
    """One player's connection to the host over Godot 4's protocol (as arena_net.ArenaLink)."""

    def __init__(self, url: str, events: LinkEvents) -> None:
        self.url = url
        self.events = events
        self.messages_in = self.messages_out = 0
        self.multiplayer = SceneMultiplayer()
        self.client = WebSocketMultiplayerPeer()
        self.node, self.players, spawner = _level(self.multiplayer, self)
        spawner.spawned.connect(lambda node: node.sync.synchronized.connect(self._count_sync))
        self._synced = 0  # SYNCs applied during this poll
        self._joined = False
        self.multiplayer.connected_to_server.connect(self._on_connected)
        self.multiplayer.connection_failed.connect(lambda: self._on_lost(False))
        self.multiplayer.server_disconnected.connect(lambda: self._on_lost(True))
        self.multiplayer.peer_disconnected.connect(self._on_peer_left)

    # ------------------------------------------------------------------ state

    def connect(self) -> bool:
        """Start joining; False (with ``on_lost`` called) when the URL is not valid."""
        last_warning.message = ""
        self.client = WebSocketMultiplayerPeer()
        if self.client.create_client(self.url) != OK:
            self.events.on_lost(f"invalid URL {self.url!r}", False)
            return False
        self.multiplayer.multiplayer_peer = self.client
        return True

    def close(self) -> None:
        """Close with 1000 (the next polls send it); a client that never joined just stops."""
        if self.client.get_connection_status() == _CONNECTED:
            self.client.disconnect_peer(SERVER)
        else:
            self.client.close()

    @property
    def my_id(self) -> int:
        return self.client.get_unique_id()

    @property
    def joined(self) -> bool:
        return self._joined

    @property
    def connecting(self) -> bool:
        return not self._joined and self.client.get_connection_status() != _DISCONNECTED

    @property
    def offline(self) -> bool:
        return self.client.get_connection_status() == _DISCONNECTED

    def _on_peer_left(self, peer_id: int) -> None:
        if peer_id != SERVER:  # the host leaving is server_disconnected
            self.events.on_peer_left(peer_id)

    def _on_connected(self) -> None:
        self._joined = True
        self.events.on_joined(self.my_id)

    def _on_lost(self, was_joined: bool) -> None:
        self._joined = False
        reason = last_warning.message or ("the host went away" if was_joined else "no answer")
        self.events.on_lost(reason, was_joined)

    # ------------------------------------------------------------------ per frame

    def poll(self) -> None:
        """Move the network along: the host's calls arrive as RPCs during this poll, its
        players' nodes as spawns and SYNCs (the game hears their positions as ``on_world``)."""
        self._synced = 0
        self.multiplayer.poll()
        if self._synced:
            self.messages_in += 1
            self.events.on_world({int(n.name): n.position for n in self.players.get_children()
                                  if isinstance(n, ArenaPlayer)})

    def _count_sync(self) -> None:
        self._synced += 1

    def got_state(self, state: Any) -> None:
        self.messages_in += 1
        parsed = parse_state(state)
        if parsed is not None:
            self.events.on_state(parsed)

    def got_tagged(self, tagger: int, victim: int) -> None:
        self.messages_in += 1
        self.events.on_tagged(tagger, victim)

    def got_pong(self, t: float) -> None:
        self.messages_in += 1
        self.events.on_pong((time.perf_counter() - t) * 1000)

    def _call(self, method: str, *args: Any) -> None:
        if self.client.get_connection_status() != _CONNECTED or not self._joined:
            return
        if self.node.rpc_id(SERVER, method, *args) == OK:
            self.messages_out += 1

    def send_join(self, name: str, color: Color) -> None:
        self._call("join", name, color)

    def send_move(self, pos: Vector2) -> None:
        self._call("move", pos)

    def send_ping(self) -> None:
        self._call("ping", time.perf_counter())


def shut_down(host_mp: SceneMultiplayer | None, links: list[ArenaLink]) -> None:
    """Close every client, give the close handshakes a few frames, stop the host."""
    for link in links:
        link.close()
    for _ in range(30):
        if host_mp is not None:
            host_mp.poll()
        for link in links:
            link.poll()
        time.sleep(0.005)
    if host_mp is not None and host_mp.multiplayer_peer is not None:
        host_mp.multiplayer_peer.close()
