"""The arena's networking: the only part of the demo that talks to godot_ws.

Written the way a Godot 3 game uses high-level multiplayer, with the same nodes as the Godot
host (demos/godot_server/arena.gd and arena_player.gd), so Python and Godot hosts serve the
same players:

* ``/root/Arena``: the rules. Its network master is the host (id 1). Players call its master
  functions ``tag(victim)`` and ``ping(t)`` with ``rpc_id(1, ...)``; the host answers with the
  puppet functions ``set_state(it, scores)`` (to everyone) and ``pong(t)`` (to the pinger).
* ``/root/Arena/Players/<id>``: one player's disc, whose network master is that player. Its
  owner sends ``rpc_unreliable("update_position", pos, name, color)`` about 30 times a
  second; the puppets (everyone else, the host included) accept it only from that owner.

``ArenaHost`` is the host's side (``ArenaRules`` + a ``Body`` per player, in its own
SceneTree on the WebSocketServer). ``ArenaLink`` is one player's side: it joins, turns the
RPCs it receives into calls on the game (``LinkEvents``), sends the game's RPCs, and says why
a join failed or a connection ended. The game and the drawing (demos/arena.py) never touch a
client or a packet.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any, Protocol

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

__all__ = ["ArenaHost", "ArenaLink", "LinkEvents", "RADIUS", "TAG_COOLDOWN"]

SERVER = 1
RADIUS = 18
TAG_COOLDOWN = 1.0  # seconds before the new "it" may tag
ARENA = "/root/Arena"
PLAYERS = "/root/Arena/Players"


# --------------------------------------------------------------------------------- host


class Body(Node):
    """arena_player.gd on the host: the last position its owner sent."""

    def __init__(self, tree: SceneTree, peer_id: int) -> None:
        super().__init__(tree, f"{PLAYERS}/{peer_id}")
        self.set_network_master(peer_id)
        self.position: Vector2 | None = None

    @puppet
    def update_position(self, pos: Vector2, name: str, color: Color) -> None:
        if isinstance(pos, Vector2):
            self.position = pos


class ArenaRules(Node):
    """arena.gd: the authoritative part of the game (who is "it", the scores, tags)."""

    def __init__(self, tree: SceneTree) -> None:
        super().__init__(tree, ARENA)
        self.scene = tree
        self.it = 0
        self.scores: dict[int, int] = {}
        self.bodies: dict[int, Body] = {}
        self.last_tag = -1000.0
        tree.connect("network_peer_connected", self, "_joined")
        tree.connect("network_peer_disconnected", self, "_left")

    def _joined(self, peer_id: int) -> None:
        self.bodies[peer_id] = Body(self.scene, peer_id)
        self.scores[peer_id] = 0
        if not self.it:
            self.it = peer_id
        self.rpc("set_state", self.it, self.scores)

    def _left(self, peer_id: int) -> None:
        body = self.bodies.pop(peer_id, None)
        if body is not None:
            body.queue_free()
        self.scores.pop(peer_id, None)
        if self.it == peer_id:
            self.it = next(iter(self.scores), 0)
        self.rpc("set_state", self.it, self.scores)

    @master
    def ping(self, t: float) -> None:
        peer_id = self.get_tree().get_rpc_sender_id()
        if peer_id in self.scores:  # it may have left since
            self.rpc_id(peer_id, "pong", t)

    @master
    def tag(self, victim: int) -> None:
        tagger = self.get_tree().get_rpc_sender_id()
        now = time.monotonic()
        if tagger != self.it or victim not in self.scores or now - self.last_tag < TAG_COOLDOWN:
            return
        a, b = self.bodies.get(tagger), self.bodies.get(victim)
        if a is None or b is None or a.position is None or b.position is None:
            return
        if a.position.distance_to(b.position) > RADIUS * 2 + 12:  # slack for latency
            return
        self.scores[tagger] += 1
        self.it = victim
        self.last_tag = now
        self.rpc("set_state", self.it, self.scores)


class ArenaHost:
    """The host: ``ArenaRules`` in its own SceneTree on ``server``; ``update()`` once a
    frame runs the RPCs that arrived."""

    def __init__(self, server: WebSocketServer) -> None:
        self.tree = SceneTree()
        self.rules = ArenaRules(self.tree)
        self.tree.set_network_peer(server)

    @property
    def scores(self) -> dict[int, int]:
        return self.rules.scores

    @property
    def it(self) -> int:
        return self.rules.it

    def update(self) -> None:
        self.tree.poll()


# --------------------------------------------------------------------------------- players


class LinkEvents(Protocol):
    """What the game hears from its ``ArenaLink``."""

    def on_joined(self, my_id: int) -> None: ...
    def on_position(self, peer_id: int, pos: Vector2, name: str, color: Color) -> None: ...
    def on_state(self, it: int, scores: dict[int, int]) -> None: ...
    def on_pong(self, ping_ms: float) -> None: ...
    def on_peer_left(self, peer_id: int) -> None: ...
    def on_lost(self, reason: str, was_joined: bool) -> None: ...


class LastWarning(logging.Handler):
    """Keeps the last warning godot_ws logged (why a connection failed), for the screen."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.message = ""

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("godot_ws.godot3.rpc"):  # refused calls are not the reason
            self.message = record.getMessage()


