"""Sans-IO WebSocket protocol (RFC 6455), both ends: bytes in, packets and events out, bytes out.

Owns the connection's state machine, the frame decoder (encoding is in ``frames.py``),
fragmentation, ping -> pong,
the close handshake, UTF-8 checks of text and close reasons, and the message-size limit. It
never imports socket, ssl, select or time: the caller feeds received bytes to
``receive_data()`` (``receive_eof()`` when the stream ends), collects ``events_received()`` and
writes ``data_to_send()``.

Whole data messages are appended to a ``PacketQueue`` as ``(payload, is_text)`` tuples. When the
queue is full, decoding pauses (``blocked`` is true) and the undecoded bytes wait here; the
transport stops reading so TCP pushes back on the sender. Nothing is dropped.
"""

from __future__ import annotations

import codecs
import enum
import os
from collections.abc import Callable, Sequence
from typing import cast

from ._handshake import (
    REFUSAL,
    HandshakeError,
    RequestParser,
    ResponseParser,
    Target,
    build_request,
    build_response,
    choose_protocol,
)
from ._deflate import (
    DeflateError,
    DeflateOptions,
    MessageTooBig,
    PerMessageDeflate,
    client_accept,
    client_offer,
    server_accept,
)
from ._inbound import (
    FRAGMENT_BYTES,
    FRAMES_PER_POLL,
    AFTER_LARGE_READ,
    LARGE_FRAME,
    MIN_FRAGMENTS,
    LargeFrame,
    PacketQueue,
    header_error,
    reusable,
)
from .events import Closed, CloseRequested, Event, HandshakeDone, HandshakeFailed
from .frames import (
    CLOSE_CODE,
    RAW,
    CloseCode,
    MaskKeys,
    Opcode,
    close_payload,
    encode_client_frames,
    encode_server_frames,
    is_valid_close_code,
    mask_payload,
    rotate_key,
)

__all__ = ["State", "PacketQueue", "Protocol", "ClientProtocol", "ServerProtocol"]


class State(enum.Enum):
    """CONNECTING -> OPEN -> CLOSING (we sent close) -> CLOSED; any state -> CLOSED on failure."""

    CONNECTING = 0
    OPEN = 1
    CLOSING = 2
    CLOSED = 3


