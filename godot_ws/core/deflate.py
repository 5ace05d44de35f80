"""permessage-deflate (RFC 7692): the negotiation and the per-message (de)compression.

Owns the offer a client sends, a client's check of the server's answer, a server's choice
among a client's offers, and ``PerMessageDeflate``: compressing one message (RFC 7692 7.2.1,
the trailing ``00 00 ff ff`` removed) and decompressing one message fragment by fragment with
a hard output budget, so a decompression bomb costs at most the message limit (zlib's
``max_length``), never a huge allocation. Sans-IO: the protocol calls it; no sockets, no time.

zlib cannot compress with an 8-bit window (``wbits=-8`` is refused since zlib 1.2.9), so a
window of 8 bits for what *we* send is declined; received data is inflated with the window
the peer agreed to (at least 9 bits), so a peer that reaches further back fails the message.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

__all__ = [
    "DeflateOptions",
    "DeflateParams",
    "DeflateError",
    "MessageTooBig",
    "PerMessageDeflate",
    "client_offer",
    "client_accept",
    "server_accept",
]

_TAIL = b"\x00\x00\xff\xff"
_NAME = "permessage-deflate"


class DeflateError(Exception):
    """An unacceptable negotiation (the message says why)."""


class MessageTooBig(Exception):
    """A compressed message inflates past the message limit."""


@dataclass(frozen=True)
class DeflateOptions:
    """What this end offers (client) or accepts (server) when ``compression_enabled`` is on.

    ``client_max_window_bits`` / ``server_max_window_bits``: None (default) for no limit
    (15 bits), else 9-15: the LZ77 window the client / the server may compress with. A
    client always offers ``client_max_window_bits`` (it can inflate any window), with this
    value if set. ``*_no_context_takeover``: ask for (client) or impose (server) a fresh
    compression context for every message of that side (less memory, worse ratio).
    ``compression_level``: zlib's 0-9 (default 6). Messages shorter than ``min_size`` bytes
    (default 0) are sent uncompressed (RFC 7692 allows it per message).
    """

    client_max_window_bits: int | None = None
    server_max_window_bits: int | None = None
    client_no_context_takeover: bool = False
    server_no_context_takeover: bool = False
    compression_level: int = 6
    min_size: int = 0

    def __post_init__(self) -> None:
        for name in ("client_max_window_bits", "server_max_window_bits"):
            bits = getattr(self, name)
            if bits is not None and (not isinstance(bits, int) or not 9 <= bits <= 15):
                raise ValueError(f"{name} must be None or 9-15, not {bits!r}")
        if not 0 <= self.compression_level <= 9:
            raise ValueError(f"compression_level must be 0-9, not {self.compression_level!r}")


@dataclass(frozen=True)
class DeflateParams:
    """The negotiated parameters (as in the server's answer; 15 where it said nothing)."""

    client_max_window_bits: int = 15
    server_max_window_bits: int = 15
    client_no_context_takeover: bool = False
    server_no_context_takeover: bool = False


def client_offer(options: DeflateOptions) -> str:
    """The ``Sec-WebSocket-Extensions`` value a client sends."""
    parts = [_NAME]
    if options.client_no_context_takeover:
        parts.append("client_no_context_takeover")
    if options.server_no_context_takeover:
        parts.append("server_no_context_takeover")
    if options.client_max_window_bits is None:
        parts.append("client_max_window_bits")
    else:
        parts.append(f"client_max_window_bits={options.client_max_window_bits}")
    if options.server_max_window_bits is not None:
        parts.append(f"server_max_window_bits={options.server_max_window_bits}")
    return "; ".join(parts)


def _parse(header: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """``Sec-WebSocket-Extensions`` as [(name, [(param, value or None)])] (RFC 6455 9.1)."""
    result = []
    for element in header.split(","):
        items = [item.strip() for item in element.split(";")]
        if not items[0]:
            raise DeflateError(f"malformed extension header {header[:100]!r}")
        params: list[tuple[str, str | None]] = []
        for item in items[1:]:
            name, eq, value = item.partition("=")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            params.append((name.strip(), value if eq else None))
        result.append((items[0], params))
    return result


def _bits(name: str, value: str | None, optional: bool) -> int | None:
    if value is None:
        if optional:
            return None
        raise DeflateError(f"{name} needs a value")
    if not value.isdigit() or not 8 <= int(value) <= 15:
        raise DeflateError(f"{name}={value!r} is not 8-15")
    return int(value)


def _flag(name: str, value: str | None) -> bool:
    if value is not None:
        raise DeflateError(f"{name} takes no value")
    return True


def _params(params: list[tuple[str, str | None]], server_side: bool) -> dict[str, object]:
    """Check one element's parameters: known names, each once, valid values."""
    seen: dict[str, object] = {}
    for name, value in params:
        if name in seen:
            raise DeflateError(f"{name} given twice")
        if name in ("client_no_context_takeover", "server_no_context_takeover"):
            seen[name] = _flag(name, value)
        elif name == "server_max_window_bits":
            seen[name] = _bits(name, value, optional=False)
        elif name == "client_max_window_bits":
            # In an offer the value is optional (RFC 7692 7.1.2.2); in an answer it is not.
            seen[name] = _bits(name, value, optional=server_side)
            if seen[name] is None:
                seen[name] = 0  # offered without a value
        else:
            raise DeflateError(f"unknown permessage-deflate parameter {name!r}")
    return seen


def client_accept(header: str, options: DeflateOptions) -> DeflateParams:
    """Check the server's answer to ``client_offer(options)``; raise DeflateError when a
    client must fail the connection (RFC 7692 7.1)."""
    elements = _parse(header)
    if len(elements) != 1 or elements[0][0] != _NAME:
        raise DeflateError(f"server selected extensions we did not offer: {header[:100]!r}")
    seen = _params(elements[0][1], server_side=False)
    server_bits = seen.get("server_max_window_bits")
    if options.server_max_window_bits is not None:
        if server_bits is None:
            raise DeflateError("server ignored our server_max_window_bits")
        if isinstance(server_bits, int) and server_bits > options.server_max_window_bits:
            raise DeflateError(f"server_max_window_bits={server_bits} exceeds our offer")
    if options.server_no_context_takeover and "server_no_context_takeover" not in seen:
        raise DeflateError("server ignored our server_no_context_takeover")
    client_bits = seen.get("client_max_window_bits")
    limit = options.client_max_window_bits or 15
    if isinstance(client_bits, int) and client_bits > limit:
        raise DeflateError(f"client_max_window_bits={client_bits} exceeds our offer")
    bits = client_bits if isinstance(client_bits, int) else limit
    if bits < 9:
        raise DeflateError("client_max_window_bits=8 is not supported (zlib needs 9-15)")
    return DeflateParams(
        client_max_window_bits=bits,
        server_max_window_bits=server_bits if isinstance(server_bits, int) else 15,
        client_no_context_takeover=bool(seen.get("client_no_context_takeover"))
        or options.client_no_context_takeover,
        server_no_context_takeover=bool(seen.get("server_no_context_takeover")),
    )


def server_accept(header: str, options: DeflateOptions) -> tuple[DeflateParams, str] | None:
    """Pick the first acceptable permessage-deflate offer of a client's header; return the
    parameters and the answer header value, or None to decline (the connection goes on
    uncompressed). Offers with unknown or invalid parameters are skipped (RFC 7692 5)."""
    try:
        elements = _parse(header)
    except DeflateError:
        return None
    for name, raw in elements:
        if name != _NAME:
            continue
        try:
            offer = _params(raw, server_side=True)
        except DeflateError:
            continue
        answer = [_NAME]
        # What we send: the window the client asked for, capped by ours; zlib needs >= 9.
        server_bits = offer.get("server_max_window_bits")
        ours = options.server_max_window_bits
        if isinstance(server_bits, int):
            bits = min(server_bits, ours) if ours is not None else server_bits
        else:
            bits = ours if ours is not None else 15
        if bits < 9:
            continue
        server_nct = "server_no_context_takeover" in offer or options.server_no_context_takeover
        if server_nct:
            answer.append("server_no_context_takeover")
        client_nct = "client_no_context_takeover" in offer or options.client_no_context_takeover
        if client_nct:
            answer.append("client_no_context_takeover")
        if isinstance(server_bits, int) or ours is not None:
            answer.append(f"server_max_window_bits={bits}")
        client_bits = offer.get("client_max_window_bits")
        limit = 15  # a client that cannot be limited (offered no client_max_window_bits)
        if client_bits is not None and options.client_max_window_bits is not None:
            limit = options.client_max_window_bits
            if isinstance(client_bits, int) and client_bits:
                limit = min(limit, client_bits)
            answer.append(f"client_max_window_bits={limit}")
        elif isinstance(client_bits, int) and client_bits:
            limit = client_bits
            answer.append(f"client_max_window_bits={client_bits}")
        params = DeflateParams(
            client_max_window_bits=limit,
            server_max_window_bits=bits,
            client_no_context_takeover=client_nct,
            server_no_context_takeover=server_nct,
        )
        return params, "; ".join(answer)
    return None


def _mem_level(window_bits: int) -> int:
    """zlib's memLevel for a compressor with this window: ``window_bits - 7`` (8 at 15 bits,
    zlib's default; 5 at 12 bits, websockets' pairing; 2 at 9 bits). zlib's compressor holds
    ``2 ** (window_bits + 2) + 2 ** (memLevel + 9)`` bytes, so a small window with the default
    memLevel 8 still cost 130 KiB; the hash table and the symbol buffer then outgrow the
    window they serve."""
    return max(1, min(9, window_bits - 7))


class PerMessageDeflate:
    """One connection's compressor and decompressor for the negotiated ``params``.

    Idle memory: each side's zlib state lives only while it is needed. Under
    ``no_context_takeover`` the compressor (or, for the peer's side, the decompressor) is
    let go after each message and made again for the next, so an idle connection holds
    none; otherwise the compressor holds ``2 ** (bits + 2) + 2 ** (_mem_level(bits) + 9)``
    bytes (256 KiB at 15 bits, 32 KiB at 12, 4 KiB at 9) and the decompressor about
    7 KiB + ``2 ** bits`` once the peer has sent a compressed message, ``bits`` being the
    window the peer agreed to (at least 9: zlib before 1.2.9 compressed a requested 8-bit
    window with 9 bits).
    """

    __slots__ = ("_send_bits", "_send_reset", "_recv_bits", "_recv_reset", "_level",
                 "_mem_level", "_min_size", "_compressor", "_decompressor")

    def __init__(self, params: DeflateParams, client: bool, options: DeflateOptions) -> None:
        if client:
            self._send_bits = params.client_max_window_bits
            self._send_reset = params.client_no_context_takeover
            self._recv_bits = params.server_max_window_bits
            self._recv_reset = params.server_no_context_takeover
        else:
            self._send_bits = params.server_max_window_bits
            self._send_reset = params.server_no_context_takeover
            self._recv_bits = params.client_max_window_bits
            self._recv_reset = params.client_no_context_takeover
        self._recv_bits = max(9, self._recv_bits)
        self._level = options.compression_level
        self._mem_level = _mem_level(self._send_bits)
        self._min_size = options.min_size
        self._compressor: zlib._Compress | None = None
        self._decompressor: zlib._Decompress | None = None

    def compress(self, payload: bytes) -> bytes | None:
        """The compressed payload of one message (RSV1 set), or None to send it as is."""
        if len(payload) < self._min_size:
            return None
        compressor = self._compressor
        if compressor is None:
            compressor = zlib.compressobj(self._level, zlib.DEFLATED, -self._send_bits,
                                          self._mem_level)
            if not self._send_reset:
                self._compressor = compressor  # the context carries over to the next message
        data = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
        return data[:-4] if data.endswith(_TAIL) else data

    def decompress(self, part: bytes, fin: bool, budget: int) -> bytes:
        """Inflate one fragment of a compressed message; at most ``budget`` bytes out.

        Raises MessageTooBig beyond the budget (having allocated at most budget + 1 bytes)
        and DeflateError for data that is not deflate (or reaches past the agreed window)."""
        decompressor = self._decompressor
        if decompressor is None or decompressor.eof:
            # The first message, a message after one the peer ended with BFINAL, or any
            # message under the peer's no_context_takeover: a new stream.
            decompressor = self._decompressor = zlib.decompressobj(-self._recv_bits)
        try:
            out = decompressor.decompress(part + _TAIL if fin else part, budget + 1)
        except zlib.error as exc:
            self._decompressor = None
            raise DeflateError(str(exc)) from None
        if len(out) > budget or decompressor.unconsumed_tail:
            self._decompressor = None
            raise MessageTooBig(f"compressed message inflates past {budget} bytes")
        if fin and self._recv_reset:
            self._decompressor = None  # nothing carries over: hold no window while idle
        return out
