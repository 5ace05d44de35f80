"""Godot's Variant binary codec (``var2bytes`` / ``bytes2var``, ``put_var`` / ``get_var``).

Owns: Python values <-> Godot 3 Variant bytes (FACTS.md section 3) and Godot 4 Variant
bytes (FACTS4.md section 1; ``var_to_bytes`` & co.), Godot's core/io/marshalls.cpp. Sans-IO:
bytes in, values out; imports only ``constants``, the value types and the wire tables.

Encode mapping: ``None`` NIL, ``bool`` BOOL, ``int`` INT (i64 outside int32), ``float`` REAL
(f32 when exact, else f64, as Godot), ``str`` STRING, ``bytes``/``bytearray``/``memoryview``
POOL_BYTE_ARRAY, ``list``/``tuple`` ARRAY, ``dict`` DICTIONARY (insertion order), and each
``godot_types`` class its own type. Subclasses (IntEnum, NamedTuple) encode as their base.

Both walkers are iterative, so nesting deeper than 1024 (Godot's later limit) is an error,
never a RecursionError. Fixed-size pool arrays check their count against the remaining
bytes; other containers grow item by item, so a lying count allocates nothing ahead.

Versions: each Godot major is one ``_Codec`` table (Python type -> encoder, type id ->
decoder, plus the few container rules that differ) in ``_variant_tables.py`` (3.x) and
``_variant_table4.py`` (4.x), built from the same factories; this one walker serves both.
``version=4`` follows Godot 4.3-4.6 (typed Arrays of 4.3, typed Dictionaries of 4.4).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from itertools import chain
from typing import Any

from .leaves import (
    _COUNT_MASK,
    _FLAG_64,
    _HDR_U32,
    _I32,
    _TYPE_MASK,
    _U32,
    _U64,
    VariantDecodeError,
    _err,
    _PropName,
    _read_str,
    _str_payload,
)
from .table3 import (
    _CODECS,
    _codec,
    _Codec,
)
from .table4 import (
    ARRAY_SHIFT,
    KEY_SHIFT,
    VALUE_SHIFT,
    container_type_field,
    read_container_type,
)
from ..core.constants import Error
from .types3 import (
    EncodedObjectAsID,
    GodotObject,
)
from .types4 import Array, Dictionary

__all__ = [
    "MAX_RECURSION_DEPTH",
    "VariantDecodeError",
    "bytes2var",
    "bytes_to_var",
    "bytes_to_var_with_objects",
    "decode_var",
    "decode_var_from",
    "encode_var",
    "var2bytes",
    "var_to_bytes",
    "var_to_bytes_with_objects",
]

MAX_RECURSION_DEPTH = 1024
"""Deepest nesting accepted (Variant::MAX_RECURSION_DEPTH in later 3.x and 4.x)."""


# ---------------------------------------------------------------- the iterative walkers

# Decoder frames are lists: [kind, container, items left, pending key / property name].
_ARRAY, _KEY_ARRAY, _DICT, _OBJECT = 0, 1, 2, 3
_NO_KEY: Any = object()
_END: Any = object()


def _open_object(
    data: bytes, pos: int, header: int, allow_objects: bool
) -> tuple[Any, int, list[Any] | None]:
    if header & _FLAG_64:
        (object_id,) = _U64.unpack_from(data, pos)
        return (EncodedObjectAsID(object_id) if object_id else None), pos + 8, None
    if not allow_objects:
        raise _err(Error.ERR_UNAUTHORIZED, "full Object in the data but allow_objects is False")
    class_name, pos = _read_str(data, pos)
    if not class_name:
        return None, pos, None
    (count,) = _I32.unpack_from(data, pos)
    obj = GodotObject(class_name, {})
    if count <= 0:
        return obj, pos + 4, None
    name, pos = _read_str(data, pos + 4)
    return obj, pos, [_OBJECT, obj, count, name]


def _decode(data: bytes, pos: int, allow_objects: bool, codec: _Codec) -> tuple[Any, int]:
    decoders = codec.decoders
    n_types = len(decoders)
    array_id, dict_id = codec.array_id, codec.dict_id
    stack: list[list[Any]] = []
    try:
        while True:
            # Godot checks the depth before anything else, even before the length.
            if len(stack) > MAX_RECURSION_DEPTH:
                raise _err(Error.ERR_OUT_OF_MEMORY, "Variant nested too deep")
            (header,) = _U32.unpack_from(data, pos)
            pos += 4
            type_id = header & _TYPE_MASK
            if type_id >= n_types:
                raise _err(Error.ERR_INVALID_DATA, f"unknown Variant type {type_id}")
            decode = decoders[type_id]
            if decode is not None:
                value, pos = decode(data, pos, header)
            elif type_id == dict_id:
                if header & 0xF0000 and codec.typed_containers:  # Godot 4.4 typed Dictionary
                    value, pos = _typed_dict(data, pos, header, allow_objects)
                else:
                    value = {}
                count = _U32.unpack_from(data, pos)[0] & _COUNT_MASK
                pos += 4
                # Containers grow item by item: a huge count allocates nothing up front.
                if count:
                    stack.append([_DICT, value, count, _NO_KEY])
                    continue
            elif type_id == array_id:
                kind = _ARRAY
                if stack:  # an Array inside a Dictionary key becomes a (hashable) tuple
                    parent = stack[-1]
                    if parent[0] == _KEY_ARRAY or (parent[0] == _DICT and parent[3] is _NO_KEY):
                        kind = _KEY_ARRAY
                if header & 0x30000 and codec.typed_containers:  # Godot 4.3 typed Array
                    element, pos = read_container_type(
                        data, pos, (header >> ARRAY_SHIFT) & 3, allow_objects
                    )
                    value = Array._typed(element) if element[0] and kind == _ARRAY else []
                else:
                    value = []
                count = _U32.unpack_from(data, pos)[0] & _COUNT_MASK
                pos += 4
                if count:
                    stack.append([kind, value, count, None])
                    continue
                if kind == _KEY_ARRAY:
                    value = ()
            else:
                value, pos, frame = _open_object(data, pos, header, allow_objects)
                if frame is not None:
                    stack.append(frame)
                    continue
            # Hand the finished value to its container, closing every container it fills.
            while stack:
                frame = stack[-1]
                kind = frame[0]
                if kind == _DICT:
                    if frame[3] is _NO_KEY:
                        frame[3] = value
                        break
                    try:
                        frame[1][frame[3]] = value
                    except TypeError:
                        raise _err(
                            Error.ERR_INVALID_DATA,
                            f"a {type(frame[3]).__name__} cannot be a Python dict key",
                        ) from None
                    frame[3] = _NO_KEY
                elif kind == _OBJECT:
                    if frame[3] == "script" and value is not None and codec.script_is_path:
                        _check_script_path(value)
                    frame[1].properties[frame[3]] = value
                else:
                    frame[1].append(value)
                frame[2] -= 1
                if frame[2]:
                    if kind == _OBJECT:
                        frame[3], pos = _read_str(data, pos)
                    break
                stack.pop()
                value = tuple(frame[1]) if kind == _KEY_ARRAY else frame[1]
            else:
                return value, pos
    except struct.error:
        raise _err(Error.ERR_INVALID_DATA, "not enough bytes") from None


def _typed_dict(data: bytes, pos: int, header: int, allow_objects: bool) -> tuple[Any, int]:
    """A Godot 4.4 Dictionary's key and value types: a typed ``Dictionary`` (or ``{}``)."""
    key, pos = read_container_type(data, pos, (header >> KEY_SHIFT) & 3, allow_objects)
    value, pos = read_container_type(data, pos, (header >> VALUE_SHIFT) & 3, allow_objects)
    # Godot types it if either side is typed.
    return (Dictionary._typed(key, value) if key[0] or value[0] else {}), pos


