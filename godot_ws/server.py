"""``WebSocketServer``: Godot 3's polling WebSocket server.

Owns listening, accepting, each client's handshake (and TLS) in non-blocking steps, peer ids,
and the server's signals: ``client_connected(id, protocol)``, ``data_received(id)`` (once per
message), ``client_close_request(id, code, reason)``, ``client_disconnected(id,
was_clean_close)``. Each client is a ``Connection`` over the same sans-IO protocol core as the
client, in the server role. Multiplayer mode (``gd_mp_api``) is the relay component in
``_relay.py``: then ``peer_connected(id)``, ``peer_disconnected(id)`` and
``peer_packet(source)`` fire instead of ``client_connected``, ``client_disconnected`` and
``data_received``, as in Godot; ``client_close_request`` fires in both modes.
"""

from __future__ import annotations

import logging
import random
import socket
import ssl
import time
from collections.abc import Sequence
from typing import Any

from . import events
from ._connection import Connection
from ._relay import Relay
from ._transport import Transport
from .constants import ConnectionStatus, Error
from .crypto import CryptoKey, X509Certificate, server_context
from .multiplayer_peer import WebSocketMultiplayerPeer, godot_reason
from .peer import WebSocketPeer
from .protocol import PacketQueue, ServerProtocol, State
from .signals import Signal

__all__ = ["WebSocketServer"]

log = logging.getLogger("godot_ws")

# A burst of connection attempts is accepted over several polls, so one poll stays short.
_ACCEPTS_PER_POLL = 64


class _Client:
    """A connected client: its id, connection and peer."""

    __slots__ = ("id", "conn", "peer")

    def __init__(self, peer_id: int, conn: Connection, peer: WebSocketPeer) -> None:
        self.id = peer_id
        self.conn = conn
        self.peer = peer


