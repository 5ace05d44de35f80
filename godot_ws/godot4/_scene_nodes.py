"""Where a Godot 4 ``SceneMultiplayer`` finds its nodes: the root path, the node registry and
the node lifecycle (enter tree, ready, exit tree) as Godot's SceneTree runs it.

godot_ws has no scene tree: a ``Node`` registers under its Godot path when it is made, and
RPC paths are relative to ``root_path`` (``"/root"`` by default, as SceneTree's multiplayer).
A node made under a registered node is that node's child (Godot's ``add_child``). When the
outermost node being built is finished (its ``__init__`` and its children's), the new subtree
enters the tree top-down (``_enter_tree``, then the parent's ``child_entered_tree``) and gets
ready bottom-up (``_ready``), as ``Node::_propagate_enter_tree`` / ``_propagate_ready`` do;
``free()`` exits bottom-up. Owns that registry and the path arithmetic; scene_multiplayer.py
builds the API on it and tells the replication layer (``_tree_hooks``) what happens.
"""

from __future__ import annotations

import itertools
import logging
from typing import TYPE_CHECKING

from ..common.signals import SignalOwner

if TYPE_CHECKING:
    from .node import Node

__all__ = ["SceneNodes", "TreeHooks", "BUILDING", "INSIDE", "READY", "FREED"]

log = logging.getLogger("godot_ws.godot4.multiplayer")
_RENAMES = itertools.count(2)


def _engine_class(node: object) -> str:
    """Godot's ``get_class_name()`` for a scripted node: the first godot_ws class it extends
    (``Node`` for ``class Lobby(Node)``)."""
    for cls in type(node).__mro__:
        if cls.__module__.startswith("godot_ws."):
            return cls.__name__
    return type(node).__name__

# A node's place in its life (Node._state).
BUILDING = 0  # registered, its __init__ (or its parent's) still running
INSIDE = 1  # entered the tree
READY = 2  # _ready has run
FREED = 3


class TreeHooks:
    """What the replication layer hears from the tree (the signals Godot's replicator and
    spawners connect to); the base does nothing."""

    def child_entered(self, node: Node) -> None:
        """``child_entered_tree`` of the node's parent (spawners auto-spawn here)."""

    def node_ready(self, node: Node) -> None:
        """``ready`` (queued spawns are sent here)."""

    def tree_exiting(self, node: Node) -> None:
        """``tree_exiting`` (spawners despawn here)."""

    def tree_exited(self, node: Node) -> None:
        """``tree_exited`` (the replicator forgets the node)."""


def _call_hook(node: Node, method: str) -> None:
    fn = getattr(node, method, None)
    if fn is None:
        return
    try:
        fn()
    except Exception:  # a script error: Godot prints it and goes on
        log.exception("%s() of %s raised", method, node.get_path())


