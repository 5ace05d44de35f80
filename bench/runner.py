"""Runs every scenario for every library, prints medians, ratios and target verdicts.

Owns the server subprocess's lifetime (started once, stopped on exit, never orphaned), the
order of runs, the ``bench.many`` subprocesses, the table and the JSON file. Scenario
logic lives in ``bench.libs``; wire details in ``bench.wire``.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import json
import os
import platform
import select
import signal
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from bench import hostile
from bench.libs import ADAPTERS, LIB_ORDER, PEERS

__all__ = ["main", "Scenario", "build_scenarios"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHORT = {"raw": "raw", "websocket-client": "wsc", "websockets": "websockets", "wsproto": "wsproto"}


@dataclass
class Scenario:
    key: str
    title: str
    unit: str
    higher_is_better: bool
    target: str = ""  # human-readable
    check: Callable[[dict[str, float]], bool | None] | None = None


def _ratio_check(peer: str, op: str, bound: float) -> Callable[[dict[str, float]], bool | None]:
    def check(med: dict[str, float]) -> bool | None:
        if "godot_ws" not in med or peer not in med or med[peer] <= 0:
            return None
        r = med["godot_ws"] / med[peer]
        return r >= bound if op == ">=" else r <= bound

    return check


def _abs_check(op: str, bound: float) -> Callable[[dict[str, float]], bool | None]:
    def check(med: dict[str, float]) -> bool | None:
        if "godot_ws" not in med:
            return None
        return med["godot_ws"] >= bound if op == ">=" else med["godot_ws"] <= bound

    return check


def build_scenarios(ns: list[int], host_n: int = 1000, hostile_n: int = 200) -> list[Scenario]:
    repl = "100 nodes x 32 peers" if host_n == 1000 else "10 nodes x 4 peers"  # --quick
    out = [
        Scenario(
            "recv_small",
            "receive 32-byte messages",
            "msg/s",
            True,
            ">= 15x wsc",
            _ratio_check("websocket-client", ">=", 15.0),
        ),
        Scenario(
            "recv_large",
            "receive 1 MiB, game holds the last",
            "GB/s",
            True,
            ">= 2x wsc",
            _ratio_check("websocket-client", ">=", 2.0),
        ),
        Scenario(
            "recv_large_drop",
            "receive 1 MiB, game drops each",
            "GB/s",
            True,
            ">= 2x wsc",
            _ratio_check("websocket-client", ">=", 2.0),
        ),
        Scenario(
            "send_small",
            "send 32-byte messages",
            "msg/s",
            True,
            ">= 6x wsc",
            _ratio_check("websocket-client", ">=", 6.0),
        ),
        Scenario(
            "echo_rtt",
            "echo round trip 32 B",
            "us",
            False,
            "<= 0.8x wsc",
            _ratio_check("websocket-client", "<=", 0.8),
        ),
        Scenario(
            "idle_check",
            "idle check, nothing to read",
            "us",
            False,
            "<= 1.3x raw",
            _ratio_check("raw", "<=", 1.3),
        ),
    ]
    for n in ns:
        sc = Scenario(f"poll_idle_{n}", f"poll over {n} idle conns", "us", False)
        if n == 1000:
            sc.target, sc.check = "<= 3000 us", _abs_check("<=", 3000.0)
        out.append(sc)
    out += [
        # godot_ws only (bench/gameloop.py): what a game sees.
        Scenario(
            "game_rtt",
            "game-loop round trip, 60 FPS, median",
            "frames",
            False,
            "<= 1.2 frames",
            _abs_check("<=", 1.2),
        ),
        Scenario("game_rtt_p95", "game-loop round trip, 60 FPS, p95", "frames", False),
        Scenario(
            "host_poll_idle",
            f"host poll, {host_n} idle clients",
            "us",
            False,
            "<= 500 us" if host_n == 1000 else "",
            _abs_check("<=", 500.0) if host_n == 1000 else None,
        ),
        Scenario("host_poll_slow", f"host poll, {host_n} stalled handshakes", "us", False),
        Scenario("host4_poll_idle", f"Godot 4 host poll, {host_n} idle clients", "us", False,
                 "<= 500 us" if host_n == 1000 else "",
                 _abs_check("<=", 500.0) if host_n == 1000 else None),
        # godot_ws only (bench/replication4.py): the Godot 4 host's CPU for moving players.
        Scenario("repl_sync", f"Godot 4 SYNC host CPU, {repl}: per node/peer/frame", "us",
                 False),
        Scenario("repl_rpc", f"same state by RPC, {repl}: per node/peer/frame", "us", False),
        Scenario(
            "mem_idle_traced",
            "memory/idle conn (tracemalloc)",
            "KiB",
            False,
            "<= 32 KiB",
            _abs_check("<=", 32.0),
        ),
        Scenario(
            "mem_idle_rss",
            "memory/idle conn (RSS delta)",
            "KiB",
            False,
            "<= 32 KiB",
            _abs_check("<=", 32.0),
        ),
    ]
    # Hostile peers (bench/hostile.py, measured once per python -m bench, not per run).
    for key, title, unit, target in hostile.rows(hostile_n):
        bound = float(target.split()[1]) if target else 0.0
        out.append(Scenario(key, title, unit, False, target,
                            _abs_check("<=", bound) if target else None))
    return out


@dataclass
class Counts:
    recv_small: int
    recv_large: int
    send_small: int
    echo: int
    idle: int
    ns: list[int]
    mem_n: int
    samples: int
    game_frames: int = 0  # game-loop round trips per run (bench/gameloop.py)
    host_n: int = 0  # idle clients of the host-poll measurement
    hostile_n: int = 0  # flooding connections of the hostile rows (bench/hostile.py)
    hostile_s: float = 0.0  # seconds each flood lasts
    hostile_tls_s: float = 0.0  # seconds of the TLS flood (longer than handshake_timeout)
    hostile_mem_n: int = 0  # idle connections of the host memory rows


FULL = Counts(
    recv_small=200_000,
    recv_large=400,
    send_small=100_000,
    echo=5_000,
    idle=100_000,
    ns=[1, 100, 1000],
    mem_n=1000,
    samples=15,
    game_frames=300,
    host_n=1000,
    hostile_n=200,
    hostile_s=3.0,
    hostile_tls_s=5.0,
    hostile_mem_n=500,
)
QUICK = Counts(
    recv_small=5_000,
    recv_large=8,
    send_small=3_000,
    echo=300,
    idle=3_000,
    ns=[1, 10, 100],
    mem_n=100,
    samples=3,
    game_frames=20,
    host_n=50,
    hostile_n=20,
    hostile_s=1.0,
    hostile_tls_s=1.0,
    hostile_mem_n=50,
)
WARM = Counts(
    recv_small=500, recv_large=2, send_small=500, echo=50, idle=200, ns=[], mem_n=0, samples=0
)
SMALL, LARGE = 32, 1 << 20


# ------------------------------------------------------------------------ server process


class Server:
    def __init__(self, lifetime: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.server", "--lifetime", str(lifetime)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        atexit.register(self.stop)
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 15.0)
        line = self.proc.stdout.readline() if ready else b""
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError(f"benchmark server did not report a port: {line!r}")
        self.port = int(line)
        self.base = f"ws://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        p = self.proc
        if p.poll() is None:
            try:
                assert p.stdin is not None
                p.stdin.close()  # the server exits on stdin EOF
                p.wait(2.0)
            except (OSError, subprocess.TimeoutExpired):
                p.kill()
                p.wait(5.0)
        for f in (p.stdin, p.stdout):
            try:
                if f:
                    f.close()
            except OSError:
                pass


# ------------------------------------------------------------------------------ running


def measure(
    lib: Any, key: str, base: str, c: Counts, large_bufs: tuple[int, int, int, int] | None
) -> float:
    """Run one timed scenario and return it in the scenario's unit."""
    dt: float
    if key == "recv_small":
        dt = lib.receive(base, c.recv_small, SMALL)
        return c.recv_small / dt
    if key in ("recv_large", "recv_large_drop"):
        hold = key == "recv_large"
        if lib.name in ("godot_ws", "godot_ws4"):
            dt = lib.receive(base, c.recv_large, LARGE, large_bufs, hold=hold)
        else:
            dt = lib.receive(base, c.recv_large, LARGE, hold=hold)
        return c.recv_large * LARGE / dt / 1e9
    if key == "send_small":
        dt = lib.send(base, c.send_small, SMALL)
        return c.send_small / dt
    if key == "echo_rtt":
        dt = lib.echo(base, c.echo, SMALL)
        return dt / c.echo * 1e6
    if key == "idle_check":
        dt = lib.idle_check(base, c.idle)
        return dt / c.idle * 1e6
    raise KeyError(key)


