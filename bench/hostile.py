"""A host under hostile peers: ``python -m bench.hostile`` (issue 25).

Owns two godot_ws-only measurements:

- ``under_attack``: a host (the 3.x ``WebSocketServer`` or Godot 4's
  ``WebSocketMultiplayerPeer``) polls once per 60 FPS frame while N raw connections (one
  attacker process) flood it with empty pings or 1-byte messages as fast as their sockets
  take them, and one honest raw client (another process) sends a stamped message each frame
  that the host answers from its poll. Reported: the host's median and p95 poll CPU time (ms;
  the machine is shared, so time the process was not scheduled is left out), and the honest
  client's median round trip in frames (1.0 = answered within one frame).
- ``idle_memory``: a 3.x host's memory per joined idle connection, plain and with
  permessage-deflate (each client sent one compressed message and got one back, so both
  directions' zlib state exists): tracemalloc and RSS growth over N connections, divided by N.

Run alone: ``python -m bench.hostile --face 3 --kind ping --attackers 200 --seconds 3`` or
``--memory 500 [--compressed]``; ``python -m bench`` runs a set once (``--quick``: small
counts), each in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import select
import socket
import ssl
import statistics
import struct
import subprocess
import sys
import time
import tracemalloc
import zlib
from typing import Any

__all__ = ["under_attack", "idle_memory", "rows", "run_rows"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FPS = 60.0
_STAMP = struct.Struct("<d")
_UPGRADE = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
_DEFLATE = b"Sec-WebSocket-Extensions: permessage-deflate\r\n"
_KEY = b"\x01\x02\x03\x04"


def _masked(opcode: int, payload: bytes = b"", rsv1: bool = False) -> bytes:
    body = bytes(b ^ _KEY[i % 4] for i, b in enumerate(payload))
    return bytes((0x80 | (0x40 if rsv1 else 0) | opcode, 0x80 | len(payload))) + _KEY + body


def _client_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the host's certificate is made for the run
    return context


def _handshake(port: int, extra: bytes = b"", tls: bool = False) -> tuple[socket.socket, bytes]:
    """A connection that finished the upgrade, and the bytes that came after the reply."""
    s = socket.create_connection(("127.0.0.1", port))
    if tls:
        s.settimeout(10)
        s = _client_tls().wrap_socket(s)
    s.sendall(_UPGRADE + extra + b"\r\n")
    head = b""
    s.settimeout(10)
    while b"\r\n\r\n" not in head:
        got = s.recv(4096)
        if not got:
            raise RuntimeError("the host closed a connection during its handshake")
        head += got
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"handshake refused: {head[:60]!r}")
    s.setblocking(False)
    return s, head.split(b"\r\n\r\n", 1)[1]


# ------------------------------------------------------------------ processes

def _hello(port: int, context: ssl.SSLContext) -> ssl.SSLSocket:
    """A TLS connection that sent its ClientHello and will never send more."""
    tls = context.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                              do_handshake_on_connect=False)
    tls.setblocking(False)
    try:
        tls.do_handshake()
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
        pass
    return tls


def run_hellos(port: int, n: int, seconds: float) -> None:
    """Keep ``n`` TLS handshakes open that sent a ClientHello and stall; one the host drops
    (its handshake_timeout) is replaced at once, so each second brings new ClientHellos."""
    context = _client_tls()
    socks = [_hello(port, context) for _ in range(n)]
    print("ready", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        readable, _, _ = select.select(socks, [], [], 0.05)
        for s in readable:
            try:
                if s.recv(65536):
                    continue  # the ServerHello: read and ignored
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                continue
            except OSError:
                pass
            s.close()  # dropped by the host: a new one takes its place
            socks[socks.index(s)] = _hello(port, context)
    for s in socks:
        s.close()


def run_attackers(port: int, n: int, kind: str, seconds: float) -> None:
    """Open ``n`` connections, then flood them for ``seconds`` without reading."""
    if kind == "tls":
        run_hellos(port, n, seconds)
        return
    socks = []
    for _ in range(n):
        s, _ = _handshake(port)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 16)
        socks.append(s)
    print("ready", flush=True)
    chunk = (_masked(9) if kind == "ping" else _masked(2, b"x")) * 8192
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        _, writable, _ = select.select([], socks, [], 0.05)
        for s in writable:
            try:
                s.send(chunk)
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                socks.remove(s)
        if not socks:
            break
    for s in socks:
        s.close()


def run_honest(port: int, face: str, seconds: float, tls: bool = False) -> None:
    """Send a stamped message each frame; print the round trips (frames) as JSON."""
    s, buf = _handshake(port, tls=tls)
    s.setblocking(True)
    s.settimeout(5)
    if face == "4":
        while len(buf) < 6:  # the host's id message: 0x82 0x04 + int32
            buf += s.recv(64)
        buf = buf[6:]
    s.setblocking(False)
    rtts: list[float] = []
    step = 1.0 / FPS
    next_frame = time.perf_counter()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        next_frame += step
        delay = next_frame - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        try:
            buf += s.recv(65536)
        except (BlockingIOError, ssl.SSLWantReadError):
            pass
        now = time.perf_counter()
        while len(buf) >= 2 and len(buf) >= 2 + (buf[1] & 0x7F):
            n = buf[1] & 0x7F
            payload, buf = buf[2:2 + n], buf[2 + n:]
            if len(payload) == _STAMP.size:
                rtts.append((now - _STAMP.unpack(payload)[0]) * FPS)
        s.sendall(_masked(2, _STAMP.pack(time.perf_counter())))
    s.close()
    print(json.dumps(rtts), flush=True)


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bench.hostile", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _certificate() -> tuple[Any, Any]:
    """A key and a certificate for 127.0.0.1, made now (trustme, from the test extras)."""
    import trustme

    from godot_ws import CryptoKey, X509Certificate

    issued = trustme.CA().issue_cert("127.0.0.1")
    key = CryptoKey()
    key.load_from_string(issued.private_key_pem.bytes().decode())
    cert = X509Certificate()
    cert.load_from_string("".join(p.bytes().decode() for p in issued.cert_chain_pems))
    return key, cert


class _Host:
    """The host of one face, answering the honest client's stamped messages."""

    def __init__(self, face: str, tls: bool = False) -> None:
        self.face = face
        key, cert = _certificate() if tls else (None, None)
        if face == "3":
            from godot_ws import WebSocketServer

            server = WebSocketServer()
            server.bind_ip = "127.0.0.1"
            if key is not None:
                server.private_key, server.ssl_certificate = key, cert
            if server.listen(0) != 0:
                raise RuntimeError("listen failed")

            def answer(peer_id: int) -> None:
                peer = server.get_peer(peer_id)
                assert peer is not None
                while peer.get_available_packet_count():
                    packet = peer.get_packet()
                    if len(packet) == _STAMP.size:
                        peer.put_packet(packet)

            server.data_received.connect(answer)
            self.server: Any = server
        else:
            from godot_ws.godot4 import WebSocketMultiplayerPeer

            from godot_ws.godot4 import TLSOptions

            mp = WebSocketMultiplayerPeer()
            options = TLSOptions.server(key, cert) if key is not None else None
            if mp.create_server(0, "127.0.0.1", options) != 0:
                raise RuntimeError("create_server failed")
            self.server = mp
        self.port = self.server.get_local_port()

    def poll(self) -> None:
        self.server.poll()
        if self.face == "4":
            mp = self.server
            while mp.get_available_packet_count():
                source = mp.get_packet_peer()
                packet = mp.get_packet()
                if len(packet) == _STAMP.size:
                    mp.set_target_peer(source)
                    mp.put_packet(packet)

    def stop(self) -> None:
        if self.face == "3":
            self.server.stop()
        else:
            self.server.close()


