"""The parts of messages that do not fit the decoder's fast path.

Owns fragments and their reassembly (``_fragment``), permessage-deflate's inflating
(``_inflate``), control frames (ping -> pong, the peer's close and its echo: ``_control``), the
UTF-8 check of text still arriving, and large binary frames received straight into reusable
buffers (``receive_buffer``/``received_into``). The loop that calls these is receive.py's.
"""

from __future__ import annotations

import codecs
from typing import cast

from .deflate import (
    DeflateError,
    MessageTooBig,
    PerMessageDeflate,
)
from .inbound import (
    FRAGMENT_BYTES,
    AFTER_LARGE_READ,
    INFLATE_UNIT,
    MIN_FRAGMENTS,
    reusable,
)
from .events import Closed, CloseRequested
from .frames import (
    CLOSE_CODE,
    CloseCode,
    Opcode,
    is_valid_close_code,
    mask_payload,
    rotate_key,
)
from .state import ConnectionState, State

__all__ = ["MessageParts"]


class MessageParts(ConnectionState):
    """Fragments, compressed messages, control frames and large frames of one connection."""

    def receive_buffer(self) -> memoryview | None:
        """Where the transport should ``recv_into`` next: the rest of a large binary frame's
        own buffer (one copy, no joins of recv pieces), or None to use plain ``recv``."""
        large = self._large
        return large.want() if large is not None and not large.full else None

    def received_into(self, n: int) -> None:
        """``n`` bytes were written into ``receive_buffer()``."""
        large = self._large
        assert large is not None
        large.at += n
        if large.full:
            self._finish_large()
            self.next_read = AFTER_LARGE_READ

    def _finish_large(self) -> None:
        """Queue the large frame that has fully arrived (or add it to its message)."""
        large = self._large
        assert large is not None
        queue = self.queue
        packets = queue.packets
        if large.fin and not self._frag_opcode and packets and (
                len(packets) >= queue.max_packets or queue.nbytes + len(large.buffer)
                > queue.max_bytes):
            self.blocked = True  # it waits, whole, until the game makes room (resume)
            return
        self._large = None
        # The bytearray itself is the packet: a bytes copy would double the work. get_packet
        # may thus return a bytearray for a large binary message (equal to the bytes).
        payload = cast(bytes, large.buffer)
        if large.key:
            payload = mask_payload(large.key, payload)
        message: tuple[bytes, bool] | None
        if large.fin and not self._frag_opcode:
            message = (payload, False)
            if not large.key:
                self._keep_spare(large.buffer)
        else:
            message = self._fragment(large.opcode, bool(large.fin), payload)
        if message is not None:
            queue.packets.append(message)
            queue.nbytes += len(message[0])

    def _reuse(self, n: int) -> bytearray:
        """A buffer for an ``n``-byte payload: a spare nobody else holds, else a fresh one."""
        spares = self._spares
        for i in range(len(spares)):
            # Checked before any local name takes a second reference to it.
            if reusable(spares[i], n):
                return spares.pop(i)
        return bytearray(n)

    def _keep_spare(self, buffer: bytearray) -> None:
        """Remember a large packet handed out, to refill once the game has dropped it. The
        newest are kept, at most the input buffer's size in all: packets still queued or held
        by the game cannot be refilled, so a few are needed for one to come free."""
        spares = self._spares
        spares.append(buffer)
        total = sum(len(b) for b in spares)
        while total > self.queue.max_bytes and len(spares) > 1:
            total -= len(spares.pop(0))

    def _fragment(
        self, opcode: int, fin: bool, part: bytes, compressed: int = 0
    ) -> tuple[bytes, bool] | None:
        """Handle a data frame that is part of a fragmented message (or starts one)."""
        # header_error has checked the opcode against the message being assembled.
        if opcode:
            self._frag_opcode = opcode
            self._frag_compressed = bool(compressed)
            if opcode == Opcode.TEXT:
                self._utf8 = codecs.getincrementaldecoder("utf-8")()
        if self._frag_compressed:
            inflated = self._inflate(part, fin)
            if inflated is None:
                return None
            part = inflated
            # Inflating costs what the inflated bytes cost, not what arrived (issue 25.13).
            self.work_left -= len(part) // INFLATE_UNIT
        if self._utf8 is not None:
            # Checked per fragment so a bad sequence fails fast, not at the end of the message.
            try:
                self._utf8.decode(part, fin)
            except UnicodeDecodeError:
                self._fail(CloseCode.INVALID_DATA, "text message is not valid UTF-8")
                return None
        self._frag_count += 1
        if self._frag_count > self.max_fragments:
            # Empty or tiny fragments cost time per frame without moving the byte count.
            self._fail(CloseCode.MESSAGE_TOO_BIG,
                       f"message in over {self.max_fragments} fragments (the limit is the "
                       f"input buffer / {FRAGMENT_BYTES}, at least {MIN_FRAGMENTS})")
            return None
        # One growing buffer, not a list of parts: memory is the message's bytes however
        # small the fragments (a list of 2-byte parts held 30x the limit).
        self._frag_buf += part
        self._frag_len += len(part)
        if not fin:
            return None
        message = (bytes(self._frag_buf), self._frag_opcode == Opcode.TEXT)
        self._frag_opcode = 0
        self._frag_buf = bytearray()
        self._frag_compressed = False
        self._frag_len = 0
        self._frag_count = 0
        self._utf8 = None
        return message

    def _inflate(self, part: bytes, fin: bool) -> bytes | None:
        """Decompress one fragment of a compressed message within the message limit (a
        decompression bomb ends in 1009 having allocated at most the limit)."""
        assert self.deflate is not None  # RSV1 is refused unless deflate was negotiated
        try:
            return self.deflate.decompress(part, fin, self.max_message_size - self._frag_len)
        except MessageTooBig:
            self._fail(CloseCode.MESSAGE_TOO_BIG,
                       f"compressed message inflates past the input buffer "
                       f"({self.max_message_size} bytes; raise it with set_buffers)")
        except DeflateError as exc:
            self._fail(CloseCode.INVALID_DATA, f"bad compressed data: {exc}")
        return None

    def enable_deflate(self, deflate: PerMessageDeflate) -> None:
        """Use permessage-deflate from now on (the handshake negotiated it)."""
        self.deflate = deflate
        self._rsv = 0x30
        size = self.max_message_size
        self._deflate_slack = (size >> 3) + (size >> 6) + 64

    def _control(self, opcode: int, fin: bool, payload: bytes) -> bool:
        """Handle a control frame; False when decoding must stop (closed or failed)."""
        # header_error has refused reserved opcodes, fragments and payloads over 125 bytes.
        if opcode == Opcode.PING:
            if self.state is State.OPEN:
                # Every ping is answered while the pongs owed fit the output limit; past it
                # only the latest (RFC 6455 5.5.3 allows that), so a peer that pings and never
                # reads cannot grow what we hold.
                if self._pong_at >= 0 and self._pong_bytes + len(payload) + 6 > self.max_pong_bytes:
                    self._out[self._pong_at] = (Opcode.PONG, payload)
                else:
                    self._pong_at = len(self._out)
                    self._pong_bytes += len(payload) + 6
                    self._out.append((Opcode.PONG, payload))
            return True
        if opcode == Opcode.PONG:
            self.pong_received = True
            return True
        code: int = CloseCode.NO_STATUS
        reason = ""
        if len(payload) == 1:
            self._fail(CloseCode.PROTOCOL_ERROR, "close frame with a 1-byte payload")
            return False
        if payload:
            code = CLOSE_CODE.unpack_from(payload)[0]
            if not is_valid_close_code(code):
                self._fail(CloseCode.PROTOCOL_ERROR, f"invalid close code {code}")
                return False
            try:
                reason = payload[2:].decode("utf-8")
            except UnicodeDecodeError:
                self._fail(CloseCode.INVALID_DATA, "close reason is not valid UTF-8")
                return False
        if self.state is State.OPEN:
            self._events.append(CloseRequested(code, reason))
            # Echo the code and reason, as Godot (wslay) does.
            self._out.append((Opcode.CLOSE, payload))
        self.state = State.CLOSED
        self._events.append(Closed(True, code, reason))
        return False

    def _frame_error(self, b0: int, b1: int) -> str:
        if b0 & 0x70:
            return "reserved bits set (RSV1-3)"
        return "server sent a masked frame" if self.client else "client sent an unmasked frame"

    def _check_partial_text(self, part: bytes, key: bytes) -> None:
        """Check the part of a text frame received so far (fails fast on bad UTF-8)."""
        decoder = codecs.getincrementaldecoder("utf-8")()
        if self._utf8 is not None:
            decoder.setstate(self._utf8.getstate())
        try:
            decoder.decode(mask_payload(key, part) if key else part)
        except UnicodeDecodeError:
            self._fail(CloseCode.INVALID_DATA, "text message is not valid UTF-8")
            return
        self._partial_utf8 = decoder
        self._partial_key = rotate_key(key, len(part)) if key else b""
