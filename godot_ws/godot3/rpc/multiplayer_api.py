"""Godot 3's ``MultiplayerAPI``: rpc/rset over a multiplayer peer, byte-compatible with 3.2.3.

Owns Godot 3's RPC semantics (core/io/multiplayer_api.cpp, 3.2 branch; RPC3.md sections 2-4):
the path caches (our ids from 1, SIMPLIFY_PATH to each peer that has not confirmed, the
full-path form until it does, one broadcast packet once all have, CONFIRM_PATH replies, caches
dropped when a peer leaves), the receiver's mode check (``_can_call_mode``), the sender's local
call (``_should_call_local``), targets 0 / N / -N, RAW packets (``send_bytes``), and the six
signals. Bad input is logged with Godot's wording and dropped. The bytes are codec3.py's;
the peer, registry and poll loop are the shared dispatcher's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar

from ...core.constants import ConnectionStatus, Error, TransferMode
from ...core.constants import MAX_CACHED_PATHS, MAX_PATH_BYTES, MAX_UNKNOWN_PATH_BYTES
from ...core.logtext import clean
from ...common.netlog import PeerLog
from ...common.signals import Signal
from . import codec3 as codec
from .codec3 import NetworkCommand, RPCPacketError
from ...common.rpc_registry import call_error_text
from .dispatcher import MultiplayerDispatcher
from .modes import RPCMode, method_config, property_config

__all__ = [
    "MultiplayerAPI",
    "NETWORK_COMMAND_CONFIRM_PATH",
    "NETWORK_COMMAND_RAW",
    "NETWORK_COMMAND_REMOTE_CALL",
    "NETWORK_COMMAND_REMOTE_SET",
    "NETWORK_COMMAND_SIMPLIFY_PATH",
    "can_call_mode",
    "should_call_local",
]

log = logging.getLogger("godot_ws.rpc.multiplayer_api")  # the name README documents

NETWORK_COMMAND_REMOTE_CALL = NetworkCommand.NETWORK_COMMAND_REMOTE_CALL
NETWORK_COMMAND_REMOTE_SET = NetworkCommand.NETWORK_COMMAND_REMOTE_SET
NETWORK_COMMAND_SIMPLIFY_PATH = NetworkCommand.NETWORK_COMMAND_SIMPLIFY_PATH
NETWORK_COMMAND_CONFIRM_PATH = NetworkCommand.NETWORK_COMMAND_CONFIRM_PATH
NETWORK_COMMAND_RAW = NetworkCommand.NETWORK_COMMAND_RAW

_CONNECTED = ConnectionStatus.CONNECTION_CONNECTED
_RELIABLE = TransferMode.TRANSFER_MODE_RELIABLE
_OK = Error.OK
_UNRELIABLE = TransferMode.TRANSFER_MODE_UNRELIABLE
_NO_OVERRIDES: dict[str, Any] = {}


def should_call_local(mode: int, is_master: bool) -> tuple[bool, bool]:
    """Godot's ``_should_call_local``: (call locally, skip the network send)."""
    if mode == RPCMode.MASTERSYNC:
        return True, is_master
    if mode in (RPCMode.REMOTESYNC, RPCMode.PUPPETSYNC):
        return True, False
    if mode == RPCMode.MASTER:
        return is_master, is_master
    if mode == RPCMode.PUPPET:
        return not is_master, False
    return False, False


def can_call_mode(mode: int, is_master: bool, master: int, sender: int) -> bool:
    """Godot's ``_can_call_mode`` on the receiver."""
    if mode in (RPCMode.REMOTE, RPCMode.REMOTESYNC):
        return True
    if mode in (RPCMode.MASTER, RPCMode.MASTERSYNC):
        return is_master
    if mode in (RPCMode.PUPPET, RPCMode.PUPPETSYNC):
        return not is_master and sender == master
    return False


def _master_of(node: object) -> int:
    get = getattr(node, "get_network_master", None)
    return int(get()) if get is not None else 1


def _rpc_mode(node: object, method: str) -> int:
    mode = method_config(node, method, getattr(node, "_rpc_modes", _NO_OVERRIDES))
    return int(mode) if mode is not None else RPCMode.DISABLED


def _rset_mode(node: object, prop: str) -> int:
    mode = property_config(node, prop, getattr(node, "_rset_modes", _NO_OVERRIDES))
    return int(mode) if mode is not None else RPCMode.DISABLED