def under_attack(face: str, kind: str, attackers: int, seconds: float) -> dict[str, float]:
    """The host's poll times and the honest client's round trip while ``attackers`` flood."""
    tls = kind == "tls"
    host = _Host(face, tls)
    procs = [_spawn("--attack", str(host.port), str(attackers), kind, str(seconds + 30))]
    try:
        deadline = time.monotonic() + 60
        ready = False
        while not ready:  # poll while the attackers connect
            if time.monotonic() > deadline:
                raise RuntimeError("the attackers did not connect")
            host.poll()
            out = procs[0].stdout
            assert out is not None
            if select.select([out], [], [], 0.001)[0]:
                ready = out.readline().strip() == "ready"
                if not ready:
                    raise RuntimeError("the attacker process failed: "
                                       + (procs[0].stderr.read() if procs[0].stderr else ""))
        honest = _spawn("--honest", str(host.port), face, str(seconds), *(["--tls"] if tls else []))
        procs.append(honest)
        polls: list[float] = []
        step = 1.0 / FPS
        next_frame = time.perf_counter()
        end = time.monotonic() + seconds + 30
        # Until the honest client is done (it starts, connects, then sends for ``seconds``).
        while honest.poll() is None and time.monotonic() < end:
            next_frame += step
            delay = next_frame - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            else:
                next_frame = time.perf_counter()
            t0 = time.thread_time()  # CPU time: the machine is shared, waits are not ours
            host.poll()
            polls.append((time.thread_time() - t0) * 1e3)
        honest_out, honest_err = procs[1].communicate(timeout=30)
        rtts = json.loads(honest_out.strip().splitlines()[-1]) if honest_out.strip() else []
        if len(rtts) < 5:
            raise RuntimeError(f"the honest client got {len(rtts)} answers: {honest_err[-200:]}")
        polls.sort()
        return {"poll_ms": statistics.median(polls),
                "poll_p95_ms": polls[int(len(polls) * 0.95)],
                "poll_max_ms": polls[-1],
                "honest_rtt_frames": statistics.median(rtts)}
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait(10)
            for stream in (p.stdout, p.stderr):
                if stream is not None:
                    stream.close()
        host.stop()


