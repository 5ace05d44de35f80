"""The receiving half of Godot 4's replicator (scene_replication_interface.cpp's
``on_spawn_receive``, ``on_despawn_receive``, ``on_sync_receive``, ``on_delta_receive``), and
the state both halves share: tracked nodes and per-peer info.

A SPAWN makes the node under the spawner's spawn node with the pending spawn set, so each
synchronizer entering the tree with it takes the next synchronizer id and its slice of the
spawn state before ``_ready`` (``_apply_pending``), as Godot does. Authority is checked on
every command; errors are Godot's messages, logged, and the packet or entry is dropped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ._replication_wire import (
    DELTA_FLAG,
    INVALID_SCENE_ID,
    PATH_ID_FLAG,
    decode_despawn,
    decode_spawn,
    decode_values,
    iter_delta,
    iter_sync,
)
from ._scene_nodes import TreeHooks
from ._scene_wire import NetworkCommand
from .spawner import MultiplayerSpawner
from .synchronizer import MultiplayerSynchronizer, set_state

if TYPE_CHECKING:
    from ._scene_cache import SceneCache
    from .node import Node
    from .scene_multiplayer import SceneMultiplayer

__all__ = ["ReplicationReceiver"]

log = logging.getLogger("godot_ws.godot4.multiplayer")


class _Tracked:
    """TrackedNode: a node a spawner or synchronizer replicates."""

    __slots__ = ("spawner", "net_id", "remote_peer", "synchronizers")

    def __init__(self) -> None:
        self.spawner: MultiplayerSpawner | None = None
        self.net_id = 0
        self.remote_peer = 0
        self.synchronizers: dict[MultiplayerSynchronizer, None] = {}  # tree (enter) order


class _PeerInfo:
    """PeerInfo: what one peer was sent and what it spawned here."""

    __slots__ = ("sync_nodes", "spawn_nodes", "last_watch_usecs", "recv_sync_ids",
                 "recv_nodes", "last_sent_sync")

    def __init__(self) -> None:
        self.sync_nodes: dict[MultiplayerSynchronizer, None] = {}
        self.spawn_nodes: dict[Node, None] = {}
        self.last_watch_usecs: dict[MultiplayerSynchronizer, int] = {}
        self.recv_sync_ids: dict[int, MultiplayerSynchronizer] = {}
        self.recv_nodes: dict[int, Node] = {}
        self.last_sent_sync = 0


class _Pending:
    """The SPAWN being applied: its node's parent and remote, the ids and state left."""

    __slots__ = ("parent", "remote", "node", "sync_ids", "buffer", "offset")

    def __init__(self, parent: Node, remote: int, sync_ids: list[int], buffer: bytes,
                 offset: int) -> None:
        self.parent = parent
        self.remote = remote
        self.node: Node | None = None
        self.sync_ids = sync_ids
        self.buffer = buffer
        self.offset = offset


