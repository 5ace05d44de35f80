"""The switches of Godot 4's ``SceneMultiplayer``: ``refuse_new_connections`` (kept by the
multiplayer peer), ``server_relay`` and ``allow_object_decoding``.

Owns those properties only; scene_multiplayer.py reads them.
"""

from __future__ import annotations

import logging

from ._scene_auth import SceneAuth

__all__ = ["SceneSettings"]

log = logging.getLogger("godot_ws.godot4.multiplayer")


class SceneSettings(SceneAuth):
    """The settings of ``SceneMultiplayer`` (its base class; not used directly)."""

    def __init__(self, root_path: str = "/root") -> None:
        super().__init__(root_path)
        self._allow_object_decoding = False
        self._server_relay = True

    def is_refusing_new_connections(self) -> bool:
        """The peer's ``refuse_new_connections`` (False and an error logged with no peer)."""
        if self._peer is None:
            log.error("No multiplayer peer is assigned. Unable to get 'refuse_new_connections'.")
            return False
        return self._peer.is_refusing_new_connections()

    def set_refuse_new_connections(self, refuse: bool) -> None:
        """Set the peer's ``refuse_new_connections`` (an error is logged with no peer)."""
        if self._peer is None:
            log.error("No multiplayer peer is assigned. Unable to set 'refuse_new_connections'.")
            return
        self._peer.set_refuse_new_connections(refuse)

    refuse_new_connections = property(is_refusing_new_connections, set_refuse_new_connections)

    def is_server_relay_enabled(self) -> bool:
        """Whether the server relays client-to-client traffic (default True)."""
        return self._server_relay

    def set_server_relay_enabled(self, enabled: bool) -> None:
        """Relay client-to-client traffic through the server (default on, as in Godot)."""
        self._server_relay = bool(enabled)

    server_relay = property(is_server_relay_enabled, set_server_relay_enabled)

    def is_object_decoding_allowed(self) -> bool:
        """Whether RPC arguments may decode full objects (default False)."""
        return self._allow_object_decoding

    def set_allow_object_decoding(self, enable: bool) -> None:
        """Decode full objects in RPC arguments (off by default, as in Godot)."""
        self._allow_object_decoding = bool(enable)

    allow_object_decoding = property(is_object_decoding_allowed, set_allow_object_decoding)
