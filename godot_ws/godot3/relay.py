"""Godot 3's ``gd_mp_api`` multiplayer mode, server side: ids, SYS messages and the relay.

Owns what a ``WebSocketServer`` in multiplayer mode does with its clients' messages (Godot's
websocket_multiplayer_peer.cpp, FACTS.md 2.2 and 2.4): announcing joins and leaves with
SYS_ID/SYS_ADD/SYS_DEL, validating each client message (no SYS from clients, no spoofed
``from``), relaying it byte for byte to its targets, and queueing what is meant for the
server as ``(source, payload)``. It sends through each client's ``Connection`` and never
touches sockets.

Where Godot 3.2.3 has a bug, the documented rule stands: a message to ``-1`` ("everyone but
the server") is not delivered to the server.

A client that evidently does not speak the protocol (godot_ws's plain client says so in its
upgrade request; others show it with a message shorter than the header, or a type byte no
multiplayer peer sends) is closed with 1003 and a reason, logged at most once per
``LOG_INTERVAL``. Relaying never drops a message and never closes a client that reads. A
target's output limit counts only what its socket could not take (the queue is written before it counts as full);
while a target is still full, the sender is pushed back: its messages wait in its input
queue, which stops the reading of its socket, so TCP slows the sender down. Only a target
that has taken nothing for ``stall_timeout`` seconds is dropped (its TCP connection closed:
a close frame could not get past what it does not read), so a client that never reads cannot
stall everyone else for good, nor grow the server's memory.
"""

from __future__ import annotations

import logging
import struct
import time
from collections import deque
from collections.abc import Callable

from ..net.connection import Connection
from ..core.constants import Error
from .multiplayer import PLAIN_HEADER, PROTO_SIZE, SERVER_ID, SysType, encode_header
from ..core.protocol import PacketQueue, State

__all__ = ["Relay"]

log = logging.getLogger(__name__)

_HEADER = struct.Struct("<Bii")
_ID = struct.Struct("<i")
_SYS_NONE = SysType.SYS_NONE


