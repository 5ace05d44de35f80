"""RFC 6455 frames on the way out: opcodes, close codes, headers and masking.

Owns encoding what a connection queued (``encode_client_frames`` masks, ``encode_server_frames``
does not), the mask keys, close payloads and the XOR of a mask (RFC 6455 5.2, 5.3, 7.4).
Decoding lives in ``protocol.py``, inside its receive loop, where it is fastest. No I/O.
"""

from __future__ import annotations

import enum
import os
import struct
from collections.abc import Callable

__all__ = [
    "Opcode",
    "CloseCode",
    "MaskKeys",
    "RAW",
    "MAX_CONTROL",
    "CLOSE_CODE",
    "is_valid_close_code",
    "mask_payload",
    "rotate_key",
    "close_payload",
    "encode_client_frames",
    "encode_server_frames",
]

class Opcode(enum.IntEnum):
    """Frame opcodes, RFC 6455 section 5.2."""

    CONT = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


class CloseCode(enum.IntEnum):
    """Close status codes we send, RFC 6455 section 7.4.1."""

    NORMAL = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    NO_STATUS = 1005  # reported when a close frame carries no code; never sent
    ABNORMAL = 1006  # reported when TCP ends without a close frame; never sent
    INVALID_DATA = 1007
    MESSAGE_TOO_BIG = 1009


def is_valid_close_code(code: int) -> bool:
    """Codes an endpoint may put in a close frame (RFC 6455 7.4.1-7.4.2, IANA registry)."""
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999





RAW = -1  # an entry of a connection's output that is sent as it is (handshake bytes)
MAX_CONTROL = 125  # control frame payload limit (RFC 6455 5.5)
_H16 = struct.Struct("!BBH")
_H64 = struct.Struct("!BBQ")
CLOSE_CODE = struct.Struct("!H")  # the status code at the start of a close payload
_ZEROS = {n: bytes(n) for n in (6, 8, 14)}  # the mask stream over a header and its key


def mask_payload(key: bytes, payload: bytes) -> bytes:
    """XOR ``payload`` with the 4-byte ``key`` repeated (RFC 6455 5.3), as one big-int XOR.

    The same trick as websocket-client's ``_mask``; its public ``ABNF.mask`` goes through
    ``array.array`` conversions that cost more than the XOR for game-sized messages.
    """
    n = len(payload)
    if not n:
        return b""
    keys = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(keys, "little")).to_bytes(
        n, "little"
    )


class MaskKeys:
    """Mask keys sliced 4 bytes at a time from one ``source(4096)`` call (os.urandom by
    default; injectable so tests can check exact bytes)."""

    __slots__ = ("source", "pool", "at")

    def __init__(self, source: Callable[[int], bytes] = os.urandom) -> None:
        self.source = source
        self.pool = b""
        self.at = 0


def encode_client_frames(out: list[tuple[int, bytes]], keys: MaskKeys) -> bytes:
    """Frame and mask ``(opcode, payload)`` entries (``RAW`` entries go as they are).

    Masking is most of the cost of sending: build the frames and a mask stream (zeros over
    headers) and XOR them as two big integers, not one XOR per frame.
    """
    parts: list[bytes] = []
    masks: list[bytes] = []
    pool = keys.pool
    at = keys.at
    for opcode, payload in out:
        if opcode < 0:
            parts.append(payload)
            masks.append(bytes(len(payload)))
            continue
        n = len(payload)
        if at + 4 > len(pool):
            pool = keys.source(4096)
            at = 0
        key = pool[at : at + 4]
        at += 4
        if n < 126:
            head = bytes((0x80 | opcode, 0x80 | n))
        elif n < 65536:
            head = _H16.pack(0x80 | opcode, 0xFE, n)
        else:
            head = _H64.pack(0x80 | opcode, 0xFF, n)
        parts.append(head)
        parts.append(key)
        parts.append(payload)
        masks.append(_ZEROS[len(head) + 4])
        masks.append((key * ((n >> 2) + 1))[:n])
    keys.pool = pool
    keys.at = at
    stream = b"".join(parts)
    mask = b"".join(masks)
    return (int.from_bytes(stream, "little") ^ int.from_bytes(mask, "little")).to_bytes(
        len(stream), "little"
    )


def encode_server_frames(out: list[tuple[int, bytes]]) -> bytes:
    """Frame ``(opcode, payload)`` entries unmasked, as a server sends them: headers and
    payloads joined once (a header + payload concatenation first would copy each payload
    twice)."""
    parts: list[bytes] = []
    append = parts.append
    for opcode, payload in out:
        if opcode >= 0:
            append(_server_head(opcode, len(payload)))
        append(payload)
    return b"".join(parts)


def rotate_key(key: bytes, n: int) -> bytes:
    """The mask key as seen from ``n`` bytes further into the payload."""
    n %= 4
    return key[n:] + key[:n]


def _server_head(opcode: int, n: int) -> bytes:
    if n < 126:
        return bytes((0x80 | opcode, n))
    if n < 65536:
        return _H16.pack(0x80 | opcode, 126, n)
    return _H64.pack(0x80 | opcode, 127, n)


def close_payload(code: int, reason: str) -> bytes:
    data = reason.encode("utf-8")
    if len(data) > MAX_CONTROL - 2:
        # Cut at a character boundary so the reason stays valid UTF-8.
        data = data[: MAX_CONTROL - 2].decode("utf-8", "ignore").encode("utf-8")
    return CLOSE_CODE.pack(code) + data
