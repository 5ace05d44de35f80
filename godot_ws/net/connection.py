"""One connection's transport, protocol and output limits, pumped once per poll.

Owns moving bytes between a ``Transport`` and a ``Protocol`` (``pump``), the output limits
that make ``put_packet`` return ERR_OUT_OF_MEMORY, when a message is written (``send`` and
``write_through``: see below), the heartbeat (Godot 4.4's ``heartbeat_interval``, see
``heartbeat``), and the ``PeerLink`` interface a ``WebSocketPeer`` sends and closes through.
Shared by the client and the server; it emits no signals and knows no Godot names beyond
``Error``.

Writes: a message put while nothing is waiting to be written goes to the socket at once (one
``send``), up to ``WRITE_THROUGH`` times between two polls; after that, or while the socket
has not taken earlier bytes, messages are appended to one batch that the next ``poll()``
(or ``flush()``) writes with one ``send``. Everything goes through the same queue, so nothing
is reordered. A close frame is written at once when the socket can take it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from .transport import RECV_SIZE, Transport
from ..core.constants import Error
from ..core.frames import is_valid_close_code
from ..core.inbound import FRAMES_PER_POLL, NO_SHARE, READ_AHEAD
from ..core.protocol import Protocol, State

__all__ = ["Connection", "Lingering"]

log = logging.getLogger(__name__)

_OPEN = State.OPEN
# Enum member lookups cost ~0.1 us each on CPython 3.11: hot paths use module constants.
_OK = Error.OK
_FAILED = Error.FAILED

MIN_READ = 16384
"""The smallest read of a connection pumped under a server's share."""
SHARE_READ_AHEAD = 65536
"""Undecoded bytes a connection pumped under a server's share reads ahead."""

WRITE_THROUGH = 8
"""Messages per poll (per connection) written to the socket the moment they are put. A game
sends a few messages a frame and each leaves at once; a loop putting thousands is batched
after these, so it is not one ``send`` per message (which costs more than half the
throughput: see README, Performance)."""