def _check_script_path(value: Any) -> None:
    # Godot 4.3+ sets a decoded Object's script from a res:// path String, nothing else.
    if type(value) is not str or not value.startswith("res://"):
        raise _err(Error.ERR_INVALID_DATA, "an Object's script must be a res:// path String")


def _base_type(cls: type, codec: _Codec) -> type:
    """The supported class a subclass encodes as (IntEnum -> int, NamedTuple -> tuple)."""
    encoders, containers = codec.encoders, codec.containers
    for base in cls.__mro__:
        if base in encoders or base in containers:
            return base
    raise TypeError(f"cannot encode {cls.__name__} as a Godot Variant")


def _typed_header(type_id: int, types: tuple[tuple[Any, int], ...], full_objects: bool) -> bytes:
    """A typed Array/Dictionary header word and its element type fields (Godot 4)."""
    header, fields = type_id, b""
    for element, shift in types:
        kind, field = container_type_field(element, full_objects)
        header |= kind << shift
        fields += field
    return _U32.pack(header) + fields


def _object_items(value: GodotObject) -> Iterator[Any]:
    for name, item in value.properties.items():
        if not isinstance(name, str):
            raise TypeError(f"GodotObject property names are str, not {type(name).__name__}")
        yield _PropName(name)
        yield item


