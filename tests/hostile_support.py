"""Raw-socket attackers for the hostile-peer tests (issue 25): loopback only, a bounded
number of connections and bytes, each test closes what it opened."""

from __future__ import annotations

import fcntl
import socket
import termios
import time
from collections.abc import Callable

UPGRADE = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
DEFLATE = b"Sec-WebSocket-Extensions: permessage-deflate\r\n"


def masked(opcode: int, payload: bytes = b"", rsv1: bool = False) -> bytes:
    """One masked client frame (payload under 126 bytes), FIN set."""
    assert len(payload) < 126
    key = b"\x01\x02\x03\x04"
    body = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes((0x80 | (0x40 if rsv1 else 0) | opcode, 0x80 | len(payload))) + key + body


def open_attackers(port: int, n: int, poll: Callable[[], None], deflate: bool = False,
                   source: str = "127.0.0.1") -> list[socket.socket]:
    """``n`` raw connections that finished the upgrade (``poll`` drives the server)."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), source_address=(source, 0))
        s.sendall(UPGRADE + (DEFLATE if deflate else b"") + b"\r\n")
        socks.append(s)
    deadline = time.monotonic() + 10
    for s in socks:
        s.setblocking(False)
        head = b""
        while b"\r\n\r\n" not in head:
            assert time.monotonic() < deadline, "an attacker's upgrade got no reply"
            poll()
            try:
                head += s.recv(4096)
            except BlockingIOError:
                time.sleep(0.001)
        assert head.startswith(b"HTTP/1.1 101"), head[:80]
    return socks


def unsent(sock: socket.socket) -> int:
    """Bytes ``sock`` has not handed to its peer yet (Linux SIOCOUTQ)."""
    return int.from_bytes(fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"), "little")


def send_all_now(socks: list[socket.socket], data: bytes, timeout: float = 10.0) -> None:
    """Write ``data`` on every socket and wait until the server's kernel holds all of it
    (nothing is read by the server meanwhile: it is not polled)."""
    deadline = time.monotonic() + timeout
    for s in socks:
        view = memoryview(data)
        while view:
            assert time.monotonic() < deadline, "the server's buffers did not take the flood"
            try:
                view = view[s.send(view):]
            except BlockingIOError:
                time.sleep(0.001)
    while any(unsent(s) for s in socks):
        assert time.monotonic() < deadline, "the flood did not reach the server"
        time.sleep(0.001)


def read_all(socks: list[socket.socket]) -> int:
    """Read and count every byte the server has sent the attackers so far."""
    total = 0
    for s in socks:
        while True:
            try:
                got = s.recv(1 << 20)
            except BlockingIOError:
                break
            if not got:
                break
            total += len(got)
    return total


def close_all(socks: list[socket.socket]) -> None:
    for s in socks:
        s.close()


__all__ = ["UPGRADE", "masked", "open_attackers", "unsent", "send_all_now", "read_all",
           "close_all"]
