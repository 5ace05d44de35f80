"""Godot 4's ``WebSocketMultiplayerPeer`` (modules/websocket/websocket_multiplayer_peer.cpp).

Owns the 4.x multiplayer framing, which is almost none (FACTS4 section 3): every packet is one
binary WebSocket message with no header; the server greets each client with one 4-byte message,
the client's id (int32 LE), and the client checks it; the server sends to ``target_peer`` (0:
everyone, -N: everyone but N); client-to-client traffic is relayed by ``SceneMultiplayer``
(``is_server_relay_supported()``). Built on this package's Godot 4 ``WebSocketPeer`` and
``TCPServer`` (one protocol implementation): this module keeps the id map, the client side
and the packet calls; the host's accepting and poll are ``_mp_host.py``.
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Sequence

from ..common.arguments import is_int, server_call_error, url_call_error
from ..core.constants import ConnectionStatus, Error
from ._inbox import Inbox
from ._mp_host import Host, Pending
from ._outbox import Outbox
from .streams import TCPServer
from .tls import TLSOptions
from .websocket_peer import WebSocketPeer

__all__ = ["WebSocketMultiplayerPeer"]

log = logging.getLogger("godot_ws.godot4.multiplayer")

_ID = struct.Struct("<i")
_CONNECTED = ConnectionStatus.CONNECTION_CONNECTED
_CONNECTING = ConnectionStatus.CONNECTION_CONNECTING
_DISCONNECTED = ConnectionStatus.CONNECTION_DISCONNECTED
_OPEN = WebSocketPeer.STATE_OPEN
_WS_CLOSED = WebSocketPeer.STATE_CLOSED

PROTO_SIZE = 9
"""A 3.x leftover Godot 4 still subtracts in ``get_max_packet_size`` (no header is sent)."""


class WebSocketMultiplayerPeer(Host):
    """Godot 4's WebSocket multiplayer peer: ``create_server(port)`` or ``create_client(url)``,
    then hand it to ``SceneMultiplayer.multiplayer_peer`` (which polls it), or poll it and use
    its packet API yourself. Behind a reverse proxy, ``trusted_proxies`` (not in Godot) makes
    ``get_peer_address`` report the client the proxy forwarded."""

    def __init__(self) -> None:
        super().__init__()
        self._config = WebSocketPeer()  # holds the properties every peer is created with
        self._status = _DISCONNECTED
        self._unique_id = 0
        self._target_peer = 0
        self._inbox = Inbox.like(self._config)  # every peer's packets, bounded
        self._outbox = Outbox()  # failed sends reported, full peers dropped (_outbox.py)

    # ------------------------------------------------------------------ properties

    def get_supported_protocols(self) -> list[str]:
        """Sub-protocols each connection requests or accepts (default none)."""
        return self._config.get_supported_protocols()

    def set_supported_protocols(self, protocols: Sequence[str]) -> None:
        """Set the sub-protocols of the connections made after this."""
        self._config.set_supported_protocols(protocols)

    supported_protocols = property(get_supported_protocols, set_supported_protocols)

    def get_handshake_headers(self) -> list[str]:
        """The extra ``"Name: value"`` handshake lines of every connection."""
        return self._config.get_handshake_headers()

    def set_handshake_headers(self, headers: Sequence[str]) -> None:
        """Set extra handshake lines for the connections made after this."""
        self._config.set_handshake_headers(headers)

    handshake_headers = property(get_handshake_headers, set_handshake_headers)

    def get_inbound_buffer_size(self) -> int:
        """Each connection's largest message, in bytes (default 65535)."""
        return self._config.get_inbound_buffer_size()

    def set_inbound_buffer_size(self, buffer_size: int) -> None:
        """Set each later connection's largest message (``WebSocketPeer``'s rule)."""
        self._config.set_inbound_buffer_size(buffer_size)

    inbound_buffer_size = property(get_inbound_buffer_size, set_inbound_buffer_size)

    def get_outbound_buffer_size(self) -> int:
        """The most bytes that may wait to be sent on each connection (default 65535)."""
        return self._config.get_outbound_buffer_size()

    def set_outbound_buffer_size(self, buffer_size: int) -> None:
        """Set each later connection's output limit (``WebSocketPeer``'s rule)."""
        self._config.set_outbound_buffer_size(buffer_size)

    outbound_buffer_size = property(get_outbound_buffer_size, set_outbound_buffer_size)

    def get_max_queued_packets(self) -> int:
        """Each connection's inbound packet slots (default 4096)."""
        return self._config.get_max_queued_packets()

    def set_max_queued_packets(self, max_queued_packets: int) -> None:
        """Set each later connection's packet slots (``WebSocketPeer``'s rule)."""
        self._config.set_max_queued_packets(max_queued_packets)

    max_queued_packets = property(get_max_queued_packets, set_max_queued_packets)

    def get_handshake_timeout(self) -> float:
        """Seconds to open and (a client) to get an id; default 3."""
        return self._handshake_timeout

    def set_handshake_timeout(self, timeout: float) -> None:
        """Seconds a connection has to open and (client) receive its id; must be > 0."""
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool):
            raise TypeError(f"timeout must be a number, not {type(timeout).__name__}")
        if timeout <= 0:
            log.error("handshake_timeout must be greater than 0")
            return
        self._handshake_timeout = float(timeout)

    handshake_timeout = property(get_handshake_timeout, set_handshake_timeout)

    def _create_peer(self) -> WebSocketPeer:
        peer = WebSocketPeer()
        peer.set_supported_protocols(self.get_supported_protocols())
        peer.set_handshake_headers(self.get_handshake_headers())
        peer.set_inbound_buffer_size(self.get_inbound_buffer_size())
        peer.set_outbound_buffer_size(self.get_outbound_buffer_size())
        peer.set_max_queued_packets(self.get_max_queued_packets())
        return peer

    # ------------------------------------------------------------------ starting

    def create_server(self, port: int, bind_address: str = "*",
                      tls_server_options: TLSOptions | None = None) -> Error:
        """Listen on ``port`` (0: any free port; see ``get_local_port``). ERR_ALREADY_IN_USE
        unless disconnected, ERR_INVALID_PARAMETER for client TLS options."""
        if (not is_int(port) or not isinstance(bind_address, str)
                or not isinstance(tls_server_options, (TLSOptions, type(None)))):
            raise server_call_error("create_server(port: int, bind_address: "
                                    "str = '*', tls_server_options: TLSOptions | None = None)",
                                    (port, bind_address, tls_server_options))
        if self._status != _DISCONNECTED:
            log.error("create_server: already in use")
            return Error.ERR_ALREADY_IN_USE
        if tls_server_options is not None and not tls_server_options.is_server():
            log.error("create_server: tls_server_options must be TLSOptions.server(...)")
            return Error.ERR_INVALID_PARAMETER
        self._clear()
        server = TCPServer()
        err = server.listen(port, bind_address)
        if err != Error.OK:
            return err
        self._start_host(server)
        self._unique_id = 1
        self._status = _CONNECTED
        self._tls_server_options = tls_server_options
        return Error.OK

    def create_client(self, url: str, tls_client_options: TLSOptions | None = None) -> Error:
        """Connect to ``url`` (ws:// or wss://); CONNECTING until the server's id arrives."""
        if not isinstance(url, str) or not isinstance(tls_client_options,
                                                      (TLSOptions, type(None))):
            raise url_call_error("create_client", "create_client(url, tls_client_options: "
                                 "TLSOptions | None = None)", url, tls_client_options)
        if self._status != _DISCONNECTED:
            log.error("create_client: already in use")
            return Error.ERR_ALREADY_IN_USE
        if tls_client_options is not None and tls_client_options.is_server():
            log.error("create_client: tls_client_options must be TLSOptions.client(...)")
            return Error.ERR_INVALID_PARAMETER
        self._clear()
        peer = self._create_peer()
        err = peer.connect_to_url(url, tls_client_options)
        if err != Error.OK:
            return err
        self._pending[1] = Pending(time.monotonic())
        self._peers[1] = peer
        self._status = _CONNECTING
        return Error.OK

    def get_local_port(self) -> int:
        """The port the server listens on (0 when not a server); handy with port 0."""
        return self._server.get_local_port() if self._server is not None else 0

    def _clear(self) -> None:
        self._status = _DISCONNECTED
        self._unique_id = 0
        for peer in self._peers.values():
            peer.close(-1)  # Godot just drops its references: the sockets close
        for pending in self._pending.values():
            if pending.ws is not None:
                pending.ws.close(-1)
            elif pending.connection is not None:
                pending.connection.disconnect_from_host()  # type: ignore[attr-defined]
        self._peers.clear()
        if self._server is not None:
            self._server.stop()
            self._stop_host()
        self._server = None
        self._pending.clear()
        for peer, _deadline in self._closing:
            peer.close(-1)
        self._closing.clear()
        self._leaving.clear()
        self._tls_server_options = None
        self._inbox = Inbox.like(self._config)

    def close(self) -> None:
        """Drop every connection (and stop listening) at once."""
        self._clear()

    # ------------------------------------------------------------------ poll

    def poll(self) -> None:
        """Advance handshakes, read every peer, emit ``peer_connected`` / ``peer_disconnected``.
        Never blocks, never raises for network input."""
        if self._status == _DISCONNECTED:
            return
        if self._server is not None:
            self._poll_server()
        else:
            self._poll_client()

    def _poll_client(self) -> None:
        peer = self._peers.get(1)
        if peer is None:
            return
        peer.poll()
        state = peer.get_ready_state()
        if state == _OPEN and self._status == _CONNECTING:
            if peer.get_available_packet_count() == 0:
                return self._check_client_timeout()  # still waiting for the id
            hello = peer.get_packet()
            unique_id = _ID.unpack(hello)[0] if len(hello) == 4 else 0
            if unique_id < 2:
                peer.close()  # the next polls see CLOSED and clear
                log.error("Invalid ID received from server")
                return None
            self._unique_id = unique_id
            self._status = _CONNECTED
            self._pending.clear()
            self.peer_connected.emit(1)
            if self._peers.get(1) is not peer:
                return None  # a handler closed us
        moved = 0
        if self._status == _CONNECTED:
            # Also while closing, unlike Godot: what the server sent before its close counts.
            moved = self._inbox.take(1, peer)
        if state == _WS_CLOSED:
            if self._status == _CONNECTED:
                if moved or peer.get_available_packet_count():
                    return None  # read those first; the disconnect comes after them
                self.peer_disconnected.emit(1)
            self._clear()
            return None
        return self._check_client_timeout()

    def _check_client_timeout(self) -> None:
        pending = self._pending.get(1)
        if self._status == _CONNECTING and pending is not None \
                and time.monotonic() - pending.time > self._handshake_timeout:
            log.info("WebSocket handshake timed out after %.3f seconds.",
                     self._handshake_timeout)
            self._clear()

    # ------------------------------------------------------------------ packets

    def get_available_packet_count(self) -> int:
        return len(self._inbox.packets)

    def get_packet(self) -> bytes:
        """The next packet (``get_packet_peer()`` says who sent it); b"" with
        ``get_packet_error()`` ERR_UNCONFIGURED (not connected) or ERR_UNAVAILABLE (none)."""
        if self._status != _CONNECTED:
            log.error("get_packet: not connected")
            self._packet_error = Error.ERR_UNCONFIGURED
            return b""
        if not self._inbox.packets:
            log.error("get_packet: no packet available")
            self._packet_error = Error.ERR_UNAVAILABLE
            return b""
        self._packet_error = Error.OK
        return self._inbox.pop()[1]

    def get_packet_peer(self) -> int:
        if not self._inbox.packets:
            log.error("get_packet_peer: no packet available")
            return 1
        return self._inbox.packets[0][0]

    def put_packet(self, buffer: bytes | bytearray | memoryview) -> Error:
        """Send ``buffer`` as one binary message: a client always to the server (the target
        is ignored, as in Godot); a server to the target peer (0: all, -N: all but N)."""
        if not isinstance(buffer, (bytes, bytearray, memoryview)):
            raise TypeError(f"put_packet takes bytes, not {type(buffer).__name__}")
        if self._status != _CONNECTED:
            log.error("put_packet: not connected")
            return Error.ERR_UNCONFIGURED
        data = bytes(buffer)
        if self._server is None:
            return self._peers[1].put_packet(data)
        target = self._target_peer
        if target <= 0:  # unlike Godot, a failed send to one peer is the call's result
            return self._outbox.broadcast(self._peers, -target, data, self._transfer_mode)
        peer = self._peers.get(target)
        if peer is None:
            if target in self._leaving:
                return Error.ERR_UNAVAILABLE  # it closed; peer_disconnected is next poll
            log.error("Peer not found: %d", target)
            return Error.ERR_INVALID_PARAMETER
        if peer.get_ready_state() != _OPEN:
            return Error.ERR_UNAVAILABLE  # closing: peer_disconnected comes next
        return self._outbox.send(target, peer, data, self._transfer_mode)

    def _put_system(self, peer_id: int, packet: bytes) -> None:
        peer = self._peers.get(peer_id)
        if peer is not None and peer._conn is not None and peer.get_ready_state() == _OPEN:
            peer._conn.send_anyway(packet, False)

    def _has_room(self, peer_id: int, size: int) -> bool:
        peer = self._peers.get(peer_id)
        return peer is None or self._outbox.room(peer_id, peer, size)

    def set_target_peer(self, peer_id: int) -> None:
        if not isinstance(peer_id, int) or isinstance(peer_id, bool):
            raise TypeError(f"peer_id must be int, not {type(peer_id).__name__}")
        self._target_peer = peer_id

    def get_max_packet_size(self) -> int:
        return self.get_outbound_buffer_size() - PROTO_SIZE

    # ------------------------------------------------------------------ peers

    def is_server(self) -> bool:
        return self._server is not None

    def is_server_relay_supported(self) -> bool:
        return True

    def get_unique_id(self) -> int:
        return self._unique_id

    def get_connection_status(self) -> ConnectionStatus:
        return self._status

    def get_peer(self, peer_id: int) -> WebSocketPeer | None:
        """The Godot 4 ``WebSocketPeer`` of peer ``peer_id``; None (logged) for an unknown id."""
        peer = self._peers.get(peer_id)
        if peer is None:
            log.error("get_peer: no peer with id %r", peer_id)
        return peer

    def get_peer_address(self, id: int) -> str:  # noqa: A002
        """Peer ``id``'s IP address; behind a proxy listed in ``trusted_proxies``, the client the
        proxy forwarded. "" (logged) for an unknown id."""
        peer = self._peers.get(id)
        if peer is None:
            log.error("get_peer_address: no peer with id %r", id)
            return ""
        return peer.get_connected_host()

    def get_peer_port(self, id: int) -> int:  # noqa: A002
        """Peer ``id``'s port (the proxy's side behind a reverse proxy); 0 (logged) for an unknown
        id."""
        peer = self._peers.get(id)
        if peer is None:
            log.error("get_peer_port: no peer with id %r", id)
            return 0
        return peer.get_connected_port()

    def disconnect_peer(self, peer: int, force: bool = False) -> None:
        """Close the connection to ``peer`` (code 1000); ``force`` forgets it at once (and a
        client then disconnects entirely)."""
        ws = self._peers.get(peer)
        if ws is None:
            log.error("disconnect_peer: no peer with id %r", peer)
            return
        ws.close()
        if force:
            del self._peers[peer]
            if self._server is None:
                self._clear()
            else:
                self._forget(peer)
