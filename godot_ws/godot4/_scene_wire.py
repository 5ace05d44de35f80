"""Godot 4 SceneMultiplayer's wire format: command bytes, SYS packets, the path cache packets,
REMOTE_CALL and the compressed Variants of RPC arguments (FACTS4 sections 1.7 and 4).

Sans-IO: bytes in, values out; no sockets, no time, no state. ``ValueError`` (with Godot's
message where Godot has one) for anything malformed; the callers in ``scene_multiplayer`` log
it and drop the packet. Sources: modules/multiplayer/scene_multiplayer.h (command ids),
scene_rpc_interface.cpp (REMOTE_CALL), scene_cache_interface.cpp (SIMPLIFY_PATH /
CONFIRM_PATH), scene/main/multiplayer_api.cpp (compressed Variants); identical in 4.3, 4.4.1
and 4.6-dev.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from enum import IntEnum
from typing import Any, NamedTuple

from ..variant.codec import VariantDecodeError, decode_var_from, encode_var

__all__ = [
    "CMD_MASK",
    "SYS_CMD_SIZE",
    "NetworkCommand",
    "SysCommand",
    "RemoteCall",
    "auth_packet",
    "confirm_path_packet",
    "confirm_path_packet_legacy",
    "decode_args",
    "decode_confirm_path",
    "decode_remote_call",
    "decode_simplify_path",
    "decode_sys",
    "decode_variant",
    "encode_args",
    "encode_variant",
    "raw_packet",
    "remote_call_packet",
    "rpc_md5",
    "simplify_path_packet",
    "sys_packet",
]


class NetworkCommand(IntEnum):
    """``packet[0] & CMD_MASK`` (SceneMultiplayer::NetworkCommands)."""

    REMOTE_CALL = 0
    SIMPLIFY_PATH = 1
    CONFIRM_PATH = 2
    RAW = 3
    SPAWN = 4
    DESPAWN = 5
    SYNC = 6
    SYS = 7


class SysCommand(IntEnum):
    """``packet[1]`` of a SYS packet (SceneMultiplayer::SysCommands)."""

    AUTH = 0
    ADD_PEER = 1
    DEL_PEER = 2
    RELAY = 3


CMD_MASK = 7
"""The command's bits of byte 0; bit 3 is unused, bits 4-7 are per-command flags."""

SYS_CMD_SIZE = 6
"""Command byte + sys command byte + i32 peer id (scene_multiplayer.h)."""

# REMOTE_CALL meta flags (scene_rpc_interface.cpp: CMD_FLAG_0/2/3_SHIFT = 4/6/7).
_NODE_ID_SHIFT = 4  # 2 bits: 0 = 8-bit, 1 = 16-bit, 2 = 32-bit node target
_NAME_ID_SHIFT = 6  # 1 bit: 0 = 8-bit, 1 = 16-bit method id
_RAW_FLAG = 0x80  # byte_only_or_no_args
_PATH_FLAG = 0x80000000  # node target: "the path follows at offset & 0x7FFFFFFF"

_I32 = struct.Struct("<i")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_SYS = struct.Struct("<BBi")

# Variant type ids of Godot 4 (core/variant/variant.h) the compression treats specially.
_NIL, _BOOL, _INT, _PACKED_BYTE_ARRAY, _VARIANT_MAX = 0, 1, 2, 29, 39
_TYPE_MASK, _MODE_SHIFT = 0x3F, 6


# ------------------------------------------------------------------ SYS


def sys_packet(command: int, peer: int, payload: bytes = b"") -> bytes:
    """``07 <command> <i32 peer> <payload>``: ADD_PEER, DEL_PEER, RELAY."""
    return _SYS.pack(NetworkCommand.SYS, command, peer) + payload


def auth_packet(data: bytes = b"") -> bytes:
    """``07 00 <data>``; without data it means "I completed the authentication"."""
    return b"\x07\x00" + data


def decode_sys(packet: bytes) -> tuple[int, int]:
    """The sys command and the i32 peer of a SYS packet of at least 6 bytes."""
    if len(packet) < SYS_CMD_SIZE:
        raise ValueError("Invalid packet received. Size too small.")
    _cmd, command, peer = _SYS.unpack_from(packet)
    return command, peer


def raw_packet(data: bytes) -> bytes:
    """``03 <data>`` (``send_bytes``)."""
    return b"\x03" + data


# ------------------------------------------------------------------ path cache


def rpc_md5(names: Sequence[str]) -> str:
    """``get_rpc_md5``: lower-case hex MD5 of the config names in id order, concatenated."""
    return hashlib.md5("".join(names).encode("utf-8")).hexdigest()


