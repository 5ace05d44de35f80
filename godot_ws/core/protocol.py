"""Sans-IO WebSocket protocol (RFC 6455), both ends: bytes in, packets and events out, bytes out.

Owns what a connection does on its own initiative: sending messages and pings, starting the
close handshake, aborting, framing and masking what is owed (``data_to_send``), and the opening
handshake of each role (``ClientProtocol``, ``ServerProtocol``). It builds on the receive side
(receive.py, messages.py) and the shared fields (state.py). It never imports socket, ssl, select
or time: the caller feeds received bytes to ``receive_data()`` (``receive_eof()`` when the
stream ends), collects ``events_received()`` and writes ``data_to_send()``.

Whole data messages are appended to a ``PacketQueue`` as ``(payload, is_text)`` tuples. When the
queue is full, decoding pauses (``blocked`` is true) and the undecoded bytes wait; the
transport stops reading so TCP pushes back on the sender. Nothing is dropped.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from .handshake import (
    REFUSAL,
    HandshakeError,
    RequestParser,
    ResponseParser,
    Target,
    build_request,
    build_response,
    choose_protocol,
)
from .deflate import (
    DeflateError,
    DeflateOptions,
    PerMessageDeflate,
    client_accept,
    client_offer,
    server_accept,
)
from .inbound import (
    PacketQueue,
)
from .events import Event, HandshakeDone
from .frames import (
    RAW,
    Opcode,
    close_payload,
    encode_client_frames,
    encode_server_frames,
)
from .receive import Receiver
from .state import State

__all__ = ["State", "PacketQueue", "Protocol", "ClientProtocol", "ServerProtocol"]


class Protocol(Receiver):
    """One WebSocket connection from the upgrade to the end of the close; the role-specific
    handshake is in ``ClientProtocol`` and ``ServerProtocol``."""

    def events_received(self) -> list[Event]:
        events = self._events
        self._events = []
        return events

    def data_to_send(self) -> bytes:
        """Everything queued since the last call, framed (and masked, as a client)."""
        out = self._out
        if not out:
            return b""
        self._out = []
        self._pong_at = -1
        self._pong_bytes = 0
        self.out_bytes = 0
        self.out_count = 0
        if not self.client:
            return encode_server_frames(out)
        return encode_client_frames(out, self._keys)

    def send_message(self, payload: bytes, text: bool) -> None:
        if self.deflate is not None:
            compressed = self.deflate.compress(payload)
            if compressed is not None:
                # 0x40 is RSV1 in the frame's first byte (the encoders OR in FIN and opcode).
                self._out.append((0x41 if text else 0x42, compressed))
                self.out_bytes += len(payload)
                self.out_count += 1
                return
        self._out.append((1 if text else 2, payload))
        self.out_bytes += len(payload)
        self.out_count += 1

    def ping(self, payload: bytes = b"") -> None:
        """Queue a ping (only while OPEN); a pong from the peer sets ``pong_received``."""
        if self.state is State.OPEN:
            self._out.append((Opcode.PING, payload))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the close handshake (OPEN -> CLOSING). Godot 3.2.3 appends a NUL; we don't."""
        if self.state is State.OPEN:
            self._out.append((Opcode.CLOSE, close_payload(code, reason)))
            self.state = State.CLOSING

    # ---------------------------------------------------------------- handshake

    def _opened(self, protocol: str, rest: bytes) -> None:
        self.state = State.OPEN
        self._events.append(HandshakeDone(protocol))
        if rest:
            self._decode(rest)



class ClientProtocol(Protocol):
    """The client end: sends the upgrade request, validates the 101 reply."""

    def __init__(
        self,
        target: Target,
        queue: PacketQueue,
        protocols: Sequence[str] = (),
        custom_headers: Sequence[str] = (),
        max_message_size: int = 65536,
        mask_source: Callable[[int], bytes] = os.urandom,
        deflate: DeflateOptions | None = None,
    ) -> None:
        super().__init__(queue, True, max_message_size, mask_source)
        self._deflate_options = deflate
        if deflate is not None:
            custom_headers = [*custom_headers, f"Sec-WebSocket-Extensions: {client_offer(deflate)}"]
        request, key = build_request(target, protocols, custom_headers)
        self._response = ResponseParser(key, protocols, extensions=deflate is not None)
        self._out.append((RAW, request))

    def _receive_handshake(self, data: bytes) -> None:
        try:
            rest = self._response.feed(data)
        except HandshakeError as exc:
            self._handshake_failed(str(exc))
            return
        if rest is not None:
            options = self._deflate_options
            answer = self._response.headers.get("sec-websocket-extensions")
            if options is not None and answer:
                try:
                    params = client_accept(answer, options)
                except DeflateError as exc:
                    self._handshake_failed(f"bad permessage-deflate answer: {exc}")
                    return
                self.enable_deflate(PerMessageDeflate(params, True, options))
            self._opened(self._response.protocol, rest)


class ServerProtocol(Protocol):
    """The server end: validates a client's upgrade request and answers it.

    A client offering none of ``protocols`` (when there are any) gets a 400 reply and
    ``HandshakeFailed`` (Godot 3.2.3 drops the TCP connection without a reply). With
    ``strict_protocols`` (Godot 4's rule) a client that offers protocols is refused when the
    server supports none, too. ``headers`` are extra ``"Name: value"`` lines for the 101 reply.
    """

    def __init__(
        self,
        queue: PacketQueue,
        protocols: Sequence[str] = (),
        max_message_size: int = 65536,
        deflate: DeflateOptions | None = None,
        headers: Sequence[str] = (),
        strict_protocols: bool = False,
    ) -> None:
        super().__init__(queue, False, max_message_size)
        self._deflate_options = deflate
        self._supported = [p.strip() for p in protocols]
        self._headers = tuple(headers)
        self._strict = strict_protocols
        self._request = RequestParser()
        self.protocol = ""

    @property
    def request(self) -> RequestParser:
        """The client's request: ``resource``, ``headers``, requested ``protocols``."""
        return self._request

    def _receive_handshake(self, data: bytes) -> None:
        try:
            rest = self._request.feed(data)
        except HandshakeError as exc:
            self._out.append((RAW, REFUSAL))
            self._handshake_failed(str(exc))
            return
        if rest is None:
            return
        protocol = choose_protocol(self._request.protocols, self._supported)
        if self._strict and self._request.protocols and not protocol:
            protocol = None
        if protocol is None:
            self._out.append((RAW, REFUSAL))
            self._handshake_failed(
                f"client offered protocols {self._request.protocols}, none of {self._supported}"
            )
            return
        self.protocol = protocol
        extensions = ""
        offers = self._request.headers.get("sec-websocket-extensions")
        if self._deflate_options is not None and offers:
            accepted = server_accept(offers, self._deflate_options)
            if accepted is not None:
                params, extensions = accepted
                self.enable_deflate(PerMessageDeflate(params, False, self._deflate_options))
        self._out.append((RAW, build_response(self._request.key, protocol, extensions, self._headers)))
        self._opened(protocol, rest)
