"""What the Godot 4 multiplayer host sends: room per target, failed sends, stalled targets.

Owns, for ``WebSocketMultiplayerPeer``, the send to one peer (a failed send is logged once
until that peer has room again, and its ``Error`` returned: Godot prints the engine error of
each failure and ``rpc()`` still returns OK), the room check a relay asks before it takes a
packet from its source (counting what earlier relays of this poll were promised), and
dropping a peer whose output stays full for ``stall_timeout`` seconds, as the 3.x relay does
(``godot3/relay.py``): a peer that reads nothing cannot hold its senders back for good, nor
grow the host's memory. Touches no socket (a peer's ``Connection`` does).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from ..core.constants import Error, TransferMode
from .websocket_peer import WebSocketPeer

__all__ = ["Outbox"]

log = logging.getLogger("godot_ws.godot4.multiplayer")

_RELIABLE = TransferMode.TRANSFER_MODE_RELIABLE


class Outbox:
    """The host's sending bookkeeping, by peer id."""

    __slots__ = ("stall_timeout", "_full_since", "_promised")

    def __init__(self) -> None:
        #: Seconds a peer's output may stay full (taking nothing) before it is dropped.
        self.stall_timeout = 5.0
        self._full_since: dict[int, float] = {}
        self._promised: dict[int, int] = {}  # bytes relays were promised this poll

    def new_poll(self) -> None:
        """Promises last one poll: SceneMultiplayer relays what it took in the same poll."""
        self._promised.clear()

    def forget(self, peer_id: int) -> None:
        self._full_since.pop(peer_id, None)
        self._promised.pop(peer_id, None)

    def room(self, peer_id: int, ws: WebSocketPeer, size: int) -> bool:
        """Whether ``ws`` can take ``size`` more bytes on top of this poll's promises (then
        promised to the caller). A peer full for ``stall_timeout`` is dropped, and no longer
        holds anyone back."""
        conn = ws._conn
        if conn is None:
            return True  # closing or closed: the send fails and says so
        promised = self._promised.get(peer_id, 0)
        if conn.has_room(promised + size):
            self._promised[peer_id] = promised + size
            return True
        return self._stalled(peer_id, ws)

    def send(self, peer_id: int, ws: WebSocketPeer, data: bytes, mode: int) -> Error:
        """``ws.put_packet(data)``; a failure is logged (reliable packets: once until the peer
        has room again) and returned."""
        promised = self._promised.get(peer_id)
        if promised:
            self._promised[peer_id] = max(0, promised - len(data))
        err = ws.put_packet(data)
        if err == Error.OK:
            if self._full_since:
                self._full_since.pop(peer_id, None)
            return err
        if err == Error.ERR_OUT_OF_MEMORY:
            if peer_id not in self._full_since and mode == _RELIABLE:
                log.error("multiplayer: a reliable %d-byte packet to peer %d was not sent: its "
                          "output buffer is full (it reads too slowly); ERR_OUT_OF_MEMORY",
                          len(data), peer_id)
            self._stalled(peer_id, ws)
        return err

    def broadcast(self, peers: Mapping[int, WebSocketPeer], excluded: int, data: bytes,
                  mode: int) -> Error:
        """``send`` to every peer but ``excluded``; the first failure is the result."""
        result = Error.OK
        for peer_id, ws in list(peers.items()):
            if peer_id != excluded:
                err = self.send(peer_id, ws, data, mode)
                if result == Error.OK:
                    result = err
        return result

    def _stalled(self, peer_id: int, ws: WebSocketPeer) -> bool:
        now = time.monotonic()
        since = self._full_since.setdefault(peer_id, now)
        if now - since <= self.stall_timeout:
            return False
        log.warning("multiplayer: peer %d took nothing for %s s (output buffer full); "
                    "dropping it", peer_id, self.stall_timeout)
        self.forget(peer_id)
        ws.close(-1)  # no close frame: it could not get past what the peer does not read
        return True
