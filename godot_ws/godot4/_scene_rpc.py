"""Godot 4 SceneMultiplayer's RPCs (modules/multiplayer/scene_rpc_interface.cpp).

Owns sending (``rpcp``: the sender's checks, call_local, one REMOTE_CALL per target through
``send_command``, compressed node ids once a path is confirmed) and receiving (``process_rpc``:
find the node, the method by id, the receiver's authority rule, then call it), and each node's
method table. Godot's error messages, logged; never raises for received bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..core.constants import ConnectionStatus, Error
from ..core.logtext import clean
from ..common.rpc_registry import call_error_text, check_arity
from ._scene_wire import decode_args, decode_remote_call, encode_args, remote_call_packet
from .rpc_config import RPCConfig, RPCMode, RPCTable, build_table

if TYPE_CHECKING:
    from ._scene_cache import SceneCache
    from .node import Node
    from .scene_multiplayer import SceneMultiplayer

__all__ = ["SceneRPC"]

log = logging.getLogger("godot_ws.godot4.multiplayer")

_MODE_NAMES = {0: "disabled", 1: "any_peer", 2: "authority"}


class SceneRPC:
    """SceneRPCInterface: one per SceneMultiplayer."""

    def __init__(self, multiplayer: SceneMultiplayer, cache: SceneCache) -> None:
        self.multiplayer = multiplayer
        self.cache = cache
        self._tables: dict[int, RPCTable] = {}  # by id(node)

    def table(self, node: Node) -> RPCTable:
        table = self._tables.get(id(node))
        if table is None:
            table = build_table(node.get_node_rpc_config(), node.get_rpc_config())
            self._tables[id(node)] = table
        return table

    def forget(self, node: Node) -> None:
        """The node's config changed or it left the tree (Godot keeps a stale cache here)."""
        self._tables.pop(id(node), None)

    # ------------------------------------------------------------------ receiving

    def process_rpc(self, sender: int, packet: bytes) -> None:
        call = decode_remote_call(packet)
        mp = self.multiplayer
        netlog = mp.netlog
        if call.path is not None:
            node = mp.get_node_or_null(call.path)
            if node is None:
                netlog.error(sender, "Failed to get path from RPC: %s.", clean(call.path))
        else:
            node = self.cache.get_cached_node(sender, call.node_target)
        if node is None:
            netlog.error(sender, "Invalid packet received. Requested node was not found.")
            return
        config = self.table(node).configs.get(call.method_id)
        if config is None:
            netlog.error(sender, "RPC from peer %d: node %s has no RPC method with id %d",
                         sender, node.get_path(), call.method_id)
            return
        if config.rpc_mode == RPCMode.RPC_MODE_ANY_PEER:
            allowed = True
        elif config.rpc_mode == RPCMode.RPC_MODE_AUTHORITY:
            allowed = sender == node.get_multiplayer_authority()
        else:
            allowed = False
        if not allowed:
            netlog.error(sender, "RPC '%s' is not allowed on node %s from: %d. Mode is \"%s\", "
                         "authority is %d.", config.name, node.get_path(), sender,
                         _MODE_NAMES.get(config.rpc_mode, "?"),
                         node.get_multiplayer_authority(), kind=config.name)
            return
        args = decode_args(packet, call.args_offset, call.args_end, call.raw,
                           mp.allow_object_decoding)
        self._call(node, config.name, args, "RPC - ", sender)

    def _call(self, node: Node, name: str, args: Sequence[Any], prefix: str,
              sender: int | None = None) -> bool:
        """``node.callp(name, args)``: Godot's call error text (shared with the Godot 3
        layer) when the method is missing or the argument count is wrong. A remote call's
        errors (``sender``) are rate-limited per peer: a peer can make a handler raise."""
        netlog = self.multiplayer.netlog
        method = getattr(node, name, None)
        if not callable(method):
            netlog.error(sender, "%s%s", prefix, call_error_text(node, name, "Method not found."),
                         kind=name)
            return False
        error = check_arity(node, name, method, len(args))
        if error is not None:
            netlog.error(sender, "%s%s", prefix, error, kind=name)
            return False
        try:
            method(*args)
        except Exception:
            netlog.exception(sender, "%s%s", prefix,
                             call_error_text(node, name, "the method raised"), kind=name)
            return False
        return True

    # ------------------------------------------------------------------ sending

    def rpcp(self, node: Node, peer_id: int, method: str, args: Sequence[Any]) -> Error:
        mp = self.multiplayer
        peer = mp.multiplayer_peer
        if peer is None:
            log.error("Trying to call an RPC while no multiplayer peer is active.")
            return Error.ERR_UNCONFIGURED
        if not node.is_inside_tree() or node.multiplayer is not mp:
            log.error("The object must be a valid Node inside the SceneTree")
            return Error.ERR_INVALID_PARAMETER
        if peer.get_connection_status() != ConnectionStatus.CONNECTION_CONNECTED:
            log.error("Trying to call an RPC via a multiplayer peer which is not connected.")
            return Error.ERR_CONNECTION_ERROR
        caller = mp.get_unique_id()
        table = self.table(node)
        rpc_id = table.ids.get(method)
        if rpc_id is None:
            log.error('Unable to get the RPC configuration for the function "%s" at path: "%s". '
                      "This happens when the method is missing or not marked for RPCs in the "
                      "local script.", method, node.get_path())
            return Error.ERR_INVALID_PARAMETER
        config = table.configs[rpc_id]
        if peer_id == caller and not config.call_local:
            log.error("RPC '%s' on yourself is not allowed by selected mode.", method)
            return Error.ERR_INVALID_PARAMETER
        call_local = config.call_local and (
            peer_id == 0 or peer_id == caller or (peer_id < 0 and peer_id != -caller))
        sent = Error.OK
        if peer_id != caller:
            sent = self._send_rpc(node, peer_id, rpc_id, config, args)
        if call_local:
            mp._remote_sender_override = caller
            try:
                ok = self._call(node, method, args, "rpc() aborted in local call:  - ")
            finally:
                mp._remote_sender_override = 0
            if not ok:
                return Error.FAILED
        return sent  # unlike Godot (OK), a send that failed: its output buffer was full

    def _send_rpc(self, node: Node, to: int, rpc_id: int, config: RPCConfig,
                  args: Sequence[Any]) -> Error:
        mp = self.multiplayer
        peers = mp.connected_peers
        if len(args) > 255:
            log.error("Too many arguments (>255).")
            return Error.OK  # Godot logs these and rpc() returns OK
        if to != 0 and abs(to) not in peers:
            if to == mp.get_unique_id():
                log.error("Attempt to call RPC on yourself! Peer unique ID: %d.", to)
            else:
                log.error("Attempt to call RPC with unknown peer ID: %d.", to)
            return Error.OK
        # Caller misuse (a value with no Variant type) raises before anything is sent.
        body, raw = encode_args(args, mp.allow_object_decoding)
        targets = [to] if to > 0 else [pid for pid in peers if not (to < 0 and pid == -to)]
        # A replicated node's RPCs go only to peers that can see it (is_rpc_visible).
        visible = mp._replication.is_rpc_visible
        if to > 0 and not visible(node, to):
            log.error("Attempt to call an RPC to a peer that cannot see this node. Peer ID: %d",
                      to)
            return Error.OK
        if to <= 0 and not visible(node, 0):
            targets = [pid for pid in targets if visible(node, pid)]
        if not targets:
            return Error.OK  # no one in sight (and, as in Godot, no cache id spent)
        has_all = True
        cache_id = 0
        for pid in targets:  # Godot asks peer by peer, sending SIMPLIFY_PATH where needed
            confirmed, cache_id = self.cache.send_object_cache(node, pid)
            has_all = has_all and confirmed
        peer = mp.multiplayer_peer
        peer.set_transfer_channel(config.channel)
        peer.set_transfer_mode(config.transfer_mode)
        if has_all:
            packet = remote_call_packet(cache_id, rpc_id, body, raw)
            return _first_error(mp.send_command(pid, packet) for pid in targets)
        # Not every target confirmed the path: 32-bit ids, the path for those that did not.
        by_id = remote_call_packet(cache_id, rpc_id, body, raw, wide=True)
        by_path = remote_call_packet(cache_id, rpc_id, body, raw,
                                     path=mp.relative_path(node))
        return _first_error(
            mp.send_command(pid, by_id if self.cache.is_cache_confirmed(node, pid) else by_path)
            for pid in targets)


def _first_error(errors: Iterable[Error]) -> Error:
    """Every send is made; the first failure is the result."""
    result = Error.OK
    for err in errors:
        if result == Error.OK:
            result = err
    return result
