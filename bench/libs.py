"""One client adapter per library under test, all with the same methods.

Owns the client side of every scenario: ``receive`` (count messages from the blaster),
``send`` (write messages to the sink and wait for its count), ``echo`` (round trips),
``idle_check`` (look for a message when there is none) and ``open_idle``/``poll_idle``
(many idle connections). Each method returns elapsed seconds measured with
``time.perf_counter`` around the measured loop only; connection setup and teardown are
outside it. Each library is driven the way its documentation suggests.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from bench import wire

__all__ = ["ADAPTERS", "LIB_ORDER", "PEERS", "BenchError"]

DEADLINE = 120.0  # no single measured loop may take longer than this
GO = b"go"


class BenchError(RuntimeError):
    pass


def _check_deadline(t0: float) -> None:
    if time.perf_counter() - t0 > DEADLINE:
        raise BenchError("deadline exceeded")


def _check_reply(reply: bytes | str, count: int, size: int) -> None:
    if isinstance(reply, (bytes, bytearray)):
        reply = reply.decode()
    got = reply.split()
    if int(got[0]) != count or int(got[1]) != count * size:
        raise BenchError(f"sink counted {reply!r}, expected {count} {count * size}")


# --------------------------------------------------------------------------- raw floor


class RawReader:
    """Frame parser over ``recv_into`` a reusable buffer; copies each payload once."""

    def __init__(self, sock: socket.socket, leftover: bytes, cap: int) -> None:
        self.sock = sock
        self.buf = bytearray(max(cap, len(leftover) + 65536))
        self.mv = memoryview(self.buf)
        self.start = 0
        self.end = len(leftover)
        self.buf[: self.end] = leftover
        self.closed = False

    def read(self) -> list[bytes]:
        """One blocking ``recv_into``, then every complete frame's payload."""
        buf, mv = self.buf, self.mv
        start, end = self.start, self.end
        room = len(buf) - end
        if room < 65536:
            need = wire.needed_size(buf, start, end)
            if need + 65536 > len(buf):
                self.buf = buf = bytearray(need + 65536)
                buf[: end - start] = mv[start:end]
                mv.release()
                self.mv = mv = memoryview(buf)
            else:
                buf[: end - start] = bytes(mv[start:end])
            end -= start
            start = 0
        n = self.sock.recv_into(mv[end:])
        if not n:
            raise BenchError("EOF")
        end += n
        out: list[bytes] = []
        append = out.append
        i = start
        while end - i >= 2:
            b1 = buf[i + 1]
            ln = b1 & 0x7F
            h = i + 2
            if ln == 126:
                if end - i < 4:
                    break
                ln = (buf[h] << 8) | buf[h + 1]
                h += 2
            elif ln == 127:
                if end - i < 10:
                    break
                ln = int.from_bytes(mv[h : h + 8], "big")
                h += 8
            e = h + ln
            if e > end:
                break
            if buf[i] & 0x0F == wire.OP_CLOSE:
                self.closed = True
            else:
                append(bytes(mv[h:e]))
            i = e
        if i == end:
            self.start = self.end = 0
        else:
            self.start, self.end = i, end
        return out


