"""Godot 4's ``Node`` as far as RPCs need it: a path in one SceneMultiplayer's tree, the
multiplayer authority, ``rpc_config`` and ``rpc`` / ``rpc_id``.

Subclass it and mark methods with ``@rpc(...)`` (``rpc_config.rpc``), as a GDScript extends
Node and annotates its functions. The node registers itself with the multiplayer under its path
(``Node(multiplayer, "Main")`` is GDScript's ``/root/Main``); ``free()`` takes it out. Owns no
networking: every call goes to ``multiplayer.rpcp``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..core.constants import Error

if TYPE_CHECKING:
    from .scene_multiplayer import SceneMultiplayer

__all__ = ["Node"]

log = logging.getLogger("godot_ws.godot4.multiplayer")


class Node:
    """A node of the multiplayer's tree.

    ``path`` is absolute (``"/root/Main"``) or relative to the multiplayer's ``root_path``
    (``"Main"``, ``"Main/Player"``). A node made at a path another node already has is
    renamed as Godot renames it (``/root/@Node@2``), with a warning.
    """

    def __init__(self, multiplayer: SceneMultiplayer, path: str) -> None:
        if not isinstance(path, str) or not path.strip("/"):
            raise ValueError(f"a Node needs a path, not {path!r}")
        self._multiplayer = multiplayer
        self._authority = 1
        self._node_rpc_config: dict[str, dict[str, Any]] = {}
        self._inside = False
        self._path = multiplayer.add_node(self, multiplayer.absolute_path(path))
        self._inside = True

    # ------------------------------------------------------------------ the tree

    @property
    def multiplayer(self) -> SceneMultiplayer:
        """The ``SceneMultiplayer`` this node is registered with (Godot's ``multiplayer``)."""
        return self._multiplayer

    def get_multiplayer(self) -> SceneMultiplayer:
        """The ``SceneMultiplayer`` this node is registered with."""
        return self._multiplayer

    def get_path(self) -> str:
        """The absolute path, e.g. ``"/root/Main"``."""
        return self._path

    @property
    def name(self) -> str:
        """The last part of the node's path (``"Main"`` for ``/root/Main``)."""
        return self._path.rsplit("/", 1)[-1]

    def get_name(self) -> str:
        """The last part of the node's path."""
        return self.name

    def is_inside_tree(self) -> bool:
        """Whether the node is registered (False after ``free``)."""
        return self._inside

    def free(self) -> None:
        """Take the node out of the tree (its path cache entries go too)."""
        if self._inside:
            self._inside = False
            self._multiplayer.remove_node(self)

    queue_free = free

    # ------------------------------------------------------------------ authority

    def set_multiplayer_authority(self, peer_id: int, recursive: bool = True) -> None:
        """The peer whose ``authority`` RPCs this node accepts (default 1, the server);
        ``recursive`` sets it on the nodes under this one too, as in Godot."""
        if not isinstance(peer_id, int) or isinstance(peer_id, bool):
            raise TypeError(f"peer_id must be int, not {type(peer_id).__name__}")
        self._authority = peer_id
        if recursive:
            for child in self._multiplayer.nodes_under(self):
                child._authority = peer_id

    def get_multiplayer_authority(self) -> int:
        """The id of the peer whose ``authority`` RPCs this node accepts (default 1, the server)."""
        return self._authority

    def is_multiplayer_authority(self) -> bool:
        """Whether this peer is the node's authority (False and an error logged outside the
        tree)."""
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
        """The node-level RPC configs set with ``rpc_config``, by method name."""
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
