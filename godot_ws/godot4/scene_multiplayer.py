"""Godot 4's ``SceneMultiplayer`` (also ``MultiplayerAPI``): the high-level multiplayer on top
of any 4.x ``MultiplayerPeer``'s packet API (modules/multiplayer/scene_multiplayer.cpp).

Owns the connected-peer set, the connection signals, authentication (``auth_callback``,
``send_auth``, ``complete_auth``, ``auth_timeout``; in ``_scene_auth``), the SYS commands
(ADD_PEER, DEL_PEER: the peer set is ``_scene_peers``; RELAY: the server relays
client-to-client traffic), RAW packets (``send_bytes`` /
``peer_packet``), the ``Node`` tree, and the dispatch of received commands to the path cache
(``_scene_cache``), RPCs (``_scene_rpc``) and replication (``_replication``). It touches no
connection or socket: only ``put_packet``/``get_packet``/``get_packet_peer``/``set_target_peer``.

``poll()`` never raises for received bytes: a malformed packet is logged (logger
``godot_ws.godot4.multiplayer``) and dropped, as Godot's ``ERR_FAIL`` macros do.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from ..core.constants import ConnectionStatus, Error, TransferMode
from ..common.signals import Signal
from ._scene_cache import SceneCache
from ._replication_api import ReplicationAPI
from ._scene_peers import ScenePeers
from ._scene_rpc import SceneRPC
from ._scene_wire import (
    CMD_MASK,
    SYS_CMD_SIZE,
    NetworkCommand,
    SysCommand,
    decode_sys,
    raw_packet,
    sys_packet,
)
from .multiplayer_peer import MultiplayerPeer, OfflineMultiplayerPeer
from .node import Node
from .rpc_config import RPCMode

__all__ = ["SceneMultiplayer", "MultiplayerAPI"]

log = logging.getLogger("godot_ws.godot4.multiplayer")

_CONNECTED = ConnectionStatus.CONNECTION_CONNECTED
_CONNECTING = ConnectionStatus.CONNECTION_CONNECTING
_DISCONNECTED = ConnectionStatus.CONNECTION_DISCONNECTED
_RELIABLE = TransferMode.TRANSFER_MODE_RELIABLE


class SceneMultiplayer(ReplicationAPI, ScenePeers):
    """Godot 4's SceneMultiplayer. Call ``poll()`` once per frame (SceneTree does in Godot).

    Signals: ``peer_connected(id)``, ``peer_disconnected(id)``, ``connected_to_server``,
    ``connection_failed``, ``server_disconnected``, ``peer_packet(id, bytes)``,
    ``peer_authenticating(id)``, ``peer_authentication_failed(id)``.
    """

    RPC_MODE_DISABLED = RPCMode.RPC_MODE_DISABLED
    RPC_MODE_ANY_PEER = RPCMode.RPC_MODE_ANY_PEER
    RPC_MODE_AUTHORITY = RPCMode.RPC_MODE_AUTHORITY

    def __init__(self, root_path: str = "/root") -> None:
        self.peer_connected = Signal("peer_connected")
        self.peer_disconnected = Signal("peer_disconnected")
        self.connected_to_server = Signal("connected_to_server")
        self.connection_failed = Signal("connection_failed")
        self.server_disconnected = Signal("server_disconnected")
        self.peer_packet = Signal("peer_packet")
        self.peer_authenticating = Signal("peer_authenticating")
        self.peer_authentication_failed = Signal("peer_authentication_failed")
        self._last_status = _DISCONNECTED
        self._remote_sender_id = 0
        self._remote_sender_override = 0
        super().__init__(root_path)
        self._cache = SceneCache(self)
        self._rpc = SceneRPC(self, self._cache)
        self._start_replication(self._cache)
        self.set_multiplayer_peer(OfflineMultiplayerPeer())

    # ------------------------------------------------------------------ the peer

    def get_multiplayer_peer(self) -> MultiplayerPeer | None:
        """The multiplayer peer (an ``OfflineMultiplayerPeer`` until one is set, or None)."""
        return self._peer

    def set_multiplayer_peer(self, peer: MultiplayerPeer | None) -> None:
        """Use ``peer`` (connecting or connected), or None. Godot refuses a disconnected one."""
        if peer is self._peer:
            return
        if peer is not None and not isinstance(peer, MultiplayerPeer):
            raise TypeError(f"peer must be a godot4 MultiplayerPeer, not {type(peer).__name__}")
        if peer is not None and peer.get_connection_status() == _DISCONNECTED:
            log.error("Supplied MultiplayerPeer must be connecting or connected.")
            return
        if self._peer is not None:
            self._peer.peer_connected.disconnect(self._add_peer)
            self._peer.peer_disconnected.disconnect(self._del_peer)
            self._peer._relay_gate = None
            self.clear()
        self._peer = peer
        if peer is not None:
            peer.peer_connected.connect(self._add_peer)
            peer.peer_disconnected.connect(self._del_peer)
            peer._relay_gate = self._relay_gate
        self._update_status()

    multiplayer_peer = property(get_multiplayer_peer, set_multiplayer_peer)

    def has_multiplayer_peer(self) -> bool:
        """Whether a multiplayer peer is set."""
        return self._peer is not None

    def _update_status(self) -> None:
        peer = self._peer
        status = peer.get_connection_status() if peer is not None else _DISCONNECTED
        if status != self._last_status:
            if status == _DISCONNECTED:
                if self._last_status == _CONNECTING:
                    self.connection_failed.emit()
                else:
                    self.server_disconnected.emit()
                self.clear()
            self._last_status = status

    def clear(self) -> None:
        """Forget every peer, pending authentication and path cache entry."""
        self._last_status = _DISCONNECTED
        self._pending.clear()
        self.connected_peers.clear()
        self._leaving.clear()
        self._replication.on_reset()
        self._cache.clear()
        self.netlog.clear()

    # ------------------------------------------------------------------ poll

    def poll(self) -> Error:
        """Poll the peer, then handle every packet it queued. Never raises for network input."""
        self._update_status()
        if self._last_status == _DISCONNECTED:
            return Error.OK
        peer = self._peer
        assert peer is not None
        peer.poll()
        self._update_status()
        if self._last_status != _CONNECTED:
            return Error.OK
        while peer.get_available_packet_count():
            sender = peer.get_packet_peer()
            channel = peer.get_packet_channel()
            mode = peer.get_packet_mode()
            packet = peer.get_packet()
            try:
                self._handle(sender, packet, mode, channel)
            except Exception:  # a bug here must not take the game loop down
                self.netlog.exception(sender, "multiplayer: dropped a %d-byte packet from "
                                      "peer %d", len(packet), sender)
            self._update_status()
            if self._last_status != _CONNECTED:
                return Error.OK
        if self._pending and self._auth_timeout:
            now = time.monotonic()
            late = [pid for pid, p in self._pending.items() if p.time + self._auth_timeout <= now]
            for pid in late:
                peer.disconnect_peer(pid)
            for pid in late:
                if self._pending.pop(pid, None) is not None:
                    self.peer_authentication_failed.emit(pid)
        self._update_status()
        self._network_process()  # replication's SYNC and DELTA, when connected
        return Error.OK

    def _handle(self, sender: int, packet: bytes, mode: int, channel: int) -> None:
        pending = self._pending.get(sender)
        if pending is not None:
            if len(packet) < 2 or packet[0] & CMD_MASK != NetworkCommand.SYS \
                    or packet[1] != SysCommand.AUTH:
                self.netlog.error(sender, "multiplayer: dropped a packet from peer %d, which "
                                  "is still authenticating", sender)
                return
            if len(packet) > 2:
                if self._auth_callback is None:
                    return
                try:
                    self._auth_callback(sender, packet[2:])
                except Exception:
                    self.netlog.exception(sender, "Failed to call authentication callback")
            else:
                pending.remote = True
                if pending.local:
                    del self._pending[sender]
                    self._admit_peer(sender)
            return
        if sender not in self.connected_peers:
            self.netlog.error(sender, "multiplayer: dropped a packet from unknown peer %d",
                              sender)
            return
        if packet and packet[0] & CMD_MASK == NetworkCommand.SYS:
            if len(packet) > 1 and packet[1] == SysCommand.AUTH:
                if len(packet) != 2:
                    self.netlog.error(sender, "multiplayer: dropped auth data from peer %d, "
                                      "already admitted", sender)
                return  # a late "completed" from a peer admitted here already
            self._process_sys(sender, packet, mode, channel)
        else:
            self._remote_sender_id = sender
            try:
                self._process_packet(sender, packet)
            finally:
                self._remote_sender_id = 0

    def _process_packet(self, sender: int, packet: bytes) -> None:
        if not packet:
            self._protocol_error(sender, "Invalid packet received. Size too small.")
            return
        command = packet[0] & CMD_MASK
        try:
            if command == NetworkCommand.SIMPLIFY_PATH:
                self._cache.process_simplify_path(sender, packet)
            elif command == NetworkCommand.CONFIRM_PATH:
                self._cache.process_confirm_path(sender, packet)
            elif command == NetworkCommand.REMOTE_CALL:
                self._rpc.process_rpc(sender, packet)
            elif command == NetworkCommand.RAW:
                if len(packet) < 2:
                    self._protocol_error(sender, "Invalid packet received. Size too small.")
                    return
                self.peer_packet.emit(sender, packet[1:])
            elif command in (NetworkCommand.SPAWN, NetworkCommand.DESPAWN, NetworkCommand.SYNC):
                # MultiplayerSpawner / MultiplayerSynchronizer are not ported.
                self._replication.receive(command, sender, packet)
            else:
                self._protocol_error(sender, "Invalid network command from %d", sender)
        except ValueError as exc:
            self._protocol_error(sender, "multiplayer: packet from peer %d dropped: %s", sender,
                                 exc)

    def _process_sys(self, sender: int, packet: bytes, mode: int, channel: int) -> None:
        if len(packet) < SYS_CMD_SIZE:
            self._protocol_error(sender, "Invalid packet received. Size too small.")
            return
        command, target = decode_sys(packet)
        peer = self._peer
        assert peer is not None
        relay = self.server_relay and peer.is_server_relay_supported()
        me = self.get_unique_id()
        if command in (SysCommand.ADD_PEER, SysCommand.DEL_PEER):
            if not relay or me == 1 or sender != 1:
                self._protocol_error(sender, "multiplayer: dropped a SYS %s from peer %d: only "
                                     "the server sends it, and only with server_relay on",
                                     SysCommand(command).name, sender)
                return
            self._peer_sys(sender, command, target)
        elif command == SysCommand.RELAY:
            if not relay:
                self.netlog.error(sender, "multiplayer: dropped a RELAY from peer %d: "
                                  "server_relay is off", sender)
                return
            if len(packet) < SYS_CMD_SIZE + 1:
                self._protocol_error(sender, "multiplayer: dropped an empty RELAY from peer %d",
                                     sender)
                return
            inner = packet[SYS_CMD_SIZE:]
            source = sender
            if me == 1:
                if target > 0 and target not in self.connected_peers:
                    return  # the target may have left while the packet was in transit (4.3+)
                out = sys_packet(SysCommand.RELAY, sender, inner)
                peer.set_transfer_mode(mode)
                peer.set_transfer_channel(channel)
                if target > 0:
                    peer.set_target_peer(target)
                    peer.put_packet(out)
                    return
                for pid in list(self.connected_peers):
                    if pid == sender or pid == -target:
                        continue
                    peer.set_target_peer(pid)
                    peer.put_packet(out)
                if target == -1:
                    return  # the server is the excluded one
            else:
                if sender != 1:
                    self._protocol_error(sender, "multiplayer: dropped a RELAY from peer %d (not "
                                         "the server)", sender)
                    return
                source = target
            self._remote_sender_id = source
            try:
                self._process_packet(source, inner)
            finally:
                self._remote_sender_id = 0
        else:
            self._protocol_error(sender, "multiplayer: dropped a SYS packet with unknown "
                                 "command %d from peer %d", command, sender)

    def _relay_gate(self, sender: int, packet: bytes) -> bool:
        """The peer asks before taking ``sender``'s next packet: a RELAY waits in its
        sender's queue until every target has room (the sender is pushed back, as the 3.x
        relay does), so relayed and the host's own reliable packets are not lost."""
        if (len(packet) <= SYS_CMD_SIZE or packet[0] & CMD_MASK != NetworkCommand.SYS
                or packet[1] != SysCommand.RELAY or sender not in self.connected_peers
                or not self.server_relay or self.get_unique_id() != 1):
            return True
        target = decode_sys(packet)[1]
        peer = self._peer
        assert peer is not None
        if target > 0:
            return target not in self.connected_peers or peer._has_room(target, len(packet))
        rooms = [peer._has_room(pid, len(packet)) for pid in self.connected_peers
                 if pid != sender and pid != -target]
        return all(rooms)  # every target asked: each one's stall is timed

    def is_server(self) -> bool:
        """Whether this peer is the server (id 1)."""
        return self.get_unique_id() == MultiplayerPeer.TARGET_PEER_SERVER

    def get_remote_sender_id(self) -> int:
        """Who sent the RPC or packet being handled (this peer's id inside a call_local call),
        else 0."""
        return self._remote_sender_override or self._remote_sender_id

    # ------------------------------------------------------------------ sending

    def send_command(self, to: int, packet: bytes) -> Error:
        """Send one SceneMultiplayer packet to ``to`` with the peer's current transfer mode;
        a client wraps it in RELAY for anyone but the server (``send_command``)."""
        peer = self._peer
        assert peer is not None
        if self.server_relay and self.get_unique_id() != 1 and to != 1 \
                and peer.is_server_relay_supported():
            peer.set_target_peer(1)
            return peer.put_packet(sys_packet(SysCommand.RELAY, to, packet))
        if to > 0:
            if to not in self.connected_peers:
                log.error("send_command: peer %d is not connected", to)
                return Error.ERR_BUG
            peer.set_target_peer(to)
            return peer.put_packet(packet)
        result = Error.OK  # unlike Godot, a send that failed is the call's result
        for pid in list(self.connected_peers):
            if to and pid == -to:
                continue
            peer.set_target_peer(pid)
            err = peer.put_packet(packet)
            if result == Error.OK:
                result = err
        return result

    def send_bytes(self, data: bytes | bytearray | memoryview, id: int = 0,  # noqa: A002
                   mode: int = _RELIABLE, channel: int = 0) -> Error:
        """Send raw bytes (``03`` + data); the receiver gets ``peer_packet(sender, data)``."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"send_bytes takes bytes, not {type(data).__name__}")
        if not data:
            log.error("Trying to send an empty raw packet.")
            return Error.ERR_INVALID_DATA
        if self._peer is None:
            log.error("Trying to send a raw packet while no multiplayer peer is active.")
            return Error.ERR_UNCONFIGURED
        if self._peer.get_connection_status() != _CONNECTED:
            log.error("Trying to send a raw packet via a multiplayer peer which is not "
                      "connected.")
            return Error.ERR_UNCONFIGURED
        self._peer.set_transfer_channel(channel)
        self._peer.set_transfer_mode(mode)
        return self.send_command(id, raw_packet(bytes(data)))

    # ------------------------------------------------------------------ RPC and the tree

    def rpcp(self, node: Node, peer_id: int, method: str, args: Sequence[Any]) -> Error:
        """Send an RPC of ``node``'s ``method`` with ``args`` to ``peer_id`` (0 everyone, N one
        peer, -N everyone but N); what ``Node.rpc`` and ``rpc_id`` call."""
        return self._rpc.rpcp(node, peer_id, method, args)

    def rpc(self, peer: int, object: Node, method: str,  # noqa: A002
            arguments: Sequence[Any] = ()) -> Error:
        """MultiplayerAPI.rpc(peer, object, method, arguments)."""
        return self._rpc.rpcp(object, peer, method, list(arguments))

    def get_rpc_md5(self, node: Node) -> str:
        """The checksum of ``node``'s RPC method names that both sides compare when confirming a
        path."""
        return self._rpc.table(node).md5

    def remove_node(self, node: Node) -> None:
        super().remove_node(node)
        self._cache.remove_node(node)
        self._rpc.forget(node)

    def rpc_config_changed(self, node: Node) -> None:
        """Forget ``node``'s cached RPC table after ``rpc_config`` (Godot caches it; here the change
        takes effect)."""
        self._rpc.forget(node)


MultiplayerAPI = SceneMultiplayer
"""Godot 4's abstract base name; SceneMultiplayer is its only implementation here."""