def _encode(value: Any, full_objects: bool, codec: _Codec) -> bytes:
    encoders = codec.encoders
    out = bytearray()
    stack: list[Iterator[Any]] = []
    while True:
        cls = type(value)
        encode = encoders.get(cls)
        if encode is None and cls is not dict and cls is not list:
            cls = _base_type(cls, codec)
            encode = encoders.get(cls)
        if encode is not None:
            out += encode(value)
        else:
            items: Iterator[Any] | None = None
            if cls is dict:
                out += _HDR_U32.pack(codec.dict_id, len(value))
                if value:
                    items = chain.from_iterable(value.items())
            elif cls is list or cls is tuple:
                out += _HDR_U32.pack(codec.array_id, len(value))
                if value:
                    items = iter(value)
            elif cls is Array:  # only Godot 4's table lists the typed containers
                elem = ((value._element, ARRAY_SHIFT),)
                out += _typed_header(codec.array_id, elem, full_objects)
                out += _U32.pack(len(value))
                if value:
                    items = iter(value)
            elif cls is Dictionary:
                kv = ((value._key, KEY_SHIFT), (value._value, VALUE_SHIFT))
                out += _typed_header(codec.dict_id, kv, full_objects)
                out += _U32.pack(len(value))
                if value:
                    items = chain.from_iterable(value.items())
            elif cls is GodotObject:
                if not value.class_name and not codec.null_object_needs_full:
                    out += codec.null_object  # Godot 4: a null Object is NIL in both modes
                elif not full_objects:
                    raise ValueError(
                        "a GodotObject is sent whole only with full_objects=True; "
                        "send an EncodedObjectAsID to refer to an instance"
                    )
                elif not value.class_name:  # Godot 3's null Object in full form
                    out += codec.null_object
                else:
                    out += _U32.pack(codec.object_id) + _str_payload(value.class_name)
                    out += _U32.pack(len(value.properties))
                    if value.properties:
                        items = _object_items(value)
            if items is not None:
                if len(stack) >= MAX_RECURSION_DEPTH:
                    raise ValueError(
                        f"value nested deeper than {MAX_RECURSION_DEPTH} (does it contain itself?)"
                    )
                stack.append(items)
        while stack:
            value = next(stack[-1], _END)
            if value is not _END:
                break
            stack.pop()
        else:
            return bytes(out)


# ---------------------------------------------------------------- public API


def encode_var(value: object, full_objects: bool = False, version: int = 3) -> bytes:
    """Encode ``value`` as Godot's ``var2bytes(value, full_objects)`` does.

    Raises TypeError for a value with no Variant type (a set, an arbitrary object, a
    non-str property name) and ValueError for an int outside int64, a PoolIntArray item
    outside int32, a GodotObject without ``full_objects`` (Godot would send an instance id;
    use EncodedObjectAsID), a string with lone surrogates, or nesting deeper than
    ``MAX_RECURSION_DEPTH``. Math components beyond f32 become +-inf, as in C. A ``str``
    holding NUL is sent whole, but Godot and ``decode_var`` stop reading it at the NUL.
    """
    codec = _CODECS.get(version) or _codec(version)
    encode = codec.encoders.get(type(value))
    if encode is not None:
        return encode(value)
    return _encode(value, full_objects, codec)


