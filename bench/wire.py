"""Minimal RFC 6455 pieces shared by the benchmark server and the raw-floor client.

Owns: the handshake accept key, frame encoding (masked or not), masking, a blocking
handshake reader and a frame header parser. No WebSocket library is used here so the
server's cost does not depend on any of the libraries under test.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket

__all__ = [
    "GUID",
    "accept_key",
    "mask",
    "encode_frame",
    "parse_header",
    "needed_size",
    "read_http_head",
    "client_handshake",
    "OP_CONT",
    "OP_TEXT",
    "OP_BINARY",
    "OP_CLOSE",
    "OP_PING",
    "OP_PONG",
]

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3

OP_CONT = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA


def accept_key(key: bytes) -> bytes:
    return base64.b64encode(hashlib.sha1(key.strip() + GUID).digest())


def mask(data: bytes, key: bytes) -> bytes:
    """XOR ``data`` with the 4-byte ``key`` repeated (one big-int XOR, no per-byte loop)."""
    n = len(data)
    if n == 0:
        return b""
    k = (key * ((n >> 2) + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")


def encode_frame(payload: bytes, opcode: int = OP_BINARY, masked: bool = False) -> bytes:
    n = len(payload)
    b0 = 0x80 | opcode
    mbit = 0x80 if masked else 0
    if n < 126:
        head = bytes((b0, mbit | n))
    elif n < 65536:
        head = bytes((b0, mbit | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((b0, mbit | 127)) + n.to_bytes(8, "big")
    if masked:
        key = os.urandom(4)
        return head + key + mask(payload, key)
    return head + payload


def parse_header(
    buf: bytes | bytearray, i: int, end: int
) -> tuple[int, int, int, bytes | None] | None:
    """Parse the frame header at ``buf[i:end]``.

    Returns ``(opcode, payload_start, payload_end, mask_key)`` or None when the header or
    the payload is not complete yet. ``payload_end`` may exceed ``end`` only when None is
    returned, so callers can size a buffer from the header alone via ``needed_size``.
    """
    if end - i < 2:
        return None
    b1 = buf[i + 1]
    n = b1 & 0x7F
    h = i + 2
    if n == 126:
        if end - i < 4:
            return None
        n = int.from_bytes(buf[h : h + 2], "big")
        h += 2
    elif n == 127:
        if end - i < 10:
            return None
        n = int.from_bytes(buf[h : h + 8], "big")
        h += 8
    key = None
    if b1 & 0x80:
        if end - h < 4:
            return None
        key = bytes(buf[h : h + 4])
        h += 4
    if h + n > end:
        return None
    return buf[i] & 0x0F, h, h + n, key


def needed_size(buf: bytes | bytearray, i: int, end: int) -> int:
    """Total size of the frame starting at ``i`` if its header is complete, else 14."""
    if end - i < 2:
        return 14
    b1 = buf[i + 1]
    n = b1 & 0x7F
    h = 2
    if n == 126:
        if end - i < 4:
            return 14
        n = int.from_bytes(buf[i + 2 : i + 4], "big")
        h = 4
    elif n == 127:
        if end - i < 10:
            return 14
        n = int.from_bytes(buf[i + 2 : i + 10], "big")
        h = 10
    if b1 & 0x80:
        h += 4
    return h + n


def read_http_head(sock: socket.socket, limit: int = 65536) -> tuple[bytes, bytes]:
    """Read until the blank line; return (head, leftover bytes after it)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("EOF during handshake")
        data += chunk
        if len(data) > limit:
            raise ConnectionError("handshake too large")
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def client_handshake(sock: socket.socket, host: str, path: str) -> bytes:
    """Do a blocking client handshake on ``sock``; return bytes read past the response."""
    key = base64.b64encode(os.urandom(16))
    req = (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key.decode()}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    sock.sendall(req)
    head, rest = read_http_head(sock)
    lines = head.split(b"\r\n")
    if b" 101 " not in lines[0] + b" ":
        raise ConnectionError(f"handshake refused: {lines[0]!r}")
    want = accept_key(key)
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"sec-websocket-accept":
            if value.strip() != want:
                raise ConnectionError("bad Sec-WebSocket-Accept")
            return rest
    raise ConnectionError("no Sec-WebSocket-Accept")
