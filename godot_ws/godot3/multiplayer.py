"""Godot 3's ``gd_mp_api`` multiplayer mode, client side: the header codec and the state.

Owns the 9-byte header every multiplayer message carries (type u8, from i32 LE, to i32 LE;
Godot's modules/websocket/websocket_multiplayer_peer.h/.cpp, FACTS.md section 2), and
``MultiplayerClient``: what a ``WebSocketClient`` in multiplayer mode knows (its unique id,
the target peer, the incoming ``(source, payload)`` queue) and which of the
NetworkedMultiplayerPeer signals fire for what arrives. It is handed the raw packet queue and
the signals; it never touches sockets, the protocol or the client.

Signals (Godot 3.2.3's order, FACTS 2.3): SYS_ID stores the id silently; SYS_ADD(id) emits
``peer_connected(id)``, then ``connection_succeeded`` when id is 1 (the server); SYS_DEL(id)
emits ``peer_disconnected(id)``; a payload message is queued with its header's ``from`` as
source and emits ``peer_packet(from)``. When the connection ends, whoever ended it and whether
or not ``connection_succeeded`` had fired, ``connection_failed`` fires, as in every Godot 3
release (websocket_client.cpp maps both ``_on_disconnect`` and ``_on_error`` to it in
multiplayer mode; FACTS 2.3): ported GDScript notices a disconnect only through it.
``server_disconnected`` exists (NetworkedMultiplayerPeer declares it) but, as in Godot 3's
WebSocketClient, never fires; no ``peer_disconnected`` fires for the other peers either.
"""

from __future__ import annotations

import logging
import struct
from collections import deque
from enum import IntEnum
from typing import NamedTuple, Protocol

from ..core.protocol import PacketQueue
from ..common.signals import Signal

__all__ = [
    "PLAIN_HEADER",
    "PROTO_SIZE",
    "SERVER_ID",
    "Header",
    "MultiplayerClient",
    "MultiplayerSignals",
    "SysType",
    "decode_header",
    "encode_header",
]

log = logging.getLogger("godot_ws.multiplayer")  # the name README documents


class SysType(IntEnum):
    """The header's type byte (websocket_multiplayer_peer.h ``enum``)."""

    SYS_NONE = 0  # a payload message
    SYS_ADD = 1  # payload: the i32 id of a peer that joined
    SYS_DEL = 2  # payload: the i32 id of a peer that left
    SYS_ID = 3  # payload: the i32 id the server gave this client


PROTO_SIZE = 9
"""Header bytes before the payload (``PROTO_SIZE`` in websocket_multiplayer_peer.h)."""

SERVER_ID = 1
"""The server's peer id; clients get random 31-bit ids other than 0 and 1."""

PLAIN_HEADER = ("X-Godot-WS-Mode", "plain")
"""The upgrade-request header a plain-mode ``WebSocketClient`` adds (not in Godot, whose
handshake is the same in both modes), so a ``gd_mp_api`` host can turn it away with a reason
before it sends SYS bytes the client would take for data. Other servers ignore it."""

_HEADER = struct.Struct("<Bii")
_ID = struct.Struct("<i")
_SYS_NONE = SysType.SYS_NONE


class Header(NamedTuple):
    type: int
    from_: int
    to: int


def encode_header(type_: int, from_: int, to: int) -> bytes:
    """The 9 header bytes. ``to``: 0 = broadcast, 1 = server, >1 = that peer, <0 = all but
    -to. Raises ``struct.error`` (a ValueError-like) for ids outside int32."""
    return _HEADER.pack(type_, from_, to)


def decode_header(data: bytes) -> Header:
    """Parse the header at the start of ``data``; ValueError when it is shorter than 9 bytes."""
    if len(data) < PROTO_SIZE:
        raise ValueError(f"multiplayer message of {len(data)} bytes is shorter than its header")
    return Header(*_HEADER.unpack_from(data))


class MultiplayerSignals(Protocol):
    """The NetworkedMultiplayerPeer signals the state emits (a ``WebSocketClient`` has them)."""

    peer_packet: Signal
    peer_connected: Signal
    peer_disconnected: Signal
    connection_succeeded: Signal
    connection_failed: Signal
    server_disconnected: Signal


