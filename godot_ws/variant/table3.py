"""Godot 3's Variant table, and the ``_Codec`` table shape both majors use.

Owns ``_Codec`` (Python types and Variant type ids -> the leaf encoders and decoders of
leaves.py) and Godot 3's table built from those factories; table4.py builds Godot 4's the same
way. ``codec.py`` walks containers with these; nothing here recurses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .types3 import (
    AABB,
    GodotObject,
    RID,
    Basis,
    Color,
    EncodedObjectAsID,
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


from .leaves import (
    _HDR_U32,
    _LeafDecoder,
    _LeafEncoder,
    _PropName,
    _T,
    _U32,
    _basis,
    _bytes_encoder,
    _dec_bytes,
    _dec_float,
    _dec_int,
    _dec_node_path,
    _dec_vector2,
    _enc_float,
    _enc_int,
    _enc_str,
    _enc_vector2,
    _int_array_encoder,
    _math_decoder,
    _math_encoder,
    _node_path_encoder,
    _object_id_encoder,
    _packed,
    _pool_decoder,
    _read_str,
    _str_payload,
    _string_array_decoder,
    _string_array_encoder,
    _vector_array_encoder,
)


@dataclass(frozen=True, slots=True)
class _Codec:
    """One Godot major's wire table: leaf codecs, the container type ids and the few
    container rules that differ between majors (read by the walker in ``variant.py``)."""

    encoders: dict[type, _LeafEncoder]  # exact Python type -> encoder
    decoders: tuple[_LeafDecoder | None, ...]  # type id -> decoder; None for containers
    array_id: int
    dict_id: int
    object_id: int
    # Python classes the walker encodes as containers, most derived first (typed ones in 4.x).
    containers: tuple[type, ...] = (list, tuple, dict, GodotObject)
    # Godot 4.3+/4.4+: Array/Dictionary headers carry element types in bits 16-19.
    typed_containers: bool = False
    # A GodotObject with no class (Godot's null Object): 3.x sends ``object_id, 0`` with
    # full objects; 4.x sends NIL in both modes (its encoder checks the object first).
    null_object: bytes = b""
    null_object_needs_full: bool = True
    # 4.3+: a full Object's "script" property must be a res:// path (String) or null.
    script_is_path: bool = False


_BASIS_ROWS = "x.x y.x z.x x.y y.y z.y x.z y.z z.z"
# Math types: (type id, class, f32 fields in wire order, builder from the decoded floats).
_MATH_V3: tuple[tuple[int, type, str, Callable[[tuple[float, ...]], Any]], ...] = (
    (_T.TYPE_RECT2, Rect2, "position.x position.y size.x size.y", lambda c: Rect2(*c)),
    (_T.TYPE_VECTOR3, Vector3, "x y z", lambda c: Vector3(*c)),
    (
        _T.TYPE_TRANSFORM2D,
        Transform2D,
        "x.x x.y y.x y.y origin.x origin.y",
        lambda c: Transform2D(Vector2(c[0], c[1]), Vector2(c[2], c[3]), Vector2(c[4], c[5])),
    ),
    (_T.TYPE_PLANE, Plane, "normal.x normal.y normal.z d", lambda c: Plane(Vector3(*c[:3]), c[3])),
    (_T.TYPE_QUAT, Quat, "x y z w", lambda c: Quat(*c)),
    (
        _T.TYPE_AABB,
        AABB,
        "position.x position.y position.z size.x size.y size.z",
        lambda c: AABB(Vector3(*c[:3]), Vector3(*c[3:])),
    ),
    (_T.TYPE_BASIS, Basis, _BASIS_ROWS, _basis),
    (
        _T.TYPE_TRANSFORM,
        Transform,
        " ".join("basis." + f for f in _BASIS_ROWS.split()) + " origin.x origin.y origin.z",
        lambda c: Transform(_basis(c), Vector3(*c[9:])),
    ),
    (_T.TYPE_COLOR, Color, "r g b a", lambda c: Color(*c)),
)
# Pool arrays of numbers: (type id, class, array code, fields per item, item class).
_POOLS_V3: tuple[tuple[int, type, str, str, type | None], ...] = (
    (_T.TYPE_INT_ARRAY, PoolIntArray, "i", "", None),
    (_T.TYPE_REAL_ARRAY, PoolRealArray, "f", "", None),
    (_T.TYPE_VECTOR2_ARRAY, PoolVector2Array, "f", "x y", Vector2),
    (_T.TYPE_VECTOR3_ARRAY, PoolVector3Array, "f", "x y z", Vector3),
    (_T.TYPE_COLOR_ARRAY, PoolColorArray, "f", "r g b a", Color),
)


def _build_v3() -> _Codec:
    enc: dict[type, _LeafEncoder] = {
        type(None): lambda v: b"\0\0\0\0",
        bool: lambda v: _HDR_U32.pack(_T.TYPE_BOOL, 1 if v else 0),
        int: _enc_int,
        float: _enc_float,
        str: _enc_str,
        NodePath: _node_path_encoder(_T.TYPE_NODE_PATH),
        RID: lambda v: _U32.pack(_T.TYPE_RID),
        EncodedObjectAsID: _object_id_encoder(_T.TYPE_OBJECT, None),
        PoolIntArray: _int_array_encoder(_T.TYPE_INT_ARRAY, "i", PoolIntArray),
        PoolRealArray: lambda v: _HDR_U32.pack(_T.TYPE_REAL_ARRAY, len(v)) + _packed("f", v),
        PoolStringArray: _string_array_encoder(_T.TYPE_STRING_ARRAY, PoolStringArray),
        Vector2: _enc_vector2,
        _PropName: _str_payload,
    }
    enc_bytes = _bytes_encoder(_T.TYPE_RAW_ARRAY)
    enc.update(dict.fromkeys((bytes, bytearray, memoryview), enc_bytes))
    dec: list[_LeafDecoder | None] = [None] * _T.TYPE_MAX  # OBJECT/DICTIONARY/ARRAY stay None
    dec[_T.TYPE_NIL] = lambda data, pos, header: (None, pos)
    dec[_T.TYPE_BOOL] = lambda data, pos, header: (_U32.unpack_from(data, pos)[0] != 0, pos + 4)
    dec[_T.TYPE_INT] = _dec_int
    dec[_T.TYPE_REAL] = _dec_float
    dec[_T.TYPE_STRING] = lambda data, pos, header: _read_str(data, pos)
    dec[_T.TYPE_NODE_PATH] = _dec_node_path
    dec[_T.TYPE_RID] = lambda data, pos, header: (RID(), pos)
    dec[_T.TYPE_RAW_ARRAY] = _dec_bytes
    dec[_T.TYPE_STRING_ARRAY] = _string_array_decoder(PoolStringArray)
    dec[_T.TYPE_VECTOR2] = _dec_vector2
    for type_id, cls, fields, build in _MATH_V3:
        enc[cls] = _math_encoder(type_id, fields.split())
        dec[type_id] = _math_decoder(len(fields.split()), build)
    for type_id, cls, code, fields, item_cls in _POOLS_V3:
        if item_cls is not None:
            enc[cls] = _vector_array_encoder(type_id, item_cls, fields.split())
        dec[type_id] = _pool_decoder(cls, code, max(1, len(fields.split())), item_cls)
    return _Codec(
        enc,
        tuple(dec),
        _T.TYPE_ARRAY,
        _T.TYPE_DICTIONARY,
        _T.TYPE_OBJECT,
        null_object=_HDR_U32.pack(_T.TYPE_OBJECT, 0),
    )


# One table per Godot major; ``_variant_table4`` adds 4 when ``variant`` imports it.
_CODECS = {3: _build_v3()}


def _codec(version: int) -> _Codec:
    codec = _CODECS.get(version)
    if codec is not None:
        return codec
    raise ValueError(f"unknown Godot major version {version!r}; use 3 or 4")
