"""Godot 4 SceneMultiplayer's peer set: who is connected, who joins and who leaves.

Owns ``connected_peers`` (admitted peers, in join order), admission (``_add_peer`` hands a
peer to authentication or admits it; ``_admit_peer`` announces ADD_PEER both ways when this
is a relaying server), departures (``_del_peer`` announces DEL_PEER to those who stay), the
server's ADD_PEER/DEL_PEER on a client, and ``netlog``, the per-peer rate limiter of the lines
peers cause. The base of ``SceneMultiplayer`` (scene_multiplayer.py), above ``SceneSettings``.

Bounds not in Godot: a mass disconnect is one pass (everyone leaving in a poll stops being
announced to before the first departure is announced: no N^2 DEL_PEERs to leavers); a
client ignores ADD_PEER/DEL_PEER for the server (1), itself and ids <= 0, a second ADD_PEER
for a peer it has, and ADD_PEER past ``MAX_PEERS`` peers.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from ..common.netlog import PeerLog
from ..common.signals import Signal
from ..core.constants import MAX_PEERS, ConnectionStatus, TransferMode
from ._scene_auth import _Pending
from ._scene_settings import SceneSettings
from ._scene_wire import SysCommand, sys_packet

if TYPE_CHECKING:
    from ._scene_cache import SceneCache

__all__ = ["ScenePeers"]

log = logging.getLogger("godot_ws.godot4.multiplayer")

_CONNECTED = ConnectionStatus.CONNECTION_CONNECTED
_RELIABLE = TransferMode.TRANSFER_MODE_RELIABLE


class ScenePeers(SceneSettings):
    """The peer-set half of ``SceneMultiplayer`` (its base class)."""

    peer_connected: Signal
    peer_disconnected: Signal
    connected_to_server: Signal
    peer_authenticating: Signal
    peer_authentication_failed: Signal
    _cache: SceneCache

    def __init__(self, root_path: str = "/root") -> None:
        super().__init__(root_path)
        self.connected_peers: dict[int, None] = {}  # insertion-ordered set, as Godot's HashSet
        self._leaving: dict[int, None] = {}  # left in this poll, peer_disconnected not yet
        #: Network-caused log lines, rate-limited per peer (godot_ws.common.netlog).
        self.netlog = PeerLog(log)

    def _add_peer(self, peer_id: int) -> None:
        if self._auth_callback is not None:
            self._pending[peer_id] = _Pending(time.monotonic())
            self.peer_authenticating.emit(peer_id)
        else:
            self._admit_peer(peer_id)

    def _admit_peer(self, peer_id: int) -> None:
        peer = self._peer
        assert peer is not None
        if self._server_relay and self.get_unique_id() == 1 and peer.is_server_relay_supported():
            # Tell the others about the new peer, and the new peer about each of the others.
            peer.set_transfer_channel(0)
            peer.set_transfer_mode(_RELIABLE)
            for pid in list(self.connected_peers):
                peer._put_system(pid, sys_packet(SysCommand.ADD_PEER, peer_id))
                peer._put_system(peer_id, sys_packet(SysCommand.ADD_PEER, pid))
        self.connected_peers[peer_id] = None
        self._peer_change(peer_id, True)
        if peer_id == 1:
            self.connected_to_server.emit()
        self.peer_connected.emit(peer_id)

    def _del_peer(self, peer_id: int) -> None:
        if peer_id in self._pending:
            del self._pending[peer_id]
            self.peer_authentication_failed.emit(peer_id)
            return
        peer = self._peer
        assert peer is not None
        connected = self.connected_peers
        # Everyone leaving in this poll stops being announced to at once (not in Godot, which
        # sends each departure to every peer, leavers too: N^2 sends for a mass disconnect).
        for pid in peer._take_departures():
            if pid != peer_id and pid in connected:
                del connected[pid]
                self._leaving[pid] = None
        if peer_id in connected:
            del connected[peer_id]
        elif peer_id in self._leaving:
            del self._leaving[peer_id]
        else:
            return
        if self._server_relay and self.get_unique_id() == 1 and peer.is_server_relay_supported():
            peer.set_transfer_channel(0)
            peer.set_transfer_mode(_RELIABLE)
            packet = sys_packet(SysCommand.DEL_PEER, peer_id)
            for pid in list(connected):
                peer._put_system(pid, packet)
        self._peer_change(peer_id, False)
        self.netlog.forget(peer_id)
        self.peer_disconnected.emit(peer_id)

    def _peer_change(self, peer_id: int, connected: bool) -> None:
        """Who else hears of a peer joining or leaving: the path cache (SceneMultiplayer's
        replication mixin adds the replicator)."""
        self._cache.on_peer_change(peer_id, connected)

    def disconnect_peer(self, peer_id: int) -> None:
        """Drop ``peer_id`` without emitting ``peer_disconnected`` here (as Godot)."""
        peer = self._peer
        if peer is None or peer.get_connection_status() != _CONNECTED:
            log.error("disconnect_peer: the multiplayer peer is not connected")
            return
        saved = (self.peer_disconnected, self.peer_authentication_failed)
        self.peer_disconnected = Signal("peer_disconnected")
        self.peer_authentication_failed = Signal("peer_authentication_failed")
        try:
            self._del_peer(peer_id)
        finally:
            self.peer_disconnected, self.peer_authentication_failed = saved
        peer.disconnect_peer(peer_id)

    def _protocol_error(self, sender: int, msg: str, *args: Any) -> None:
        """A packet no honest peer sends: logged (rate-limited per peer and kind). A server
        closes a client that sends ``PeerLog.STRIKES`` of them in ``PeerLog.WINDOW`` seconds
        (Godot logs each one and keeps the client)."""
        netlog = self.netlog
        netlog.error(sender, msg, *args)
        peer = self._peer
        if netlog.strike(sender) and peer is not None and sender != 1 \
                and peer.get_unique_id() == 1 and sender in self.connected_peers:
            log.warning("multiplayer: closing peer %d: %d malformed packets in %g s", sender,
                        netlog.STRIKES, netlog.WINDOW)
            peer.disconnect_peer(sender)

    def _peer_sys(self, sender: int, command: int, target: int) -> None:
        """The server's ADD_PEER / DEL_PEER on a client (already checked to come from it)."""
        me = self.get_unique_id()
        if target <= 1 or target == me:
            # Not in Godot: ADD_PEER(1) would fire connected_to_server again.
            self.netlog.error(sender, "multiplayer: dropped a SYS %s for peer %d from the "
                              "server (not a relayed peer's id)",
                              SysCommand(command).name, target)
        elif command == SysCommand.DEL_PEER:
            self._del_peer(target)
        elif target in self.connected_peers:
            self.netlog.error(sender, "multiplayer: dropped a SYS ADD_PEER for peer %d, "
                              "which is connected already", target)
        elif len(self.connected_peers) >= MAX_PEERS:
            self.netlog.error(sender, "multiplayer: dropped a SYS ADD_PEER for peer %d: "
                              "%d peers are connected (the limit)", target, MAX_PEERS)
        else:
            self._admit_peer(target)  # relayed peers are accepted without auth

    def get_unique_id(self) -> int:
        """This peer's id (1 for the server); 0 and an error logged with no peer."""
        if self._peer is None:
            log.error("No multiplayer peer is assigned. Unable to get unique ID.")
            return 0
        return self._peer.get_unique_id()

    def get_peers(self) -> list[int]:
        """The ids of the connected (admitted) peers, never this one's."""
        if self._peer is None:
            log.error("No multiplayer peer is assigned. Assume no peers are connected.")
            return []
        return list(self.connected_peers)

    def get_authenticating_peers(self) -> list[int]:
        """The ids of the peers still authenticating (see ``auth_callback``)."""
        return list(self._pending)