class Relay:
    """The multiplayer server's state: its clients' links and the server's own inbox."""

    def __init__(self, max_packets: int, max_bytes: int,
                 emit_packet: Callable[[int], None]) -> None:
        self.links: dict[int, Connection] = {}
        self.packets: deque[tuple[int, bytes]] = deque()
        self.nbytes = 0
        self.max_packets = max_packets
        self.max_bytes = max_bytes
        self.target_peer = 0
        self._emit_packet = emit_packet
        #: Seconds a target may stay full, taking nothing, before it is dropped.
        self.stall_timeout = 5.0
        self._full_since: dict[Connection, float] = {}
        self._foreign = 0  # non-multiplayer clients closed since the last log line
        self._foreign_log_at = 0.0

    LOG_INTERVAL = 10.0  # seconds between "not a multiplayer client" log lines

    # ------------------------------------------------------------------ joins and leaves

    def admit(self, peer_id: int, link: Connection, request: dict[str, str]) -> bool:
        """``add`` a client whose upgrade ``request`` headers do not say it is plain; close
        one that does with 1003 and a reason before any SYS byte (it never becomes a peer),
        and return False."""
        if request.get(PLAIN_HEADER[0].lower()) == PLAIN_HEADER[1]:
            self._not_multiplayer(peer_id, "a handshake saying it is a plain client", link)
            return False
        self.add(peer_id, link)
        return True

    def add(self, peer_id: int, link: Connection) -> None:
        """Godot's order: SYS_ID and SYS_ADD(1) to the newcomer, then for each peer already
        in (ascending id) SYS_ADD(new) to it and SYS_ADD(it) to the newcomer."""
        self._sys(link, SysType.SYS_ID, peer_id)
        self._sys(link, SysType.SYS_ADD, SERVER_ID)
        for other_id in sorted(self.links):
            self._sys(self.links[other_id], SysType.SYS_ADD, peer_id)
            self._sys(link, SysType.SYS_ADD, other_id)
        self.links[peer_id] = link

    def remove(self, peer_id: int) -> None:
        link = self.links.pop(peer_id, None)
        if link is not None:
            self._full_since.pop(link, None)
            for link in self.links.values():
                self._sys(link, SysType.SYS_DEL, peer_id)

    def _sys(self, link: Connection, kind: int, peer_id: int) -> None:
        # SYS messages bypass the output limit: they are tiny and must not be lost.
        link.send_anyway(encode_header(kind, SERVER_ID, 0) + _ID.pack(peer_id), False)

    # ------------------------------------------------------------------ client messages

    def receive(self, source: int, raw: PacketQueue, force: bool = False) -> int:
        """Handle ``source``'s raw messages in order while the server's inbox and every
        target have room (or all with ``force``, when the client is gone); return how many
        were taken. What is left waits in ``raw`` (the sender is pushed back)."""
        queue = raw.packets
        done = 0
        while queue:
            data = queue[0][0]
            if (not force and self.packets
                    and (len(self.packets) >= self.max_packets
                         or self.nbytes + len(data) > self.max_bytes)):
                break
            targets, store = self._plan(source, data)
            if targets and not force and not self._room(targets, len(data)):
                break
            raw.pop()
            done += 1
            if store:
                self._store(source, data)
            for link in targets:
                if link.send(data, False) == Error.ERR_OUT_OF_MEMORY:
                    link.send_anyway(data, False)  # forced: the sender is gone, bounded
        return done

    def _plan(self, source: int, data: bytes) -> tuple[list[Connection], bool]:
        """Where a client's message goes: the open target links, and whether the server
        gets it too. Invalid messages are logged and go nowhere."""
        if len(data) < PROTO_SIZE:
            self._not_multiplayer(source, f"a {len(data)}-byte message, shorter than the "
                                  "9-byte header")
            return [], False
        kind, from_, to = _HEADER.unpack_from(data)
        if kind > SysType.SYS_ID:
            self._not_multiplayer(source, f"a message of type {kind}, which no multiplayer "
                                  "peer sends (its first byte)")
            return [], False
        if kind != _SYS_NONE:
            log.error("multiplayer: dropped a system message from client %d (only the server "
                      "sends them)", source)
            return [], False
        if from_ != source:
            log.error("multiplayer: dropped a message from %d claiming to be from %d",
                      source, from_)
            return [], False
        if to == SERVER_ID:
            return [], True
        if to > SERVER_ID:
            link = self.links.get(to)
            if to == source:
                log.error("multiplayer: client %d sent a message to itself", source)
            elif link is None:
                log.error("multiplayer: client %d sent to unknown peer %d", source, to)
            elif link.protocol.state is State.OPEN:
                return [link], False
            return [], False  # a leaving target: its SYS_DEL follows
        excluded = -to
        return ([link for pid, link in self.links.items()
                 if pid != source and pid != excluded and link.protocol.state is State.OPEN],
                excluded != SERVER_ID)


    def _not_multiplayer(self, source: int, why: str, link: Connection | None = None) -> None:
        """Close a client that evidently does not speak the multiplayer protocol (a plain
        WebSocket client on a ``gd_mp_api`` host: Godot 3.2.3 drops its every message with
        an error, once per message, and keeps it). Logged at most once per LOG_INTERVAL."""
        link = link or self.links.get(source)
        if link is None or link.protocol.state is not State.OPEN:
            return  # already being closed: the rest of its messages go nowhere, quietly
        self._foreign += 1
        now = time.monotonic()
        if now >= self._foreign_log_at:
            more = self._foreign - 1
            log.warning("multiplayer: closing client %d (1003): it sent %s; it is not a Godot "
                        "multiplayer client (connect with gd_mp_api=True)%s", source, why,
                        f" [{more} more such clients since the last line]" if more else "")
            self._foreign = 0
            self._foreign_log_at = now + self.LOG_INTERVAL
        link.close(1003, "not a Godot multiplayer client: connect with gd_mp_api=true")

    def _room(self, targets: list[Connection], size: int) -> bool:
        """True when every target can take ``size`` more bytes. A target that has stayed
        full for ``stall_timeout`` seconds is dropped (it reads nothing) and stops counting."""
        full_since = self._full_since
        ok = True
        for link in targets:
            if link.has_room(size):
                if full_since:
                    full_since.pop(link, None)
                continue
            now = time.monotonic()
            since = full_since.setdefault(link, now)
            if now - since <= self.stall_timeout:
                ok = False
                continue
            peer_id = next((pid for pid, other in self.links.items() if other is link), 0)
            log.warning("multiplayer: client %d took nothing for %s s (output buffer full); "
                        "dropping it", peer_id, self.stall_timeout)
            del full_since[link]
            link.drop(f"output buffer full for {self.stall_timeout} s: the client reads nothing")
        return ok

    def _store(self, source: int, data: bytes) -> None:
        payload = data[PROTO_SIZE:]
        self.packets.append((source, payload))
        self.nbytes += len(payload)
        self._emit_packet(source)

    # ------------------------------------------------------------------ the server's side

    def put_packet(self, payload: bytes) -> Error:
        """The server's own message, to ``target_peer`` (Godot: to 1 is OK and sends
        nothing; an unknown peer is FAILED)."""
        target = self.target_peer
        data = encode_header(_SYS_NONE, SERVER_ID, target) + payload
        if target == SERVER_ID:
            return Error.OK
        if target > SERVER_ID:
            link = self.links.get(target)
            if link is None:
                log.error("put_packet: no peer with id %d", target)
                return Error.FAILED
            return link.send(data, False)
        result = Error.OK
        for peer_id, link in list(self.links.items()):
            if peer_id != -target and link.protocol.state is State.OPEN:
                err = link.send(data, False)
                result = err if err != Error.OK else result
        return result

    def pop(self) -> tuple[int, bytes] | None:
        if not self.packets:
            return None
        source, payload = self.packets.popleft()
        self.nbytes -= len(payload)
        return source, payload
