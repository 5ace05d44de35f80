"""Helpers for the RPC tests: ``RpcGame`` (the Python twin of tests/godot/rpc_node.gd), peers
that record the RPC packets they send and receive, and polling several trees at once.

No pytest here; the tests use real WebSocketServer/WebSocketClient peers on 127.0.0.1.
"""

from __future__ import annotations

import re
import struct
import time
from collections.abc import Callable, Iterable
from typing import Any

from godot_ws import (
    Node,
    RPCMode,
    SceneTree,
    WebSocketClient,
    WebSocketServer,
    master,
    mastersync,
    puppet,
    puppetsync,
    remote,
    remote_property,
    remotesync,
    slave,
    sync,
)

GAME_PATH = "/root/Main/Game"
FULL = 0x80000000


class RpcGame(Node):
    """Same methods and modes as rpc_node.gd; records (method, sender, args) per call."""

    r_var = remote_property(RPCMode.REMOTE, 0)
    p_var = remote_property(RPCMode.PUPPET, 0)
    rs_var = remote_property(RPCMode.REMOTESYNC, 0)

    def __init__(self, tree: SceneTree, path: str = GAME_PATH) -> None:
        super().__init__(tree, path)
        self.calls: list[tuple[str, int, tuple[Any, ...]]] = []

    def _call(self, method: str, *args: Any) -> None:
        self.calls.append((method, self.get_tree().get_rpc_sender_id(), args))

    def called(self, method: str) -> list[tuple[int, tuple[Any, ...]]]:
        return [(s, a) for m, s, a in self.calls if m == method]

    @remote
    def r_remote(self, a: Any, b: Any) -> None:
        self._call("r_remote", a, b)

    @remotesync
    def r_remotesync(self, a: Any) -> None:
        self._call("r_remotesync", a)

    @sync
    def r_sync(self, a: Any) -> None:
        self._call("r_sync", a)

    @master
    def r_master(self, a: Any) -> None:
        self._call("r_master", a)

    @mastersync
    def r_mastersync(self, a: Any) -> None:
        self._call("r_mastersync", a)

    @puppet
    def r_puppet(self, a: Any) -> None:
        self._call("r_puppet", a)

    @slave
    def r_slave(self, a: Any) -> None:
        self._call("r_slave", a)

    @puppetsync
    def r_puppetsync(self, a: Any) -> None:
        self._call("r_puppetsync", a)

    def r_disabled(self, a: Any) -> None:
        self._call("r_disabled", a)


class Player:
    """A SceneTree with an RpcGame at GAME_PATH over a real peer, recording raw RPC packets:
    ``received`` (sender, payload) and ``sent`` (target, payload)."""

    def __init__(self, peer: WebSocketClient | WebSocketServer) -> None:
        self.tree = SceneTree()
        self.game = RpcGame(self.tree)
        self.peer = peer
        self.received: list[tuple[int, bytes]] = []
        self.sent: list[tuple[int, bytes]] = []
        process = self.tree._process_packet
        put = peer.put_packet

        def record_in(sender: int, packet: bytes) -> None:
            self.received.append((sender, packet))
            process(sender, packet)

        def record_out(packet: Any) -> Any:
            self.sent.append((peer._target_peer, bytes(packet)))
            return put(packet)

        self.tree._process_packet = record_in  # type: ignore[method-assign]
        peer.put_packet = record_out  # type: ignore[method-assign]
        self.tree.set_network_peer(peer)

    @classmethod
    def join(cls, url: str) -> Player:
        client = WebSocketClient()
        assert client.connect_to_url(url, [], True) == 0
        return cls(client)

    @classmethod
    def host(cls) -> Player:
        server = WebSocketServer()
        server.bind_ip = "127.0.0.1"
        assert server.listen(0, [], True) == 0
        return cls(server)

    @property
    def id(self) -> int:
        return self.tree.get_network_unique_id()

    @property
    def url(self) -> str:
        assert isinstance(self.peer, WebSocketServer)
        return f"ws://127.0.0.1:{self.peer.get_local_port()}"

    def close(self) -> None:
        if isinstance(self.peer, WebSocketServer):
            self.peer.stop()
        else:
            self.peer.disconnect_from_host()


def pump(players: Iterable[Player], condition: Callable[[], bool], timeout: float = 5.0,
         what: str = "condition") -> None:
    """Poll every player's tree until ``condition()``; fail after ``timeout`` seconds."""
    players = list(players)
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        for p in players:
            p.tree.poll()
        time.sleep(0.0005)


def target_of(packet: bytes) -> int:
    """The u32 target field of a REMOTE_CALL/REMOTE_SET (or the id of a SIMPLIFY_PATH)."""
    return int(struct.unpack_from("<I", packet, 1)[0])


def calls_in(packets: Iterable[tuple[int, bytes]], name: str) -> list[tuple[int, bytes]]:
    """The REMOTE_CALL/SET packets (with their peer) whose method/property is ``name``."""
    key = name.encode() + b"\0"
    return [(p, d) for p, d in packets if d[:1] in (b"\0", b"\1") and d[5:5 + len(key)] == key]


def wait_line(players: Iterable[Player], godot: Any, pattern: str,
              timeout: float = 5.0) -> re.Match[str]:
    """Poll the players until Godot (a GodotProcess) prints a line matching ``pattern``."""
    rx = re.compile(pattern)
    found: list[re.Match[str]] = []

    def seen() -> bool:
        for line in godot.lines():
            m = rx.search(line)
            if m:
                found.append(m)
                return True
        return False

    try:
        pump(players, seen, timeout, what=pattern)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- Godot output ---\n{godot.output()}") from None
    return found[0]