class Raw:
    """The floor: a hand-written client with no WebSocket library."""

    name = "raw"

    def _connect(self, base: str, path: str) -> tuple[socket.socket, bytes]:
        host = base.split("//", 1)[1].rstrip("/")
        h, _, p = host.partition(":")
        sock = socket.create_connection((h, int(p)))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, wire.client_handshake(sock, host, path)

    def _close(self, sock: socket.socket) -> None:
        try:
            sock.setblocking(True)
            sock.sendall(wire.encode_frame(b"\x03\xe8", wire.OP_CLOSE, masked=True))
        except OSError:
            pass
        sock.close()

    def receive(self, base: str, count: int, size: int, hold: bool = True) -> float:
        sock, rest = self._connect(base, f"/blast/{count}/{size}")
        r = RawReader(sock, rest, max(1 << 18, 4 * size))
        t0 = time.perf_counter()
        sock.sendall(wire.encode_frame(GO, masked=True))
        got = 0
        last = b""
        while got < count:
            out = r.read()
            if out:
                got += len(out)
                last = out[-1]
                if not hold:
                    assert len(last) == size
                    last = out = b""  # type: ignore[assignment]
            elif r.closed:
                raise BenchError("closed early")
        dt = time.perf_counter() - t0
        assert len(last) == size or not hold
        self._close(sock)
        return dt

    def send(self, base: str, count: int, size: int) -> float:
        sock, rest = self._connect(base, f"/sink/{count}")
        r = RawReader(sock, rest, 1 << 16)
        payload = b"x" * size
        enc = wire.encode_frame
        send = sock.sendall
        t0 = time.perf_counter()
        for _ in range(count):
            send(enc(payload, 2, True))
        out: list[bytes] = []
        while not out:
            out = r.read()
        dt = time.perf_counter() - t0
        _check_reply(out[0], count, size)
        self._close(sock)
        return dt

    def echo(self, base: str, count: int, size: int) -> float:
        sock, rest = self._connect(base, "/echo")
        r = RawReader(sock, rest, 1 << 16)
        payload = b"x" * size
        enc = wire.encode_frame
        send = sock.sendall
        read = r.read
        t0 = time.perf_counter()
        for _ in range(count):
            send(enc(payload, 2, True))
            out = read()
            while not out:
                out = read()
        dt = time.perf_counter() - t0
        assert out[0] == payload
        self._close(sock)
        return dt

    def idle_check(self, base: str, count: int) -> float:
        sock, _ = self._connect(base, "/idle")
        sock.setblocking(False)
        recv = sock.recv
        t0 = time.perf_counter()
        for _ in range(count):
            try:
                recv(65536)
            except BlockingIOError:
                pass
        dt = time.perf_counter() - t0
        self._close(sock)
        return dt

    def open_idle(self, base: str) -> Any:
        sock, _ = self._connect(base, "/idle")
        sock.setblocking(False)
        return sock

    def start_idle(self, base: str) -> Any:
        return self.open_idle(base)

    def finish_idle(self, handles: list[Any]) -> None:
        pass

    def poll_idle(self, handles: list[Any]) -> None:
        for s in handles:
            try:
                s.recv(65536)
            except BlockingIOError:
                pass


# ------------------------------------------------------------------- websocket-client


class WebsocketClient:
    name = "websocket-client"

    def _connect(self, base: str, path: str) -> Any:
        import websocket

        return websocket.create_connection(base.rstrip("/") + path)

    def receive(self, base: str, count: int, size: int, hold: bool = True) -> float:
        ws = self._connect(base, f"/blast/{count}/{size}")
        recv = ws.recv
        t0 = time.perf_counter()
        ws.send_binary(GO)
        if hold:
            for _ in range(count):
                m = recv()
        else:
            for _ in range(count):
                n = len(recv())  # the message is dropped at once
            m = b"x" * n
        dt = time.perf_counter() - t0
        assert len(m) == size
        ws.close()
        return dt

    def send(self, base: str, count: int, size: int) -> float:
        ws = self._connect(base, f"/sink/{count}")
        payload = b"x" * size
        send = ws.send_binary
        t0 = time.perf_counter()
        for _ in range(count):
            send(payload)
        reply = ws.recv()
        dt = time.perf_counter() - t0
        _check_reply(reply, count, size)
        ws.close()
        return dt

    def echo(self, base: str, count: int, size: int) -> float:
        ws = self._connect(base, "/echo")
        payload = b"x" * size
        send, recv = ws.send_binary, ws.recv
        t0 = time.perf_counter()
        for _ in range(count):
            send(payload)
            m = recv()
        dt = time.perf_counter() - t0
        assert m == payload
        ws.close()
        return dt

    def idle_check(self, base: str, count: int) -> float:
        ws = self._connect(base, "/idle")
        ws.settimeout(0)  # websocket-client's non-blocking mode: recv raises BlockingIOError
        recv = ws.recv
        t0 = time.perf_counter()
        for _ in range(count):
            try:
                recv()
            except BlockingIOError:
                pass
        dt = time.perf_counter() - t0
        ws.settimeout(5)
        ws.close()
        return dt

    def open_idle(self, base: str) -> Any:
        ws = self._connect(base, "/idle")
        ws.settimeout(0)
        return ws

    def start_idle(self, base: str) -> Any:
        return self.open_idle(base)

    def finish_idle(self, handles: list[Any]) -> None:
        pass

    def poll_idle(self, handles: list[Any]) -> None:
        for ws in handles:
            try:
                ws.recv()
            except BlockingIOError:
                pass