class Connection:
    """A transport and a protocol, with the output limits of ``set_buffers``."""

    __slots__ = ("transport", "protocol", "max_out_bytes", "max_out_packets", "ready",
                 "deadline", "quiet_recv", "_heartbeat", "_last_beat", "_awaiting_pong",
                 "eager", "wake", "tag")

    def __init__(
        self, transport: Transport, protocol: Protocol, out_bytes: int, out_packets: int
    ) -> None:
        self.transport = transport
        self.protocol = protocol
        self.max_out_bytes = out_bytes
        self.max_out_packets = out_packets
        protocol.max_pong_bytes = out_bytes
        self.ready = False  # TCP (and TLS) is up
        self.deadline = 0.0  # handshake or close-reply deadline (time.monotonic), 0 for none
        # The socket's recv while the connection is open, plain, unblocked and has nothing
        # to write: then a poll with nothing to read is one recv call (see WebSocketClient).
        self.quiet_recv: Any = None
        self._heartbeat = 0.0  # seconds between pings, 0 for off (heartbeat_interval)
        self._last_beat = 0.0  # when the last heartbeat ping went out (time.monotonic)
        self._awaiting_pong = False
        self.eager = WRITE_THROUGH  # write-throughs left until the next pump
        # The owner's hook, called when a message starts a new batch (or a close is queued):
        # it may write through (``write_through``) or defer to the end of its poll. None:
        # write through (within the budget) at once.
        self.wake: Callable[[Connection], None] | None = None
        self.tag: Any = None  # the owner's record of this connection (the server's client)

    def advance(self) -> None:
        """Step the TCP connect / TLS handshake; hand the protocol's first bytes over once
        the stream is up."""
        step = self.transport.connect_step()
        if step:
            self.ready = True
            if not self.transport.send(self.protocol.data_to_send()):
                self.protocol.abort(self.transport.error)
        elif step is False:
            self.protocol.abort(self.transport.error)

    def pump(self, first: bytes | None = None, share: int = NO_SHARE) -> int:
        """Write what is queued, read every ready byte into the protocol (until its queue is
        full or ``share`` units of work are spent: see ``inbound.NO_SHARE``; ``first`` is a
        chunk the caller already read), write what that produced; returns how many packets
        were queued. ``share - protocol.work_left`` afterwards is the work it cost."""
        protocol = self.protocol
        transport = self.transport
        packets = protocol.queue.packets
        before = len(packets)
        if protocol._out or transport.pending:
            self.flush()  # the game's messages go out before we wait on the peer's
        protocol.frames_left = FRAMES_PER_POLL
        protocol.work_left = share
        if protocol.blocked:
            protocol.resume()
        data = first
        # While the queue is full (or this poll's frame budget is spent) keep reading up to
        # READ_AHEAD undecoded bytes: a peer that resets right after a burst makes the kernel
        # discard what we left there. Under a server's share (issue 25.5) reads are sized to
        # the share and read-ahead is SHARE_READ_AHEAD: held bytes are copied on every poll
        # that decodes a little of them, and a flood should wait in the kernel (TCP pushes
        # back on the sender) rather than here.
        if share >= NO_SHARE:
            chunk = RECV_SIZE
            ahead = READ_AHEAD
        else:
            chunk = min(RECV_SIZE, max(MIN_READ, share << 6))
            ahead = SHARE_READ_AHEAD
        while not protocol.blocked or protocol.held < ahead:
            if data is None:
                view = protocol.receive_buffer() if protocol._large is not None else None
                if view is not None:
                    # A large frame's payload goes straight into its own buffer.
                    got = transport.recv_into(view)
                    if got is None:
                        break
                    if got:
                        protocol.received_into(got)
                        if got < len(view) and not transport.is_tls:
                            break  # drained
                        continue
                    data = b""
                else:
                    size = protocol.next_read or chunk
                    header = protocol.next_read
                    protocol.next_read = 0
                    data = transport.recv(size)
                    if data is None:
                        break
                    if header:  # just the header after a large frame: go on
                        if data:
                            protocol.receive_data(data)
                            data = None
                            continue
            if not data:
                # Held messages are decoded first; the connection ends after them.
                protocol.receive_eof(transport.error)
                break
            protocol.receive_data(data)
            if len(data) < chunk and not transport.is_tls:
                break  # the kernel buffer is drained; skip the recv that would fail
            data = None
        if self._heartbeat and protocol.state is _OPEN:
            self.heartbeat()
        if protocol._out:
            self.flush()
        self.eager = WRITE_THROUGH
        return len(packets) - before

    def idle_reader(self) -> Any:
        """The socket's ``recv`` when the owner's next idle ``poll()`` may be just that one
        call (open, nothing to write, decode or resume, no heartbeat clock, no large frame
        arriving through ``recv_into``); else None. Owners add their own conditions."""
        protocol = self.protocol
        transport = self.transport
        if (protocol.state is _OPEN and not protocol.blocked and not transport.pending
                and not self._heartbeat and not protocol._out and protocol._large is None):
            return transport.recv_nowait
        return None

    # ------------------------------------------------------------------ heartbeat

    @property
    def heartbeat_interval(self) -> float:
        return self._heartbeat

    @heartbeat_interval.setter
    def heartbeat_interval(self, seconds: float) -> None:
        self._heartbeat = max(0.0, float(seconds))
        if self._heartbeat:
            self.quiet_recv = None  # the idle fast path skips pump, and so the clock
            if self.wake is not None:
                self.wake(self)  # a server then visits this connection every poll

    def heartbeat(self) -> None:
        """Godot 4.4's heartbeat (wsl_peer.cpp ``poll``): once more than ``heartbeat_interval``
        has passed since the last ping, drop the connection at once (no close frame, as
        ``close(-1)``) if that ping got no pong, else send an empty ping. Any pong counts,
        solicited or not. Called by ``pump`` after reading, so a pong that arrived in this
        poll is seen before the check."""
        now = time.monotonic()
        if now - self._last_beat <= self._heartbeat:
            return
        protocol = self.protocol
        if self._awaiting_pong and not protocol.pong_received:
            protocol.abort(f"no pong within heartbeat_interval ({self._heartbeat} s)")
            return
        protocol.pong_received = False
        self._awaiting_pong = True
        self._last_beat = now
        protocol.ping(b"")

    def check_closing(self, timeout: float) -> None:
        """While closing: drop the connection if the peer has not answered our close frame
        within ``timeout`` seconds of the first check."""
        now = time.monotonic()
        if not self.deadline:
            self.deadline = now + timeout
        elif now > self.deadline:
            self.protocol.abort(f"no close reply within {timeout} s")

    def flush(self) -> None:
        """Write everything queued, in order; the socket keeps what it cannot take yet."""
        protocol = self.protocol
        transport = self.transport
        if transport.pending >= self.max_out_bytes and protocol.state is _OPEN:
            # The peer is not reading: what the protocol owes (a pong it keeps replacing)
            # waits there, so the write buffer does not grow one pong per poll.
            if not transport.flush():
                protocol.abort(transport.error)
            return
        out = protocol.data_to_send() if protocol._out else b""
        if out or transport._out:
            if not transport.send(out):
                self.quiet_recv = None  # the owner's next poll must report the loss
                protocol.abort(transport.error)
            elif transport._out:
                self.quiet_recv = None  # the next poll must write the rest

    def write_through(self) -> None:
        """Write what is queued now, if the budget of this poll allows and the socket has
        taken everything before it (else it waits for the poll, which tries again)."""
        if self.eager and self.protocol._out and not self.transport._out and self.ready:
            self.eager -= 1
            # The owner's next poll takes its full path once: it resets the budget.
            self.quiet_recv = None
            self.flush()

    def has_room(self, size: int) -> bool:
        """Whether a ``size``-byte message fits the output limits, counting only what the
        socket could not take: when the queue looks full it is written first."""
        protocol = self.protocol
        if (protocol.out_count < self.max_out_packets
                and protocol.out_bytes + len(self.transport._out) + size <= self.max_out_bytes):
            return True
        if self.ready and (protocol._out or self.transport._out):
            self.flush()
        return (protocol.out_count < self.max_out_packets
                and protocol.out_bytes + len(self.transport._out) + size <= self.max_out_bytes)

    # ------------------------------------------------------------------ PeerLink

    def send(self, payload: bytes | bytearray | memoryview, text: bool) -> Error:
        """Queue one message; a bytearray or memoryview is copied only once it is accepted
        (a 100 MB buffer over the limit is refused without a copy)."""
        protocol = self.protocol
        if protocol.state is not _OPEN:
            log.error("put_packet: the connection is not open")
            return _FAILED
        size = payload.nbytes if type(payload) is memoryview else len(payload)
        if (
            protocol.out_count >= self.max_out_packets
            or protocol.out_bytes + len(self.transport._out) + size > self.max_out_bytes
        ) and not self.has_room(size):
            self.oversized(size)
            return Error.ERR_OUT_OF_MEMORY
        if type(payload) is not bytes:
            payload = bytes(payload)  # accepted: now the copy is worth making
        if protocol._out:
            protocol.send_message(payload, text)  # joins the batch that is waiting
            return _OK
        protocol.send_message(payload, text)
        wake = self.wake
        if wake is None:
            self.write_through()
        else:
            wake(self)
        return _OK

    def oversized(self, size: int) -> bool:
        """True (and logged) when a message of ``size`` bytes can never fit the output buffer,
        however long the caller waits."""
        if size <= self.max_out_bytes:
            return False
        log.error("put_packet: %d bytes exceed the whole output buffer (%d bytes); "
                  "raise it with set_buffers", size, self.max_out_bytes)
        return True

    def send_anyway(self, payload: bytes, text: bool) -> None:
        """Queue a message past the output limits (tiny system messages that must not be
        lost), written as ``send`` writes."""
        protocol = self.protocol
        idle = not protocol._out
        protocol.send_message(payload, text)
        if idle:
            if self.wake is None:
                self.write_through()
            else:
                self.wake(self)

    def drop(self, reason: str) -> None:
        """End the connection at once, without a close frame (``reason`` is logged)."""
        self.quiet_recv = None
        self.protocol.abort(reason)
        if self.wake is not None:
            self.wake(self)

    def close(self, code: int, reason: str) -> None:
        if not isinstance(reason, str):
            raise TypeError(f"reason must be str, not {type(reason).__name__}")
        self.quiet_recv = None  # closing needs the full poll (events, the reply deadline)
        if code < 0:
            # Godot 4: a negative code drops the connection at once, with no close frame.
            self.drop(f"closed locally with code {code}")
            return
        if not is_valid_close_code(code):
            log.error("close code %d may not be sent; sending 1000 instead", code)
            code = 1000
        if len(reason.encode("utf-8")) > 123:
            log.warning("close reason longer than 123 bytes is cut (RFC 6455 5.5)")
        protocol = self.protocol
        if protocol.state is not _OPEN:
            return
        protocol.close(code, reason)
        # The close frame leaves now (after what was queued) when the socket can take it, so
        # a game that closes and exits still closes cleanly.
        if self.ready and not self.transport._out:
            self.flush()
        if self.wake is not None:
            self.wake(self)

    def is_open(self) -> bool:
        state = self.protocol.state
        return state is _OPEN or state is State.CLOSING

    def address(self) -> tuple[str, int]:
        return self.transport.peer_address()

    def set_no_delay(self, enabled: bool) -> None:
        self.transport.set_no_delay(enabled)

    def buffered_amount(self) -> int:
        return sum(len(payload) for _, payload in self.protocol._out) + self.transport.pending


LINGER = 1.0  # seconds a finished connection may spend writing its last bytes


class Lingering:
    """Transports of finished connections still writing their last bytes (a close frame, a
    refusal), each for at most ``LINGER`` seconds; the owner's ``poll()`` calls ``flush``.
    Shared by the 3.x client and Godot 4's ``WebSocketPeer``."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[tuple[Transport, float]] = []

    def __bool__(self) -> bool:
        return bool(self.items)

    def finish(self, conn: Connection) -> None:
        """Write what the connection still owes; linger if the socket cannot take it now,
        else close it."""
        transport = conn.transport
        conn.quiet_recv = None
        if conn.ready and transport.send(conn.protocol.data_to_send()) and transport.pending:
            self.items.append((transport, time.monotonic() + LINGER))
        else:
            transport.close()

    def flush(self) -> None:
        now = time.monotonic()
        keep = []
        for transport, deadline in self.items:
            if transport.flush() and transport.pending and now < deadline:
                keep.append((transport, deadline))
            else:
                transport.close()
        self.items = keep
