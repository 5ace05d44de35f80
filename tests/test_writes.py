"""When what the game puts reaches the wire (issue 13): written through at once, batched under
load, flushed before poll returns, never reordered; close frames written at once; a script
that closes in ``_exit_tree()`` and exits ends cleanly on the peer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from support import (
    RawServer,
    WebsocketsServer,
    ok_response,
    poll_until,
    read_request,
    unmask_frames,
)
from websockets.sync.client import connect as ws_connect
from websockets.sync.server import ServerConnection

from godot_ws import (
    CONNECTION_CONNECTED,
    CONNECTION_DISCONNECTED,
    OK,
    WebSocketClient,
    WebSocketServer,
)
from godot_ws.net.connection import WRITE_THROUGH
from godot_ws.net.transport import Transport

ROOT = Path(__file__).resolve().parent.parent


class WireServer(RawServer):
    """A raw server that accepts the upgrade and then records the client's frames as they
    arrive (its own thread), so a test can wait for bytes without polling the client."""

    def __init__(self, start_reading: threading.Event | None = None) -> None:
        self.frames: list[tuple[int, bytes]] = []
        self.changed = threading.Condition()
        self._start = start_reading
        super().__init__(self._serve)

    def _serve(self, conn: socket.socket, server: RawServer) -> None:
        _, headers = read_request(conn)
        conn.sendall(ok_response(headers))
        if self._start is not None:
            self._start.wait(10)
        buf = b""
        conn.settimeout(10)
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            parsed, used = _whole_frames(buf)
            buf = buf[used:]
            with self.changed:
                self.frames.extend(parsed)
                self.changed.notify_all()
            if any(op == 8 for op, _ in parsed):
                conn.sendall(bytes((0x88, 2)) + (1000).to_bytes(2, "big"))
                break

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[int, bytes]]:
        """Block (without polling the client) until ``count`` frames arrived."""
        with self.changed:
            self.changed.wait_for(lambda: len(self.frames) >= count, timeout)
            return list(self.frames)


def _whole_frames(buf: bytes) -> tuple[list[tuple[int, bytes]], int]:
    """The whole masked frames at the start of ``buf`` and how many bytes they use."""
    pos = 0
    end = len(buf)
    while end - pos >= 2:
        n = buf[pos + 1] & 0x7F
        head = 2
        if n == 126:
            head = 4
        elif n == 127:
            head = 10
        if end - pos < head + 4:
            break
        if n >= 126:
            n = int.from_bytes(buf[pos + 2 : pos + head], "big")
        if end - pos < head + 4 + n:
            break
        pos += head + 4 + n
    return list(unmask_frames(buf[:pos])), pos


def _connected(url: str, **kwargs: Any) -> WebSocketClient:
    client = WebSocketClient()
    assert client.connect_to_url(url, **kwargs) == OK
    poll_until(client, lambda: client.get_connection_status() == CONNECTION_CONNECTED,
               what="connection")
    return client


# ------------------------------------------------------------------ the client writes


def test_a_message_put_after_poll_is_on_the_wire_before_the_next_poll() -> None:
    server = WireServer()
    client = _connected(server.url)
    peer = client.get_peer(1)
    assert peer is not None
    for i in range(3):  # three frames of a game: poll, then put
        client.poll()
        assert peer.put_packet(b"frame %d" % i) == OK
        frames = server.wait_for(i + 1)  # no poll in between
        assert frames[-1] == (2, b"frame %d" % i)
    client.disconnect_from_host()
    server.close()


def test_a_close_is_on_the_wire_right_after_disconnect_from_host() -> None:
    server = WireServer()
    client = _connected(server.url)
    client.disconnect_from_host(4001, "bye")
    frames = server.wait_for(1)
    assert frames == [(8, (4001).to_bytes(2, "big") + b"bye")]
    poll_until(client, lambda: client.get_connection_status() == CONNECTION_DISCONNECTED)
    server.close()


def test_peer_close_is_on_the_wire_at_once_too() -> None:
    server = WireServer()
    client = _connected(server.url)
    peer = client.get_peer(1)
    assert peer is not None
    peer.put_packet(b"last")
    peer.close(1001, "")
    assert server.wait_for(2) == [(2, b"last"), (8, (1001).to_bytes(2, "big"))]
    server.close()


def test_a_loop_of_puts_is_batched_not_one_send_per_message(monkeypatch: Any) -> None:
    sends: list[int] = []
    real_send = Transport.send

    def counting_send(self: Transport, data: bytes) -> bool:
        sends.append(len(data))
        return real_send(self, data)

    server = WireServer()
    client = _connected(server.url)
    peer = client.get_peer(1)
    assert peer is not None
    client.poll()
    monkeypatch.setattr(Transport, "send", counting_send)
    for i in range(1000):
        assert peer.put_packet(b"%04d" % i) == OK
    assert len(sends) == WRITE_THROUGH  # the first few went at once, the rest wait
    client.poll()  # writes the batch with one send
    assert len(sends) == WRITE_THROUGH + 1
    frames = server.wait_for(1000)
    assert [p for _, p in frames] == [b"%04d" % i for i in range(1000)]
    client.disconnect_from_host()
    server.close()


def test_flush_writes_the_batch_now() -> None:
    server = WireServer()
    client = _connected(server.url)
    peer = client.get_peer(1)
    assert peer is not None
    client.poll()
    count = WRITE_THROUGH + 5
    for i in range(count):
        peer.put_packet(b"%d" % i)
    client.flush()
    assert [p for _, p in server.wait_for(count)] == [b"%d" % i for i in range(count)]
    client.disconnect_from_host()
    server.close()


def test_nothing_is_reordered_between_written_through_and_batched_messages() -> None:
    # The server reads nothing at first, so the socket fills: some puts are written through,
    # some batched, some wait behind bytes the socket has not taken. Order must hold.
    start = threading.Event()
    server = WireServer(start)
    client = _connected(server.url)
    peer = client.get_peer(1)
    assert peer is not None
    sent = 0
    payload = b"x" * 1000
    for frame_no in range(300):
        client.poll()
        for _ in range(frame_no % 13):
            if peer.put_packet(b"%06d" % sent + payload) != OK:
                break
            sent += 1
        if frame_no == 150:
            start.set()
    start.set()
    poll_until(client, lambda: client.get_current_outbound_buffered_amount() == 0)
    frames = server.wait_for(sent, timeout=10)
    assert [int(p[:6]) for _, p in frames] == list(range(sent))
    client.disconnect_from_host()
    server.close()


# ------------------------------------------------------------------ the server writes


def _raw_ws_client(port: int) -> Any:
    return ws_connect(f"ws://127.0.0.1:{port}", open_timeout=5, close_timeout=1)


def _joined_server() -> tuple[WebSocketServer, list[int]]:
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    assert server.listen(0) == OK
    joined: list[int] = []
    server.client_connected.connect(lambda peer_id, protocol: joined.append(peer_id))
    return server, joined


def _run_in_thread(fn: Any) -> threading.Thread:
    thread = threading.Thread(target=fn, daemon=True)
    thread.start()
    return thread


def _poll_server_until(server: WebSocketServer, condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        server.poll()
        time.sleep(0.0005)


def test_server_answers_from_its_handler_leave_before_poll_returns() -> None:
    server, joined = _joined_server()
    answered: list[int] = []

    def answer(peer_id: int) -> None:
        peer = server.get_peer(peer_id)
        assert peer is not None
        peer.put_packet(b"re: " + peer.get_packet())
        answered.append(peer_id)

    server.data_received.connect(answer)
    result: list[Any] = []

    def client_side() -> None:
        with _raw_ws_client(server.get_local_port()) as ws:
            ws.send(b"ping")
            result.append(ws.recv(timeout=5))

    thread = _run_in_thread(client_side)
    # Poll only until the handler has run: its answer needs no further poll.
    _poll_server_until(server, lambda: bool(answered))
    thread.join(5)
    assert result == [b"re: ping"]
    server.stop()


def test_server_put_after_poll_and_disconnect_peer_are_on_the_wire_at_once() -> None:
    server, joined = _joined_server()
    sock = socket.create_connection(("127.0.0.1", server.get_local_port()))
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 b"Sec-WebSocket-Version: 13\r\n\r\n")
    _poll_server_until(server, lambda: bool(joined))
    server.poll()
    peer = server.get_peer(joined[0])
    assert peer is not None
    assert peer.put_packet(b"hello") == OK
    server.disconnect_peer(joined[0], 4002, "done")
    # No poll from here on: both frames must already be on the wire.
    want = bytes((0x82, 5)) + b"hello" + bytes((0x88, 6)) + (4002).to_bytes(2, "big") + b"done"
    sock.settimeout(5)
    data = b""
    while not data.endswith(want):
        chunk = sock.recv(4096)
        assert chunk, f"connection closed; got {data!r}"
        data += chunk
    assert data.split(b"\r\n\r\n", 1)[1] == want
    sock.close()
    server.stop()


# ------------------------------------------------------------------ multiplayer


def test_multiplayer_put_after_poll_reaches_the_other_client_in_one_host_poll() -> None:
    host = WebSocketServer()
    host.bind_ip = "127.0.0.1"
    assert host.listen(0, gd_mp_api=True) == OK
    url = f"ws://127.0.0.1:{host.get_local_port()}"
    a, b = WebSocketClient(), WebSocketClient()
    for c in (a, b):
        c.connect_to_url(url, gd_mp_api=True)
    deadline = time.monotonic() + 5
    while not (a.get_unique_id() and b.get_unique_id() and a.get_connection_status() == 2
               and b.get_connection_status() == 2):
        assert time.monotonic() < deadline
        for node in (host, a, b):
            node.poll()
        time.sleep(0.0005)
    for _ in range(20):  # settle the SYS_ADD traffic
        for node in (host, a, b):
            node.poll()
    a.set_target_peer(b.get_unique_id())
    a.poll()
    assert a.put_packet(b"to b") == OK  # written through: no a.poll() after this
    got = b""
    deadline = time.monotonic() + 5
    while not got:
        assert time.monotonic() < deadline
        host.poll()  # reads a's message and relays it before returning
        b.poll()
        if b.get_available_packet_count():
            got = b.get_packet()
    assert got == b"to b"
    for c in (a, b):
        c.disconnect_from_host()
    host.stop()


# ------------------------------------------------------------------ _exit_tree() and exit

EXIT_TREE_SCRIPT = textwrap.dedent('''
    """Ported line by line from a GDScript client node:

        extends Node
        var _client = WebSocketClient.new()
        func _ready():
            _client.connect("connection_established", self, "_connected")
            _client.connect("data_received", self, "_on_data")
            _client.connect_to_url(url)
        func _process(_delta):
            _client.poll()
        func _connected(_proto):
            _client.get_peer(1).put_packet("hello".to_utf8())
        func _on_data():
            print(_client.get_peer(1).get_packet().get_string_from_utf8())
            get_tree().quit()
        func _exit_tree():
            _client.disconnect_from_host()
    """
    import sys
    import time

    from godot_ws import WebSocketClient


    class Main:
        def __init__(self, url):
            self._client = WebSocketClient()
            self.quit = False
            self._client.connect("connection_established", self, "_connected")
            self._client.connect("data_received", self, "_on_data")
            self._client.connect_to_url(url)

        def _process(self, delta):
            self._client.poll()

        def _connected(self, proto):
            self._client.get_peer(1).put_packet("hello".encode())

        def _on_data(self):
            print(self._client.get_peer(1).get_packet().decode(), flush=True)
            self.quit = True

        def _exit_tree(self):
            self._client.disconnect_from_host()


    node = Main(sys.argv[1])
    deadline = time.monotonic() + 10
    while not node.quit and time.monotonic() < deadline:
        node._process(1 / 60)
        time.sleep(1 / 60)
    node._exit_tree()  # then the process ends: no more polls
''')


def _run_exit_tree_script(tmp_path: Path, url: str) -> str:
    script = tmp_path / "exit_tree_client.py"
    script.write_text(EXIT_TREE_SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, str(script), url], capture_output=True, text=True,
                          timeout=30, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_exit_tree_close_ends_cleanly_on_a_websockets_server(tmp_path: Path) -> None:
    codes: list[Any] = []

    def handler(ws: ServerConnection) -> None:
        for message in ws:
            ws.send(message)
        codes.append((ws.close_code, ws.close_reason))

    server = WebsocketsServer(handler)
    try:
        assert _run_exit_tree_script(tmp_path, server.url).strip() == "hello"
        deadline = time.monotonic() + 5
        while not codes and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        server.close()
    assert codes == [(1000, "")]


def test_exit_tree_close_ends_cleanly_on_our_server(tmp_path: Path) -> None:
    server, joined = _joined_server()
    closed: list[tuple[int, bool]] = []
    server.data_received.connect(
        lambda pid: server.get_peer(pid).put_packet(server.get_peer(pid).get_packet()))
    server.client_disconnected.connect(lambda pid, clean: closed.append((pid, clean)))
    url = f"ws://127.0.0.1:{server.get_local_port()}"
    script = tmp_path / "exit_tree_client.py"
    script.write_text(EXIT_TREE_SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, str(script), url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 20
        while not closed and time.monotonic() < deadline:
            server.poll()
            time.sleep(0.001)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        server.stop()
    assert out.strip() == "hello", err
    assert closed == [(joined[0], True)]


@pytest.mark.parametrize("count", [1, WRITE_THROUGH, WRITE_THROUGH + 1])
def test_every_put_of_a_frame_arrives_by_the_next_poll(count: int) -> None:
    server = WireServer()
    client = _connected(server.url)
    peer = client.get_peer(1)
    assert peer is not None
    client.poll()
    for i in range(count):
        peer.put_packet(b"%d" % i)
    if count <= WRITE_THROUGH:
        assert len(server.wait_for(count)) == count  # all written through
    client.poll()  # at the latest, the next poll writes the rest
    assert [p for _, p in server.wait_for(count)] == [b"%d" % i for i in range(count)]
    client.disconnect_from_host()
    server.close()
