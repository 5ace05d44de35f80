"""``PacketPeer`` and ``WebSocketPeer``: the packet API a game reads and writes.

Owns the read side of one connection's packet queue (``get_packet``, ``was_string_packet``,
``get_packet_error``) and the write mode. Sending and closing go through the ``PeerLink`` it is
handed; the peer never reaches back into the client that made it.
"""

from __future__ import annotations

import logging
from typing import Protocol

from .constants import Error, WriteMode
from .protocol import PacketQueue

__all__ = ["PacketPeer", "WebSocketPeer", "PeerLink"]

log = logging.getLogger("godot_ws")

_BYTES_TYPES = (bytes, bytearray, memoryview)


class PeerLink(Protocol):
    """What a peer needs from its connection."""

    def send(self, payload: bytes, text: bool) -> Error: ...

    def close(self, code: int, reason: str) -> None: ...

    def is_open(self) -> bool: ...

    def address(self) -> tuple[str, int]: ...

    def set_no_delay(self, enabled: bool) -> None: ...


class PacketPeer:
    """Godot's PacketPeer: packets in, packets out, with the last read's error."""

    def __init__(self) -> None:
        self._packet_error = Error.OK

    def get_available_packet_count(self) -> int:
        raise NotImplementedError

    def get_packet(self) -> bytes:
        raise NotImplementedError

    def put_packet(self, buffer: bytes | bytearray | memoryview) -> Error:
        raise NotImplementedError

    def get_packet_error(self) -> Error:
        """The result of the last ``get_packet`` (Godot: ``get_var`` does not update it)."""
        return self._packet_error


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
        if queue.packets:
            payload, self._was_string = queue.pop()
            self._packet_error = Error.OK
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
        if link is None or not link.is_open():
            log.error("put_packet: the peer is not connected")
            return Error.FAILED
        return link.send(
            bytes(buffer) if type(buffer) is not bytes else buffer,
            self._write_mode is WriteMode.WRITE_MODE_TEXT,
        )

    def get_write_mode(self) -> WriteMode:
        return self._write_mode

    def set_write_mode(self, mode: int) -> None:
        self._write_mode = WriteMode(mode)

    # ------------------------------------------------------------------ connection

    def is_connected_to_host(self) -> bool:
        return self._link is not None and self._link.is_open()

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the close handshake; ``connection_closed`` fires when the server answers."""
        if self._link is not None:
            self._link.close(code, reason)

    def get_connected_host(self) -> str:
        if not self.is_connected_to_host():
            log.error("get_connected_host: not connected")
            return ""
        return self._link.address()[0]  # type: ignore[union-attr]

    def get_connected_port(self) -> int:
        if not self.is_connected_to_host():
            log.error("get_connected_port: not connected")
            return 0
        return self._link.address()[1]  # type: ignore[union-attr]

    def set_no_delay(self, enabled: bool) -> None:
        if self._link is not None:
            self._link.set_no_delay(bool(enabled))
