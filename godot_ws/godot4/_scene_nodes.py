"""Where a Godot 4 ``SceneMultiplayer`` finds its nodes: the root path and the node registry.

godot_ws has no scene tree: a ``Node`` registers under its Godot path when it is made, and
RPC paths are relative to ``root_path`` (``"/root"`` by default, as SceneTree's multiplayer).
Owns that registry and the path arithmetic; scene_multiplayer.py builds the API on it.
"""

from __future__ import annotations

import itertools
import logging
from typing import TYPE_CHECKING

from ..common.signals import SignalOwner

if TYPE_CHECKING:
    from .node import Node

__all__ = ["SceneNodes"]

log = logging.getLogger("godot_ws.godot4.multiplayer")
_RENAMES = itertools.count(2)


def _engine_class(node: object) -> str:
    """Godot's ``get_class_name()`` for a scripted node: the first godot_ws class it extends
    (``Node`` for ``class Lobby(Node)``)."""
    for cls in type(node).__mro__:
        if cls.__module__.startswith("godot_ws."):
            return cls.__name__
    return type(node).__name__


class SceneNodes(SignalOwner):
    """The node registry under ``root_path`` (the base of ``SceneMultiplayer``)."""

    def __init__(self, root_path: str = "/root") -> None:
        self._root_path = ""
        self.set_root_path(root_path)
        self._nodes: dict[str, Node] = {}

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

    def add_node(self, node: Node, path: str) -> str:
        """Register ``node`` at ``path`` (absolute) and return the path it got: when another
        node is there, the newcomer is renamed as Godot 4's ``add_child`` renames it,
        ``@Node@2`` (its engine class and a process-wide count), and a warning says so."""
        if path in self._nodes:
            parent = path.rpartition("/")[0]
            # Godot 4's Node::_validate_child_name: "@" + get_class_name() + "@" + the count
            # of node_hrcr_count, which starts at 1 and is incremented before use.
            renamed = f"{parent}/@{_engine_class(node)}@{next(_RENAMES)}"
            log.warning("%s: a node is already at %s; this one is %s (Godot renames the "
                        "newcomer; RPCs to %s still reach the first)", type(node).__name__,
                        path, renamed, path)
            path = renamed
        self._nodes[path] = node
        return path

    def remove_node(self, node: Node) -> None:
        """Forget ``node`` (its path is free again)."""
        if self._nodes.get(node.get_path()) is node:
            del self._nodes[node.get_path()]

    def get_node_or_null(self, path: str) -> Node | None:
        """The node at ``path`` (relative to ``root_path``, or absolute), or None."""
        if not path:
            return None
        return self._nodes.get(self.absolute_path(path))

    def nodes_under(self, node: Node) -> list[Node]:
        """The registered nodes below ``node`` (not ``node`` itself)."""
        prefix = node.get_path() + "/"
        return [n for p, n in self._nodes.items() if p.startswith(prefix)]