def _rss_kib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1024


def idle_memory(n: int, compressed: bool) -> dict[str, float]:
    """KiB per idle joined connection of a 3.x host (tracemalloc, RSS)."""
    from bench.server import raise_nofile
    from godot_ws import WebSocketServer

    raise_nofile(2 * n + 256)
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    server.compression_enabled = compressed

    def echo(peer_id: int) -> None:
        peer = server.get_peer(peer_id)
        assert peer is not None
        while peer.get_available_packet_count():
            peer.put_packet(peer.get_packet())

    server.data_received.connect(echo)
    if server.listen(0) != 0:
        raise RuntimeError("listen failed")
    port = server.get_local_port()
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    text = b'{"player": 7, "x": 120.5, "y": 33.25, "state": "running"}' * 2
    message = (_masked(2, (c.compress(text) + c.flush(zlib.Z_SYNC_FLUSH))[:-4], rsv1=True)
               if compressed else _masked(2, text[:100]))
    for _ in range(20):
        server.poll()
    tracemalloc.start()
    base_traced = tracemalloc.get_traced_memory()[0]
    base_rss = _rss_kib()
    socks = []
    extra = _DEFLATE if compressed else b""
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(_UPGRADE + extra + b"\r\n" + message)
        socks.append(s)
        server.poll()
    deadline = time.monotonic() + 60
    pending = list(socks)
    while pending:  # every client has its answer: both directions were used once
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(pending)} of {n} connections got no answer")
        server.poll()
        for s in select.select(pending, [], [], 0.001)[0]:
            s.recv(65536)
            pending.remove(s)
    for _ in range(20):
        server.poll()
    traced = (tracemalloc.get_traced_memory()[0] - base_traced) / 1024 / n
    rss = (_rss_kib() - base_rss) / n
    tracemalloc.stop()
    return {"traced_kib": traced, "rss_kib": rss}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.hostile")
    ap.add_argument("--attack", nargs=4, metavar=("PORT", "N", "KIND", "SECONDS"))
    ap.add_argument("--honest", nargs=3, metavar=("PORT", "FACE", "SECONDS"))
    ap.add_argument("--tls", action="store_true", help="with --honest: connect with TLS")
    ap.add_argument("--face", choices=("3", "4"), default="3")
    ap.add_argument("--kind", choices=("ping", "tiny", "tls"), default="tiny")
    ap.add_argument("--attackers", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--memory", type=int, default=0, metavar="N",
                    help="KiB per idle connection over N connections")
    ap.add_argument("--compressed", action="store_true", help="with --memory: deflate on")
    ap.add_argument("--idle4", type=int, default=0, metavar="N",
                    help="time a Godot 4 host poll with N idle clients")
    args = ap.parse_args(argv)
    if args.attack:
        port, n, kind, seconds = args.attack
        run_attackers(int(port), int(n), kind, float(seconds))
        return
    if args.honest:
        port, face, seconds = args.honest
        run_honest(int(port), face, float(seconds), args.tls)
        return
    if args.idle4:
        from bench.gameloop import host_idle

        result = {"poll_us": host_idle(args.idle4, 15, face="4")}
    elif args.memory:
        result = idle_memory(args.memory, args.compressed)
    else:
        result = under_attack(args.face, args.kind, args.attackers, args.seconds)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)  # no teardown of N sockets


