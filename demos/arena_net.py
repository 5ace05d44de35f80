"""The arena's networking over Godot 3's high-level multiplayer: the only part of the demo
(with arena_net4.py) that talks to godot_ws.

Written the way a Godot 3 game uses RPCs, with the same node as the Godot host
(demos/godot_server/arena.gd), so Python and Godot hosts serve the same players. One node,
``/root/Arena``, whose network master is the host (id 1):

    player -> host:  join(name, color), ping(t)            master
                     move(pos), about 30 a second         master, rpc_unreliable_id
    host -> all:     set_state(state), tagged(a, b)        puppet
                     world({id: pos}), 30 a second         puppet, rpc_unreliable
    host -> player:  pong(t)                               puppet

The host owns the game (demos/arena_rules.py): players only report where they are, and the
host tags, scores, names and times the rounds. Everything a player hears comes from the host,
never relayed from another player, so a newcomer never receives a call from a peer it has
not met yet (Godot prints "Requests invalid peer cache" for those).

``ArenaHost`` is the host's side (``ArenaReferee`` in its own SceneTree on the
WebSocketServer). ``ArenaLink`` is one player's side: it joins, turns the RPCs it receives
into calls on the game (``LinkEvents``), sends the game's RPCs, and says why a join failed or
a connection ended. The game and the drawing (demos/arena.py) never touch a client or a packet.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any, Protocol

from arena_rules import ArenaState, Rules, host_frame, parse_state, positions_from_wire

from godot_ws import (
    CONNECTION_CONNECTED,
    CONNECTION_DISCONNECTED,
    OK,
    Color,
    Node,
    SceneTree,
    Vector2,
    WebSocketClient,
    WebSocketServer,
    master,
    puppet,
)

__all__ = ["ArenaHost", "ArenaLink", "LinkEvents", "LastWarning", "ping_text"]

SERVER = 1
ARENA = "/root/Arena"
_METHODS = {"state": "set_state", "tagged": "tagged", "world": "world"}


# --------------------------------------------------------------------------------- host


class ArenaReferee(Node):
    """arena.gd on the host: the players' calls feed the rules; the rules' news goes out."""

    def __init__(self, tree: SceneTree, round_seconds: float) -> None:
        super().__init__(tree, ARENA)
        self.scene = tree
        self.rules = Rules(round_seconds, time.monotonic())
        tree.connect("network_peer_disconnected", self, "_left")

    def _sender(self) -> int:
        return self.get_tree().get_rpc_sender_id()

    @master
    def join(self, name: Any, color: Any) -> None:
        self.rules.join(self._sender(), name, color, time.monotonic())

    @master
    def move(self, pos: Any) -> None:
        self.rules.move(self._sender(), pos)

    @master
    def ping(self, t: Any) -> None:
        peer_id = self._sender()
        if peer_id in self.rules.names:  # it may have left since
            self.rpc_id(peer_id, "pong", t)

    def _left(self, peer_id: int) -> None:
        self.rules.leave(peer_id, time.monotonic())  # the state goes out next frame

    def _send(self, what: str, *args: Any) -> None:
        if not self.scene.get_network_connected_peers():
            return
        if what == "world":
            self.rpc_unreliable("world", *args)
        else:
            self.rpc(_METHODS[what], *args)

    def update(self) -> None:
        host_frame(self.rules, time.monotonic(), self._send)


class ArenaHost:
    """The host: ``ArenaReferee`` in its own SceneTree on ``server``; ``update()`` once a
    frame, before the players poll, runs the RPCs that arrived and sends the answers, so they
    reach a player on this machine in the same frame."""

    def __init__(self, server: WebSocketServer, round_seconds: float) -> None:
        self.tree = SceneTree()
        self.referee = ArenaReferee(self.tree, round_seconds)
        self.tree.set_network_peer(server)

    @property
    def rules(self) -> Rules:
        return self.referee.rules

    def update(self) -> None:
        self.tree.poll()
        self.referee.update()


# --------------------------------------------------------------------------------- players


class LinkEvents(Protocol):
    """What the game hears from its ``ArenaLink``."""

    def on_joined(self, my_id: int) -> None: ...
    def on_world(self, positions: dict[int, Vector2]) -> None: ...
    def on_state(self, state: ArenaState) -> None: ...
    def on_tagged(self, tagger: int, victim: int) -> None: ...
    def on_pong(self, ping_ms: float) -> None: ...
    def on_peer_left(self, peer_id: int) -> None: ...
    def on_lost(self, reason: str, was_joined: bool) -> None: ...


class LastWarning(logging.Handler):
    """Keeps the last warning godot_ws logged (why a connection failed), for the screen."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.message = ""

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("godot_ws.rpc"):  # refused calls are not the reason
            self.message = record.getMessage()


