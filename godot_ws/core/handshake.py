"""The HTTP/1.1 upgrade handshake, as bytes (RFC 6455 section 4), for both ends.

Owns: building the client's request and validating the server's 101 reply; parsing a client's
request and building the server's reply. Uses websocket-client's
pure pieces (``parse_url``, ``_get_handshake_headers``, ``_validate``) and adds what Godot checks
on top (sub-protocol rules, no unrequested extension). No sockets, no time.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

# websocket-client's handshake helpers do no I/O, but they are private: the tested range is pinned
# in setup.cfg and tests/test_handshake.py covers exactly what is used here.
from websocket._handshake import _get_handshake_headers, _validate
from websocket._url import parse_url

__all__ = [
    "HandshakeError",
    "Target",
    "parse_target",
    "build_request",
    "ResponseParser",
    "RequestParser",
    "choose_protocol",
    "build_response",
    "accept_value",
    "custom_header_problem",
    "REFUSAL",
]

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

# Godot caps the reply's header block at 4096 bytes (WSL_MAX_HEADER_SIZE); real servers with
# cookies can send more, so we allow 16 KiB and still bound memory.
MAX_RESPONSE_HEADER = 16384


class HandshakeError(Exception):
    """The server's reply is not a valid WebSocket upgrade; the message says why."""


@dataclass(frozen=True)
class Target:
    """Where a ``ws://`` or ``wss://`` URL points."""

    host: str
    port: int
    resource: str
    secure: bool
    url: str


def parse_target(url: str) -> Target | None:
    """Parse a WebSocket URL; None for anything Godot 4 would refuse with ERR_INVALID_PARAMETER.

    Like Godot 4 (not 3.2.3, which accepts ``http://`` and ``WS://`` as bogus hosts), the scheme
    must be ws or wss and the port must be 1-65535. A URL with no scheme is taken as ``ws://``.
    """
    if not isinstance(url, str):
        raise TypeError(f"url must be str, not {type(url).__name__}")
    if "://" not in url:
        url = "ws://" + url
    scheme = url.split("://", 1)[0]
    if scheme not in ("ws", "wss") or any(c in url for c in "\r\n\0 "):
        return None
    try:
        explicit_port = urlsplit(url).port  # raises ValueError outside 0-65535 or not a number
        host, port, resource, secure = parse_url(url)
    except ValueError:  # bad port, no host, unknown scheme
        return None
    if explicit_port == 0 or not host:
        return None
    resource = resource.split("#", 1)[0] or "/"
    return Target(host, port, resource, secure, url)


# Headers the handshake itself writes: a custom line naming one of these would send it twice
# or (Sec-WebSocket-Key) make websocket-client look it up in a list and raise TypeError.
RESERVED_HEADERS = frozenset({
    "host", "upgrade", "connection", "sec-websocket-key", "sec-websocket-version",
    "sec-websocket-accept", "sec-websocket-protocol", "sec-websocket-extensions",
})


def custom_header_problem(line: str) -> str:
    """Why ``line`` cannot be sent as a custom request header, or "" when it can."""
    if "\r" in line or "\n" in line:
        return f"CR or LF in a header: {line!r}"
    name, sep, _ = line.partition(":")
    if not sep or not name or name != name.strip() or " " in name:
        return f"a custom header must be 'Name: value', got {line!r}"
    if name.lower() in RESERVED_HEADERS:
        return f"{name} is written by the handshake itself (use protocols= for sub-protocols)"
    return ""


def build_request(
    target: Target, protocols: Sequence[str], custom_headers: Sequence[str]
) -> tuple[bytes, str]:
    """Return the upgrade request and its ``Sec-WebSocket-Key``.

    Godot sends no Origin header, joins the protocols with "," and appends each custom header
    line verbatim. The caller has already refused values containing CR or LF.
    """
    options = {
        "suppress_origin": True,
        "subprotocols": list(protocols),
        "header": list(custom_headers),
    }
    scheme = "wss" if target.secure else "ws"
    lines, key = _get_handshake_headers(
        target.resource, f"{scheme}://{target.host}", target.host, target.port, options
    )
    return "\r\n".join(lines).encode("utf-8"), key


def _parse_headers(lines: Sequence[str]) -> dict[str, str]:
    """Header lines -> {lowercased name: value}; a line without ':' is a HandshakeError."""
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep:
            raise HandshakeError(f"malformed header line {line[:80]!r}")
        name = name.strip().lower()
        value = value.strip()
        # Repeated headers are joined with "," (RFC 7230 3.2.2; Godot does the same).
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


