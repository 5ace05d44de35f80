"""One connection's transport, protocol and output limits, pumped once per poll.

Owns moving bytes between a ``Transport`` and a ``Protocol`` (``pump``), the output limits
that make ``put_packet`` return ERR_OUT_OF_MEMORY, and the ``PeerLink`` interface a
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
                 "deadline", "quiet_recv", "last_ping")

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
        # When the last heartbeat ping went out (time.monotonic); 0 so the first poll after
        # the connection opens sends one, as Godot 4.4 does (its last_heartbeat starts at 0).
        self.last_ping = 0.0

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
        if protocol._out:
            self.flush()
        return len(packets) - before

    def check_closing(self, timeout: float) -> None:
        """While closing: drop the connection if the peer has not answered our close frame
        within ``timeout`` seconds of the first check."""
        now = time.monotonic()
        if not self.deadline:
            self.deadline = now + timeout
        elif now > self.deadline:
            self.protocol.abort(f"no close reply within {timeout} s")

    def heartbeat(self, interval: float, now: float) -> bool:
        """Godot 4.4's ``heartbeat_interval`` (wsl_peer.cpp ``poll``), for every class that
        offers it: while open, once more than ``interval`` seconds have passed since the last
        ping, drop the connection at once (no close frame, like Godot's ``close(-1)``) if that
        ping has had no pong, else queue an empty ping. Returns False when it dropped the
        connection. Any pong counts, solicited or not."""
        protocol = self.protocol
        if protocol.state is not _OPEN or now - self.last_ping <= interval:
            return True
        if protocol.awaiting_pong:
            self.quiet_recv = None
            protocol.abort(f"no pong within the heartbeat interval ({interval} s)")
            self.transport.close()
            return False
        protocol.ping()
        self.last_ping = now
        return True

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