class SceneNodes(SignalOwner):
    """The node registry under ``root_path`` (the base of ``SceneMultiplayer``)."""

    def __init__(self, root_path: str = "/root") -> None:
        self._root_path = ""
        self.set_root_path(root_path)
        self._nodes: dict[str, Node] = {}
        self._orphans: dict[str, list[Node]] = {}  # parent path -> nodes made before it
        self._tree_hooks = TreeHooks()

    def get_root_path(self) -> str:
        """Where RPC paths start (default ``"/root"``)."""
        return self._root_path

    def set_root_path(self, path: str) -> None:
        """Where RPC paths start (``"/root"`` by default, as SceneTree's multiplayer)."""
        if not isinstance(path, str):
            raise TypeError(f"root_path must be str, not {type(path).__name__}")
        if path and not path.startswith("/"):
            log.error("SceneMultiplayer root path must be absolute.")
            return
        self._root_path = path.rstrip("/")

    root_path = property(get_root_path, set_root_path)

    def absolute_path(self, path: str) -> str:
        """``path`` made absolute: unchanged when it starts with ``/``, else under ``root_path``."""
        return path.rstrip("/") if path.startswith("/") else f"{self._root_path}/{path}"

    def relative_path(self, node: Node) -> str:
        """The node's path as RPCs send it (``root_path.rel_path_to(node path)``)."""
        path = node.get_path()
        prefix = self._root_path + "/"
        return path[len(prefix):] if path.startswith(prefix) else path

    def get_node_or_null(self, path: str) -> Node | None:
        """The node at ``path`` (relative to ``root_path``, or absolute), or None."""
        if not path:
            return None
        return self._nodes.get(self.absolute_path(path))

    def find_node(self, absolute: str) -> Node | None:
        """The node at an absolute, normalised path, or None."""
        return self._nodes.get(absolute)

    def nodes_under(self, node: Node) -> list[Node]:
        """Every node below ``node``, parents before children."""
        out: list[Node] = []
        stack = list(reversed(node._children))
        while stack:
            child = stack.pop()
            out.append(child)
            stack.extend(reversed(child._children))
        return out

    # ------------------------------------------------------------------ registering

    def add_node(self, node: Node, path: str) -> str:
        """Register ``node`` at ``path`` (absolute), as a child of the node at its parent path,
        and return the path it got: when another node is there, the newcomer is renamed as
        Godot 4's ``add_child`` renames it, ``@Node@2`` (its engine class and a process-wide
        count), and a warning says so."""
        if path in self._nodes:
            above = path.rpartition("/")[0]
            # Godot 4's Node::_validate_child_name: "@" + get_class_name() + "@" + the count
            # of node_hrcr_count, which starts at 1 and is incremented before use.
            renamed = f"{above}/@{_engine_class(node)}@{next(_RENAMES)}"
            log.warning("%s: a node is already at %s; this one is %s (Godot renames the "
                        "newcomer; RPCs to %s still reach the first)", type(node).__name__,
                        path, renamed, path)
            path = renamed
        node._path = path
        self._nodes[path] = node
        parent_path = path.rsplit("/", 1)[0]
        parent = self._nodes.get(parent_path)
        node._parent = parent
        if parent is not None:
            parent._children.append(node)
        else:
            self._orphans.setdefault(parent_path, []).append(node)
        adopted = self._orphans.pop(path, None)
        if adopted:
            for child in adopted:
                child._parent = node
            node._children.extend(adopted)
        return path

    def remove_node(self, node: Node) -> None:
        """Forget ``node`` (its path is free again)."""
        path = node.get_path()
        if self._nodes.get(path) is node:
            del self._nodes[path]
        parent = node._parent
        if parent is not None:
            if node in parent._children:
                parent._children.remove(node)
            node._parent = None
        else:
            siblings = self._orphans.get(path.rsplit("/", 1)[0])
            if siblings and node in siblings:
                siblings.remove(node)
        for child in node._children:  # children left behind (free() removes them first)
            child._parent = None
            self._orphans.setdefault(path, []).append(child)
        node._children = []

    def rename_node(self, node: Node, name: str) -> bool:
        """Move ``node`` and everything under it to ``name`` under the same parent."""
        old = node.get_path()
        new = old.rsplit("/", 1)[0] + "/" + name
        if new == old:
            return True
        if new in self._nodes:
            log.error("Can't rename %s to %r: a sibling has that name", old, name)
            return False
        for moved in [node, *self.nodes_under(node)]:
            del self._nodes[moved._path]
            moved._path = new + moved._path[len(old):]
            self._nodes[moved._path] = moved
        return True

    # ------------------------------------------------------------------ the lifecycle

    def node_built(self, node: Node) -> None:
        """``node``'s constructor returned: the outermost new node enters the tree now."""
        parent = node._parent
        if parent is not None and parent._state == BUILDING:
            return  # the parent is still being built: it brings this one in
        self._enter(node)
        self._ready(node)

    def node_build_failed(self, node: Node) -> None:
        """The constructor raised: take the half-built node (and what it made) out again."""
        for child in reversed(list(node._children)):
            self.node_build_failed(child)
        node._state = FREED
        node._inside = False
        self.remove_node(node)

    def _enter(self, node: Node) -> None:
        if node._state != BUILDING:
            return
        node._state = INSIDE
        node._tree_notification(node.NOTIFICATION_ENTER_TREE)
        _call_hook(node, "_enter_tree")
        if node._parent is not None:
            self._tree_hooks.child_entered(node)
        for child in list(node._children):
            self._enter(child)

    def _ready(self, node: Node) -> None:
        for child in list(node._children):
            self._ready(child)
        if node._state != INSIDE:
            return
        node._state = READY
        node._tree_notification(node.NOTIFICATION_READY)
        _call_hook(node, "_ready")
        self._tree_hooks.node_ready(node)

    def free_node(self, node: Node) -> None:
        """Exit ``node``'s subtree bottom-up (``_exit_tree``), then unregister it."""
        if node._state == FREED:
            return
        for child in reversed(list(node._children)):
            self.free_node(child)
        entered = node._state in (INSIDE, READY)
        if entered:
            _call_hook(node, "_exit_tree")
            self._tree_hooks.tree_exiting(node)
            node._tree_notification(node.NOTIFICATION_EXIT_TREE)
        node._state = FREED
        node._inside = False
        self.remove_node(node)
        if entered:
            self._tree_hooks.tree_exited(node)
