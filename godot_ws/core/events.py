"""Control events the sans-IO protocol reports to its caller (frozen dataclasses, data only).

Data messages never become events: on the hot path they are plain ``(payload, is_text)`` tuples
appended straight to the peer's packet queue (a dataclass per message costs as much as decoding
the frame).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Event", "HandshakeDone", "HandshakeFailed", "CloseRequested", "Closed"]


@dataclass(frozen=True)
class HandshakeDone:
    """The server accepted the upgrade; ``protocol`` is the negotiated sub-protocol or ""."""

    protocol: str


@dataclass(frozen=True)
class HandshakeFailed:
    """The upgrade failed (bad reply, connection lost or timed out before the 101)."""

    reason: str


@dataclass(frozen=True)
class CloseRequested:
    """The server sent a close frame first (Godot's ``server_close_request``)."""

    code: int
    reason: str


@dataclass(frozen=True)
class Closed:
    """The connection is over. ``clean`` iff both close frames were exchanged."""

    clean: bool
    code: int
    reason: str


Event = HandshakeDone | HandshakeFailed | CloseRequested | Closed
