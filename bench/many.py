"""Many idle connections, measured in a fresh process: ``python -m bench.many``.

Owns the "poll N idle connections" and "memory per idle connection" measurements. A fresh
process keeps one library's heap and threads from skewing another's numbers. Prints one
JSON object on stdout and exits without a teardown (the OS closes the sockets; the server
sees EOF), so N slow close handshakes cannot stretch the run.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from typing import Any

from bench.libs import ADAPTERS
from bench.server import raise_nofile

__all__ = ["main"]

BATCH = 50


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def open_many(lib: Any, base: str, n: int) -> list[Any]:
    handles: list[Any] = []
    while len(handles) < n:
        batch = [lib.start_idle(base) for _ in range(min(BATCH, n - len(handles)))]
        lib.finish_idle(batch)
        handles.extend(batch)
    return handles


def time_poll(lib: Any, handles: list[Any], n: int, samples: int) -> float:
    """Median seconds for one ``poll`` pass over the first ``n`` handles."""
    hs = handles[:n]
    reps = max(1, 2000 // n)
    poll = lib.poll_idle
    for _ in range(reps):
        poll(hs)
    out = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(reps):
            poll(hs)
        out.append((time.perf_counter() - t0) / reps)
    return statistics.median(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.many")
    ap.add_argument("--lib", required=True, choices=sorted(ADAPTERS))
    ap.add_argument("--base", required=True)
    ap.add_argument("--ns", default="1,100,1000", help="connection counts to poll")
    ap.add_argument("--mem-n", type=int, default=1000, help="connections for the memory figure")
    ap.add_argument("--mode", choices=["rss", "tracemalloc"], default="rss")
    ap.add_argument("--samples", type=int, default=15)
    args = ap.parse_args(argv)
    ns = [int(x) for x in args.ns.split(",")]
    total = max(ns + [args.mem_n])
    raise_nofile(2 * total + 256)

    lib = ADAPTERS[args.lib]()
    warm = open_many(lib, args.base, 1)  # imports, lazy caches, first-connection costs
    lib.poll_idle(warm)
    gc.collect()
    result: dict[str, Any] = {"lib": args.lib, "mem_n": args.mem_n}

    if args.mode == "tracemalloc":
        import tracemalloc

        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        handles = open_many(lib, args.base, args.mem_n)
        lib.poll_idle(handles)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        result["traced_kib_per_conn"] = (after - before) / args.mem_n / 1024
    else:
        before = rss_bytes()
        handles = open_many(lib, args.base, args.mem_n)
        lib.poll_idle(handles)
        gc.collect()
        result["rss_kib_per_conn"] = (rss_bytes() - before) / args.mem_n / 1024
        if total > len(handles):
            handles += open_many(lib, args.base, total - len(handles))
        result["poll_us"] = {str(n): time_poll(lib, handles, n, args.samples) * 1e6 for n in ns}
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
