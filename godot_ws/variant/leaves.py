"""Godot's Variant leaves: the encoder and decoder of every non-container type, as factories.

Owns the wire constants and the per-type encoders and decoders (Godot's core/io/marshalls.cpp;
FACTS.md 3.2), built by factories that take the type id so both majors' tables (table3.py,
table4.py) use them, and the decode error. Nothing here recurses: codec.py walks containers.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Callable, Iterable
from itertools import chain
from math import inf
from operator import attrgetter
from struct import Struct
from typing import Any

from ..core.constants import Error
from .types3 import (
    Basis,
    EncodedObjectAsID,
    NodePath,
    VariantType,
    Vector2,
    Vector3,
)


class VariantDecodeError(ValueError):
    """Malformed Variant bytes. ``.error`` is the ``Error`` Godot's decoder returns.

    ERR_INVALID_DATA: too few bytes, unknown type, bad UTF-8, bad count, old NodePath
    format, an unhashable Dictionary key. ERR_FILE_EOF: a string longer than the data.
    ERR_UNAUTHORIZED: a full Object without ``allow_objects``. ERR_OUT_OF_MEMORY: nesting
    deeper than ``MAX_RECURSION_DEPTH``.
    """

    def __init__(self, error: Error, message: str) -> None:
        super().__init__(f"{message} ({error.name})")
        self.error = error


# Header bits (marshalls.cpp): the type is the low byte, flags start at bit 16.
_TYPE_MASK = 0xFF
_FLAG_64 = 1 << 16  # int/float payload is 64-bit; on OBJECT: "sent as id"
_COUNT_MASK = 0x7FFFFFFF  # bit 31 of Array/Dictionary counts is the obsolete "shared" flag
_NODEPATH_NEW_FORMAT = 0x80000000
_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1

_U32 = Struct("<I")
_I32 = Struct("<i")
_I64 = Struct("<q")
_U64 = Struct("<Q")
_F32 = Struct("<f")
_F64 = Struct("<d")
_HDR_U32 = Struct("<II")
_HDR_I32 = Struct("<Ii")
_HDR_I64 = Struct("<Iq")
_HDR_U64 = Struct("<IQ")
_HDR_F32 = Struct("<If")
_HDR_F64 = Struct("<Id")
_HDR_F2 = Struct("<I2f")
_F2 = Struct("<2f")
_NODEPATH_HDR = Struct("<IIII")
_U32X3 = Struct("<III")
_PAD = (b"", b"\0\0\0", b"\0\0", b"\0")  # indexed by len % 4
_BOM = b"\xef\xbb\xbf"
_BYTESWAP = sys.byteorder != "little"

_LeafEncoder = Callable[[Any], bytes]
_LeafDecoder = Callable[[bytes, int, int], tuple[Any, int]]  # (data, pos after header, header)
_T = VariantType


def _err(error: Error, message: str) -> VariantDecodeError:
    return VariantDecodeError(error, message)


# ---------------------------------------------------------------- strings and arrays


def _str_payload(text: str) -> bytes:
    try:
        raw = text.encode("utf-8")  # lone surrogates raise UnicodeEncodeError (a ValueError)
    except AttributeError:
        raise TypeError(f"expected a str, not {type(text).__name__}") from None
    n = len(raw)
    return _U32.pack(n) + raw + _PAD[n & 3]


def _read_str(data: bytes, pos: int) -> tuple[str, int]:
    """One length-prefixed, padded UTF-8 string (marshalls.cpp ``_decode_string``)."""
    (n,) = _I32.unpack_from(data, pos)
    pos += 4
    end = pos + n
    padded = end + (-n & 3)
    if n < 0 or padded > len(data):
        raise _err(Error.ERR_FILE_EOF, f"string of {n} bytes runs past the data")
    if not n:
        # Empty strings are the densest hostile payload (4 bytes each, in pool arrays and
        # NodePaths): answer them without the NUL/BOM scan and the decode call.
        return "", end
    # Godot's parse_utf8 stops at the first NUL and skips a leading BOM.
    nul = data.find(0, pos, end)
    if nul != -1:
        end = nul
    if data.startswith(_BOM, pos, end):
        pos += 3
    try:
        return data[pos:end].decode("utf-8"), padded
    except UnicodeDecodeError:
        raise _err(Error.ERR_INVALID_DATA, "invalid UTF-8 in string") from None


def _packed(code: str, values: Iterable[Any]) -> bytes:
    arr = array(code, values)  # 'f' turns out-of-range values into inf, as C does
    if _BYTESWAP:
        arr.byteswap()
    return arr.tobytes()


def _unpacked(code: str, data: bytes, pos: int, count: int) -> list[Any]:
    arr = array(code)
    arr.frombytes(data[pos : pos + arr.itemsize * count])
    if _BYTESWAP:
        arr.byteswap()
    return arr.tolist()


def _counted(data: bytes, pos: int, item_size: int) -> tuple[int, int]:
    """A pool array's int32 count, refused unless that many items fit in the data."""
    (count,) = _I32.unpack_from(data, pos)
    pos += 4
    if count < 0 or count * item_size > len(data) - pos:
        raise _err(Error.ERR_INVALID_DATA, f"array count {count} exceeds the data")
    return count, pos