class WebSocketServer(WebSocketMultiplayerPeer):
    """Godot 3's ``WebSocketServer``: call ``poll()`` once per frame; it never blocks and never
    raises for anything a client did.

    A slow or hostile client cannot stall the others: handshakes time out
    (``handshake_timeout``), headers and messages are size-limited, a full input queue stops
    reading that client only, and a client that does not read gets ERR_OUT_OF_MEMORY from its
    peer's ``put_packet`` once its output buffer is full.
    """

    def __init__(self) -> None:
        super().__init__()
        self.client_connected = Signal("client_connected")
        self.client_disconnected = Signal("client_disconnected")
        self.client_close_request = Signal("client_close_request")
        self.data_received = Signal("data_received")
        #: Seconds a client has to finish TCP, TLS and its upgrade request.
        self.handshake_timeout = 3.0
        #: Seconds to wait for a client's close reply before dropping it.
        self.close_timeout = 3.0
        self._bind_ip = "*"
        self._private_key: CryptoKey | None = None
        self._ssl_certificate: X509Certificate | None = None
        self._ca_chain: X509Certificate | None = None
        self._listener: socket.socket | None = None
        self._context: ssl.SSLContext | None = None
        self._protocols: tuple[str, ...] = ()
        self._pending: list[Connection] = []
        self._clients: dict[int, _Client] = {}
        self._relay: Relay | None = None  # multiplayer mode's relay, else None

    # ------------------------------------------------------------------ listening

    def listen(
        self, port: int, protocols: Sequence[str] = (), gd_mp_api: bool = False
    ) -> Error:
        """Listen on ``bind_ip`` (``"*"``: every interface) and ``port`` (0: any free port,
        see ``get_local_port``). ERR_ALREADY_IN_USE when already listening, ERR_CANT_CREATE
        when the address cannot be bound, ERR_INVALID_PARAMETER for a bad port."""
        if not isinstance(port, int) or isinstance(protocols, str):
            raise TypeError("listen(port: int, protocols: list of str, gd_mp_api: bool)")
        if self._listener is not None:
            log.error("listen: already listening")
            return Error.ERR_ALREADY_IN_USE
        if not 0 <= port < 65536:
            return Error.ERR_INVALID_PARAMETER
        context = None
        if self._private_key is not None and self._ssl_certificate is not None:
            try:
                context = server_context(self._private_key, self._ssl_certificate,
                                         self._ca_chain)
            except (ssl.SSLError, ValueError, OSError) as exc:
                log.error("listen: the private key and certificate do not fit: %s", exc)
                return Error.ERR_INVALID_PARAMETER
        host = "" if self._bind_ip in ("*", "") else self._bind_ip
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, port))
            listener.listen(128)
        except OSError as exc:
            listener.close()
            log.error("listen: cannot listen on %s:%d: %s", self._bind_ip, port, exc)
            return Error.ERR_CANT_CREATE
        listener.setblocking(False)
        self._listener = listener
        self._context = context
        self._protocols = tuple(protocols)
        self._relay = Relay(self._in_packets, self._in_bytes, self.peer_packet.emit) \
            if gd_mp_api else None
        if self._relay is not None:
            self._relay.target_peer = self._target_peer
        return Error.OK

    def is_listening(self) -> bool:
        return self._listener is not None

    def get_local_port(self) -> int:
        """The port listened on (Godot 4's TCPServer name); 0 when not listening."""
        return self._listener.getsockname()[1] if self._listener is not None else 0

    def stop(self) -> None:
        """Stop listening and drop every client after a best-effort close 1001 (no signals,
        as in Godot)."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for client in self._clients.values():
            client.conn.protocol.close(1001, "server stopped")
            client.conn.flush()
            client.conn.transport.close()
        for conn in self._pending:
            conn.transport.close()
        self._clients.clear()
        self._pending.clear()
        self._relay = None

    # ------------------------------------------------------------------ poll

    def poll(self) -> None:
        """Accept new clients, pump every connection, then emit this poll's signals."""
        if self._listener is None:
            return
        self._accept()
        if self._pending:
            self._advance_pending()
        relay = self._relay
        fired: list[tuple[_Client, int, list[events.Event]]] = []
        for client in self._clients.values():
            conn = client.conn
            new = conn.pump()
            protocol = conn.protocol
            if protocol.state is State.CLOSING:
                conn.check_closing(self.close_timeout)
            if new or protocol._events or (relay is not None and protocol.queue.packets):
                fired.append((client, new, protocol.events_received()))
        for client, new, happened in fired:
            self._dispatch(client, new, happened)
        if relay is not None and fired:
            # Relayed messages go out in this poll, not the next one.
            for client in self._clients.values():
                if client.conn.protocol._out:
                    client.conn.flush()

    def _accept(self) -> None:
        assert self._listener is not None
        for _ in range(_ACCEPTS_PER_POLL):
            try:
                sock, _address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. out of file descriptors: try again next poll
                log.warning("accept failed: %s", exc)
                return
            if self._refuse_new_connections:
                sock.close()
                continue
            queue = PacketQueue(self._in_packets, self._in_bytes)
            protocol = ServerProtocol(queue, self._protocols, self._in_bytes,
                                      self._deflate_options())
            conn = Connection(Transport("", 0, self._context, accepted=sock), protocol,
                              self._out_bytes, self._out_packets)
            conn.deadline = time.monotonic() + self.handshake_timeout
            conn.heartbeat_interval = self._heartbeat_interval
            self._pending.append(conn)

    def _advance_pending(self) -> None:
        now = time.monotonic()
        keep = []
        for conn in self._pending:
            if not conn.ready:
                conn.advance()
            if conn.ready:
                conn.pump()
            happened = conn.protocol.events_received()
            done = next((e for e in happened if isinstance(e, events.HandshakeDone)), None)
            if done is not None:
                self._admit(conn, done.protocol, happened)
            elif any(isinstance(e, (events.HandshakeFailed, events.Closed)) for e in happened):
                reason = next(getattr(e, "reason", "") for e in happened)
                log.info("client handshake failed: %s", reason)
                conn.flush()  # the 400 reply, if any
                conn.transport.close()
            elif now > conn.deadline:
                log.info("client handshake timed out after %s s", self.handshake_timeout)
                conn.transport.close()
            else:
                keep.append(conn)
        self._pending = keep

    def _admit(self, conn: Connection, protocol: str, happened: list[events.Event]) -> None:
        conn.deadline = 0.0
        peer_id = self._new_id()
        client = _Client(peer_id, conn, WebSocketPeer(conn.protocol.queue, conn))
        self._clients[peer_id] = client
        if self._relay is not None:
            self._relay.add(peer_id, conn)
            conn.flush()
            self.peer_connected.emit(peer_id)
        else:
            self.client_connected.emit(peer_id, protocol)
        rest = [e for e in happened if not isinstance(e, events.HandshakeDone)]
        new = len(conn.protocol.queue.packets)
        if new or rest:
            self._dispatch(client, new, rest)

    def _new_id(self) -> int:
        # Godot: random positive 31-bit ids, never 0 or 1 (1 is the server).
        while True:
            peer_id = random.randint(2, 0x7FFFFFFF)
            if peer_id not in self._clients:
                return peer_id

    def _dispatch(self, client: _Client, new: int, happened: Sequence[events.Event]) -> None:
        peer_id = client.id
        relay = self._relay
        if relay is not None:
            raw = client.conn.protocol
            while relay.receive(peer_id, raw.queue) and raw.blocked:
                raw.resume()  # the inbox made room: decode what waited
        elif self.data_received:
            for _ in range(new):
                self.data_received.emit(peer_id)
        for event in happened:
            if isinstance(event, events.CloseRequested):
                self.client_close_request.emit(peer_id, event.code, godot_reason(event.reason))
            elif isinstance(event, events.Closed):
                if not event.clean:
                    log.info("client %d closed (code %d): %s", peer_id, event.code,
                             event.reason)
                client.conn.flush()
                client.conn.transport.close()
                # has_peer(id) still holds inside the signal, as in Godot.
                if relay is not None:
                    relay.receive(peer_id, client.conn.protocol.queue, force=True)
                    relay.remove(peer_id)
                    self.peer_disconnected.emit(peer_id)
                else:
                    self.client_disconnected.emit(peer_id, event.clean)
                self._clients.pop(peer_id, None)

    # ------------------------------------------------------------------ peers

    def has_peer(self, peer_id: int) -> bool:
        return peer_id in self._clients

    def get_peer(self, peer_id: int) -> WebSocketPeer | None:
        client = self._clients.get(peer_id)
        if client is None:
            log.error("get_peer: no peer with id %r", peer_id)
            return None
        return client.peer

    def get_peer_address(self, peer_id: int) -> str:
        client = self._clients.get(peer_id)
        if client is None:
            log.error("get_peer_address: no peer with id %r", peer_id)
            return ""
        return client.conn.address()[0]

    def get_peer_port(self, peer_id: int) -> int:
        client = self._clients.get(peer_id)
        if client is None:
            log.error("get_peer_port: no peer with id %r", peer_id)
            return 0
        return client.conn.address()[1]

    def disconnect_peer(self, peer_id: int, code: int = 1000, reason: str = "") -> None:
        """Send the client a close frame; ``client_disconnected(id, True)`` follows its reply
        (3.2.3 reports False), or ``(id, False)`` after ``close_timeout``."""
        client = self._clients.get(peer_id)
        if client is None:
            log.error("disconnect_peer: no peer with id %r", peer_id)
            return
        client.conn.close(code, reason)

    def get_connection_status(self) -> ConnectionStatus:
        """CONNECTED while listening (as Godot's server reports)."""
        return (ConnectionStatus.CONNECTION_CONNECTED if self._listener is not None
                else ConnectionStatus.CONNECTION_DISCONNECTED)

    def get_unique_id(self) -> int:
        return 1

    def _in_use(self) -> bool:
        return self._listener is not None

    # ------------------------------------------------------------------ TLS properties

    def _set_tls(self, name: str, value: Any, kind: type) -> None:
        if value is not None and not isinstance(value, kind):
            raise TypeError(f"{name} must be a {kind.__name__} or None")
        if self._listener is not None:
            log.error("%s can only be set while not listening", name)
            return
        setattr(self, "_" + name, value)

    def get_private_key(self) -> CryptoKey | None:
        return self._private_key

    def set_private_key(self, key: CryptoKey | None) -> None:
        self._set_tls("private_key", key, CryptoKey)

    def get_ssl_certificate(self) -> X509Certificate | None:
        return self._ssl_certificate

    def set_ssl_certificate(self, certificate: X509Certificate | None) -> None:
        self._set_tls("ssl_certificate", certificate, X509Certificate)

    def get_ca_chain(self) -> X509Certificate | None:
        return self._ca_chain

    def set_ca_chain(self, chain: X509Certificate | None) -> None:
        self._set_tls("ca_chain", chain, X509Certificate)

    private_key = property(get_private_key, set_private_key)
    ssl_certificate = property(get_ssl_certificate, set_ssl_certificate)
    tls_certificate = ssl_certificate  # Godot 4.0-dev name
    get_tls_certificate = get_ssl_certificate
    set_tls_certificate = set_ssl_certificate
    ca_chain = property(get_ca_chain, set_ca_chain)

    def get_bind_ip(self) -> str:
        return self._bind_ip

    def set_bind_ip(self, ip: str) -> None:
        """The address ``listen`` binds: ``"*"`` (default) for every interface, or an IPv4 or
        IPv6 address such as ``"127.0.0.1"``."""
        if not isinstance(ip, str):
            raise TypeError(f"bind_ip must be str, not {type(ip).__name__}")
        self._bind_ip = ip

    bind_ip = property(get_bind_ip, set_bind_ip)

    # ------------------------------------------------------------------ NetworkedMultiplayerPeer

    def get_available_packet_count(self) -> int:
        if self._relay is None:
            log.error("get_available_packet_count: in plain mode use get_peer(id)")
            return 0
        return len(self._relay.packets)

    def get_packet(self) -> bytes:
        """Multiplayer mode: the next message for the server (``get_packet_peer`` says who
        sent it); in plain mode use ``get_peer(id)``."""
        if self._relay is None:
            log.error("get_packet: in plain mode use get_peer(id)")
            self._packet_error = Error.ERR_UNCONFIGURED
            return b""
        packet = self._relay.pop()
        if packet is None:
            self._packet_error = Error.ERR_UNAVAILABLE
            return b""
        self._packet_error = Error.OK
        return packet[1]

    def put_packet(self, buffer: bytes | bytearray | memoryview) -> Error:
        """Multiplayer mode: send to ``set_target_peer``'s target (0: everyone, -id: everyone
        but id, id: that peer)."""
        if not isinstance(buffer, (bytes, bytearray, memoryview)):
            raise TypeError(f"put_packet takes bytes, not {type(buffer).__name__}")
        if self._relay is None:
            log.error("put_packet: in plain mode use get_peer(id)")
            return Error.ERR_UNCONFIGURED
        return self._relay.put_packet(bytes(buffer))

    def get_packet_peer(self) -> int:
        if self._relay is None:
            log.error("get_packet_peer: only in multiplayer mode (gd_mp_api)")
            return 1
        if not self._relay.packets:
            log.error("get_packet_peer: no packet available")
            return 1
        return self._relay.packets[0][0]

    def _target_changed(self, peer_id: int) -> None:
        if self._relay is not None:
            self._relay.target_peer = peer_id

    def _heartbeat_changed(self, seconds: float) -> None:
        for conn in [*self._pending, *(client.conn for client in self._clients.values())]:
            conn.heartbeat_interval = seconds
