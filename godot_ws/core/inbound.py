"""What a connection accepts from its peer: the inbound packet queue, the rules and limits
checked on a frame's header before any of its payload is stored (RFC 6455 5.2-5.5), and the
buffer a large frame's payload is received into.

Sans-IO like ``protocol.py``, which decodes with these; no socket, ssl or time.
"""

from __future__ import annotations

import sys
from collections import deque
from typing import TypeGuard

from .frames import MAX_CONTROL, Opcode

__all__ = ["PacketQueue", "LargeFrame", "header_error", "MIN_FRAGMENTS", "FRAGMENT_BYTES",
           "FRAMES_PER_POLL", "NO_SHARE", "INFLATE_UNIT", "READ_AHEAD", "LARGE_FRAME",
           "AFTER_LARGE_READ", "reusable"]

# A fragmented message may have max(MIN_FRAGMENTS, input buffer // FRAGMENT_BYTES) frames:
# 1024 at Godot's default 64 KiB, 16384 at 1 MiB, a million at Autobahn's 64 MiB.
MIN_FRAGMENTS = 1024
FRAGMENT_BYTES = 64
# Frames that queue no message (control frames, fragments) one poll decodes for one
# connection; the rest waits for the next poll (issue 11.5).
FRAMES_PER_POLL = 1024
# A server divides one budget of work per poll among its connections (issue 25.5): each
# connection's ``work_left`` is its share, spent one unit per frame decoded (data messages
# too) plus one per INFLATE_UNIT bytes a compressed message inflates to (issue 25.13: a
# 100-byte frame can inflate to 64 KiB). NO_SHARE: no cross-connection budget (clients).
NO_SHARE = 1 << 62
INFLATE_UNIT = 1024
# Undecoded bytes a connection reads ahead while its queue is full, so a reset right after
# a burst finds them here rather than in the kernel's discarded buffer (issue 11.11).
READ_AHEAD = 1 << 19


def header_error(opcode: int, fin: int, length: int, frag_opcode: int) -> str:
    """Why a frame header breaks RFC 6455 5.2-5.5 (checked before any payload is stored),
    or "" when it is fine; ``frag_opcode`` is the opcode of the message being assembled."""
    if length >> 63:
        return "64-bit payload length with the most significant bit set"
    if opcode >= 8:
        if opcode > Opcode.PONG:
            return f"reserved opcode {opcode:#x}"
        if not fin:
            return "fragmented control frame"
        if length > MAX_CONTROL:
            return f"control frame of {length} bytes (at most {MAX_CONTROL})"
    elif opcode > Opcode.BINARY:
        return f"reserved opcode {opcode:#x}"
    elif opcode == Opcode.CONT:
        if not frag_opcode:
            return "continuation frame with no message"
    elif frag_opcode:
        return "new message inside a fragmented one"
    return ""


class PacketQueue:
    """The inbound packets of one peer: a deque of ``(payload, is_text)`` with byte accounting.

    ``max_packets``/``max_bytes`` bound what is queued unread; a single message may use the
    whole byte budget.
    """

    __slots__ = ("packets", "nbytes", "max_packets", "max_bytes")

    def __init__(self, max_packets: int, max_bytes: int) -> None:
        self.packets: deque[tuple[bytes, bool]] = deque()
        self.nbytes = 0
        self.max_packets = max_packets
        self.max_bytes = max_bytes

    def pop(self) -> tuple[bytes, bool]:
        packet = self.packets.popleft()
        self.nbytes -= len(packet[0])
        return packet

    def clear(self) -> None:
        self.packets.clear()
        self.nbytes = 0


# A binary frame at least this long, whose payload has not all arrived, is received into its
# own preallocated buffer (recv_into, one copy) instead of being joined from recv pieces.
LARGE_FRAME = 1 << 16


# After a large frame the next read asks for this much: the next frame's header and a little
# payload, so a following large frame is not first read into a fresh 256 KiB piece and copied.
AFTER_LARGE_READ = 64

def _count(spare: bytearray) -> int:
    return sys.getrefcount(spare)


def _calibrate() -> int:
    """The count ``_count`` sees when one attribute holds the buffer, or 0 when counts cannot
    be trusted to tell (not CPython, no GIL, or another holder does not raise the count)."""
    if sys.implementation.name != "cpython" or not getattr(sys, "_is_gil_enabled", lambda: True)():
        return 0

    class Holder:
        spare: bytearray

    def probe(spare: bytearray) -> int:  # the same call shape as reusable's
        return _count(spare)

    holder = Holder()
    holder.spare = bytearray(1)
    alone = probe(holder.spare)
    other = holder.spare
    shared = probe(holder.spare)
    del other
    return alone if shared == alone + 1 else 0


_ALONE = _calibrate()


def reusable(spare: bytearray | None, length: int) -> TypeGuard[bytearray]:
    """Whether ``spare`` (a buffer handed out earlier, held by one attribute of the caller)
    can be filled again: same length, and CPython's reference count says nobody else holds it
    (the game dropped that packet), so no one can see it change. A reused buffer skips the
    allocation, the zeroing and the page faults of a fresh one."""
    return (spare is not None and _ALONE != 0 and len(spare) == length
            and _count(spare) == _ALONE)


class LargeFrame:
    """The payload of one large binary frame while it arrives: the buffer the transport
    reads into (``view``), how much is filled, and the frame's opcode, FIN and mask key."""

    __slots__ = ("buffer", "view", "at", "opcode", "fin", "key")

    def __init__(self, buffer: bytearray, opcode: int, fin: int, key: bytes,
                 first: memoryview) -> None:
        self.buffer = buffer
        self.view = memoryview(self.buffer)
        self.view[: len(first)] = first
        self.at = len(first)
        self.opcode = opcode
        self.fin = fin
        self.key = key

    def want(self) -> memoryview:
        """Where the next bytes of the payload go."""
        return self.view[self.at :]

    def fill(self, data: bytes) -> int:
        """Copy the start of ``data`` in; returns how many bytes were taken."""
        take = min(len(data), len(self.buffer) - self.at)
        self.view[self.at : self.at + take] = memoryview(data)[:take]
        self.at += take
        return take

    @property
    def full(self) -> bool:
        return self.at == len(self.buffer)
