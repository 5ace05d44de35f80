"""What a Godot 4 RPC costs: ``python -m bench.rpc4 [--quick] [--runs N] [--json PATH]``.

Two measurements of ``godot_ws.godot4`` (SceneMultiplayer + ``@rpc``), each the best of
``--runs`` batches, in microseconds per call:

* in memory: ``node.rpc_id(1, "hit", 12345, "hello")`` on a client whose path is confirmed
  (send: checks, method id, argument compression, REMOTE_CALL bytes, ``put_packet``), and the
  host's ``poll()`` handling those packets (receive: parse, authority rule, decode, call). The
  peers are an in-memory pair, so no socket or frame cost is included.
* over sockets on 127.0.0.1, host and two clients in this one process, polled in turn:
  client -> host calls and client -> client calls relayed by the host (SYS RELAY), batches of
  100 calls then polls until all arrived: whole-system throughput, frames and syscalls included.

No timing is asserted anywhere (CI machines are noisy); tests/test_bench.py runs ``--quick``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import deque
from typing import Any

from godot_ws.core.constants import ConnectionStatus, Error
from godot_ws.godot4 import (
    MultiplayerPeer,
    Node,
    SceneMultiplayer,
    WebSocketMultiplayerPeer,
    rpc,
)


class Target(Node):
    """/root/Main on every side; counts the calls it gets."""

    calls = 0

    @rpc("any_peer")
    def hit(self, a: Any, b: Any) -> None:
        Target.calls += 1


class MemoryPeer(MultiplayerPeer):
    """Half of an in-memory MultiplayerPeer pair: ``put_packet`` lands in the other's inbox."""

    def __init__(self, unique_id: int, remote_id: int) -> None:
        super().__init__()
        self.unique_id = unique_id
        self.remote_id = remote_id
        self.other: MemoryPeer | None = None
        self.inbox: deque[bytes] = deque()
        self.announced = False

    def poll(self) -> None:
        if not self.announced:
            self.announced = True
            self.peer_connected.emit(self.remote_id)

    def get_available_packet_count(self) -> int:
        return len(self.inbox)

    def get_packet_peer(self) -> int:
        return self.remote_id

    def get_packet(self) -> bytes:
        return self.inbox.popleft()

    def put_packet(self, buffer: bytes | bytearray | memoryview) -> Error:
        assert self.other is not None
        self.other.inbox.append(bytes(buffer))
        return Error.OK

    def set_target_peer(self, peer_id: int) -> None:
        pass

    def get_unique_id(self) -> int:
        return self.unique_id

    def get_connection_status(self) -> ConnectionStatus:
        return ConnectionStatus.CONNECTION_CONNECTED

    def is_server(self) -> bool:
        return self.unique_id == 1

    def is_server_relay_supported(self) -> bool:
        return True

    def disconnect_peer(self, peer: int, force: bool = False) -> None:
        pass

    def close(self) -> None:
        pass

    def get_max_packet_size(self) -> int:
        return 1 << 20


def in_memory(count: int, runs: int) -> dict[str, float]:
    host_peer, client_peer = MemoryPeer(1, 1234567), MemoryPeer(1234567, 1)
    host_peer.other, client_peer.other = client_peer, host_peer
    host, client = SceneMultiplayer(), SceneMultiplayer()
    host.multiplayer_peer, client.multiplayer_peer = host_peer, client_peer
    Target(host, "Main")
    node = Target(client, "Main")
    host.poll()
    client.poll()
    node.rpc_id(1, "hit", 12345, "hello")  # SIMPLIFY_PATH, the full-path call, CONFIRM_PATH
    host.poll()
    client.poll()
    send = receive = float("inf")
    for _ in range(runs):
        Target.calls = 0
        start = time.perf_counter()
        for _ in range(count):
            node.rpc_id(1, "hit", 12345, "hello")
        mid = time.perf_counter()
        host.poll()
        end = time.perf_counter()
        assert Target.calls == count, Target.calls
        send = min(send, (mid - start) / count)
        receive = min(receive, (end - mid) / count)
    return {"rpc send, in memory (us)": send * 1e6, "rpc receive, in memory (us)": receive * 1e6}


def over_sockets(count: int, runs: int) -> dict[str, float]:
    server_peer = WebSocketMultiplayerPeer()
    assert server_peer.create_server(0, "127.0.0.1") == Error.OK
    host = SceneMultiplayer()
    host.multiplayer_peer = server_peer
    url = f"ws://127.0.0.1:{server_peer.get_local_port()}"
    clients = []
    for _ in range(2):
        peer = WebSocketMultiplayerPeer()
        assert peer.create_client(url) == Error.OK
        mp = SceneMultiplayer()
        mp.multiplayer_peer = peer
        clients.append(mp)
    everyone = [host, *clients]

    def poll_until(condition: Any) -> None:
        deadline = time.monotonic() + 30
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError("the RPC benchmark stalled")
            for mp in everyone:
                mp.poll()

    poll_until(lambda: all(len(mp.get_peers()) == 2 for mp in clients))
    Target(host, "Main")
    a, b = (Target(mp, "Main") for mp in clients)
    b_id = clients[1].get_unique_id()
    results = {}
    try:
        for label, to in (("rpc client -> host, sockets (us)", 1),
                          ("rpc client -> client via host relay, sockets (us)", b_id)):
            Target.calls = 0
            a.rpc_id(to, "hit", 0, "warm")  # the path cache, confirmed before timing
            poll_until(lambda: Target.calls == 1)
            for mp in everyone:
                mp.poll()
            best = float("inf")
            for _ in range(runs):
                Target.calls = 0
                start = time.perf_counter()
                sent = 0
                while Target.calls < count:
                    if sent < count:
                        for _ in range(min(100, count - sent)):
                            a.rpc_id(to, "hit", 12345, "hello")
                        sent += min(100, count - sent)
                    for mp in everyone:
                        mp.poll()
                best = min(best, (time.perf_counter() - start) / count)
            results[label] = best * 1e6
    finally:
        for mp in everyone:
            if mp.multiplayer_peer is not None:
                mp.multiplayer_peer.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="small counts, one run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    runs, count = (1, 500) if args.quick else (args.runs, args.count)
    results = {**in_memory(count, runs), **over_sockets(count, runs)}
    width = max(map(len, results))
    for name, value in results.items():
        print(f"{name:<{width}}  {value:8.1f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"runs": runs, "count": count, "us_per_call": results}, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
