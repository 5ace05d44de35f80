"""The arena's networking over Godot 4's protocol (``demos/arena.py --godot4``).

The same game as arena_net.py (``ArenaHost``, ``ArenaLink``, the same ``LinkEvents``), but the
way a Godot 4 game would write it: a ``WebSocketMultiplayerPeer`` under a ``SceneMultiplayer``,
and an ``Arena`` node whose ``@rpc`` methods carry the messages. Clients reach each other
through the host's relay (SceneMultiplayer's SYS RELAY), and the host alone may call the
``authority`` methods (``state``, ``pong``). The host and every client run the same ``Arena``
class, so the method ids and the path checksum agree, as two copies of one GDScript would.

    client -> everyone: pos(Vector2, name, Color)     any_peer, unreliable_ordered
    client -> host:     tag(victim_id), ping(t)        any_peer
    host -> everyone:   state(it_id, {id: score})      authority
    host -> client:     pong(t)                        authority
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import time
from typing import Any

from _common import lan_address
from arena_net import RADIUS, TAG_COOLDOWN, LinkEvents

from godot_ws.godot4 import (
    OK,
    Color,
    MultiplayerPeer,
    Node,
    SceneMultiplayer,
    Vector2,
    WebSocketMultiplayerPeer,
    rpc,
)

__all__ = ["ArenaHost", "ArenaLink", "host"]

SERVER = 1
_CONNECTED = MultiplayerPeer.CONNECTION_CONNECTED
_DISCONNECTED = MultiplayerPeer.CONNECTION_DISCONNECTED


class Arena(Node):
    """/root/Arena on the host and on every client; ``handler`` gets the calls it may take."""

    def __init__(self, multiplayer: SceneMultiplayer, handler: Any) -> None:
        super().__init__(multiplayer, "Arena")
        self.handler = handler

    def _sender(self) -> int:
        return self.multiplayer.get_remote_sender_id()

    @rpc("any_peer", "unreliable_ordered")
    def pos(self, pos: Any, name: Any, color: Any) -> None:
        if isinstance(pos, Vector2) and isinstance(color, Color):
            self.handler.got_position(self._sender(), pos, str(name), color)

    @rpc("any_peer")
    def tag(self, victim: Any) -> None:
        if isinstance(victim, int):
            self.handler.got_tag(self._sender(), victim)

    @rpc("any_peer")
    def ping(self, t: Any) -> None:
        if isinstance(t, float):
            self.handler.got_ping(self._sender(), t)

    @rpc  # authority: only the host's calls are accepted
    def state(self, it: Any, scores: Any) -> None:
        if isinstance(it, int) and isinstance(scores, dict):
            self.handler.got_state(it, {int(k): int(v) for k, v in scores.items()})

    @rpc
    def pong(self, t: Any) -> None:
        if isinstance(t, float):
            self.handler.got_pong(t)


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


class ArenaHost:
    """The authoritative part of the game (as arena_net.ArenaHost), answering RPCs."""

    def __init__(self, multiplayer: SceneMultiplayer) -> None:
        self.multiplayer = multiplayer
        self.node = Arena(multiplayer, self)
        self.it = 0
        self.scores: dict[int, int] = {}
        self.positions: dict[int, Vector2] = {}
        self.last_tag = 0.0
        multiplayer.peer_connected.connect(self._joined)
        multiplayer.peer_disconnected.connect(self._left)

    def poll(self) -> None:
        """One frame: the RPCs run inside SceneMultiplayer.poll()."""
        self.multiplayer.poll()

    def update(self) -> None:
        pass  # nothing to read: every message arrived as a call during poll()

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
        if self.multiplayer.get_peers():
            self.node.rpc("state", self.it, dict(self.scores))

    def got_position(self, sender: int, pos: Vector2, name: str, color: Color) -> None:
        if sender in self.scores:
            self.positions[sender] = pos

    def got_ping(self, sender: int, t: float) -> None:
        if sender in self.scores:
            self.node.rpc_id(sender, "pong", t)

    def got_tag(self, tagger: int, victim: int) -> None:
        now = time.monotonic()
        a, b = self.positions.get(tagger), self.positions.get(victim)
        if (tagger != self.it or victim not in self.scores or a is None or b is None
                or now - self.last_tag < TAG_COOLDOWN):
            return
        if math.hypot(a.x - b.x, a.y - b.y) > RADIUS * 2 + 12:  # slack for latency
            return
        self.scores[tagger] += 1
        self.it = victim
        self.last_tag = now
        self._broadcast_state()

    def got_state(self, it: int, scores: dict[int, int]) -> None:
        pass  # the host sends state and pongs, never receives them

    def got_pong(self, t: float) -> None:
        pass

    def close(self) -> None:
        peer = self.multiplayer.multiplayer_peer
        if peer is not None:
            peer.close()


# --------------------------------------------------------------------------------- players


class _LastWarning(logging.Handler):
    """Keeps the last warning godot_ws logged (why a connection failed), for the screen."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.message = ""

    def emit(self, record: logging.LogRecord) -> None:
        self.message = record.getMessage()


_last_warning = _LastWarning()
logging.getLogger("godot_ws").addHandler(_last_warning)


class ArenaLink:
    """One player's connection to the host over Godot 4's protocol (as arena_net.ArenaLink)."""

    def __init__(self, url: str, events: LinkEvents) -> None:
        self.url = url
        self.events = events
        self.messages_in = self.messages_out = 0
        self.multiplayer = SceneMultiplayer()
        self.client = WebSocketMultiplayerPeer()
        self.node = Arena(self.multiplayer, self)
        self._joined = False
        self.multiplayer.connected_to_server.connect(self._on_connected)
        self.multiplayer.connection_failed.connect(lambda: self._on_lost(False))
        self.multiplayer.server_disconnected.connect(lambda: self._on_lost(True))
        self.multiplayer.peer_disconnected.connect(self._on_peer_left)

    # ------------------------------------------------------------------ state

    def connect(self) -> bool:
        """Start joining; False (with ``on_lost`` called) when the URL is not valid."""
        _last_warning.message = ""
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
        reason = _last_warning.message or ("the host went away" if was_joined else "no answer")
        self.events.on_lost(reason, was_joined)

    # ------------------------------------------------------------------ per frame

    def poll(self) -> None:
        """Move the network along: the host's calls arrive as RPCs during this poll."""
        self.multiplayer.poll()

    def got_position(self, sender: int, pos: Vector2, name: str, color: Color) -> None:
        self.messages_in += 1
        self.events.on_position(sender, pos, name, color)

    def got_state(self, it: int, scores: dict[int, int]) -> None:
        self.messages_in += 1
        self.events.on_state(it, scores)

    def got_pong(self, t: float) -> None:
        self.messages_in += 1
        self.events.on_pong((time.perf_counter() - t) * 1000)

    def got_ping(self, sender: int, t: float) -> None:
        pass  # pings go to the host only

    def got_tag(self, tagger: int, victim: int) -> None:
        pass

    def _call(self, target: int | None, method: str, *args: Any) -> None:
        if self.client.get_connection_status() != _CONNECTED or not self._joined:
            return
        err = (self.node.rpc(method, *args) if target is None
               else self.node.rpc_id(target, method, *args))
        if err == OK:
            self.messages_out += 1

    def send_position(self, pos: Vector2, name: str, color: Color) -> None:
        self._call(None, "pos", pos, name, color)

    def send_ping(self) -> None:
        self._call(SERVER, "ping", time.perf_counter())

    def send_tag(self, victim: int) -> None:
        self._call(SERVER, "tag", victim)


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
