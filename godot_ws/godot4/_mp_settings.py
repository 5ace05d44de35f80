"""The settings of Godot 4's ``WebSocketMultiplayerPeer``: what every connection is made with.

Owns ``supported_protocols``, ``handshake_headers``, the buffer and queue sizes (kept on one
unconnected ``WebSocketPeer`` that serves as the template) and ``handshake_timeout``, with
Godot's checks, and ``_create_peer``, which makes each connection's ``WebSocketPeer`` from
them. websocket_multiplayer_peer.py builds the connections' life on this base.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from .multiplayer_peer import MultiplayerPeer
from .websocket_peer import WebSocketPeer

__all__ = ["MultiplayerPeerSettings"]

log = logging.getLogger("godot_ws.godot4.multiplayer")


class MultiplayerPeerSettings(MultiplayerPeer):
    """Settings of a ``WebSocketMultiplayerPeer`` (its base class)."""

    def __init__(self) -> None:
        super().__init__()
        self._config = WebSocketPeer()  # holds the properties every peer is created with
        self._handshake_timeout = 3.0

    def get_supported_protocols(self) -> list[str]:
        return self._config.get_supported_protocols()

    def set_supported_protocols(self, protocols: Sequence[str]) -> None:
        self._config.set_supported_protocols(protocols)

    supported_protocols = property(get_supported_protocols, set_supported_protocols)

    def get_handshake_headers(self) -> list[str]:
        return self._config.get_handshake_headers()

    def set_handshake_headers(self, headers: Sequence[str]) -> None:
        self._config.set_handshake_headers(headers)

    handshake_headers = property(get_handshake_headers, set_handshake_headers)

    def get_inbound_buffer_size(self) -> int:
        return self._config.get_inbound_buffer_size()

    def set_inbound_buffer_size(self, buffer_size: int) -> None:
        self._config.set_inbound_buffer_size(buffer_size)

    inbound_buffer_size = property(get_inbound_buffer_size, set_inbound_buffer_size)

    def get_outbound_buffer_size(self) -> int:
        return self._config.get_outbound_buffer_size()

    def set_outbound_buffer_size(self, buffer_size: int) -> None:
        self._config.set_outbound_buffer_size(buffer_size)

    outbound_buffer_size = property(get_outbound_buffer_size, set_outbound_buffer_size)

    def get_max_queued_packets(self) -> int:
        return self._config.get_max_queued_packets()

    def set_max_queued_packets(self, max_queued_packets: int) -> None:
        self._config.set_max_queued_packets(max_queued_packets)

    max_queued_packets = property(get_max_queued_packets, set_max_queued_packets)

    def get_handshake_timeout(self) -> float:
        return self._handshake_timeout

    def set_handshake_timeout(self, timeout: float) -> None:
        """Seconds a connection has to open and (client) receive its id; must be > 0."""
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool):
            raise TypeError(f"timeout must be a number, not {type(timeout).__name__}")
        if timeout <= 0:
            log.error("handshake_timeout must be greater than 0")
            return
        self._handshake_timeout = float(timeout)

    handshake_timeout = property(get_handshake_timeout, set_handshake_timeout)

    def _create_peer(self) -> WebSocketPeer:
        peer = WebSocketPeer()
        peer.set_supported_protocols(self.get_supported_protocols())
        peer.set_handshake_headers(self.get_handshake_headers())
        peer.set_inbound_buffer_size(self.get_inbound_buffer_size())
        peer.set_outbound_buffer_size(self.get_outbound_buffer_size())
        peer.set_max_queued_packets(self.get_max_queued_packets())
        return peer
