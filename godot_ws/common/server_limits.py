"""The per-address connection limit's settings, shared by both faces' servers (the 3.x
``WebSocketServer`` and Godot 4's ``WebSocketMultiplayerPeer``); the bookkeeping is
``net/limits.py``'s ``AddressLimit``. Not in Godot: our names."""

from __future__ import annotations

from collections.abc import Sequence

from ..net.limits import AddressLimit

__all__ = ["AddressLimitSettings"]


class AddressLimitSettings:
    """``max_connections_per_address`` and ``unlimited_addresses`` (the owner sets
    ``_address_limit`` in its ``__init__``)."""

    _address_limit: AddressLimit

    def get_max_connections_per_address(self) -> int:
        """Open connections one source address may hold (default 64; 0: no limit). Not in Godot."""
        return self._address_limit.limit

    def set_max_connections_per_address(self, limit: int) -> None:
        """Open connections (handshakes included) one source address may hold; more are
        closed at accept. 0: no limit. Default 64. Not in Godot."""
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise TypeError(f"max_connections_per_address must be int, not "
                            f"{type(limit).__name__}")
        self._address_limit.limit = max(0, limit)

    max_connections_per_address = property(get_max_connections_per_address,
                                           set_max_connections_per_address)

    def get_unlimited_addresses(self) -> list[str]:
        """The source addresses the per-address limit does not apply to (default ``["127.0.0.1",
        "::1"]``)."""
        return list(self._address_limit.exempt)

    def set_unlimited_addresses(self, addresses: Sequence[str]) -> None:
        """Source addresses ``max_connections_per_address`` does not apply to. Default
        ``["127.0.0.1", "::1"]``: a reverse proxy on the same machine forwards every player
        from there (limit per player address at the proxy then). Not in Godot."""
        if isinstance(addresses, str) or not all(isinstance(a, str) for a in addresses):
            raise TypeError("unlimited_addresses must be a list of str")
        self._address_limit.exempt = tuple(addresses)

    unlimited_addresses = property(get_unlimited_addresses, set_unlimited_addresses)
