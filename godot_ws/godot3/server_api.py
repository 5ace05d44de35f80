"""The parts of Godot 3's ``WebSocketServer`` that are plain API over its state.

Owns the settings chosen before ``listen``: the TLS resources (``private_key``,
``ssl_certificate`` with Godot 4.0-dev's ``tls_certificate`` alias, ``ca_chain``) and
``bind_ip``, with Godot 3.2.3's checks (wrong types raise, a change while listening is refused
and logged), and ``trusted_proxies`` (not in Godot, from common/forwarded.py); and multiplayer
mode's packet calls (``get_packet``, ``put_packet``, ``get_packet_peer``, ...), which go to the
relay (relay.py); and the questions about connected clients (``get_peer``,
``get_peer_address``, ...). server.py builds the listening, accepting and polling server on
this.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import TYPE_CHECKING, Any

from ..common.forwarded import TrustedProxies, connection_address
from ..core.constants import Error
from ..net.crypto import CryptoKey, X509Certificate
from .multiplayer_peer import WebSocketMultiplayerPeer
from .relay import Relay

if TYPE_CHECKING:
    from .peer import WebSocketPeer
    from .server import _Client

__all__ = ["ServerAPI"]

log = logging.getLogger("godot_ws.server")  # the name README documents


class ServerAPI(WebSocketMultiplayerPeer, TrustedProxies):
    """Settings and multiplayer-mode packet calls (the base of ``WebSocketServer``)."""

    _clients: dict[int, _Client]  # the connected clients by id (server.py keeps them)

    def __init__(self) -> None:
        super().__init__()
        self._bind_ip = "*"
        self._private_key: CryptoKey | None = None
        self._ssl_certificate: X509Certificate | None = None
        self._ca_chain: X509Certificate | None = None
        self._relay: Relay | None = None  # multiplayer mode's relay, else None

    def _in_use(self) -> bool:
        """True while the settings cannot change (the server is listening)."""
        raise NotImplementedError

    def _set_tls(self, name: str, value: Any, kind: type) -> None:
        if value is not None and not isinstance(value, kind):
            raise TypeError(f"{name} must be a {kind.__name__} or None")
        if self._in_use():
            log.error("%s can only be set while not listening", name)
            return
        setattr(self, "_" + name, value)

    def get_private_key(self) -> CryptoKey | None:
        """The ``CryptoKey`` a ``wss://`` server uses, or None (plain ``ws://``)."""
        return self._private_key

    def set_private_key(self, key: CryptoKey | None) -> None:
        """Set the server's private key (a ``CryptoKey``) before ``listen``; with
        ``ssl_certificate`` the server speaks ``wss://``. Refused (logged) while listening."""
        self._set_tls("private_key", key, CryptoKey)

    def get_ssl_certificate(self) -> X509Certificate | None:
        """The server's certificate (``X509Certificate``), or None (Godot 4.0-dev:
        ``tls_certificate``)."""
        return self._ssl_certificate

    def set_ssl_certificate(self, certificate: X509Certificate | None) -> None:
        """Set the server's certificate (its chain may follow in the same PEM) before ``listen``.
        Refused (logged) while listening."""
        self._set_tls("ssl_certificate", certificate, X509Certificate)

    def get_ca_chain(self) -> X509Certificate | None:
        """Extra CA certificates sent after ``ssl_certificate``, or None."""
        return self._ca_chain

    def set_ca_chain(self, chain: X509Certificate | None) -> None:
        """Set the CA certificates to send after ``ssl_certificate`` before ``listen``. Refused
        (logged) while listening."""
        self._set_tls("ca_chain", chain, X509Certificate)

    private_key = property(get_private_key, set_private_key)
    ssl_certificate = property(get_ssl_certificate, set_ssl_certificate)
    tls_certificate = ssl_certificate  # Godot 4.0-dev name
    get_tls_certificate = get_ssl_certificate
    set_tls_certificate = set_ssl_certificate
    ca_chain = property(get_ca_chain, set_ca_chain)

    def get_bind_ip(self) -> str:
        """The address ``listen`` binds (default ``"*"``: every interface)."""
        return self._bind_ip

    def set_bind_ip(self, ip: str) -> None:
        """The address ``listen`` binds: ``"*"`` (default) for every interface, or an IPv4 or
        IPv6 address such as ``"127.0.0.1"``. As in Godot 3.2.3, anything else (a host name,
        ``""``) and any change while listening is refused here: an error is logged and the
        value stays as it was."""
        if not isinstance(ip, str):
            raise TypeError(f"bind_ip must be str, not {type(ip).__name__}")
        if self._in_use():
            log.error("bind_ip: cannot change while listening")
            return
        if ip != "*":
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                log.error("bind_ip: %r is not an IP address (or \"*\" for every interface); "
                          "keeping %r", ip, self._bind_ip)
                return
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
        size = buffer.nbytes if isinstance(buffer, memoryview) else len(buffer)
        if size > self._out_bytes:  # never fits: refused before it is copied
            log.error("put_packet: %d bytes exceed the whole output buffer (%d bytes); "
                      "raise it with set_buffers", size, self._out_bytes)
            return Error.ERR_OUT_OF_MEMORY
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

    # ------------------------------------------------------------------ peers

    def has_peer(self, peer_id: int) -> bool:
        """Whether a client with this id is connected."""
        return peer_id in self._clients

    def get_peer(self, peer_id: int) -> WebSocketPeer | None:
        client = self._clients.get(peer_id)
        if client is None:
            log.error("get_peer: no peer with id %r", peer_id)
            return None
        return client.peer

    def get_peer_address(self, peer_id: int) -> str:
        """The client's IP address; behind a proxy listed in ``trusted_proxies``, the address
        the proxy forwarded (``X-Forwarded-For``/``X-Real-IP``)."""
        client = self._clients.get(peer_id)
        if client is None:
            log.error("get_peer_address: no peer with id %r", peer_id)
            return ""
        return connection_address(client.conn, self._trusted_proxies)

    def get_peer_port(self, peer_id: int) -> int:
        """The client's port (the proxy's side behind a reverse proxy); 0 (logged) for an unknown
        id."""
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
