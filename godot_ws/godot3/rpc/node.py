"""``Node``: the base class of ported Godot 3 scripts that send and receive RPCs.

Owns what a Godot 3 ``Node`` offers high-level multiplayer code: registration at its Godot path
(godot_ws has no scene tree, so ``Node(tree, "/root/Main/Lobby")`` stands for "this node is at
that path"), ``rpc``/``rpc_id``/``rpc_unreliable(_id)``, ``rset``/``rset_id``/
``rset_unreliable(_id)``, runtime modes (``rpc_config``/``rset_config``), the network master
(``set_network_master``, recursive over the registered nodes under this path), and
``custom_multiplayer``. Sending and receiving are the MultiplayerAPI's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...variant.types3 import NodePath
from ...common.signals import SignalOwner
from .modes import RPCMode

if TYPE_CHECKING:
    from .multiplayer_api import MultiplayerAPI
    from .scene_tree import SceneTree

__all__ = ["Node"]


class Node(SignalOwner):
    """A node at a Godot path, e.g. ``class Lobby(Node)`` for ``lobby.gd``'s ``extends Node``.

    Methods become callable from the network with the mode decorators (``@remote``,
    ``@master``, ``@puppet``, ``@sync``...); properties with ``remote_property`` or
    ``rset_config``. Undecorated methods are DISABLED: the receiver refuses them, as Godot.
    """

    def __init__(self, tree: SceneTree | MultiplayerAPI, path: str | NodePath) -> None:
        self._tree = tree
        self._rpc_modes: dict[str, RPCMode] = {}
        self._rset_modes: dict[str, RPCMode] = {}
        self._network_master = 1
        self._custom_multiplayer: MultiplayerAPI | None = None
        tree.add_node(self, path)
        self._wire = tree.get_node_wire_path(self) or ""
        self.name = self._wire.rsplit("/", 1)[-1]

    # ------------------------------------------------------------------ tree

    def get_tree(self) -> SceneTree | MultiplayerAPI:
        """The ``SceneTree`` (or ``MultiplayerAPI``) this node is registered with."""
        return self._tree

    def get_path(self) -> NodePath:
        """The absolute path, as Godot's ``get_path()`` (``/root/Main/Lobby``)."""
        return self._tree.absolute_path(self._wire)

    def is_inside_tree(self) -> bool:
        """Whether the node is registered (False after ``free``)."""
        return self._tree.get_node_wire_path(self) is not None

    def get_node(self, path: str | NodePath) -> Any:
        """A registered node by absolute path, or relative to this one (``"../Player"``)."""
        text = str(path)
        if text.startswith("/"):
            return self._tree.get_node(text)
        names = self._wire.split("/")
        for part in text.split("/"):
            if part == "..":
                if not names:
                    return None
                names.pop()
            elif part not in ("", "."):
                names.append(part)
        return self._tree.get_node("/".join(names)) if names else None

    def get_parent(self) -> Any:
        """The registered node one level up, or None."""
        return self.get_node("..")

    def queue_free(self) -> None:
        """Unregister at the end of the frame, as Godot deletes at the end of its frame: RPCs
        still queued in this ``SceneTree.poll()`` (a leaving player's last words) find the
        node. On a plain MultiplayerAPI (no frames) the node goes at once."""
        defer = getattr(self._tree, "defer_free", None)
        if defer is not None:
            defer(self)
        else:
            self.free()

    def free(self) -> None:
        """Unregister now (calls ``_exit_tree`` if defined)."""
        if self.is_inside_tree():
            self._tree.remove_node(self._wire)
            exit_tree = getattr(self, "_exit_tree", None)
            if exit_tree is not None:
                exit_tree()

    @property
    def custom_multiplayer(self) -> MultiplayerAPI | None:
        """A MultiplayerAPI of its own for this node (Godot's ``custom_multiplayer``); setting
        it registers the node there at its path (which must be under that API's root)."""
        return self._custom_multiplayer

    @custom_multiplayer.setter
    def custom_multiplayer(self, api: MultiplayerAPI | None) -> None:
        old = self._custom_multiplayer
        if old is not None and old.get_node_wire_path(self) is not None:
            old.remove_node(old.get_node_wire_path(self) or "")
        self._custom_multiplayer = api
        if api is not None:
            api.add_node(self, self.get_path())

    @property
    def multiplayer(self) -> MultiplayerAPI:
        """``custom_multiplayer`` if set, else the tree's."""
        return self._custom_multiplayer or self._tree

    def get_multiplayer(self) -> MultiplayerAPI:
        """``custom_multiplayer`` if set, else the tree's (Godot's ``get_multiplayer()``)."""
        return self.multiplayer

    # ------------------------------------------------------------------ RPC

    def rpc(self, method: str, *args: Any) -> None:
        """Call ``method`` on every peer (and here, for sync modes)."""
        self.multiplayer.rpcp(self, 0, False, method, args)

    def rpc_id(self, peer_id: int, method: str, *args: Any) -> None:
        """Call ``method`` on ``peer_id`` (N one peer, -N everyone but N)."""
        self.multiplayer.rpcp(self, peer_id, False, method, args)

    def rpc_unreliable(self, method: str, *args: Any) -> None:
        """``rpc`` in unreliable mode (WebSocket delivers it reliably anyway)."""
        self.multiplayer.rpcp(self, 0, True, method, args)

    def rpc_unreliable_id(self, peer_id: int, method: str, *args: Any) -> None:
        """``rpc_id`` in unreliable mode (WebSocket delivers it reliably anyway)."""
        self.multiplayer.rpcp(self, peer_id, True, method, args)

    def rset(self, prop: str, value: Any) -> None:
        """Set property ``prop`` to ``value`` on every peer (and here, for sync modes), as its
        ``remote_property`` mode allows."""
        self.multiplayer.rsetp(self, 0, False, prop, value)

    def rset_id(self, peer_id: int, prop: str, value: Any) -> None:
        """``rset`` on one peer (``peer_id`` N), or everyone but N (-N)."""
        self.multiplayer.rsetp(self, peer_id, False, prop, value)

    def rset_unreliable(self, prop: str, value: Any) -> None:
        """``rset`` in unreliable mode (WebSocket delivers it reliably anyway)."""
        self.multiplayer.rsetp(self, 0, True, prop, value)

    def rset_unreliable_id(self, peer_id: int, prop: str, value: Any) -> None:
        """``rset_id`` in unreliable mode (WebSocket delivers it reliably anyway)."""
        self.multiplayer.rsetp(self, peer_id, True, prop, value)

    def rpc_config(self, method: str, mode: RPCMode | int) -> None:
        """Set ``method``'s mode at runtime (wins over its decorator)."""
        self._rpc_modes[method] = RPCMode(mode)

    def rset_config(self, prop: str, mode: RPCMode | int) -> None:
        """Set ``prop``'s rset mode at runtime (wins over ``remote_property``)."""
        self._rset_modes[prop] = RPCMode(mode)

    # ------------------------------------------------------------------ network master

    def set_network_master(self, peer_id: int, recursive: bool = True) -> None:
        """Make ``peer_id`` this node's master; with ``recursive``, also of every registered
        node under this path."""
        self._network_master = int(peer_id)
        if recursive:
            for node in self._tree.nodes_under(self._wire):
                if isinstance(node, Node):
                    node._network_master = int(peer_id)

    def get_network_master(self) -> int:
        """The id of this node's master (default 1, the server)."""
        return self._network_master

    def is_network_master(self) -> bool:
        """True when our unique id is this node's master (False, silently, with no peer)."""
        api = self.multiplayer
        return api.has_network_peer() and self._network_master == api.get_network_unique_id()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.get_path()}>"
