"""Who the client is behind a reverse proxy: ``X-Forwarded-For`` and ``X-Real-IP``, believed
only when the connection comes from a trusted proxy (the servers' opt-in ``trusted_proxies``).

Owns the ``trusted_proxies`` setting (``TrustedProxies``, a mixin of the Godot 3 server and
Godot 4's ``TCPServer`` and ``WebSocketMultiplayerPeer``), parsing it, and reading the two
headers of an upgrade request (lower-case names, as ``RequestParser`` keeps them). It reads
an accepted connection's address and request; it never touches a socket.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from ..core.protocol import ServerProtocol

if TYPE_CHECKING:
    from ..net.connection import Connection

__all__ = ["Networks", "TrustedProxies", "parse_trusted", "client_address",
           "connection_address"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Networks = tuple[Network, ...]


def parse_trusted(values: Iterable[str]) -> Networks:
    """The networks of ``trusted_proxies`` (``"127.0.0.1"``, ``"10.0.0.0/8"``, ``"::1"``);
    ValueError names an entry that is neither an address nor a network."""
    if isinstance(values, str):
        raise TypeError("trusted_proxies takes a list of addresses or networks, not one str")
    networks = []
    for value in values:
        if not isinstance(value, str):
            raise TypeError(f"trusted_proxies: {value!r} is not a str")
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"trusted_proxies: {value!r} is not an IP address or network "
                             "(such as '127.0.0.1' or '10.0.0.0/8')") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # an IPv4 client on a dual-stack socket
    return address


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None,
             trusted: Networks) -> bool:
    return address is not None and any(address in network for network in trusted)


def client_address(peer: str, headers: Mapping[str, str], trusted: Networks) -> str:
    """The client's address: ``peer`` (the connection's own) unless ``peer`` is a trusted
    proxy. Then ``X-Forwarded-For`` is read from the right, past the trusted proxies' own
    entries (each proxy appends the address it saw, so the first untrusted one from the right
    is the client; what a client wrote itself further left is never reached), else
    ``X-Real-IP``. A malformed entry stops the walk at the last trusted address."""
    if not trusted or not _trusted(_address(peer), trusted):
        return peer
    chain = [entry for entry in headers.get("x-forwarded-for", "").split(",") if entry.strip()]
    if chain:
        last = peer
        for entry in reversed(chain):
            address = _address(entry)
            if address is None:
                return last
            last = str(address)
            if not _trusted(address, trusted):
                return last
        return last  # every hop is a trusted machine: the first one is the client
    real = _address(headers.get("x-real-ip", ""))
    return str(real) if real is not None else peer


def connection_address(conn: Connection, trusted: Networks) -> str:
    """The client's address on an accepted connection: its own, or behind a trusted proxy
    the one the proxy forwarded in the upgrade request."""
    address = conn.address()[0]
    protocol = conn.protocol
    if trusted and isinstance(protocol, ServerProtocol):
        return client_address(address, protocol.request.headers, trusted)
    return address


class TrustedProxies:
    """The ``trusted_proxies`` property (not in Godot): addresses or networks
    (``"127.0.0.1"``, ``"10.0.0.0/8"``) of reverse proxies whose ``X-Forwarded-For`` and
    ``X-Real-IP`` headers say who the client is, for connections from them only. Empty (the
    default): every connection's own address, whatever headers it sends."""

    _trusted_proxies: Networks = ()

    def get_trusted_proxies(self) -> list[str]:
        """The trusted proxies, as networks (``"127.0.0.1/32"``)."""
        return [str(network) for network in self._trusted_proxies]

    def set_trusted_proxies(self, proxies: Sequence[str]) -> None:
        """Set the trusted proxies; ValueError names an entry that is not an address or
        network. The Godot 3 server applies it to every later ``get_peer_address``; Godot 4's
        ``TCPServer`` and ``WebSocketMultiplayerPeer`` to the connections they accept after."""
        self._trusted_proxies = parse_trusted(proxies)

    trusted_proxies = property(get_trusted_proxies, set_trusted_proxies)
