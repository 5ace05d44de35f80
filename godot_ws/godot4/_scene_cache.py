"""Godot 4 SceneMultiplayer's node path cache (modules/multiplayer/scene_cache_interface.cpp).

Owns, per SceneMultiplayer: which cache id this side gave each node it sent (one counter from 1,
the same id for every peer), which peers confirmed which node, and the ids other peers gave
nodes here. Sends SIMPLIFY_PATH and answers with CONFIRM_PATH (4.3+ form) through the
multiplayer's ``send_command``; never touches a socket.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..core.constants import Error, TransferMode
from ._scene_wire import (
    confirm_path_packet,
    decode_confirm_path,
    decode_simplify_path,
    simplify_path_packet,
)

if TYPE_CHECKING:
    from .node import Node
    from .scene_multiplayer import SceneMultiplayer

__all__ = ["SceneCache"]

log = logging.getLogger("godot_ws.godot4.multiplayer")


class _NodeCache:
    __slots__ = ("cache_id", "confirmed_peers", "recv_ids")

    def __init__(self) -> None:
        self.cache_id = 0
        self.confirmed_peers: dict[int, bool] = {}
        self.recv_ids: dict[int, int] = {}


class _PeerInfo:
    __slots__ = ("recv_nodes", "sent_nodes")

    def __init__(self) -> None:
        self.recv_nodes: dict[int, tuple[Node | None, str]] = {}
        self.sent_nodes: set[int] = set()  # id() of the nodes


class SceneCache:
    """SceneCacheInterface: one per SceneMultiplayer."""

    def __init__(self, multiplayer: SceneMultiplayer) -> None:
        self.multiplayer = multiplayer
        self.peers_info: dict[int, _PeerInfo] = {}
        self.nodes_cache: dict[int, _NodeCache] = {}  # by id(node)
        self.assigned_ids: dict[int, Node] = {}
        self.last_send_cache_id = 1

    def clear(self) -> None:
        self.peers_info.clear()
        self.nodes_cache.clear()
        self.assigned_ids.clear()
        self.last_send_cache_id = 1

    def on_peer_change(self, peer: int, connected: bool) -> None:
        if connected:
            self.peers_info[peer] = _PeerInfo()
            return
        info = self.peers_info.pop(peer, None)
        if info is None:
            return
        for node, _path in info.recv_nodes.values():
            cache = self.nodes_cache.get(id(node)) if node is not None else None
            if cache is not None:
                cache.recv_ids.pop(peer, None)
        for key in info.sent_nodes:
            cache = self.nodes_cache.get(key)
            if cache is not None:
                cache.confirmed_peers.pop(peer, None)

    def remove_node(self, node: Node) -> None:
        """The node left the tree (``_remove_node_cache``)."""
        cache = self.nodes_cache.pop(id(node), None)
        if cache is None:
            return
        if cache.cache_id:
            self.assigned_ids.pop(cache.cache_id, None)
        for peer in cache.confirmed_peers:
            info = self.peers_info.get(peer)
            if info is not None:
                info.sent_nodes.discard(id(node))

    def _track(self, node: Node) -> _NodeCache:
        cache = self.nodes_cache.get(id(node))
        if cache is None:
            cache = self.nodes_cache[id(node)] = _NodeCache()
        return cache

    # ------------------------------------------------------------------ receiving

    def process_simplify_path(self, sender: int, packet: bytes) -> None:
        info = self.peers_info.get(sender)
        if info is None:
            log.error("SIMPLIFY_PATH from unknown peer %d dropped", sender)
            return
        md5, cache_id, path = decode_simplify_path(packet)
        if cache_id in info.recv_nodes:
            log.error("Duplicate remote cache ID %d for peer %d", cache_id, sender)
            return
        node = self.multiplayer.get_node_or_null(path)
        if node is None:
            # Godot: ERR_FAIL_NULL(node): no CONFIRM_PATH is sent back.
            log.error("SIMPLIFY_PATH from peer %d: no node at path %r", sender, path)
            return
        valid = self.multiplayer.get_rpc_md5(node) == md5
        if not valid:
            log.error("The rpc node checksum failed. Make sure to have the same methods on "
                      "both nodes. Node path: %s", path)
        info.recv_nodes[cache_id] = (node, path)
        self._track(node).recv_ids[sender] = cache_id
        mp = self.multiplayer
        mp.multiplayer_peer.set_transfer_channel(0)
        mp.multiplayer_peer.set_transfer_mode(TransferMode.TRANSFER_MODE_RELIABLE)
        mp.send_command(sender, confirm_path_packet(valid, cache_id))

    def process_confirm_path(self, sender: int, packet: bytes) -> None:
        valid, cache_id = decode_confirm_path(packet)
        node = self.assigned_ids.get(cache_id)
        if node is None:
            return  # may be confirming a node that was removed
        if not valid:
            log.error("The rpc node checksum failed. Make sure to have the same methods on "
                      "both nodes. Node path: %s", node.get_path())
        cache = self.nodes_cache.get(id(node))
        if cache is None or sender not in cache.confirmed_peers:
            log.error("Invalid packet received. Tries to confirm a node which was not "
                      "requested.")
            return
        cache.confirmed_peers[sender] = True

    def get_cached_node(self, sender: int, cache_id: int) -> Node | None:
        info = self.peers_info.get(sender)
        if info is None:
            return None
        entry = info.recv_nodes.get(cache_id)
        if entry is None:
            log.error("ID %d not found in cache of peer %d.", cache_id, sender)
            return None
        node, path = entry
        if node is None or not node.is_inside_tree():
            node = self.multiplayer.get_node_or_null(path)  # fallback to the path (4.3+)
            if node is not None:
                info.recv_nodes[cache_id] = (node, path)
        if node is None:
            log.error("Failed to get cached node from peer %d with cache ID %d.", sender,
                      cache_id)
        return node

    # ------------------------------------------------------------------ sending

    def make_object_cache(self, node: Node) -> int:
        cache = self._track(node)
        if cache.cache_id == 0:
            cache.cache_id = self.last_send_cache_id
            self.last_send_cache_id += 1
            self.assigned_ids[cache.cache_id] = node
        return cache.cache_id

    def send_object_cache(self, node: Node, peer: int) -> tuple[bool, int]:
        """(every target confirmed the path, the cache id); sends SIMPLIFY_PATH to the targets
        that were never told (``send_object_cache``)."""
        cache_id = self.make_object_cache(node)
        cache = self._track(node)
        has_all = True
        to_add: list[int] = []
        if peer > 0:
            if peer not in self.peers_info:
                log.error("Peer doesn't exist: %d", peer)
                return False, cache_id
            confirmed = cache.confirmed_peers.get(peer)
            if confirmed is None:
                to_add.append(peer)
                has_all = False
            elif not confirmed:
                has_all = False
        else:
            for pid in self.peers_info:
                if peer < 0 and pid == -peer:
                    continue
                confirmed = cache.confirmed_peers.get(pid)
                if confirmed is None:
                    to_add.append(pid)
                    has_all = False
                elif not confirmed:
                    has_all = False
        if to_add:
            self._send_simplify_path(node, cache, to_add)
        return has_all, cache_id

    def is_cache_confirmed(self, node: Node, peer: int) -> bool:
        cache = self.nodes_cache.get(id(node))
        return cache is not None and cache.confirmed_peers.get(peer, False)

    def _send_simplify_path(self, node: Node, cache: _NodeCache, peers: list[int]) -> Error:
        mp = self.multiplayer
        packet = simplify_path_packet(mp.get_rpc_md5(node), cache.cache_id,
                                      mp.relative_path(node))
        for pid in peers:
            mp.multiplayer_peer.set_transfer_channel(0)
            mp.multiplayer_peer.set_transfer_mode(TransferMode.TRANSFER_MODE_RELIABLE)
            err = mp.send_command(pid, packet)
            if err != Error.OK:
                return err
            cache.confirmed_peers[pid] = False
            info = self.peers_info.get(pid)
            if info is not None:
                info.sent_nodes.add(id(node))
        return Error.OK