# ------------------------------------------------------------------ websockets (sync)


class Websockets:
    name = "websockets"

    def _connect(self, base: str, path: str) -> Any:
        from websockets.sync.client import connect

        return connect(
            base.rstrip("/") + path,
            compression=None,
            max_size=None,
            ping_interval=None,
            proxy=None,
        )

    def receive(self, base: str, count: int, size: int, hold: bool = True) -> float:
        ws = self._connect(base, f"/blast/{count}/{size}")
        recv = ws.recv
        t0 = time.perf_counter()
        ws.send(GO)
        if hold:
            for _ in range(count):
                m = recv()
        else:
            for _ in range(count):
                n = len(recv())  # the message is dropped at once
            m = b"x" * n
        dt = time.perf_counter() - t0
        assert len(m) == size
        ws.close()
        return dt

    def send(self, base: str, count: int, size: int) -> float:
        ws = self._connect(base, f"/sink/{count}")
        payload = b"x" * size
        send = ws.send
        t0 = time.perf_counter()
        for _ in range(count):
            send(payload)
        reply = ws.recv()
        dt = time.perf_counter() - t0
        _check_reply(reply, count, size)
        ws.close()
        return dt

    def echo(self, base: str, count: int, size: int) -> float:
        ws = self._connect(base, "/echo")
        payload = b"x" * size
        send, recv = ws.send, ws.recv
        t0 = time.perf_counter()
        for _ in range(count):
            send(payload)
            m = recv()
        dt = time.perf_counter() - t0
        assert m == payload
        ws.close()
        return dt

    def idle_check(self, base: str, count: int) -> float:
        ws = self._connect(base, "/idle")
        recv = ws.recv
        t0 = time.perf_counter()
        for _ in range(count):
            try:
                recv(timeout=0)
            except TimeoutError:
                pass
        dt = time.perf_counter() - t0
        ws.close()
        return dt

    def open_idle(self, base: str) -> Any:
        return self._connect(base, "/idle")

    def start_idle(self, base: str) -> Any:
        return self.open_idle(base)

    def finish_idle(self, handles: list[Any]) -> None:
        pass

    def poll_idle(self, handles: list[Any]) -> None:
        for ws in handles:
            try:
                ws.recv(timeout=0)
            except TimeoutError:
                pass


# --------------------------------------------------------------------------- wsproto


class _WsprotoConn:
    def __init__(self, base: str, path: str) -> None:
        from wsproto import ConnectionType, WSConnection
        from wsproto.events import AcceptConnection, Request

        host = base.split("//", 1)[1].rstrip("/")
        h, _, p = host.partition(":")
        self.sock = sock = socket.create_connection((h, int(p)))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = conn = WSConnection(ConnectionType.CLIENT)
        sock.sendall(conn.send(Request(host=host, target=path)))
        while True:
            data = sock.recv(65536)
            if not data:
                raise BenchError("EOF during handshake")
            conn.receive_data(data)
            for ev in conn.events():
                if isinstance(ev, AcceptConnection):
                    return
                raise BenchError(f"handshake failed: {ev!r}")

    def close(self) -> None:
        from wsproto.events import CloseConnection

        try:
            self.sock.setblocking(True)
            self.sock.sendall(self.conn.send(CloseConnection(code=1000)))
        except Exception:
            pass
        self.sock.close()