def simplify_path_packet(md5_hex: str, cache_id: int, path: str) -> bytes:
    """``01`` + 32 hex digits + ``00`` + u32 cache id + path + ``00`` (``_send_confirm_path``)."""
    return (b"\x01" + md5_hex.encode("ascii") + b"\x00" + _U32.pack(cache_id & 0xFFFFFFFF)
            + path.encode("utf-8") + b"\x00")


def decode_simplify_path(packet: bytes) -> tuple[str, int, str]:
    """(md5 hex, cache id, path) of a SIMPLIFY_PATH; Godot's check is ``len >= 38``.

    The cache id is read as Godot stores it (``int id = decode_uint32``): signed."""
    if len(packet) < 38:
        raise ValueError("Invalid packet received. Size too small.")
    md5 = _utf8(packet[1:33])
    (cache_id,) = _I32.unpack_from(packet, 34)
    return md5, cache_id, _utf8(packet[38:])


def confirm_path_packet(valid: bool, cache_id: int) -> bytes:
    """CONFIRM_PATH as Godot 4.3+ writes it: ``02`` + u8 valid + u32 cache id (6 bytes)."""
    return b"\x02" + (b"\x01" if valid else b"\x00") + _U32.pack(cache_id & 0xFFFFFFFF)


def confirm_path_packet_legacy(valid: bool, path: str) -> bytes:
    """CONFIRM_PATH as Godot 4.0-4.2 wrote it: ``02`` + u8 valid + path + ``00``. Not
    wire-compatible with 4.3+; kept to document (and test) the difference only."""
    return b"\x02" + (b"\x01" if valid else b"\x00") + path.encode("utf-8") + b"\x00"


def decode_confirm_path(packet: bytes) -> tuple[bool, int]:
    """(checksum valid, cache id) of a 4.3+ CONFIRM_PATH, which must be exactly 6 bytes."""
    if len(packet) != 6:
        raise ValueError("Invalid packet received. Size too small.")
    (cache_id,) = _I32.unpack_from(packet, 2)
    return packet[1] != 0, cache_id


def _utf8(data: bytes) -> str:
    # Godot's String::utf8 stops at a NUL; invalid bytes are replaced rather than refused.
    end = data.find(b"\x00")
    return (data if end < 0 else data[:end]).decode("utf-8", "replace")


# ------------------------------------------------------------------ compressed Variants


def encode_variant(value: Any, allow_objects: bool = False) -> bytes:
    """One RPC argument as ``encode_and_compress_variant`` writes it (FACTS4 1.7).

    BOOL: one byte, 0x01 or 0x81. INT: a meta byte (0x02 | width << 6) and the smallest
    signed width. Anything else: Godot 4's ``var_to_bytes`` with byte 0 the type id.
    TypeError / ValueError as ``var_to_bytes`` for values with no Variant.
    """
    if value is True:
        return b"\x81"
    if value is False:
        return b"\x01"
    if isinstance(value, int):  # bools were handled above
        v = int(value)
        if -0x80 <= v <= 0x7F:
            return struct.pack("<Bb", _INT, v)
        if -0x8000 <= v <= 0x7FFF:
            return struct.pack("<Bh", _INT | 1 << _MODE_SHIFT, v)
        if -0x80000000 <= v <= 0x7FFFFFFF:
            return struct.pack("<Bi", _INT | 2 << _MODE_SHIFT, v)
        if -(1 << 63) <= v < 1 << 63:
            return struct.pack("<Bq", _INT | 3 << _MODE_SHIFT, v)
        raise ValueError(f"int {v} does not fit Godot's 64-bit int")
    # Godot then overwrites byte 0 with the Variant type, which it already is: the only case
    # that differs, a null Object typed OBJECT, has no Python value (None is NIL).
    return encode_var(value, allow_objects, version=4)


def decode_variant(data: bytes, offset: int, end: int, allow_objects: bool) -> tuple[Any, int]:
    """The compressed Variant at ``offset`` (not reading past ``end``) and the offset after it.

    ValueError for anything malformed (Godot: "Invalid packet received. Unable to decode state
    variable.")."""
    if offset >= end:
        raise ValueError("Invalid packet received. Size too small.")
    meta = data[offset]
    kind = meta & _TYPE_MASK
    if kind >= _VARIANT_MAX:
        raise ValueError(f"Invalid packet received. Unknown Variant type {kind}.")
    if kind == _BOOL:
        return meta & 0x80 != 0, offset + 1
    if kind == _INT:
        width = 1 << (meta >> _MODE_SHIFT)
        if offset + 1 + width > end:
            raise ValueError("Invalid packet received. Size too small.")
        fmt = {1: "<b", 2: "<h", 4: "<i", 8: "<q"}[width]
        return struct.unpack_from(fmt, data, offset + 1)[0], offset + 1 + width
    try:
        value, after = decode_var_from(data[:end], offset, allow_objects, version=4)
    except VariantDecodeError as exc:
        raise ValueError(f"Invalid packet received. Unable to decode state variable: {exc}") \
            from None
    return value, after


