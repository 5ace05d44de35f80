"""Godot 4's ``MultiplayerSpawner``: replicates the creation and removal of nodes under its
spawn node, from its multiplayer authority to the other peers
(modules/multiplayer/multiplayer_spawner.cpp).

Scenes, the Python way: a ``Node`` subclass with ``scene_file_path = "res://player.tscn"`` is
that scene. On the authority, a node of a spawnable scene made directly under the spawn node
(``Player(multiplayer, "Main/Players/2")``) is tracked and, once ready, spawned to every peer
that can see it; ``free()`` despawns it. ``spawn(data)`` calls ``spawn_function(data)``, which
makes the node under the spawn node, and sends ``data`` with it. A receiving spawner makes the
scene's class as ``Cls(multiplayer, spawn_node_path + "/" + name)`` (or calls its own
``spawn_function(data)`` and names the node it returns). Owns the spawnable list and which
nodes it tracks; the multiplayer's replicator (``_replication``) owns the wire.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..common.signals import Signal
from ..variant.types3 import NodePath
from ._replication_wire import INVALID_SCENE_ID, is_valid_node_name
from .node import Node, scene_class

if TYPE_CHECKING:
    from .scene_multiplayer import SceneMultiplayer

__all__ = ["MultiplayerSpawner"]

log = logging.getLogger("godot_ws.godot4.multiplayer")

_NO_SPAWN = object()  # no spawn() in progress


class MultiplayerSpawner(Node):
    """Spawns nodes of its spawnable scenes (or by ``spawn_function``) on the other peers.

    Signals (on the receiving peers only, as in Godot): ``spawned(node)`` after a remote
    spawn was added with its spawn state, ``despawned(node)`` after a remote despawn.
    """

    def __init__(self, multiplayer: SceneMultiplayer, path: str | NodePath) -> None:
        self.spawned = Signal("spawned")
        self.despawned = Signal("despawned")
        self._scenes: list[str] = []
        self._spawn_path = ""
        self._spawn_limit = 0
        self._spawn_function: Callable[[Any], Any] | None = None
        self._tracked: dict[Node, tuple[Any, int]] = {}  # node -> (spawn argument, scene id)
        self._custom: Any = _NO_SPAWN
        super().__init__(multiplayer, path)

    # ------------------------------------------------------------------ the scene list

    def add_spawnable_scene(self, path: str | type[Node]) -> None:
        """Add a scene path (or a Node subclass with a ``scene_file_path``) to the list; its
        index is the scene id on the wire, so every peer must list the same scenes."""
        if isinstance(path, type) and issubclass(path, Node):
            if not path.scene_file_path:
                raise ValueError(f"{path.__name__} has no scene_file_path")
            path = path.scene_file_path
        if not isinstance(path, str):
            raise TypeError(f"a scene path must be str, not {type(path).__name__}")
        self._scenes.append(path)

    def get_spawnable_scene_count(self) -> int:
        """How many scenes the spawnable list holds."""
        return len(self._scenes)

    def get_spawnable_scene(self, index: int) -> str:
        """The scene path at ``index`` of the spawnable list ("" and an error if none)."""
        if not 0 <= index < len(self._scenes):
            log.error("Index p_idx = %d is out of bounds (spawnable_scenes.size() = %d).",
                      index, len(self._scenes))
            return ""
        return self._scenes[index]

    def clear_spawnable_scenes(self) -> None:
        """Empty the spawnable list (nodes made later are not auto-spawned)."""
        self._scenes.clear()

    def find_spawnable_scene_index_from_path(self, path: str) -> int:
        """The index of ``path`` in the spawnable list, or 0xFF (none)."""
        try:
            return self._scenes.index(path)
        except ValueError:
            return INVALID_SCENE_ID

    def find_spawnable_scene_index_from_object(self, node: Node) -> int:
        """The scene id ``node`` was spawned with here (0xFF: custom or not tracked)."""
        info = self._tracked.get(node)
        return info[1] if info is not None else INVALID_SCENE_ID

    def get_spawn_argument(self, node: Node) -> Any:
        """The ``spawn(data)`` argument ``node`` was spawned with (None for a scene spawn)."""
        info = self._tracked.get(node)
        return info[0] if info is not None else None

    # ------------------------------------------------------------------ properties

    def get_spawn_path(self) -> str:
        """The spawn node's path, relative to the spawner (``spawn_path``)."""
        return self._spawn_path

    def set_spawn_path(self, path: str | NodePath) -> None:
        """The node spawned nodes go under, relative to the spawner (e.g. ``"../Players"``)."""
        self._spawn_path = str(path)

    spawn_path = property(get_spawn_path, set_spawn_path)

    def get_spawn_node(self) -> Node | None:
        """The node spawned nodes go under, or None."""
        return self.get_node_or_null(self._spawn_path) if self._spawn_path else None

    def get_spawn_limit(self) -> int:
        """At most this many nodes spawned here (0: no limit)."""
        return self._spawn_limit

    def set_spawn_limit(self, limit: int) -> None:
        """At most this many nodes spawned by this spawner here (0 = no limit)."""
        self._spawn_limit = int(limit)

    spawn_limit = property(get_spawn_limit, set_spawn_limit)

    def get_spawn_function(self) -> Callable[[Any], Any] | None:
        """The callable ``spawn(data)`` makes nodes with, or None."""
        return self._spawn_function

    def set_spawn_function(self, function: Callable[[Any], Any] | None) -> None:
        """``function(data) -> Node`` for ``spawn(data)``: it makes the node under the spawn
        node (on the receivers too, where the node is then given the sender's name)."""
        if function is not None and not callable(function):
            raise TypeError(f"{function!r} is not callable")
        self._spawn_function = function

    spawn_function = property(get_spawn_function, set_spawn_function)

    # ------------------------------------------------------------------ spawning

    def _limit_reached(self) -> bool:
        if self._spawn_limit and self._spawn_limit <= len(self._tracked):
            log.error("Spawn limit reached!")
            return True
        return False

    def spawn(self, data: Any = None) -> Node | None:
        """Make a node with ``spawn_function(data)`` and replicate it with ``data`` (a Variant:
        it travels in SPAWN). Only on the spawner's authority."""
        mp = self._multiplayer
        if not self.is_inside_tree() or not mp.has_multiplayer_peer() \
                or not self.is_multiplayer_authority():
            log.error("spawn: the spawner must be in the tree and this peer its authority")
            return None
        if self._limit_reached():
            return None
        if self._spawn_function is None:
            log.error("Custom spawn requires the 'spawn_function' property to be a valid "
                      "callable.")
            return None
        parent = self.get_spawn_node()
        if parent is None:
            log.error("Cannot find spawn node.")
            return None
        self._custom = data
        try:
            node = self._spawn_function(data)
        finally:
            self._custom = _NO_SPAWN
        if not isinstance(node, Node) or node not in self._tracked:
            log.error("The 'spawn_function' callable must return a valid node, made directly "
                      "under the spawn node %s.", parent.get_path())
            return None
        return node

    def instantiate_scene(self, scene_id: int, path: str) -> Node | None:
        """Make scene ``scene_id`` at ``path`` (a receiver's side of a SPAWN)."""
        if self._limit_reached():
            return None
        if not 0 <= scene_id < len(self._scenes):
            log.error("Index p_id = %d is out of bounds (spawnable_scenes.size() = %d).",
                      scene_id, len(self._scenes))
            return None
        cls = scene_class(self._scenes[scene_id])
        if cls is None:
            log.error("Invalid spawnable scene: %s", self._scenes[scene_id])
            return None
        return cls(self._multiplayer, path)

    def instantiate_custom(self, data: Any) -> Node | None:
        """``spawn_function(data)`` (a receiver's side of a custom SPAWN)."""
        if self._limit_reached():
            return None
        if self._spawn_function is None:
            log.error("Custom spawn requires a valid 'spawn_function'.")
            return None
        try:
            node = self._spawn_function(data)
        except Exception:
            log.exception("Failed to call spawn function.")
            return None
        if not isinstance(node, Node):
            log.error("The spawn function must return a Node.")
            return None
        return node

    # ------------------------------------------------------------------ tracking

    def _node_added(self, node: Node) -> None:
        """A child entered the spawn node (``child_entered_tree``)."""
        if self._custom is not _NO_SPAWN:  # the node spawn() is making
            data, self._custom = self._custom, _NO_SPAWN
            self._track(node, data, INVALID_SCENE_ID)
            return
        mp = self._multiplayer
        if not self._scenes or not mp.has_multiplayer_peer() \
                or not self.is_multiplayer_authority() or node in self._tracked:
            return
        scene_id = self.find_spawnable_scene_index_from_path(type(node).scene_file_path)
        if scene_id == INVALID_SCENE_ID:
            return
        if not is_valid_node_name(node.name):
            log.error("Unable to auto-spawn node with reserved name: %s. Make sure to add your "
                      "replicated scenes via 'add_child(node, true)' to produce valid names.",
                      node.name)
            return
        self._track(node, None, scene_id)

    def _track(self, node: Node, data: Any, scene_id: int) -> None:
        if node not in self._tracked:
            self._tracked[node] = (copy.deepcopy(data), scene_id)
            self._multiplayer.object_configuration_add(node, self)

    def _node_exit(self, node: Node) -> None:
        """A tracked node is leaving the tree (``tree_exiting``): despawn it."""
        if self._tracked.pop(node, None) is not None:
            self._multiplayer.object_configuration_remove(node, self)

    def _tree_notification(self, what: int) -> None:
        replication = self._multiplayer._replication
        if what == self.NOTIFICATION_ENTER_TREE:
            replication.spawners.append(self)
        elif what == self.NOTIFICATION_EXIT_TREE:
            if self in replication.spawners:
                replication.spawners.remove(self)
            for node in list(self._tracked):
                self._node_exit(node)
