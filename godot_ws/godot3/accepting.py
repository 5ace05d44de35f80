"""The accepting side of Godot 3's ``WebSocketServer``: new connections and their handshakes.

Owns the readiness the server polls (listening socket, handshakes and clients), accepting
(``_ACCEPTS_PER_POLL`` a poll, ``max_connections_per_address`` per source address, closed at
once while ``refuse_new_connections``), and stepping each handshake (TCP, TLS, the upgrade
request) when its socket is ready, at most ``HANDSHAKE_STEPS`` a poll (the rest go first next
poll), with the ``handshake_timeout``. A finished handshake goes to ``_admit`` (server.py).
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
from typing import Any

from ..common.server_limits import AddressLimitSettings
from ..core import events
from ..core.protocol import PacketQueue, ServerProtocol
from ..net.connection import Connection
from ..net.limits import HANDSHAKE_STEPS, MIN_SHARE, AddressLimit
from ..net.readiness import Readiness
from ..net.transport import Transport
from .server_api import ServerAPI

__all__ = ["Accepting"]

log = logging.getLogger("godot_ws.server")  # the name README documents

# A burst of connection attempts is accepted over several polls, so one poll stays short.
_ACCEPTS_PER_POLL = 64


class Accepting(ServerAPI, AddressLimitSettings):
    """Listening-side state and steps of ``WebSocketServer``."""

    def __init__(self) -> None:
        super().__init__()
        #: Seconds a client has to finish TCP, TLS and its upgrade request.
        self.handshake_timeout = 3.0
        self._listener: socket.socket | None = None
        self._context: ssl.SSLContext | None = None
        self._protocols: tuple[str, ...] = ()
        # The listening socket (key None), handshakes (their Connection), clients (_Client).
        self._readiness: Readiness[Any] | None = None
        # Handshaking connections (accept order) -> socket number, and those to step in the
        # next poll whatever their socket says (new, a TLS write, a reply not yet written;
        # and those this poll's HANDSHAKE_STEPS did not reach, first).
        self._pending: dict[Connection, int] = {}
        self._due: dict[Connection, None] = {}
        self._address_limit = AddressLimit()
        self._refused = 0  # connections closed at accept since the last log line

    def _admit(self, conn: Connection, happened: list[events.Event]) -> None:
        raise NotImplementedError

    def _register(self, fd: int, data: Any) -> None:
        if self._readiness is not None:
            self._readiness.watch_fd(fd, data)

    def _unregister(self, fd: int) -> None:
        if self._readiness is not None:
            self._readiness.unwatch(fd)

    def _accept(self, due: dict[Connection, None]) -> None:
        listener = self._listener
        assert listener is not None
        limit = self._address_limit
        for _ in range(_ACCEPTS_PER_POLL):
            try:
                sock, address = listener.accept()
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:  # e.g. out of file descriptors: try again next poll
                log.warning("accept failed: %s", exc)
                break
            if self._refuse_new_connections:
                sock.close()
                continue
            host = str(address[0])
            if not limit.admit(host):
                sock.close()
                self._refused += 1
                continue
            queue = PacketQueue(self._in_packets, self._in_bytes)
            protocol = ServerProtocol(queue, self._protocols, self._in_bytes,
                                      self._deflate_options())
            # The transport's host is the client's address: for log lines and the limit.
            conn = Connection(Transport(host, 0, self._context, accepted=sock), protocol,
                              self._out_bytes, self._out_packets)
            conn.deadline = time.monotonic() + self.handshake_timeout
            conn.heartbeat_interval = self._heartbeat_interval
            assert self._readiness is not None
            self._pending[conn] = self._readiness.watch(conn.transport, conn)
            due[conn] = None  # its first step: TCP is up (TLS begins)
        if self._refused:
            log.warning("refused %d connection(s): over max_connections_per_address (%d)",
                        self._refused, limit.limit)
            self._refused = 0

    def _advance_pending(self, due: dict[Connection, None]) -> None:
        """Step the handshakes whose sockets are ready (or that are due), at most
        HANDSHAKE_STEPS, then time out the oldest: a thousand slow handshakes cost a poll
        nothing while they send nothing, and a thousand TLS ClientHellos are taken a few
        per poll."""
        pending = self._pending
        steps = HANDSHAKE_STEPS
        for conn in due:
            if conn not in pending:
                continue
            if steps <= 0:
                self._due[conn] = None  # this poll's steps are spent: first next poll
                continue
            steps -= 1
            if not conn.ready:
                conn.advance()
            if conn.ready:
                conn.pump(None, MIN_SHARE)  # what came with the request waits its turn
            happened = conn.protocol.events_received()
            if any(isinstance(e, events.HandshakeDone) for e in happened):
                self._admit(conn, happened)
            elif any(isinstance(e, (events.HandshakeFailed, events.Closed)) for e in happened):
                reason = next(getattr(e, "reason", "") for e in happened)
                log.info("client handshake failed: %s", reason)
                conn.flush()  # the 400 reply, if any
                self._drop_pending(conn)
            elif conn.transport.wants_write or conn.transport._out:
                # Waiting to write, not to read: the selector would not wake it.
                self._due[conn] = None
        if pending:
            now = time.monotonic()
            # Accept order is deadline order (unless handshake_timeout changed meanwhile).
            late = []
            for conn in pending:
                if now <= conn.deadline:
                    break
                late.append(conn)
            for conn in late:
                log.info("client handshake timed out after %s s", self.handshake_timeout)
                self._drop_pending(conn)

    def _drop_pending(self, conn: Connection) -> None:
        self._unregister(self._pending.pop(conn, -1))
        self._due.pop(conn, None)
        self._address_limit.release(conn.transport.host)
        conn.transport.close()