def _as_bytes(data: object) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"Variant data must be bytes-like, not {type(data).__name__}")
    return bytes(data)


def decode_var(
    data: bytes | bytearray | memoryview, allow_objects: bool = False, version: int = 3
) -> Any:
    """Decode one Variant as Godot's ``bytes2var(data, allow_objects)`` does.

    Trailing bytes are ignored, as in Godot. Arrays come back as ``list`` (as ``tuple`` when
    used as a Dictionary key; it re-encodes to the same bytes), Dictionaries as ``dict``,
    PoolByteArray as ``bytes``, an object id as ``EncodedObjectAsID`` (id 0 as ``None``), a
    full Object as ``GodotObject`` (any class name is accepted). Python's dict merges keys
    Godot keeps apart (``1``, ``1.0``, ``true``): the last one wins. Strings stop at a NUL
    and drop a leading BOM, as Godot's ``parse_utf8`` does.

    Raises ``VariantDecodeError`` (a ValueError) carrying Godot's ``Error`` code for any
    malformed input, whatever the bytes; TypeError if ``data`` is not bytes-like.
    """
    codec = _CODECS.get(version) or _codec(version)
    if type(data) is not bytes:
        data = _as_bytes(data)
    return _decode(data, 0, allow_objects, codec)[0]


def decode_var_from(
    data: bytes | bytearray | memoryview,
    offset: int = 0,
    allow_objects: bool = False,
    version: int = 3,
) -> tuple[Any, int]:
    """Decode the Variant at ``offset``; return it and the offset just after it.

    For values packed back to back (RPC arguments). The end is Godot's ``r_len`` clamped to
    ``len(data)``, which only matters when a last PoolByteArray's padding is missing.
    """
    codec = _CODECS.get(version) or _codec(version)
    if type(data) is not bytes:
        data = _as_bytes(data)
    if offset < 0:
        raise ValueError("offset must not be negative")
    value, end = _decode(data, offset, allow_objects, codec)
    return value, min(end, len(data))


var2bytes = encode_var
"""Godot 3's name for ``encode_var``."""

bytes2var = decode_var
"""Godot 3's name for ``decode_var`` (raises where Godot returns null and prints errors)."""


# ---------------------------------------------------------------- Godot 4's names


def var_to_bytes(variable: object) -> bytes:
    """Godot 4's ``var_to_bytes``: ``encode_var(variable, False, version=4)``.

    An Object goes by id (``EncodedObjectAsID``); a null Object (``GodotObject("")``,
    ``EncodedObjectAsID(0)``) as NIL; a typed ``Array``/``Dictionary`` of objects names its
    class ``EncodedObjectAsID``, as Godot 4 does.
    """
    return encode_var(variable, False, 4)


def var_to_bytes_with_objects(variable: object) -> bytes:
    """Godot 4's ``var_to_bytes_with_objects``: ``GodotObject`` values are sent whole."""
    return encode_var(variable, True, 4)


def bytes_to_var(data: bytes | bytearray | memoryview) -> Any:
    """Godot 4's ``bytes_to_var``: ``decode_var(data, False, version=4)``.

    Godot returns null and prints an error for bad bytes; this raises
    ``VariantDecodeError`` carrying Godot's ``Error`` code instead. A full Object in the
    data is refused (ERR_UNAUTHORIZED).
    """
    return decode_var(data, False, 4)


def bytes_to_var_with_objects(data: bytes | bytearray | memoryview) -> Any:
    """Godot 4's ``bytes_to_var_with_objects``: full Objects decode to ``GodotObject``."""
    return decode_var(data, True, 4)
