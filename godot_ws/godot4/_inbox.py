"""The Godot 4 multiplayer peer's inbox: every peer's packets in one bounded queue.

Owns the queue ``WebSocketMultiplayerPeer`` hands the game (``(peer_id, packet)`` in arrival
order), its limits, filling it fairly from the peers' own queues, and the gate a
``SceneMultiplayer`` server sets so a relayed packet is taken only when its targets have room.
Godot moves every packet of every peer into an unbounded list each poll, so per-peer limits
never push back; here a packet stays in its peer's own queue while the inbox is full (or its
relay targets are), that queue fills, the peer stops reading its socket and TCP slows the
sender, as the 3.x relay inbox does (``godot3/relay.py``). Touches no socket.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping

from .websocket_peer import WebSocketPeer

__all__ = ["Inbox"]


class Inbox:
    """``max_packets`` packets and ``max_bytes`` bytes at most (one packet always fits)."""

    __slots__ = ("packets", "nbytes", "max_packets", "max_bytes", "full", "_start")

    def __init__(self, max_packets: int, max_bytes: int) -> None:
        self.packets: deque[tuple[int, bytes]] = deque()
        self.nbytes = 0
        self.max_packets = max_packets
        self.max_bytes = max_bytes
        self.full = False  # the last take stopped for want of room
        self._start = 0  # where the next round begins: after the peer a full inbox cut off

    @classmethod
    def like(cls, config: WebSocketPeer) -> Inbox:
        """An inbox that holds what one peer made with ``config`` holds: max_queued_packets
        packets and Godot's ring for inbound_buffer_size bytes."""
        queue = config._new_queue()
        return cls(max(1, queue.max_packets), queue.max_bytes)

    def clear(self) -> None:
        self.packets.clear()
        self.nbytes = 0

    def pop(self) -> tuple[int, bytes]:
        item = self.packets.popleft()
        self.nbytes -= len(item[1])
        return item

    def take(self, peer_id: int, peer: WebSocketPeer,
             gate: Callable[[int, bytes], bool] | None = None) -> int:
        """Move ``peer``'s packets in, in order, while there is room and ``gate`` (if any)
        lets the next one through; return how many moved (``full`` says why it stopped)."""
        queued = peer._queue.packets
        packets = self.packets
        moved = 0
        while queued:
            payload = queued[0][0]
            if packets and (len(packets) >= self.max_packets
                            or self.nbytes + len(payload) > self.max_bytes):
                self.full = True
                break
            if gate is not None and not gate(peer_id, payload):
                break  # this peer waits (its targets are full); the others go on
            peer.get_packet()
            if payload:  # Godot drops empty packets here
                packets.append((peer_id, payload))
                self.nbytes += len(payload)
                moved += 1
        return moved

    def fill(self, peers: Mapping[int, WebSocketPeer],
             gate: Callable[[int, bytes], bool] | None = None,
             first: Mapping[int, WebSocketPeer] | None = None) -> None:
        """Take from the peers of ``first`` (peers that left: theirs arrived first), then
        from every peer, starting after the one a full inbox last cut off, so a peer that
        sends without pause cannot keep the peers after it out."""
        self.full = False
        for peer_id, peer in (first or {}).items():
            self.take(peer_id, peer, gate)
        items = list(peers.items())
        count = len(items)
        start = self._start % count if count else 0
        for i in range(count):
            if self.full:
                return
            index = (start + i) % count
            self.take(*items[index], gate)
            if self.full:
                self._start = index + 1  # it was served: the next round begins after it