TIMED = ["recv_small", "recv_large", "recv_large_drop", "send_small", "echo_rtt", "idle_check"]


def run_many(name: str, base: str, c: Counts, mode: str) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.many",
        "--lib",
        name,
        "--base",
        base,
        "--ns",
        ",".join(map(str, c.ns)),
        "--mem-n",
        str(c.mem_n),
        "--mode",
        mode,
        "--samples",
        str(c.samples),
    ]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=300, text=True)
    if r.returncode != 0:
        tail = (r.stderr or r.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"bench.many {name} {mode} exited {r.returncode}: {' | '.join(tail)}")
    result: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
    return result


def _run_module(module: str, *args: str) -> dict[str, float]:
    """``python -m module args`` in a fresh process; its last stdout line is a JSON dict."""
    r = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True,
                       timeout=300, text=True)
    if r.returncode != 0:
        tail = (r.stderr or r.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{module} exited {r.returncode}: {' | '.join(tail)}")
    result: dict[str, float] = json.loads(r.stdout.strip().splitlines()[-1])
    return result


def run_gameloop(c: Counts) -> dict[str, float]:
    """The godot_ws-only game measurements, in a fresh process (bench/gameloop.py)."""
    return _run_module("bench.gameloop", "--rtt", str(c.game_frames), "--host-idle",
                       str(c.host_n), "--host-slow", str(c.host_n),
                       "--samples", str(max(3, c.samples)))


HOSTILE_PREFIXES = ("hostile_", "host_mem_", "host4_")
GAME_KEYS = {"game_rtt": "rtt_median_frames", "game_rtt_p95": "rtt_p95_frames",
             "host_poll_idle": "host_poll_us", "host_poll_slow": "host_slow_poll_us"}


def run_replication(c: Counts) -> dict[str, float]:
    """The Godot 4 replication rows, in a fresh process (bench/replication4.py)."""
    quick = ["--quick"] if c.samples < FULL.samples else []
    return _run_module("bench.replication4", "--samples", str(max(3, c.samples)), *quick)


REPL_KEYS = {"repl_sync": "sync_us", "repl_rpc": "rpc_us"}


def godot_ws_status() -> str | None:
    """None when godot_ws can be benchmarked, else why not."""
    try:
        import godot_ws

        godot_ws.WebSocketClient  # noqa: B018
        godot_ws.WebSocketPeer  # noqa: B018
    except Exception as e:  # any import-time failure means "not available yet"
        return f"{type(e).__name__}: {e}"
    return None


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("websocket-client", "websockets", "wsproto"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "missing"
    return out


def fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "-"
    if unit == "msg/s":
        return f"{v / 1e6:.2f} M" if v >= 1e6 else f"{v / 1e3:.0f} k"
    if unit == "GB/s":
        return f"{v:.2f}"
    if v >= 1000:
        return f"{v:.0f}"
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"


def render(scenarios: list[Scenario], med: dict[str, dict[str, float]], libs: list[str]) -> str:
    peers = [p for p in PEERS if p in libs]
    head = ["scenario", "unit", *libs]
    if "godot_ws" in libs:
        head += [f"gd/{SHORT[p]}" for p in peers] + ["target", "verdict"]
    rows = [head]
    for sc in scenarios:
        m = med.get(sc.key, {})
        row = [sc.title, sc.unit] + [fmt(m.get(lib), sc.unit) for lib in libs]
        if "godot_ws" in libs:
            g = m.get("godot_ws")
            for p in peers:
                row.append(f"{g / m[p]:.2f}x" if g is not None and m.get(p) else "-")
            verdict = sc.check(m) if sc.check else None
            row += [sc.target or "-", "-" if verdict is None else ("PASS" if verdict else "FAIL")]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for j, r in enumerate(rows):
        cells = [r[0].ljust(widths[0])] + [r[i].rjust(widths[i]) for i in range(1, len(r))]
        lines.append("| " + " | ".join(cells) + " |")
        if j == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument(
        "--runs",
        type=int,
        default=None,
        help="runs per cell, median reported (default 5; 1 with --quick)",
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="small counts, 1 run: proves the harness works, not speed",
    )
    ap.add_argument("--json", metavar="PATH", help="write all results here")
    ap.add_argument(
        "--plot",
        metavar="PATH",
        nargs="?",
        const="bench.png",
        help="draw the results as a chart (PNG or SVG; default bench.png; needs matplotlib)",
    )
    ap.add_argument(
        "--from-json",
        metavar="PATH",
        help="with --plot: draw a saved --json file instead of running anything",
    )
    ap.add_argument(
        "--libs",
        default=",".join(LIB_ORDER),
        help="comma-separated subset of " + ",".join(LIB_ORDER),
    )
    ap.add_argument(
        "--scenarios", default="", help="comma-separated subset of scenario keys (default all)"
    )
    ap.add_argument(
        "--large-in-kb",
        type=int,
        default=4096,
        help="godot_ws input buffer (KiB) for the 1 MiB scenario, via set_buffers",
    )
    ap.add_argument(
        "--no-godot-ws", action="store_true", help="leave godot_ws out even if importable"
    )
    args = ap.parse_args(argv)
    if args.from_json:
        if not args.plot:
            ap.error("--from-json only goes with --plot")
        from bench.plot import plot

        with open(args.from_json) as f:
            plot(json.load(f), args.plot)
        print(f"chart of {args.from_json} written to {args.plot}")
        return 0

    c = QUICK if args.quick else FULL
    runs = args.runs if args.runs is not None else (1 if args.quick else 5)
    libs = [lib for lib in args.libs.split(",") if lib]
    for lib in libs:
        if lib not in ADAPTERS:
            ap.error(f"unknown library {lib!r}")
    notes: dict[str, str] = {}
    if "godot_ws" in libs:
        why = "left out by --no-godot-ws" if args.no_godot_ws else godot_ws_status()
        if why:
            notes["godot_ws"] = f"not benchmarked: {why}"
            libs.remove("godot_ws")
    scenarios = build_scenarios(c.ns, c.host_n, c.hostile_n)
    wanted = {s for s in args.scenarios.split(",") if s}
    if wanted:
        scenarios = [s for s in scenarios if s.key in wanted]
    keys = [s.key for s in scenarios]
    large_bufs = (args.large_in_kb, 1024, 64, 1024)

    values: dict[str, dict[str, list[float]]] = {k: {lib: [] for lib in libs} for k in keys}
    errors: dict[str, dict[str, str]] = {}
    adapters = {lib: ADAPTERS[lib]() for lib in libs}

    def record_error(key: str, lib: str, e: BaseException) -> None:
        msg = f"{type(e).__name__}: {e}"
        errors.setdefault(key, {})[lib] = msg
        print(f"  ! {key} {lib}: {msg}", file=sys.stderr)
        if os.environ.get("BENCH_TRACEBACK"):
            traceback.print_exc()

    # Ctrl-C and SIGTERM unwind through ``finally`` so the server is stopped; a shell may
    # start us with SIGINT ignored, so install Python's handler explicitly.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    load_before = os.getloadavg()
    t_start = time.perf_counter()
    server = Server(lifetime=3600.0 if not args.quick else 300.0)
    try:
        print(
            f"server on port {server.port}; libraries: {', '.join(libs)}; runs: {runs}"
            f"{' (quick)' if args.quick else ''}",
            file=sys.stderr,
        )
        timed = [k for k in TIMED if k in keys]
        for lib in libs:  # warm-up: imports and first-call costs stay out of the numbers
            for key in timed:
                try:
                    measure(adapters[lib], key, server.base, WARM, large_bufs)
                except Exception as e:
                    record_error(key, lib, e)
        mem_keys = [k for k in keys if k.startswith(("poll_idle_", "mem_idle_rss"))]
        for run in range(runs):
            order = libs[run % len(libs) :] + libs[: run % len(libs)] if libs else []
            for key in timed:
                for lib in order:
                    if lib in errors.get(key, {}):
                        continue
                    gc.collect()
                    try:
                        values[key][lib].append(
                            measure(adapters[lib], key, server.base, c, large_bufs)
                        )
                    except Exception as e:
                        record_error(key, lib, e)
            for lib in order:
                if mem_keys:
                    try:
                        r = run_many(lib, server.base, c, "rss")
                        for n, us in r["poll_us"].items():
                            if f"poll_idle_{n}" in values:
                                values[f"poll_idle_{n}"][lib].append(us)
                        if "mem_idle_rss" in values:
                            values["mem_idle_rss"][lib].append(r["rss_kib_per_conn"])
                    except Exception as e:
                        for k in mem_keys:
                            record_error(k, lib, e)
                if "mem_idle_traced" in values:
                    try:
                        r = run_many(lib, server.base, c, "tracemalloc")
                        values["mem_idle_traced"][lib].append(r["traced_kib_per_conn"])
                    except Exception as e:
                        record_error("mem_idle_traced", lib, e)
            for fields, run_rows in ((GAME_KEYS, run_gameloop), (REPL_KEYS, run_replication)):
                own_keys = [k for k in keys if k in fields]  # godot_ws-only rows
                if own_keys and "godot_ws" in libs:
                    try:
                        r = run_rows(c)
                        for k in own_keys:
                            values[k]["godot_ws"].append(r[fields[k]])
                    except Exception as e:
                        for k in own_keys:
                            record_error(k, "godot_ws", e)
            print(
                f"run {run + 1}/{runs} done at {time.perf_counter() - t_start:.1f}s",
                file=sys.stderr,
            )
        hostile_keys = {k for k in keys if k.startswith(HOSTILE_PREFIXES)}
        if hostile_keys and "godot_ws" in libs:
            # Once: each row is already a median over seconds of polls.
            got, failed = hostile.run_rows(hostile_keys, c.hostile_n, c.hostile_s,
                                           c.hostile_mem_n, c.host_n, c.hostile_tls_s)
            for k, v in got.items():
                if k in values:
                    values[k]["godot_ws"].append(v)
            for k, why in failed.items():
                record_error(k, "godot_ws", RuntimeError(why))
    finally:
        server.stop()
    elapsed = time.perf_counter() - t_start

    med = {
        k: {lib: statistics.median(v) for lib, v in per.items() if v} for k, per in values.items()
    }
    table = render(scenarios, med, libs)
    print(table)
    for lib, note in notes.items():
        print(f"note: {lib} {note}")
    if errors:
        print("errors: " + json.dumps(errors, indent=1))
    load_after = os.getloadavg()
    print(
        f"medians of {runs} run(s); ratios are godot_ws / peer (value ratio, unit as in the row); "
        f"wall time {elapsed:.1f}s; load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after on {os.cpu_count()} CPUs"
    )

    if args.json or args.plot:
        doc: dict[str, Any] = {
            "meta": {
                "quick": args.quick,
                "runs": runs,
                "libraries": libs,
                "notes": notes,
                "versions": versions(),
                "cpus": os.cpu_count(),
                "machine": platform.machine(),
                "counts": c.__dict__,
                "large_in_kb": args.large_in_kb,
                "elapsed_s": elapsed,
                "loadavg_before": load_before,
                "loadavg_after": load_after,
                "ratio": "godot_ws value / peer value",
            },
            "scenarios": {},
            "errors": errors,
            "table": table,
        }
        for sc in scenarios:
            m = med.get(sc.key, {})
            ratios = {p: m["godot_ws"] / m[p] for p in PEERS if "godot_ws" in m and m.get(p)}
            verdict = sc.check(m) if sc.check else None
            doc["scenarios"][sc.key] = {
                "title": sc.title,
                "unit": sc.unit,
                "higher_is_better": sc.higher_is_better,
                "results": {
                    lib: {"median": m.get(lib), "runs": values[sc.key][lib]} for lib in libs
                },
                "ratios_godot_ws_over": ratios,
                "target": sc.target or None,
                "verdict": None if verdict is None else ("PASS" if verdict else "FAIL"),
            }
        if args.json:
            with open(args.json, "w") as f:
                json.dump(doc, f, indent=1)
        if args.plot:
            from bench.plot import plot

            plot(doc, args.plot)
            print(f"chart written to {args.plot}")
    return 1 if errors else 0
