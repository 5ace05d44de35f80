"""Godot 3's ``gd_mp_api`` multiplayer mode, server side: ids, SYS messages and the relay.

Owns what a ``WebSocketServer`` in multiplayer mode does with its clients' messages (Godot's
websocket_multiplayer_peer.cpp, FACTS.md 2.2 and 2.4): announcing joins and leaves with
SYS_ID/SYS_ADD/SYS_DEL, validating each client message (no SYS from clients, no spoofed
``from``), relaying it byte for byte to its targets, and queueing what is meant for the
server as ``(source, payload)``. It sends through each client's ``Connection`` and never
touches sockets.

Where Godot 3.2.3 has a bug, the documented rule stands: a message to ``-1`` ("everyone but
the server") is not delivered to the server. A client whose output buffer overflows while
being relayed to is disconnected (close 1008): a client that never reads cannot make the
server grow without bound or stall everyone else.
"""

from __future__ import annotations

import logging
import struct
from collections import deque
from collections.abc import Callable, Iterable

from ._connection import Connection
from .constants import Error
from .multiplayer import PROTO_SIZE, SERVER_ID, SysType, encode_header
from .protocol import PacketQueue, State

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

    # ------------------------------------------------------------------ joins and leaves

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
        if self.links.pop(peer_id, None) is not None:
            for link in self.links.values():
                self._sys(link, SysType.SYS_DEL, peer_id)

    def _sys(self, link: Connection, kind: int, peer_id: int) -> None:
        # SYS messages bypass the output limit: they are tiny and must not be lost.
        link.protocol.send_message(encode_header(kind, SERVER_ID, 0) + _ID.pack(peer_id), False)

    # ------------------------------------------------------------------ client messages

    def receive(self, source: int, raw: PacketQueue, force: bool = False) -> int:
        """Handle ``source``'s raw messages in order while the server's inbox has room (or
        all with ``force``, when the client is gone); return how many were taken."""
        queue = raw.packets
        done = 0
        while queue:
            data = queue[0][0]
            if (not force and self.packets
                    and (len(self.packets) >= self.max_packets
                         or self.nbytes + len(data) > self.max_bytes)):
                break
            raw.pop()
            done += 1
            self._route(source, data)
        return done

    def _route(self, source: int, data: bytes) -> None:
        if len(data) < PROTO_SIZE:
            log.error("multiplayer: dropped a %d-byte message from %d, shorter than the "
                      "header", len(data), source)
            return
        kind, from_, to = _HEADER.unpack_from(data)
        if kind != _SYS_NONE:
            log.error("multiplayer: dropped a system message from client %d (only the server "
                      "sends them)", source)
            return
        if from_ != source:
            log.error("multiplayer: dropped a message from %d claiming to be from %d",
                      source, from_)
            return
        if to == SERVER_ID:
            self._store(source, data)
        elif to > SERVER_ID:
            if to == source:
                log.error("multiplayer: client %d sent a message to itself", source)
            elif to not in self.links:
                log.error("multiplayer: client %d sent to unknown peer %d", source, to)
            else:
                self._forward(data, (to,))
        else:
            excluded = -to
            if excluded != SERVER_ID:
                self._store(source, data)
            self._forward(data, (pid for pid in self.links
                                 if pid != source and pid != excluded))

    def _store(self, source: int, data: bytes) -> None:
        payload = data[PROTO_SIZE:]
        self.packets.append((source, payload))
        self.nbytes += len(payload)
        self._emit_packet(source)

    def _forward(self, data: bytes, targets: Iterable[int]) -> None:
        for peer_id in list(targets):
            link = self.links[peer_id]
            if link.protocol.state is not State.OPEN:
                continue  # leaving: its SYS_DEL follows
            if link.send(data, False) == Error.ERR_OUT_OF_MEMORY:
                log.warning("multiplayer: client %d reads too slowly (output buffer full); "
                            "disconnecting it", peer_id)
                link.close(1008, "output buffer full")

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
