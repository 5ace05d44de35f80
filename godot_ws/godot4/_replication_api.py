"""What Godot 4's ``SceneMultiplayer`` adds to its API for replication: ``object_configuration_add``
/ ``object_configuration_remove`` (how spawners and synchronizers register) and the packet size
limits ``max_sync_packet_size`` / ``max_delta_packet_size``.

A mixin of ``SceneMultiplayer`` (which owns ``_replication``, the ``SceneReplication``); kept
apart so scene_multiplayer.py stays the RPC-and-peers module it was. Owns no state.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..core.constants import ConnectionStatus, Error
from ._replication import SceneReplication
from ._scene_nodes import TreeHooks
from .spawner import MultiplayerSpawner
from .synchronizer import MultiplayerSynchronizer

if TYPE_CHECKING:
    from ._scene_cache import SceneCache
    from .node import Node

__all__ = ["ReplicationAPI"]

log = logging.getLogger("godot_ws.godot4.multiplayer")


class ReplicationAPI:
    """SceneMultiplayer's replication methods (a mixin)."""

    _replication: SceneReplication
    _tree_hooks: TreeHooks
    _last_status: ConnectionStatus

    def _start_replication(self, cache: SceneCache) -> None:
        """Make the replicator; it also hears the node tree's lifecycle."""
        self._replication = SceneReplication(self, cache)  # type: ignore[arg-type]
        self._tree_hooks = self._replication

    def _network_process(self) -> None:
        """The end of ``poll()``: the replicator's frame, if the peer is connected."""
        if self._last_status == ConnectionStatus.CONNECTION_CONNECTED:
            self._replication.on_network_process()

    def _peer_change(self, peer_id: int, connected: bool) -> None:
        """The path cache and the replicator hear of a peer (joining: cache first, so the
        late joiner's SPAWNs can name their spawner; leaving: replicator first)."""
        cache = self._replication.cache
        if connected:
            cache.on_peer_change(peer_id, True)
            self._replication.on_peer_change(peer_id, True)
        else:
            self._replication.on_peer_change(peer_id, False)
            cache.on_peer_change(peer_id, False)

    def object_configuration_add(self, object: Node, configuration: Any) -> Error:  # noqa: A002
        """Start replicating ``object`` with ``configuration``: a MultiplayerSpawner (it spawns
        the node) or a MultiplayerSynchronizer (it syncs the node). The spawner and the
        synchronizer call this themselves."""
        if isinstance(configuration, MultiplayerSpawner):
            self._replication.on_spawn(object, configuration)
        elif isinstance(configuration, MultiplayerSynchronizer):
            self._replication.on_replication_start(object, configuration)
        else:
            return Error.ERR_INVALID_PARAMETER
        return Error.OK

    def object_configuration_remove(self, object: Node,  # noqa: A002
                                    configuration: Any) -> Error:
        """Stop replicating ``object`` with ``configuration`` (a spawner despawns it)."""
        if isinstance(configuration, MultiplayerSpawner):
            self._replication.on_despawn(object, configuration)
        elif isinstance(configuration, MultiplayerSynchronizer):
            self._replication.on_replication_stop(object, configuration)
        else:
            return Error.ERR_INVALID_PARAMETER
        return Error.OK

    def get_max_sync_packet_size(self) -> int:
        """SYNC packets are split to stay at or under this size (1350)."""
        return self._replication.sync_mtu

    def set_max_sync_packet_size(self, size: int) -> None:
        """SYNC packets are split to stay at or under this size (default 1350, minimum 128)."""
        if size < 128:
            log.error("Sync maximum packet size must be at least 128 bytes.")
            return
        self._replication.sync_mtu = int(size)

    max_sync_packet_size = property(get_max_sync_packet_size, set_max_sync_packet_size)

    def get_max_delta_packet_size(self) -> int:
        """DELTA packets are split to stay at or under this size (65535)."""
        return self._replication.delta_mtu

    def set_max_delta_packet_size(self, size: int) -> None:
        """DELTA packets are split to stay at or under this size (default 65535, min 128)."""
        if size < 128:
            log.error("Sync maximum packet size must be at least 128 bytes.")
            return
        self._replication.delta_mtu = int(size)

    max_delta_packet_size = property(get_max_delta_packet_size, set_max_delta_packet_size)
