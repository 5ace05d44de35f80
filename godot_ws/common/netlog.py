"""Log lines that peers cause, rate-limited per peer and kind, and protocol-error strikes.

Owns ``PeerLog``: what a host or client logs because of what a peer sent (a malformed packet,
a refused RPC, an unknown node path) goes through it, so a peer that sends junk as fast as it
can costs a few lines per ``WINDOW``, not one line per packet (a 3-byte junk flood once wrote
ten times its traffic to the log). The kind of a line is its format string. What is held back
is counted and said on the next line of that kind, or when the peer is forgotten. It also
counts each peer's protocol errors, so the owner can close a peer that keeps sending what no
honest peer sends. Both faces use it; it never closes anything itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

__all__ = ["PeerLog"]


class _Kind:
    __slots__ = ("start", "count", "held")

    def __init__(self, start: float) -> None:
        self.start = start
        self.count = 0  # lines logged in this window
        self.held = 0  # lines held back since the last one logged


class PeerLog:
    """Per-peer, per-kind rate limiting in front of ``logger``."""

    BURST = 5
    """Lines of one kind one peer may cause per ``WINDOW``; the rest are counted."""
    WINDOW = 10.0
    """Seconds of one rate window."""
    TOTAL = 100
    """Lines all peers together may cause per ``WINDOW`` (many hostile connections)."""
    STRIKES = 20
    """Protocol errors per ``WINDOW`` after which ``strike`` tells the owner to close."""
    MAX_PEERS = 4096
    """Peers tracked at once; the oldest is forgotten past it (bounded memory)."""
    MAX_KINDS = 64
    """Kinds tracked per peer; the oldest is forgotten past it (``kind`` may be peer text)."""

    def __init__(self, logger: logging.Logger,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.logger = logger
        self._clock = clock
        self._peers: dict[int, dict[object, _Kind]] = {}
        self._strikes: dict[int, _Kind] = {}
        self._total = _Kind(clock())

    def error(self, peer: int | None, msg: str, *args: Any, kind: object = None) -> None:
        self.log(logging.ERROR, peer, msg, *args, kind=kind)

    def warning(self, peer: int | None, msg: str, *args: Any, kind: object = None) -> None:
        self.log(logging.WARNING, peer, msg, *args, kind=kind)

    def exception(self, peer: int | None, msg: str, *args: Any, kind: object = None) -> None:
        """An ERROR line with the traceback of the exception being handled."""
        self.log(logging.ERROR, peer, msg, *args, exc_info=True, kind=kind)

    def log(self, level: int, peer: int | None, msg: str, *args: Any,
            exc_info: bool = False, kind: object = None) -> None:
        """Log ``msg % args`` unless ``peer`` already caused ``BURST`` lines of this kind (or
        all peers ``TOTAL`` lines) in this window; then count it. The kind is ``msg``, or
        ``(msg, kind)`` when given (a refused RPC per method: each one is worth a line).
        ``peer`` None: the line is not the network's doing (the caller's own call) and is
        never held back."""
        logger = self.logger
        if not logger.isEnabledFor(level):
            return
        if peer is None:
            logger.log(level, msg, *args, exc_info=exc_info)
            return
        now = self._clock()
        kinds = self._peers.get(peer)
        if kinds is None:
            if len(self._peers) >= self.MAX_PEERS:
                self._peers.pop(next(iter(self._peers)))
            kinds = self._peers[peer] = {}
        key = msg if kind is None else (msg, kind)
        state = kinds.get(key)
        if state is None:
            if len(kinds) >= self.MAX_KINDS:
                kinds.pop(next(iter(kinds)))
            state = kinds[key] = _Kind(now)
        elif now - state.start >= self.WINDOW:
            state.start, state.count = now, 0
        total = self._total
        if now - total.start >= self.WINDOW:
            total.start, total.count = now, 0
        if state.count >= self.BURST or total.count >= self.TOTAL:
            state.held += 1
            return
        state.count += 1
        total.count += 1
        if state.held:
            msg = f"{msg} [%d more such lines from peer %d were not logged]"
            args = (*args, state.held, peer)
            state.held = 0
        elif state.count == self.BURST:
            msg = f"{msg} [more such lines from peer %d in the next %g s are counted, not logged]"
            args = (*args, peer, self.WINDOW)
        logger.log(level, msg, *args, exc_info=exc_info)

    def strike(self, peer: int) -> bool:
        """Count one protocol error of ``peer``; True once it reaches ``STRIKES`` in one
        window (the owner closes the peer then)."""
        now = self._clock()
        strikes = self._strikes.get(peer)
        if strikes is None:
            if len(self._strikes) >= self.MAX_PEERS:
                self._strikes.pop(next(iter(self._strikes)))
            strikes = self._strikes[peer] = _Kind(now)
        elif now - strikes.start >= self.WINDOW:
            strikes.start, strikes.count = now, 0
        strikes.count += 1
        return strikes.count == self.STRIKES

    def forget(self, peer: int) -> None:
        """The peer left: say what was held back for it, and drop its counters."""
        self._strikes.pop(peer, None)
        kinds = self._peers.pop(peer, None)
        if not kinds:
            return
        held = sum(kind.held for kind in kinds.values())
        total = self._total
        if held and total.count < self.TOTAL and self.logger.isEnabledFor(logging.WARNING):
            total.count += 1  # a mass disconnect must not write one summary per peer
            self.logger.warning("%d log lines caused by peer %d were not logged (rate limit)",
                                held, peer)

    def clear(self) -> None:
        self._peers.clear()
        self._strikes.clear()