class ResponseParser:
    """Collects the server's reply until the blank line, then validates it.

    ``feed(data)`` returns None while the header block is incomplete, or the bytes that followed
    it (frames the server sent right after its 101) once the handshake is valid. It raises
    HandshakeError for any invalid reply.
    """

    __slots__ = ("_key", "_protocols", "_buf", "protocol", "headers", "_extensions")

    def __init__(self, key: str, protocols: Sequence[str], extensions: bool = False) -> None:
        self._key = key
        self._extensions = extensions  # we offered one: the caller checks the answer
        self._protocols = [p.strip() for p in protocols]
        self._buf = bytearray()
        self.protocol = ""
        self.headers: dict[str, str] = {}

    def feed(self, data: bytes) -> bytes | None:
        self._buf += data
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buf) > MAX_RESPONSE_HEADER:
                raise HandshakeError(f"reply headers exceed {MAX_RESPONSE_HEADER} bytes")
            return None
        if end > MAX_RESPONSE_HEADER:
            raise HandshakeError(f"reply headers exceed {MAX_RESPONSE_HEADER} bytes")
        head = bytes(self._buf[:end]).decode("latin-1")
        rest = bytes(self._buf[end + 4 :])
        self._buf = bytearray()
        self._validate(head)
        return rest

    def _validate(self, head: str) -> None:
        status_line, *lines = head.split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or parts[0] != "HTTP/1.1" or parts[1] != "101":
            raise HandshakeError(f"expected 'HTTP/1.1 101', got {status_line[:80]!r}")
        self.headers = headers = _parse_headers(lines)
        ok, _ = _validate(headers, self._key, None)
        if not ok:
            raise HandshakeError("bad Upgrade, Connection or Sec-WebSocket-Accept header")
        if headers.get("sec-websocket-accept") != accept_value(self._key):
            # _validate compares it lowercased; RFC 6455 4.1 wants the exact base64 value.
            raise HandshakeError("Sec-WebSocket-Accept does not match the key exactly")
        if headers.get("sec-websocket-extensions") and not self._extensions:
            raise HandshakeError("server selected an extension that was not offered")
        chosen = headers.get("sec-websocket-protocol")
        if not self._protocols:
            if chosen is not None:
                raise HandshakeError(f"server selected protocol {chosen!r}; none was requested")
        elif chosen is None or chosen.strip() not in self._protocols:
            raise HandshakeError(f"server selected protocol {chosen!r}, not one requested")
        else:
            self.protocol = chosen.strip()


def accept_value(key: str) -> str:
    """``Sec-WebSocket-Accept`` for a client's key (RFC 6455 4.2.2)."""
    digest = hashlib.sha1((key + _GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


class RequestParser:
    """Server side: collects a client's upgrade request and checks it (Godot's checks: a GET
    over HTTP/1.1, ``Upgrade: websocket``, version 13, a key and a Connection header).

    ``feed(data)`` returns None while incomplete, else the bytes after the request; raises
    HandshakeError with the reason for an invalid request.
    """

    __slots__ = ("_buf", "resource", "headers", "key", "protocols")

    def __init__(self) -> None:
        self._buf = bytearray()
        self.resource = "/"
        self.headers: dict[str, str] = {}
        self.key = ""
        self.protocols: list[str] = []

    def feed(self, data: bytes) -> bytes | None:
        self._buf += data
        start = bytes(self._buf[:4])
        if start != b"GET "[: len(start)]:
            # Not an HTTP GET at all: say so now instead of waiting for the handshake timeout.
            if start[:1] == b"\x16":  # a TLS record: ClientHello
                raise HandshakeError("the client started a TLS handshake: it used wss:// on "
                                     "this plain ws:// server")
            raise HandshakeError(f"not an HTTP GET request: {start!r}...")
        end = self._buf.find(b"\r\n\r\n")
        if end < 0 or end > MAX_RESPONSE_HEADER:
            if len(self._buf) > MAX_RESPONSE_HEADER:
                raise HandshakeError(f"request headers exceed {MAX_RESPONSE_HEADER} bytes")
            return None
        head = bytes(self._buf[:end]).decode("latin-1")
        rest = bytes(self._buf[end + 4 :])
        self._buf = bytearray()
        request_line, *lines = head.split("\r\n")
        parts = request_line.split(" ")
        if len(parts) != 3 or parts[0] != "GET" or parts[2] != "HTTP/1.1":
            raise HandshakeError(f"expected 'GET <path> HTTP/1.1', got {request_line[:80]!r}")
        self.resource = parts[1]
        self.headers = headers = _parse_headers(lines)
        upgrade = [v.strip().lower() for v in headers.get("upgrade", "").split(",")]
        connection = [v.strip().lower() for v in headers.get("connection", "").split(",")]
        if "websocket" not in upgrade or "upgrade" not in connection:
            raise HandshakeError("missing 'Upgrade: websocket' or 'Connection: Upgrade'")
        if headers.get("sec-websocket-version") != "13":
            raise HandshakeError("Sec-WebSocket-Version is not 13")
        self.key = headers.get("sec-websocket-key", "")
        try:
            if len(base64.b64decode(self.key, validate=True)) != 16:
                raise ValueError
        except ValueError:
            raise HandshakeError("missing or malformed Sec-WebSocket-Key") from None
        self.protocols = [
            p.strip() for p in headers.get("sec-websocket-protocol", "").split(",") if p.strip()
        ]
        return rest


def choose_protocol(requested: Sequence[str], supported: Sequence[str]) -> str | None:
    """Godot's rule: the first protocol in the client's list that the server supports; "" when
    the server supports none; None when it has some and none matches (the client is refused)."""
    if not supported:
        return ""
    for protocol in requested:
        if protocol in supported:
            return protocol
    return None


def build_response(
    key: str, protocol: str, extensions: str = "", headers: Sequence[str] = ()
) -> bytes:
    """The 101 reply; ``headers`` are extra lines appended verbatim (Godot 4's
    ``handshake_headers``; the caller has refused CR and LF in them)."""
    lines = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Accept: {accept_value(key)}",
    ]
    if protocol:
        lines.append(f"Sec-WebSocket-Protocol: {protocol}")
    if extensions:
        lines.append(f"Sec-WebSocket-Extensions: {extensions}")
    lines.extend(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


REFUSAL = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