class ReplicationReceiver(TreeHooks):
    """Receiving SPAWN / DESPAWN / SYNC / DELTA (the base of ``SceneReplication``)."""

    def __init__(self, multiplayer: SceneMultiplayer, cache: SceneCache) -> None:
        self.multiplayer = multiplayer
        self.cache = cache
        self.tracked: dict[Node, _Tracked] = {}
        self.peers_info: dict[int, _PeerInfo] = {}
        self._pending: _Pending | None = None

    def _track(self, node: Node) -> _Tracked:
        tobj = self.tracked.get(node)
        if tobj is None:
            tobj = self.tracked[node] = _Tracked()
        return tobj

    def _apply_pending(self, node: Node, sync: MultiplayerSynchronizer) -> None:
        """A synchronizer of the node a SPAWN is making entered the tree: bind its id and
        apply its spawn values (``on_replication_start``)."""
        pending = self._pending
        if pending is None or sync.get_multiplayer_authority() != pending.remote:
            return
        if pending.node is None:
            if node.get_parent() is not pending.parent or node.is_node_ready():
                return
            pending.node = node  # the first new child of the spawn node is the spawned one
        elif node is not pending.node:
            return
        if not pending.sync_ids:
            log.error('The MultiplayerSynchronizer at path "%s" is unable to process the '
                      "pending spawn since it has no network ID. This might happen when "
                      'changing the multiplayer authority during the "_ready" callback. Make '
                      'sure to only change the authority of multiplayer synchronizers during '
                      '"_enter_tree" or the "_spawn_custom" callback of their multiplayer '
                      "spawner.", sync.get_path())
            return
        info = self.peers_info.get(pending.remote)
        if info is None:
            return
        net_id = pending.sync_ids.pop(0)
        info.recv_sync_ids[net_id] = sync
        sync.net_id = net_id
        config = sync.replication_config
        if pending.offset >= len(pending.buffer) or config is None:
            return
        props = config.get_spawn_properties()
        try:
            values, pending.offset = decode_values(pending.buffer, pending.offset,
                                                   len(pending.buffer), len(props))
        except ValueError as exc:
            log.error("SPAWN from peer %d: %s", pending.remote, exc)
            pending.offset = len(pending.buffer)
            return
        set_state(props, node, values)

    def _log(self, sender: int, msg: str, *args: object) -> None:
        # What a peer's packet causes is rate-limited per peer and kind (common/netlog.py).
        self.multiplayer.netlog.error(sender, msg, *args)

    def receive(self, command: int, sender: int, packet: bytes) -> None:
        """SPAWN (4), DESPAWN (5) or SYNC (6, DELTA with flag 0x10) from ``sender``;
        ValueError for malformed bytes (SceneMultiplayer logs and drops)."""
        if command == NetworkCommand.SPAWN:
            self.on_spawn_receive(sender, packet)
        elif command == NetworkCommand.DESPAWN:
            self.on_despawn_receive(sender, packet)
        else:
            self.on_sync_receive(sender, packet)

    # ------------------------------------------------------------------ SPAWN / DESPAWN

    def on_spawn_receive(self, sender: int, packet: bytes) -> None:
        spawn = decode_spawn(packet)  # ValueError: the caller logs and drops
        node_obj = self.cache.get_cached_node(sender, spawn.spawner_id)
        if not isinstance(node_obj, MultiplayerSpawner):
            self._log(sender, "SPAWN from peer %d: cache id %d is not a MultiplayerSpawner", sender,
                      spawn.spawner_id)
            return
        spawner = node_obj
        if sender != spawner.get_multiplayer_authority():
            self._log(sender, 'Condition "p_from != spawner->get_multiplayer_authority()" is true. '
                      "Returning: ERR_UNAUTHORIZED (SPAWN from peer %d for %s, whose "
                      "authority is %d)", sender, spawner.get_path(),
                      spawner.get_multiplayer_authority())
            return
        parent = spawner.get_spawn_node()
        if parent is None:
            self._log(sender, "SPAWN from peer %d: the spawner %s has no spawn node "
                      "(spawn_path %r)", sender, spawner.get_path(), spawner.spawn_path)
            return
        if parent.has_node(spawn.name):
            self._log(sender, "SPAWN from peer %d: %s already has a child named %r", sender,
                      parent.get_path(), spawn.name)
            return
        info = self.peers_info.get(sender)
        if info is None:
            return
        if spawn.net_id in info.recv_nodes:
            self._log(sender, "SPAWN from peer %d: net id %d is already in use "
                      "(ERR_ALREADY_IN_USE)", sender, spawn.net_id)
            return
        self._pending = pending = _Pending(parent, sender, list(spawn.sync_ids), packet,
                                           spawn.state_offset)
        try:
            if spawn.scene_id == INVALID_SCENE_ID:
                node = spawner.instantiate_custom(spawn.arg)
            else:
                node = spawner.instantiate_scene(spawn.scene_id,
                                                 f"{parent.get_path()}/{spawn.name}")
        finally:
            self._pending = None
        if node is None:
            self._log(sender, "SPAWN from peer %d: could not make the node (ERR_UNAUTHORIZED)",
                      sender)
            return
        if node.get_parent() is not parent:
            self._log(sender, "SPAWN from peer %d: the spawn_function made %s, not a child of %s",
                      sender, node.get_path(), parent.get_path())
            node.free()
            return
        node.set_name(spawn.name)
        tobj = self._track(node)
        tobj.spawner = spawner
        tobj.net_id = spawn.net_id
        tobj.remote_peer = sender
        info.recv_nodes[spawn.net_id] = node
        spawner.spawned.emit(node)
        if pending.sync_ids:
            self._log(sender, "SPAWN from peer %d: %d synchronizer id(s) were not consumed "
                      "(ERR_INVALID_DATA)", sender, len(pending.sync_ids))

    def on_despawn_receive(self, sender: int, packet: bytes) -> None:
        net_id = decode_despawn(packet)
        info = self.peers_info.get(sender)
        node = info.recv_nodes.get(net_id) if info is not None else None
        if info is None or node is None:
            self._log(sender, 'Condition "!pinfo.recv_nodes.has(net_id)" is true. Returning: '
                      "ERR_UNAUTHORIZED (DESPAWN of unknown net id %d from peer %d)", net_id,
                      sender)
            return
        del info.recv_nodes[net_id]
        tobj = self.tracked.get(node)
        spawner = tobj.spawner if tobj is not None else None
        if spawner is None:
            return
        if sender != spawner.get_multiplayer_authority():
            self._log(sender, 'Condition "p_from != spawner->get_multiplayer_authority()" is true. '
                      "Returning: ERR_UNAUTHORIZED (DESPAWN from peer %d)", sender)
            return
        node.queue_free()
        spawner.despawned.emit(node)

    # ------------------------------------------------------------------ SYNC / DELTA

    def _find_synchronizer(self, sender: int, net_id: int) -> MultiplayerSynchronizer | None:
        if net_id & PATH_ID_FLAG:
            node = self.cache.get_cached_node(sender, net_id & ~PATH_ID_FLAG)
            return node if isinstance(node, MultiplayerSynchronizer) else None
        info = self.peers_info.get(sender)
        return info.recv_sync_ids.get(net_id) if info is not None else None

    def on_sync_receive(self, sender: int, packet: bytes) -> None:
        if packet[0] & DELTA_FLAG:
            self.on_delta_receive(sender, packet)
            return
        net_time, entries = iter_sync(packet)
        for net_id, ofs, size in entries:
            sync = self._find_synchronizer(sender, net_id)
            if sync is None:
                continue  # not received yet
            node = sync.get_root_node()
            if sync.get_multiplayer_authority() != sender or node is None:
                self._log(sender, "Ignoring sync data from non-authority or for missing node "
                          "(peer %d, %s).", sender, sync.get_path())
                continue
            if not sync.update_inbound_sync_time(net_time):
                continue  # older than the last one applied
            config = sync.replication_config
            props = config.get_sync_properties() if config is not None else []
            values, _ = decode_values(packet, ofs, ofs + size, len(props))
            if not set_state(props, node, values):
                return
            sync.synchronized.emit()

    def on_delta_receive(self, sender: int, packet: bytes) -> None:
        for net_id, mask, ofs, size in iter_delta(packet):
            sync = self._find_synchronizer(sender, net_id)
            node = sync.get_root_node() if sync is not None else None
            if sync is None or node is None or sync.get_multiplayer_authority() != sender:
                self._log(sender, "Ignoring delta for non-authority or invalid synchronizer (peer "
                          "%d, id %d).", sender, net_id)
                continue
            props = sync.get_delta_properties(mask)
            if not props:
                self._log(sender, "Invalid delta from peer %d: no property for mask %#x", sender,
                          mask)
                return
            values, after = decode_values(packet, ofs, ofs + size, len(props))
            if after != ofs + size:
                self._log(sender, "Invalid delta from peer %d: %d bytes left in an entry", sender,
                          ofs + size - after)
                return
            if not set_state(props, node, values):
                return
            sync.delta_synchronized.emit()
