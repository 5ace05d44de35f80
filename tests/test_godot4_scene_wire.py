"""Godot 4 SceneMultiplayer's wire format, in memory: FACTS4 4.7's worked example byte for byte,
the SYS/path-cache/REMOTE_CALL codecs, method ids and the @rpc decorator."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from godot_ws.core.constants import ConnectionStatus, Error
from godot_ws.godot4._scene_wire import (
    confirm_path_packet,
    confirm_path_packet_legacy,
    decode_args,
    decode_confirm_path,
    decode_remote_call,
    decode_simplify_path,
    decode_sys,
    encode_args,
    encode_variant,
    remote_call_packet,
    rpc_md5,
    simplify_path_packet,
    sys_packet,
)
from godot_ws.godot4.multiplayer_peer import MultiplayerPeer
from godot_ws.godot4.node import Node
from godot_ws.godot4.rpc_config import RPCMode, build_table, rpc, script_rpc_config
from godot_ws.godot4.scene_multiplayer import MultiplayerAPI, SceneMultiplayer


def hx(text: str) -> bytes:
    return bytes.fromhex(text)


# ------------------------------------------------------------------ FACTS4 4.7, codec level

SIMPLIFY = hx("01 35 64 34 31 34 30 32 61 62 63 34 62 32 61 37 36 62 39 37 31 39 64 39 31 31"
              " 30 31 37 63 35 39 32 00 01 00 00 00 4d 61 69 6e 00")
FIRST_CALL = hx("20 15 00 00 80 00 02 02 2a 04 00 00 00 02 00 00 00 68 69 00 00 4d 61 69 6e 00")
CONFIRM = hx("02 01 01 00 00 00")
LATER_CALL = hx("00 01 00 02 02 2a 04 00 00 00 02 00 00 00 68 69 00 00")


def test_worked_example_codec() -> None:
    assert rpc_md5(["hello"]) == "5d41402abc4b2a76b9719d911017c592"
    assert simplify_path_packet(rpc_md5(["hello"]), 1, "Main") == SIMPLIFY
    assert len(SIMPLIFY) == 43
    body, raw = encode_args([42, "hi"])
    assert (body, raw) == (hx("02 02 2a 04 00 00 00 02 00 00 00 68 69 00 00"), False)
    assert remote_call_packet(1, 0, body, raw, path="Main") == FIRST_CALL
    assert confirm_path_packet(True, 1) == CONFIRM
    assert remote_call_packet(1, 0, body, raw) == LATER_CALL
    # The 4.0-4.2 reply, for comparison (not what we send).
    assert confirm_path_packet_legacy(True, "Main") == hx("02 01 4d 61 69 6e 00")
    # Relayed to 5555, and as the server forwards it from client 1234567.
    assert sys_packet(3, 5555, LATER_CALL) == hx("07 03 b3 15 00 00") + LATER_CALL
    assert sys_packet(3, 1234567, LATER_CALL)[:6] == hx("07 03 87 d6 12 00")


def test_worked_example_decodes() -> None:
    assert decode_simplify_path(SIMPLIFY) == ("5d41402abc4b2a76b9719d911017c592", 1, "Main")
    call = decode_remote_call(FIRST_CALL)
    assert (call.path, call.method_id, call.raw, call.args_end) == ("Main", 0, False, 21)
    assert decode_args(FIRST_CALL, call.args_offset, call.args_end, call.raw) == [42, "hi"]
    call = decode_remote_call(LATER_CALL)
    assert (call.node_target, call.path, call.method_id) == (1, None, 0)
    assert decode_args(LATER_CALL, call.args_offset, call.args_end, call.raw) == [42, "hi"]
    assert decode_confirm_path(CONFIRM) == (True, 1)


# ------------------------------------------------------------------ FACTS4 4.7 in memory, end to end


class WirePeer(MultiplayerPeer):
    """An in-memory MultiplayerPeer: ``sent`` records (target, bytes) of every put_packet;
    ``deliver`` queues a packet as if it arrived from a peer. No sockets (sans-IO test)."""

    def __init__(self, unique_id: int, peers: list[int]) -> None:
        super().__init__()
        self.unique_id = unique_id
        self.remote = peers
        self.sent: list[tuple[int, bytes]] = []
        self.inbox: list[tuple[int, bytes]] = []
        self.target = 0
        self.announced = False

    def poll(self) -> None:
        if not self.announced:
            self.announced = True
            for pid in self.remote:
                self.peer_connected.emit(pid)

    def deliver(self, sender: int, packet: bytes) -> None:
        self.inbox.append((sender, packet))

    def get_available_packet_count(self) -> int:
        return len(self.inbox)

    def get_packet_peer(self) -> int:
        return self.inbox[0][0]

    def get_packet(self) -> bytes:
        return self.inbox.pop(0)[1]

    def put_packet(self, buffer: Any) -> Error:
        self.sent.append((self.target, bytes(buffer)))
        return Error.OK

    def set_target_peer(self, peer_id: int) -> None:
        self.target = peer_id

    def get_unique_id(self) -> int:
        return self.unique_id

    def get_connection_status(self) -> ConnectionStatus:
        return ConnectionStatus.CONNECTION_CONNECTED

    def is_server_relay_supported(self) -> bool:
        return True

    def is_server(self) -> bool:
        return self.unique_id == 1

    def disconnect_peer(self, peer: int, force: bool = False) -> None:
        pass


class Main(Node):
    def __init__(self, multiplayer: SceneMultiplayer) -> None:
        super().__init__(multiplayer, "Main")
        self.calls: list[tuple[int, int, str]] = []

    @rpc("any_peer")
    def hello(self, a: int, b: str) -> None:
        self.calls.append((self.multiplayer.get_remote_sender_id(), a, b))


def test_worked_example_through_scene_multiplayer() -> None:
    client_id = 1234567
    client_wire = WirePeer(client_id, [1])
    client = SceneMultiplayer()
    client.multiplayer_peer = client_wire
    client.poll()
    assert client.get_peers() == [1]
    main = Main(client)
    assert main.rpc_id(1, "hello", 42, "hi") == Error.OK
    assert client_wire.sent == [(1, SIMPLIFY), (1, FIRST_CALL)]

    server_wire = WirePeer(1, [client_id])
    server = SceneMultiplayer()
    server.multiplayer_peer = server_wire
    server_main = Main(server)
    server.poll()
    server_wire.deliver(client_id, SIMPLIFY)
    server_wire.deliver(client_id, FIRST_CALL)
    server.poll()
    assert server_wire.sent == [(client_id, CONFIRM)]
    assert server_main.calls == [(client_id, 42, "hi")]

    # Until the CONFIRM_PATH arrives, calls keep the full path (no second SIMPLIFY_PATH).
    client_wire.sent.clear()
    main.rpc_id(1, "hello", 42, "hi")
    assert client_wire.sent == [(1, FIRST_CALL)]
    client_wire.deliver(1, CONFIRM)
    client.poll()
    client_wire.sent.clear()
    main.rpc_id(1, "hello", 42, "hi")
    assert client_wire.sent == [(1, LATER_CALL)]
    server_wire.deliver(client_id, LATER_CALL)
    server.poll()
    assert server_main.calls[-1] == (client_id, 42, "hi")
    assert server.get_remote_sender_id() == 0  # only set while the call runs


def test_relayed_call_bytes() -> None:
    """A client's rpc_id(5555) becomes RELAY to the server; the server forwards it with the
    source instead of the destination."""
    client = SceneMultiplayer()
    wire = WirePeer(1234567, [1, 5555])
    client.multiplayer_peer = wire
    client.poll()
    main = Main(client)
    main.rpc_id(5555, "hello", 42, "hi")
    assert wire.sent == [(1, sys_packet(3, 5555, SIMPLIFY)), (1, sys_packet(3, 5555, FIRST_CALL))]

    server = SceneMultiplayer()
    swire = WirePeer(1, [1234567, 5555])
    server.multiplayer_peer = swire
    server.poll()
    swire.sent.clear()
    swire.deliver(1234567, sys_packet(3, 5555, LATER_CALL))
    server.poll()
    assert swire.sent == [(5555, sys_packet(3, 1234567, LATER_CALL))]


def test_admission_sends_add_peer_both_ways() -> None:
    server = SceneMultiplayer()
    wire = WirePeer(1, [10, 20])
    server.multiplayer_peer = wire
    server.poll()
    # 10 joined alone; when 20 joined: 07 01 20 to 10, then 07 01 10 to 20.
    assert wire.sent == [(10, sys_packet(1, 20)), (20, sys_packet(1, 10))]
    wire.sent.clear()
    wire.peer_disconnected.emit(10)
    assert wire.sent == [(20, sys_packet(2, 10))]
    assert server.get_peers() == [20]


# ------------------------------------------------------------------ codecs


@pytest.mark.parametrize(("value", "data"), [
    (True, "81"), (False, "01"), (0, "02 00"), (-128, "02 80"), (127, "02 7f"),
    (128, "42 80 00"), (-32768, "42 00 80"), (32768, "82 00 80 00 00"),
    (2**31, "c2 00 00 00 80 00 00 00 00"), (-(2**63), "c2 00 00 00 00 00 00 00 80"),
    (None, "00 00 00 00"), ("hi", "04 00 00 00 02 00 00 00 68 69 00 00"),
    (1.0, "03 00 00 00 00 00 80 3f"),
])
def test_compressed_variants(value: Any, data: str) -> None:
    assert encode_variant(value) == hx(data)
    packet = hx(data)
    from godot_ws.godot4._scene_wire import decode_variant

    assert decode_variant(packet, 0, len(packet), False) == (value, len(packet))


def test_args_raw_forms() -> None:
    assert encode_args([]) == (b"", True)
    assert encode_args([b"\x01\x02"]) == (b"\x01\x02", True)
    assert decode_args(b"\x80\x01\x00\x01\x02", 3, 5, True) == [b"\x01\x02"]
    assert decode_args(b"\x80\x01\x00", 3, 3, True) == []  # an empty PackedByteArray: 0 args
    # meta 0x80 (raw, 8-bit node, 8-bit name), node 1, method 0, no args
    assert remote_call_packet(1, 0, b"", True) == hx("80 01 00")


def test_node_and_method_id_compression() -> None:
    assert remote_call_packet(300, 0, b"\x00", False)[:4] == hx("10 2c 01 00")
    assert remote_call_packet(70000, 0, b"\x00", False)[:6] == hx("20 70 11 01 00 00")
    assert remote_call_packet(1, 0x8001, b"\x00", False)[:4] == hx("40 01 01 80")
    assert remote_call_packet(1, 0, b"\x00", False, wide=True)[:6] == hx("20 01 00 00 00 00")
    call = decode_remote_call(hx("40 01 01 80 00"))
    assert (call.node_target, call.method_id, call.args_offset) == (1, 0x8001, 4)


def test_sys_codec() -> None:
    assert sys_packet(1, 7) == hx("07 01 07 00 00 00")
    assert sys_packet(3, -7, b"x") == hx("07 03 f9 ff ff ff 78")
    assert decode_sys(hx("07 02 07 00 00 00")) == (2, 7)
    with pytest.raises(ValueError):
        decode_sys(hx("07 02 07"))


@pytest.mark.parametrize("packet", [
    "30 00 00", "00", "20 05 00 00 80 00", "00 01", "00 01 00 05 02", "00 01 00 01 3f",
    "20 ff ff ff ff 00 01", "01 00", "02 01 01 00 00", "00 01 00 01 04 ff ff ff 7f",
])
def test_malformed_packets_raise_value_error(packet: str) -> None:
    data = hx(packet)
    with pytest.raises(ValueError):
        if data[0] & 7 == 1:
            decode_simplify_path(data)
        elif data[0] & 7 == 2:
            decode_confirm_path(data)
        else:
            call = decode_remote_call(data)
            decode_args(data, call.args_offset, call.args_end, call.raw)


# ------------------------------------------------------------------ @rpc and method ids


def test_rpc_decorator_any_order_and_defaults() -> None:
    class N(Node):
        @rpc("call_local", "unreliable", "any_peer", 3)
        def a(self) -> None: ...

        @rpc
        def b(self) -> None: ...

        @rpc()
        def c(self) -> None: ...

        @rpc("unreliable_ordered")
        def d(self) -> None: ...

    config = script_rpc_config(N)
    assert config["a"] == {"rpc_mode": 1, "call_local": True, "transfer_mode": 0, "channel": 3}
    assert config["b"] == config["c"] == {"rpc_mode": RPCMode.RPC_MODE_AUTHORITY}
    table = build_table({}, config)
    assert [c.name for c in table.configs.values()] == ["a", "b", "c", "d"]
    # A bare @rpc is authority, call_remote, RELIABLE (not the docs' "unreliable"), channel 0.
    assert tuple(table.configs[1])[1:] == (2, 2, False, 0)
    assert table.configs[3].transfer_mode == 1


@pytest.mark.parametrize("args", [("any_peer", "authority"), ("call_local", "call_remote"),
                                  ("reliable", "unreliable"), ("bogus",), ("a", "b", "c", "d", 1),
                                  ("any_peer", "call_local", "reliable", "1")])
def test_rpc_decorator_rejects(args: tuple[Any, ...]) -> None:
    with pytest.raises((TypeError, ValueError)):
        rpc(*args)


def test_method_ids_sorted_by_code_point_node_level_first() -> None:
    class N(Node):
        @rpc("any_peer")
        def b(self) -> None: ...

        @rpc("any_peer")
        def _a(self) -> None: ...

        @rpc("any_peer")
        def Z(self) -> None: ...  # noqa: N802

    mp = SceneMultiplayer()
    node = N(mp, "N")
    node.rpc_config("zz", {"rpc_mode": 1})
    node.rpc_config("aa", {"rpc_mode": 2, "call_local": True})
    table = build_table(node.get_node_rpc_config(), node.get_rpc_config())
    assert table.ids == {"aa": 0x8000, "zz": 0x8001, "Z": 0, "_a": 1, "b": 2}
    assert table.md5 == rpc_md5(["aa", "zz", "Z", "_a", "b"])
    assert mp.get_rpc_md5(node) == table.md5


class Inherited(Main):
    @rpc("authority", "call_local")
    def extra(self) -> None: ...


def test_inherited_rpc_methods_count() -> None:
    assert sorted(script_rpc_config(Inherited)) == ["extra", "hello"]


def test_multiplayer_api_is_scene_multiplayer() -> None:
    assert MultiplayerAPI is SceneMultiplayer


# ------------------------------------------------------------------ bad input never raises


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_poll_never_raises_on_any_packet(packet: bytes) -> None:
    server = SceneMultiplayer()
    wire = WirePeer(1, [99])
    server.multiplayer_peer = wire
    Main(server)
    server.poll()
    logging.disable(logging.CRITICAL)
    try:
        wire.deliver(99, packet)
        wire.deliver(99, b"\x07\x03\x00\x00\x00\x00" + packet)
        assert server.poll() == Error.OK
    finally:
        logging.disable(logging.NOTSET)


def test_checksum_mismatch_is_reported_both_ways(caplog: pytest.LogCaptureFixture) -> None:
    """Different RPC methods on the two sides: the receiver still confirms (valid = 0) and
    both sides log Godot's checksum message."""

    class Other(Node):
        @rpc("any_peer")
        def hello(self, a: int, b: str) -> None: ...

        @rpc("any_peer")
        def extra(self) -> None: ...

    server = SceneMultiplayer()
    wire = WirePeer(1, [1234567])
    server.multiplayer_peer = wire
    Other(server, "Main")
    server.poll()
    wire.deliver(1234567, SIMPLIFY)  # the client's md5 is md5("hello")
    server.poll()
    assert wire.sent == [(1234567, hx("02 00 01 00 00 00"))]
    assert "The rpc node checksum failed" in caplog.text

    client = SceneMultiplayer()
    cwire = WirePeer(1234567, [1])
    client.multiplayer_peer = cwire
    client.poll()
    main = Main(client)
    main.rpc_id(1, "hello", 1, "x")
    caplog.clear()
    cwire.deliver(1, hx("02 00 01 00 00 00"))
    client.poll()
    assert "The rpc node checksum failed" in caplog.text and "/root/Main" in caplog.text
    cwire.sent.clear()
    main.rpc_id(1, "hello", 1, "x")
    assert cwire.sent[0][1][0] == 0x00  # confirmed anyway: compressed ids from now on