# ---------------------------------------------------------------- leaf encoders


def _enc_str(value: str) -> bytes:  # STRING is type 4 in both majors
    return b"\x04\0\0\0" + _str_payload(value)


def _enc_int(value: int) -> bytes:
    if _INT32_MIN <= value <= _INT32_MAX:
        return _HDR_I32.pack(_T.TYPE_INT, value)
    try:
        return _HDR_I64.pack(_T.TYPE_INT | _FLAG_64, value)
    except struct.error:
        raise ValueError(f"int {value} is outside Godot's int64 range") from None


def _enc_float(value: float) -> bytes:
    # Godot: f32 when float(d) == d, else f64. NaN never compares equal, so it goes as f64.
    try:
        out = _HDR_F32.pack(_T.TYPE_REAL, value)
    except OverflowError:
        return _HDR_F64.pack(_T.TYPE_REAL | _FLAG_64, value)
    if _F32.unpack_from(out, 4)[0] == value:
        return out
    return _HDR_F64.pack(_T.TYPE_REAL | _FLAG_64, value)


def _node_path_encoder(type_id: int) -> _LeafEncoder:
    def encode(value: NodePath) -> bytes:
        names, subnames = value.names, value.subnames
        flags = 1 if value.absolute else 0
        head = _NODEPATH_HDR.pack(type_id, len(names) | _NODEPATH_NEW_FORMAT, len(subnames), flags)
        # Godot leaves these strings' padding uninitialised; we write zeros.
        return head + b"".join(map(_str_payload, chain(names, subnames)))

    return encode


def _object_id_encoder(type_id: int, null: bytes | None) -> _LeafEncoder:
    """An id-only Object; ``null`` (if given) is what id 0 becomes (Godot 4 sends NIL)."""

    def encode(value: EncodedObjectAsID) -> bytes:
        if null is not None and value.object_id == 0:
            return null
        try:
            return _HDR_U64.pack(type_id | _FLAG_64, value.object_id)
        except struct.error:
            raise ValueError(f"object id {value.object_id!r} is not a u64") from None

    return encode


def _bytes_encoder(type_id: int) -> _LeafEncoder:
    def encode(value: bytes | bytearray | memoryview) -> bytes:
        raw = bytes(value)
        return _HDR_U32.pack(type_id, len(raw)) + raw + _PAD[len(raw) & 3]

    return encode


def _int_array_encoder(type_id: int, code: str, cls: type) -> _LeafEncoder:
    bits = 8 * array(code).itemsize

    def encode(value: tuple[int, ...]) -> bytes:
        try:
            return _HDR_U32.pack(type_id, len(value)) + _packed(code, value)
        except OverflowError:
            raise ValueError(f"{cls.__name__} items must fit in int{bits}") from None

    return encode


def _string_array_encoder(type_id: int, cls: type) -> _LeafEncoder:
    def encode(value: tuple[str, ...]) -> bytes:
        parts = [_HDR_U32.pack(type_id, len(value))]
        for item in value:
            if not isinstance(item, str):
                raise TypeError(f"{cls.__name__} items must be str, not {type(item).__name__}")
            raw = item.encode("utf-8") + b"\0"  # Godot counts and sends the terminator
            parts.append(_U32.pack(len(raw)) + raw + _PAD[len(raw) & 3])
        return b"".join(parts)

    return encode


def _wrong_major(hint: str) -> _LeafEncoder:
    """For a type of the other Godot major: refuse it rather than send something else."""

    def encode(value: Any) -> bytes:
        raise TypeError(f"{type(value).__name__} is not a Variant of this Godot major; {hint}")

    return encode


def _f32_or_inf(component: Any) -> float:
    """C's double -> float conversion: out-of-range values become +-inf, not errors."""
    if not isinstance(component, (int, float)):
        raise TypeError(f"Godot math components are numbers, not {type(component).__name__}")
    try:
        value = float(component)
        _F32.pack(value)
    except OverflowError:
        return inf if component > 0 else -inf
    return value


def _math_encoder(type_id: int, fields: list[str]) -> _LeafEncoder:
    get, st = attrgetter(*fields), Struct(f"<I{len(fields)}f")

    def encode(value: Any) -> bytes:
        comps = get(value)
        try:
            return st.pack(type_id, *comps)
        except (OverflowError, struct.error):
            return st.pack(type_id, *map(_f32_or_inf, comps))

    return encode


def _vector_array_encoder(type_id: int, item_cls: type, fields: list[str]) -> _LeafEncoder:
    get = attrgetter(*fields)

    def encode(value: tuple[Any, ...]) -> bytes:
        for item in value:
            if not isinstance(item, item_cls):
                raise TypeError(f"items must be {item_cls.__name__}, not {type(item).__name__}")
        floats = _packed("f", chain.from_iterable(map(get, value)))
        return _HDR_U32.pack(type_id, len(value)) + floats

    return encode


# ---------------------------------------------------------------- leaf decoders


