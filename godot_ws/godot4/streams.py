"""Godot 4's ``StreamPeerTCP``, ``StreamPeerTLS`` and ``TCPServer``: enough of them to build a
WebSocket server the Godot 4 way (``TCPServer.take_connection()``, optionally
``StreamPeerTLS.accept_stream(tcp, TLSOptions.server(key, cert))``, then
``WebSocketPeer.accept_stream(stream)``).

Owns the listening socket and the stream objects' status. Every stream is a thin face over
one ``godot_ws._transport.Transport``, the only code that reads or writes the socket; a
``WebSocketPeer`` that accepts a stream takes over that transport. Nothing here blocks.
"""

from __future__ import annotations

import enum
import logging
import socket
import ssl
from collections import deque

from ..common.forwarded import Networks, TrustedProxies
from ..core.constants import Error
from ..net.transport import Transport, listen_socket
from .tls import TLSOptions

__all__ = ["StreamPeer", "StreamPeerTCP", "StreamPeerTLS", "TCPServer"]

log = logging.getLogger("godot_ws")


class StreamPeer:
    """Godot's abstract byte stream (the base of ``StreamPeerTCP`` and ``StreamPeerTLS``)."""

    def __init__(self) -> None:
        self._transport: Transport | None = None

    def put_data(self, data: bytes | bytearray | memoryview) -> Error:
        """Queue ``data``; it is written as the socket takes it (never blocks, unlike
        Godot's). FAILED when not connected."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"put_data takes bytes, not {type(data).__name__}")
        transport = self._transport
        if transport is None or transport.sock is None or not self._connected():
            log.error("put_data: the stream is not connected")
            return Error.FAILED
        return Error.OK if transport.send(bytes(data)) else Error.FAILED

    def get_partial_data(self, num_bytes: int) -> list[object]:
        """``[Error, bytes]`` with up to ``num_bytes`` that are ready (``b""`` when none)."""
        transport = self._transport
        if transport is None or transport.sock is None or not self._connected():
            return [Error.FAILED, b""]
        data = transport.recv()
        if data is None:
            return [Error.OK, b""]
        if not data:
            return [Error.ERR_FILE_EOF, b""]
        if len(data) > num_bytes:
            log.warning("get_partial_data: %d bytes beyond %d were dropped", len(data) - num_bytes,
                        num_bytes)
        return [Error.OK, data[:num_bytes]]

    def _connected(self) -> bool:
        raise NotImplementedError


class StreamPeerTCP(StreamPeer):
    """A TCP connection: one that ``TCPServer.take_connection()`` accepted, or an outgoing
    one (``connect_to_host``, stepped by ``poll()``)."""

    class Status(enum.IntEnum):
        """StreamPeerTCP.Status: NONE, CONNECTING, CONNECTED, ERROR (Godot's numbers)."""
        STATUS_NONE = 0
        STATUS_CONNECTING = 1
        STATUS_CONNECTED = 2
        STATUS_ERROR = 3

    STATUS_NONE = Status.STATUS_NONE
    STATUS_CONNECTING = Status.STATUS_CONNECTING
    STATUS_CONNECTED = Status.STATUS_CONNECTED
    STATUS_ERROR = Status.STATUS_ERROR

    def __init__(self) -> None:
        super().__init__()
        self._status = StreamPeerTCP.STATUS_NONE

    # The accepting TCPServer's trusted_proxies, for a WebSocketPeer that accepts this stream.
    _trusted: Networks = ()

    @classmethod
    def _accepted(cls, sock: socket.socket, trusted: Networks = ()) -> StreamPeerTCP:
        peer = cls()
        peer._transport = Transport("", 0, accepted=sock)
        peer._status = StreamPeerTCP.STATUS_CONNECTED
        peer._trusted = trusted
        return peer

    def connect_to_host(self, host: str, port: int) -> Error:
        """Start connecting (the name is resolved off the game thread); ``poll()`` steps it."""
        if not isinstance(host, str) or not isinstance(port, int):
            raise TypeError("connect_to_host(host: str, port: int)")
        if self.get_status() is not StreamPeerTCP.STATUS_NONE:
            log.error("connect_to_host: already connecting or connected")
            return Error.ERR_ALREADY_IN_USE
        if not host or not 1 <= port <= 65535:
            return Error.ERR_INVALID_PARAMETER
        self._transport = Transport(host, port)
        self._status = StreamPeerTCP.STATUS_CONNECTING
        self.poll()
        return Error.FAILED if self._status is StreamPeerTCP.STATUS_ERROR else Error.OK

    def poll(self) -> Error:
        """Step an outgoing connection (CONNECTING to CONNECTED or ERROR); returns OK. Never
        blocks."""
        if self._status is StreamPeerTCP.STATUS_CONNECTING and self._transport is not None:
            step = self._transport.connect_step()
            if step:
                self._status = StreamPeerTCP.STATUS_CONNECTED
            elif step is False:
                log.warning("StreamPeerTCP: %s", self._transport.error)
                self._status = StreamPeerTCP.STATUS_ERROR
        return Error.OK

    def get_status(self) -> StreamPeerTCP.Status:
        """``STATUS_NONE``, ``STATUS_CONNECTING``, ``STATUS_CONNECTED`` or ``STATUS_ERROR``; NONE
        again once the socket was closed (also by a ``WebSocketPeer`` that took the stream)."""
        transport = self._transport
        if self._status is StreamPeerTCP.STATUS_CONNECTED and (
            transport is None or transport.sock is None
        ):
            # Closed underneath us (the WebSocketPeer that took the stream closed it).
            self._status = StreamPeerTCP.STATUS_NONE
        return self._status

    def _connected(self) -> bool:
        return self.get_status() is StreamPeerTCP.STATUS_CONNECTED

    def get_connected_host(self) -> str:
        """The other end's IP address ("" when not connected)."""
        return self._transport.peer_address()[0] if self._transport is not None else ""

    def get_connected_port(self) -> int:
        """The other end's port (0 when not connected)."""
        return self._transport.peer_address()[1] if self._transport is not None else 0

    def get_local_port(self) -> int:
        """This end's port (0 when not connected)."""
        sock = self._transport.sock if self._transport is not None else None
        try:
            return int(sock.getsockname()[1]) if sock is not None else 0
        except OSError:
            return 0

    def set_no_delay(self, enabled: bool) -> None:
        """Turn Nagle's algorithm off (True) or on."""
        if self._transport is not None:
            self._transport.set_no_delay(bool(enabled))

    def disconnect_from_host(self) -> None:
        """Close the connection."""
        if self._transport is not None:
            self._transport.close()
        self._transport = None
        self._status = StreamPeerTCP.STATUS_NONE


class StreamPeerTLS(StreamPeer):
    """TLS over a ``StreamPeerTCP``. ``accept_stream(tcp, TLSOptions.server(key, cert))``
    starts the server side; ``poll()`` (or the ``WebSocketPeer`` that accepts this stream)
    steps the handshake without blocking."""

    class Status(enum.IntEnum):
        """StreamPeerTLS.Status: DISCONNECTED, HANDSHAKING, CONNECTED, ERROR,
        ERROR_HOSTNAME_MISMATCH (Godot's numbers)."""
        STATUS_DISCONNECTED = 0
        STATUS_HANDSHAKING = 1
        STATUS_CONNECTED = 2
        STATUS_ERROR = 3
        STATUS_ERROR_HOSTNAME_MISMATCH = 4

    STATUS_DISCONNECTED = Status.STATUS_DISCONNECTED
    STATUS_HANDSHAKING = Status.STATUS_HANDSHAKING
    STATUS_CONNECTED = Status.STATUS_CONNECTED
    STATUS_ERROR = Status.STATUS_ERROR
    STATUS_ERROR_HOSTNAME_MISMATCH = Status.STATUS_ERROR_HOSTNAME_MISMATCH

    def __init__(self) -> None:
        super().__init__()
        self._stream: StreamPeerTCP | None = None
        self._status = StreamPeerTLS.STATUS_DISCONNECTED

    def accept_stream(self, stream: StreamPeer, server_options: TLSOptions) -> Error:
        """Serve TLS on an accepted ``StreamPeerTCP``. ERR_INVALID_PARAMETER unless
        ``server_options`` is ``TLSOptions.server(...)`` and ``stream`` a connected TCP
        stream; ERR_INVALID_PARAMETER too when the key and certificate do not load."""
        if not isinstance(stream, StreamPeerTCP) or not isinstance(server_options, TLSOptions):
            raise TypeError("accept_stream(stream: StreamPeerTCP, server_options: TLSOptions)")
        if not server_options.is_server():
            log.error("accept_stream: the options are not TLSOptions.server(key, certificate)")
            return Error.ERR_INVALID_PARAMETER
        return self._start(stream, server_options, server_side=True, name="")

    def _start(self, stream: StreamPeerTCP, options: TLSOptions, server_side: bool,
               name: str) -> Error:
        what = "accept_stream" if server_side else "connect_to_stream"
        if self._status is not StreamPeerTLS.STATUS_DISCONNECTED:
            log.error("%s: this StreamPeerTLS is already in use", what)
            return Error.ERR_ALREADY_IN_USE
        transport = stream._transport
        if not stream._connected() or transport is None or transport.sock is None:
            log.error("%s: the TCP stream is not connected", what)
            return Error.ERR_INVALID_PARAMETER
        try:
            context = options.ssl_context()
        except (ssl.SSLError, ValueError, OSError) as exc:
            log.error("%s: the TLS key or certificates do not load: %s", what, exc)
            return Error.ERR_INVALID_PARAMETER
        tls = Transport(name, 0, context, accepted=transport.sock, server_side=server_side)
        # The TCP stream now sees the same (wrapped) socket, as Godot's StreamPeerTLS keeps
        # using its base stream.
        stream._transport = tls
        self._transport = tls
        self._stream = stream
        self._status = StreamPeerTLS.STATUS_HANDSHAKING
        self.poll()
        return Error.OK

    def connect_to_stream(self, stream: StreamPeer, common_name: str,
                          client_options: TLSOptions | None = None) -> Error:
        """Run TLS as the client over a connected ``StreamPeerTCP``, checking the server's
        certificate against ``common_name`` (or the options' override) as
        ``client_options`` (default ``TLSOptions.client()``) say. ``poll()`` steps the
        handshake; a failed check ends in STATUS_ERROR."""
        if not isinstance(stream, StreamPeerTCP) or not isinstance(common_name, str):
            raise TypeError("connect_to_stream(stream: StreamPeerTCP, common_name: str, "
                            "client_options: TLSOptions | None = None)")
        if client_options is not None and not isinstance(client_options, TLSOptions):
            raise TypeError("client_options must be a TLSOptions or None")
        options = client_options or TLSOptions.client()
        if options.is_server():
            log.error("connect_to_stream: TLSOptions.server() options cannot connect a client")
            return Error.ERR_INVALID_PARAMETER
        return self._start(stream, options, server_side=False,
                           name=options.server_name(common_name))

    def poll(self) -> None:
        """Step the handshake (while handshaking)."""
        if self._status is StreamPeerTLS.STATUS_HANDSHAKING and self._transport is not None:
            step = self._transport.connect_step()
            if step:
                self._status = StreamPeerTLS.STATUS_CONNECTED
            elif step is False:
                error = self._transport.error
                log.warning("StreamPeerTLS: %s", error)
                self._status = (StreamPeerTLS.STATUS_ERROR_HOSTNAME_MISMATCH
                                if "mismatch" in error else StreamPeerTLS.STATUS_ERROR)

    def get_status(self) -> StreamPeerTLS.Status:
        """``STATUS_HANDSHAKING`` until ``poll()`` finishes the TLS handshake, then
        ``STATUS_CONNECTED``, ``STATUS_ERROR`` or ``STATUS_ERROR_HOSTNAME_MISMATCH``;
        DISCONNECTED once closed."""
        transport = self._transport
        if self._status is StreamPeerTLS.STATUS_CONNECTED and (
            transport is None or transport.sock is None
        ):
            self._status = StreamPeerTLS.STATUS_DISCONNECTED
        return self._status

    def _connected(self) -> bool:
        return self.get_status() is StreamPeerTLS.STATUS_CONNECTED

    def get_stream(self) -> StreamPeerTCP | None:
        """The TCP stream under the TLS one, or None."""
        return self._stream

    def disconnect_from_host(self) -> None:
        """Close the connection (and the TCP stream under it)."""
        if self._transport is not None:
            self._transport.close()
        self._transport = None
        self._status = StreamPeerTLS.STATUS_DISCONNECTED


class TCPServer(TrustedProxies):
    """Godot 4's ``TCPServer``: ``listen``, then ``take_connection()`` once per waiting client
    (``is_connection_available()`` says whether one waits). Never blocks.

    ``trusted_proxies`` (not in Godot) is handed to the streams it accepts: a
    ``WebSocketPeer`` that accepts one reports the forwarded client as ``get_connected_host``.
    """

    def __init__(self) -> None:
        self._listener: socket.socket | None = None
        self._waiting: deque[socket.socket] = deque()

    def listen(self, port: int, bind_address: str = "*") -> Error:
        """Listen on ``bind_address`` (``"*"``: every IPv4 interface) and ``port`` (0: any
        free port, see ``get_local_port``). ERR_ALREADY_IN_USE when listening,
        ERR_INVALID_PARAMETER for a bad port or address, ERR_CANT_CREATE when it cannot bind."""
        if not isinstance(port, int) or isinstance(port, bool) or not isinstance(bind_address, str):
            raise TypeError("listen(port: int, bind_address: str = '*')")
        if self._listener is not None:
            log.error("listen: already listening")
            return Error.ERR_ALREADY_IN_USE
        if not 0 <= port <= 65535:
            log.error("listen: port %d is outside 0-65535", port)
            return Error.ERR_INVALID_PARAMETER
        host = "" if bind_address == "*" else bind_address
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        if host:
            try:
                socket.inet_pton(family, host)
            except (OSError, ValueError):
                log.error("listen: %r is not an IP address or '*'", bind_address)
                return Error.ERR_INVALID_PARAMETER
        try:
            self._listener = listen_socket(bind_address, port)
        except OSError as exc:
            log.error("listen: cannot listen on %s:%d: %s", bind_address, port, exc)
            return Error.ERR_CANT_CREATE
        return Error.OK

    def is_listening(self) -> bool:
        """Whether ``listen`` succeeded and ``stop`` has not been called."""
        return self._listener is not None

    def get_local_port(self) -> int:
        """The port listened on (useful after ``listen(0)``); 0 when not listening."""
        return int(self._listener.getsockname()[1]) if self._listener is not None else 0

    def is_connection_available(self) -> bool:
        """Whether a client waits to be taken with ``take_connection()``; never blocks."""
        if self._waiting:
            return True
        if self._listener is None:
            return False
        try:
            sock, _ = self._listener.accept()
        except (BlockingIOError, InterruptedError):
            return False
        except OSError as exc:  # e.g. out of file descriptors: try again next frame
            log.warning("accept failed: %s", exc)
            return False
        self._waiting.append(sock)
        return True

    def take_connection(self) -> StreamPeerTCP | None:
        """The next waiting client as a connected ``StreamPeerTCP``; None (and an error
        logged) when none waits."""
        if not self.is_connection_available():
            log.error("take_connection: no connection is available")
            return None
        return StreamPeerTCP._accepted(self._waiting.popleft(), self._trusted_proxies)

    def stop(self) -> None:
        """Stop listening; clients waiting to be taken are dropped."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        while self._waiting:
            self._waiting.popleft().close()
