"""Test helpers: real servers on 127.0.0.1 (websockets' server and a scriptable raw socket
server), polling with a deadline instead of sleeps, and stopping a helper process."""

from __future__ import annotations

import base64
import hashlib
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from websockets.sync.server import ServerConnection, serve

from godot_ws import WebSocketClient

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def terminate(proc: subprocess.Popen[Any]) -> None:
    """Stop a helper process (tinyproxy, nginx): SIGTERM, then SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def poll_until(
    client: Any, condition: Callable[[], bool], timeout: float = 5.0, what: str = "condition"
) -> None:
    """Poll ``client`` until ``condition()`` holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        client.poll()
        time.sleep(0.0005)


def drain(client: WebSocketClient) -> list[tuple[bytes, bool]]:
    peer = client.get_peer(1)
    assert peer is not None
    out = []
    while peer.get_available_packet_count():
        out.append((peer.get_packet(), peer.was_string_packet()))
    return out


class Recorder:
    """Connects to every client signal and records (name, *args) in order."""

    SIGNALS = ("connection_established", "connection_error", "connection_closed",
               "server_close_request", "data_received")

    def __init__(self, client: WebSocketClient) -> None:
        self.client = client
        self.calls: list[tuple[Any, ...]] = []
        for name in self.SIGNALS:
            getattr(client, name).connect(self._make(name))

    def _make(self, name: str) -> Callable[..., None]:
        return lambda *args: self.calls.append((name, *args))

    def names(self) -> list[str]:
        return [c[0] for c in self.calls if c[0] != "data_received"]

    def has(self, name: str) -> bool:
        return any(c[0] == name for c in self.calls)


class WebsocketsServer:
    """The ``websockets`` library's sync server in a thread; ``handler(ws)`` per connection."""

    def __init__(self, handler: Callable[[ServerConnection], None], **kwargs: Any) -> None:
        # A short close_timeout: at teardown the test's client is no longer polled to answer.
        kwargs.setdefault("close_timeout", 0.5)
        self.server = serve(handler, "127.0.0.1", 0, **kwargs)
        self.port = self.server.socket.getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def read_request(conn: socket.socket) -> tuple[bytes, dict[str, str]]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode()
    headers = {}
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return data, headers


def ok_response(headers: dict[str, str], extra: str = "") -> bytes:
    return (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept_key(headers['sec-websocket-key'])}\r\n{extra}\r\n"
    ).encode()


def frame(opcode: int, payload: bytes = b"", fin: bool = True, rsv: int = 0,
          length: int | None = None) -> bytes:
    """An unmasked server frame; ``length`` may lie about the payload size."""
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    if n < 126:
        head = bytes((b0, n))
    elif n < 65536:
        head = bytes((b0, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((b0, 127)) + n.to_bytes(8, "big")
    return head + payload


def unmask_frames(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Parse masked client frames: (opcode, payload)."""
    pos = 0
    while pos + 2 <= len(data):
        b0, b1 = data[pos], data[pos + 1]
        n = b1 & 0x7F
        pos += 2
        if n == 126:
            n = int.from_bytes(data[pos:pos + 2], "big")
            pos += 2
        elif n == 127:
            n = int.from_bytes(data[pos:pos + 8], "big")
            pos += 8
        key = data[pos:pos + 4]
        pos += 4
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(data[pos:pos + n]))
        pos += n
        yield b0 & 0x0F, payload


class RawServer:
    """A one-connection TCP server on 127.0.0.1 running ``script(conn)`` in a thread; for
    misbehaviour the websockets server will not produce. ``received`` collects client bytes
    read by ``read_rest``."""

    def __init__(self, script: Callable[[socket.socket, RawServer], None]) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}/"
        self.script = script
        self.received = b""
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.listener.settimeout(10)
        try:
            conn, _ = self.listener.accept()
        except OSError as exc:
            self.error = exc
            return
        with conn:
            conn.settimeout(10)
            try:
                self.script(conn, self)
            except OSError:
                pass
            except BaseException as exc:  # surfaced by close() so a broken script fails
                self.error = exc

    def read_rest(self, conn: socket.socket, timeout: float = 3.0) -> bytes:
        """Read until the client closes or ``timeout`` passes; returns and stores the bytes."""
        conn.settimeout(timeout)
        data = b""
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (TimeoutError, OSError):
            pass
        self.received += data
        return data

    def close(self) -> None:
        self.thread.join(15)
        self.listener.close()
        if self.error is not None:
            raise self.error


def sending_server(frames: bytes, read_back: bool = True) -> RawServer:
    """A raw server that accepts the upgrade, sends ``frames`` right after its 101 and then
    records what the client sends back (or, without ``read_back``, drops TCP at once)."""

    def script(conn: socket.socket, server: RawServer) -> None:
        _, headers = read_request(conn)
        conn.sendall(ok_response(headers) + frames)
        if read_back:
            server.read_rest(conn)

    return RawServer(script)


def run_until_closed(server: RawServer) -> Recorder:
    """Connect a client to ``server``, poll until ``connection_closed``, stop the server."""
    client = WebSocketClient()
    rec = Recorder(client)
    client.connect_to_url(server.url)
    poll_until(client, lambda: rec.has("connection_closed"))
    server.close()
    return rec


def copy_checkout(root: Path, dest: Path) -> Path:
    """The files git tracks under ``root`` copied to ``dest`` (a clean checkout for builds
    and installs that must not see the working tree's build output); returns ``dest``."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if (root / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, dest / name)
    return dest
