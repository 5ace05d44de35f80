"""Godot 4's ``Node`` as far as RPCs and replication need it: a path in one SceneMultiplayer's
tree, its parent and children, the lifecycle (``_enter_tree``, ``_ready``, ``_exit_tree``), the
multiplayer authority, ``rpc_config`` and ``rpc`` / ``rpc_id``.

Subclass it and mark methods with ``@rpc(...)`` (``rpc_config.rpc``), as a GDScript extends
Node and annotates its functions. The node registers itself with the multiplayer under its path
(``Node(multiplayer, "Main")`` is GDScript's ``/root/Main``); nodes made in its ``__init__``
under its path are its children, as a scene file's are. When the outermost constructor returns,
the new nodes enter the tree and get ready (``_scene_nodes``); ``free()`` exits and removes
them. A subclass with a class attribute ``scene_file_path = "res://player.tscn"`` *is* that
scene for a ``MultiplayerSpawner``. Owns no networking: calls go to the multiplayer.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..core.constants import Error
from ..variant.types3 import NodePath
from ._scene_nodes import BUILDING, FREED, READY

if TYPE_CHECKING:
    from .scene_multiplayer import SceneMultiplayer

__all__ = ["Node", "scene_class"]

log = logging.getLogger("godot_ws.godot4.multiplayer")

_SCENES: dict[str, type[Node]] = {}  # scene_file_path -> the Node subclass that is that scene


def scene_class(path: str) -> type[Node] | None:
    """The ``Node`` subclass whose ``scene_file_path`` is ``path`` (the "scene"), or None."""
    return _SCENES.get(path)


class _NodeType(type):
    """Runs the tree's lifecycle once the outermost constructor has returned."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        node: Any = object.__new__(cls)  # type: ignore[arg-type]
        try:
            node.__init__(*args, **kwargs)
        except BaseException:
            if getattr(node, "_state", FREED) != FREED:  # registered before it raised
                node._multiplayer.node_build_failed(node)
            raise
        node._multiplayer.node_built(node)
        return node