class MultiplayerClient:
    """One multiplayer connection's client state (a fresh one per ``connect_to_url``).

    ``receive`` moves raw messages from the peer's queue into ``packets`` only while that has
    room (same packet and byte limits), so a game that stops reading stops the reading of the
    socket too, as in plain mode: nothing is dropped.
    """

    __slots__ = ("signals", "unique_id", "target_peer", "succeeded", "packets", "nbytes",
                 "max_packets", "max_bytes", "url", "id_due", "warned")

    def __init__(
        self, signals: MultiplayerSignals, max_packets: int, max_bytes: int, target_peer: int = 0
    ) -> None:
        self.signals = signals
        self.unique_id = 0  # until SYS_ID
        self.target_peer = target_peer
        self.succeeded = False  # connection_succeeded fired (SYS_ADD(1) arrived)
        self.packets: deque[tuple[int, bytes]] = deque()
        self.nbytes = 0
        self.max_packets = max_packets
        self.max_bytes = max_bytes
        self.url = ""  # for the mix-up warning
        self.id_due = 0.0  # time.monotonic() by which SYS_ID should have come (0: not open)
        self.warned = False  # the "not a multiplayer host" warning was given

    # ------------------------------------------------------------------ receiving

    def receive(self, raw: PacketQueue, force: bool = False) -> int:
        """Handle raw messages in order while ``packets`` has room; return how many.

        ``force`` takes every message regardless of room (the connection is over, so there is
        no sender left to push back on and nothing may be lost).
        """
        queue = raw.packets
        packets = self.packets
        done = 0
        while queue:
            data = queue[0][0]
            if (
                not force
                and packets
                and len(data) >= PROTO_SIZE
                and data[0] == _SYS_NONE
                and (
                    len(packets) >= self.max_packets
                    or self.nbytes + len(data) - PROTO_SIZE > self.max_bytes
                )
            ):
                break
            raw.pop()
            done += 1
            self._handle(data)
        return done

    def _handle(self, data: bytes) -> None:
        if not self.unique_id and not self.warned and not (
                len(data) >= PROTO_SIZE + 4 and data[0] == SysType.SYS_ID):
            # A Godot multiplayer host's first message is always SYS_ID (FACTS 2.2).
            self.not_a_host(f"its first message ({len(data)} bytes) is not Godot's id message")
        if len(data) < PROTO_SIZE:
            log.error("multiplayer: dropped a %d-byte message, shorter than the 9-byte header",
                      len(data))
            return
        kind, source, _to = _HEADER.unpack_from(data)
        signals = self.signals
        if kind == _SYS_NONE:
            payload = data[PROTO_SIZE:]
            self.packets.append((source, payload))
            self.nbytes += len(payload)
            if signals.peer_packet:
                signals.peer_packet.emit(source)
            return
        if source != SERVER_ID:
            log.error("multiplayer: dropped a system message (type %d) from peer %d: only the "
                      "server (1) sends them", kind, source)
            return
        if len(data) < PROTO_SIZE + 4:
            log.error("multiplayer: dropped a system message (type %d) without a peer id", kind)
            return
        (peer_id,) = _ID.unpack_from(data, PROTO_SIZE)
        if kind == SysType.SYS_ADD:
            signals.peer_connected.emit(peer_id)
            if peer_id == SERVER_ID and not self.succeeded:
                self.succeeded = True
                signals.connection_succeeded.emit()
        elif kind == SysType.SYS_DEL:
            signals.peer_disconnected.emit(peer_id)
        elif kind == SysType.SYS_ID:
            if peer_id <= SERVER_ID:
                log.error("multiplayer: ignored an invalid id %d from the server", peer_id)
            else:
                self.unique_id = peer_id
        else:
            log.error("multiplayer: dropped a message of unknown type %d", kind)

    def not_a_host(self, why: str) -> None:
        """Warn, once per connection, that the host does not seem to speak the multiplayer
        protocol (a mode mix-up); Godot's signals are unchanged."""
        if not self.warned:
            self.warned = True
            log.warning("multiplayer: %s from %s: the host is probably a plain WebSocket "
                        "server, not a Godot multiplayer host (listen(port, gd_mp_api=True)); "
                        "use connect_to_url(url) without gd_mp_api to talk to it", why,
                        self.url)

    def connection_lost(self) -> None:
        """The connection is over (or never opened): ``connection_failed``, as Godot 3 emits
        (joined or not; its documentation's ``server_disconnected`` never fires)."""
        self.signals.connection_failed.emit()

    # ------------------------------------------------------------------ the game's side

    def pop(self) -> bytes | None:
        if not self.packets:
            return None
        payload = self.packets.popleft()[1]
        self.nbytes -= len(payload)
        return payload

    def packet_peer(self) -> int | None:
        """Source of the next queued packet, None when there is none."""
        return self.packets[0][0] if self.packets else None

    def frame(self, payload: bytes) -> bytes:
        """``payload`` with the header a client sends: type 0, from us, to the target."""
        return _HEADER.pack(_SYS_NONE, self.unique_id, self.target_peer) + payload
