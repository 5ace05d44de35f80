"""Where godot_ws spends its time per message: ``python -m bench.profile``.

Owns a cProfile pass over each godot_ws scenario of the benchmark (same server, same
client code as ``python -m bench``) and prints the top functions by own time, converted to
microseconds per message (per check for the idle scenario). cProfile adds a fixed cost per
Python call, so compare rows with each other, not with the benchmark's absolute numbers;
for those run ``python -m bench``. Uses godot_ws only through its public API.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
from collections.abc import Callable

from bench.libs import GodotWs
from bench.runner import Server

__all__ = ["main"]


def _rows(prof: cProfile.Profile, per: int, top: int) -> list[str]:
    st = pstats.Stats(prof)
    entries = []
    for (path, line, func), (_cc, nc, tt, ct, _) in st.stats.items():  # type: ignore[attr-defined]
        where = f"{os.path.relpath(path) if path.startswith('/') else path}:{line}({func})"
        entries.append((tt, ct, nc, where))
    entries.sort(reverse=True)
    out = [f"    {'own us/msg':>10} {'cum us/msg':>10} {'calls/msg':>9}  function"]
    for tt, ct, nc, where in entries[:top]:
        out.append(f"    {tt / per * 1e6:10.3f} {ct / per * 1e6:10.3f} {nc / per:9.3f}  {where}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--large-in-kb", type=int, default=4096)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    scale = 20 if args.quick else 1
    g = GodotWs()
    server = Server(lifetime=600.0)
    try:
        base = server.base
        cases: list[tuple[str, int, Callable[[int], float]]] = [
            ("receive 32-byte messages", 200_000 // scale, lambda n: g.receive(base, n, 32)),
            (
                "receive 1 MiB messages",
                300 // scale,
                lambda n: g.receive(base, n, 1 << 20, (args.large_in_kb, 1024, 64, 1024)),
            ),
            ("send 32-byte messages", 100_000 // scale, lambda n: g.send(base, n, 32)),
            ("echo round trip 32 B", 5_000 // scale, lambda n: g.echo(base, n, 32)),
            ("idle check (poll + count)", 100_000 // scale, lambda n: g.idle_check(base, n)),
        ]
        for title, n, run in cases:
            run(max(1, n // 10))  # warm-up
            prof = cProfile.Profile()
            prof.enable()
            run(n)
            prof.disable()
            print(f"== {title}: {n} messages, cProfile, per message")
            print("\n".join(_rows(prof, n, args.top)))
            print()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
