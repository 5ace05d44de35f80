"""The arena's networking: the only part of the demo that talks to godot_ws.

``ArenaHost`` is the authoritative host logic (who is "it", the scores, tags), the same as
demos/godot_server/arena_server.gd, so either host serves the same clients. ``ArenaLink`` is
one player's connection to a host: it joins, turns the messages it receives into calls on the
game (``LinkEvents``), sends the game's messages, and says why a join failed or a connection
ended. The game and the drawing (demos/arena.py) never touch a client or a packet, so
changing how the messages travel (Godot RPCs, Godot 4's peers) changes only this file.

Messages (Godot Variants in Godot 3's multiplayer mode, ``gd_mp_api``):
  client -> everyone: ["pos", Vector2, name, Color]   (the server sees it too)
  client -> server:   ["tag", victim_id], ["ping", t]
  server -> everyone: ["state", it_id, {id: score}]
  server -> client:   ["pong", t]
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
    Vector2,
    WebSocketClient,
    WebSocketServer,
)

__all__ = ["ArenaHost", "ArenaLink", "LinkEvents", "RADIUS", "TAG_COOLDOWN"]

SERVER = 1
ALL = 0
RADIUS = 18
TAG_COOLDOWN = 1.0  # seconds before the new "it" may tag


# --------------------------------------------------------------------------------- host


class ArenaHost:
    """The authoritative part of the game, run by the host (see the module docstring)."""

    def __init__(self, server: WebSocketServer) -> None:
        self.server = server
        self.it = 0
        self.scores: dict[int, int] = {}
        self.positions: dict[int, Vector2] = {}
        self.last_tag = 0.0
        server.peer_connected.connect(self._joined)
        server.peer_disconnected.connect(self._left)

    def _joined(self, peer_id: int) -> None:
        self.scores[peer_id] = 0
        if not self.it:
            self.it = peer_id
        self._broadcast_state()

    def _left(self, peer_id: int) -> None:
        self.scores.pop(peer_id, None)
        self.positions.pop(peer_id, None)
        if self.it == peer_id:
            self.it = next(iter(self.scores), 0)
        self._broadcast_state()

    def _broadcast_state(self) -> None:
        self.server.set_target_peer(ALL)
        self.server.put_var(["state", self.it, dict(self.scores)])

    def update(self) -> None:
        server = self.server
        while server.get_available_packet_count():
            sender = server.get_packet_peer()
            message = server.get_var()
            if sender not in self.scores:
                continue  # sent just before its sender left: nobody to answer
            if not isinstance(message, list) or not message:
                continue
            kind = message[0]
            if kind == "pos" and len(message) == 4 and isinstance(message[1], Vector2):
                self.positions[sender] = message[1]
            elif kind == "ping" and len(message) == 2:
                server.set_target_peer(sender)
                server.put_var(["pong", message[1]])
            elif kind == "tag" and len(message) == 2:
                self._tag(sender, message[1])

    def _tag(self, tagger: int, victim: Any) -> None:
        now = time.monotonic()
        a, b = self.positions.get(tagger), self.positions.get(victim)
        if (tagger != self.it or victim not in self.scores or a is None or b is None
                or now - self.last_tag < TAG_COOLDOWN):
            return
        if a.distance_to(b) > RADIUS * 2 + 12:  # slack for latency
            return
        self.scores[tagger] += 1
        self.it = victim
        self.last_tag = now
        self._broadcast_state()


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
        self.message = record.getMessage()


_last_warning = LastWarning()
logging.getLogger("godot_ws").addHandler(_last_warning)


class ArenaLink:
    """One player's connection to the host, in Godot 3's multiplayer mode."""

    def __init__(self, url: str, events: LinkEvents) -> None:
        self.url = url
        self.events = events
        self.messages_in = self.messages_out = 0
        self.client = WebSocketClient()
        self._close_reason = ""
        self._joined = False
        self.client.connection_succeeded.connect(self._on_succeeded)
        self.client.connection_failed.connect(self._on_failed)
        self.client.peer_disconnected.connect(events.on_peer_left)
        self.client.server_close_request.connect(self._on_close_request)

    # ------------------------------------------------------------------ state

    def connect(self) -> bool:
        """Start joining; False (with ``on_lost`` called) when the URL is not valid."""
        self._close_reason = ""
        _last_warning.message = ""
        if self.client.connect_to_url(self.url, gd_mp_api=True) != OK:
            self.events.on_lost(f"invalid URL {self.url!r}", False)
            return False
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
        reason = self._close_reason or _last_warning.message or (
            "the connection dropped" if was_joined else "no answer")
        self.events.on_lost(reason, was_joined)

    # ------------------------------------------------------------------ per frame

    def poll(self) -> None:
        """Move the network along and hand what arrived to the game."""
        client = self.client
        client.poll()
        events = self.events
        while client.get_available_packet_count():
            sender = client.get_packet_peer()
            message = client.get_var()
            self.messages_in += 1
            if not isinstance(message, list) or not message:
                continue
            kind = message[0]
            if (kind == "pos" and len(message) == 4 and isinstance(message[1], Vector2)
                    and isinstance(message[3], Color)):
                events.on_position(sender, message[1], str(message[2]), message[3])
            elif kind == "state" and len(message) == 3 and isinstance(message[2], dict):
                events.on_state(int(message[1]), {int(k): int(v) for k, v in message[2].items()})
            elif kind == "pong" and len(message) == 2 and isinstance(message[1], float):
                events.on_pong((time.perf_counter() - message[1]) * 1000)

    def _send(self, target: int, message: list[Any]) -> None:
        if self.client.get_connection_status() != CONNECTION_CONNECTED or not self._joined:
            return
        self.client.set_target_peer(target)
        if self.client.put_var(message) == OK:
            self.messages_out += 1

    def send_position(self, pos: Vector2, name: str, color: Color) -> None:
        self._send(ALL, ["pos", pos, name, color])

    def send_ping(self) -> None:
        self._send(SERVER, ["ping", time.perf_counter()])

    def send_tag(self, victim: int) -> None:
        self._send(SERVER, ["tag", victim])


def ping_text(ping_ms: float) -> str:
    return "-" if math.isnan(ping_ms) else f"{ping_ms:.1f} ms"