def _put(peer: Any, packet: bytes) -> None:
    # Godot ignores put_packet's result here; a full output buffer would then lose the call
    # without a word, so at least say so (the peer has already logged why).
    err = peer.put_packet(packet)
    if err != _OK:
        log.error("RPC packet of %d bytes not sent: %s", len(packet), Error(err).name)


class _SentPath:
    """``PathSentCache``: our id for a path and which peers have it (True once confirmed)."""

    __slots__ = ("id", "confirmed")

    def __init__(self, cache_id: int) -> None:
        self.id = cache_id
        self.confirmed: dict[int, bool] = {}


class MultiplayerAPI(MultiplayerDispatcher):
    """Godot 3.2's MultiplayerAPI. Signals (Godot's order and arguments):
    ``network_peer_connected(id)``, ``network_peer_disconnected(id)``,
    ``network_peer_packet(id, packet)``, ``connected_to_server()``, ``connection_failed()``,
    ``server_disconnected()``. Call ``poll()`` once per frame (it polls the peer)."""

    PEER_SIGNALS: ClassVar[dict[str, str]] = {
        "peer_connected": "_add_peer",
        "peer_disconnected": "_del_peer",
        "connection_succeeded": "_connected_to_server",
        "connection_failed": "_connection_failed",
        "server_disconnected": "_server_disconnected",
    }

    RPC_MODE_DISABLED = RPCMode.DISABLED
    RPC_MODE_REMOTE = RPCMode.REMOTE
    RPC_MODE_MASTER = RPCMode.MASTER
    RPC_MODE_PUPPET = RPCMode.PUPPET
    RPC_MODE_SLAVE = RPCMode.SLAVE
    RPC_MODE_REMOTESYNC = RPCMode.REMOTESYNC
    RPC_MODE_SYNC = RPCMode.SYNC
    RPC_MODE_MASTERSYNC = RPCMode.MASTERSYNC
    RPC_MODE_PUPPETSYNC = RPCMode.PUPPETSYNC

    def __init__(self) -> None:
        super().__init__()
        self.network_peer_connected = Signal("network_peer_connected")
        self.network_peer_disconnected = Signal("network_peer_disconnected")
        self.network_peer_packet = Signal("network_peer_packet")
        self.connected_to_server = Signal("connected_to_server")
        self.connection_failed = Signal("connection_failed")
        self.server_disconnected = Signal("server_disconnected")
        self._get_cache: dict[int, dict[int, str]] = {}  # sender -> its id -> wire path
        self._unknown_bytes: dict[int, int] = {}  # sender -> bytes of cached paths of no node
        self.netlog = PeerLog(log)  #: network-caused log lines, rate-limited per peer
        self._send_cache: dict[str, _SentPath] = {}  # wire path -> our id and confirmations
        self._last_send_cache_id = 1
        self._departed: list[int] = []  # peers that left during this poll

    # ------------------------------------------------------------------ state

    def clear(self) -> None:
        """Forget connected peers and both path caches; the next path gets id 1."""
        super().clear()
        self._get_cache.clear()
        self._unknown_bytes.clear()
        self._send_cache.clear()
        self._last_send_cache_id = 1
        self._departed.clear()
        self.netlog.clear()

    def _end_of_poll(self) -> None:
        for peer_id in self._departed:
            if peer_id not in self._connected_peers:
                self._get_cache.pop(peer_id, None)
                self._unknown_bytes.pop(peer_id, None)
                self.netlog.forget(peer_id)
        self._departed.clear()

    def is_network_server(self) -> bool:
        """True when the peer is a server (a ``WebSocketServer``)."""
        peer = self._network_peer
        return peer is not None and hasattr(peer, "listen")

    def is_refusing_new_network_connections(self) -> bool:
        """The network peer's ``refuse_new_connections`` (False and an error logged with no
        peer)."""
        if self._network_peer is None:
            log.error("No network peer is assigned. Unable to get 'refuse_new_connections'.")
            return False
        return bool(self._network_peer.is_refusing_new_connections())

    def set_refuse_new_network_connections(self, refuse: bool) -> None:
        """Set the network peer's ``refuse_new_connections`` (an error is logged with no peer)."""
        if self._network_peer is None:
            log.error("No network peer is assigned. Unable to set 'refuse_new_connections'.")
            return
        self._network_peer.set_refuse_new_connections(refuse)

    refuse_new_network_connections = property(is_refusing_new_network_connections,
                                              set_refuse_new_network_connections)

    def is_object_decoding_allowed(self) -> bool:
        """Whether RPC arguments may decode full objects (``allow_object_decoding``, default
        False)."""
        return self.allow_object_decoding

    def set_allow_object_decoding(self, enable: bool) -> None:
        """Let RPC arguments decode full objects (``GodotObject``: data only, never code)."""
        self.allow_object_decoding = bool(enable)

    def _objects(self) -> bool:
        peer = self._network_peer
        return self.allow_object_decoding or bool(
            peer is not None and peer.is_object_decoding_allowed())

    # ------------------------------------------------------------------ peer signals

    def _add_peer(self, peer_id: int) -> None:
        self._connected_peers.add(peer_id)
        self._get_cache[peer_id] = {}
        self.network_peer_connected.emit(peer_id)

    def _del_peer(self, peer_id: int) -> None:
        self._connected_peers.discard(peer_id)
        # Its cache goes at the end of this poll, not now: its last packets are still queued
        # behind the leave (Godot drops them with "Requests invalid peer cache").
        self._departed.append(peer_id)
        for sent in self._send_cache.values():
            sent.confirmed.pop(peer_id, None)
        self.network_peer_disconnected.emit(peer_id)

    def _connected_to_server(self) -> None:
        self.connected_to_server.emit()

    def _connection_failed(self) -> None:
        self.clear()  # the connection is gone: no peer is left (Godot keeps stale ids)
        self.connection_failed.emit()

    def _server_disconnected(self) -> None:
        self.clear()
        self.server_disconnected.emit()

    # ------------------------------------------------------------------ receiving

    def _process_packet(self, sender: int, packet: bytes) -> None:
        if not packet:
            log.error("Invalid packet received. Size too small.")
            return
        command = packet[0]
        try:
            if command == NETWORK_COMMAND_SIMPLIFY_PATH:
                self._process_simplify_path(sender, packet)
            elif command == NETWORK_COMMAND_CONFIRM_PATH:
                self._process_confirm_path(sender, packet)
            elif command in (NETWORK_COMMAND_REMOTE_CALL, NETWORK_COMMAND_REMOTE_SET):
                self._process_call(sender, packet, command)
            elif command == NETWORK_COMMAND_RAW:
                if len(packet) < 2:
                    raise RPCPacketError("Invalid packet received. Size too small.")
                self.network_peer_packet.emit(sender, packet[1:])
            # Godot ignores an unknown command byte.
        except RPCPacketError as exc:
            self._protocol_error(sender, str(exc))

    def _protocol_error(self, sender: int, what: str) -> None:
        """Log a malformed packet (rate-limited per peer and kind); a server closes a client
        that keeps sending them (``PeerLog.STRIKES`` in ``PeerLog.WINDOW`` seconds)."""
        netlog = self.netlog
        netlog.error(sender, what.replace("%", "%%") + " (from peer %d)", sender)
        if netlog.strike(sender) and self.is_network_server():
            log.warning("closing peer %d (1008): %d malformed RPC packets in %g s", sender,
                        netlog.STRIKES, netlog.WINDOW)
            self._network_peer.disconnect_peer(sender, 1008, "malformed RPC packets")

    def _process_simplify_path(self, sender: int, packet: bytes) -> None:
        end = packet.find(b"\0", 5)
        if (len(packet) if end < 0 else end) - 5 > MAX_PATH_BYTES:
            # Not in Godot, which caches and echoes back any path: refused unread. The
            # sender, never confirmed, goes on with full paths, which still arrive.
            self.netlog.error(sender, "SIMPLIFY_PATH from peer %d refused: its path is over "
                              "%d bytes", sender, MAX_PATH_BYTES)
            return
        cache_id, path = codec.parse_simplify_path(packet)
        if sender not in self._connected_peers:
            return  # it left in this frame (its last packets are still handled): no reply
        cache = self._get_cache.setdefault(sender, {})
        if cache_id not in cache and len(cache) >= MAX_CACHED_PATHS:
            self.netlog.warning(sender, "SIMPLIFY_PATH from peer %d not cached: it has %d paths "
                                "cached (the limit); its RPCs to %s go by full path", sender,
                                MAX_CACHED_PATHS, clean(path))
            return
        node = self._nodes.get(path)
        if node is not None:
            cache[cache_id] = self._paths[id(node)]  # the registry's string, not a copy
        else:
            # Godot confirms even a path it cannot find: the lookup happens at call time.
            held = self._unknown_bytes.get(sender, 0) + len(path)
            if held > MAX_UNKNOWN_PATH_BYTES:
                self.netlog.warning(sender, "SIMPLIFY_PATH from peer %d not cached: %d bytes of "
                                    "paths with no node are cached for it (the limit)", sender,
                                    MAX_UNKNOWN_PATH_BYTES)
                return
            self._unknown_bytes[sender] = held
            cache[cache_id] = path
        peer = self._network_peer
        peer.set_transfer_mode(_RELIABLE)
        peer.set_target_peer(sender)
        _put(peer, codec.encode_confirm_path(path))

    def _process_confirm_path(self, sender: int, packet: bytes) -> None:
        path = codec.parse_confirm_path(packet)
        sent = self._send_cache.get(path)
        if sent is None:
            raise RPCPacketError("Invalid packet received. Tries to confirm a path which was "
                                 "not found in cache.")
        if sender not in sent.confirmed:
            raise RPCPacketError("Invalid packet received. Source peer was not found in cache "
                                 "for the given path.")
        sent.confirmed[sender] = True

    def _process_call(self, sender: int, packet: bytes, command: int) -> None:
        cache_id, path, end = codec.parse_target(packet)
        if path is None:
            cache = self._get_cache.get(sender)
            if cache is None:
                raise RPCPacketError("Invalid packet received. Requests invalid peer cache.")
            path = cache.get(cache_id)  # type: ignore[arg-type]
            if path is None:
                raise RPCPacketError("Invalid packet received. Unabled to find requested "
                                     "cached node.")
            node = self._nodes.get(path)
            if node is None:
                self.netlog.error(sender, "Failed to get cached path from RPC: %s.", clean(path))
        else:
            node = self._nodes.get(path)
            if node is None:
                self.netlog.error(sender, "Failed to get path from RPC: %s.", clean(path))
        if node is None:
            raise RPCPacketError("Invalid packet received. Requested node was not found.")
        name, offset = codec.parse_name(packet, end)
        is_call = command == NETWORK_COMMAND_REMOTE_CALL
        if offset >= end:
            raise RPCPacketError("Invalid packet received. Size too small.")
        mode = _rpc_mode(node, name) if is_call else _rset_mode(node, name)
        master = _master_of(node)
        is_master = master == self.get_network_unique_id()
        if not can_call_mode(mode, is_master, master, sender):
            what = "RPC" if is_call else "RSET"
            self.netlog.error(sender, "%s '%s' is not allowed on node %s from: %d. Mode is %d, "
                              "master is %d.", what, clean(name), self.absolute_path(path),
                              sender, mode, master, kind=(what, name))
            return
        objects = self._objects()
        if not is_call:
            value = codec.decode_value(packet, offset, end, objects)
            if not hasattr(node, name):
                self.netlog.error(sender, "Error setting remote property '%s', not found in "
                                  "object of type %s.", clean(name), type(node).__name__)
                return
            try:
                setattr(node, name, value)
            except Exception:
                self.netlog.exception(sender, "Error setting remote property '%s' on %s", name,
                                      self.absolute_path(path))
            return
        args = codec.decode_args(packet, offset, end, objects)
        try:
            ok, error = self._call_local(node, name, args, sender)
        except Exception as exc:
            # A peer can make a handler raise: its tracebacks are rate-limited too.
            self.netlog.exception(sender, "RPC - %s", call_error_text(
                node, name, f"{type(exc).__name__}: {clean(str(exc))}"), kind=name)
            return
        if not ok:
            self.netlog.error(sender, "RPC - %s", error, kind=name)

    # ------------------------------------------------------------------ sending

    def rpcp(self, node: object, peer_id: int, unreliable: bool, method: str,
             args: Sequence[Any]) -> None:
        """Godot's ``rpcp``: send ``method(*args)`` on ``node`` to ``peer_id`` (0 all, N
        one, -N all but N) and call it here too when its mode says so."""
        self._rpcp(node, peer_id, unreliable, False, method, tuple(args))

    def rsetp(self, node: object, peer_id: int, unreliable: bool, prop: str,
              value: Any) -> None:
        """Godot's ``rsetp``: set ``prop`` on ``node`` at ``peer_id``'s end (and here too
        when its mode says so)."""
        self._rpcp(node, peer_id, unreliable, True, prop, (value,))

    def _rpcp(self, node: object, peer_id: int, unreliable: bool, is_set: bool, name: str,
              args: tuple[Any, ...]) -> None:
        if not isinstance(name, str):
            raise TypeError(f"the method/property name must be str, not {type(name).__name__}")
        if not isinstance(peer_id, int):
            raise TypeError(f"peer_id must be int, not {type(peer_id).__name__}")
        if self._network_peer is None:
            log.error("Trying to RSET while no network peer is active." if is_set else
                      "Trying to call an RPC while no network peer is active.")
            return
        wire = self._paths.get(id(node))
        if wire is None:
            log.error("Trying to RSET on a node which is not inside SceneTree." if is_set else
                      "Trying to call an RPC on a node which is not inside SceneTree.")
            return
        if not self._is_connected():
            log.error("Trying to send an RSET via a network peer which is not connected."
                      if is_set else
                      "Trying to call an RPC via a network peer which is not connected.")
            return
        own_id = self.get_network_unique_id()
        skip = peer_id == own_id
        call_local = False
        if peer_id == 0 or peer_id == own_id or (peer_id < 0 and peer_id != -own_id):
            mode = _rset_mode(node, name) if is_set else _rpc_mode(node, name)
            call_local, skip_send = should_call_local(mode, _master_of(node) == own_id)
            skip = skip or skip_send
        if is_set:
            # Godot sets locally first, then sends.
            if call_local:
                if not hasattr(node, name):
                    log.error("rset() aborted in local set, property not found:  - %s.", name)
                    return
                saved = self._rpc_sender_id
                self._rpc_sender_id = own_id
                try:
                    setattr(node, name, args[0])
                finally:
                    self._rpc_sender_id = saved
            if skip:
                if not call_local:
                    log.error("RSET for '%s' on yourself is not allowed by selected mode.",
                              name)
                return
            self._send_rpc(wire, peer_id, unreliable, True, name, args)
            return
        if not skip:
            self._send_rpc(wire, peer_id, unreliable, False, name, args)
        if call_local:
            ok, error = self._call_local(node, name, args, own_id)
            if not ok:
                log.error("rpc() aborted in local call:  - %s.", error)
                return
        if skip and not call_local:
            log.error("RPC '%s' on yourself is not allowed by selected mode.", name)

    def _send_rpc(self, wire: str, to: int, unreliable: bool, is_set: bool, name: str,
                  args: tuple[Any, ...]) -> None:
        peer = self._network_peer
        if len(args) > 255:
            log.error("Too many arguments >255.")
            return
        if to != 0 and abs(to) not in self._connected_peers:
            if to == peer.get_unique_id():
                log.error("Attempt to remote call/set yourself! unique ID: %d.", to)
            else:
                log.error("Attempt to remote call unexisting ID: %d.", to)
            return
        sent = self._send_cache.get(wire)
        cache_id = self._last_send_cache_id if sent is None else sent.id
        command = NETWORK_COMMAND_REMOTE_SET if is_set else NETWORK_COMMAND_REMOTE_CALL
        # Encode first: a value with no Variant form raises before anything is sent or cached.
        packet = codec.encode_call(command, cache_id, name, args, self._objects())
        if sent is None:
            sent = self._send_cache[wire] = _SentPath(cache_id)
            self._last_send_cache_id += 1
        targets = [p for p in sorted(self._connected_peers)
                   if not (to < 0 and p == -to) and not (to > 0 and p != to)]
        has_all = True
        for target in targets:
            state = sent.confirmed.get(target)
            if state is None:
                peer.set_target_peer(target)
                peer.set_transfer_mode(_RELIABLE)
                _put(peer, codec.encode_simplify_path(sent.id, wire))
                sent.confirmed[target] = False
            if not state:
                has_all = False
        peer.set_transfer_mode(_UNRELIABLE if unreliable else _RELIABLE)
        if has_all:
            peer.set_target_peer(to)
            _put(peer, packet)
            return
        full = codec.with_full_path(packet, wire)
        for target in targets:
            peer.set_target_peer(target)
            _put(peer, packet if sent.confirmed.get(target) else full)

    def send_bytes(self, data: bytes | bytearray | memoryview, id: int = 0,  # noqa: A002
                   mode: int = _RELIABLE) -> Error:
        """Send ``data`` as a RAW packet to ``id`` (0 all, N one, -N all but N); it arrives
        as ``network_peer_packet(sender, data)``."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"send_bytes takes bytes, not {type(data).__name__}")
        if len(data) < 1:
            log.error("Trying to send an empty raw packet.")
            return Error.ERR_INVALID_DATA
        peer = self._network_peer
        if peer is None:
            log.error("Trying to send a raw packet while no network peer is active.")
            return Error.ERR_UNCONFIGURED
        if peer.get_connection_status() != _CONNECTED:
            log.error("Trying to send a raw packet via a network peer which is not connected.")
            return Error.ERR_UNCONFIGURED
        peer.set_target_peer(id)
        peer.set_transfer_mode(mode)
        return Error(peer.put_packet(codec.encode_raw(bytes(data))))
