"""Godot 4.6 as the *host*: a SceneMultiplayer server in the engine, reached through
tests/godot4/tunnel_peer.gd and tests/tunnel4.py's Gateway. Two ``godot_ws.godot4`` clients join
it, get ADD_PEER from Godot, call the host and each other through Godot's relay, and see DEL_PEER
when one leaves; every byte they receive after their id hello was made by Godot's SceneMultiplayer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from engine4 import Engine4
from test_godot4_engine_mp import Side
from tunnel4 import Gateway, tunnel_files

from godot_ws.godot4 import OK, WebSocketMultiplayerPeer

CLIENT = (Path(__file__).parent / "godot4" / "mp_client.gd").read_text()

HOST = """extends "res://mp_client.gd"
# A Godot 4 host: the RPC methods of tests/godot4/mp_client.gd (so the ids agree); answers every
# hello with hello("echo", first argument) to its sender.
const TunnelPeer = preload("res://tunnel_peer.gd")

func _on_got(name: String, args: Array) -> void:
	if name == "hello":
		hello.rpc_id(multiplayer.get_remote_sender_id(), "echo", args[0])

func _ready() -> void:
	multiplayer.peer_connected.connect(func(id):
		print("peer_connected ", id)
		order.rpc_id(id, "welcome %d" % id))
	multiplayer.peer_disconnected.connect(func(id): print("peer_disconnected ", id))
	multiplayer.peer_packet.connect(func(id, data): print("peer_packet ", id, " ", data.get_string_from_utf8()))
	var peer = TunnelPeer.new()
	var err = await peer.open(OS.get_cmdline_user_args()[0].trim_prefix("tunnel="))
	print("tunnel ", err)
	multiplayer.multiplayer_peer = peer
	print("HOSTING id=", multiplayer.get_unique_id(), " server=", multiplayer.is_server())