class Node(metaclass=_NodeType):
    """A node of the multiplayer's tree.

    ``path`` is absolute (``"/root/Main"``) or relative to the multiplayer's ``root_path``
    (``"Main"``, ``"Main/Player"``). A node made at a path another node already has is
    renamed as Godot renames it (``/root/@Node@2``), with a warning. Override
    ``_enter_tree``, ``_ready`` and ``_exit_tree`` as in GDScript: the tree calls them
    (exceptions are logged, as script errors are printed).
    """

    NOTIFICATION_ENTER_TREE = 10
    NOTIFICATION_EXIT_TREE = 11
    NOTIFICATION_READY = 13

    scene_file_path: str = ""
    """The scene this node class stands for (``"res://player.tscn"``), "" for none."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        path = cls.__dict__.get("scene_file_path")
        if isinstance(path, str) and path:
            _SCENES[path] = cls

    def __init__(self, multiplayer: SceneMultiplayer, path: str | NodePath) -> None:
        if isinstance(path, NodePath):
            path = str(path)
        if not isinstance(path, str) or not path.strip("/"):
            raise ValueError(f"a Node needs a path, not {path!r}")
        self._multiplayer = multiplayer
        self._authority = 1
        self._node_rpc_config: dict[str, dict[str, Any]] = {}
        self._parent: Node | None = None
        self._children: list[Node] = []
        self._state = BUILDING
        self._inside = False
        self._path = multiplayer.add_node(self, multiplayer.absolute_path(path))
        self._inside = True

    def _tree_notification(self, what: int) -> None:
        """ENTER_TREE / READY / EXIT_TREE for the library's own node classes (their C++
        ``_notification``); runs before the script's ``_enter_tree`` / ``_ready``."""

    # ------------------------------------------------------------------ the tree

    @property
    def multiplayer(self) -> SceneMultiplayer:
        """The SceneMultiplayer this node belongs to (``get_multiplayer()``)."""
        return self._multiplayer

    def get_multiplayer(self) -> SceneMultiplayer:
        """The SceneMultiplayer this node belongs to."""
        return self._multiplayer

    def get_path(self) -> str:
        """The absolute path, e.g. ``"/root/Main"``."""
        return self._path

    def get_name(self) -> str:
        """The last part of the node's path."""
        return self._path.rsplit("/", 1)[-1]

    def set_name(self, name: str) -> None:
        """Rename the node (and move what is under it); a sibling's name is an error."""
        if not isinstance(name, str) or not name or "/" in name or ":" in name:
            raise ValueError(f"invalid node name {name!r}")
        self._multiplayer.rename_node(self, name)

    name = property(get_name, set_name)

    def is_inside_tree(self) -> bool:
        """True from the node's making until ``free()``."""
        return self._inside

    def is_node_ready(self) -> bool:
        """True once ``_ready`` has run."""
        return self._state == READY

    def get_parent(self) -> Node | None:
        """The node at the parent path, or None (the root, or a parent never made)."""
        return self._parent

    def get_children(self) -> list[Node]:
        """The children, in the order they were made."""
        return list(self._children)

    def get_child_count(self) -> int:
        """How many children the node has."""
        return len(self._children)

    def get_child(self, idx: int) -> Node:
        """The child at ``idx`` (in the order they were made)."""
        return self._children[idx]

    def _resolve(self, path: str | NodePath) -> str | None:
        text = str(path).split(":", 1)[0]
        if text.startswith("/"):
            parts: list[str] = []
        else:
            parts = self._path.split("/")[1:]
        for segment in text.split("/"):
            if segment in ("", "."):
                continue
            if segment == "..":
                if not parts:
                    return None
                parts.pop()
            else:
                parts.append(segment)
        return "/" + "/".join(parts)

    def get_node_or_null(self, path: str | NodePath) -> Node | None:
        """The node at ``path`` relative to this one (``"Label"``, ``".."``,
        ``"../Players/2"``) or absolute (``"/root/Main"``), or None."""
        target = self._resolve(path)
        return None if target is None else self._multiplayer.find_node(target)

    def get_node(self, path: str | NodePath) -> Node | None:
        """As ``get_node_or_null``, with Godot's error when nothing is there."""
        node = self.get_node_or_null(path)
        if node is None:
            log.error('Node not found: "%s" (relative to "%s").', path, self._path)
        return node

    def has_node(self, path: str | NodePath) -> bool:
        """Whether a node is at ``path`` (relative or absolute)."""
        return self.get_node_or_null(path) is not None

    def free(self) -> None:
        """Take the node and its children out of the tree (``_exit_tree`` bottom-up; a node a
        spawner replicated is despawned; its path cache entries go too)."""
        if self._state != FREED:
            self._multiplayer.free_node(self)

    def queue_free(self) -> None:
        """``free()`` at once (godot_ws has no frame end to wait for)."""
        self.free()

    # ------------------------------------------------------------------ authority

    def set_multiplayer_authority(self, peer_id: int, recursive: bool = True) -> None:
        """The peer whose ``authority`` RPCs this node accepts (default 1, the server);
        ``recursive`` sets it on the nodes under this one too, as in Godot."""
        if not isinstance(peer_id, int) or isinstance(peer_id, bool):
            raise TypeError(f"peer_id must be int, not {type(peer_id).__name__}")
        self._authority = peer_id
        if recursive:
            for child in self._children:  # Node's own setter, as Godot's non-virtual recursion
                Node.set_multiplayer_authority(child, peer_id, True)

    def get_multiplayer_authority(self) -> int:
        """The peer that has authority over this node (default 1)."""
        return self._authority

    def is_multiplayer_authority(self) -> bool:
        """Whether this peer is the node's multiplayer authority."""
        if not self._inside:
            log.error("is_multiplayer_authority: the node is not inside the tree")
            return False
        return self._multiplayer.get_unique_id() == self._authority

    # ------------------------------------------------------------------ RPC

    def rpc_config(self, method: str, config: dict[str, Any] | None) -> None:
        """Node-level RPC config (ids ``index | 0x8000``): a dict with ``rpc_mode``,
        ``transfer_mode``, ``call_local``, ``channel``; None removes it."""
        if not isinstance(method, str):
            raise TypeError(f"method must be str, not {type(method).__name__}")
        if config is None:
            self._node_rpc_config.pop(method, None)
        elif not isinstance(config, dict):
            raise TypeError(f"config must be a dict or None, not {type(config).__name__}")
        else:
            self._node_rpc_config[method] = dict(config)
        self._multiplayer.rpc_config_changed(self)

    def get_node_rpc_config(self) -> dict[str, dict[str, Any]]:
        """The node-level RPC configs set with ``rpc_config``."""
        return dict(self._node_rpc_config)

    def get_rpc_config(self) -> dict[str, dict[str, Any]]:
        """The ``@rpc`` methods of this node's class and its bases (the "script" config)."""
        from .rpc_config import script_rpc_config

        return script_rpc_config(type(self))

    def rpc(self, method: str, *args: Any) -> Error:
        """Call ``method`` on every connected peer (and here too with ``call_local``)."""
        return self._multiplayer.rpcp(self, 0, method, args)

    def rpc_id(self, peer_id: int, method: str, *args: Any) -> Error:
        """Call ``method`` on peer ``peer_id`` (-N: everyone but N)."""
        if not isinstance(peer_id, int) or isinstance(peer_id, bool):
            raise TypeError(f"peer_id must be int, not {type(peer_id).__name__}")
        return self._multiplayer.rpcp(self, peer_id, method, args)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._path}>"
