"""``WebSocketClient``: Godot's polling WebSocket client, and the one place the layers meet.

Owns ``connect_to_url`` (validation, Godot's return codes), ``poll()`` (transport -> protocol ->
packet queue -> signals, in that order, so handlers run after the frame's I/O), timeouts, the
client's signals and properties. The protocol and transport below it know nothing of Godot.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections import deque
from collections.abc import Sequence

from ..core import events
from ..net.connection import Connection, Lingering
from ..core.handshake import custom_header_problem, parse_target
from ..core.logtext import clean, redact_url
from ..net.proxy import ProxyError, choose_proxy
from ..net.tls import ContextFuture, client_context
from ..net.transport import RECV_SIZE, Transport
from ..core.constants import ConnectionStatus, Error
from ..net.crypto import X509Certificate
from .multiplayer import PLAIN_HEADER, MultiplayerClient
from .multiplayer_peer import WebSocketMultiplayerPeer, godot_reason
from .peer import WebSocketPeer
from ..core.protocol import ClientProtocol, PacketQueue, State
from ..common.signals import Signal
from ..common.arguments import require_strings, url_call_error

__all__ = ["WebSocketClient"]

log = logging.getLogger("godot_ws.client")  # the name README documents

_DISCONNECTED = ConnectionStatus.CONNECTION_DISCONNECTED
_CONNECTING = ConnectionStatus.CONNECTION_CONNECTING
_CONNECTED = ConnectionStatus.CONNECTION_CONNECTED
_OPEN = State.OPEN
_NOTHING_READY = (BlockingIOError, ssl.SSLWantReadError)


class WebSocketClient(WebSocketMultiplayerPeer):
    """Godot 3's ``WebSocketClient``, in plain mode or multiplayer mode (``gd_mp_api``).

    Call ``poll()`` once per frame: it never blocks and never raises for anything the network
    did; it reads every ready byte, queues whole messages on ``get_peer(1)`` and then emits the
    signals ``connection_established(protocol)``, ``data_received()`` (once per message),
    ``server_close_request(code, reason)``, ``connection_closed(was_clean_close)`` and
    ``connection_error()``.

    In multiplayer mode (``connect_to_url(url, gd_mp_api=True)``, Godot's 3.x
    WebSocketMultiplayerPeer protocol) the client itself is the packet peer (``put_packet``,
    ``get_packet``, ``put_var``, ``get_var``, ``get_packet_peer``, ``set_target_peer``) and
    NetworkedMultiplayerPeer's signals replace the plain ones: ``peer_connected(id)``,
    ``peer_disconnected(id)``, ``peer_packet(source)``, ``connection_succeeded()``,
    ``connection_failed()``; ``server_close_request`` fires in both modes. As in every
    Godot 3 release, the end of a joined connection (the server left, or we closed) is
    ``connection_failed``, not ``server_disconnected``. See ``godot_ws.multiplayer``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.connection_established = Signal("connection_established")
        self.connection_error = Signal("connection_error")
        self.connection_closed = Signal("connection_closed")
        self.server_close_request = Signal("server_close_request")
        self.data_received = Signal("data_received")
        #: Seconds to wait for TCP, TLS and the 101 reply before ``connection_error``.
        self.handshake_timeout = 3.0
        #: Seconds to wait for the server's close reply before dropping the connection.
        self.close_timeout = 3.0
        #: HTTP proxy for ``connect_to_url`` (CONNECT tunnel, then ws or wss through it):
        #: None (default) reads ``https_proxy`` (wss) / ``http_proxy`` (ws) from the
        #: environment; "" never uses one; "http://[user:password@]host[:port]" uses that one
        #: (Basic auth when a user is given).
        self.proxy: str | None = None
        #: Hosts reached directly despite a proxy: names, ".domain"s, CIDR subnets, "*".
        #: None (default) reads the ``no_proxy`` environment variable.
        self.no_proxy: list[str] | None = None
        self._verify_tls = True
        self._trusted_certificate: X509Certificate | None = None
        self._conn: Connection | None = None
        self._lingering = Lingering()  # closed, still flushing a close
        self._status = _DISCONNECTED
        self._peer = WebSocketPeer()
        self._mp: MultiplayerClient | None = None  # multiplayer mode's state, else None
        # Signals still to fire: events with their connection, and data_received count.
        self._todo: deque[tuple[Connection, events.Event]] = deque()
        self._owed = 0
        self._polling = False  # inside _dispatch (handlers run): poll() must not re-enter

    # ------------------------------------------------------------------ connecting

    def connect_to_url(
        self,
        url: str,
        protocols: Sequence[str] = (),
        gd_mp_api: bool = False,
        custom_headers: Sequence[str] = (),
    ) -> Error:
        """Start connecting; returns at once. Failures after this come as ``connection_error``.

        ERR_INVALID_PARAMETER for a scheme other than ws/wss, a bad port or a header/protocol
        containing CR or LF; ERR_ALREADY_IN_USE while connecting or connected.
        ``gd_mp_api=True`` speaks Godot 3's multiplayer protocol (see the class docstring).
        """
        if not isinstance(url, str) or isinstance(protocols, int):
            raise url_call_error("connect_to_url", "connect_to_url(url, protocols=[], "
                                 "gd_mp_api=False, custom_headers=[])", url, protocols)
        protocols = require_strings("connect_to_url", "protocols", protocols)
        custom_headers = require_strings("connect_to_url", "custom_headers", custom_headers)
        if self._status is not _DISCONNECTED:
            log.error("connect_to_url: already connecting or connected")
            return Error.ERR_ALREADY_IN_USE
        target = parse_target(url)
        if target is None:
            log.error("connect_to_url: invalid WebSocket URL %r", redact_url(url))
            return Error.ERR_INVALID_PARAMETER
        for value in protocols:
            if "\r" in value or "\n" in value:
                log.error("connect_to_url: CR or LF in a protocol: %r", value)
                return Error.ERR_INVALID_PARAMETER
        for value in custom_headers:
            problem = custom_header_problem(value)
            if problem:
                log.error("connect_to_url: %s", problem)
                return Error.ERR_INVALID_PARAMETER
        try:
            proxy = choose_proxy(target.host, target.secure, self.proxy, self.no_proxy)
        except ProxyError as exc:
            log.error("connect_to_url: %s", exc)
            return Error.ERR_INVALID_PARAMETER
        context = self._tls_context() if target.secure else None
        queue = PacketQueue(self._in_packets, self._in_bytes)
        if not gd_mp_api:
            custom_headers = (*custom_headers, ": ".join(PLAIN_HEADER))
        protocol = ClientProtocol(
            target, queue, protocols, custom_headers, max_message_size=self._in_bytes,
            deflate=self._deflate_options(),
        )
        conn = Connection(
            Transport(target.host, target.port, context, proxy=proxy), protocol, self._out_bytes,
            self._out_packets,
        )
        conn.deadline = time.monotonic() + self.handshake_timeout
        conn.heartbeat_interval = self._heartbeat_interval
        conn.wake = self._wake
        self._todo.clear()
        self._owed = 0
        self._conn = conn
        self._peer = WebSocketPeer(queue, conn)
        self._mp = (
            MultiplayerClient(self, self._in_packets, self._in_bytes, self._target_peer)
            if gd_mp_api else None
        )
        if self._mp is not None:
            self._mp.url = url
        self._status = _CONNECTING
        conn.advance()  # starts the TCP connect now for IP literals
        return Error.OK

    def _tls_context(self) -> ContextFuture:
        """This configuration's shared context, built off this thread (see ``_tls``)."""
        if not self._verify_tls:
            log.warning("TLS verification is off: any certificate will be accepted")
        pinned = self._trusted_certificate
        return client_context(self._verify_tls, pinned.save_to_string() if pinned else None)

    def disconnect_from_host(self, code: int = 1000, reason: str = "") -> None:
        """Send a close frame with ``code`` and ``reason`` (no trailing NUL, unlike 3.2.3),
        written at once when the socket can take it, as Godot does.

        ``connection_closed(True)`` fires in a later poll once the server answers (3.2.3
        reports False). While still connecting, the attempt is dropped without a signal.
        """
        conn = self._conn
        if conn is None:
            return
        if self._status is _CONNECTING:
            conn.transport.close()
            self._conn = None
            self._status = _DISCONNECTED
            self._todo.clear()
            return
        conn.close(code, reason)

    # ------------------------------------------------------------------ poll

    def poll(self) -> None:
        """Write what the game queued, move every ready byte through the protocol, then emit
        this poll's signals; what the handlers queued is written before poll returns.

        Calling ``poll()`` from one of this client's signal handlers does nothing but log an
        error (Godot's loop cannot re-enter; a nested poll would reorder signals)."""
        conn = self._conn
        if conn is not None and conn.quiet_recv is not None and not conn.protocol._out:
            # An open connection with nothing to write: an idle poll is one recv call.
            try:
                data = conn.quiet_recv(RECV_SIZE)
            except _NOTHING_READY:
                return
            except OSError:
                data = None  # read again below, where the error is reported
            self._pump(conn, data)
            return
        if self._polling:
            log.error("poll() called from a signal handler of the same client: ignored "
                      "(return from the handler instead)")
            return
        if self._lingering:
            self._lingering.flush()
        if conn is None:
            return
        if not conn.ready:
            conn.advance()
            if not conn.ready:
                self._dispatch(conn, 0)
                return
        self._pump(conn, None)

    def flush(self) -> None:
        """Write every queued message now (``put_packet`` writes at once only the first
        ``WRITE_THROUGH`` messages of a frame; a game that sends more and wants them out
        before its next ``poll()`` calls this). Not in Godot."""
        conn = self._conn
        if conn is not None and conn.ready:
            conn.flush()

    def _wake(self, conn: Connection) -> None:
        # A message started a new batch: write it through, unless a handler of this poll
        # queued it (poll writes those once every handler has run).
        if not self._polling:
            conn.write_through()

    def _pump(self, conn: Connection, first: bytes | None) -> None:
        protocol = conn.protocol
        packets = protocol.queue.packets
        new = conn.pump(first)
        state = protocol.state
        mp = self._mp
        waiting = mp is not None and (bool(packets) or not (mp.unique_id or mp.warned))
        if (protocol._events or new or state is not _OPEN or self._todo or self._owed
                or waiting):
            self._dispatch(conn, new)
        if self._conn is conn:
            conn.quiet_recv = (
                conn.idle_reader() if not self._lingering and not waiting else None
            )

    def _dispatch(self, conn: Connection, new_packets: int) -> None:
        """Turn the protocol's events into status changes and signals (after all I/O).

        Signals wait in ``_todo``/``_owed`` and each is taken off before it fires, so if a
        handler raises (even KeyboardInterrupt), the rest fire on the next poll. The
        handshake comes first (status CONNECTED), then the data, then the close."""
        todo = self._todo
        protocol = conn.protocol
        if protocol.state is State.CONNECTING:
            if time.monotonic() > conn.deadline:
                protocol.abort(f"handshake timed out after {self.handshake_timeout} s")
        elif protocol.state is State.CLOSING:
            conn.check_closing(self.close_timeout)
        mp = self._mp
        if (mp is not None and not (mp.unique_id or mp.warned) and mp.id_due
                and time.monotonic() > mp.id_due):
            mp.not_a_host(f"no peer id arrived within {self.handshake_timeout} s of connecting")
        conn.quiet_recv = None  # a handler's poll() must take the guarded path
        todo.extend((conn, event) for event in protocol.events_received())
        self._owed += new_packets
        self._polling = True
        try:
            while todo and isinstance(todo[0][1], events.HandshakeDone):
                self._handle(*todo.popleft())
            if self._mp is not None:
                self._receive_mp(conn, self._mp)
            else:
                signal = self.data_received
                if not signal:
                    self._owed = 0  # nobody listens: no per-packet loop on the hot path
                while self._owed:
                    self._owed -= 1
                    if signal:
                        signal.emit()
            while todo:
                self._handle(*todo.popleft())
        finally:
            self._polling = False
            current = self._conn
            if current is not None and current.ready and current.protocol._out:
                current.flush()  # what the handlers queued leaves in this frame

    def _receive_mp(self, conn: Connection, mp: MultiplayerClient) -> None:
        """Multiplayer mode's messages: through ``mp`` while it has room."""
        protocol = conn.protocol
        raw = protocol.queue
        self._owed = 0
        # Messages go on to mp's queue while it has room; each batch taken makes room to
        # decode what the protocol held back. When mp is full they wait, and so does TCP.
        while mp.receive(raw) and protocol.blocked:
            protocol.resume()
        self._todo.extend((conn, event) for event in protocol.events_received())

    def _handle(self, conn: Connection, event: events.Event) -> None:
        mp = self._mp
        if isinstance(event, events.HandshakeDone):
            if self._conn is conn:
                self._status = _CONNECTED
                conn.deadline = 0.0
                if mp is not None:  # the host's id is due as soon as the upgrade is done
                    mp.id_due = time.monotonic() + self.handshake_timeout
                if mp is None:  # multiplayer: the game waits for connection_succeeded
                    self.connection_established.emit(event.protocol)
        elif isinstance(event, events.HandshakeFailed):
            log.warning("connection to %s failed: %s", conn.transport.host, event.reason)
            self._finish(conn)
            if mp is not None:
                mp.connection_lost()
            else:
                self.connection_error.emit()
        elif isinstance(event, events.CloseRequested):
            if event.code == 1003:  # unsupported data: likely a mode mix-up, say why
                log.warning("%s closed the connection (1003): %s", conn.transport.host,
                            event.reason)
            if mp is not None:
                # Nothing follows a close frame: what waited for room goes first, in order.
                mp.receive(conn.protocol.queue, force=True)
            self.server_close_request.emit(event.code, godot_reason(event.reason))
        elif isinstance(event, events.Closed):
            if mp is not None:
                log_ = log.info if event.clean else log.warning
                log_("multiplayer connection closed (code %d): %s", event.code,
                     clean(event.reason))  # a clean close's reason is the server's text
                mp.receive(conn.protocol.queue, force=True)
                self._finish(conn)
                mp.connection_lost()
            else:
                if not event.clean:
                    log.warning("connection closed (code %d): %s", event.code, event.reason)
                self._finish(conn)
                self.connection_closed.emit(event.clean)

    def _finish(self, conn: Connection) -> None:
        """Tear down: write what is left (a close frame), keep flushing it briefly if needed."""
        self._lingering.finish(conn)
        if self._conn is conn:
            self._conn = None
            self._status = _DISCONNECTED

    # ------------------------------------------------------------------ state and peers

    def get_connection_status(self) -> ConnectionStatus:
        return self._status

    def get_peer(self, peer_id: int) -> WebSocketPeer | None:
        """The connection's peer; only id 1 (the server) exists on a client."""
        if peer_id != 1:
            log.error("get_peer: a client only has peer 1, not %r", peer_id)
            return None
        return self._peer

    def get_connected_host(self) -> str:
        """The server's IP address (the proxy's with ``proxy``); "" (logged) when not connected."""
        return self._peer.get_connected_host()

    def get_connected_port(self) -> int:
        """The server's port (the proxy's with ``proxy``); 0 (logged) when not connected."""
        return self._peer.get_connected_port()

    def _in_use(self) -> bool:
        return self._status is not _DISCONNECTED

    def get_current_outbound_buffered_amount(self) -> int:
        """Bytes queued or written to the transport but not yet sent (later Godot 3.x)."""
        conn = self._conn
        if conn is None:
            return 0
        return conn.buffered_amount()

    # ------------------------------------------------------------------ TLS properties

    def is_verify_tls_enabled(self) -> bool:
        """Whether a ``wss://`` server's certificate and host name are checked (default True; Godot
        3: ``verify_ssl``)."""
        return self._verify_tls

    def set_verify_tls_enabled(self, enabled: bool) -> None:
        """Check the server's certificate and host name (True, the default) or accept any (False:
        logs a warning at connect; testing only)."""
        self._verify_tls = bool(enabled)

    verify_tls = property(is_verify_tls_enabled, set_verify_tls_enabled)
    is_verify_ssl_enabled = is_verify_tls_enabled
    set_verify_ssl_enabled = set_verify_tls_enabled
    verify_ssl = verify_tls

    def get_trusted_tls_certificate(self) -> X509Certificate | None:
        """The pinned certificate (``X509Certificate``) a ``wss://`` server must present, or None
        for the system's CAs (Godot 3: ``trusted_ssl_certificate``)."""
        return self._trusted_certificate

    def set_trusted_tls_certificate(self, certificate: X509Certificate | None) -> None:
        """Pin: if set, the only certificate (or chain root) a ``wss://`` server may present."""
        if certificate is not None and not isinstance(certificate, X509Certificate):
            raise TypeError("trusted_tls_certificate must be an X509Certificate or None")
        if self._status is not _DISCONNECTED:
            log.error("trusted_tls_certificate can only be set while disconnected")
            return
        self._trusted_certificate = certificate

    trusted_tls_certificate = property(get_trusted_tls_certificate, set_trusted_tls_certificate)
    get_trusted_ssl_certificate = get_trusted_tls_certificate
    set_trusted_ssl_certificate = set_trusted_tls_certificate
    trusted_ssl_certificate = trusted_tls_certificate

    # ------------------------------------------------------------------ NetworkedMultiplayerPeer

    def get_unique_id(self) -> int:
        """The id the server gave us (multiplayer mode), 0 until its SYS_ID arrives."""
        return self._mp.unique_id if self._mp is not None else 0

    def get_packet_peer(self) -> int:
        """The source peer id of the packet the next ``get_packet`` returns (1 when none)."""
        mp = self._mp
        if mp is None:
            log.error("get_packet_peer: only in multiplayer mode (gd_mp_api)")
            return 1
        source = mp.packet_peer()
        if source is None:
            log.error("get_packet_peer: no packet queued")
            return 1
        return source

    def get_available_packet_count(self) -> int:
        mp = self._mp
        if mp is None:
            log.error("get_available_packet_count: in plain mode use get_peer(1)")
            return 0
        return len(mp.packets)

    def get_packet(self) -> bytes:
        """The next multiplayer packet's payload (its source was ``get_packet_peer()``)."""
        mp = self._mp
        if mp is None:
            log.error("get_packet: in plain mode use get_peer(1)")
            self._packet_error = Error.ERR_UNCONFIGURED
            return b""
        payload = mp.pop()
        if payload is None:
            log.error("get_packet: no packet queued")
            self._packet_error = Error.ERR_UNAVAILABLE
            return b""
        self._packet_error = Error.OK
        return payload

    def put_packet(self, buffer: bytes | bytearray | memoryview) -> Error:
        """Send ``buffer`` to ``set_target_peer``'s target as one binary message.

        ERR_UNCONFIGURED in plain mode (use ``get_peer(1)``) and, unlike Godot, until the
        server has sent our id (Godot sends id 0, which its server drops as cheating); FAILED
        when not connected; ERR_OUT_OF_MEMORY when the output buffer is full.
        """
        if not isinstance(buffer, (bytes, bytearray, memoryview)):
            raise TypeError(f"put_packet takes bytes, not {type(buffer).__name__}")
        mp = self._mp
        if mp is None:
            log.error("put_packet: in plain mode use get_peer(1)")
            return Error.ERR_UNCONFIGURED
        conn = self._conn
        if conn is None or conn.protocol.state is not _OPEN:
            log.error("put_packet: not connected")
            return Error.FAILED
        if not mp.unique_id:
            log.error("put_packet: the server has not sent our id yet (wait for "
                      "connection_succeeded)")
            return Error.ERR_UNCONFIGURED
        size = buffer.nbytes if isinstance(buffer, memoryview) else len(buffer)
        if conn.oversized(size):  # refused before the header is joined to a copy of it
            return Error.ERR_OUT_OF_MEMORY
        return conn.send(mp.frame(bytes(buffer)), False)

    def _target_changed(self, peer_id: int) -> None:
        if self._mp is not None:
            self._mp.target_peer = peer_id

    def _heartbeat_changed(self, seconds: float) -> None:
        if self._conn is not None:
            self._conn.heartbeat_interval = seconds


