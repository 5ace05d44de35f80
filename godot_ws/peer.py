"""``PacketPeer`` and ``WebSocketPeer``: the packet API a game reads and writes.

Owns ``PacketPeer`` (``put_var``/``get_var`` over any ``put_packet``/``get_packet``, and the
``allow_object_decoding``/``encode_buffer_max_size`` properties), the read side of one
connection's packet queue (``get_packet``, ``was_string_packet``, ``get_packet_error``) and the
write mode. Sending and closing go through the ``PeerLink`` it is handed; the peer never reaches
back into the client that made it.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Protocol

from .constants import Error, WriteMode
from .protocol import PacketQueue
from .variant import VariantDecodeError, decode_var, encode_var

__all__ = ["PacketPeer", "WebSocketPeer", "PeerLink"]

log = logging.getLogger(__name__)

_BYTES_TYPES = (bytes, bytearray, memoryview)
# Enum member lookups cost ~0.1 us each on CPython 3.11: hot paths use module constants.
_OK = Error.OK
_TEXT = WriteMode.WRITE_MODE_TEXT
# PacketPeer's encode buffer (core/io/packet_peer.cpp): default 8 MiB, setter range 1 KiB..256 MiB.
_ENCODE_BUFFER_DEFAULT = 8 * 1024 * 1024
_ENCODE_BUFFER_LIMIT = 256 * 1024 * 1024


class PeerLink(Protocol):
    """What a peer needs from its connection."""

    def send(self, payload: bytes | bytearray | memoryview, text: bool) -> Error: ...

    def close(self, code: int, reason: str) -> None: ...

    def is_open(self) -> bool: ...

    def address(self) -> tuple[str, int]: ...

    def set_no_delay(self, enabled: bool) -> None: ...


class PacketPeer:
    """Godot's PacketPeer: packets in, packets out, with the last read's error.

    ``put_var``/``get_var`` send and read one Godot Variant per packet (``godot_ws.variant``).
    """

    # Which Godot major's Variant table put_var/get_var use; godot_ws.godot4's peers say 4.
    _variant_version: ClassVar[int] = 3

    def __init__(self) -> None:
        self._packet_error = Error.OK
        self._allow_object_decoding = False
        self._encode_buffer_max_size = _ENCODE_BUFFER_DEFAULT

    def get_available_packet_count(self) -> int:
        raise NotImplementedError

    def get_packet(self) -> bytes:
        raise NotImplementedError

    def put_packet(self, buffer: bytes | bytearray | memoryview) -> Error:
        raise NotImplementedError

    def get_packet_error(self) -> Error:
        """The result of the last ``get_packet`` (Godot: ``get_var`` does not update it)."""
        return self._packet_error

    # ------------------------------------------------------------------ Variants

    def put_var(self, var: Any, full_objects: bool = False) -> Error:
        """Encode ``var`` as Godot's ``var2bytes(var, full_objects)`` and send it as one packet.

        ERR_OUT_OF_MEMORY (nothing sent) when the encoding is larger than
        ``encode_buffer_max_size``; otherwise what ``put_packet`` returns. A value with no
        Variant type (a set, an arbitrary object) raises TypeError, an int outside int64 or
        a ``GodotObject`` without ``full_objects`` ValueError: caller misuse, not network.
        """
        data = encode_var(var, bool(full_objects), self._variant_version)
        if len(data) > self._encode_buffer_max_size:
            log.error(
                "put_var: the encoded value is %d bytes, over encode_buffer_max_size (%d)",
                len(data), self._encode_buffer_max_size,
            )
            return Error.ERR_OUT_OF_MEMORY
        return self.put_packet(data)

    def get_var(self, allow_objects: bool = False) -> Any:
        """Take the next packet and decode it as one Variant (``bytes2var``).

        As in Godot, the packet is consumed even when it does not decode; then the reason is
        logged and None returned (like Godot's null). ``get_packet_error()`` is left as it
        was. Full objects decode only if ``allow_objects`` or ``allow_object_decoding``.
        """
        saved = self._packet_error
        data = self.get_packet()
        error = self._packet_error
        self._packet_error = saved
        if error != Error.OK:
            log.error("get_var: no packet to read (%s)", error.name)
            return None
        try:
            return decode_var(
                data, bool(allow_objects) or self._allow_object_decoding, self._variant_version
            )
        except VariantDecodeError as exc:
            log.error("get_var: dropped a packet of %d bytes that is not a Variant: %s",
                      len(data), exc)
            return None

    def is_object_decoding_allowed(self) -> bool:
        return self._allow_object_decoding

    def set_allow_object_decoding(self, enable: bool) -> None:
        """Let ``get_var`` decode full objects (``GodotObject``) even without ``allow_objects``.

        Godot warns this can be unsafe; here a decoded object is inert data, never code.
        """
        self._allow_object_decoding = bool(enable)

    allow_object_decoding = property(is_object_decoding_allowed, set_allow_object_decoding)

    def get_encode_buffer_max_size(self) -> int:
        return self._encode_buffer_max_size

    def set_encode_buffer_max_size(self, max_size: int) -> None:
        """Largest encoding ``put_var`` sends (default 8 MiB). Godot's rule: at least 1024,
        at most 256 MiB (else logged, unchanged), rounded up to a power of two."""
        if not isinstance(max_size, int) or isinstance(max_size, bool):
            raise TypeError(f"max_size must be int, not {type(max_size).__name__}")
        if max_size < 1024:
            log.error("encode_buffer_max_size must be at least 1024 bytes, not %d", max_size)
            return
        if max_size > _ENCODE_BUFFER_LIMIT:
            log.error("encode_buffer_max_size cannot exceed 256 MiB, not %d", max_size)
            return
        self._encode_buffer_max_size = 1 << (max_size - 1).bit_length()

    encode_buffer_max_size = property(get_encode_buffer_max_size, set_encode_buffer_max_size)


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

    def get_heartbeat_interval(self) -> float:
        """This connection's heartbeat (Godot 4.4's ``heartbeat_interval``, 0: off); see
        ``WebSocketClient.heartbeat_interval``."""
        return float(getattr(self._link, "heartbeat_interval", 0.0))

    def set_heartbeat_interval(self, seconds: float) -> None:
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
            raise TypeError(f"heartbeat_interval must be a number, not {type(seconds).__name__}")
        if self._link is not None and hasattr(self._link, "heartbeat_interval"):
            self._link.heartbeat_interval = seconds

    heartbeat_interval = property(get_heartbeat_interval, set_heartbeat_interval)
