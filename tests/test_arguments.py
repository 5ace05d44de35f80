"""Godot habits from ENet and wrong types raise TypeError in the caller's terms, at the public
edge of both faces (godot_ws/common/arguments.py), instead of an AttributeError from deep
inside."""

from __future__ import annotations

import pytest

import godot_ws
from godot_ws import godot4


def test_enet_create_client_form_names_the_url_to_write() -> None:
    with pytest.raises(TypeError) as info:
        godot4.WebSocketMultiplayerPeer().create_client("127.0.0.1", 9111)  # type: ignore[arg-type]
    text = str(info.value)
    assert text.startswith("create_client takes a ws:// or wss:// URL: create_client(url, ")
    assert "ENet's create_client(address, port)" in text
    assert 'create_client("ws://127.0.0.1:9111/")' in text


def test_enet_create_server_form_says_there_is_no_client_limit() -> None:
    with pytest.raises(TypeError) as info:
        godot4.WebSocketMultiplayerPeer().create_server(9111, 20)  # type: ignore[arg-type]
    text = str(info.value)
    assert text.startswith("create_server(port: int, bind_address: str = '*', ")
    assert "it was called with (9111, 20, None)" in text
    assert "ENet's create_server(port, max_clients)" in text


@pytest.mark.parametrize("connect", [
    lambda: godot_ws.WebSocketClient().connect_to_url("127.0.0.1", 9111),
    lambda: godot4.WebSocketPeer().connect_to_url("127.0.0.1", 9111),
])
def test_connect_to_url_with_a_port_argument(connect: object) -> None:
    with pytest.raises(TypeError) as info:
        connect()  # type: ignore[operator]
    assert 'the port goes in the URL, connect_to_url("ws://127.0.0.1:9111/")' in str(info.value)


def test_godot3_listen_with_max_clients() -> None:
    with pytest.raises(TypeError) as info:
        godot_ws.WebSocketServer().listen(9111, 20)  # type: ignore[arg-type]
    assert str(info.value).startswith("listen(port: int, protocols: list of str = [], ")
    assert "ENet's create_server(port, max_clients)" in str(info.value)


@pytest.mark.parametrize("call, expected", [
    (lambda: godot_ws.WebSocketClient().connect_to_url(b"ws://x/"),  # type: ignore[arg-type]
     "connect_to_url takes a ws:// or wss:// URL"),
    (lambda: godot_ws.WebSocketClient().connect_to_url("ws://x/", "chat"),
     "connect_to_url: protocols must be a list of str, not str"),
    (lambda: godot_ws.WebSocketServer().listen("9111"),  # type: ignore[arg-type]
     "it was called with ('9111', ())"),
    (lambda: godot4.WebSocketMultiplayerPeer().create_server(9111, "*", "tls"),  # type: ignore[arg-type]
     "it was called with (9111, '*', 'tls')"),
    (lambda: setattr(godot4.WebSocketPeer(), "supported_protocols", "chat"),
     "supported_protocols: protocols must be a list of str, not str"),
])
def test_wrong_types_name_the_call(call: object, expected: str) -> None:
    with pytest.raises(TypeError) as info:
        call()  # type: ignore[operator]
    assert expected in str(info.value)
    assert " ENet" not in str(info.value)  # no ENet hint where no ENet habit shows