def _dec_int(data: bytes, pos: int, header: int) -> tuple[Any, int]:
    if header & _FLAG_64:
        return _I64.unpack_from(data, pos)[0], pos + 8
    return _I32.unpack_from(data, pos)[0], pos + 4


def _dec_float(data: bytes, pos: int, header: int) -> tuple[Any, int]:
    if header & _FLAG_64:
        return _F64.unpack_from(data, pos)[0], pos + 8
    return _F32.unpack_from(data, pos)[0], pos + 4


def _dec_node_path(data: bytes, pos: int, header: int) -> tuple[Any, int]:
    name_count, subname_count, flags = _U32X3.unpack_from(data, pos)
    if not name_count & _NODEPATH_NEW_FORMAT:
        raise _err(Error.ERR_INVALID_DATA, "NodePath in the obsolete string format")
    name_count &= _COUNT_MASK
    pos += 12
    if flags & 2:  # obsolete "property" form: one more subname
        subname_count += 1
    # No up-front check of the count: every name takes >= 4 bytes, so running out of data
    # ends the loop with Godot's own error code, and nothing is allocated ahead.
    if not name_count and not subname_count:
        return _EMPTY_PATH, pos  # 16 bytes each: the cheapest hostile element, made cheaper
    parts = []
    for _ in range(name_count + subname_count):
        part, pos = _read_str(data, pos)
        parts.append(part)
    return NodePath.from_parts(parts[:name_count], parts[name_count:], bool(flags & 1)), pos


_EMPTY_PATH = NodePath.from_parts(())  # immutable, so one instance serves every empty path


def _dec_bytes(data: bytes, pos: int, header: int) -> tuple[Any, int]:
    count, pos = _counted(data, pos, 1)
    # The final padding may be missing: Godot only checks count <= remaining.
    return data[pos : pos + count], pos + count + (-count & 3)


def _string_array_decoder(cls: type) -> _LeafDecoder:
    def decode(data: bytes, pos: int, header: int) -> tuple[Any, int]:
        # Godot does not mask this count: a negative one simply gives an empty array.
        (count,) = _I32.unpack_from(data, pos)
        pos += 4
        items = []  # grown item by item, so a huge count cannot allocate ahead of the data
        for _ in range(count):
            item, pos = _read_str(data, pos)  # the NUL Godot appends ends the string
            items.append(item)
        return tuple.__new__(cls, items), pos

    return decode


def _math_decoder(
    count: int, build: Callable[[tuple[float, ...]], Any], wide: bool = False
) -> _LeafDecoder:
    """``count`` f32 components; with ``wide`` (Godot 4's real_t types) f64 if FLAG_64."""
    st, size = Struct(f"<{count}f"), 4 * count
    if not wide:

        def decode(data: bytes, pos: int, header: int) -> tuple[Any, int]:
            return build(st.unpack_from(data, pos)), pos + size

        return decode
    st64 = Struct(f"<{count}d")

    def decode_wide(data: bytes, pos: int, header: int) -> tuple[Any, int]:
        if header & _FLAG_64:  # a precision=double build sent it
            return build(st64.unpack_from(data, pos)), pos + 2 * size
        return build(st.unpack_from(data, pos)), pos + size

    return decode_wide


def _pool_decoder(
    cls: type, code: str, width: int, build: Any = None, wide_code: str = ""
) -> _LeafDecoder:
    """A pool array of ``width`` numbers per item, built into ``build`` if given.

    ``wide_code``: the array code used instead when the header has FLAG_64 (Godot 4's
    packed vector arrays from a precision=double build).
    """
    size = array(code).itemsize * width
    wide_size = array(wide_code).itemsize * width if wide_code else 0

    def decode(data: bytes, pos: int, header: int) -> tuple[Any, int]:
        item_code, item_size = code, size
        if wide_code and header & _FLAG_64:
            item_code, item_size = wide_code, wide_size
        count, pos = _counted(data, pos, item_size)
        flat = _unpacked(item_code, data, pos, count * width)
        items = flat if build is None else map(build, *(flat[i::width] for i in range(width)))
        return tuple.__new__(cls, items), pos + item_size * count

    return decode


def _basis(c: tuple[float, ...]) -> Basis:
    """A Basis from its 9 row-major floats (the axes are the columns)."""
    return Basis(Vector3(*c[0:9:3]), Vector3(*c[1:9:3]), Vector3(*c[2:9:3]))


def _enc_vector2(value: Vector2) -> bytes:  # the per-frame case: no generic layers
    try:
        return _HDR_F2.pack(_T.TYPE_VECTOR2, value.x, value.y)
    except (OverflowError, struct.error):
        return _HDR_F2.pack(_T.TYPE_VECTOR2, _f32_or_inf(value.x), _f32_or_inf(value.y))


def _dec_vector2(data: bytes, pos: int, header: int) -> tuple[Any, int]:
    x, y = _F2.unpack_from(data, pos)
    return Vector2(x, y), pos + 8


# ---------------------------------------------------------------- per-version tables


class _PropName(str):
    """A full Object's property name in the encoder's work stack: a bare string, no header."""

    __slots__ = ()
