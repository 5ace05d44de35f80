"""Godot 4 scene replication's wire format: SPAWN (0x04), DESPAWN (0x05), SYNC (0x06) and DELTA
(0x16 = SYNC | 1 << 4), as modules/multiplayer/scene_replication_interface.cpp builds and reads
them (REPLICATION4 sections 2 and 4.8; unchanged from 4.1 to 4.6).

Sans-IO: bytes in, values out; no sockets, no time, no state. Values are compressed Variants
(``_scene_wire.encode_variant``) simply concatenated, with no count: the receiver's own
SceneReplicationConfig says how many to read. ``ValueError`` (with Godot's message where it has
one) for anything malformed; the replicator logs it and drops the packet or entry.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from ._scene_wire import NetworkCommand, decode_variant, encode_variant

__all__ = [
    "DELTA_FLAG",
    "INVALID_SCENE_ID",
    "PATH_ID_FLAG",
    "Spawn",
    "decode_despawn",
    "decode_spawn",
    "decode_values",
    "delta_packets",
    "despawn_packet",
    "encode_values",
    "iter_delta",
    "iter_sync",
    "is_valid_node_name",
    "spawn_packet",
    "sync_bodies",
    "sync_entry",
    "sync_header",
    "sync_packets",
]

DELTA_FLAG = 1 << 4
"""Byte 0 flag of a SYNC that is a DELTA (``1 << CMD_FLAG_0_SHIFT``)."""

INVALID_SCENE_ID = 0xFF
"""``MultiplayerSpawner::INVALID_ID``: a custom spawn (``spawn_function``), with an argument."""

PATH_ID_FLAG = 0x80000000
"""A synchronizer id with this bit is ``path cache id | flag`` (not spawn-assigned)."""

_SPAWN_HEADER = struct.Struct("<BBIIII")  # cmd, scene, spawner cache id, net id, syncs, name len
_SYNC_HEADER = struct.Struct("<BH")  # cmd, u16 network time
_SYNC_ENTRY = struct.Struct("<II")  # net id, size
_DELTA_ENTRY = struct.Struct("<IQI")  # net id, change mask, size
_U32 = struct.Struct("<I")

# String::get_invalid_node_name_characters(): a received name must survive validate_node_name.
_INVALID_NAME_CHARS = frozenset('.:@/"%')


def is_valid_node_name(name: str) -> bool:
    """``name.validate_node_name() == name`` (and not empty)."""
    return bool(name) and not any(c in _INVALID_NAME_CHARS for c in name)


def encode_values(values: Sequence[Any]) -> bytes:
    """``encode_and_compress_variants``: the compressed Variants back to back, no count."""
    return b"".join(encode_variant(v) for v in values)


def decode_values(data: bytes, offset: int, end: int, count: int) -> tuple[list[Any], int]:
    """``count`` compressed Variants from ``data[offset:end]`` and the offset after them
    (object decoding is always off for replication)."""
    values = []
    for _ in range(count):
        value, offset = decode_variant(data, offset, end, False)
        values.append(value)
    return values, offset


# ------------------------------------------------------------------ SPAWN / DESPAWN


class Spawn(NamedTuple):
    """A decoded SPAWN; the spawn state is ``packet[state_offset:]``."""

    scene_id: int
    spawner_id: int
    net_id: int
    sync_ids: tuple[int, ...]
    name: str
    arg: Any
    state_offset: int


def spawn_packet(scene_id: int, spawner_id: int, net_id: int, sync_ids: Sequence[int],
                 name: str, arg: Any = None, state: bytes = b"") -> bytes:
    """SPAWN (``_make_spawn_packet``): the argument follows the name only for a custom spawn
    (``scene_id == 0xFF``); ``state`` is the synchronizers' spawn values, encoded."""
    cname = name.encode("utf-8") + b"\x00"
    parts = [_SPAWN_HEADER.pack(NetworkCommand.SPAWN, scene_id, spawner_id, net_id,
                                len(sync_ids), len(cname)),
             struct.pack(f"<{len(sync_ids)}I", *sync_ids), cname]
    if scene_id == INVALID_SCENE_ID:
        encoded = encode_variant(arg)
        parts += (_U32.pack(len(encoded)), encoded)
    parts.append(state)
    return b"".join(parts)


def decode_spawn(packet: bytes) -> Spawn:
    """The fields of a SPAWN (``on_spawn_receive``'s checks, in its order)."""
    size = len(packet)
    if size < _SPAWN_HEADER.size:
        raise ValueError("Invalid spawn packet received")
    _cmd, scene_id, spawner_id, net_id, sync_len, name_len = _SPAWN_HEADER.unpack_from(packet)
    ofs = _SPAWN_HEADER.size
    if name_len + sync_len * 4 > size - ofs:
        raise ValueError(f"Invalid spawn packet size: {size}, wants: "
                         f"{ofs + name_len + sync_len * 4}")
    sync_ids = struct.unpack_from(f"<{sync_len}I", packet, ofs)
    ofs += 4 * sync_len
    if name_len < 1:
        raise ValueError("Zero spawn name size.")
    raw = packet[ofs:ofs + name_len]
    nul = raw.find(b"\x00")  # String::utf8 stops at the NUL the sender includes
    name = (raw if nul < 0 else raw[:nul]).decode("utf-8", "replace")
    if not is_valid_node_name(name):
        raise ValueError(f"Invalid node name received: '{name}'. Make sure to add nodes via "
                         "'add_child(node, true)' remotely.")
    ofs += name_len
    arg = None
    if scene_id == INVALID_SCENE_ID:
        if size - ofs < 4:
            raise ValueError("Invalid spawn packet: no custom argument size")
        (arg_size,) = _U32.unpack_from(packet, ofs)
        ofs += 4
        if arg_size > size - ofs:
            raise ValueError("Invalid spawn packet: the custom argument is cut short")
        arg, _ = decode_variant(packet, ofs, ofs + arg_size, False)
        ofs += arg_size
    return Spawn(scene_id, spawner_id, net_id, tuple(sync_ids), name, arg, ofs)


