"""What Godot 4 replication costs the host: ``python -m bench.replication4 [--quick]``.

A ``godot_ws.godot4`` host (SceneMultiplayer, peer 1) with ``--peers`` connected peers and
``--nodes`` players, each moved every frame at 60 FPS, shares their positions two ways:

* ``sync``: each player is spawned by a ``MultiplayerSpawner`` and has a
  ``MultiplayerSynchronizer`` (``.:position`` ALWAYS, ``.:label`` ON_CHANGE): the host's
  ``poll()`` sends every peer one SYNC (split at 1350 bytes) per frame.
* ``rpc``: the same players send ``rpc("pos", position)`` (unreliable) to everyone each frame,
  paths confirmed, then ``poll()``: what a game does without a synchronizer.

The peers are in memory (``SinkPeer``: packets are counted, SIMPLIFY_PATH is answered with
CONFIRM_PATH), so the number is the host's own CPU: no socket, no frame, no client. Reported
in microseconds per synchronized node per peer per frame (the best of ``--samples`` batches of
``--frames`` frames), and the bytes each peer is sent per frame. No timing is asserted anywhere;
tests/test_bench.py runs ``--quick``. ``python -m bench`` shows both rows side by side.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
import time
from collections import deque
from typing import Any

from godot_ws.core.constants import ConnectionStatus, Error
from godot_ws.godot4 import (
    MultiplayerPeer,
    MultiplayerSpawner,
    MultiplayerSynchronizer,
    Node,
    SceneMultiplayer,
    SceneReplicationConfig,
    Vector2,
    rpc,
)

__all__ = ["measure"]


class SinkPeer(MultiplayerPeer):
    """The host's side of ``peers`` in-memory connections: counts what is sent, and confirms
    every path a SIMPLIFY_PATH announces, as a Godot client would."""

    def __init__(self, peers: int) -> None:
        super().__init__()
        self.ids = list(range(2, 2 + peers))
        self.announced = False
        self.target = 0
        self.inbox: deque[tuple[int, bytes]] = deque()
        self.bytes_sent = 0

    def poll(self) -> None:
        if not self.announced:
            self.announced = True
            for pid in self.ids:
                self.peer_connected.emit(pid)

    def get_available_packet_count(self) -> int:
        return len(self.inbox)

    def get_packet_peer(self) -> int:
        return self.inbox[0][0]

    def get_packet(self) -> bytes:
        return self.inbox.popleft()[1]

    def put_packet(self, buffer: bytes | bytearray | memoryview) -> Error:
        self.bytes_sent += len(buffer)
        if buffer[0] == 1:  # SIMPLIFY_PATH: md5 (33 bytes), then the u32 cache id
            cache_id = struct.unpack_from("<I", buffer, 34)[0]
            self.inbox.append((self.target, b"\x02\x01" + struct.pack("<I", cache_id)))
        return Error.OK

    def set_target_peer(self, peer_id: int) -> None:
        self.target = peer_id

    def get_unique_id(self) -> int:
        return 1

    def get_connection_status(self) -> ConnectionStatus:
        return ConnectionStatus.CONNECTION_CONNECTED

    def get_max_packet_size(self) -> int:
        return 1 << 24


class Player(Node):
    """A spawnable player: position every frame, its label when it changes."""

    scene_file_path = "res://bench_player.tscn"

    def __init__(self, multiplayer: SceneMultiplayer, path: str, synced: bool = True) -> None:
        super().__init__(multiplayer, path)
        self.position = Vector2(0, 0)
        self.label = "player"
        if synced:
            sync = MultiplayerSynchronizer(multiplayer, path + "/Sync")
            config = SceneReplicationConfig()
            config.add_property(".:position")
            config.add_property(".:label")
            config.property_set_replication_mode(
                ".:label", SceneReplicationConfig.REPLICATION_MODE_ON_CHANGE)
            sync.replication_config = config

    @rpc("authority", "unreliable")
    def pos(self, position: Any) -> None:
        self.position = position


def _world(mode: str, nodes: int, peers: int) -> tuple[SceneMultiplayer, SinkPeer, list[Player]]:
    mp = SceneMultiplayer()
    sink = SinkPeer(peers)
    mp.multiplayer_peer = sink
    mp.poll()  # the peers connect
    Node(mp, "Main")
    Node(mp, "Main/Players")
    spawner = MultiplayerSpawner(mp, "Main/Spawner")
    spawner.spawn_path = "../Players"
    if mode == "sync":
        spawner.add_spawnable_scene(Player)
    players = [Player(mp, f"Main/Players/{i}", synced=mode == "sync") for i in range(nodes)]
    return mp, sink, players


def measure(mode: str, nodes: int = 100, peers: int = 32, frames: int = 60,
            samples: int = 5) -> dict[str, float]:
    """``{"us": per node per peer per frame, "bytes": per peer per frame}`` for one mode."""
    mp, sink, players = _world(mode, nodes, peers)
    frame = 0

    def step() -> float:
        """One frame; the seconds spent in networking (moving the players is not counted)."""
        nonlocal frame
        frame += 1
        for i, p in enumerate(players):
            p.position = Vector2(float(frame), float(i))  # every player moves every frame
        start = time.perf_counter()
        if mode == "rpc":
            for p in players:
                p.rpc("pos", p.position)
        mp.poll()
        return time.perf_counter() - start

    for _ in range(3):  # paths confirmed, first deltas sent: the steady state
        step()
    best = float("inf")
    sent = 0
    for _ in range(samples):
        sink.bytes_sent = 0
        elapsed = sum(step() for _ in range(frames))
        if elapsed < best:
            best, sent = elapsed, sink.bytes_sent
    return {"us": best / frames / nodes / peers * 1e6, "bytes": sent / frames / peers}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--peers", type=int, default=32)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="a few frames, for the tests")
    args = parser.parse_args(argv)
    if args.quick:
        args.nodes, args.peers, args.frames, args.samples = 10, 4, 5, 1
    result: dict[str, float] = {}
    for mode in ("sync", "rpc"):
        r = measure(mode, args.nodes, args.peers, args.frames, args.samples)
        result[f"{mode}_us"], result[f"{mode}_bytes"] = r["us"], r["bytes"]
        print(f"{mode}: {r['us']:.3f} us per node per peer per frame, "
              f"{r['bytes']:.0f} bytes per peer per frame "
              f"({args.nodes} nodes, {args.peers} peers)", file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
