"""What permessage-deflate costs per message: ``python -m bench.deflate [--quick] [--json PATH]``.

A client and a server ``Protocol`` (godot_ws's sans-IO core, the code ``poll()`` runs) are
joined in memory, once with ``compression_enabled`` semantics (default ``DeflateOptions``:
context takeover, 15-bit windows, level 6) and once without. For each payload it times

* send: ``send_message`` + ``data_to_send`` on the client (compress + frame + mask), and
* receive: ``receive_data`` on the server of those bytes (unmask + inflate + UTF-8 check),

in batches of ``--count`` different messages, best of ``--runs``, and reports microseconds per message
and the bytes on the wire. No sockets: the network's share is the same with or without
compression, minus the bytes saved.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from typing import Any

from godot_ws.core.deflate import DeflateOptions
from godot_ws.core.handshake import parse_target
from godot_ws.core.protocol import ClientProtocol, PacketQueue, ServerProtocol

# Game-like payloads, every message different (a repeated message would compress to a few
# bytes through the shared context and flatter deflate): a small JSON state update, 1 KiB and
# 16 KiB JSON snapshots with changing numbers, and 1 KiB of fresh random bytes per message
# (incompressible: the worst case).
_ENTITY = '{"id":%d,"x":%.2f,"y":%.2f,"hp":%d,"state":"%s","team":"blue"}'
_STATES = ("running", "idle", "jumping", "shooting")


def _snapshot(rng: random.Random, entities: int) -> bytes:
    return ("[" + ",".join(
        _ENTITY % (i, rng.uniform(0, 1000), rng.uniform(0, 1000), rng.randrange(101),
                   rng.choice(_STATES)) for i in range(entities)) + "]").encode()


def payloads(count: int) -> dict[str, tuple[list[bytes], bool]]:
    rng = random.Random(7)
    kinds = {
        "json ~75 B": ([_snapshot(rng, 1)[1:-1] for _ in range(count)], True),
        "json ~1 KiB": ([_snapshot(rng, 13) for _ in range(count)], True),
        "json ~16 KiB": ([_snapshot(rng, 210) for _ in range(count)], True),
        "random 1 KiB": ([rng.randbytes(1024) for _ in range(count)], False),
    }
    return kinds


def pair(deflate: bool) -> tuple[ClientProtocol, ServerProtocol]:
    options = DeflateOptions() if deflate else None
    target = parse_target("ws://127.0.0.1:1/")
    assert target is not None
    big = 1 << 30
    client = ClientProtocol(target, PacketQueue(big, big), max_message_size=1 << 24,
                            deflate=options)
    server = ServerProtocol(PacketQueue(big, big), (), 1 << 24, deflate=options)
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    assert (client.deflate is not None) == deflate and (server.deflate is not None) == deflate
    client.events_received()
    server.events_received()
    return client, server


def measure(deflate: bool, messages: list[bytes], text: bool, runs: int) -> dict[str, float]:
    count = len(messages)
    best_send = best_recv = float("inf")
    wire = 0
    for _ in range(runs):
        client, server = pair(deflate)  # a fresh context per run: every run sees new data
        t0 = time.perf_counter()
        for payload in messages:
            client.send_message(payload, text)
        data = client.data_to_send()
        t1 = time.perf_counter()
        server.receive_data(data)
        t2 = time.perf_counter()
        queue = server.queue
        assert len(queue.packets) == count and queue.packets[-1][0] == messages[-1]
        best_send = min(best_send, t1 - t0)
        best_recv = min(best_recv, t2 - t1)
        wire = len(data)
    return {"send_us": best_send / count * 1e6, "recv_us": best_recv / count * 1e6,
            "wire_bytes": wire / count, "payload_bytes": sum(map(len, messages)) / count}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small counts, 1 run (CI)")
    ap.add_argument("--count", type=int, default=1000, help="messages per batch")
    ap.add_argument("--runs", type=int, default=5, help="batches; the best is reported")
    ap.add_argument("--json", metavar="PATH", help="also write the results here")
    args = ap.parse_args(argv)
    count, runs = (50, 1) if args.quick else (args.count, args.runs)
    results: dict[str, Any] = {}
    lines = ["| payload | plain send us | deflate send us | plain recv us | deflate recv us "
             "| wire bytes plain -> deflate |", "|---|---|---|---|---|---|"]
    for name, (messages, text) in payloads(count).items():
        plain = measure(False, messages, text, runs)
        packed = measure(True, messages, text, runs)
        results[name] = {"plain": plain, "deflate": packed}
        lines.append(
            f"| {name} | {plain['send_us']:.1f} | {packed['send_us']:.1f} | "
            f"{plain['recv_us']:.1f} | {packed['recv_us']:.1f} | "
            f"{plain['wire_bytes']:.0f} -> {packed['wire_bytes']:.0f} |")
    print("\n".join(lines))
    print(f"({count} messages per batch, best of {runs}; Python {sys.version.split()[0]})")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"count": count, "runs": runs, "results": results}, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