_last_warning = LastWarning()
logging.getLogger("godot_ws").addHandler(_last_warning)


class ArenaView(Node):
    """A player's /root/Arena: the host's puppet calls arrive here."""

    def __init__(self, tree: SceneTree, link: ArenaLink) -> None:
        super().__init__(tree, ARENA)
        self.link = link

    @puppet
    def set_state(self, it: int, scores: dict[Any, Any]) -> None:
        self.link.messages_in += 1
        if isinstance(scores, dict):
            self.link.events.on_state(int(it), {int(k): int(v) for k, v in scores.items()})

    @puppet
    def pong(self, t: float) -> None:
        self.link.messages_in += 1
        if isinstance(t, float):
            self.link.events.on_pong((time.perf_counter() - t) * 1000)


class BodyView(Node):
    """A player's view of one disc at /root/Arena/Players/<id> (master: that player)."""

    def __init__(self, tree: SceneTree, peer_id: int, link: ArenaLink) -> None:
        super().__init__(tree, f"{PLAYERS}/{peer_id}")
        self.set_network_master(peer_id)
        self.peer_id = peer_id
        self.link = link

    @puppet
    def update_position(self, pos: Vector2, name: str, color: Color) -> None:
        self.link.messages_in += 1
        if isinstance(pos, Vector2) and isinstance(color, Color):
            self.link.events.on_position(self.peer_id, pos, str(name), color)


class ArenaLink:
    """One player's connection to the host, in Godot 3's multiplayer mode, speaking RPCs."""

    def __init__(self, url: str, events: LinkEvents) -> None:
        self.url = url
        self.events = events
        self.messages_in = self.messages_out = 0
        self.client = WebSocketClient()
        self.tree = SceneTree()
        self.view = ArenaView(self.tree, self)
        self.bodies: dict[int, BodyView] = {}
        self._close_reason = ""
        self._joined = False
        self.tree.connect("connected_to_server", self, "_on_succeeded")
        self.tree.connect("connection_failed", self, "_on_failed")
        self.tree.connect("server_disconnected", self, "_on_failed")
        self.tree.connect("network_peer_connected", self, "_on_peer_joined")
        self.tree.connect("network_peer_disconnected", self, "_on_peer_left")
        self.client.server_close_request.connect(self._on_close_request)

    # ------------------------------------------------------------------ state

    def connect(self) -> bool:
        """Start joining; False (with ``on_lost`` called) when the URL is not valid."""
        self._close_reason = ""
        _last_warning.message = ""
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

    def _body(self, peer_id: int) -> BodyView:
        body = self.bodies.get(peer_id)
        if body is None:
            body = self.bodies[peer_id] = BodyView(self.tree, peer_id, self)
        return body

    def _on_peer_joined(self, peer_id: int) -> None:
        if peer_id != SERVER:
            self._body(peer_id)

    def _on_peer_left(self, peer_id: int) -> None:
        body = self.bodies.pop(peer_id, None)
        if body is not None:
            body.queue_free()
        self.events.on_peer_left(peer_id)

    def _on_succeeded(self) -> None:
        self._joined = True
        self._body(self.my_id)
        self.events.on_joined(self.my_id)

    def _on_close_request(self, code: int, reason: str) -> None:
        detail = f"{code} {reason}" if reason else str(code)
        self._close_reason = f"the host closed the connection ({detail})"

    def _on_failed(self) -> None:
        # Godot 3 emits connection_failed both for a failed join and for the end of a joined
        # connection (the host left, or we closed).
        was_joined, self._joined = self._joined, False
        for peer_id in list(self.bodies):
            self.bodies.pop(peer_id).queue_free()
        reason = self._close_reason or _last_warning.message or (
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

    def send_position(self, pos: Vector2, name: str, color: Color) -> None:
        if self._can_send():
            self._body(self.my_id).rpc_unreliable("update_position", pos, name, color)

    def send_ping(self) -> None:
        if self._can_send():
            self.view.rpc_id(SERVER, "ping", time.perf_counter())

    def send_tag(self, victim: int) -> None:
        if self._can_send():
            self.view.rpc_id(SERVER, "tag", victim)


def ping_text(ping_ms: float) -> str:
    return "-" if math.isnan(ping_ms) else f"{ping_ms:.1f} ms"
