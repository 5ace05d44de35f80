"""Benchmark servers, run as a separate process: ``python -m bench.server``.

Owns one listening socket on 127.0.0.1 port 0 (the port is printed as the first stdout
line) and a thread per connection. The request path picks the role:

- ``/blast/<count>/<size>``: wait for one message from the client ("go"), then write
  ``count`` pre-encoded unmasked binary frames of ``size`` bytes as fast as possible, then
  a close frame (1000).
- ``/sink/<count>``: count received data messages and payload bytes; after ``count``
  messages reply with one text message ``"<messages> <bytes>"``.
- ``/echo``: send every data frame back, unmasked, same opcode.
- ``/idle``: complete the handshake, then only answer ping and close.

Every role answers ping with pong and close with close. The process exits when its stdin
reaches EOF (the parent closed it or died) or after ``--lifetime`` seconds, whichever is
first, so it can never outlive the benchmark. Uses no WebSocket library.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import sys
import threading

from bench.wire import (
    OP_BINARY,
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    accept_key,
    encode_frame,
    mask,
    parse_header,
    read_http_head,
)

__all__ = ["main", "raise_nofile"]

IO_TIMEOUT = 60.0
CLOSE_1000 = encode_frame((1000).to_bytes(2, "big"), OP_CLOSE)
RECV_SIZE = 1 << 18


def raise_nofile(want: int = 16384) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


class Conn:
    """A server-side connection: socket plus unparsed input."""

    def __init__(self, sock: socket.socket, leftover: bytes) -> None:
        self.sock = sock
        self.buf = bytearray(leftover)
        self.close_sent = False

    def fill(self) -> bool:
        data = self.sock.recv(RECV_SIZE)
        if not data:
            return False
        self.buf += data
        return True

    def control(self, op: int, payload: bytes) -> bool:
        """Answer a control frame; return False when the connection is finished."""
        if op == OP_PING:
            self.sock.sendall(encode_frame(payload, OP_PONG))
        elif op == OP_CLOSE:
            if not self.close_sent:
                self.close_sent = True
                self.sock.sendall(encode_frame(payload[:2], OP_CLOSE))
            return False
        return True

    def serve_control(self) -> None:
        """Answer ping/close, discard data, until close or EOF."""
        while True:
            buf = self.buf
            i = 0
            while True:
                r = parse_header(buf, i, len(buf))
                if r is None:
                    break
                op, ps, pe, key = r
                i = pe
                if op >= 8:
                    payload = bytes(buf[ps:pe])
                    if key:
                        payload = mask(payload, key)
                    if not self.control(op, payload):
                        return
            del buf[:i]
            if not self.fill():
                return

    def wait_message(self) -> None:
        """Block until one data frame arrived (the client's "go")."""
        while True:
            buf = self.buf
            i = 0
            while True:
                r = parse_header(buf, i, len(buf))
                if r is None:
                    break
                op, ps, pe, key = r
                i = pe
                if op < 8:
                    del buf[:i]
                    return
                payload = bytes(buf[ps:pe])
                if key:
                    payload = mask(payload, key)
                if not self.control(op, payload):
                    raise ConnectionError("closed before go")
            del buf[:i]
            if not self.fill():
                raise ConnectionError("EOF before go")


def blast(c: Conn, count: int, size: int) -> None:
    c.wait_message()
    frame = encode_frame(b"\xa5" * size, OP_BINARY)
    per_chunk = max(1, (1 << 16) // len(frame))
    chunk = frame * per_chunk
    send = c.sock.sendall
    full, rest = divmod(count, per_chunk)
    for _ in range(full):
        send(chunk)
    if rest:
        send(frame * rest)
    c.close_sent = True
    send(CLOSE_1000)
    c.serve_control()


def sink(c: Conn, count: int) -> None:
    messages = 0
    total = 0
    while messages < count:
        buf = c.buf
        end = len(buf)
        i = 0
        while end - i >= 2:
            b1 = buf[i + 1]
            n = b1 & 0x7F
            h = i + 2
            if n == 126:
                if end - i < 4:
                    break
                n = (buf[h] << 8) | buf[h + 1]
                h += 2
            elif n == 127:
                if end - i < 10:
                    break
                n = int.from_bytes(buf[h : h + 8], "big")
                h += 8
            if b1 & 0x80:
                h += 4
            e = h + n
            if e > end:
                break
            b0 = buf[i]
            op = b0 & 0x0F
            if op < 8:
                total += n
                if b0 & 0x80:
                    messages += 1
            else:
                payload = bytes(buf[h:e])
                if b1 & 0x80:
                    payload = mask(payload, bytes(buf[h - 4 : h]))
                if not c.control(op, payload):
                    return
            i = e
        del buf[:i]
        if messages >= count:
            break
        if not c.fill():
            return
    c.sock.sendall(encode_frame(f"{messages} {total}".encode(), OP_TEXT))
    c.serve_control()


def echo(c: Conn) -> None:
    send = c.sock.sendall
    while True:
        buf = c.buf
        i = 0
        out = []
        while True:
            r = parse_header(buf, i, len(buf))
            if r is None:
                break
            op, ps, pe, key = r
            b0 = buf[i]
            i = pe
            payload = bytes(buf[ps:pe])
            if key:
                payload = mask(payload, key)
            if op < 8:
                out.append(
                    encode_frame(payload, op)
                    if b0 & 0x80
                    else bytes((b0,)) + encode_frame(payload)[1:]
                )
            else:
                if out:
                    send(b"".join(out))
                    out = []
                if not c.control(op, payload):
                    return
        if out:
            send(b"".join(out))
        del buf[:i]
        if not c.fill():
            return


def handle(sock: socket.socket) -> None:
    try:
        sock.settimeout(IO_TIMEOUT)
        head, rest = read_http_head(sock)
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        path = parts[1].decode() if len(parts) > 1 else "/"
        key = b""
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"sec-websocket-key":
                key = value.strip()
        if not key:
            sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        sock.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept_key(key) + b"\r\n\r\n"
        )
        c = Conn(sock, rest)
        role, *args = path.split("?")[0].strip("/").split("/")
        if role == "blast":
            blast(c, int(args[0]), int(args[1]))
        elif role == "sink":
            sink(c, int(args[0]))
        elif role == "echo":
            echo(c)
        else:  # idle and anything unknown
            sock.settimeout(None)
            c.serve_control()
    except (OSError, ValueError, IndexError):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def _exit_on_stdin_eof() -> None:
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.server")
    ap.add_argument("--lifetime", type=float, default=900.0, help="hard exit after seconds")
    args = ap.parse_args(argv)
    raise_nofile()
    threading.stack_size(256 * 1024)
    lsock = socket.create_server(("127.0.0.1", 0), backlog=4096)
    print(lsock.getsockname()[1], flush=True)
    threading.Thread(target=_exit_on_stdin_eof, daemon=True).start()
    timer = threading.Timer(args.lifetime, os._exit, (3,))
    timer.daemon = True
    timer.start()
    while True:
        sock, _ = lsock.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=handle, args=(sock,), daemon=True).start()


if __name__ == "__main__":
    main()