class Wsproto:
    name = "wsproto"

    def receive(self, base: str, count: int, size: int, hold: bool = True) -> float:
        from wsproto.events import BytesMessage, CloseConnection, Message

        w = _WsprotoConn(base, f"/blast/{count}/{size}")
        sock, conn = w.sock, w.conn
        recv, feed, events = sock.recv, conn.receive_data, conn.events
        parts: list[bytes | bytearray] = []
        got = 0
        m: bytes | bytearray = b""
        t0 = time.perf_counter()
        sock.sendall(conn.send(Message(data=GO)))
        while got < count:
            data = recv(1 << 18)
            if not data:
                raise BenchError("EOF")
            feed(data)
            for ev in events():
                if type(ev) is BytesMessage:
                    if ev.message_finished:
                        if parts:
                            parts.append(ev.data)
                            m = b"".join(parts)
                            parts = []
                        else:
                            m = ev.data
                        got += 1
                        if not hold:
                            assert len(m) == size
                            m = b"x" * size if got == count else b""
                    else:
                        parts.append(ev.data)
                elif isinstance(ev, CloseConnection):
                    break
        dt = time.perf_counter() - t0
        assert len(m) == size
        w.close()
        return dt

    def send(self, base: str, count: int, size: int) -> float:
        from wsproto.events import Message, TextMessage

        w = _WsprotoConn(base, f"/sink/{count}")
        sock, conn = w.sock, w.conn
        payload = b"x" * size
        send, enc = sock.sendall, conn.send
        t0 = time.perf_counter()
        for _ in range(count):
            send(enc(Message(data=payload)))
        reply = None
        while reply is None:
            conn.receive_data(sock.recv(65536))
            for ev in conn.events():
                if isinstance(ev, TextMessage):
                    reply = ev.data
        dt = time.perf_counter() - t0
        _check_reply(reply, count, size)
        w.close()
        return dt

    def echo(self, base: str, count: int, size: int) -> float:
        from wsproto.events import BytesMessage, Message

        w = _WsprotoConn(base, "/echo")
        sock, conn = w.sock, w.conn
        payload = b"x" * size
        send, enc, recv, feed, events = (
            sock.sendall,
            conn.send,
            sock.recv,
            conn.receive_data,
            conn.events,
        )
        t0 = time.perf_counter()
        for _ in range(count):
            send(enc(Message(data=payload)))
            m = None
            while m is None:
                feed(recv(65536))
                for ev in events():
                    if type(ev) is BytesMessage:
                        m = ev.data
        dt = time.perf_counter() - t0
        assert m == payload
        w.close()
        return dt

    def idle_check(self, base: str, count: int) -> float:
        w = _WsprotoConn(base, "/idle")
        w.sock.setblocking(False)
        t0 = time.perf_counter()
        self.poll_idle([w] * count)
        dt = time.perf_counter() - t0
        w.close()
        return dt

    def open_idle(self, base: str) -> Any:
        w = _WsprotoConn(base, "/idle")
        w.sock.setblocking(False)
        return w

    def start_idle(self, base: str) -> Any:
        return self.open_idle(base)

    def finish_idle(self, handles: list[Any]) -> None:
        pass

    def poll_idle(self, handles: list[Any]) -> None:
        for w in handles:
            try:
                data = w.sock.recv(65536)
            except BlockingIOError:
                continue
            w.conn.receive_data(data or None)
            for _ in w.conn.events():
                pass


# --------------------------------------------------------------------------- godot_ws


