"""Godot 3's RPC packet format (MultiplayerAPI's commands; FACTS.md section 4).

Owns the bytes of the five commands and their parsing, with Godot 3.2.3's error wording:
REMOTE_CALL ``[0] u32 target name NUL u8 argc Variants``, REMOTE_SET ``[1] u32 target name NUL
Variant``, SIMPLIFY_PATH ``[2] u32 id path NUL``, CONFIRM_PATH ``[3] path NUL``, RAW ``[4]
bytes``. ``target`` is the sender's path-cache id, or ``0x80000000 | offset`` with the node
path at that offset after the arguments. Sans-IO: bytes in, values out; no peers, no nodes.
Every parse error is a ``RPCPacketError`` carrying the message Godot prints.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from ...variant.codec import VariantDecodeError, decode_var_from, encode_var

__all__ = [
    "FULL_PATH_FLAG",
    "NetworkCommand",
    "RPCPacketError",
    "decode_args",
    "decode_value",
    "encode_call",
    "encode_confirm_path",
    "encode_raw",
    "encode_simplify_path",
    "parse_confirm_path",
    "parse_name",
    "parse_simplify_path",
    "parse_target",
    "with_full_path",
    "with_cache_id",
]


class NetworkCommand(IntEnum):
    """Byte 0 of every RPC packet (multiplayer_api.h ``NetworkCommands``)."""

    NETWORK_COMMAND_REMOTE_CALL = 0
    NETWORK_COMMAND_REMOTE_SET = 1
    NETWORK_COMMAND_SIMPLIFY_PATH = 2
    NETWORK_COMMAND_CONFIRM_PATH = 3
    NETWORK_COMMAND_RAW = 4


FULL_PATH_FLAG = 0x80000000
"""Set in ``target``: the low 31 bits are the offset of the node path, not a cache id."""

_U32 = struct.Struct("<I")
_CMD_ID = struct.Struct("<BI")
_TOO_SMALL = "Invalid packet received. Size too small."


class RPCPacketError(ValueError):
    """A malformed packet; ``str()`` is Godot 3.2.3's message for it."""


def _cstring(text: str) -> bytes:
    return text.encode("utf-8") + b"\0"


def _utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise RPCPacketError(f"Invalid packet received. {what} is not valid UTF-8.") from None


# ---------------------------------------------------------------- encoding


def encode_call(command: int, cache_id: int, name: str, args: Sequence[Any],
                allow_objects: bool) -> bytes:
    """REMOTE_CALL (``args`` with a count byte) or REMOTE_SET (``args`` is the one value), in
    the cached form. TypeError/ValueError for a value with no Variant encoding."""
    out = bytearray(_CMD_ID.pack(command, cache_id))
    out += _cstring(name)
    if command == NetworkCommand.NETWORK_COMMAND_REMOTE_CALL:
        out.append(len(args))
    for arg in args:
        out += encode_var(arg, allow_objects)
    return bytes(out)


def with_full_path(packet: bytes, path: str) -> bytes:
    """``packet`` in the full-path form: target ``0x80000000 | len(packet)``, path appended."""
    return (packet[:1] + _U32.pack(FULL_PATH_FLAG | len(packet)) + packet[5:]
            + _cstring(path))


def with_cache_id(packet: bytes, cache_id: int) -> bytes:
    return packet[:1] + _U32.pack(cache_id) + packet[5:]


def encode_simplify_path(cache_id: int, path: str) -> bytes:
    return _CMD_ID.pack(NetworkCommand.NETWORK_COMMAND_SIMPLIFY_PATH, cache_id) + _cstring(path)


def encode_confirm_path(path: str) -> bytes:
    return bytes((NetworkCommand.NETWORK_COMMAND_CONFIRM_PATH,)) + _cstring(path)


def encode_raw(data: bytes) -> bytes:
    return bytes((NetworkCommand.NETWORK_COMMAND_RAW,)) + data


# ---------------------------------------------------------------- parsing


def _path_at(packet: bytes, start: int) -> str:
    # Godot's parse_utf8(ptr, len) stops at the first NUL or at the end of the packet.
    end = packet.find(b"\0", start)
    return _utf8(packet[start:] if end < 0 else packet[start:end], "Path")


def parse_simplify_path(packet: bytes) -> tuple[int, str]:
    """SIMPLIFY_PATH -> (cache id, path)."""
    if len(packet) < 5:
        raise RPCPacketError(_TOO_SMALL)
    return _U32.unpack_from(packet, 1)[0], _path_at(packet, 5)


def parse_confirm_path(packet: bytes) -> str:
    if len(packet) < 2:
        raise RPCPacketError(_TOO_SMALL)
    return _path_at(packet, 1)


def parse_target(packet: bytes) -> tuple[int | None, str | None, int]:
    """REMOTE_CALL/SET -> (cache id or None, full path or None, where the arguments end)."""
    if len(packet) < 6:
        raise RPCPacketError(_TOO_SMALL)
    (target,) = _U32.unpack_from(packet, 1)
    if target & FULL_PATH_FLAG:
        offset = target & 0x7FFFFFFF
        if offset >= len(packet):
            raise RPCPacketError("Invalid packet received. Size smaller than declared.")
        return None, _path_at(packet, offset), offset
    return target, None, len(packet)


def parse_name(packet: bytes, end: int) -> tuple[str, int]:
    """The method/property name from byte 5 -> (name, offset after its NUL)."""
    nul = packet.find(b"\0", 5, end)
    if nul < 0:
        raise RPCPacketError(_TOO_SMALL)
    return _utf8(packet[5:nul], "Name"), nul + 1


def decode_args(packet: bytes, offset: int, end: int, allow_objects: bool) -> list[Any]:
    """REMOTE_CALL's ``u8 argc`` and argc Variants in ``packet[offset:end]``."""
    if offset >= end:
        raise RPCPacketError(_TOO_SMALL)
    argc = packet[offset]
    offset += 1
    data = packet[:end]
    args = []
    for _ in range(argc):
        if offset >= end:
            raise RPCPacketError(_TOO_SMALL)
        try:
            value, offset = decode_var_from(data, offset, allow_objects)
        except VariantDecodeError as exc:
            raise RPCPacketError(
                f"Invalid packet received. Unable to decode RPC argument. ({exc})") from None
        args.append(value)
    return args


def decode_value(packet: bytes, offset: int, end: int, allow_objects: bool) -> Any:
    """REMOTE_SET's one Variant."""
    if offset >= end:
        raise RPCPacketError(_TOO_SMALL)
    try:
        return decode_var_from(packet[:end], offset, allow_objects)[0]
    except VariantDecodeError as exc:
        raise RPCPacketError(
            f"Invalid packet received. Unable to decode RSET value. ({exc})") from None
