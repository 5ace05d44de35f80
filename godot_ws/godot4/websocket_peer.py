"""Godot 4's ``WebSocketPeer``: one poll-driven WebSocket connection, client or server side.

Owns Godot 4's face of a connection: ``connect_to_url``/``accept_stream``, ``poll()``, the
``State`` machine (CONNECTING -> OPEN -> CLOSING -> CLOSED), ``close(code)`` (a negative code
drops at once), ``get_close_code()``/``get_close_reason()``, ``send``/``send_text``/
``put_packet``, the buffer properties, ``heartbeat_interval`` and the read side of the packet
queue. The bytes go through the same ``Connection``, sans-IO ``Protocol`` and ``Transport`` as
the 3.x classes: this module adds no protocol logic of its own. No signals (Godot 4's class has
none): a game reads ``get_ready_state()`` after each ``poll()``.
"""

from __future__ import annotations

import enum
import logging
import ssl
import sys

from ..common.forwarded import Networks, connection_address
from ..core import events
from ..common.arguments import url_call_error
from ..net.connection import Connection, Lingering
from ..net.proxy import ProxyError, choose_proxy
from ..core.handshake import parse_target
from ..core.inbound import NO_SHARE
from ..core.logtext import redact_url
from ..net.transport import RECV_SIZE, Transport
from ..core.constants import Error, WriteMode
from ..core.protocol import ClientProtocol, PacketQueue, ServerProtocol
from ..core.protocol import State as _CoreState
from ._peer_settings import PeerSettings
from .streams import StreamPeer, StreamPeerTCP, StreamPeerTLS
from .tls import TLSOptions

__all__ = ["WebSocketPeer"]

log = logging.getLogger("godot_ws")

_BYTES_TYPES = (bytes, bytearray, memoryview)
_NOTHING_READY = (BlockingIOError, ssl.SSLWantReadError)
_OK = Error.OK
_CORE_OPEN = _CoreState.OPEN
_CORE_CLOSED = _CoreState.CLOSED
# What get_close_reason() says when we closed because the peer broke the protocol (4.4+
# wsl_peer.cpp poll(): the reason wslay's status code maps to).
_ABORT_REASONS = {1009: "Message too big", 1002: "Protocol error", 1006: "Abnormal closure",
                  1007: "Invalid frame payload data"}
_NO_LIMIT = sys.maxsize


class State(enum.IntEnum):
    """WebSocketPeer.State (websocket_peer.h)."""

    STATE_CONNECTING = 0
    STATE_OPEN = 1
    STATE_CLOSING = 2
    STATE_CLOSED = 3


_ReadyState = State
_STATES = (State.STATE_CONNECTING, State.STATE_OPEN, State.STATE_CLOSING, State.STATE_CLOSED)
_STATE_CLOSED = State.STATE_CLOSED


