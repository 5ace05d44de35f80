"""Echo server on godot_ws's ``WebSocketServer``, for Autobahn|Testsuite's fuzzing client.

Python 3. Drives godot_ws only through its Godot-style public API, the way a Godot game loop
would: ``poll()`` once per frame, drain every client's packets and echo each one with the
write mode it came with, sleep briefly when a frame had nothing to do. A message that meets a
full output buffer (``put_packet`` returns ERR_OUT_OF_MEMORY) waits in that client's backlog
and is retried after the next poll; meanwhile that client's input is not drained, so its
input queue applies back-pressure.

    python tests/autobahn/echo_server.py --port 9001
    wstest -m fuzzingclient -s spec.json   # servers: [{"url": "ws://127.0.0.1:9001"}]

Prints ``READY <port>`` (flushed) once listening, then runs until SIGTERM / SIGINT or until
``--lifetime`` seconds have passed. Exit status 0 after a normal stop, 2 when it could not
listen.
"""

from __future__ import annotations

import argparse
import collections
import logging
import os
import signal
import sys
import time
from typing import Any

# Runnable from a checkout without installing godot_ws.
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

import godot_ws as gw  # noqa: E402
from godot_ws.godot3.server import WebSocketServer  # noqa: E402

# Godot's set_buffers() units: KiB and packets. 64 MiB each way and 65536 packets cover
# Autobahn's group 9 (16 MiB messages, up to 1M fragments of one message).
DEFAULT_BUFFERS = (65536, 65536, 65536, 65536)
IDLE_SLEEP = 0.0005
DEFAULT_LIFETIME = 3600.0


class EchoServer:
    """Echo every message back to its sender with the same write mode."""

    def __init__(
        self, buffers: tuple[int, int, int, int] = DEFAULT_BUFFERS, compression: bool = False
    ) -> None:
        self.server = WebSocketServer()
        self.server.bind_ip = "127.0.0.1"
        # The fuzzingclient (Python 2) may be slow to send its upgrade on a loaded machine:
        # conformance, not handshake speed, is measured here (the default is 3 s).
        self.server.handshake_timeout = 30.0
        self.server.compression_enabled = compression
        err = self.server.set_buffers(*buffers)
        if err != gw.OK:
            raise RuntimeError(f"set_buffers{buffers} returned {err!r}")
        # id -> messages (payload, is_text) waiting for room in that client's output buffer
        self.backlog: dict[int, collections.deque[tuple[bytes, bool]]] = {}
        self.stats: collections.Counter[str] = collections.Counter()
        self.server.client_connected.connect(self._on_connected)
        self.server.client_disconnected.connect(self._on_disconnected)

    def _on_connected(self, peer_id: int, protocol: str = "") -> None:
        self.backlog[peer_id] = collections.deque()
        self.stats["connected"] += 1

    def _on_disconnected(self, peer_id: int, was_clean: bool = False) -> None:
        self.backlog.pop(peer_id, None)
        self.stats["clean" if was_clean else "unclean"] += 1

    def listen(self, port: int) -> int:
        err = self.server.listen(port)
        if err != gw.OK:
            raise RuntimeError(f"listen({port}) returned {err!r}")
        return int(self.server.get_local_port())

    def _send(self, peer: Any, data: bytes, is_text: bool) -> bool:
        """put_packet once; False when the output buffer is full (retry after a poll)."""
        peer.set_write_mode(
            gw.WebSocketPeer.WRITE_MODE_TEXT if is_text else gw.WebSocketPeer.WRITE_MODE_BINARY
        )
        err = peer.put_packet(data)
        if err == gw.ERR_OUT_OF_MEMORY:
            self.stats["out_of_memory"] += 1
            return False
        if err != gw.OK:
            # FAILED: the connection is closing; the message can no longer be sent.
            self.stats[f"put_packet {err!r}"] += 1
        return True

    def frame(self) -> bool:
        """One game-loop frame: poll, then echo. True when anything moved."""
        server = self.server
        server.poll()
        busy = False
        for peer_id, pending in list(self.backlog.items()):
            if not server.has_peer(peer_id):
                continue
            peer = server.get_peer(peer_id)
            if peer is None:
                continue
            while pending:
                data, is_text = pending[0]
                if not self._send(peer, data, is_text):
                    break
                pending.popleft()
                busy = True
            while not pending and peer.get_available_packet_count():
                data = peer.get_packet()
                is_text = bool(peer.was_string_packet())
                busy = True
                if not self._send(peer, data, is_text):
                    pending.append((bytes(data), is_text))
        return busy

    def stop(self) -> None:
        self.server.stop()


