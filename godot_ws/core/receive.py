"""The receive side's entry points and its hot loop: bytes in, whole messages and events out.

Owns ``receive_data``/``receive_eof``, holding bytes back while the packet queue is full or the
poll's frame budget is spent (``held``, ``resume``), and ``_decode``: one tight loop over every
complete frame of a buffer, the hot path (~0.3 us a small message), which hands fragments,
control frames and large frames to messages.py.
"""

from __future__ import annotations


from .inbound import (
    LARGE_FRAME,
    LargeFrame,
    header_error,
)
from .frames import (
    CloseCode,
    mask_payload,
    rotate_key,
)
from .messages import MessageParts
from .state import State

__all__ = ["Receiver"]


class Receiver(MessageParts):
    """What a connection does with the bytes its peer sent."""

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
                share = self.work_left
                if share < free:
                    free = share  # this poll's share is spent before the queue is full
                start = free
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
                self.work_left -= start - free
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
                if self.work_left <= 0 or (packets and (
                        len(packets) >= max_packets or nbytes + n > max_bytes)):
                    self.blocked = True
                    break
                self.work_left -= 1
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
            if self.frames_left <= 0 or self.work_left <= 0:
                # This poll's budget of frames that queue nothing is spent (issue 11.5), or
                # the connection's share of its server's poll (issue 25.5): the rest waits
                # for the next poll, so a flood of pings cannot stall the game.
                self.blocked = True
                break
            self.frames_left -= 1
            self.work_left -= 1
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