class GodotWs:
    """godot_ws driven as a game would: ``poll()`` then drain the peer's packet queue."""

    name = "godot_ws"
    # (in_kb, in_pkts, out_kb, out_pkts) per scenario; None keeps godot_ws's defaults.
    large_buffers: tuple[int, int, int, int] | None = (4096, 1024, 64, 1024)

    def __init__(self) -> None:
        self._status_connected = 2

    def _client(self, bufs: tuple[int, int, int, int] | None = None) -> Any:
        from godot_ws import WebSocketClient

        c = WebSocketClient()
        if bufs is not None:
            err = c.set_buffers(*bufs)
            if err:
                raise BenchError(f"set_buffers{bufs} returned {err!r}")
        return c

    def _connect(
        self, base: str, path: str, bufs: tuple[int, int, int, int] | None = None
    ) -> tuple[Any, Any]:
        c = self.start_idle(base, path, bufs)
        self._wait_connected([c])
        return c, c.get_peer(1)

    def start_idle(
        self, base: str, path: str = "/idle", bufs: tuple[int, int, int, int] | None = None
    ) -> Any:
        c = self._client(bufs)
        err = c.connect_to_url(base.rstrip("/") + path)
        if err:
            raise BenchError(f"connect_to_url returned {err!r}")
        return c

    def _wait_connected(self, clients: list[Any], timeout: float = 30.0) -> None:
        t0 = time.perf_counter()
        pending = list(clients)
        while pending:
            still = []
            for c in pending:
                c.poll()
                st = c.get_connection_status()
                if st == 0:
                    raise BenchError("godot_ws connection failed (status DISCONNECTED)")
                if st != self._status_connected:
                    still.append(c)
            pending = still
            if pending:
                if time.perf_counter() - t0 > timeout:
                    raise BenchError(
                        f"{len(pending)} godot_ws connections not connected after {timeout}s"
                    )
                time.sleep(0.0005)

    def finish_idle(self, handles: list[Any]) -> None:
        self._wait_connected(handles)

    def _close(self, c: Any) -> None:
        try:
            c.disconnect_from_host()
            t0 = time.perf_counter()
            while c.get_connection_status() != 0 and time.perf_counter() - t0 < 2.0:
                c.poll()
                time.sleep(0.0005)
        except Exception:
            pass

    def receive(
        self, base: str, count: int, size: int, bufs: tuple[int, int, int, int] | None = None,
        hold: bool = True,
    ) -> float:
        c, p = self._connect(base, f"/blast/{count}/{size}", bufs)
        poll, avail, get = c.poll, p.get_available_packet_count, p.get_packet
        got = 0
        m = b""
        seen = 0
        t0 = time.perf_counter()
        if p.put_packet(GO):
            raise BenchError("put_packet(go) failed")
        poll()
        loops = 0
        while got < count:
            poll()
            n = avail()
            for _ in range(n):
                m = get()
            got += n
            if not hold and n:
                seen = len(m)
                m = b""  # the game dropped every packet it read this frame
            loops += 1
            if not loops & 0x3FF:
                _check_deadline(t0)
                if self._gone(c) and avail() == 0:
                    raise BenchError(f"godot_ws disconnected after {got}/{count} messages")
        dt = time.perf_counter() - t0
        if not hold:
            m = b"x" * seen
        if len(m) != size:
            raise BenchError(f"godot_ws got a {len(m)}-byte packet, expected {size}")
        self._close(c)
        return dt

    def send(self, base: str, count: int, size: int) -> float:
        c, p = self._connect(base, f"/sink/{count}")
        poll, put, avail = c.poll, p.put_packet, p.get_available_packet_count
        payload = b"x" * size
        sent = 0
        t0 = time.perf_counter()
        while sent < count:
            if put(payload):  # ERR_OUT_OF_MEMORY: the output buffer is full -> flush
                poll()
                if not sent & 0xFF:
                    _check_deadline(t0)
            else:
                sent += 1
        loops = 0
        while avail() == 0:
            poll()
            loops += 1
            if not loops & 0x3FF:
                _check_deadline(t0)
        reply = p.get_packet()
        dt = time.perf_counter() - t0
        _check_reply(bytes(reply), count, size)
        self._close(c)
        return dt

    def echo(self, base: str, count: int, size: int) -> float:
        c, p = self._connect(base, "/echo")
        poll, put, avail, get = c.poll, p.put_packet, p.get_available_packet_count, p.get_packet
        payload = b"x" * size
        m = b""
        t0 = time.perf_counter()
        for _ in range(count):
            if put(payload):
                raise BenchError("put_packet failed in echo")
            poll()
            loops = 0
            while avail() == 0:
                poll()
                loops += 1
                if not loops & 0xFFFF:
                    _check_deadline(t0)
            m = get()
        dt = time.perf_counter() - t0
        if bytes(m) != payload:
            raise BenchError("echo payload mismatch")
        self._close(c)
        return dt

    def idle_check(self, base: str, count: int) -> float:
        c, p = self._connect(base, "/idle")
        poll, avail = c.poll, p.get_available_packet_count
        t0 = time.perf_counter()
        for _ in range(count):
            poll()
            avail()
        dt = time.perf_counter() - t0
        self._close(c)
        return dt

    def open_idle(self, base: str) -> Any:
        return self._connect(base, "/idle")[0]

    def poll_idle(self, handles: list[Any]) -> None:
        for c in handles:
            c.poll()

    def _gone(self, c: Any) -> bool:
        return bool(c.get_connection_status() == 0)


