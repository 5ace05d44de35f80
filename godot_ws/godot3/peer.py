"""Godot 3's ``WebSocketPeer``: one connection's packets, as a game reads and writes them.

Owns the read side of one connection's packet queue (``get_packet``, ``was_string_packet``,
``get_packet_error``) and the write mode. Sending and closing go through the ``PeerLink`` it is
handed; the peer never reaches back into the client that made it. ``put_var``/``get_var`` come
from the shared ``PacketPeer`` (common/packet_peer.py).
"""

from __future__ import annotations

import logging
from typing import Protocol

from ..common.packet_peer import PacketPeer
from ..core.constants import Error, WriteMode
from ..core.protocol import PacketQueue

__all__ = ["PacketPeer", "WebSocketPeer", "PeerLink"]

log = logging.getLogger("godot_ws.peer")  # the name README documents

_BYTES_TYPES = (bytes, bytearray, memoryview)
# Enum member lookups cost ~0.1 us each on CPython 3.11: hot paths use module constants.
_OK = Error.OK
_TEXT = WriteMode.WRITE_MODE_TEXT


class PeerLink(Protocol):
    """What a peer needs from its connection."""

    def send(self, payload: bytes | bytearray | memoryview, text: bool) -> Error: ...

    def close(self, code: int, reason: str) -> None: ...

    def is_open(self) -> bool: ...

    def address(self) -> tuple[str, int]: ...

    def set_no_delay(self, enabled: bool) -> None: ...


class WebSocketPeer(PacketPeer):
    """One WebSocket connection's packets (Godot 3's WebSocketPeer).

    A new peer is made on every ``connect_to_url`` (as in Godot), so fetch it after connecting.
    Unlike Godot 3.2.3, packets that arrived before the connection closed stay readable here
    until the next ``connect_to_url``.
    """

    WRITE_MODE_TEXT = WriteMode.WRITE_MODE_TEXT
    WRITE_MODE_BINARY = WriteMode.WRITE_MODE_BINARY

    def __init__(self, queue: PacketQueue | None = None, link: PeerLink | None = None) -> None:
        super().__init__()
        self._queue = queue if queue is not None else PacketQueue(1, 1)
        self._link = link
        self._write_mode = WriteMode.WRITE_MODE_BINARY
        self._was_string = False

    # ------------------------------------------------------------------ reading

    def get_available_packet_count(self) -> int:
        return len(self._queue.packets)

    def get_packet(self) -> bytes:
        """The next packet's payload (``bytes``); b"" with an error set when there is none."""
        queue = self._queue
        packets = queue.packets
        if packets:
            payload, self._was_string = packets.popleft()
            queue.nbytes -= len(payload)
            self._packet_error = _OK
            return payload
        self._packet_error = Error.ERR_UNAVAILABLE if self.is_connected_to_host() else Error.FAILED
        return b""

    def was_string_packet(self) -> bool:
        """True if the last packet read arrived as a text frame."""
        return self._was_string

    # ------------------------------------------------------------------ writing

    def put_packet(self, buffer: bytes | bytearray | memoryview) -> Error:
        """Queue one message in the write mode; ``poll()`` writes it.

        FAILED when not connected, ERR_OUT_OF_MEMORY when the output buffer or packet limit
        (``set_buffers``) is full: nothing is dropped silently. An empty packet is sent as an
        empty frame (Godot 3.2.3 sends nothing).
        """
        if not isinstance(buffer, _BYTES_TYPES):
            raise TypeError(f"put_packet takes bytes, not {type(buffer).__name__}")
        link = self._link
        if link is None:
            log.error("put_packet: the peer is not connected")
            return Error.FAILED
        # link.send refuses a connection that is not open, and checks the size before it
        # copies a bytearray or memoryview.
        return link.send(buffer, self._write_mode is _TEXT)

    def get_write_mode(self) -> WriteMode:
        """Whether ``put_packet`` sends text or binary messages (default ``WRITE_MODE_BINARY``)."""
        return self._write_mode

    def set_write_mode(self, mode: int) -> None:
        """Send the next packets as text (``WRITE_MODE_TEXT``: UTF-8 data) or binary messages."""
        self._write_mode = WriteMode(mode)

    # ------------------------------------------------------------------ connection

    def is_connected_to_host(self) -> bool:
        """Whether the connection is open."""
        return self._link is not None and self._link.is_open()

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the close handshake; ``connection_closed`` fires when the server answers."""
        if self._link is not None:
            self._link.close(code, reason)

    def get_connected_host(self) -> str:
        """The other end's IP address; "" (logged) when not connected."""
        if not self.is_connected_to_host():
            log.error("get_connected_host: not connected")
            return ""
        return self._link.address()[0]  # type: ignore[union-attr]

    def get_connected_port(self) -> int:
        """The other end's port; 0 (logged) when not connected."""
        if not self.is_connected_to_host():
            log.error("get_connected_port: not connected")
            return 0
        return self._link.address()[1]  # type: ignore[union-attr]

    def set_no_delay(self, enabled: bool) -> None:
        """Turn Nagle's algorithm off (True, the default here) or on for this connection."""
        if self._link is not None:
            self._link.set_no_delay(bool(enabled))

    def get_heartbeat_interval(self) -> float:
        """This connection's heartbeat (Godot 4.4's ``heartbeat_interval``, 0: off); see
        ``WebSocketClient.heartbeat_interval``."""
        return float(getattr(self._link, "heartbeat_interval", 0.0))

    def set_heartbeat_interval(self, seconds: float) -> None:
        """Set this connection's heartbeat in seconds (0: off); see
        ``WebSocketClient.heartbeat_interval``."""
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
            raise TypeError(f"heartbeat_interval must be a number, not {type(seconds).__name__}")
        if self._link is not None and hasattr(self._link, "heartbeat_interval"):
            self._link.heartbeat_interval = seconds

    heartbeat_interval = property(get_heartbeat_interval, set_heartbeat_interval)
