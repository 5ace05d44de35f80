"""The settings of Godot 4's ``WebSocketPeer``: what a game sets before connecting.

Owns ``supported_protocols``, ``handshake_headers``, the buffer and queue sizes,
``heartbeat_interval`` (which also reaches a live connection), permessage-deflate's switch and
options (ours: Godot has none) and the proxy settings, each with Godot's type checks and
defaults (4.4+). websocket_peer.py builds the connection's life on this.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ..common.packet_peer import PacketPeer
from ..common.arguments import require_strings
from ..core.deflate import DeflateOptions
from ..net.connection import Connection

__all__ = ["PeerSettings"]

log = logging.getLogger("godot_ws")


class PeerSettings(PacketPeer):
    """Settings of one Godot 4 ``WebSocketPeer`` (its base class)."""

    def __init__(self) -> None:
        super().__init__()
        self._supported_protocols: tuple[str, ...] = ()
        self._handshake_headers: tuple[str, ...] = ()
        self._inbound_buffer_size = 65535
        self._outbound_buffer_size = 65535
        self._max_queued_packets = 4096  # 4.4+ (2048 in 4.3)
        self._heartbeat_interval = 0.0
        self._compression_enabled = False  # permessage-deflate (ours; Godot has none)
        self._compression_options = DeflateOptions()
        self._conn: Connection | None = None
        #: HTTP proxy for ``connect_to_url`` (ours; Godot has none), as
        #: ``WebSocketClient.proxy``: None reads https_proxy / http_proxy, "" never, or
        #: "http://[user:password@]host[:port]".
        self.proxy: str | None = None
        #: Hosts reached directly; None reads the ``no_proxy`` environment variable.
        self.no_proxy: list[str] | None = None

    def get_supported_protocols(self) -> list[str]:
        """The sub-protocols requested (client) or accepted (server); default none."""
        return list(self._supported_protocols)

    def set_supported_protocols(self, protocols: Sequence[str]) -> None:
        """Sub-protocols to request (client) or accept (server); edges are stripped."""
        self._supported_protocols = tuple(p.strip() for p in require_strings("supported_protocols", "protocols", protocols))

    supported_protocols = property(get_supported_protocols, set_supported_protocols)

    def get_handshake_headers(self) -> list[str]:
        """The extra ``"Name: value"`` lines of the upgrade request or 101 reply."""
        return list(self._handshake_headers)

    def set_handshake_headers(self, headers: Sequence[str]) -> None:
        """Raw ``"Name: value"`` lines added to the upgrade request (client) or the 101
        reply (server)."""
        self._handshake_headers = require_strings("handshake_headers", "headers", headers)

    handshake_headers = property(get_handshake_headers, set_handshake_headers)

    def get_inbound_buffer_size(self) -> int:
        """The largest message accepted, in bytes (default 65535); see
        ``set_inbound_buffer_size``."""
        return self._inbound_buffer_size

    def set_inbound_buffer_size(self, buffer_size: int) -> None:
        """The largest message accepted (a larger one closes with 1009) and, rounded up to a
        power of two (minus one byte), the bytes the inbound queue holds. Applies from the
        next ``connect_to_url``/``accept_stream``, as in Godot."""
        self._inbound_buffer_size = _int("inbound_buffer_size", buffer_size)

    inbound_buffer_size = property(get_inbound_buffer_size, set_inbound_buffer_size)

    def get_outbound_buffer_size(self) -> int:
        """The most bytes that may wait to be sent (default 65535; 0: no limit)."""
        return self._outbound_buffer_size

    def set_outbound_buffer_size(self, buffer_size: int) -> None:
        """``send`` returns ERR_OUT_OF_MEMORY when the queued bytes plus the new message would
        exceed this (0 or less: no limit)."""
        self._outbound_buffer_size = _int("outbound_buffer_size", buffer_size)

    outbound_buffer_size = property(get_outbound_buffer_size, set_outbound_buffer_size)

    def get_max_queued_packets(self) -> int:
        """The inbound packet slots (default 4096, Godot 4.4's)."""
        return self._max_queued_packets

    def set_max_queued_packets(self, max_queued_packets: int) -> None:
        """Inbound packet slots (when full, reading pauses and TCP pushes back on the sender)
        and the cap on queued outbound messages."""
        self._max_queued_packets = _int("max_queued_packets", max_queued_packets)

    max_queued_packets = property(get_max_queued_packets, set_max_queued_packets)

    def get_heartbeat_interval(self) -> float:
        """Seconds between heartbeat pings while OPEN (0: off, the default)."""
        return self._heartbeat_interval

    def set_heartbeat_interval(self, interval: float) -> None:
        """Seconds between pings while OPEN (0: off). A ping whose pong has not come back by
        the next one drops the connection (close code stays -1), as Godot 4.4+ does."""
        if not isinstance(interval, (int, float)) or isinstance(interval, bool):
            raise TypeError(f"heartbeat_interval must be a number, not {type(interval).__name__}")
        if interval < 0:
            log.error("heartbeat_interval cannot be negative (%r)", interval)
            return
        # Godot keeps whole milliseconds.
        self._heartbeat_interval = int(interval * 1000.0) / 1000.0
        if self._conn is not None:
            self._conn.heartbeat_interval = self._heartbeat_interval

    heartbeat_interval = property(get_heartbeat_interval, set_heartbeat_interval)

    def is_compression_enabled(self) -> bool:
        """Whether permessage-deflate is offered or accepted on the next connection (default
        False)."""
        return self._compression_enabled

    def set_compression_enabled(self, enabled: bool) -> None:
        """Offer (``connect_to_url``) or accept (``accept_stream``) permessage-deflate, RFC
        7692; default False (Godot peers do not speak it). Applies to the next connection;
        parameters in ``compression_options`` (a ``godot_ws.DeflateOptions``)."""
        self._compression_enabled = bool(enabled)

    compression_enabled = property(is_compression_enabled, set_compression_enabled)

    def get_compression_options(self) -> DeflateOptions:
        """The permessage-deflate parameters (a ``godot_ws.DeflateOptions``)."""
        return self._compression_options

    def set_compression_options(self, options: DeflateOptions) -> None:
        """Set the permessage-deflate parameters used when ``compression_enabled`` (applies to the
        next connection)."""
        if not isinstance(options, DeflateOptions):
            raise TypeError("compression_options must be a DeflateOptions")
        self._compression_options = options

    compression_options = property(get_compression_options, set_compression_options)

    def _deflate(self) -> DeflateOptions | None:
        return self._compression_options if self._compression_enabled else None


def _int(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be int, not {type(value).__name__}")
    return value
