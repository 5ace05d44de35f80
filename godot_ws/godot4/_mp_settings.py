"""The settings of Godot 4's ``WebSocketMultiplayerPeer``: what every connection it makes is
created with (kept on a template ``WebSocketPeer``) and its handshake timeout.

Owns those properties only; websocket_multiplayer_peer.py builds the peer on this base.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from .websocket_peer import WebSocketPeer

__all__ = ["MultiplayerPeerSettings"]

log = logging.getLogger("godot_ws.godot4.multiplayer")


class MultiplayerPeerSettings:
    """The properties of ``WebSocketMultiplayerPeer`` (its base; not used directly)."""

    def __init__(self) -> None:
        self._config = WebSocketPeer()  # holds the properties every peer is created with
        self._handshake_timeout = 3.0

    def get_supported_protocols(self) -> list[str]:
        """Sub-protocols each connection requests or accepts (default none)."""
        return self._config.get_supported_protocols()

    def set_supported_protocols(self, protocols: Sequence[str]) -> None:
        """Set the sub-protocols of the connections made after this."""
        self._config.set_supported_protocols(protocols)

    supported_protocols = property(get_supported_protocols, set_supported_protocols)

    def get_handshake_headers(self) -> list[str]:
        """The extra ``"Name: value"`` handshake lines of every connection."""
        return self._config.get_handshake_headers()

    def set_handshake_headers(self, headers: Sequence[str]) -> None:
        """Set extra handshake lines for the connections made after this."""
        self._config.set_handshake_headers(headers)

    handshake_headers = property(get_handshake_headers, set_handshake_headers)

    def get_inbound_buffer_size(self) -> int:
        """Each connection's largest message, in bytes (default 65535)."""
        return self._config.get_inbound_buffer_size()

    def set_inbound_buffer_size(self, buffer_size: int) -> None:
        """Set each later connection's largest message (``WebSocketPeer``'s rule)."""
        self._config.set_inbound_buffer_size(buffer_size)

    inbound_buffer_size = property(get_inbound_buffer_size, set_inbound_buffer_size)

    def get_outbound_buffer_size(self) -> int:
        """The most bytes that may wait to be sent on each connection (default 65535)."""
        return self._config.get_outbound_buffer_size()

    def set_outbound_buffer_size(self, buffer_size: int) -> None:
        """Set each later connection's output limit (``WebSocketPeer``'s rule)."""
        self._config.set_outbound_buffer_size(buffer_size)

    outbound_buffer_size = property(get_outbound_buffer_size, set_outbound_buffer_size)

    def get_max_queued_packets(self) -> int:
        """Each connection's inbound packet slots (default 4096)."""
        return self._config.get_max_queued_packets()

    def set_max_queued_packets(self, max_queued_packets: int) -> None:
        """Set each later connection's packet slots (``WebSocketPeer``'s rule)."""
        self._config.set_max_queued_packets(max_queued_packets)

    max_queued_packets = property(get_max_queued_packets, set_max_queued_packets)

    def get_handshake_timeout(self) -> float:
        """Seconds to open and (a client) to get an id; default 3."""
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