def test_simplify_path_for_a_missing_node_gets_no_reply(caplog: pytest.LogCaptureFixture) -> None:
    server = SceneMultiplayer()
    wire = WirePeer(1, [77])
    server.multiplayer_peer = wire
    server.poll()
    wire.deliver(77, simplify_path_packet(rpc_md5(["hello"]), 1, "Nope"))
    wire.deliver(77, remote_call_packet(1, 0, b"", True))  # cache id 1 was never stored
    server.poll()
    assert wire.sent == []
    assert "no node at path 'Nope'" in caplog.text
    assert "ID 1 not found in cache of peer 77." in caplog.text


class Pinger(Node):
    """No @rpc methods: only a node-level config (rpc_config)."""

    def __init__(self, multiplayer: SceneMultiplayer, path: str) -> None:
        super().__init__(multiplayer, path)
        self.got: list[tuple[int, Any]] = []

    def ping(self, value: Any) -> None:
        self.got.append((self.multiplayer.get_remote_sender_id(), value))


def test_node_level_config_and_16_bit_ids_end_to_end() -> None:
    """A node-level method (id 0x8000: 16-bit) and a node cache id above 255 (16-bit)."""
    sender = SceneMultiplayer()
    swire = WirePeer(1, [5])
    sender.multiplayer_peer = swire
    sender.poll()
    receiver = SceneMultiplayer()
    rwire = WirePeer(5, [1])
    receiver.multiplayer_peer = rwire
    receiver.poll()
    nodes = [Pinger(sender, f"N{i}") for i in range(300)]
    target = Pinger(receiver, "N299")
    target.rpc_config("ping", {"rpc_mode": RPCMode.RPC_MODE_AUTHORITY})
    for node in nodes:
        node.rpc_config("ping", {"rpc_mode": RPCMode.RPC_MODE_ANY_PEER})
        assert node.rpc_id(5, "ping", 0 if node is not nodes[-1] else 7) == Error.OK
    for _pid, packet in swire.sent:  # N0..N298 do not exist there: logged, dropped
        rwire.deliver(1, packet)
    swire.sent.clear()
    logging.disable(logging.CRITICAL)
    try:
        receiver.poll()
    finally:
        logging.disable(logging.NOTSET)
    assert target.got == [(1, 7)]
    for _pid, packet in rwire.sent:  # the CONFIRM_PATH for N299 (cache id 300)
        swire.deliver(5, packet)
    sender.poll()
    nodes[-1].rpc_id(5, "ping", 8)
    ((_, packet),) = swire.sent
    assert packet[:6] == hx("50 2c 01 00 80 01")  # 16-bit node 300, 16-bit method 0x8000
    rwire.deliver(1, packet)
    receiver.poll()
    assert target.got == [(1, 7), (1, 8)]
