"""The handshake module, including the websocket-client helpers it relies on (pinned 1.9.x)."""

from __future__ import annotations

import pytest
from support import accept_key

from godot_ws.core.handshake import (
    HandshakeError,
    ResponseParser,
    build_request,
    custom_header_problem,
    parse_target,
)


@pytest.mark.parametrize("url, expected", [
    ("ws://127.0.0.1:9", ("127.0.0.1", 9, "/", False)),
    ("wss://example.com/x?y=1#frag", ("example.com", 443, "/x?y=1", True)),
    ("example.com:8080/p", ("example.com", 8080, "/p", False)),
    ("ws://[::1]:9/", ("::1", 9, "/", False)),
    ("ws://host", ("host", 80, "/", False)),
])
def test_parse_target(url: str, expected: tuple[str, int, str, bool]) -> None:
    target = parse_target(url)
    assert target is not None
    assert (target.host, target.port, target.resource, target.secure) == expected


def test_host_header_omits_default_port_and_brackets_ipv6() -> None:
    target = parse_target("ws://[::1]:9/")
    assert target is not None
    request, key = build_request(target, (), ())
    assert b"Host: [::1]:9\r\n" in request
    target = parse_target("ws://example.com/")
    assert target is not None
    request, key = build_request(target, (), ["X-A: 1"])
    assert b"Host: example.com\r\n" in request and b"\r\nX-A: 1\r\n\r\n" in request
    assert len(key) == 24


def reply(key: str, extra: str = "", status: str = "HTTP/1.1 101 Switching Protocols") -> bytes:
    return (f"{status}\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept_key(key)}\r\n{extra}\r\n").encode()


def test_response_accepts_case_insensitive_and_listed_values() -> None:
    parser = ResponseParser("dGhlIHNhbXBsZSBub25jZQ==", ["chat"])
    assert parser.feed(reply("dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol: chat\r\n")
                       + b"rest") == b"rest"
    assert parser.protocol == "chat"


@pytest.mark.parametrize("data", [
    reply("AAAAAAAAAAAAAAAAAAAAAA=="),  # accept computed for another key
    reply("dGhlIHNhbXBsZSBub25jZQ==", status="HTTP/1.0 101 Switching Protocols"),
    reply("dGhlIHNhbXBsZSBub25jZQ==", status="HTTP/1.1 200 OK"),
    b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n",
    b"HTTP/1.1 101 Switching Protocols\r\nno colon here\r\n\r\n",
])
def test_response_rejects(data: bytes) -> None:
    with pytest.raises(HandshakeError):
        ResponseParser("dGhlIHNhbXBsZSBub25jZQ==", []).feed(data)


def test_response_waits_for_blank_line() -> None:
    parser = ResponseParser("dGhlIHNhbXBsZSBub25jZQ==", [])
    data = reply("dGhlIHNhbXBsZSBub25jZQ==")
    assert parser.feed(data[:-1]) is None
    assert parser.feed(data[-1:]) == b""


def test_accept_value_must_match_exactly() -> None:
    """Issue 11.9: RFC 6455 4.1 wants the exact base64 value; websocket-client's _validate
    compares both lowercased, so a case-changed value passed."""
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    good = accept_key(key)
    for wrong in (good.lower(), good.upper(), good.swapcase()):
        assert wrong != good
        data = (f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {wrong}\r\n\r\n").encode()
        with pytest.raises(HandshakeError, match="exactly"):
            ResponseParser(key, []).feed(data)


@pytest.mark.parametrize("line", [
    "Sec-WebSocket-Key: x", "Sec-WebSocket-Key", "sec-websocket-version: 8", "Host: evil",
    "Upgrade: h2c", "Connection: close", "Sec-WebSocket-Protocol: chat",
    "Sec-WebSocket-Extensions: permessage-deflate", "Sec-WebSocket-Accept: x", "no colon",
    ": empty name", "Bad Name: 1", "X-A: 1\r\nX-B: 2",
])
def test_handshake_reserved_or_malformed_custom_headers_are_refused(line: str) -> None:
    """Issue 11.9: a clean reason, not a TypeError from inside websocket-client."""
    assert custom_header_problem(line)


def test_ordinary_custom_headers_pass() -> None:
    for line in ("X-Game: pong", "Cookie: a=1", "Authorization: Bearer x", "X-Empty:"):
        assert custom_header_problem(line) == ""
