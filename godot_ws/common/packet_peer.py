"""``PacketPeer``: the packet API both faces' peers share.

Owns ``put_var``/``get_var`` over any ``put_packet``/``get_packet`` (with the Godot major's
Variant table a subclass names), the last read's error, and the ``allow_object_decoding`` /
``encode_buffer_max_size`` properties. Used by the Godot 3 ``WebSocketPeer`` and
``WebSocketMultiplayerPeer`` and by every Godot 4 peer; imports no face.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from .netlog import PeerLog
from ..core.constants import Error
from ..variant.codec import VariantDecodeError, decode_var, encode_var

__all__ = ["PacketPeer"]

log = logging.getLogger("godot_ws.peer")  # the name README documents
_netlog = PeerLog(log)

# PacketPeer's encode buffer (core/io/packet_peer.cpp): default 8 MiB, setter range 1 KiB..256 MiB.
_ENCODE_BUFFER_DEFAULT = 8 * 1024 * 1024
_ENCODE_BUFFER_LIMIT = 256 * 1024 * 1024


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
        """How many whole packets are waiting to be read."""
        raise NotImplementedError

    def get_packet(self) -> bytes:
        """Take the next packet (``bytes``); ``get_packet_error()`` says whether there was one
        (ERR_UNAVAILABLE and ``b""`` when none waits)."""
        raise NotImplementedError

    def put_packet(self, buffer: bytes | bytearray | memoryview) -> Error:
        """Send ``buffer`` as one packet (one WebSocket message); an ``Error`` says whether it was
        queued (ERR_OUT_OF_MEMORY when the output buffer is full, nothing queued)."""
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
            # The network's doing, however often it comes: rate-limited (one key for all).
            _netlog.error(0, "get_var: dropped a packet of %d bytes that is not a Variant: %s",
                          len(data), exc)
            return None

    def is_object_decoding_allowed(self) -> bool:
        """Whether ``get_var`` decodes full objects without ``allow_objects`` (default False)."""
        return self._allow_object_decoding

    def set_allow_object_decoding(self, enable: bool) -> None:
        """Let ``get_var`` decode full objects (``GodotObject``) even without ``allow_objects``.

        Godot warns this can be unsafe; here a decoded object is inert data, never code.
        """
        self._allow_object_decoding = bool(enable)

    allow_object_decoding = property(is_object_decoding_allowed, set_allow_object_decoding)

    def get_encode_buffer_max_size(self) -> int:
        """The largest encoding ``put_var`` sends, in bytes (default 8 MiB)."""
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