def despawn_packet(net_id: int) -> bytes:
    """DESPAWN: the command and the node's net id (5 bytes)."""
    return bytes((NetworkCommand.DESPAWN,)) + _U32.pack(net_id)


def decode_despawn(packet: bytes) -> int:
    if len(packet) < 5:
        raise ValueError("Invalid spawn packet received")
    return int(_U32.unpack_from(packet, 1)[0])


# ------------------------------------------------------------------ SYNC / DELTA


def sync_packets(time: int, entries: Sequence[tuple[int, bytes]], mtu: int) -> list[bytes]:
    """SYNC packets carrying ``(net id, encoded ALWAYS values)`` entries (``_send_sync``).

    An entry over ``mtu`` is skipped (the caller logs it); a packet is flushed when the next
    entry would pass ``mtu``; every packet has the same u16 time. Empty entries are not written.
    """
    header = sync_header(time)
    return [header + body for body in sync_bodies([sync_entry(n, d) for n, d in entries], mtu)]


def sync_header(time: int) -> bytes:
    """The 3 bytes every SYNC packet of one frame to one peer starts with."""
    return _SYNC_HEADER.pack(NetworkCommand.SYNC, time & 0xFFFF)


def sync_entry(net_id: int, data: bytes) -> bytes:
    """One SYNC entry (u32 net id, u32 size, the values); b"" for no values."""
    return _SYNC_ENTRY.pack(net_id, len(data)) + data if data else b""


def sync_bodies(entries: Sequence[bytes], mtu: int) -> list[bytes]:
    """The entries of a frame's SYNC packets, split as ``_send_sync`` splits them (after the
    3-byte header); the same for every peer sent the same synchronizers."""
    bodies: list[bytes] = []
    parts: list[bytes] = []
    ofs = _SYNC_HEADER.size
    for entry in entries:
        size = len(entry) - 8
        if size > mtu:
            continue
        if ofs + len(entry) > mtu and parts:
            bodies.append(b"".join(parts))
            parts = []
            ofs = _SYNC_HEADER.size
        if size > 0:
            parts.append(entry)
            ofs += len(entry)
    if parts:
        bodies.append(b"".join(parts))
    return bodies


def delta_packets(entries: Sequence[tuple[int, int, bytes]], mtu: int) -> list[bytes]:
    """DELTA packets carrying ``(net id, change mask, encoded values)`` (``_send_delta``);
    split as SYNC, without a time field."""
    header = bytes((NetworkCommand.SYNC | DELTA_FLAG,))
    packets: list[bytes] = []
    parts = [header]
    ofs = 1
    for net_id, mask, data in entries:
        size = len(data)
        if size > mtu:
            continue
        if ofs + 16 + size > mtu:
            if ofs > 1:
                packets.append(b"".join(parts))
            parts = [header]
            ofs = 1
        if size:
            parts += (_DELTA_ENTRY.pack(net_id, mask, size), data)
            ofs += 16 + size
    if ofs > 1:
        packets.append(b"".join(parts))
    return packets


def iter_sync(packet: bytes) -> tuple[int, Iterator[tuple[int, int, int]]]:
    """(the u16 time, the ``(net id, offset, size)`` entries) of a plain SYNC.

    The iterator raises ValueError when an entry's size passes the end, after yielding the
    entries before it (Godot applies those, then fails the rest)."""
    if len(packet) < 11:
        raise ValueError("Invalid sync packet received")
    (time,) = struct.unpack_from("<H", packet, 1)
    return time, _entries(packet, 3, _SYNC_ENTRY)


def iter_delta(packet: bytes) -> Iterator[tuple[int, int, int, int]]:
    """The ``(net id, mask, offset, size)`` entries of a DELTA (``on_delta_receive``)."""
    if len(packet) < 11:
        raise ValueError("Invalid sync packet received")
    size = len(packet)
    ofs = 1
    while ofs + 16 < size:
        net_id, mask, length = _DELTA_ENTRY.unpack_from(packet, ofs)
        ofs += 16
        if length > size - ofs:
            raise ValueError("Invalid delta packet: an entry passes the end of the packet")
        yield net_id, mask, ofs, length
        ofs += length


def _entries(packet: bytes, ofs: int, entry: struct.Struct) -> Iterator[tuple[int, int, int]]:
    size = len(packet)
    while ofs + 8 < size:
        net_id, length = entry.unpack_from(packet, ofs)
        ofs += 8
        if length > size - ofs:
            raise ValueError("Invalid sync packet: an entry passes the end of the packet")
        yield net_id, ofs, length
        ofs += length
