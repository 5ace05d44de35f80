"""Godot 4's SceneMultiplayer authentication: who may join, after what exchange.

Owns the peers still authenticating (``_Pending``: which side has called ``complete_auth``),
``auth_callback``, ``auth_timeout``, ``send_auth`` and ``complete_auth`` with Godot's errors and
messages (scene_multiplayer.cpp). The packets themselves are read by scene_multiplayer.py,
which admits a peer through ``_admit_peer`` once both sides are done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..core.constants import ConnectionStatus, Error, TransferMode
from ._scene_nodes import SceneNodes
from ._scene_wire import auth_packet
from .multiplayer_peer import MultiplayerPeer

__all__ = ["SceneAuth"]

log = logging.getLogger("godot_ws.godot4.multiplayer")

_CONNECTED = ConnectionStatus.CONNECTION_CONNECTED
_RELIABLE = TransferMode.TRANSFER_MODE_RELIABLE


class _Pending:
    __slots__ = ("local", "remote", "time")

    def __init__(self, now: float) -> None:
        self.local = False  # we called complete_auth
        self.remote = False  # the peer sent 07 00
        self.time = now


class SceneAuth(SceneNodes):
    """The authentication half of ``SceneMultiplayer`` (its base class)."""

    def __init__(self, root_path: str = "/root") -> None:
        super().__init__(root_path)
        self._peer: MultiplayerPeer | None = None
        self._pending: dict[int, _Pending] = {}
        self._auth_callback: Callable[[int, bytes], Any] | None = None
        self._auth_timeout = 3.0

    def _admit_peer(self, peer_id: int) -> None:
        """Admit a peer whose authentication both sides completed (scene_multiplayer.py)."""
        raise NotImplementedError

    def get_auth_callback(self) -> Callable[[int, bytes], Any] | None:
        """The authentication callback ``callback(peer_id, data)``, or None (peers are admitted at
        once)."""
        return self._auth_callback

    def set_auth_callback(self, callback: Callable[[int, bytes], Any] | None) -> None:
        """``callback(peer_id, data)`` for each ``send_auth`` the peer makes. While set, a new
        peer is only admitted after both sides called ``complete_auth``."""
        if callback is not None and not callable(callback):
            raise TypeError("auth_callback must be callable or None")
        self._auth_callback = callback

    auth_callback = property(get_auth_callback, set_auth_callback)

    def get_auth_timeout(self) -> float:
        """Seconds a peer may take to authenticate (default 3; 0: no limit)."""
        return self._auth_timeout

    def set_auth_timeout(self, timeout: float) -> None:
        """Seconds a peer may take to authenticate (default 3; 0 = no limit)."""
        if timeout < 0:
            log.error("Timeout must be greater or equal to 0 (where 0 means no timeout)")
            return
        # Godot keeps whole milliseconds.
        self._auth_timeout = int(timeout * 1000) / 1000.0

    auth_timeout = property(get_auth_timeout, set_auth_timeout)

    def send_auth(self, id: int, data: bytes | bytearray | memoryview) -> Error:  # noqa: A002
        """Send authentication data to a peer that is still authenticating."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"send_auth takes bytes, not {type(data).__name__}")
        peer = self._peer
        if peer is None or peer.get_connection_status() != _CONNECTED:
            return Error.ERR_UNCONFIGURED
        pending = self._pending.get(id)
        if pending is None or not data:
            return Error.ERR_INVALID_PARAMETER
        if pending.local:
            log.error("The authentication session was previously marked as completed, no more "
                      "authentication data can be sent.")
            return Error.ERR_FILE_CANT_WRITE
        if pending.remote:
            log.error("The remote peer notified that the authentication session was completed, "
                      "no more authentication data can be sent.")
            return Error.ERR_FILE_CANT_WRITE
        peer.set_target_peer(id)
        peer.set_transfer_channel(0)
        peer.set_transfer_mode(_RELIABLE)
        return peer.put_packet(auth_packet(bytes(data)))

    def complete_auth(self, id: int) -> Error:  # noqa: A002
        """This side is done authenticating ``id``; it is admitted once the peer is done too."""
        peer = self._peer
        if peer is None or peer.get_connection_status() != _CONNECTED:
            return Error.ERR_UNCONFIGURED
        pending = self._pending.get(id)
        if pending is None:
            return Error.ERR_INVALID_PARAMETER
        if pending.local:
            log.error("The authentication session was already marked as completed.")
            return Error.ERR_FILE_CANT_WRITE
        pending.local = True
        peer.set_target_peer(id)
        peer.set_transfer_channel(0)
        peer.set_transfer_mode(_RELIABLE)
        err = peer.put_packet(auth_packet())
        if pending.remote:
            del self._pending[id]
            self._admit_peer(id)
        return err
