"""One connection's transport, protocol and output limits, pumped once per poll.

Owns moving bytes between a ``Transport`` and a ``Protocol`` (``pump``), the output limits
that make ``put_packet`` return ERR_OUT_OF_MEMORY, the heartbeat (Godot 4.4's
``heartbeat_interval``, see ``heartbeat``), and the ``PeerLink`` interface a
``WebSocketPeer`` sends and closes through. Shared by the client and the server; it emits no
signals and knows no Godot names beyond ``Error``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ._transport import RECV_SIZE, Transport
from .constants import Error
from .frames import is_valid_close_code
from .protocol import Protocol, State

__all__ = ["Connection"]

log = logging.getLogger("godot_ws")

_OPEN = State.OPEN
# Enum member lookups cost ~0.1 us each on CPython 3.11: hot paths use module constants.
_OK = Error.OK
_FAILED = Error.FAILED


class Connection:
    """A transport and a protocol, with the output limits of ``set_buffers``."""

    __slots__ = ("transport", "protocol", "max_out_bytes", "max_out_packets", "ready",
                 "deadline", "quiet_recv", "_heartbeat", "_last_beat", "_awaiting_pong")

    def __init__(
        self, transport: Transport, protocol: Protocol, out_bytes: int, out_packets: int
    ) -> None:
        self.transport = transport
        self.protocol = protocol
        self.max_out_bytes = out_bytes
        self.max_out_packets = out_packets
        self.ready = False  # TCP (and TLS) is up
        self.deadline = 0.0  # handshake or close-reply deadline (time.monotonic), 0 for none
        # The socket's recv while the connection is open, plain, unblocked and has nothing
        # to write: then a poll with nothing to read is one recv call (see WebSocketClient).
        self.quiet_recv: Any = None
        self._heartbeat = 0.0  # seconds between pings, 0 for off (heartbeat_interval)
        self._last_beat = 0.0  # when the last heartbeat ping went out (time.monotonic)
        self._awaiting_pong = False

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

    def pump(self, first: bytes | None = None) -> int:
        """Write what is queued, read every ready byte into the protocol (until its queue is
        full; ``first`` is a chunk the caller already read), write what that produced;
        returns how many packets were queued."""
        protocol = self.protocol
        transport = self.transport
        packets = protocol.queue.packets
        before = len(packets)
        if protocol._out or transport.pending:
            self.flush()  # the game's messages go out before we wait on the peer's
        if protocol.blocked:
            protocol.resume()
        data = first
        while not protocol.blocked:
            if data is None:
                data = transport.recv()
                if data is None:
                    break
            if not data:
                if transport.error:
                    protocol.abort(transport.error)
                else:
                    protocol.receive_eof()
                break
            protocol.receive_data(data)
            if len(data) < RECV_SIZE and not transport.is_tls:
                break  # the kernel buffer is drained; skip the recv that would fail
            data = None
        if self._heartbeat and protocol.state is _OPEN:
            self.heartbeat()
        if protocol._out:
            self.flush()
        return len(packets) - before

    # ------------------------------------------------------------------ heartbeat

    @property
    def heartbeat_interval(self) -> float:
        return self._heartbeat

    @heartbeat_interval.setter
    def heartbeat_interval(self, seconds: float) -> None:
        self._heartbeat = max(0.0, float(seconds))
        if self._heartbeat:
            self.quiet_recv = None  # the idle fast path skips pump, and so the clock

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
        protocol = self.protocol
        transport = self.transport
        out = protocol.data_to_send() if protocol._out else b""
        if (out or transport.pending) and not transport.send(out):
            protocol.abort(transport.error)

    # ------------------------------------------------------------------ PeerLink

    def send(self, payload: bytes, text: bool) -> Error:
        protocol = self.protocol
        if protocol.state is not _OPEN:
            log.error("put_packet: the connection is not open")
            return _FAILED
        if (
            protocol.out_count >= self.max_out_packets
            or protocol.out_bytes + len(self.transport._out) + len(payload) > self.max_out_bytes
        ):
            if len(payload) > self.max_out_bytes:
                # Never fits, however long the caller waits: say so.
                log.error("put_packet: %d bytes exceed the whole output buffer (%d bytes); "
                          "raise it with set_buffers", len(payload), self.max_out_bytes)
            return Error.ERR_OUT_OF_MEMORY
        protocol.send_message(payload, text)
        return _OK

    def close(self, code: int, reason: str) -> None:
        if not isinstance(reason, str):
            raise TypeError(f"reason must be str, not {type(reason).__name__}")
        self.quiet_recv = None  # closing needs the full poll (events, the reply deadline)
        if code < 0:
            # Godot 4: a negative code drops the connection at once, with no close frame.
            self.protocol.abort(f"closed locally with code {code}")
            return
        if not is_valid_close_code(code):
            log.error("close code %d may not be sent; sending 1000 instead", code)
            code = 1000
        if len(reason.encode("utf-8")) > 123:
            log.warning("close reason longer than 123 bytes is cut (RFC 6455 5.5)")
        self.protocol.close(code, reason)

    def is_open(self) -> bool:
        state = self.protocol.state
        return state is _OPEN or state is State.CLOSING

    def address(self) -> tuple[str, int]:
        return self.transport.peer_address()

    def set_no_delay(self, enabled: bool) -> None:
        self.transport.set_no_delay(enabled)

    def buffered_amount(self) -> int:
        return sum(len(payload) for _, payload in self.protocol._out) + self.transport.pending