class Protocol:
    """One WebSocket connection from the upgrade to the end of the close; the role-specific
    handshake is in ``ClientProtocol`` and ``ServerProtocol``.

    Clients mask what they send and require unmasked frames; servers the reverse (RFC 6455 5.1).
    """

    def __init__(
        self,
        queue: PacketQueue,
        client: bool,
        max_message_size: int = 65536,
        mask_source: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.state = State.CONNECTING
        self.client = client
        self._mask_in = 0 if client else 0x80
        self.queue = queue
        self.max_message_size = max_message_size
        self.blocked = False  # a whole message is decoded but the queue has no room for it
        self.pong_received = False  # set by any pong; the connection's heartbeat clears it
        # permessage-deflate, once negotiated (RFC 7692): RSV1 becomes legal on the first
        # frame of a data message, which then takes the fragment path (_fragment/_inflate).
        self.deflate: PerMessageDeflate | None = None
        self._rsv = 0x70  # the RSV bits a frame may not set
        # Deflate can make incompressible data larger (zlib's deflateBound for small memLevels
        # is about +14 %): the compressed frame-size check allows that; _inflate caps the
        # inflated size exactly.
        self._deflate_slack = 0
        self._frag_compressed = False
        self._events: list[Event] = []
        # Frames to send as (opcode, payload), RAW for handshake bytes; framed and masked
        # as one batch by data_to_send.
        self._out: list[tuple[int, bytes]] = []
        self._pong_at = -1  # index in _out of the last pong owed, if any
        self._pong_bytes = 0  # framed size of the pongs owed
        self.max_pong_bytes = 65536  # the connection sets its output limit
        self.out_bytes = 0  # payload bytes queued by send_message, for the caller's limit
        self.out_count = 0
        self._keys = MaskKeys(mask_source)
        # Receive side: undecoded bytes, plus chunks held back while a large frame is incomplete.
        self._buf = b""
        self._chunks: list[bytes] = []
        self._chunks_len = 0
        self._need = 0  # bytes the next frame needs; until then new data is only stored
        self._eof = False
        self._eof_reason = (f"connection closed by the {'server' if client else 'client'} "
                            "without a close frame")
        self.frames_left = FRAMES_PER_POLL  # control frames and fragments left this poll
        self._frag_opcode = 0
        self._large: LargeFrame | None = None  # a large binary frame still arriving
        # Large packets handed out (a client's), refilled once the game has dropped them.
        self._spares: list[bytearray] = []
        self.next_read = 0  # a read size the transport should use next (0: its default)
        self._frag_buf = bytearray()
        self._frag_len = 0
        self._frag_count = 0
        self.max_fragments = max(MIN_FRAGMENTS, max_message_size // FRAGMENT_BYTES)
        self._utf8: codecs.IncrementalDecoder | None = None
        # UTF-8 check of a text frame that is still arriving, so bad text fails fast; with
        # the frame's mask key rotated to where the check has reached (servers only).
        self._partial_utf8: codecs.IncrementalDecoder | None = None
        self._partial_key = b""
        # A violation found behind messages decoded in the same call waits one poll, so the
        # game can still answer those messages before the close goes out.
        self._decode_start = -1  # queue length when the running _decode began; -1 outside
        self._halted = False  # the running _decode met a violation
        self._pending_fail: tuple[int, str] | None = None

    # ---------------------------------------------------------------- caller interface

    def events_received(self) -> list[Event]:
        events = self._events
        self._events = []
        return events

    def data_to_send(self) -> bytes:
        """Everything queued since the last call, framed (and masked, as a client)."""
        out = self._out
        if not out:
            return b""
        self._out = []
        self._pong_at = -1
        self._pong_bytes = 0
        self.out_bytes = 0
        self.out_count = 0
        if not self.client:
            return encode_server_frames(out)
        return encode_client_frames(out, self._keys)

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the stream; whole messages go to the queue, events are stored."""
        if self.state is State.CLOSED:
            return
        if self.state is State.CONNECTING:
            self._receive_handshake(data)
            return
        large = self._large
        if large is not None and not large.full:
            taken = large.fill(data)
            if not large.full:
                return
            self._finish_large()
            data = data[taken:]
            if not data or self._closed():
                return
        if self.blocked:
            # Read ahead while the queue is full or this poll's frame budget is spent: the
            # bytes are safe here from a reset; resume() decodes them chunk by chunk.
            self._chunks.append(data)
            self._chunks_len += len(data)
            return
        if self._need and len(self._buf) + self._chunks_len + len(data) < self._need:
            # A large frame is still incomplete: store the chunk, join once when it is whole.
            self._chunks.append(data)
            self._chunks_len += len(data)
            if self._partial_utf8 is not None:
                try:
                    if self._partial_key:
                        key = self._partial_key
                        self._partial_key = rotate_key(key, len(data))
                        data = mask_payload(key, data)
                    self._partial_utf8.decode(data)
                except UnicodeDecodeError:
                    self._fail(CloseCode.INVALID_DATA, "text message is not valid UTF-8")
            return
        self._decode(data)

    def receive_eof(self, reason: str = "") -> None:
        """The stream ended (``reason``: how, when it broke). Messages already received stay
        decodable (see ``resume``); the connection ends after them."""
        self._eof = True
        if reason:
            self._eof_reason = reason
        if self.state is State.CONNECTING:
            self._handshake_failed(reason or "connection closed before the handshake completed")
        elif not self.blocked:
            self._decode(b"")

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

    @property
    def held(self) -> int:
        """Received bytes not decoded yet (a large frame waiting for queue room counts)."""
        large = self._large
        waiting = len(large.buffer) if large is not None and large.full else 0
        return len(self._buf) + self._chunks_len + waiting

    def resume(self) -> None:
        """Decode what waited for queue space or the next poll's frame budget (or apply a
        deferred failure); call once per poll while ``blocked``."""
        if self._pending_fail is not None:
            code, reason = self._pending_fail
            self._pending_fail = None
            self.blocked = False
            self._fail(code, reason)
        elif self.blocked and self.state is not State.CLOSED:
            large = self._large
            if large is not None:  # a whole large frame waited for room
                self.blocked = False
                self._finish_large()
                if self.blocked:
                    return
            chunks = self._chunks
            if self._need or not chunks:
                self._decode(b"")
                return
            # Held-back chunks go in one at a time (not one big join and re-slice per poll).
            self._chunks = []
            self._chunks_len = 0
            self.blocked = False
            for i, chunk in enumerate(chunks):
                if self.blocked or self._closed():
                    self._chunks = chunks[i:] + self._chunks
                    self._chunks_len = sum(len(c) for c in self._chunks)
                    return
                self.receive_data(chunk)
            if self._eof and not self.blocked and not self._closed():
                self._decode(b"")

    def _closed(self) -> bool:
        # A method, not an inline test: receive_data changes the state mypy has narrowed.
        return self.state is State.CLOSED

    def send_message(self, payload: bytes, text: bool) -> None:
        if self.deflate is not None:
            compressed = self.deflate.compress(payload)
            if compressed is not None:
                # 0x40 is RSV1 in the frame's first byte (the encoders OR in FIN and opcode).
                self._out.append((0x41 if text else 0x42, compressed))
                self.out_bytes += len(payload)
                self.out_count += 1
                return
        self._out.append((1 if text else 2, payload))
        self.out_bytes += len(payload)
        self.out_count += 1

    def ping(self, payload: bytes = b"") -> None:
        """Queue a ping (only while OPEN); a pong from the peer sets ``pong_received``."""
        if self.state is State.OPEN:
            self._out.append((Opcode.PING, payload))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the close handshake (OPEN -> CLOSING). Godot 3.2.3 appends a NUL; we don't."""
        if self.state is State.OPEN:
            self._out.append((Opcode.CLOSE, close_payload(code, reason)))
            self.state = State.CLOSING

    def abort(self, reason: str) -> None:
        """The connection is gone without a close handshake (reset, timeout, caller's drop)."""
        if self.state is State.CONNECTING:
            self._handshake_failed(reason)
        elif self.state is not State.CLOSED:
            self.state = State.CLOSED
            self._events.append(Closed(False, CloseCode.ABNORMAL, reason))

    # ---------------------------------------------------------------- handshake

    def _receive_handshake(self, data: bytes) -> None:
        raise NotImplementedError

    def _opened(self, protocol: str, rest: bytes) -> None:
        self.state = State.OPEN
        self._events.append(HandshakeDone(protocol))
        if rest:
            self._decode(rest)

    def _handshake_failed(self, reason: str) -> None:
        self.state = State.CLOSED
        self._events.append(HandshakeFailed(reason))

    # ---------------------------------------------------------------- receive

    def _decode(self, data: bytes) -> None:
        if self._chunks:
            self._chunks.append(data)
            buf = b"".join([self._buf, *self._chunks])  # one copy of a frame's pieces
            self._chunks = []
            self._chunks_len = 0
        else:
            buf = self._buf + data if self._buf else data
        self._need = 0
        self.blocked = False
        self._partial_utf8 = None
        queue = self.queue
        packets = queue.packets
        self._decode_start = len(packets)
        self._halted = False
        append = packets.append
        max_packets = queue.max_packets
        max_bytes = queue.max_bytes
        max_message = self.max_message_size + self._deflate_slack
        mask_in = self._mask_in
        nbytes = queue.nbytes
        pos = 0
        end = len(buf)
        while True:
            if not mask_in and not self._frag_opcode:
                # The hot path: whole small unfragmented unmasked messages, FIN set, no RSV.
                free = max_packets - len(packets)
                while end - pos >= 2:
                    b0 = buf[pos]
                    n = buf[pos + 1]
                    if n > 125 or (b0 != 0x82 and b0 != 0x81):
                        break
                    stop = pos + 2 + n
                    if stop > end:
                        break
                    if free <= 0 or (nbytes + n > max_bytes and packets):
                        self.blocked = True
                        break
                    payload = buf[pos + 2 : stop]
                    if b0 == 0x81:
                        try:
                            payload.decode("utf-8")
                        except UnicodeDecodeError:
                            self._fail(CloseCode.INVALID_DATA, "text message is not valid UTF-8")
                            break
                        append((payload, True))
                    else:
                        append((payload, False))
                    free -= 1
                    nbytes += n
                    pos = stop
                if self.blocked or self._halted:
                    break
            if end - pos < 2:
                if end > pos:
                    self._need = 2
                break
            b0 = buf[pos]
            n = buf[pos + 1]
            if (n & 0x80) != mask_in or b0 & self._rsv:
                self._fail(CloseCode.PROTOCOL_ERROR, self._frame_error(b0, n))
                break
            n &= 0x7F
            if n < 126:
                head = 2
            elif n == 126:
                if end - pos < 4:
                    self._need = 4
                    break
                n = (buf[pos + 2] << 8) | buf[pos + 3]
                head = 4
            else:
                if end - pos < 10:
                    self._need = 10
                    break
                n = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                head = 10
            opcode = b0 & 0x0F
            # Rules and limits are checked on the header, before a byte of payload is stored:
            # a frame claiming 2**62 bytes allocates nothing.
            if opcode > 2 or not opcode or self._frag_opcode or head == 10:
                bad = header_error(opcode, b0 & 0x80, n, self._frag_opcode)
                if bad:
                    self._fail(CloseCode.PROTOCOL_ERROR, bad)
                    break
            if mask_in:
                head += 4
                if end - pos < head:
                    self._need = head
                    break
            if b0 & 0x40 and (opcode == 0 or opcode > 2):
                self._fail(CloseCode.PROTOCOL_ERROR, "RSV1 set on a continuation or control frame")
                break
            if opcode < 8 and n + self._frag_len > max_message:
                self._fail(
                    CloseCode.MESSAGE_TOO_BIG,
                    f"message of over {n + self._frag_len} bytes exceeds the input buffer "
                    f"({max_message} bytes; raise it with set_buffers)",
                )
                break
            stop = pos + head + n
            if stop > end:
                if n >= LARGE_FRAME and (opcode == 2 or (opcode == 0 and self._frag_opcode == 2)) \
                        and not (b0 & 0x40 or self._frag_compressed):
                    # Receive the rest straight into the payload's own buffer (issue 13); if
                    # the queue has no room when it is whole, it waits there.
                    queue.nbytes = nbytes
                    # Checked before any local name takes a second reference to it.
                    spare = self._reuse(n)
                    self._large = LargeFrame(
                        spare, opcode, b0 & 0x80,
                        buf[pos + head - 4 : pos + head] if mask_in else b"",
                        memoryview(buf)[pos + head : end])
                    pos = end
                    break
                self._need = stop - pos
                if (opcode == 1 or (opcode == 0 and self._frag_opcode == 1)) and not (
                        b0 & 0x40 or self._frag_compressed):
                    self._check_partial_text(buf[pos + head : end], buf[pos + head - 4 : pos + head]
                                             if mask_in else b"")
                break
            if b0 & 0x80 and not self._frag_opcode and (opcode == 2 or opcode == 1) and not b0 & 0x40:
                # The hot path: a whole unfragmented message.
                if packets and (len(packets) >= max_packets or nbytes + n > max_bytes):
                    self.blocked = True
                    break
                payload = buf[pos + head : stop]
                if mask_in:
                    payload = mask_payload(buf[pos + head - 4 : pos + head], payload)
                if opcode == 1:
                    try:
                        payload.decode("utf-8")
                    except UnicodeDecodeError:
                        self._fail(CloseCode.INVALID_DATA, "text message is not valid UTF-8")
                        break
                append((payload, opcode == 1))
                nbytes += n
                pos = stop
                continue
            if self.frames_left <= 0:
                # This poll's budget of frames that queue nothing is spent (issue 11.5): the
                # rest waits for the next poll, so a flood of pings cannot stall the game.
                self.blocked = True
                break
            self.frames_left -= 1
            if opcode < 8:
                if b0 & 0x80 and packets and (
                    len(packets) >= max_packets or nbytes + self._frag_len + n > max_bytes
                ):
                    self.blocked = True
                    break
                part = buf[pos + head : stop]
                if mask_in:
                    part = mask_payload(buf[pos + head - 4 : pos + head], part)
                message = self._fragment(opcode, bool(b0 & 0x80), part, b0 & 0x40)
                if message is None:
                    if self._halted:
                        break
                else:
                    append(message)
                    nbytes += len(message[0])
            else:
                queue.nbytes = nbytes
                part = buf[pos + head : stop]
                if mask_in:
                    part = mask_payload(buf[pos + head - 4 : pos + head], part)
                if not self._control(opcode, bool(b0 & 0x80), part):
                    break
            pos = stop
        queue.nbytes = nbytes
        self._decode_start = -1
        if self.state is State.CLOSED or self._pending_fail is not None:
            # Nothing after a violation is processed (RFC 6455 7.1.7).
            self._buf = b""
            self._chunks = []
            self._chunks_len = 0
            self._need = 0
            self.blocked = self._pending_fail is not None
            return
        self._buf = buf[pos:] if pos else buf
        if self._eof and not self.blocked:
            self.abort(self._eof_reason)

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

    def _fail(self, code: int, reason: str) -> None:
        """Fail the connection (RFC 6455 7.1.7): send a close frame with ``code`` and stop."""
        self._halted = True
        if 0 <= self._decode_start < len(self.queue.packets):
            self._pending_fail = (code, reason)
            return
        if self.state is State.OPEN:
            self._out.append((Opcode.CLOSE, close_payload(code, "")))
        self.state = State.CLOSED
        self._events.append(Closed(False, code, reason))

    # ---------------------------------------------------------------- send


class ClientProtocol(Protocol):
    """The client end: sends the upgrade request, validates the 101 reply."""

    def __init__(
        self,
        target: Target,
        queue: PacketQueue,
        protocols: Sequence[str] = (),
        custom_headers: Sequence[str] = (),
        max_message_size: int = 65536,
        mask_source: Callable[[int], bytes] = os.urandom,
        deflate: DeflateOptions | None = None,
    ) -> None:
        super().__init__(queue, True, max_message_size, mask_source)
        self._deflate_options = deflate
        if deflate is not None:
            custom_headers = [*custom_headers, f"Sec-WebSocket-Extensions: {client_offer(deflate)}"]
        request, key = build_request(target, protocols, custom_headers)
        self._response = ResponseParser(key, protocols, extensions=deflate is not None)
        self._out.append((RAW, request))

    def _receive_handshake(self, data: bytes) -> None:
        try:
            rest = self._response.feed(data)
        except HandshakeError as exc:
            self._handshake_failed(str(exc))
            return
        if rest is not None:
            options = self._deflate_options
            answer = self._response.headers.get("sec-websocket-extensions")
            if options is not None and answer:
                try:
                    params = client_accept(answer, options)
                except DeflateError as exc:
                    self._handshake_failed(f"bad permessage-deflate answer: {exc}")
                    return
                self.enable_deflate(PerMessageDeflate(params, True, options))
            self._opened(self._response.protocol, rest)


class ServerProtocol(Protocol):
    """The server end: validates a client's upgrade request and answers it.

    A client offering none of ``protocols`` (when there are any) gets a 400 reply and
    ``HandshakeFailed`` (Godot 3.2.3 drops the TCP connection without a reply). With
    ``strict_protocols`` (Godot 4's rule) a client that offers protocols is refused when the
    server supports none, too. ``headers`` are extra ``"Name: value"`` lines for the 101 reply.
    """

    def __init__(
        self,
        queue: PacketQueue,
        protocols: Sequence[str] = (),
        max_message_size: int = 65536,
        deflate: DeflateOptions | None = None,
        headers: Sequence[str] = (),
        strict_protocols: bool = False,
    ) -> None:
        super().__init__(queue, False, max_message_size)
        self._deflate_options = deflate
        self._supported = [p.strip() for p in protocols]
        self._headers = tuple(headers)
        self._strict = strict_protocols
        self._request = RequestParser()
        self.protocol = ""

    @property
    def request(self) -> RequestParser:
        """The client's request: ``resource``, ``headers``, requested ``protocols``."""
        return self._request

    def _receive_handshake(self, data: bytes) -> None:
        try:
            rest = self._request.feed(data)
        except HandshakeError as exc:
            self._out.append((RAW, REFUSAL))
            self._handshake_failed(str(exc))
            return
        if rest is None:
            return
        protocol = choose_protocol(self._request.protocols, self._supported)
        if self._strict and self._request.protocols and not protocol:
            protocol = None
        if protocol is None:
            self._out.append((RAW, REFUSAL))
            self._handshake_failed(
                f"client offered protocols {self._request.protocols}, none of {self._supported}"
            )
            return
        self.protocol = protocol
        extensions = ""
        offers = self._request.headers.get("sec-websocket-extensions")
        if self._deflate_options is not None and offers:
            accepted = server_accept(offers, self._deflate_options)
            if accepted is not None:
                params, extensions = accepted
                self.enable_deflate(PerMessageDeflate(params, False, self._deflate_options))
        self._out.append((RAW, build_response(self._request.key, protocol, extensions, self._headers)))
        self._opened(protocol, rest)