class WebSocketPeer(PeerSettings):
    """Godot 4's ``WebSocketPeer`` (the newest 4.x: 4.4+ buffers, heartbeat and close codes).

    Client: ``connect_to_url(url, TLSOptions.client())``, then ``poll()`` every frame and read
    ``get_ready_state()``. Server: ``accept_stream(tcp_server.take_connection())`` (or a
    ``StreamPeerTLS``), then ``poll()``: the upgrade (and the TLS handshake) happen inside.
    ``poll()`` never blocks and never raises for anything the network did.

    Where we differ from Godot (all in README's table): packets that arrived before the close
    stay readable after CLOSED until the next ``connect_to_url``/``accept_stream`` (Godot
    clears them); ``put_packet``/``send`` queue and ``poll()`` writes (Godot writes at once).
    """

    State = State
    WriteMode = WriteMode
    _variant_version = 4  # put_var/get_var speak Godot 4's Variant table
    STATE_CONNECTING = State.STATE_CONNECTING
    STATE_OPEN = State.STATE_OPEN
    STATE_CLOSING = State.STATE_CLOSING
    STATE_CLOSED = State.STATE_CLOSED
    WRITE_MODE_TEXT = WriteMode.WRITE_MODE_TEXT
    WRITE_MODE_BINARY = WriteMode.WRITE_MODE_BINARY

    def __init__(self) -> None:
        super().__init__()
        self._stream: StreamPeer | None = None  # the stream accept_stream took (kept alive)
        self._trusted: Networks = ()  # its TCPServer's trusted_proxies
        self._clear()  # the per-connection state, as Godot's _clear() resets it
        self._lingering = Lingering()  # closed, still flushing a close

    # ------------------------------------------------------------------ starting

    def connect_to_url(self, url: str, tls_client_options: TLSOptions | None = None) -> Error:
        """Start connecting to a ``ws://`` or ``wss://`` URL (no scheme means ``ws://``);
        returns at once. ERR_INVALID_PARAMETER for a bad URL, server TLS options, or CR/LF in
        a protocol or header; ERR_ALREADY_IN_USE unless CLOSED or CLOSING; FAILED when the
        address is refused at once. Failures after this end in STATE_CLOSED."""
        if not isinstance(url, str) or not isinstance(tls_client_options,
                                                      (TLSOptions, type(None))):
            raise url_call_error("connect_to_url", "connect_to_url(url, tls_client_options: "
                                 "TLSOptions | None = None)", url, tls_client_options)
        if tls_client_options is not None and tls_client_options.is_server():
            log.error("connect_to_url: TLSOptions.server() options cannot connect a client")
            return Error.ERR_INVALID_PARAMETER
        if not self._may_start("connect_to_url"):
            return Error.ERR_ALREADY_IN_USE
        target = parse_target(url) if url else None
        if target is None:
            log.error("connect_to_url: invalid WebSocket URL %r", redact_url(url))
            return Error.ERR_INVALID_PARAMETER
        if not self._headers_ok("connect_to_url"):
            return Error.ERR_INVALID_PARAMETER
        options = tls_client_options or TLSOptions.client()
        # Built off the game's thread; TCP connects meanwhile.
        context = options.client_context() if target.secure else None
        try:
            proxy = choose_proxy(target.host, target.secure, self.proxy, self.no_proxy)
        except ProxyError as exc:
            log.error("connect_to_url: %s", exc)
            return Error.ERR_INVALID_PARAMETER
        self._clear()
        queue = self._new_queue()
        protocol = ClientProtocol(target, queue, self._supported_protocols,
                                  self._handshake_headers,
                                  max_message_size=self._inbound_buffer_size,
                                  deflate=self._deflate())
        transport = Transport(target.host, target.port, context, proxy=proxy)
        transport.tls_name = options.server_name(target.host)
        self._start(Connection(transport, protocol, *self._out_limits()), queue)
        self._requested_url = url
        self._tls = target.secure
        self._conn.advance()  # type: ignore[union-attr]  # starts TCP now for IP literals
        if transport.error and transport.sock is None:
            log.error("connect_to_url: %s", transport.error)
            self._clear()
            return Error.FAILED
        return _OK

    def accept_stream(self, stream: StreamPeer) -> Error:
        """Serve the WebSocket upgrade on ``stream`` (a ``StreamPeerTCP`` from
        ``TCPServer.take_connection()``, or a ``StreamPeerTLS`` over one); ``poll()`` steps
        the TLS handshake and answers the request. ERR_INVALID_PARAMETER for another kind
        of stream; ERR_ALREADY_IN_USE unless CLOSED or CLOSING."""
        if not isinstance(stream, StreamPeer):
            raise TypeError(f"accept_stream takes a StreamPeer, not {type(stream).__name__}")
        if not self._may_start("accept_stream"):
            return Error.ERR_ALREADY_IN_USE
        if isinstance(stream, StreamPeerTLS):
            if not isinstance(stream.get_stream(), StreamPeerTCP):
                log.error("accept_stream: the StreamPeerTLS has no TCP stream under it")
                return Error.ERR_INVALID_PARAMETER
        elif not isinstance(stream, StreamPeerTCP):
            log.error("accept_stream: needs a StreamPeerTCP or a StreamPeerTLS")
            return Error.ERR_INVALID_PARAMETER
        transport = stream._transport
        if transport is None:
            log.error("accept_stream: the stream was never connected")
            return Error.ERR_INVALID_PARAMETER
        # A stream that failed or closed since is accepted, as in Godot: poll() then ends
        # in STATE_CLOSED.
        if not self._headers_ok("accept_stream"):
            return Error.ERR_INVALID_PARAMETER
        self._clear()
        queue = self._new_queue()
        protocol = ServerProtocol(queue, self._supported_protocols, self._inbound_buffer_size,
                                  deflate=self._deflate(), headers=self._handshake_headers,
                                  strict_protocols=True)
        transport.set_no_delay(True)
        self._start(Connection(transport, protocol, *self._out_limits()), queue)
        self._stream = stream
        self._tls = isinstance(stream, StreamPeerTLS)
        tcp = stream.get_stream() if isinstance(stream, StreamPeerTLS) else stream
        self._trusted = tcp._trusted if isinstance(tcp, StreamPeerTCP) else ()
        return _OK

    def _may_start(self, what: str) -> bool:
        conn = self._conn
        if conn is not None and conn.protocol.state in (_CoreState.CONNECTING, _CORE_OPEN):
            log.error("%s: the peer is connecting or open (close it first)", what)
            return False
        return True

    def _headers_ok(self, what: str) -> bool:
        for value in (*self._supported_protocols, *self._handshake_headers):
            if "\r" in value or "\n" in value:
                log.error("%s: CR or LF in a protocol or header: %r", what, value)
                return False
        return True

    def _new_queue(self) -> PacketQueue:
        # Godot's inbound ring holds 2**nearest_shift(inbound_buffer_size) bytes, one of them
        # unusable; max_queued_packets slots (wsl_peer.cpp, packet_buffer.h).
        ring = (1 << max(0, self._inbound_buffer_size).bit_length()) - 1
        return PacketQueue(max(0, self._max_queued_packets), ring)

    def _out_limits(self) -> tuple[int, int]:
        out_bytes = self._outbound_buffer_size
        return (out_bytes if out_bytes > 0 else _NO_LIMIT, max(0, self._max_queued_packets))

    def _start(self, conn: Connection, queue: PacketQueue) -> None:
        conn.heartbeat_interval = self._heartbeat_interval
        self._conn = conn
        self._queue = queue

    def _clear(self) -> None:
        """Godot's ``_clear()``: drop any connection; reset the close code, URL, protocol
        and the packets of the previous connection."""
        conn = self._conn
        if conn is not None:
            conn.transport.close()
        self._conn = None
        self._stream = None
        self._queue = PacketQueue(1, 1)
        self._was_string = False
        self._close_code = -1
        self._close_reason = ""
        self._requested_url = ""
        self._selected_protocol = ""
        self._tls = False

    # ------------------------------------------------------------------ poll

    def poll(self) -> None:
        """Step TCP, TLS and the handshake, write what was sent, read every ready byte and
        update the state. Never blocks; never raises for anything the network did."""
        self._poll_share(NO_SHARE)

    def _poll_share(self, share: int) -> int:
        """``poll()`` reading at most ``share`` units of work (a host's budget, see
        ``net/limits.py``); returns the work left of the share."""
        conn = self._conn
        if conn is None:
            if self._lingering:
                self._lingering.flush()
            return share
        if conn.quiet_recv is not None and not conn.protocol._out and share == NO_SHARE:
            # Open, nothing to write: an idle poll is one recv call (a host's peers are
            # polled only when readable, and read in share-sized pieces: pump).
            try:
                data = conn.quiet_recv(RECV_SIZE)
            except _NOTHING_READY:
                return share
            except OSError:
                data = None  # read again in pump, where the error is reported
            conn.pump(data, share)
            self._after_pump(conn)
            return conn.protocol.work_left
        if self._lingering:
            self._lingering.flush()
        protocol = conn.protocol
        if protocol.state is _CORE_CLOSED:
            return share
        if not conn.ready:
            conn.advance()
            if not conn.ready:
                if protocol._events:
                    self._handle_events(conn)
                return share
        conn.pump(None, share)  # also sends the heartbeat (Connection.heartbeat)
        self._after_pump(conn)
        return protocol.work_left

    def _host_transport(self) -> Transport | None:
        """The transport a host watches for readiness (None when closed)."""
        return self._conn.transport if self._conn is not None else None

    def _needs_poll(self) -> bool:
        """Whether the next ``poll()`` has work besides reading a socket that became
        readable: writing, decoding held bytes, a TLS write, the heartbeat, closing. A host
        that polls only readable peers (issue 25.15) asks this after each poll."""
        conn = self._conn
        if conn is None:
            return bool(self._lingering)
        protocol = conn.protocol
        transport = conn.transport
        return bool(protocol.state is not _CORE_OPEN or protocol.blocked or protocol._out
                    or transport._out or transport.wants_write or conn.heartbeat_interval
                    or self._queue.packets or self._lingering)

    def _after_pump(self, conn: Connection) -> None:
        protocol = conn.protocol
        if protocol._events:
            self._handle_events(conn)
        if self._conn is conn:
            conn.quiet_recv = conn.idle_reader() if not self._lingering else None

    def _handle_events(self, conn: Connection) -> None:
        for event in conn.protocol.events_received():
            if isinstance(event, events.HandshakeDone):
                self._selected_protocol = event.protocol
                if not conn.protocol.client:
                    request = conn.protocol.request  # type: ignore[attr-defined]
                    host = request.headers.get("host", "")
                    self._requested_url = ("wss://" if self._tls else "ws://") + host + \
                        request.resource
            elif isinstance(event, events.HandshakeFailed):
                log.warning("WebSocket handshake %s failed: %s",
                            "with " + conn.transport.host if conn.protocol.client
                            else "of a client", event.reason)
                self._finish(conn)
            elif isinstance(event, events.CloseRequested):
                self._close_code = 0 if event.code == 1005 else event.code
                self._close_reason = event.reason
            elif isinstance(event, events.Closed):
                if event.clean:
                    # The peer's close frame; one with no payload gives 0, as wslay reports.
                    self._close_code = 0 if event.code == 1005 else event.code
                    self._close_reason = event.reason
                    log.info("WebSocket closed (code %d)", event.code)
                elif event.code != 1006:
                    # We failed the connection for a protocol error and sent this code.
                    log.warning("WebSocket closed with %d: %s", event.code, event.reason)
                    self._close_code = event.code
                    self._close_reason = _ABORT_REASONS.get(event.code, "Unknown")
                else:
                    # A client gone without a close frame is everyday news on a host (a
                    # closed browser tab): INFO there, so a mass departure is not N warnings.
                    log.log(logging.WARNING if conn.protocol.client else logging.INFO,
                            "WebSocket connection lost: %s", event.reason)
                self._finish(conn)

    def _finish(self, conn: Connection) -> None:
        """The connection is over: write what is left (a close frame, a 400 reply), keep
        flushing it briefly if the socket cannot take it now, then close the socket."""
        self._lingering.finish(conn)

    # ------------------------------------------------------------------ state

    def get_ready_state(self) -> _ReadyState:
        """``STATE_CONNECTING``, ``STATE_OPEN``, ``STATE_CLOSING`` or ``STATE_CLOSED``, as of the
        last ``poll()``."""
        conn = self._conn
        return _STATE_CLOSED if conn is None else _STATES[conn.protocol.state.value]

    def get_close_code(self) -> int:
        """The code of the close frame the peer sent (0 if it had no payload); -1 when none
        arrived. After we failed the connection for a protocol error: the code we sent."""
        return self._close_code

    def get_close_reason(self) -> str:
        """The reason of the close frame the peer sent ("" when none arrived)."""
        return self._close_reason

    def get_requested_url(self) -> str:
        """The URL given to ``connect_to_url``; on the server side ``ws[s]://`` + the
        client's Host header + the path it asked for."""
        return self._requested_url

    def get_selected_protocol(self) -> str:
        """The sub-protocol the handshake agreed on ("" for none)."""
        return self._selected_protocol

    def get_connected_host(self) -> str:
        """The other end's IP address; for a connection accepted from a ``TCPServer`` with
        ``trusted_proxies``, the client the proxy forwarded (``X-Forwarded-For``)."""
        conn = self._conn
        if conn is None:
            log.error("get_connected_host: no connection")
            return ""
        return connection_address(conn, self._trusted)

    def get_connected_port(self) -> int:
        """The other end's port; 0 (logged) without a connection."""
        conn = self._conn
        if conn is None:
            log.error("get_connected_port: no connection")
            return 0
        return conn.address()[1]

    def set_no_delay(self, enabled: bool) -> None:
        """Turn Nagle's algorithm off (True, the default here) or on."""
        if self._conn is not None:
            self._conn.set_no_delay(bool(enabled))

    def get_current_outbound_buffered_amount(self) -> int:
        """Bytes sent but not yet on the wire; 0 unless OPEN (as Godot)."""
        conn = self._conn
        if conn is None or conn.protocol.state is not _CORE_OPEN:
            return 0
        return conn.buffered_amount()

    # ------------------------------------------------------------------ closing

    def close(self, code: int = 1000, reason: str = "") -> None:
        """While OPEN, send a close frame and go CLOSING (keep polling until CLOSED). A
        negative code (``close(-1)``) drops the connection at once, without a close frame.
        While CONNECTING the attempt is dropped."""
        if not isinstance(code, int) or not isinstance(reason, str):
            raise TypeError("close(code: int = 1000, reason: str = '')")
        conn = self._conn
        if conn is None:
            return
        state = conn.protocol.state
        if code < 0 or state is _CoreState.CONNECTING:
            conn.quiet_recv = None
            conn.protocol.abort(f"closed locally with code {code}")
            conn.protocol.events_received()  # nothing to report: the caller chose this
            conn.transport.close()
            if conn.wake is not None:
                conn.wake(conn)  # a host polling only busy peers must see it gone
            return
        if state is _CORE_OPEN:
            conn.close(code, reason)
            conn.flush()  # the close frame leaves now, as in Godot

    # ------------------------------------------------------------------ packets

    def get_available_packet_count(self) -> int:
        return len(self._queue.packets)

    def get_packet(self) -> bytes:
        """The next message's payload; b"" with ERR_UNAVAILABLE (FAILED when closed) when
        there is none. Text messages come as their UTF-8 bytes (``was_string_packet()``)."""
        queue = self._queue
        packets = queue.packets
        if packets:
            payload, self._was_string = packets.popleft()
            queue.nbytes -= len(payload)
            self._packet_error = _OK
            return payload
        conn = self._conn
        self._packet_error = (
            Error.ERR_UNAVAILABLE if conn is not None and conn.protocol.state is _CORE_OPEN
            else Error.FAILED
        )
        return b""

    def was_string_packet(self) -> bool:
        """Whether the last packet ``get_packet`` returned was a text message."""
        return self._was_string

    def put_packet(self, buffer: bytes | bytearray | memoryview) -> Error:
        """Send one binary message (always binary in Godot 4). FAILED unless OPEN;
        ERR_OUT_OF_MEMORY when ``outbound_buffer_size`` or ``max_queued_packets`` is full."""
        if type(buffer) is not bytes:
            if not isinstance(buffer, _BYTES_TYPES):
                raise TypeError(f"put_packet takes bytes, not {type(buffer).__name__}")
            buffer = bytes(buffer)
        conn = self._conn
        if conn is None:
            log.error("put_packet: the peer is not connected")
            return Error.FAILED
        return conn.send(buffer, False)

    def send(self, message: bytes | bytearray | memoryview,
             write_mode: int = WriteMode.WRITE_MODE_BINARY) -> Error:
        """Send ``message`` as one binary frame, or a text frame with WRITE_MODE_TEXT (the
        bytes must then be UTF-8; Godot does not check, we refuse with
        ERR_INVALID_PARAMETER rather than break the peer's connection)."""
        if not isinstance(message, _BYTES_TYPES):
            raise TypeError(f"send takes bytes, not {type(message).__name__}")
        text = WriteMode(write_mode) is WriteMode.WRITE_MODE_TEXT
        data = bytes(message)
        if text:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                log.error("send: WRITE_MODE_TEXT needs UTF-8 bytes")
                return Error.ERR_INVALID_PARAMETER
        conn = self._conn
        if conn is None:
            log.error("send: the peer is not connected")
            return Error.FAILED
        return conn.send(data, text)

    def send_text(self, message: str) -> Error:
        """Send ``message`` as one text frame."""
        if not isinstance(message, str):
            raise TypeError(f"send_text takes str, not {type(message).__name__}")
        conn = self._conn
        if conn is None:
            log.error("send_text: the peer is not connected")
            return Error.FAILED
        try:
            data = message.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: not text any peer could read
            log.error("send_text: the string is not valid Unicode (lone surrogates)")
            return Error.ERR_INVALID_PARAMETER
        return conn.send(data, True)
