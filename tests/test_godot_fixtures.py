"""The real-Godot test peers (tests/godot/*.gd, tests/godot_peer.py) do what they promise.

A raw websocket-client 1.9.2 client talks to godot3-server, and every byte is built or
checked by hand here (FACTS.md 1.9, 2 and 3.3), so these tests hold even while godot_ws
itself is broken. Only test_values_* use godot_ws.variant.codec, to prove that GODOT_VALUES mirrors
the table in mp_server.gd.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import pytest
import websocket
from godot_peer import GODOT_TYPE_IDS, GODOT_VALUES, GodotProcess, godot_equal

from godot_ws.variant.types3 import PoolIntArray, PoolStringArray, Vector2

OP_TEXT = websocket.ABNF.OPCODE_TEXT
OP_BINARY = websocket.ABNF.OPCODE_BINARY
OP_CLOSE = websocket.ABNF.OPCODE_CLOSE
TIMEOUT = 10.0


def connect(godot: GodotProcess, **kw: Any) -> websocket.WebSocket:
    return websocket.create_connection(godot.url, timeout=TIMEOUT, **kw)


def recv(ws: websocket.WebSocket) -> tuple[int, bytes]:
    """Next frame as (opcode, payload); close frames are returned, not answered."""
    frame = ws.recv_frame()
    return frame.opcode, frame.data


# ------------------------------------------------------------------------------ echo_server


def test_echo_text_stays_text(godot_echo_server: GodotProcess) -> None:
    ws = connect(godot_echo_server)
    for text in ("hello", "héllo ✓ 日本 🎮", "x" * 70000):
        ws.send(text)
        assert recv(ws) == (OP_TEXT, text.encode())
    ws.close()


def test_echo_binary_stays_binary(godot_echo_server: GodotProcess) -> None:
    ws = connect(godot_echo_server)
    for data in (b"\x00\x01\x02", b"\xff\xfe not utf-8 \xc3", bytes(range(256)) * 1000):
        ws.send_binary(data)
        assert recv(ws) == (OP_BINARY, data)
    # a binary "quit" is data, not a command
    ws.send_binary(b"quit")
    assert recv(ws) == (OP_BINARY, b"quit")
    ws.close()


def test_echo_malformed_controls_are_echoed(godot_echo_server: GodotProcess) -> None:
    ws = connect(godot_echo_server)
    for text in ("close:", "close:abc", "close:-1", "burst:x", "burst:1:2", "big:", "quitx"):
        ws.send(text)
        assert recv(ws) == (OP_TEXT, text.encode())
    ws.close()


def test_echo_close_with_code_and_reason(godot_echo_server: GodotProcess) -> None:
    ws = connect(godot_echo_server)
    ws.send("close:4001:bye:now")
    # Godot 3.2.3 sends the reason's UTF-8 plus a NUL (FACTS 1.9); ':' in the reason is kept
    assert recv(ws) == (OP_CLOSE, struct.pack("!H", 4001) + b"bye:now\x00")
    # Godot keeps the peer until the close is answered; a server-initiated close is "unclean"
    ws.send_close(4001, b"bye:now")
    godot_echo_server.wait_for(r"^DISCONNECTED \d+ false$")
    ws.shutdown()


def test_echo_close_without_reason(godot_echo_server: GodotProcess) -> None:
    ws = connect(godot_echo_server)
    ws.send("close:4002")
    assert recv(ws) == (OP_CLOSE, struct.pack("!H", 4002))
    ws.shutdown()
    ws = connect(godot_echo_server)
    ws.send("close")
    assert recv(ws) == (OP_CLOSE, struct.pack("!H", 1000))
    ws.shutdown()


def test_echo_logs_client_close(godot_echo_server: GodotProcess) -> None:
    ws = connect(godot_echo_server)
    ws.send("info")
    opcode, info = recv(ws)
    assert opcode == OP_TEXT and info.startswith(b"info:")
    peer_id = int(info.split(b":")[1])
    godot_echo_server.wait_for(rf'^CONNECTED {peer_id} ""$')
    ws.close(status=4003, reason=b"cli-reason")
    godot_echo_server.wait_for(rf'^CLOSE_REQUEST {peer_id} 4003 "cli-reason"$')
    godot_echo_server.wait_for(rf"^DISCONNECTED {peer_id} true$")


def test_echo_burst_keeps_order(godot_echo_server: GodotProcess) -> None:
    ws = connect(godot_echo_server)
    ws.send("burst:1000")
    for i in range(1000):
        assert recv(ws) == (OP_BINARY, struct.pack("<I", i))
    assert recv(ws) == (OP_TEXT, b"burst-end:1000")
    ws.send("tburst:3")
    assert [recv(ws) for _ in range(4)] == [
        (OP_TEXT, b"0"),
        (OP_TEXT, b"1"),
        (OP_TEXT, b"2"),
        (OP_TEXT, b"burst-end:3"),
    ]
    ws.close()


def test_echo_big_message(godot_echo_server: GodotProcess) -> None:
    ws = connect(godot_echo_server)
    ws.send("big:1000000")
    opcode, data = recv(ws)
    assert opcode == OP_BINARY
    assert data == (bytes(range(256)) * 4000)[:1000000]
    ws.close()


def test_echo_subprotocols(godot_process_factory: Any) -> None:
    godot = godot_process_factory("echo_server.gd", "protocols=chat,json")
    # Godot picks the first protocol in the CLIENT's list that it supports (FACTS 1.13)
    ws = connect(godot, subprotocols=["xml", "json", "chat"])
    assert ws.getsubprotocol() == "json"
    ws.send("info")
    assert recv(ws)[1].endswith(b":json")
    ws.close()
    with pytest.raises(websocket.WebSocketException):  # no match: TCP dropped, no HTTP reply
        connect(godot, subprotocols=["xml"])


def test_echo_quit(godot_echo_server: GodotProcess) -> None:
    ws = connect(godot_echo_server)
    ws.send("quit")
    # the dying server object closes its peers with 1000 and no reason
    assert recv(ws) == (OP_CLOSE, struct.pack("!H", 1000))
    assert godot_echo_server.wait(TIMEOUT) == 0
    assert "QUIT" in godot_echo_server.lines()


def test_echo_kill_drops_tcp(godot_echo_server: GodotProcess) -> None:
    ws = connect(godot_echo_server)
    ws.send("ping")
    assert recv(ws) == (OP_TEXT, b"ping")
    godot_echo_server.kill()
    with pytest.raises(websocket.WebSocketConnectionClosedException):
        ws.recv_frame()


def test_lifetime_watchdog(godot_process_factory: Any) -> None:
    godot = godot_process_factory("echo_server.gd", lifetime=0.3)
    assert godot.wait(TIMEOUT) == 4
    godot.wait_for("^LIFETIME_EXPIRED$")


# ---------------------------------------------------------------- hand-made Variant bytes


def v_int(n: int) -> bytes:
    return struct.pack("<Ii", 2, n)


def v_str(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<II", 4, len(raw)) + raw + b"\0" * (-len(raw) % 4)


def v_array(*items: bytes) -> bytes:
    return struct.pack("<II", 19, len(items)) + b"".join(items)


def mp_header(kind: int, src: int, dst: int) -> bytes:
    return struct.pack("<Bii", kind, src, dst)


def mp_recv(ws: websocket.WebSocket) -> tuple[int, int, int, bytes]:
    """One MP message: (type, from, to, payload); MP messages are always binary."""
    opcode, data = recv(ws)
    assert opcode == OP_BINARY, (opcode, data)
    assert len(data) >= 9
    kind, src, dst = struct.unpack_from("<Bii", data)
    return kind, src, dst, data[9:]


def mp_join(ws: websocket.WebSocket) -> int:
    """Read SYS_ID and SYS_ADD(1) (FACTS 2.2); return our id."""
    kind, src, dst, payload = mp_recv(ws)
    assert (kind, src, dst, len(payload)) == (3, 1, 0, 4)  # SYS_ID
    my_id: int = struct.unpack("<i", payload)[0]
    assert 1 < my_id < 2**31
    assert mp_recv(ws) == (1, 1, 0, struct.pack("<i", 1))  # SYS_ADD(server)
    return my_id


def mp_send(ws: websocket.WebSocket, my_id: int, payload: bytes, to: int = 1) -> None:
    ws.send_binary(mp_header(0, my_id, to) + payload)


def decode_string_array(data: bytes) -> list[str]:
    """A PoolStringArray by hand (FACTS 3.2 id 23: len+1, bytes, NUL, pad)."""
    assert struct.unpack_from("<I", data)[0] == 23
    (count,) = struct.unpack_from("<I", data, 4)
    pos, out = 8, []
    for _ in range(count):
        (n,) = struct.unpack_from("<I", data, pos)
        raw = data[pos + 4 : pos + 4 + n]
        out.append(raw.rstrip(b"\0").decode())
        pos += 4 + n + (-n % 4)
    return out


# -------------------------------------------------------------------------------- mp_server


def test_mp_join_and_echo(godot_mp_server: GodotProcess) -> None:
    ws = connect(godot_mp_server)
    my_id = mp_join(ws)
    godot_mp_server.wait_for(rf"^PEER_CONNECTED {my_id}$")
    request = v_array(v_str("echo"), v_int(1))
    # FACTS 3.3 style: [ "echo", 1 ]
    assert request == bytes.fromhex(
        "13000000 02000000 04000000 04000000 6563686f 02000000 01000000"
    )
    mp_send(ws, my_id, request)
    assert mp_recv(ws) == (0, 1, my_id, request)  # from the server, to us, same Variant
    ws.close()
    godot_mp_server.wait_for(rf"^PEER_DISCONNECTED {my_id}$")


def test_mp_check_make_encode(godot_mp_server: GodotProcess) -> None:
    ws = connect(godot_mp_server)
    my_id = mp_join(ws)

    def checked(name: str, ok: bool) -> bytes:
        return v_array(v_str("checked"), v_str(name), struct.pack("<II", 1, ok))

    mp_send(ws, my_id, v_array(v_str("check"), v_str("int_small"), v_int(42)))
    assert mp_recv(ws)[3] == checked("int_small", True)
    # same number as a float: typeof differs, so not ok
    mp_send(ws, my_id, v_array(v_str("check"), v_str("int_small"), struct.pack("<If", 3, 42)))
    assert mp_recv(ws)[3] == checked("int_small", False)
    godot_mp_server.wait_for(r"^CHECK_FAIL int_small ")
    mp_send(ws, my_id, v_array(v_str("check"), v_str("no_such_type"), v_int(1)))
    assert mp_recv(ws)[3] == checked("no_such_type", False)

    vector2 = struct.pack("<Iff", 5, 1.5, -2.25)
    mp_send(ws, my_id, v_array(v_str("make"), v_str("vector2")))
    assert mp_recv(ws)[3] == v_array(v_str("made"), v_str("vector2"), vector2)
    mp_send(ws, my_id, v_array(v_str("encode"), v_str("vector2")))
    pool = struct.pack("<II", 20, len(vector2)) + vector2  # PoolByteArray, already 4-aligned
    assert mp_recv(ws)[3] == v_array(v_str("encoded"), v_str("vector2"), pool)
    mp_send(ws, my_id, v_array(v_str("make"), v_str("nope")))
    assert mp_recv(ws)[3] == v_array(v_str("unknown_type"), v_str("nope"))
    ws.close()


def test_mp_types_match_godot_values(godot_mp_server: GodotProcess) -> None:
    ws = connect(godot_mp_server)
    my_id = mp_join(ws)
    mp_send(ws, my_id, v_array(v_str("types")))
    payload = mp_recv(ws)[3]
    head = struct.pack("<II", 19, 2) + v_str("types")
    assert payload.startswith(head)
    names = decode_string_array(payload[len(head) :])
    assert names == list(GODOT_VALUES)  # same names, same order as mp_server.gd
    ws.close()


def test_mp_two_clients_broadcast_and_leave(godot_mp_server: GodotProcess) -> None:
    a = connect(godot_mp_server)
    a_id = mp_join(a)
    b = connect(godot_mp_server)
    b_id = mp_join(b)
    assert mp_recv(b) == (1, 1, 0, struct.pack("<i", a_id))  # SYS_ADD(a) to b
    assert mp_recv(a) == (1, 1, 0, struct.pack("<i", b_id))  # SYS_ADD(b) to a

    mp_send(a, a_id, v_array(v_str("peers")))
    ids = sorted((a_id, b_id))
    assert mp_recv(a)[3] == v_array(v_str("peers"), struct.pack("<IIii", 21, 2, *ids))

    mp_send(a, a_id, v_array(v_str("broadcast"), v_str("hi")))
    expected = v_array(v_str("bcast"), v_str("hi"))
    assert mp_recv(a) == (0, 1, 0, expected)
    assert mp_recv(b) == (0, 1, 0, expected)

    mp_send(a, a_id, v_array(v_str("send_to"), v_int(b_id), v_int(5)))
    assert mp_recv(b) == (0, 1, b_id, v_array(v_str("from_server"), v_int(5)))

    # client-to-client: relayed byte-identical by the server (FACTS 2.4)
    mp_send(a, a_id, v_str("direct"), to=b_id)
    assert mp_recv(b) == (0, a_id, b_id, v_str("direct"))

    a.close()
    assert mp_recv(b) == (2, 1, 0, struct.pack("<i", a_id))  # SYS_DEL(a)
    b.close()


def test_mp_burst_raw_kick(godot_mp_server: GodotProcess) -> None:
    ws = connect(godot_mp_server)
    my_id = mp_join(ws)
    mp_send(ws, my_id, v_array(v_str("burst"), v_int(200)))
    for i in range(200):
        assert mp_recv(ws)[3] == v_array(v_str("seq"), v_int(i))
    assert mp_recv(ws)[3] == v_array(v_str("burst_end"), v_int(200))

    junk = b"\x04\x00\x00\x00\x09\x00\x00\x00A"  # a String claiming 9 bytes, holding 1
    raw = struct.pack("<II", 20, len(junk)) + junk + b"\0" * (-len(junk) % 4)
    mp_send(ws, my_id, v_array(v_str("raw"), raw))
    assert mp_recv(ws) == (0, 1, my_id, junk)

    # undecodable input is answered, and the server keeps running (no script error)
    mp_send(ws, my_id, junk)
    assert mp_recv(ws)[3] == v_array(v_str("decode_error"), raw)
    godot_mp_server.wait_for(rf"^DECODE_ERROR {my_id} 040000000900000041$")
    mp_send(ws, my_id, v_int(3))
    assert mp_recv(ws)[3] == v_array(v_str("unknown"), v_int(3))
    mp_send(ws, my_id, bytes(4))  # a real NIL is not a decode error
    assert mp_recv(ws)[3] == v_array(v_str("unknown"), bytes(4))

    mp_send(ws, my_id, v_array(v_str("kick"), v_int(4005), v_str("go")))
    assert recv(ws) == (OP_CLOSE, struct.pack("!H", 4005) + b"go\x00")
    ws.shutdown()


def test_mp_quit(godot_mp_server: GodotProcess) -> None:
    ws = connect(godot_mp_server)
    my_id = mp_join(ws)
    mp_send(ws, my_id, v_str("quit"))
    assert recv(ws) == (OP_CLOSE, struct.pack("!H", 1000))
    assert godot_mp_server.wait(TIMEOUT) == 0


# ----------------------------------------------- GODOT_VALUES against Godot, via the codec


def test_godot_equal_is_strict() -> None:
    assert godot_equal([1, {"a": 1.5}], [1, {"a": 1.5}])
    assert not godot_equal(1, 1.0)
    assert not godot_equal(True, 1)
    assert not godot_equal({1: "x"}, {1.0: "x"})
    assert not godot_equal([1], PoolIntArray([1]))
    assert not godot_equal(PoolStringArray(["a"]), ["a"])
    assert godot_equal(Vector2(1.5, 2.0), Vector2(1.5, 2.0))
    assert godot_equal(math.inf, math.inf)
    assert GODOT_TYPE_IDS.keys() == GODOT_VALUES.keys()


def test_values_match_godot(godot_mp_server: GodotProcess) -> None:
    """For every table entry: Godot's value decodes to GODOT_VALUES[name], Godot's
    var2bytes has the expected type id, and GODOT_VALUES encoded by godot_ws passes
    Godot's own typeof + deep-equality check."""
    variant = pytest.importorskip("godot_ws.variant.codec")
    ws = connect(godot_mp_server)
    my_id = mp_join(ws)
    problems = []
    for name, expected in GODOT_VALUES.items():
        mp_send(ws, my_id, variant.encode_var(["make", name]))
        made = variant.decode_var(mp_recv(ws)[3])
        if made[:2] != ["made", name] or not godot_equal(made[2], expected):
            problems.append(f"make {name}: Godot sent {made!r}, expected {expected!r}")

        mp_send(ws, my_id, variant.encode_var(["encode", name]))
        encoded = variant.decode_var(mp_recv(ws)[3])[2]
        if encoded[0] != GODOT_TYPE_IDS[name]:
            problems.append(f"encode {name}: type id {encoded[0]} != {GODOT_TYPE_IDS[name]}")

        mp_send(ws, my_id, variant.encode_var(["check", name, expected]))
        checked = variant.decode_var(mp_recv(ws)[3])
        if checked != ["checked", name, True]:
            problems.append(f"check {name}: Godot answered {checked!r}")
    ws.close()
    assert not problems, "\n".join(problems) + "\n--- Godot ---\n" + godot_mp_server.output()
