"""Godot 4's Variant wire table (FACTS4 section 1; core/io/marshalls.cpp of 4.3-4.6).

Owns the 4.x ``_Codec``: Python type -> leaf encoder and 4.x type id -> leaf decoder, built
from the same factories as the 3.x table in ``_variant_tables``, plus the typed-container
type fields (4.3 Arrays, 4.4 Dictionaries) that ``variant.py``'s walker reads and writes.
Nothing here recurses. Registers itself as ``_CODECS[4]`` on import.

Encoding follows an official (single-precision) build: real_t math types go as f32; the
decoders also accept FLAG_64 (f64) math, as Godot does for a ``precision=double`` sender.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from operator import attrgetter
from struct import Struct
from typing import Any

from .leaves import (
    _HDR_U32,
    _HDR_U64,
    _U32,
    _U64,
    _basis,
    _bytes_encoder,
    _dec_bytes,
    _dec_float,
    _dec_int,
    _dec_node_path,
    _enc_float,
    _enc_int,
    _enc_str,
    _enc_vector2,
    _err,
    _int_array_encoder,
    _LeafDecoder,
    _LeafEncoder,
    _math_decoder,
    _math_encoder,
    _node_path_encoder,
    _object_id_encoder,
    _packed,
    _pool_decoder,
    _PropName,
    _read_str,
    _str_payload,
    _string_array_decoder,
    _string_array_encoder,
    _vector_array_encoder,
    _wrong_major,
)
from .table3 import (
    _BASIS_ROWS,
    _CODECS,
    _Codec,
)
from ..core.constants import Error
from .types3 import (
    AABB,
    Basis,
    Color,
    EncodedObjectAsID,
    GodotObject,
    NodePath,
    Plane,
    PoolColorArray,
    PoolIntArray,
    PoolRealArray,
    PoolStringArray,
    PoolVector2Array,
    PoolVector3Array,
    Quat,
    Rect2,
    Transform,
    Transform2D,
    Vector2,
    Vector3,
)
from .types3 import RID as RID3
from .types4 import (
    RID,
    Array,
    Callable as GodotCallable,
    ContainerType,
    Dictionary,
    PackedColorArray,
    PackedFloat32Array,
    PackedFloat64Array,
    PackedInt32Array,
    PackedInt64Array,
    PackedStringArray,
    PackedVector2Array,
    PackedVector3Array,
    PackedVector4Array,
    Projection,
    Quaternion,
    Rect2i,
    Signal,
    StringName,
    Transform3D,
    UNTYPED,
    VariantType,
    Vector2i,
    Vector3i,
    Vector4,
    Vector4i,
)

_T = VariantType
_NIL_BYTES = b"\0\0\0\0"

# ---------------------------------------------------------------- typed container fields

# ContainerTypeKind (marshalls.cpp): the 2-bit field in the Array header (bits 16-17) and
# the Dictionary header (key: bits 16-17, value: bits 18-19).
KIND_NONE, KIND_BUILTIN, KIND_CLASS_NAME, KIND_SCRIPT = 0, 1, 2, 3
ARRAY_SHIFT, KEY_SHIFT, VALUE_SHIFT = 16, 16, 18
TYPED_BITS = 0xF << 16
_AS_ID = "EncodedObjectAsID"  # the class Godot names for objects sent without full_objects
_AS_ID_TYPE: ContainerType = (_T.TYPE_OBJECT, _AS_ID, None)
_AS_ID_FIELD = _str_payload(_AS_ID)


def container_type_field(element: ContainerType, full_objects: bool) -> tuple[int, bytes]:
    """The kind bits and type field of one element type (``_encode_container_type``)."""
    builtin, class_name, script = element
    if builtin == _T.TYPE_NIL:
        return KIND_NONE, b""
    if script:
        if full_objects:
            if not script.startswith("res://"):
                raise ValueError(f"a container's script must be a res:// path, not {script!r}")
            return KIND_SCRIPT, _str_payload(script)
        return KIND_CLASS_NAME, _AS_ID_FIELD
    if class_name:
        return KIND_CLASS_NAME, _str_payload(class_name) if full_objects else _AS_ID_FIELD
    return KIND_BUILTIN, _U32.pack(builtin)


def read_container_type(
    data: bytes, pos: int, kind: int, allow_objects: bool
) -> tuple[ContainerType, int]:
    """One element type after an Array/Dictionary header (``_decode_container_type``)."""
    if kind == KIND_NONE:
        return UNTYPED, pos
    if kind == KIND_BUILTIN:
        (builtin,) = _U32.unpack_from(data, pos)
        if builtin >= _T.TYPE_MAX:
            raise _err(Error.ERR_INVALID_DATA, f"container element type {builtin} is unknown")
        if builtin == _T.TYPE_OBJECT and not allow_objects:
            return _AS_ID_TYPE, pos + 4
        return (_T(builtin), "", None), pos + 4
    name, pos = _read_str(data, pos)
    if not allow_objects:
        return _AS_ID_TYPE, pos
    if kind == KIND_CLASS_NAME:
        return (_T.TYPE_OBJECT, name, None), pos
    # SCRIPT: Godot loads the script and takes its base class; we keep the path only.
    if not name.startswith("res://"):
        raise _err(Error.ERR_INVALID_DATA, f"container script {name!r} is not a res:// path")
    return (_T.TYPE_OBJECT, "", name), pos


# ---------------------------------------------------------------- 4.x-only leaf codecs


def _int_math_encoder(type_id: int, fields: list[str], cls: type) -> _LeafEncoder:
    """Vector2i ... Rect2i: int32 components, never 64-bit (FACTS4 1.3)."""
    get, st = attrgetter(*fields), Struct(f"<I{len(fields)}i")

    def encode(value: Any) -> bytes:
        comps = get(value)
        try:
            return st.pack(type_id, *comps)
        except struct.error:
            for comp in comps:
                if not isinstance(comp, int):
                    raise TypeError(
                        f"{cls.__name__} components are ints, not {type(comp).__name__}"
                    ) from None
            raise ValueError(f"{cls.__name__} components must fit in int32") from None

    return encode


def _int_math_decoder(count: int, build: Callable[[tuple[int, ...]], Any]) -> _LeafDecoder:
    st, size = Struct(f"<{count}i"), 4 * count

    def decode(data: bytes, pos: int, header: int) -> tuple[Any, int]:
        return build(st.unpack_from(data, pos)), pos + size

    return decode


def _enc_string_name(value: str) -> bytes:
    return b"\x15\0\0\0" + _str_payload(value)


def _dec_string_name(data: bytes, pos: int, header: int) -> tuple[Any, int]:
    text, pos = _read_str(data, pos)
    return StringName(text), pos


def _enc_rid(value: RID) -> bytes:
    try:
        return _HDR_U64.pack(_T.TYPE_RID, value.id)
    except struct.error:
        raise ValueError(f"RID id {value.id!r} is not a u64") from None


def _enc_signal(value: Signal) -> bytes:
    try:
        object_id = _U64.pack(value.object_id)
    except struct.error:
        raise ValueError(f"Signal object id {value.object_id!r} is not a u64") from None
    return _U32.pack(_T.TYPE_SIGNAL) + _str_payload(value.name) + object_id


def _dec_signal(data: bytes, pos: int, header: int) -> tuple[Any, int]:
    name, pos = _read_str(data, pos)
    (object_id,) = _U64.unpack_from(data, pos)
    return Signal(object_id, StringName(name)), pos + 8


def _float_array_encoder(type_id: int, code: str) -> _LeafEncoder:
    def encode(value: tuple[float, ...]) -> bytes:
        return _HDR_U32.pack(type_id, len(value)) + _packed(code, value)

    return encode


# ---------------------------------------------------------------- the table

_V4 = "x y z w"
_PROJECTION = " ".join(f"{col}.{row}" for col in "xyzw" for row in "xyzw")
# (type id, class, wire fields, builder from the decoded numbers, real_t: FLAG_64 accepted)
_MATH_V4: tuple[tuple[int, type, str, Callable[[tuple[Any, ...]], Any], bool], ...] = (
    (_T.TYPE_RECT2, Rect2, "position.x position.y size.x size.y", lambda c: Rect2(*c), True),
    (_T.TYPE_VECTOR3, Vector3, "x y z", lambda c: Vector3(*c), True),
    (
        _T.TYPE_TRANSFORM2D,
        Transform2D,
        "x.x x.y y.x y.y origin.x origin.y",
        lambda c: Transform2D(Vector2(c[0], c[1]), Vector2(c[2], c[3]), Vector2(c[4], c[5])),
        True,
    ),
    (_T.TYPE_VECTOR4, Vector4, _V4, lambda c: Vector4(*c), True),
    (
        _T.TYPE_PLANE,
        Plane,
        "normal.x normal.y normal.z d",
        lambda c: Plane(Vector3(*c[:3]), c[3]),
        True,
    ),
    (_T.TYPE_QUATERNION, Quaternion, _V4, lambda c: Quaternion(*c), True),
    (
        _T.TYPE_AABB,
        AABB,
        "position.x position.y position.z size.x size.y size.z",
        lambda c: AABB(Vector3(*c[:3]), Vector3(*c[3:])),
        True,
    ),
    (_T.TYPE_BASIS, Basis, _BASIS_ROWS, _basis, True),
    (
        _T.TYPE_TRANSFORM3D,
        Transform3D,
        " ".join("basis." + f for f in _BASIS_ROWS.split()) + " origin.x origin.y origin.z",
        lambda c: Transform3D(_basis(c), Vector3(*c[9:])),
        True,
    ),
    (
        _T.TYPE_PROJECTION,
        Projection,
        _PROJECTION,
        lambda c: Projection(Vector4(*c[0:4]), Vector4(*c[4:8]), Vector4(*c[8:12]), Vector4(*c[12:])),
        True,
    ),
    (_T.TYPE_COLOR, Color, "r g b a", lambda c: Color(*c), False),  # always f32
)
_INT_MATH_V4: tuple[tuple[int, type, str, Callable[[tuple[int, ...]], Any]], ...] = (
    (_T.TYPE_VECTOR2I, Vector2i, "x y", lambda c: Vector2i(*c)),
    (
        _T.TYPE_RECT2I,
        Rect2i,
        "position.x position.y size.x size.y",
        lambda c: Rect2i(Vector2i(c[0], c[1]), Vector2i(c[2], c[3])),
    ),
    (_T.TYPE_VECTOR3I, Vector3i, "x y z", lambda c: Vector3i(*c)),
    (_T.TYPE_VECTOR4I, Vector4i, _V4, lambda c: Vector4i(*c)),
)
# Packed arrays of numbers: (type id, class, array code, wide code, fields, item class).
_PACKED_V4: tuple[tuple[int, type, str, str, str, type | None], ...] = (
    (_T.TYPE_PACKED_INT32_ARRAY, PackedInt32Array, "i", "", "", None),
    (_T.TYPE_PACKED_INT64_ARRAY, PackedInt64Array, "q", "", "", None),
    (_T.TYPE_PACKED_FLOAT32_ARRAY, PackedFloat32Array, "f", "", "", None),
    (_T.TYPE_PACKED_FLOAT64_ARRAY, PackedFloat64Array, "d", "", "", None),
    (_T.TYPE_PACKED_VECTOR2_ARRAY, PackedVector2Array, "f", "d", "x y", Vector2),
    (_T.TYPE_PACKED_VECTOR3_ARRAY, PackedVector3Array, "f", "d", "x y z", Vector3),
    (_T.TYPE_PACKED_COLOR_ARRAY, PackedColorArray, "f", "", "r g b a", Color),
    (_T.TYPE_PACKED_VECTOR4_ARRAY, PackedVector4Array, "f", "d", _V4, Vector4),
)
# Godot 3 classes whose Godot 4 counterpart has another name or layout.
_GODOT3_ONLY: tuple[tuple[type, str], ...] = (
    (Quat, "use Quaternion"),
    (Transform, "use Transform3D"),
    (RID3, "use godot_ws.godot4.RID"),
    (PoolIntArray, "use PackedInt32Array"),
    (PoolRealArray, "use PackedFloat32Array"),
    (PoolStringArray, "use PackedStringArray"),
    (PoolVector2Array, "use PackedVector2Array"),
    (PoolVector3Array, "use PackedVector3Array"),
    (PoolColorArray, "use PackedColorArray"),
)


def _build_v4() -> _Codec:
    enc: dict[type, _LeafEncoder] = {
        type(None): lambda v: _NIL_BYTES,
        bool: lambda v: _HDR_U32.pack(_T.TYPE_BOOL, 1 if v else 0),
        int: _enc_int,  # NIL..STRING and VECTOR2 keep their 3.x ids and layouts
        float: _enc_float,
        str: _enc_str,
        Vector2: _enc_vector2,
        StringName: _enc_string_name,
        NodePath: _node_path_encoder(_T.TYPE_NODE_PATH),
        RID: _enc_rid,
        EncodedObjectAsID: _object_id_encoder(_T.TYPE_OBJECT, _NIL_BYTES),
        GodotCallable: lambda v: _U32.pack(_T.TYPE_CALLABLE),
        Signal: _enc_signal,
        PackedInt32Array: _int_array_encoder(_T.TYPE_PACKED_INT32_ARRAY, "i", PackedInt32Array),
        PackedInt64Array: _int_array_encoder(_T.TYPE_PACKED_INT64_ARRAY, "q", PackedInt64Array),
        PackedFloat32Array: _float_array_encoder(_T.TYPE_PACKED_FLOAT32_ARRAY, "f"),
        PackedFloat64Array: _float_array_encoder(_T.TYPE_PACKED_FLOAT64_ARRAY, "d"),
        PackedStringArray: _string_array_encoder(_T.TYPE_PACKED_STRING_ARRAY, PackedStringArray),
        _PropName: _str_payload,
    }
    enc_bytes = _bytes_encoder(_T.TYPE_PACKED_BYTE_ARRAY)
    enc.update(dict.fromkeys((bytes, bytearray, memoryview), enc_bytes))
    for cls, hint in _GODOT3_ONLY:
        enc[cls] = _wrong_major(hint)
    dec: list[_LeafDecoder | None] = [None] * _T.TYPE_MAX  # OBJECT/DICTIONARY/ARRAY stay None
    dec[_T.TYPE_NIL] = lambda data, pos, header: (None, pos)
    dec[_T.TYPE_BOOL] = lambda data, pos, header: (_U32.unpack_from(data, pos)[0] != 0, pos + 4)
    dec[_T.TYPE_INT] = _dec_int
    dec[_T.TYPE_FLOAT] = _dec_float
    dec[_T.TYPE_STRING] = lambda data, pos, header: _read_str(data, pos)
    dec[_T.TYPE_VECTOR2] = _math_decoder(2, lambda c: Vector2(*c), wide=True)
    dec[_T.TYPE_STRING_NAME] = _dec_string_name
    dec[_T.TYPE_NODE_PATH] = _dec_node_path
    dec[_T.TYPE_RID] = lambda data, pos, header: (RID(_U64.unpack_from(data, pos)[0]), pos + 8)
    dec[_T.TYPE_CALLABLE] = lambda data, pos, header: (GodotCallable(), pos)
    dec[_T.TYPE_SIGNAL] = _dec_signal
    dec[_T.TYPE_PACKED_BYTE_ARRAY] = _dec_bytes
    dec[_T.TYPE_PACKED_STRING_ARRAY] = _string_array_decoder(PackedStringArray)
    for type_id, cls, fields, build, wide in _MATH_V4:
        enc[cls] = _math_encoder(type_id, fields.split())
        dec[type_id] = _math_decoder(len(fields.split()), build, wide)
    for type_id, cls, fields, int_build in _INT_MATH_V4:
        enc[cls] = _int_math_encoder(type_id, fields.split(), cls)
        dec[type_id] = _int_math_decoder(len(fields.split()), int_build)
    for type_id, cls, code, wide_code, fields, item_cls in _PACKED_V4:
        if item_cls is not None:
            enc[cls] = _vector_array_encoder(type_id, item_cls, fields.split())
        width = max(1, len(fields.split()))
        dec[type_id] = _pool_decoder(cls, code, width, item_cls, wide_code)
    return _Codec(
        enc,
        tuple(dec),
        _T.TYPE_ARRAY,
        _T.TYPE_DICTIONARY,
        _T.TYPE_OBJECT,
        containers=(Array, Dictionary, list, tuple, dict, GodotObject),
        typed_containers=True,
        null_object=_NIL_BYTES,
        null_object_needs_full=False,
        script_is_path=True,
    )


_CODECS[4] = _build_v4()
