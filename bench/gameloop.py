"""godot_ws as a game uses it: ``python -m bench.gameloop``.

Owns two godot_ws-only measurements:

- ``game_rtt``: two processes each calling ``poll()`` once per 60 FPS frame. The host
  (``--host``, a plain ``WebSocketServer``) answers each message from its ``data_received``
  handler; the client sends a message stamped with ``time.perf_counter()`` right after its
  poll and, at each poll, reads the answers. The round trip is reported in frames (seconds
  times the frame rate): 1.0 means the answer was there at the very next poll.
- ``host_idle``: a ``WebSocketServer`` with N joined clients that send nothing (raw sockets
  in the same fresh process); the time of one ``server.poll()``. With ``slow``, the N
  connections instead send one line of their upgrade request and then nothing (slowloris).

Run alone: ``python -m bench.gameloop --rtt 300`` or ``--host-idle 1000``; ``python -m bench``
runs both. The host process exits when its stdin closes or after ``--lifetime`` seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import statistics
import struct
import subprocess
import sys
import time
from typing import Any

__all__ = ["game_rtt", "host_idle"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FPS = 60.0
_STAMP = struct.Struct("<d")


def _frames(fps: float) -> Any:
    """Sleep to each next frame boundary (a fixed-step game loop that never catches up)."""
    step = 1.0 / fps
    next_frame = time.perf_counter()
    while True:
        next_frame += step
        delay = next_frame - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        else:
            next_frame = time.perf_counter()
        yield


def run_host(fps: float, lifetime: float) -> None:
    from godot_ws import WebSocketServer

    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    if server.listen(0) != 0:
        raise SystemExit("listen failed")

    def answer(peer_id: int) -> None:
        peer = server.get_peer(peer_id)
        if peer is not None:
            while peer.get_available_packet_count():
                peer.put_packet(peer.get_packet())

    server.data_received.connect(answer)
    print(server.get_local_port(), flush=True)
    end = time.monotonic() + lifetime
    stdin = sys.stdin.fileno()
    for _ in _frames(fps):
        server.poll()
        if time.monotonic() > end:
            break
        if select.select([stdin], [], [], 0)[0] and not os.read(stdin, 4096):
            break  # the harness closed our stdin (or died)
    server.stop()


def game_rtt(frames: int, fps: float = FPS) -> tuple[float, float]:
    """(median, p95) round trip in frames over ``frames`` client frames."""
    from godot_ws import WebSocketClient

    host = subprocess.Popen(
        [sys.executable, "-m", "bench.gameloop", "--host", "--fps", str(fps)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )
    try:
        assert host.stdout is not None
        ready, _, _ = select.select([host.stdout], [], [], 15.0)
        line = host.stdout.readline() if ready else b""
        if not line.strip().isdigit():
            raise RuntimeError(f"game host did not report a port: {line!r}")
        client = WebSocketClient()
        client.connect_to_url(f"ws://127.0.0.1:{int(line)}")
        deadline = time.monotonic() + 10
        while client.get_connection_status() != 2:
            if time.monotonic() > deadline:
                raise RuntimeError("could not connect to the game host")
            client.poll()
            time.sleep(0.001)
        peer = client.get_peer(1)
        assert peer is not None
        rtts: list[float] = []
        sent = 0
        warm = 10  # frames before measuring (both loops settle)
        for frame_no, _ in enumerate(_frames(fps)):
            client.poll()
            now = time.perf_counter()
            while peer.get_available_packet_count():
                (stamp,) = _STAMP.unpack(peer.get_packet())
                if stamp > 0:
                    rtts.append((now - stamp) * fps)
            if frame_no >= warm + frames + 30 or len(rtts) >= frames:
                break
            if frame_no >= warm and sent < frames:
                peer.put_packet(_STAMP.pack(time.perf_counter()))
                sent += 1
        client.disconnect_from_host()
        if len(rtts) < frames:
            raise RuntimeError(f"only {len(rtts)} of {frames} answers came back")
        rtts.sort()
        return statistics.median(rtts), rtts[min(len(rtts) - 1, int(len(rtts) * 0.95))]
    finally:
        if host.poll() is None:
            try:
                assert host.stdin is not None
                host.stdin.close()
                host.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                host.kill()
                host.wait(5)
        if host.stdout is not None:
            host.stdout.close()


_UPGRADE = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def host_idle(n: int, samples: int, slow: bool = False, face: str = "3") -> float:
    """Median microseconds of one host ``poll()`` with ``n`` idle joined clients (``slow``:
    ``n`` handshakes stuck after their first line); ``face`` "3": a ``WebSocketServer``,
    "4": a Godot 4 ``WebSocketMultiplayerPeer`` server."""
    from bench.server import raise_nofile
    from godot_ws import WebSocketServer
    from godot_ws.godot4 import WebSocketMultiplayerPeer

    raise_nofile(2 * n + 256)
    joined: list[int] = []
    server: WebSocketServer | WebSocketMultiplayerPeer
    if face == "3":
        server = WebSocketServer()
        server.bind_ip = "127.0.0.1"
        server.handshake_timeout = 600.0
        if server.listen(0) != 0:
            raise RuntimeError("listen failed")
        server.client_connected.connect(lambda peer_id, protocol: joined.append(peer_id))
    else:
        server = WebSocketMultiplayerPeer()
        server.handshake_timeout = 600.0
        if server.create_server(0, "127.0.0.1") != 0:
            raise RuntimeError("create_server failed")
        server.peer_connected.connect(joined.append)
    port = server.get_local_port()
    socks: list[socket.socket] = []
    deadline = time.monotonic() + 60
    while len(socks) < n:
        batch = [socket.create_connection(("127.0.0.1", port))
                 for _ in range(min(50, n - len(socks)))]
        for s in batch:
            s.sendall(_UPGRADE.split(b"\r\n", 1)[0] + b"\r\n" if slow else _UPGRADE)
        socks.extend(batch)
        if slow:
            for _ in range(5):
                server.poll()
            continue
        while len(joined) < len(socks):
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(joined)} of {n} clients joined")
            server.poll()
    for _ in range(20):
        server.poll()
    reps = 200
    out = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(reps):
            server.poll()
        out.append((time.perf_counter() - t0) / reps * 1e6)
    for s in socks:
        s.close()
    return statistics.median(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.gameloop")
    ap.add_argument("--host", action="store_true", help="run the game host (prints its port)")
    ap.add_argument("--fps", type=float, default=FPS)
    ap.add_argument("--lifetime", type=float, default=600.0)
    ap.add_argument("--rtt", type=int, default=0, metavar="FRAMES",
                    help="measure the game-loop round trip over FRAMES frames")
    ap.add_argument("--host-idle", type=int, default=0, metavar="N",
                    help="time a host poll with N idle clients (JSON on stdout)")
    ap.add_argument("--host-slow", type=int, default=0, metavar="N",
                    help="time a host poll with N stalled handshakes (JSON on stdout)")
    ap.add_argument("--samples", type=int, default=15)
    args = ap.parse_args(argv)
    if args.host:
        run_host(args.fps, args.lifetime)
        return
    result: dict[str, Any] = {}
    if args.rtt:
        median, p95 = game_rtt(args.rtt, args.fps)
        result.update(rtt_median_frames=median, rtt_p95_frames=p95)
    if args.host_idle:
        result["host_poll_us"] = host_idle(args.host_idle, args.samples)
    if args.host_slow:
        result["host_slow_poll_us"] = host_idle(args.host_slow, args.samples, slow=True)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    if args.host_idle or args.host_slow:
        os._exit(0)  # no teardown of N sockets


if __name__ == "__main__":
    main()
