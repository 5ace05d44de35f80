"""Godot 4 SceneMultiplayer's replicator (modules/multiplayer/scene_replication_interface.cpp):
what MultiplayerSpawner and MultiplayerSynchronizer put on the wire and take off it.

Owns, per SceneMultiplayer: the tracked nodes (spawner, net id, the peer that spawned it, its
synchronizers in tree order), per-peer state (what each peer was spawned and syncs, its u16
SYNC time, the DELTA cursors, what it spawned here), the net id counter, and the pending spawn
whose state the synchronizers apply before ``_ready``. Sends SPAWN/DESPAWN (reliable),
SYNC (unreliable) and DELTA (reliable) on channel 0 through ``send_command``; SceneMultiplayer
calls ``on_network_process`` at the end of each ``poll()``. Never raises for received bytes:
Godot's messages are logged and the packet or entry dropped (``_receive`` is the receive half).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from ..core.constants import TransferMode
from ._replication_receive import ReplicationReceiver, _PeerInfo, _Tracked
from ._replication_wire import (
    PATH_ID_FLAG,
    delta_packets,
    despawn_packet,
    encode_values,
    spawn_packet,
    sync_bodies,
    sync_entry,
    sync_header,
)
from .spawner import MultiplayerSpawner
from .synchronizer import MultiplayerSynchronizer, get_state

if TYPE_CHECKING:
    from ._scene_cache import SceneCache
    from .node import Node
    from .scene_multiplayer import SceneMultiplayer

__all__ = ["SceneReplication"]

log = logging.getLogger("godot_ws.godot4.multiplayer")

_RELIABLE = TransferMode.TRANSFER_MODE_RELIABLE
_UNRELIABLE = TransferMode.TRANSFER_MODE_UNRELIABLE


class SceneReplication(ReplicationReceiver):
    """SceneReplicationInterface: one per SceneMultiplayer."""

    def __init__(self, multiplayer: SceneMultiplayer, cache: SceneCache) -> None:
        super().__init__(multiplayer, cache)
        self.spawners: list[MultiplayerSpawner] = []
        self.spawned_nodes: dict[Node, None] = {}  # ordered sets, as Godot's HashSet
        self.sync_nodes: dict[MultiplayerSynchronizer, None] = {}
        self.spawn_queue: dict[Node, None] = {}
        self.visibility_process: dict[MultiplayerSynchronizer, None] = {}
        self.last_net_id = 0
        self.sync_mtu = 1350
        self.delta_mtu = 65535

    def _has_authority(self, node: Node) -> bool:
        mp = self.multiplayer
        return mp.has_multiplayer_peer() and node.get_multiplayer_authority() == mp.get_unique_id()

    # ------------------------------------------------------------------ the tree's signals

    def child_entered(self, node: Node) -> None:
        parent = node.get_parent()
        for spawner in list(self.spawners):
            if spawner.get_spawn_node() is parent:
                spawner._node_added(node)

    def node_ready(self, node: Node) -> None:
        if node not in self.spawn_queue:
            return
        if node is not next(iter(self.spawn_queue)):
            return  # a nested spawn waits for the outermost one
        queue = list(self.spawn_queue)
        self.spawn_queue.clear()
        for oid in queue:
            tobj = self.tracked.get(oid)
            if tobj is None or tobj.spawner is None:
                continue
            self.spawned_nodes[oid] = None
            if self._has_authority(tobj.spawner):
                self._update_spawn_visibility(0, oid)

    def tree_exiting(self, node: Node) -> None:
        for spawner in list(self.spawners):
            if node in spawner._tracked:
                spawner._node_exit(node)

    def tree_exited(self, node: Node) -> None:
        """``_untrack``: forget the node once it left the tree."""
        self.set_visibility_process(node, False)
        tobj = self.tracked.pop(node, None)
        self.spawn_queue.pop(node, None)
        if tobj is None:
            return
        peer = tobj.remote_peer
        if peer and peer in self.peers_info:
            self.peers_info[peer].recv_nodes.pop(tobj.net_id, None)
        if tobj.net_id or peer == 0:
            for info in self.peers_info.values():
                info.spawn_nodes.pop(node, None)

    def set_visibility_process(self, node: Node, active: bool) -> None:
        """Re-evaluate this synchronizer's filters every poll (Godot: internal process)."""
        if not isinstance(node, MultiplayerSynchronizer):
            return
        if active:
            self.visibility_process[node] = None
        else:
            self.visibility_process.pop(node, None)

    # ------------------------------------------------------------------ peers

    def on_peer_change(self, peer: int, connected: bool) -> None:
        if connected:
            self.peers_info[peer] = _PeerInfo()
            for oid in list(self.spawned_nodes):
                self._update_spawn_visibility(peer, oid)
            for sync in list(self.sync_nodes):
                self._update_sync_visibility(peer, sync)
            return
        info = self.peers_info.get(peer)
        if info is None:
            return
        self._free_remotes(info)
        self.peers_info.pop(peer, None)

    def _free_remotes(self, info: _PeerInfo) -> None:
        for node in list(info.recv_nodes.values()):
            if node in self.tracked:
                node.queue_free()

    def on_reset(self) -> None:
        """The connection is gone: free what peers spawned here, forget every id."""
        for info in list(self.peers_info.values()):
            self._free_remotes(info)
        self.peers_info.clear()
        for tobj in self.tracked.values():
            tobj.net_id = 0
            tobj.remote_peer = 0
        for sync in self.sync_nodes:
            sync.reset()
        self.last_net_id = 0

    # ------------------------------------------------------------------ configuration

    def on_spawn(self, node: Node, spawner: MultiplayerSpawner) -> None:
        tobj = self._track(node)
        if tobj.spawner is not None:
            log.error("on_spawn: %s is already spawned by %s", node.get_path(),
                      tobj.spawner.get_path())
            return
        tobj.spawner = spawner
        self.spawn_queue[node] = None
        if node.is_node_ready():  # made ready already (spawn_function built it): send now
            self.node_ready(node)

    def on_despawn(self, node: Node, spawner: MultiplayerSpawner) -> None:
        tobj = self.tracked.get(node)
        if tobj is None:
            return
        packet = despawn_packet(tobj.net_id)
        for pid, info in list(self.peers_info.items()):
            if node in info.spawn_nodes:
                self._send_raw(packet, pid, True)
        if tobj.spawner is not spawner:
            return
        tobj.spawner = None
        self.spawned_nodes.pop(node, None)
        self.spawn_queue.pop(node, None)
        for info in self.peers_info.values():
            info.spawn_nodes.pop(node, None)

    def on_replication_start(self, node: Node, sync: MultiplayerSynchronizer) -> None:
        tobj = self._track(node)
        tobj.synchronizers[sync] = None
        self.sync_nodes[sync] = None
        sync.visibility_changed.connect(self._visibility_changed, (sync,))
        self._update_sync_visibility(0, sync)
        self._apply_pending(node, sync)

    def on_replication_stop(self, node: Node, sync: MultiplayerSynchronizer) -> None:
        if sync.visibility_changed.is_connected(self._visibility_changed):
            sync.visibility_changed.disconnect(self._visibility_changed)
        self.sync_nodes.pop(sync, None)
        tobj = self.tracked.get(node)
        if tobj is not None:
            tobj.synchronizers.pop(sync, None)
        for pid, info in self.peers_info.items():
            info.sync_nodes.pop(sync, None)
            info.last_watch_usecs.pop(sync, None)
            # Only the sender's own id (the 4.6 code erased any peer's: PR #109864's fix).
            if sync.net_id and info.recv_sync_ids.get(sync.net_id) is sync:
                del info.recv_sync_ids[sync.net_id]

    # ------------------------------------------------------------------ visibility

    def _visibility_changed(self, peer: int, sync: MultiplayerSynchronizer) -> None:
        node = sync.get_root_node()
        if node is None:
            return
        if node in self.spawned_nodes and peer != self.multiplayer.get_unique_id():
            self._update_spawn_visibility(peer, node)
        self._update_sync_visibility(peer, sync)

    def is_rpc_visible(self, node: Node, peer: int) -> bool:
        """Whether RPCs on ``node`` may go to ``peer`` (0: to every peer): an untracked node or
        one without synchronizers always; the peer that spawned it always; a node spawned here
        to the peers it was spawned to; else to the peers one of its synchronizers is visible
        to (``SceneReplicationInterface::is_rpc_visible``)."""
        tobj = self.tracked.get(node)
        if tobj is None or not tobj.synchronizers:
            return True
        if tobj.remote_peer and peer == tobj.remote_peer:
            return True
        if node in self.spawned_nodes:
            if peer:
                info = self.peers_info.get(peer)
                return info is not None and node in info.spawn_nodes
            return all(node in info.spawn_nodes for info in self.peers_info.values())
        return any(sync.is_visible_to(peer) for sync in tobj.synchronizers)

    def process_visibility(self) -> None:
        """``update_visibility(0)`` of every synchronizer with filters (once per poll)."""
        for sync in list(self.visibility_process):
            sync.update_visibility(0)

    def _update_sync_visibility(self, peer: int, sync: MultiplayerSynchronizer) -> None:
        if not self._has_authority(sync) or peer == self.multiplayer.get_unique_id():
            return
        visible = sync.is_visible_to(peer)
        if peer == 0:
            targets = list(self.peers_info.items())
        elif peer in self.peers_info:
            targets = [(peer, self.peers_info[peer])]
        else:
            log.error("update_visibility: peer %d is not connected", peer)
            return
        for pid, info in targets:
            now = visible or (peer == 0 and sync.is_visible_to(pid))
            if now == (sync in info.sync_nodes):
                continue
            if now:
                info.sync_nodes[sync] = None
            else:
                info.sync_nodes.pop(sync, None)
                info.last_watch_usecs.pop(sync, None)

    def _update_spawn_visibility(self, peer: int, node: Node) -> None:
        tobj = self.tracked.get(node)
        if tobj is None or tobj.spawner is None or not self._has_authority(tobj.spawner):
            return
        visible = True
        for sync in list(tobj.synchronizers):
            if not self._has_authority(sync):
                continue
            if sync.is_visible_to(peer):  # OR over this peer's synchronizers
                visible = True
                break
            visible = False
        to_spawn: list[int] = []
        to_despawn: list[int] = []
        if peer:
            info = self.peers_info.get(peer)
            if info is None:
                log.error("update_visibility: peer %d is not connected", peer)
                return
            if visible != (node in info.spawn_nodes):
                (to_spawn if visible else to_despawn).append(peer)
        else:
            for pid, info in list(self.peers_info.items()):
                if not visible:
                    self._update_spawn_visibility(pid, node)
                elif node not in info.spawn_nodes:
                    to_spawn.append(pid)
        if to_spawn:
            packet = self._make_spawn_packet(node, tobj)
            if packet is None:
                return
            spawner = tobj.spawner
            for pid in to_spawn:
                if pid not in self.peers_info:
                    continue
                self.cache.send_object_cache(spawner, pid)  # SIMPLIFY_PATH before the 1st SPAWN
                self._send_raw(packet, pid, True)
                self.peers_info[pid].spawn_nodes[node] = None
        if to_despawn:
            packet = despawn_packet(tobj.net_id)
            for pid in to_despawn:
                self.peers_info[pid].spawn_nodes.pop(node, None)
                self._send_raw(packet, pid, True)

    # ------------------------------------------------------------------ sending

    def _send_raw(self, packet: bytes, peer: int, reliable: bool) -> None:
        mp = self.multiplayer
        mp_peer = mp.multiplayer_peer
        if mp_peer is None:
            return
        mp_peer.set_transfer_channel(0)
        mp_peer.set_transfer_mode(_RELIABLE if reliable else _UNRELIABLE)
        mp.send_command(peer, packet)

    def _make_spawn_packet(self, node: Node, tobj: _Tracked) -> bytes | None:
        spawner = tobj.spawner
        assert spawner is not None
        if tobj.net_id == 0:
            self.last_net_id += 1
            tobj.net_id = self.last_net_id
        scene_id = spawner.find_spawnable_scene_index_from_object(node)
        state_props: list[str] = []
        sync_ids: list[int] = []
        for sync in list(tobj.synchronizers):
            if not self._has_authority(sync):
                continue
            config = sync.replication_config
            if config is None:
                log.error("The MultiplayerSynchronizer at %s has no replication_config",
                          sync.get_path())
                return None
            state_props += config.get_spawn_properties()
            if sync.net_id == 0:
                self.last_net_id += 1
                sync.net_id = self.last_net_id
            sync_ids.append(sync.net_id)
        state = b""
        if state_props:
            values = get_state(state_props, node)
            if values is None:
                log.error("Unable to retrieve spawn state.")
                return None
            try:
                state = encode_values(values)
            except (TypeError, ValueError) as exc:
                log.error("Unable to encode spawn state: %s", exc)
                return None
        path_id = self.cache.make_object_cache(spawner)
        try:
            return spawn_packet(scene_id, path_id, tobj.net_id, sync_ids, node.name,
                                spawner.get_spawn_argument(node), state)
        except (TypeError, ValueError) as exc:
            log.error("Unable to encode the spawn argument: %s", exc)
            return None

    def _verify_synchronizer(self, peer: int, sync: MultiplayerSynchronizer) -> bool:
        """Spawn-assigned ids are always known; a path-based id (high bit) only once the peer
        confirmed the synchronizer's path (SIMPLIFY_PATH is sent the first time)."""
        net_id = sync.net_id
        if net_id == 0 or net_id & PATH_ID_FLAG:
            verified, path_id = self.cache.send_object_cache(sync, peer)
            if net_id == 0:
                sync.net_id = path_id | PATH_ID_FLAG
            return verified
        return True

    def on_network_process(self) -> None:
        """Once per poll (at its end): visibility filters, then a SYNC (and DELTA) to each
        peer with something to sync.

        What does not depend on the peer (authority, the interval, the encoded ALWAYS values,
        a DELTA for a given cursor) is worked out once per frame and reused for every peer:
        the bytes are the ones Godot builds peer by peer."""
        if self.spawn_queue:
            log.error("An error happened during last spawn, this usually means the 'ready' "
                      "signal was not emitted by the spawned node.")
            self.spawn_queue.clear()
        self.process_visibility()
        mp = self.multiplayer
        me = mp.get_unique_id() if mp.has_multiplayer_peer() else 0
        frame = _Frame(time.monotonic_ns() // 1000, me)
        for pid, info in list(self.peers_info.items()):
            if not info.sync_nodes:
                continue
            info.last_sent_sync = (info.last_sent_sync + 1) & 0xFFFF
            to_sync = list(info.sync_nodes)
            self._send_sync(pid, to_sync, info.last_sent_sync, frame)
            self._send_delta(pid, info, to_sync, frame)

    def _sync_entry(self, sync: MultiplayerSynchronizer, frame: _Frame) -> bytes | None:
        """This frame's SYNC entry of ``sync`` (its encoded ALWAYS values), or None when it
        sends none now."""
        if sync in frame.sync_entry:
            return frame.sync_entry[sync]
        frame.sync_entry[sync] = None
        config = sync.replication_config
        node = sync.get_root_node()
        if config is None or sync._authority != frame.me or node is None \
                or not sync.update_outbound_sync_time(frame.usec):
            return None
        values = get_state(config.get_sync_properties(), node)
        if values is None:
            log.error("Unable to retrieve sync state.")
            return None
        try:
            data = encode_values(values)
        except (TypeError, ValueError) as exc:
            log.error("Unable to encode sync state: %s", exc)
            return None
        if len(data) > self.sync_mtu:
            log.error("Node states bigger than MTU will not be sent (%d > %d): %s", len(data),
                      self.sync_mtu, node.get_path())
            return None
        if sync.net_id == 0:
            return None  # no id yet: a path-based one is made for the first peer below
        entry = frame.sync_entry[sync] = sync_entry(sync.net_id, data)
        return entry

    def _send_sync(self, peer: int, syncs: list[MultiplayerSynchronizer], net_time: int,
                   frame: _Frame) -> None:
        included: list[MultiplayerSynchronizer] = []
        for sync in syncs:
            net_id = sync.net_id
            if (net_id == 0 or net_id & PATH_ID_FLAG) and sync._authority == frame.me \
                    and sync.replication_config is not None:
                if not self._verify_synchronizer(peer, sync):
                    continue  # the peer has not confirmed the path yet
            if self._sync_entry(sync, frame):
                included.append(sync)
        if not included:
            return
        key = tuple(included)
        bodies = frame.sync_bodies.get(key)
        if bodies is None:  # the same synchronizers for another peer: the same bytes
            entries = [frame.sync_entry[sync] or b"" for sync in included]
            bodies = frame.sync_bodies[key] = sync_bodies(entries, self.sync_mtu)
        header = sync_header(net_time)
        for body in bodies:
            self._send_raw(header + body, peer, False)

    def _delta_state(self, sync: MultiplayerSynchronizer, last_usec: int,
                     frame: _Frame) -> tuple[int, bytes] | None:
        """(mask, encoded values) of what changed since ``last_usec``, once per cursor."""
        key = (sync, last_usec)
        if key in frame.delta_state:
            return frame.delta_state[key]
        frame.delta_state[key] = None
        values, mask = sync.get_delta_state(frame.usec, last_usec)
        if not values:
            return None
        try:
            data = encode_values(values)
        except (TypeError, ValueError) as exc:
            log.error("Unable to encode delta state: %s", exc)
            return None
        if len(data) > self.delta_mtu:
            log.error("Synchronizer delta bigger than MTU will not be sent (%d > %d): %s",
                      len(data), self.delta_mtu, sync.get_path())
            return None
        frame.delta_state[key] = (mask, data)
        return mask, data

    def _send_delta(self, peer: int, info: _PeerInfo, syncs: list[MultiplayerSynchronizer],
                    frame: _Frame) -> None:
        entries: list[tuple[MultiplayerSynchronizer, int]] = []
        for sync in syncs:
            if sync.replication_config is None or sync._authority != frame.me:
                continue
            net_id = sync.net_id
            if (net_id == 0 or net_id & PATH_ID_FLAG) and \
                    not self._verify_synchronizer(peer, sync):
                continue
            last = info.last_watch_usecs.get(sync, 0)
            delta = self._delta_state(sync, last, frame)
            if delta is None:
                continue
            entries.append((sync, last))
            info.last_watch_usecs[sync] = frame.usec
        if not entries:
            return
        key = tuple(entries)
        packets = frame.delta_packets.get(key)
        if packets is None:  # the same deltas for another peer: the same bytes
            found = [(sync.net_id, frame.delta_state[(sync, last)]) for sync, last in entries]
            packets = frame.delta_packets[key] = delta_packets(
                [(net_id, d[0], d[1]) for net_id, d in found if d is not None], self.delta_mtu)
        for packet in packets:
            self._send_raw(packet, peer, True)


class _Frame:
    """What one ``on_network_process`` computes once for every peer."""

    __slots__ = ("usec", "me", "sync_entry", "sync_bodies", "delta_state", "delta_packets")

    def __init__(self, usec: int, me: int) -> None:
        self.usec = usec
        self.me = me
        self.sync_entry: dict[MultiplayerSynchronizer, bytes | None] = {}
        self.sync_bodies: dict[tuple[MultiplayerSynchronizer, ...], list[bytes]] = {}
        self.delta_state: dict[tuple[MultiplayerSynchronizer, int], tuple[int, bytes] | None] = {}
        self.delta_packets: dict[tuple[tuple[MultiplayerSynchronizer, int], ...], list[bytes]] = {}