if __name__ == "__main__":
    main()


# ------------------------------------------------------------------ python -m bench rows

#: (row key, face, kind) of the rows python -m bench shows; the honest round trip of each
#: is the same key with "_rtt".
ATTACKS = [("hostile_tiny_3", "3", "tiny"), ("hostile_ping_3", "3", "ping"),
           ("hostile_tls_3", "3", "tls"), ("hostile_tiny_4", "4", "tiny"),
           ("hostile_ping_4", "4", "ping"), ("hostile_tls_4", "4", "tls")]
MEMORY = [("host_mem_plain", False), ("host_mem_deflate", True)]


def rows(attackers: int) -> list[tuple[str, str, str, str]]:
    """(key, title, unit, target) of every hostile row, in table order."""
    faces = {"3": "3.x host", "4": "Godot 4 host"}
    kinds = {"tiny": "poll, {} conns flooding 1-byte messages",
             "ping": "poll, {} conns flooding pings",
             "tls": "longest poll, {} stalled TLS handshakes renewed"}
    out = []
    for key, face, kind in ATTACKS:
        out.append((key, f"{faces[face]} {kinds[kind].format(attackers)}", "ms", "<= 16.7 ms"))
        out.append((key + "_rtt", "  honest peer's round trip meanwhile", "frames",
                    "<= 2 frames"))
    out.append(("host_mem_plain", "3.x host memory/idle conn", "KiB", ""))
    out.append(("host_mem_deflate", "3.x host memory/idle conn, deflate", "KiB", ""))
    return out


def run_rows(keys: set[str], attackers: int, seconds: float, mem_n: int, idle_n: int,
             handshake_renewal: float = 4.0) -> tuple[dict[str, float], dict[str, str]]:
    """Measure the wanted rows, each in a fresh process: ({key: value}, {key: error})."""
    out: dict[str, float] = {}
    errors: dict[str, str] = {}
    jobs: list[tuple[list[str], list[str], dict[str, str]]] = []
    if "host4_poll_idle" in keys:
        jobs.append((["--idle4", str(idle_n)], ["host4_poll_idle"],
                     {"host4_poll_idle": "poll_us"}))
    for key, face, kind in ATTACKS:
        if key in keys or key + "_rtt" in keys:
            # TLS: the longest poll (ClientHellos come in bursts; between them a stalled
            # handshake costs nothing), over a flood long enough to see them renewed.
            stat, secs = (("poll_max_ms", handshake_renewal) if kind == "tls"
                          else ("poll_ms", seconds))
            jobs.append((["--face", face, "--kind", kind, "--attackers", str(attackers),
                          "--seconds", str(secs)], [key, key + "_rtt"],
                         {key: stat, key + "_rtt": "honest_rtt_frames"}))
    for key, compressed in MEMORY:
        if key in keys:
            jobs.append((["--memory", str(mem_n), *(["--compressed"] if compressed else [])],
                         [key], {key: "rss_kib", key + "_traced": "traced_kib"}))
    for args, row_keys, fields in jobs:
        try:
            r = _child(args)
        except Exception as e:  # one failed row does not lose the others
            for k in row_keys:
                errors[k] = f"{type(e).__name__}: {e}"
            continue
        for k, field in fields.items():
            out[k] = r[field]
    return out, errors


def _child(args: list[str]) -> dict[str, float]:
    r = subprocess.run([sys.executable, "-m", "bench.hostile", *args], cwd=ROOT,
                       capture_output=True, timeout=300, text=True)
    if r.returncode != 0:
        tail = (r.stderr or r.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"bench.hostile {' '.join(args)} exited {r.returncode}: "
                           f"{' | '.join(tail)}")
    result: dict[str, float] = json.loads(r.stdout.strip().splitlines()[-1])
    return result