def encode_args(args: Sequence[Any], allow_objects: bool = False) -> tuple[bytes, bool]:
    """(the argument bytes, the raw flag) as ``encode_and_compress_variants`` writes them.

    No argument: raw, nothing. One ``bytes``-like argument (a PackedByteArray): raw, its
    bytes. Otherwise u8 argc and each argument compressed (the caller checks argc <= 255).
    """
    if not args:
        return b"", True
    if len(args) == 1 and isinstance(args[0], (bytes, bytearray, memoryview)):
        return bytes(args[0]), True
    return bytes((len(args),)) + b"".join(encode_variant(a, allow_objects) for a in args), False


def decode_args(
    packet: bytes, offset: int, end: int, raw: bool, allow_objects: bool = False
) -> list[Any]:
    """The arguments in ``packet[offset:end]`` (``_process_rpc``): raw = no argument or one
    PackedByteArray (``bytes``); else u8 argc and argc compressed Variants."""
    if offset > end:
        raise ValueError("Invalid packet received. Size too small.")
    if raw:
        return [packet[offset:end]] if offset < end else []
    if offset >= end:
        raise ValueError("Invalid packet received. Size too small.")
    argc = packet[offset]
    pos = offset + 1
    args = []
    for _ in range(argc):
        value, pos = decode_variant(packet, pos, end, allow_objects)
        args.append(value)
    return args


# ------------------------------------------------------------------ REMOTE_CALL


class RemoteCall(NamedTuple):
    """A parsed REMOTE_CALL header (``process_rpc``)."""

    node_target: int  # the sender's cache id, unless ``path`` is set
    path: str | None  # the node path when the target has the 0x80000000 flag
    method_id: int
    raw: bool  # byte_only_or_no_args
    args_offset: int
    args_end: int  # where the arguments end (the path starts there when it is sent)


def remote_call_packet(
    node_target: int, method_id: int, args: bytes, raw: bool,
    wide: bool = False, path: str | None = None,
) -> bytes:
    """A REMOTE_CALL (``_send_rpc``).

    ``path`` given: the 32-bit target ``0x80000000 | offset of the path`` and the path
    appended as a cstring. Else the cache id ``node_target``, as 32 bits when ``wide`` (some
    other target has not confirmed the path yet), else in the smallest of 8/16/32 bits.
    ``args`` and ``raw`` come from ``encode_args``.
    """
    name = bytes((method_id,)) if method_id <= 0xFF else _U16.pack(method_id)
    name_mode = 0 if method_id <= 0xFF else 1
    if path is not None or wide or node_target > 0xFFFF or node_target < 0:
        node_mode, node_len = 2, 4
    elif node_target > 0xFF:
        node_mode, node_len = 1, 2
    else:
        node_mode, node_len = 0, 1
    meta = (NetworkCommand.REMOTE_CALL | node_mode << _NODE_ID_SHIFT
            | name_mode << _NAME_ID_SHIFT | (_RAW_FLAG if raw else 0))
    if path is not None:
        offset = 1 + node_len + len(name) + len(args)
        target = _U32.pack(_PATH_FLAG | offset)
        return bytes((meta,)) + target + name + args + path.encode("utf-8") + b"\x00"
    target = (bytes((node_target,)) if node_len == 1 else _U16.pack(node_target)
              if node_len == 2 else _U32.pack(node_target & 0xFFFFFFFF))
    return bytes((meta,)) + target + name + args


def decode_remote_call(packet: bytes) -> RemoteCall:
    """Parse a REMOTE_CALL's meta, node target, method id and (when sent) path."""
    node_mode = (packet[0] >> _NODE_ID_SHIFT) & 3
    name_mode = (packet[0] >> _NAME_ID_SHIFT) & 1
    if node_mode == 3:
        raise ValueError("Was not possible to extract the node id compression mode.")
    node_len = 1 << node_mode
    name_len = 1 << name_mode
    min_size = 1 + node_len + name_len
    if len(packet) < min_size:
        raise ValueError("Invalid packet received. Size too small.")
    if node_len == 1:
        target = packet[1]
    elif node_len == 2:
        (target,) = _U16.unpack_from(packet, 1)
    else:
        (target,) = _U32.unpack_from(packet, 1)
    method_id = packet[1 + node_len] if name_len == 1 else \
        _U16.unpack_from(packet, 1 + node_len)[0]
    path = None
    end = len(packet)
    if target & _PATH_FLAG:
        end = target & 0x7FFFFFFF
        if end >= len(packet):
            raise ValueError("Invalid packet received. Size smaller than declared.")
        path = _utf8(packet[end:])
    if min_size > end:
        raise ValueError("Invalid packet received. Size too small.")
    return RemoteCall(target, path, method_id, bool(packet[0] & _RAW_FLAG), min_size, end)