class EchoServer4:
    """The same echo as a Godot 4 server script writes it: ``TCPServer`` accepts,
    ``WebSocketPeer.accept_stream`` upgrades inside ``poll()``, every peer is polled and
    echoes with ``send(data, mode)``; buffers are the peers' properties (``--buffers``'s
    KiB and packets)."""

    def __init__(self, buffers: tuple[int, int, int, int] = DEFAULT_BUFFERS) -> None:
        from godot_ws.godot4 import TCPServer

        self.tcp = TCPServer()
        self.buffers = buffers
        self.peers: list[Any] = []
        self.backlog: dict[int, collections.deque[tuple[bytes, bool]]] = {}
        self.stats: collections.Counter[str] = collections.Counter()

    def listen(self, port: int) -> int:
        err = self.tcp.listen(port, "127.0.0.1")
        if err != gw.OK:
            raise RuntimeError(f"listen({port}) returned {err!r}")
        return int(self.tcp.get_local_port())

    def frame(self) -> bool:
        from godot_ws.godot4 import WebSocketPeer

        busy = False
        while self.tcp.is_connection_available():
            peer = WebSocketPeer()
            peer.inbound_buffer_size = self.buffers[0] * 1024
            peer.max_queued_packets = max(self.buffers[1], self.buffers[3])
            peer.outbound_buffer_size = self.buffers[2] * 1024
            peer.accept_stream(self.tcp.take_connection())
            self.peers.append(peer)
            self.backlog[id(peer)] = collections.deque()
            self.stats["connected"] += 1
        for peer in list(self.peers):
            peer.poll()
            state = peer.get_ready_state()
            pending = self.backlog[id(peer)]
            if state == WebSocketPeer.STATE_OPEN:
                while pending:
                    data, is_text = pending[0]
                    if not self._send(peer, data, is_text):
                        break
                    pending.popleft()
                    busy = True
                while not pending and peer.get_available_packet_count():
                    data = peer.get_packet()
                    is_text = bool(peer.was_string_packet())
                    busy = True
                    if not self._send(peer, data, is_text):
                        pending.append((data, is_text))
            elif state == WebSocketPeer.STATE_CLOSED:
                self.peers.remove(peer)
                del self.backlog[id(peer)]
                self.stats["closed %d" % peer.get_close_code()] += 1
        return busy

    def _send(self, peer: Any, data: bytes, is_text: bool) -> bool:
        err = peer.send(data, peer.WRITE_MODE_TEXT if is_text else peer.WRITE_MODE_BINARY)
        if err == gw.ERR_OUT_OF_MEMORY:
            self.stats["out_of_memory"] += 1
            return False
        if err != gw.OK:
            self.stats[f"send {err!r}"] += 1
        return True

    def stop(self) -> None:
        for peer in self.peers:
            peer.close(-1)
        self.tcp.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0, help="0: any free port (default)")
    ap.add_argument(
        "--lifetime",
        type=float,
        default=DEFAULT_LIFETIME,
        help="exit after this many seconds (default %(default)s)",
    )
    ap.add_argument(
        "--buffers",
        default=",".join(map(str, DEFAULT_BUFFERS)),
        help="set_buffers(in_kb,in_pkts,out_kb,out_pkts); default %(default)s",
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="log godot_ws's lines")
    ap.add_argument("--compression", action="store_true",
                    help="accept permessage-deflate (compression_enabled)")
    ap.add_argument("--godot4", action="store_true",
                    help="serve with godot_ws.godot4 (TCPServer + WebSocketPeer.accept_stream)")
    args = ap.parse_args(argv)
    parts = tuple(int(p) for p in args.buffers.split(","))
    if len(parts) != 4:
        ap.error("--buffers needs four numbers: in_kb,in_pkts,out_kb,out_pkts")
    buffers = (parts[0], parts[1], parts[2], parts[3])

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="echo_server %(levelname)s: %(message)s",
        stream=sys.stderr,
    )

    stopping = False

    def on_signal(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    echo: EchoServer | EchoServer4 = (
        EchoServer4(buffers) if args.godot4 else EchoServer(buffers, args.compression)
    )
    try:
        port = echo.listen(args.port)
    except RuntimeError as exc:
        print(f"echo_server: {exc}", file=sys.stderr)
        return 2
    print(f"READY {port}", flush=True)

    end = time.monotonic() + args.lifetime
    try:
        while not stopping and time.monotonic() < end:
            if not echo.frame():
                time.sleep(IDLE_SLEEP)
    finally:
        echo.stop()
        print(f"echo_server: stopped; {dict(echo.stats)}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