"""


@dataclass
class Hosted:
    engine: Engine4
    gateway: Gateway
    p1: Side
    p2: Side
    ids: dict[str, int]


@pytest.fixture(scope="module")
def hosted(godot4_module_engine: Callable[..., Engine4]) -> Iterator[Hosted]:
    gateway = Gateway()
    engine = godot4_module_engine({"main.gd": HOST, "mp_client.gd": CLIENT, **tunnel_files()}, [f"tunnel={gateway.tunnel_url}"], name="host")
    engine.wait_line("HOSTING", timeout=60, poll=gateway.poll)
    sides: list[Side] = []

    def poll() -> None:
        gateway.poll()
        for side in sides:
            side.mp.poll()

    for _ in range(2):
        peer = WebSocketMultiplayerPeer()
        assert peer.create_client(gateway.url) == OK
        sides.append(Side.make(peer))
    p1, p2 = sides
    engine.wait_for(lambda: 1 in p1.mp.get_peers() and 1 in p2.mp.get_peers(), "both clients join", poll=poll)
    ids = {"p1": p1.mp.get_unique_id(), "p2": p2.mp.get_unique_id()}
    engine.wait_for(lambda: ids["p2"] in p1.mp.get_peers() and ids["p1"] in p2.mp.get_peers(),
                    "ADD_PEER from Godot", poll=poll)
    engine.wait_for(lambda: p1.main.calls and p2.main.calls, "Godot's welcome orders", poll=poll)
    # calls to the host, and Godot's answer
    assert p1.main.rpc_id(1, "hello", 1, "to godot") == OK
    assert p1.main.rpc_id(1, "blob", b"\x01\x02") == OK
    engine.wait_for(lambda: ("hello", 1, ("echo", 1)) in p1.main.calls, "Godot's answer", poll=poll)
    # relay through Godot: one client to the other, a broadcast, bytes
    assert p1.main.rpc_id(ids["p2"], "hello", "via godot", ids["p1"]) == OK
    assert p2.main.rpc("shout", "p2 to all") == OK
    assert p1.mp.send_bytes(b"raw bytes", ids["p2"]) == OK
    engine.wait_for(lambda: len(p2.main.calls) >= 2 and any(e[0] == "peer_packet" for e in p2.events) and len(p1.main.calls) >= 3,
                    "the relayed calls", poll=poll)
    engine.wait_line('call shout from=%d args=["p2 to all"]' % ids["p2"], poll=poll)
    # p2 leaves: Godot's DEL_PEER reaches p1
    p2.mp.multiplayer_peer.close()
    sides.remove(p2)
    engine.wait_for(lambda: ("peer_disconnected", ids["p2"]) in p1.events, "DEL_PEER", poll=poll)
    engine.wait_line(f"peer_disconnected {ids['p2']}", poll=poll)
    yield Hosted(engine, gateway, p1, p2, ids)
    p1.mp.multiplayer_peer.close()
    gateway.close()


def test_godot_is_the_server(hosted: Hosted) -> None:
    assert "HOSTING id=1 server=true" in hosted.engine.lines
    for name in ("p1", "p2"):
        assert f"peer_connected {hosted.ids[name]}" in hosted.engine.lines


def test_add_peer_and_authority_order_from_godot(hosted: Hosted) -> None:
    p1, p2 = hosted.ids["p1"], hosted.ids["p2"]
    assert ("peer_connected", p2) in hosted.p1.events and ("peer_connected", p1) in hosted.p2.events
    assert hosted.p1.main.calls[0] == ("order", 1, (f"welcome {p1}",))
    assert hosted.p2.main.calls[0] == ("order", 1, (f"welcome {p2}",))
    # Godot's ADD_PEER bytes, as our host sends them: 07 01 + i32 id
    assert (p2, b"\x07\x01" + p1.to_bytes(4, "little")) in hosted.gateway.sent or \
        (p1, b"\x07\x01" + p2.to_bytes(4, "little")) in hosted.gateway.sent


def test_calls_to_the_godot_host(hosted: Hosted) -> None:
    p1 = hosted.ids["p1"]
    assert f'call hello from={p1} args=[1, "to godot"]' in hosted.engine.lines
    assert f"call blob from={p1} args=[PackedByteArray(1, 2)]" in hosted.engine.lines
    assert ("hello", 1, ("echo", 1)) in hosted.p1.main.calls


def test_relay_through_godot(hosted: Hosted) -> None:
    p1, p2 = hosted.ids["p1"], hosted.ids["p2"]
    assert ("hello", p1, ("via godot", p1)) in hosted.p2.main.calls
    assert ("shout", p2, ("p2 to all",)) in hosted.p1.main.calls
    assert ("shout", p2, ("p2 to all",)) in hosted.p2.main.calls  # call_local
    assert ("peer_packet", p1, b"raw bytes") in hosted.p2.events
    # Godot relays a packet as 07 03 + i32 source + the inner packet
    relayed = [packet for to, packet in hosted.gateway.sent if to == p2 and packet[:2] == b"\x07\x03"]
    assert relayed and all(packet[2:6] == p1.to_bytes(4, "little") for packet in relayed)


def test_del_peer_from_godot(hosted: Hosted) -> None:
    p2 = hosted.ids["p2"]
    assert ("peer_disconnected", p2) in hosted.p1.events
    assert (hosted.ids["p1"], b"\x07\x02" + p2.to_bytes(4, "little")) in hosted.gateway.sent


def test_path_cache_bytes_agree_with_godot(hosted: Hosted) -> None:
    """Godot's SIMPLIFY_PATH for /root/Main carries the same RPC checksum (md5 of the sorted method
    names) as ours for the Python Main node, and Godot confirms our path with 02 01 + our cache id."""
    p1 = hosted.ids["p1"]
    godot_simplify = [packet for to, packet in hosted.gateway.sent if to == p1 and packet[:1] == b"\x01"]
    our_simplify = [packet for frm, packet in hosted.gateway.received if frm == p1 and packet[:1] == b"\x01"]
    assert godot_simplify and our_simplify
    assert godot_simplify[0][1:34] == our_simplify[0][1:34]  # 32 hex digits + NUL
    assert godot_simplify[0].endswith(b"Main\x00") and our_simplify[0].endswith(b"Main\x00")
    cache_id = our_simplify[0][34:38]
    assert (p1, b"\x02\x01" + cache_id) in hosted.gateway.sent  # checksum valid, our id
