"""The state one WebSocket connection's protocol keeps, and how it fails.

Owns ``State`` (CONNECTING -> OPEN -> CLOSING -> CLOSED) and ``ConnectionState``: every field the
receive side (messages.py, receive.py) and the send side (protocol.py) share, set up in one
place, and ``_fail`` (RFC 6455 7.1.7). Sans-IO: imports no socket, ssl, select or time.
"""

from __future__ import annotations

import codecs
import enum
import os
from collections.abc import Callable

from .deflate import (
    PerMessageDeflate,
)
from .inbound import (
    FRAGMENT_BYTES,
    FRAMES_PER_POLL,
    MIN_FRAGMENTS,
    NO_SHARE,
    LargeFrame,
    PacketQueue,
)
from .events import Closed, Event, HandshakeFailed
from .frames import CloseCode, MaskKeys, Opcode, close_payload

__all__ = ["State", "ConnectionState"]


class State(enum.Enum):
    """CONNECTING -> OPEN -> CLOSING (we sent close) -> CLOSED; any state -> CLOSED on failure."""

    CONNECTING = 0
    OPEN = 1
    CLOSING = 2
    CLOSED = 3



class ConnectionState:
    """The fields of one connection, from the upgrade to the end of the close.

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
        self.work_left = NO_SHARE  # this poll's share of its server's budget (inbound.py)
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

    def _receive_handshake(self, data: bytes) -> None:
        """Handle bytes that arrive before the upgrade is done (each role has its own)."""
        raise NotImplementedError

    def _decode(self, data: bytes) -> None:
        """Decode received frames (receive.py)."""
        raise NotImplementedError

    def _closed(self) -> bool:
        # A method, not an inline test: receive_data changes the state mypy has narrowed.
        return self.state is State.CLOSED

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

    def abort(self, reason: str) -> None:
        """The connection is gone without a close handshake (reset, timeout, caller's drop)."""
        if self.state is State.CONNECTING:
            self._handshake_failed(reason)
        elif self.state is not State.CLOSED:
            self.state = State.CLOSED
            self._events.append(Closed(False, CloseCode.ABNORMAL, reason))

    def _handshake_failed(self, reason: str) -> None:
        self.state = State.CLOSED
        self._events.append(HandshakeFailed(reason))
