"""What all of a server's peers together may cost one poll, and how many connections one
address may hold (issue 25: findings 5, 10 and 13).

Owns three bounds a server applies across its connections, shared by the 3.x
``WebSocketServer`` and Godot 4's ``WebSocketMultiplayerPeer``:

- ``PollBudget``: ``POLL_WORK`` units of work per poll (a frame decoded is one unit, a KiB a
  compressed message inflates to is one more, visiting a connection costs ``VISIT_COST``),
  split evenly among the connections that have something to read, each getting at least
  ``MIN_SHARE``. Connections the poll did not reach once the budget was spent go first in the
  next poll (round robin), so a crowd of flooding peers slows itself, not an honest one.
- ``HANDSHAKE_STEPS``: handshake steps (reading an upgrade request, a TLS handshake step)
  per poll; the rest go first next poll.
- ``AddressLimit``: open connections per source address (``max_connections_per_address``),
  refused at accept; addresses in ``exempt`` (by default loopback, where a reverse proxy on
  the same machine forwards every player from) are not counted.

Pure bookkeeping: no socket, no clock.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

__all__ = ["PollBudget", "AddressLimit", "POLL_WORK", "MIN_SHARE", "VISIT_COST",
           "HANDSHAKE_STEPS", "MAX_PER_ADDRESS", "EXEMPT_ADDRESSES"]

POLL_WORK = 1024
"""Units of work one server poll spends reading its peers (a few milliseconds: see README,
Limits a peer cannot exceed)."""
MIN_SHARE = 2
"""Units every connection with something to read gets, however many there are."""
VISIT_COST = 2
"""Units a visit costs whatever it reads (its system calls cost about four small frames)."""
HANDSHAKE_STEPS = 16
"""Handshake steps (an upgrade request read, a TLS step) one server poll takes."""
MAX_PER_ADDRESS = 64
"""Default open connections per source address (handshakes included)."""
EXEMPT_ADDRESSES = ("127.0.0.1", "::1")
"""Addresses the per-address limit does not count by default: a reverse proxy on the same
machine forwards every player from one of these."""

T = TypeVar("T", bound=Hashable)


class PollBudget(Generic[T]):
    """One poll's work budget across connections, with round robin between polls.

    ``start(visit)`` orders the connections (those cut off last poll first) and sets the
    share; for each, ``exhausted`` says whether to skip it (it is then ``defer``-red to the
    next poll), else pump it with ``share`` and report ``spend(work_left)``."""

    __slots__ = ("total", "share", "left", "_late")

    def __init__(self, total: int = POLL_WORK) -> None:
        self.total = total
        self.share = total
        self.left = total
        self._late: dict[T, None] = {}

    def start(self, visit: Iterable[T]) -> dict[T, None]:
        """The connections of ``visit`` plus those deferred last poll (first), in the order
        to visit them."""
        late = self._late
        self._late = {}
        if late:
            late.update(dict.fromkeys(visit))
            order = late
        else:
            order = visit if isinstance(visit, dict) else dict.fromkeys(visit)
        self.share = max(MIN_SHARE, self.total // max(1, len(order)) - VISIT_COST)
        self.left = self.total
        return order

    @property
    def exhausted(self) -> bool:
        return self.left <= 0

    def spend(self, work_left: int) -> None:
        """A connection was pumped with ``share`` and has ``work_left`` of it."""
        self.left -= VISIT_COST + self.share - work_left

    def defer(self, item: T) -> None:
        """Visit ``item`` first next poll (this poll's budget is spent)."""
        self._late[item] = None

    def forget(self, item: T) -> None:
        """``item`` is gone (closed, dropped)."""
        self._late.pop(item, None)

    def clear(self) -> None:
        self._late.clear()

    @property
    def deferred(self) -> int:
        """How many connections wait for the next poll."""
        return len(self._late)


class AddressLimit:
    """Open connections per source address, counted from accept to close."""

    __slots__ = ("limit", "exempt", "_open")

    def __init__(self) -> None:
        self.limit = MAX_PER_ADDRESS
        self.exempt: tuple[str, ...] = EXEMPT_ADDRESSES
        self._open: dict[str, int] = {}

    def admit(self, address: str) -> bool:
        """Count a new connection from ``address``; False (not counted) when the address
        already holds ``limit`` (0: no limit) and is not exempt."""
        held = self._open.get(address, 0)
        # Exempt addresses are counted too, so a release always matches its admit.
        if held >= self.limit > 0 and address not in self.exempt:
            return False
        self._open[address] = held + 1
        return True

    def release(self, address: str) -> None:
        """A connection ``admit`` counted has closed."""
        held = self._open.get(address, 0)
        if held > 1:
            self._open[address] = held - 1
        else:
            self._open.pop(address, None)

    def clear(self) -> None:
        self._open.clear()
