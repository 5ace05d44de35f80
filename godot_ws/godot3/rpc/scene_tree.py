"""``SceneTree``: the MultiplayerAPI under Godot 3 SceneTree's names, and the frame call.

Owns what ported ``main.gd`` code calls on ``get_tree()``: ``set_network_peer``,
``get_rpc_sender_id``, ``is_network_server``, ``get_network_unique_id``,
``get_network_connected_peers``, ``refuse_new_network_connections``, ``multiplayer`` (itself)
and the six signals (they are the MultiplayerAPI's, so both objects are one). ``poll()`` is the
one per-frame call: it calls ``_ready()`` once on nodes registered since the last frame, polls
the network (Godot's SceneTree polls its MultiplayerAPI every idle frame), then calls
``_process(delta)`` on nodes that define it.
"""

from __future__ import annotations

import time
from typing import Any

from ...variant.types3 import NodePath

from .multiplayer_api import MultiplayerAPI

__all__ = ["SceneTree"]


class SceneTree(MultiplayerAPI):
    """Godot 3's SceneTree, as far as high-level multiplayer goes. Unlike Godot's SceneTree it
    also has ``network_peer_packet`` and ``send_bytes`` (Godot keeps them on
    ``get_tree().multiplayer``, which here is the same object)."""

    def __init__(self) -> None:
        super().__init__()
        self._unready: list[object] = []
        self._to_free: list[Any] = []
        self._last_frame: float | None = None

    @property
    def multiplayer(self) -> SceneTree:
        """The tree itself: Godot's ``get_tree().multiplayer`` is the same object here."""
        return self

    def get_multiplayer(self) -> SceneTree:
        """The tree itself (Godot's ``get_multiplayer()``)."""
        return self

    def add_node(self, node: object, path: str | NodePath) -> None:
        super().add_node(node, path)
        if hasattr(node, "_ready"):
            self._unready.append(node)

    def defer_free(self, node: Any) -> None:
        """Free ``node`` at the end of this frame (``Node.queue_free``)."""
        if node not in self._to_free:
            self._to_free.append(node)

    def poll(self) -> None:
        """The frame: pending ``_ready()`` calls, the network, ``_process(delta)``, then the
        nodes ``queue_free()``'d meanwhile are freed."""
        while self._unready:
            node = self._unready.pop(0)
            if self.get_node_wire_path(node) is not None:
                node._ready()  # type: ignore[attr-defined]
        super().poll()
        now = time.monotonic()
        delta = 0.0 if self._last_frame is None else now - self._last_frame
        self._last_frame = now
        for node in self.registered_nodes():
            process = getattr(node, "_process", None)
            if process is not None:
                process(delta)
        while self._to_free:
            self._to_free.pop(0).free()