last_warning = LastWarning()
logging.getLogger("godot_ws").addHandler(last_warning)


class ArenaView(Node):
    """A player's /root/Arena: the host's puppet calls arrive here."""

    def __init__(self, tree: SceneTree, link: ArenaLink) -> None:
        super().__init__(tree, ARENA)
        self.link = link

    @puppet
    def world(self, positions: Any) -> None:
        self.link.messages_in += 1
        self.link.events.on_world(positions_from_wire(positions))

    @puppet
    def set_state(self, state: Any) -> None:
        self.link.messages_in += 1
        parsed = parse_state(state)
        if parsed is not None:
            self.link.events.on_state(parsed)

    @puppet
    def tagged(self, tagger: Any, victim: Any) -> None:
        self.link.messages_in += 1
        if isinstance(tagger, int) and isinstance(victim, int):
            self.link.events.on_tagged(tagger, victim)

    @puppet
    def pong(self, t: Any) -> None:
        self.link.messages_in += 1
        if isinstance(t, float):
            self.link.events.on_pong((time.perf_counter() - t) * 1000)


class ArenaLink:
    """One player's connection to the host, in Godot 3's multiplayer mode, speaking RPCs."""

    def __init__(self, url: str, events: LinkEvents) -> None:
        self.url = url
        self.events = events
        self.messages_in = self.messages_out = 0
        self.client = WebSocketClient()
        self.tree = SceneTree()
        self.view = ArenaView(self.tree, self)
        self._close_reason = ""
        self._joined = False
        self.tree.connect("connected_to_server", self, "_on_succeeded")
        self.tree.connect("connection_failed", self, "_on_failed")
        self.tree.connect("server_disconnected", self, "_on_failed")
        self.tree.connect("network_peer_disconnected", self, "_on_peer_left")
        self.client.server_close_request.connect(self._on_close_request)

    # ------------------------------------------------------------------ state

    def connect(self) -> bool:
        """Start joining; False (with ``on_lost`` called) when the URL is not valid."""
        self._close_reason = ""
        last_warning.message = ""
        if self.client.connect_to_url(self.url, gd_mp_api=True) != OK:
            self.events.on_lost(f"invalid URL {self.url!r}", False)
            return False
        self.tree.set_network_peer(self.client)
        return True

    def close(self) -> None:
        self.client.disconnect_from_host()

    @property
    def my_id(self) -> int:
        return self.client.get_unique_id()

    @property
    def joined(self) -> bool:
        return self._joined

    @property
    def connecting(self) -> bool:
        return (not self._joined
                and self.client.get_connection_status() != CONNECTION_DISCONNECTED)

    @property
    def offline(self) -> bool:
        return self.client.get_connection_status() == CONNECTION_DISCONNECTED

    def _on_peer_left(self, peer_id: int) -> None:
        self.events.on_peer_left(peer_id)

    def _on_succeeded(self) -> None:
        self._joined = True
        self.events.on_joined(self.my_id)

    def _on_close_request(self, code: int, reason: str) -> None:
        detail = f"{code} {reason}" if reason else str(code)
        self._close_reason = f"the host closed the connection ({detail})"

    def _on_failed(self) -> None:
        # Godot 3 emits connection_failed both for a failed join and for the end of a joined
        # connection (the host left, or we closed).
        was_joined, self._joined = self._joined, False
        self.tree.set_network_peer(None)  # a rejoin starts with fresh path caches
        reason = self._close_reason or last_warning.message or (
            "the connection dropped" if was_joined else "no answer")
        self.events.on_lost(reason, was_joined)

    # ------------------------------------------------------------------ per frame

    def poll(self) -> None:
        """Move the network along; the RPCs that arrived call the game (``LinkEvents``)."""
        self.tree.poll()

    def _can_send(self) -> bool:
        if self.client.get_connection_status() != CONNECTION_CONNECTED or not self._joined:
            return False
        self.messages_out += 1
        return True

    def send_join(self, name: str, color: Color) -> None:
        if self._can_send():
            self.view.rpc_id(SERVER, "join", name, color)

    def send_move(self, pos: Vector2) -> None:
        if self._can_send():
            self.view.rpc_unreliable_id(SERVER, "move", pos)

    def send_ping(self) -> None:
        if self._can_send():
            self.view.rpc_id(SERVER, "ping", time.perf_counter())


def ping_text(ping_ms: float) -> str:
    return "-" if math.isnan(ping_ms) else f"{ping_ms:.1f} ms"
