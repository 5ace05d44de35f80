"""PacketPeer.put_var / get_var (Godot's PacketPeer, FACTS 1.12) on a WebSocketPeer talking to
the websockets library's echo server, and the encode buffer and object decoding properties."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from godot_peer import GODOT_VALUES, godot_equal
from support import WebsocketsServer, poll_until
from websockets.sync.server import ServerConnection

from godot_ws import (
    CONNECTION_CONNECTED,
    ERR_OUT_OF_MEMORY,
    ERR_UNAVAILABLE,
    ERR_UNCONFIGURED,
    FAILED,
    OK,
    PacketPeer,
    WebSocketClient,
    WebSocketPeer,
)
from godot_ws.variant.types3 import EncodedObjectAsID, GodotObject, Vector2
from godot_ws.variant.codec import encode_var


def echo(ws: ServerConnection) -> None:
    for message in ws:
        ws.send(message)


@pytest.fixture
def echo_server() -> Any:
    server = WebsocketsServer(echo)
    yield server
    server.close()


@pytest.fixture
def client(echo_server: Any) -> WebSocketClient:
    client = WebSocketClient()
    assert client.connect_to_url(echo_server.url) == OK
    poll_until(client, lambda: client.get_connection_status() == CONNECTION_CONNECTED,
               what="connection")
    return client


def peer_of(client: WebSocketClient) -> WebSocketPeer:
    peer = client.get_peer(1)
    assert peer is not None
    return peer


def wait_packets(client: WebSocketClient, n: int) -> None:
    peer = peer_of(client)
    poll_until(client, lambda: peer.get_available_packet_count() >= n, what=f"{n} packets")


# ---------------------------------------------------------------------- round trips


def test_every_godot_value_round_trips(client: WebSocketClient) -> None:
    peer = peer_of(client)
    for value in GODOT_VALUES.values():
        assert peer.put_var(value) == OK
    wait_packets(client, len(GODOT_VALUES))
    for name, value in GODOT_VALUES.items():
        got = peer.get_var()
        assert godot_equal(got, value), (name, got, value)
        assert not peer.was_string_packet()
    assert peer.get_available_packet_count() == 0


def test_put_var_sends_godot_bytes(client: WebSocketClient) -> None:
    peer = peer_of(client)
    assert peer.put_var([1, "a"]) == OK
    wait_packets(client, 1)
    # FACTS 3.3: var2bytes([1, "a"])
    assert peer.get_packet().hex() == "13000000020000000200000001000000040000000100000061000000"


def test_put_var_in_text_mode_sends_a_text_frame(client: WebSocketClient) -> None:
    peer = peer_of(client)
    peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)
    assert peer.put_var("hi") == OK  # 04000000 02000000 68690000 is valid UTF-8
    wait_packets(client, 1)
    assert peer.get_var() == "hi"
    assert peer.was_string_packet()  # get_var updates it, as get_packet does


def test_full_objects(client: WebSocketClient) -> None:
    peer = peer_of(client)
    obj = GodotObject("Reference", {"script": None})
    assert peer.put_var(obj, full_objects=True) == OK
    assert peer.put_var(obj, True) == OK
    assert peer.put_var(obj, True) == OK
    assert peer.put_var(EncodedObjectAsID(1288)) == OK
    wait_packets(client, 4)
    assert peer.get_var(allow_objects=True) == obj
    assert not peer.is_object_decoding_allowed()
    peer.allow_object_decoding = True
    assert peer.get_var() == obj  # the property alone allows it
    peer.set_allow_object_decoding(False)
    assert peer.get_var() is None  # neither allows: refused (ERR_UNAUTHORIZED), consumed
    assert peer.get_var() == EncodedObjectAsID(1288)  # ids need no permission
    with pytest.raises(ValueError):
        peer.put_var(obj)  # Godot would send an instance id; Python objects have none


# ---------------------------------------------------------------------- errors


def test_get_var_consumes_a_bad_packet_returns_none_and_keeps_packet_error(
    client: WebSocketClient, caplog: Any
) -> None:
    peer = peer_of(client)
    junk = bytes.fromhex("040000000900000041")  # a String claiming 9 bytes, holding 1
    assert peer.put_packet(junk) == OK
    assert peer.put_packet(b"\x01\x02") == OK  # shorter than a header
    assert peer.put_var(7) == OK
    wait_packets(client, 3)
    assert peer.get_packet_error() == OK
    peer._packet_error = ERR_UNAVAILABLE  # as left by an earlier empty get_packet
    with caplog.at_level(logging.ERROR, "godot_ws"):
        assert peer.get_var() is None
        assert peer.get_var() is None
    assert peer.get_packet_error() == ERR_UNAVAILABLE  # untouched by get_var
    assert peer.get_available_packet_count() == 1  # both bad packets were consumed
    assert "not a Variant" in caplog.text and "ERR_FILE_EOF" in caplog.text
    assert peer.get_var() == 7


def test_get_var_without_a_packet(client: WebSocketClient, caplog: Any) -> None:
    peer = peer_of(client)
    with caplog.at_level(logging.ERROR, "godot_ws"):
        assert peer.get_var() is None
    assert peer.get_packet_error() == OK
    assert "no packet" in caplog.text


def test_put_var_over_encode_buffer_max_size_sends_nothing(
    client: WebSocketClient, caplog: Any
) -> None:
    peer = peer_of(client)
    assert peer.get_encode_buffer_max_size() == 8388608  # Godot's default (E)
    peer.encode_buffer_max_size = 1024
    fits = b"x" * (1024 - 8)  # PoolByteArray: 8-byte header + 1016 bytes = exactly 1024
    assert len(encode_var(fits)) == 1024
    with caplog.at_level(logging.ERROR, "godot_ws"):
        assert peer.put_var(fits + b"y") == ERR_OUT_OF_MEMORY  # 1028 bytes after padding
    assert "encode_buffer_max_size" in caplog.text
    assert peer.put_var(fits) == OK
    assert peer.put_var("after") == OK
    wait_packets(client, 2)
    assert peer.get_var() == fits
    assert peer.get_var() == "after"
    assert peer.get_available_packet_count() == 0  # the refused value never went out


def test_put_var_rejects_values_without_a_variant_type(client: WebSocketClient) -> None:
    peer = peer_of(client)
    for bad in ({1, 2}, object(), 1 << 70):
        with pytest.raises((TypeError, ValueError)):
            peer.put_var(bad)
    with pytest.raises(TypeError):
        peer.put_var({1, 2})
    assert peer.put_var(Vector2(1.5, 2.0)) == OK
    wait_packets(client, 1)
    assert peer.get_var() == Vector2(1.5, 2.0)
    assert peer.get_available_packet_count() == 0


def test_put_var_on_an_unconnected_peer_fails() -> None:
    peer = WebSocketClient().get_peer(1)
    assert peer is not None
    assert peer.put_var(1) == FAILED
    assert peer.get_var() is None
    assert peer.get_packet_error() == OK


def test_client_put_var_and_get_var_need_multiplayer_mode(caplog: Any) -> None:
    client = WebSocketClient()
    assert isinstance(client, PacketPeer)
    with caplog.at_level(logging.ERROR, "godot_ws"):
        assert client.put_var(1) == ERR_UNCONFIGURED
        assert client.get_var() is None
    assert client.get_packet_error() == OK
    client.get_packet()
    assert client.get_packet_error() == ERR_UNCONFIGURED


# ---------------------------------------------------------------------- properties


@pytest.mark.parametrize(("value", "stored"), [
    (1024, 1024), (1025, 2048), (3000, 4096), (8388608, 8388608), (256 * 1024 * 1024, 1 << 28),
])
def test_encode_buffer_max_size_rounds_up_to_a_power_of_two(value: int, stored: int) -> None:
    peer = WebSocketPeer()
    peer.set_encode_buffer_max_size(value)
    assert peer.encode_buffer_max_size == stored


@pytest.mark.parametrize("value", [0, 1023, -5, 256 * 1024 * 1024 + 1])
def test_encode_buffer_max_size_out_of_range_is_logged_and_ignored(
    value: int, caplog: Any
) -> None:
    peer = WebSocketPeer()
    with caplog.at_level(logging.ERROR, "godot_ws"):
        peer.encode_buffer_max_size = value
    assert peer.get_encode_buffer_max_size() == 8388608
    assert "encode_buffer_max_size" in caplog.text


def test_encode_buffer_max_size_wants_an_int() -> None:
    peer = WebSocketPeer()
    with pytest.raises(TypeError):
        peer.set_encode_buffer_max_size(2048.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        peer.set_encode_buffer_max_size("2048")  # type: ignore[arg-type]


def test_properties_exist_on_the_client_too() -> None:
    client = WebSocketClient()
    assert client.encode_buffer_max_size == 8388608
    assert client.allow_object_decoding is False
    client.allow_object_decoding = True
    assert client.is_object_decoding_allowed()
