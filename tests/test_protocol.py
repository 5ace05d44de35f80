"""The sans-IO protocol in memory: framing, fragmentation, control frames, limits, and any
chunking of the byte stream (hypothesis)."""

from __future__ import annotations

import struct
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from support import accept_key, frame, unmask_frames

from godot_ws.core.handshake import parse_target
from godot_ws.core.inbound import FRAMES_PER_POLL
from godot_ws.core.events import Closed, CloseRequested, HandshakeDone, HandshakeFailed
from godot_ws.core.frames import mask_payload
from godot_ws.core.protocol import ClientProtocol, PacketQueue, State


def make(max_packets: int = 1024, max_bytes: int = 1 << 20, max_message: int = 1 << 20,
         protocols: tuple[str, ...] = ()) -> ClientProtocol:
    target = parse_target("ws://example.com:8080/game?x=1")
    assert target is not None
    return ClientProtocol(target, PacketQueue(max_packets, max_bytes), protocols,
                          max_message_size=max_message,
                          mask_source=lambda n: b"\x01\x02\x03\x04" * (n // 4))


def handshake(proto: ClientProtocol, extra: str = "") -> bytes:
    request = proto.data_to_send().decode()
    key = next(line.split(": ", 1)[1] for line in request.split("\r\n")
               if line.startswith("Sec-WebSocket-Key"))
    return (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept_key(key)}\r\n{extra}\r\n"
    ).encode()


def opened(**kwargs: Any) -> ClientProtocol:
    proto = make(**kwargs)
    proto.receive_data(handshake(proto))
    assert proto.events_received() == [HandshakeDone("")]
    return proto


def packets(proto: ClientProtocol) -> list[tuple[bytes, bool]]:
    out = []
    while proto.queue.packets:
        out.append(proto.queue.pop())
    return out


def polls(proto: ClientProtocol) -> int:
    """Decode what the per-poll frame budget held back, one simulated poll at a time."""
    n = 0
    while proto.blocked and proto.state is not State.CLOSED:
        proto.frames_left = FRAMES_PER_POLL
        proto.resume()
        n += 1
        assert n < 10000
    return n


def sent(proto: ClientProtocol) -> list[tuple[int, bytes]]:
    return list(unmask_frames(proto.data_to_send()))


def test_request_is_godot_shaped() -> None:
    proto = make(protocols=("chat", "json"))
    request = proto.data_to_send().decode()
    lines = request.split("\r\n")
    assert lines[0] == "GET /game?x=1 HTTP/1.1"
    assert "Host: example.com:8080" in lines
    assert "Sec-WebSocket-Version: 13" in lines
    assert "Sec-WebSocket-Protocol: chat,json" in lines
    assert request.endswith("\r\n\r\n")
    assert not any(line.startswith("Origin") for line in lines)


def test_frames_right_after_the_101_are_decoded() -> None:
    proto = make()
    proto.receive_data(handshake(proto) + frame(2, b"early"))
    assert proto.events_received() == [HandshakeDone("")]
    assert packets(proto) == [(b"early", False)]


def test_handshake_reply_split_byte_by_byte() -> None:
    proto = make()
    reply = handshake(proto) + frame(1, b"hi")
    for i in range(len(reply)):
        proto.receive_data(reply[i:i + 1])
    assert proto.state is State.OPEN
    assert packets(proto) == [(b"hi", True)]


def test_protocol_rules() -> None:
    proto = make(protocols=("chat",))
    proto.receive_data(handshake(proto, "Sec-WebSocket-Protocol: chat\r\n"))
    assert proto.events_received() == [HandshakeDone("chat")]
    proto = make(protocols=("chat",))
    proto.receive_data(handshake(proto))  # a protocol was requested, none chosen
    assert isinstance(proto.events_received()[0], HandshakeFailed)
    proto = make()
    proto.receive_data(handshake(proto, "Sec-WebSocket-Extensions: permessage-deflate\r\n"))
    assert isinstance(proto.events_received()[0], HandshakeFailed)


def test_oversized_reply_headers_fail() -> None:
    proto = make()
    proto.receive_data(b"HTTP/1.1 101 OK\r\n" + b"X: " + b"a" * 20000)
    assert isinstance(proto.events_received()[0], HandshakeFailed)


def test_masking_and_lengths() -> None:
    proto = opened()
    for n in (0, 1, 125, 126, 65535, 65536, 70000):
        proto.send_message(bytes(range(256)) * (n // 256) + bytes(n % 256), False)
    frames = sent(proto)
    assert [len(p) for _, p in frames] == [0, 1, 125, 126, 65535, 65536, 70000]
    assert mask_payload(b"\x01\x02\x03\x04", b"\x01\x02\x03\x04\x05") == b"\x00\x00\x00\x00\x04"


def test_exact_frame_bytes() -> None:
    proto = opened()
    proto.send_message(b"Hi", True)
    # FIN|TEXT, MASK|2, key 01020304, "H"^1 "i"^2
    assert proto.data_to_send() == bytes([0x81, 0x82, 1, 2, 3, 4, ord("H") ^ 1, ord("i") ^ 2])


def test_fragmented_message_with_interleaved_ping() -> None:
    proto = opened()
    proto.receive_data(frame(1, b"he", fin=False) + frame(9, b"p") + frame(0, b"ll", fin=False)
                       + frame(0, b"o"))
    assert packets(proto) == [(b"hello", True)]
    assert sent(proto) == [(0xA, b"p")]


def test_invalid_utf8_fails_fast_inside_fragments() -> None:
    proto = opened()
    proto.receive_data(frame(1, b"ok", fin=False) + frame(0, b"\xff", fin=False))
    assert proto.state is State.CLOSED
    assert sent(proto) == [(8, struct.pack("!H", 1007))]
    assert proto.events_received() == [Closed(False, 1007, "text message is not valid UTF-8")]


def test_text_split_inside_a_character_is_fine() -> None:
    data = "é".encode()
    proto = opened()
    proto.receive_data(frame(1, data[:1], fin=False) + frame(0, data[1:]))
    assert packets(proto) == [(data, True)]


def test_protocol_violations_close_with_1002() -> None:
    cases = [
        frame(0, b"x"),  # continuation with no message
        frame(1, b"a", fin=False) + frame(1, b"b"),  # new message inside one
        frame(3, b""),  # reserved data opcode
        frame(0xB, b""),  # reserved control opcode
        frame(9, b"x", fin=False),  # fragmented control
        frame(9, b"x" * 126),  # oversized control
        frame(8, b"\x03"),  # 1-byte close
        frame(8, struct.pack("!H", 1005)),  # code that may not be sent
        frame(8, struct.pack("!H", 999)),
        bytes([0x82, 0x81, 0, 0, 0, 0, 0]),  # masked frame from a server
    ]
    for data in cases:
        proto = opened()
        proto.receive_data(data)
        assert proto.state is State.CLOSED, data
        assert sent(proto) == [(8, struct.pack("!H", 1002))], data
        event = proto.events_received()[0]
        assert isinstance(event, Closed) and not event.clean and event.code == 1002


def test_close_reason_must_be_utf8() -> None:
    proto = opened()
    proto.receive_data(frame(8, struct.pack("!H", 1000) + b"\xff"))
    assert sent(proto) == [(8, struct.pack("!H", 1007))]


def test_server_close_is_echoed() -> None:
    proto = opened()
    proto.receive_data(frame(2, b"last") + frame(8, struct.pack("!H", 4000) + b"bye")
                       + frame(2, b"after close is ignored"))
    assert packets(proto) == [(b"last", False)]
    assert proto.events_received() == [CloseRequested(4000, "bye"), Closed(True, 4000, "bye")]
    assert sent(proto) == [(8, struct.pack("!H", 4000) + b"bye")]


def test_client_close_waits_for_reply_and_keeps_data() -> None:
    proto = opened()
    proto.close(4002, "cli")
    assert proto.state is State.CLOSING
    assert sent(proto) == [(8, struct.pack("!H", 4002) + b"cli")]
    proto.receive_data(frame(2, b"in flight") + frame(8, struct.pack("!H", 4002)))
    assert packets(proto) == [(b"in flight", False)]
    assert proto.events_received() == [Closed(True, 4002, "")]
    assert sent(proto) == []  # no second close frame


def test_long_close_reason_is_cut_at_a_character_boundary() -> None:
    proto = opened()
    proto.close(1000, "é" * 100)
    (_, payload), = sent(proto)
    assert len(payload) <= 125
    payload[2:].decode("utf-8")


def test_eof_without_close_is_unclean_after_the_data() -> None:
    proto = opened()
    proto.receive_data(frame(2, b"a") + frame(2, b"bc")[:2])
    proto.receive_eof()
    assert packets(proto) == [(b"a", False)]
    event, = proto.events_received()
    assert isinstance(event, Closed) and not event.clean and event.code == 1006


def test_message_size_limit_is_checked_on_the_header() -> None:
    proto = opened(max_message=1000)
    proto.receive_data(frame(2, b"", length=2**62)[:10])
    assert sent(proto) == [(8, struct.pack("!H", 1009))]
    proto = opened(max_message=1000)
    proto.receive_data(frame(2, b"x" * 600, fin=False) + frame(0, b"x" * 600)[:4])
    assert sent(proto) == [(8, struct.pack("!H", 1009))]


def test_full_queue_blocks_then_resumes_in_order() -> None:
    proto = opened(max_packets=2, max_bytes=10)
    proto.receive_data(b"".join(frame(2, bytes([i]) * 3) for i in range(6))
                       + frame(8, struct.pack("!H", 1000)))
    assert proto.blocked and len(proto.queue.packets) == 2
    assert proto.events_received() == []  # the close waits behind the queued data
    seen = packets(proto)
    while proto.blocked:
        proto.resume()
        seen += packets(proto)
    assert seen == [(bytes([i]) * 3, False) for i in range(6)]
    assert proto.events_received()[-1] == Closed(True, 1000, "")


def test_one_message_may_use_the_whole_byte_budget() -> None:
    proto = opened(max_packets=4, max_bytes=100, max_message=100)
    proto.receive_data(frame(2, b"a" * 60) + frame(2, b"b" * 60))
    assert len(proto.queue.packets) == 1 and proto.blocked
    packets(proto)
    proto.resume()
    assert packets(proto) == [(b"b" * 60, False)]


# ------------------------------------------------------------------------- chunking

messages = st.lists(
    st.tuples(st.binary(max_size=300), st.booleans(), st.integers(1, 4)), max_size=12
)


def encode_stream(msgs: list[tuple[bytes, bool, int]]) -> bytes:
    out = b""
    for payload, text, parts in msgs:
        if text:
            payload = payload.decode("latin-1").encode("utf-8")
        size = max(1, -(-len(payload) // parts))
        chunks = [payload[i:i + size] for i in range(0, len(payload), size)] or [b""]
        for i, chunk in enumerate(chunks):
            opcode = (1 if text else 2) if i == 0 else 0
            out += frame(opcode, chunk, fin=i == len(chunks) - 1)
            if i == 0 and len(chunks) > 1:
                out += frame(9, b"ping")  # control frames may interleave
    return out + frame(8, struct.pack("!H", 1000) + b"end")


@settings(max_examples=200, deadline=None)
@given(messages, st.lists(st.integers(1, 400), max_size=40))
def test_any_chunking_gives_the_same_messages(
    msgs: list[tuple[bytes, bool, int]], cuts: list[int]
) -> None:
    stream = encode_stream(msgs)
    expected = [
        (p.decode("latin-1").encode("utf-8") if t else p, t) for p, t, _ in msgs
    ]
    whole = opened()
    whole.receive_data(stream)
    assert packets(whole) == expected
    proto = opened()
    pos = 0
    for cut in cuts:
        proto.receive_data(stream[pos:pos + cut])
        pos += cut
    proto.receive_data(stream[pos:])
    assert packets(proto) == expected
    assert proto.events_received() == [CloseRequested(1000, "end"), Closed(True, 1000, "end")]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000), st.lists(st.integers(1, 64), max_size=20))
def test_random_bytes_never_raise_and_stay_bounded(data: bytes, cuts: list[int]) -> None:
    proto = opened(max_packets=8, max_bytes=512, max_message=512)
    pos = 0
    for cut in cuts + [len(data)]:
        proto.receive_data(data[pos:pos + cut])
        pos += cut
        proto.queue.clear()
        proto.resume()
    for event in proto.events_received():
        if isinstance(event, Closed):
            assert event.code in (1000, 1002, 1005, 1007, 1009) or 1000 <= event.code <= 4999
    assert len(proto._buf) + proto._chunks_len <= len(data)


@settings(max_examples=200, deadline=None)
@given(messages, st.integers(0, 10_000), st.integers(0, 255))
def test_mutated_streams_fail_only_with_protocol_codes(
    msgs: list[tuple[bytes, bool, int]], where: int, value: int
) -> None:
    stream = bytearray(encode_stream(msgs))
    stream[where % len(stream)] = value
    proto = opened(max_message=4096)
    proto.receive_data(bytes(stream))
    for event in proto.events_received():
        if isinstance(event, Closed) and not event.clean:
            assert event.code in (1002, 1007, 1009)
    frames = sent(proto)
    assert all(op in (8, 0xA) for op, _ in frames)


def test_violation_behind_a_message_waits_one_poll_so_it_can_be_answered() -> None:
    proto = opened()
    proto.receive_data(frame(1, b"answer me") + frame(2, b"x", rsv=2) + frame(2, b"never"))
    assert proto.state is State.OPEN and proto.blocked
    assert packets(proto) == [(b"answer me", True)]
    proto.send_message(b"answer me", True)
    proto.resume()
    assert proto.state is State.CLOSED
    assert sent(proto) == [(1, b"answer me"), (8, struct.pack("!H", 1002))]
    event, = proto.events_received()
    assert isinstance(event, Closed) and event.code == 1002 and not event.clean
    proto.resume()
    assert packets(proto) == []  # nothing after the violation is decoded


def test_bad_utf8_fails_before_the_text_frame_is_complete() -> None:
    proto = opened()
    whole = frame(1, b"good" * 100 + b"\xc0\xaf" + b"more" * 100)
    proto.receive_data(whole[:100])
    assert proto.state is State.OPEN
    proto.receive_data(whole[100:420])  # holds the bad sequence; the frame is not complete
    assert proto.state is State.CLOSED
    assert sent(proto) == [(8, struct.pack("!H", 1007))]


def test_partial_check_continues_a_fragmented_text_message() -> None:
    data = "é".encode()
    proto = opened()
    proto.receive_data(frame(1, b"a" + data[:1], fin=False))
    cont = frame(0, data[1:] + b"b" * 300)
    proto.receive_data(cont[:10])  # the split character completes inside the partial frame
    assert proto.state is State.OPEN
    proto.receive_data(cont[10:])
    assert packets(proto) == [(b"a" + data + b"b" * 300, True)]


def test_large_frame_from_many_chunks_then_more_frames() -> None:
    big = bytes(range(256)) * 4096  # 1 MiB
    stream = frame(2, b"a") + frame(2, big) + frame(1, b"after") + frame(2, b"x" * 70000)
    proto = opened(max_message=2 << 20, max_bytes=4 << 20)
    for i in range(0, len(stream), 65536):
        proto.receive_data(stream[i:i + 65536])
    assert packets(proto) == [(b"a", False), (big, False), (b"after", True),
                              (b"x" * 70000, False)]
    assert proto._buf == b"" and proto._chunks == []


# ------------------------------------------------------------------------- server role


def masked_frame(opcode: int, payload: bytes, key: bytes, fin: bool = True) -> bytes:
    head = frame(opcode, b"", fin=fin, length=len(payload))
    return bytes([head[0], head[1] | 0x80]) + head[2:] + key + mask_payload(key, payload)


UPGRADE = (b"GET /x HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
           b"Sec-WebSocket-Protocol: json, chat\r\n\r\n")


@settings(max_examples=150, deadline=None)
@given(messages, st.lists(st.integers(1, 300), max_size=40), st.binary(min_size=4, max_size=4))
def test_server_role_any_chunking_of_masked_frames(
    msgs: list[tuple[bytes, bool, int]], cuts: list[int], key: bytes
) -> None:
    from godot_ws.core.protocol import ServerProtocol

    stream = b""
    for payload, text, parts in msgs:
        if text:
            payload = payload.decode("latin-1").encode("utf-8")
        size = max(1, -(-len(payload) // parts))
        chunks = [payload[i:i + size] for i in range(0, len(payload), size)] or [b""]
        for i, chunk in enumerate(chunks):
            opcode = (1 if text else 2) if i == 0 else 0
            stream += masked_frame(opcode, chunk, key, fin=i == len(chunks) - 1)
    stream += masked_frame(8, struct.pack("!H", 1000), key)
    proto = ServerProtocol(PacketQueue(1024, 1 << 20), ["chat"], 1 << 20)
    data = UPGRADE + stream
    pos = 0
    for cut in cuts:
        proto.receive_data(data[pos:pos + cut])
        pos += cut
    proto.receive_data(data[pos:])
    reply = proto.data_to_send()
    assert reply.startswith(b"HTTP/1.1 101") and b"Sec-WebSocket-Protocol: chat\r\n" in reply
    assert b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in reply  # RFC 6455's example accept value
    expected = [(p.decode("latin-1").encode("utf-8") if t else p, t) for p, t, _ in msgs]
    assert packets(proto) == expected
    assert proto.events_received() == [HandshakeDone("chat"), CloseRequested(1000, ""),
                                       Closed(True, 1000, "")]
    assert reply.endswith(b"\x88\x02\x03\xe8")  # the unmasked close echo


# ------------------------------------------------------------------------- hostile peers


def test_control_frame_length_claims_fail_at_the_header() -> None:
    """Issue 11.2: a ping/close/reserved control header claiming more than 125 bytes (or not
    FIN) is a 1002 at once, with nothing of its payload buffered."""
    cases = [
        frame(9, b"", length=2**62),  # ping claiming 4 EiB
        frame(0xB, b"", length=2**62),  # reserved control opcode
        frame(8, b"", length=126),  # close one byte over the limit
        frame(0xA, b"", length=1 << 20),  # pong
        frame(9, b"", fin=False, length=100),  # fragmented control frame, payload not sent
        frame(3, b"", length=1 << 30),  # reserved data opcode with a huge claim
        frame(0, b"", length=1 << 30),  # continuation with no message
    ]
    for data in cases:
        proto = opened(max_message=1 << 40)
        proto.receive_data(data)
        assert proto.state is State.CLOSED, data
        assert sent(proto) == [(8, struct.pack("!H", 1002))], data
        event, = proto.events_received()
        assert isinstance(event, Closed) and event.code == 1002, data
        assert proto._buf == b"" and not proto._chunks


def test_64_bit_length_with_the_top_bit_set_is_a_protocol_error() -> None:
    proto = opened()
    proto.receive_data(bytes([0x82, 127]) + (1 << 63).to_bytes(8, "big"))
    assert sent(proto) == [(8, struct.pack("!H", 1002))]
    event, = proto.events_received()
    assert isinstance(event, Closed) and event.code == 1002 and "most significant" in event.reason


def test_empty_continuation_frames_are_capped() -> None:
    """Issue 11.3: fragments that never move the byte count still end the message."""
    proto = opened(max_message=65536)
    assert proto.max_fragments == 1024
    proto.receive_data(frame(2, b"x", fin=False) + frame(0, b"", fin=False) * 5000)
    polls(proto)
    assert sent(proto) == [(8, struct.pack("!H", 1009))]
    event, = proto.events_received()
    assert isinstance(event, Closed) and event.code == 1009 and "fragments" in event.reason
    # Up to the cap is fine, and the parts are joined into one message.
    proto = opened(max_message=65536)
    proto.receive_data(frame(2, b"a", fin=False) + frame(0, b"b", fin=False) * 1022
                       + frame(0, b"c"))
    polls(proto)
    assert packets(proto) == [(b"a" + b"b" * 1022 + b"c", False)]


def test_small_fragments_hold_about_the_message_size() -> None:
    """Issue 11.3: 2-byte fragments of a message under the limit use memory near its size
    (a list of parts held ~30x the limit)."""
    import tracemalloc

    proto = opened(max_message=1 << 20)
    stream = frame(2, b"ab", fin=False) + frame(0, b"cd", fin=False) * 16000
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        proto.receive_data(stream)
        polls(proto)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert proto.state is State.OPEN and not proto.queue.packets
    assert held < 4 * 32002, held  # the 32 KB assembled so far, with allocator slack


def test_pongs_owed_are_bounded_by_the_output_limit() -> None:
    """Issue 11.4: a peer that pings and never reads: every ping is answered while the pongs
    fit the output limit, then only the latest, so what we hold stays bounded."""
    proto = opened()
    proto.max_pong_bytes = 1000
    proto.receive_data(b"".join(frame(9, b"%05d" % i) for i in range(10000)))
    polls(proto)
    pongs = sent(proto)
    assert len(pongs) == 1000 // 11
    assert pongs[:-1] == [(0xA, b"%05d" % i) for i in range(len(pongs) - 1)]
    assert pongs[-1] == (0xA, b"09999")  # the latest ping is answered
    proto.send_message(b"m", False)
    proto.receive_data(frame(9, b"a") + frame(9, b"b"))
    assert sent(proto) == [(2, b"m"), (0xA, b"a"), (0xA, b"b")]


def test_frames_that_queue_nothing_are_budgeted_per_poll() -> None:
    """Issue 11.5: 100,000 pings take many polls of FRAMES_PER_POLL each, not one long one;
    the data behind them arrives intact and in order."""
    proto = opened()
    proto.receive_data(frame(2, b"first") + frame(9, b"p") * 100_000 + frame(2, b"last"))
    assert proto.blocked and packets(proto) == [(b"first", False)]
    assert polls(proto) == 100_000 // FRAMES_PER_POLL
    assert packets(proto) == [(b"last", False)]
    assert proto.state is State.OPEN


# ------------------------------------------------------------------ large frames (issue 13)


def feed_large(proto: Any, data: bytes, step: int = 70_000) -> None:
    """Feed ``data`` as a transport would: recv_into the protocol's buffer when it offers
    one, else a plain chunk of ``step`` bytes."""
    pos = 0
    while pos < len(data):
        view = proto.receive_buffer()
        if view is not None:
            n = min(len(view), len(data) - pos, step)
            view[:n] = data[pos:pos + n]
            view.release()
            proto.received_into(n)
        else:
            n = min(step, len(data) - pos)
            proto.receive_data(data[pos:pos + n])
        pos += n


def test_a_large_frame_is_received_into_its_own_buffer() -> None:
    big = bytes(range(256)) * 4096  # 1 MiB
    proto = opened(max_bytes=4 << 20, max_message=4 << 20)
    proto.receive_data(frame(2, big)[:1000])
    view = proto.receive_buffer()
    assert view is not None and len(view) == len(big) - (1000 - 10)
    view.release()
    feed_large(proto, frame(2, big)[1000:] + frame(2, b"small") + frame(2, big))
    assert proto.receive_buffer() is None
    assert packets(proto) == [(big, False), (b"small", False), (big, False)]


def test_large_frames_fragmented_masked_and_waiting_for_room() -> None:
    from godot_ws.core.protocol import ServerProtocol

    big = bytes(range(256)) * 1024  # 256 KiB
    proto = ServerProtocol(PacketQueue(2, 1 << 20), (), 1 << 20)
    proto.receive_data(UPGRADE.replace(b"Sec-WebSocket-Protocol: json, chat\r\n", b""))
    assert isinstance(proto.events_received()[0], HandshakeDone)
    key = b"\x11\x22\x33\x44"
    stream = (masked_frame(2, big, key, fin=False) + masked_frame(0, big, key)
              + masked_frame(2, b"a", key) + masked_frame(2, big, key) + masked_frame(2, b"z", key))
    feed_large(proto, stream)
    assert proto.blocked  # two packets queued (the 2-packet limit); the third waits whole
    assert packets(proto) == [(big + big, False), (b"a", False)]
    proto.resume()
    assert packets(proto) == [(big, False), (b"z", False)]
    assert proto.state is State.OPEN


def test_eof_inside_a_large_frame_is_an_unclean_close_after_the_data() -> None:
    proto = opened()
    feed_large(proto, frame(2, b"before") + frame(2, bytes(200_000))[:100_000])
    proto.receive_eof()
    assert packets(proto) == [(b"before", False)]
    event, = proto.events_received()
    assert isinstance(event, Closed) and not event.clean and event.code == 1006


def test_a_large_packet_is_refilled_only_when_nobody_holds_it() -> None:
    """The buffer of a dropped large packet may take the next one of the same size (no fresh
    allocation); one the game still holds (even through a memoryview) is never touched."""
    size = 100_000
    proto = opened(max_bytes=1 << 20)
    feed_large(proto, frame(2, b"a" * size))
    held = proto.queue.pop()[0]
    view = memoryview(held)
    feed_large(proto, frame(2, b"b" * size))
    second = proto.queue.pop()[0]
    assert held == b"a" * size and bytes(view) == b"a" * size and second is not held
    del view, held
    feed_large(proto, frame(2, b"c" * size) + frame(2, b"d" * size))
    third, fourth = proto.queue.pop()[0], proto.queue.pop()[0]
    assert second == b"b" * size and third == b"c" * size and fourth == b"d" * size
    del second, third
    feed_large(proto, frame(2, b"e" * size))
    assert fourth == b"d" * size and proto.queue.pop()[0] == b"e" * size


def test_a_dropped_large_packet_buffer_is_reused() -> None:
    from godot_ws.core import inbound as _inbound

    proto = opened(max_bytes=1 << 20)
    ids = []
    for fill in b"xyz":
        feed_large(proto, frame(2, bytes([fill]) * 100_000))
        packet = proto.queue.pop()[0]
        assert packet == bytes([fill]) * 100_000
        ids.append(id(packet))
        del packet
    # CPython with a GIL: reference counts tell; elsewhere every buffer is fresh.
    assert (len(set(ids)) == 1) == bool(_inbound._ALONE)


def test_spare_large_buffers_stay_within_the_input_buffer() -> None:
    proto = opened(max_bytes=300_000, max_message=300_000)
    held = []
    for i in range(10):
        feed_large(proto, frame(2, bytes([i]) * 100_000))
        held.append(proto.queue.pop()[0])  # a game holding every packet: nothing is refilled
    assert [p[0] for p in held] == list(range(10)) and len({id(p) for p in held}) == 10
    assert sum(len(b) for b in proto._spares) <= 300_000