class GodotWs4(GodotWs):
    """godot_ws.godot4.WebSocketPeer driven as a Godot 4 script would: ``poll()``, then
    ``get_ready_state()`` and the packet queue (the peer is its own packet peer). Not in the
    default library list: ``python -m bench --libs godot_ws,godot_ws4,...``; its ``set_buffers``
    tuple maps to ``inbound_buffer_size``/``max_queued_packets``/``outbound_buffer_size``."""

    name = "godot_ws4"

    def _client(self, bufs: tuple[int, int, int, int] | None = None) -> Any:
        from godot_ws.godot4 import WebSocketPeer

        c = WebSocketPeer()
        if bufs is not None:
            c.inbound_buffer_size = bufs[0] * 1024
            c.max_queued_packets = max(bufs[1], bufs[3])
            c.outbound_buffer_size = bufs[2] * 1024
        return c

    def _connect(
        self, base: str, path: str, bufs: tuple[int, int, int, int] | None = None
    ) -> tuple[Any, Any]:
        c = self.start_idle(base, path, bufs)
        self._wait_connected([c])
        return c, c

    def _wait_connected(self, clients: list[Any], timeout: float = 30.0) -> None:
        t0 = time.perf_counter()
        pending = list(clients)
        while pending:
            still = []
            for c in pending:
                c.poll()
                state = c.get_ready_state()
                if state == 3:
                    raise BenchError("godot_ws4 connection failed (STATE_CLOSED)")
                if state != 1:
                    still.append(c)
            pending = still
            if pending:
                if time.perf_counter() - t0 > timeout:
                    raise BenchError(
                        f"{len(pending)} godot_ws4 connections not open after {timeout}s"
                    )
                time.sleep(0.0005)

    def _close(self, c: Any) -> None:
        try:
            c.close()
            t0 = time.perf_counter()
            while c.get_ready_state() != 3 and time.perf_counter() - t0 < 2.0:
                c.poll()
                time.sleep(0.0005)
        except Exception:
            pass

    def _gone(self, c: Any) -> bool:
        return bool(c.get_ready_state() == 3)


ADAPTERS: dict[str, Callable[[], Any]] = {
    "raw": Raw,
    "websocket-client": WebsocketClient,
    "websockets": Websockets,
    "wsproto": Wsproto,
    "godot_ws": GodotWs,
    "godot_ws4": GodotWs4,
}
LIB_ORDER = ["raw", "websocket-client", "websockets", "wsproto", "godot_ws"]
PEERS = [n for n in LIB_ORDER if n != "godot_ws"]
