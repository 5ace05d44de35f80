"""Tests for Godot 4's Variant codec (godot_ws.godot4's var_to_bytes & co.) and value types.

The byte vectors are FACTS4.md 1.10: T* from Godot's own tests/core/io/test_marshalls.h
(4.3/4.4.1), O1 observed from Godot 4.4, D* derived from marshalls.cpp. The decoder edge
cases follow FACTS4 1.3-1.9 and marshalls.cpp (4.4.1).
"""

from __future__ import annotations

import math
import struct
import tracemalloc
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from godot_ws import godot4
from godot_ws.core.constants import Error
from godot_ws.godot4 import (
    AABB,
    OK,
    RID,
    TYPE_DICTIONARY,
    TYPE_FLOAT,
    TYPE_INT,
    TYPE_NIL,
    TYPE_OBJECT,
    TYPE_STRING,
    TYPE_VECTOR2,
    Array,
    Basis,
    Callable,
    Color,
    Dictionary,
    EncodedObjectAsID,
    GodotObject,
    NodePath,
    PackedByteArray,
    PackedColorArray,
    PackedFloat32Array,
    PackedFloat64Array,
    PackedInt32Array,
    PackedInt64Array,
    PackedStringArray,
    PackedVector2Array,
    PackedVector3Array,
    PackedVector4Array,
    Plane,
    Projection,
    Quaternion,
    Rect2,
    Rect2i,
    Signal,
    StringName,
    Transform2D,
    Transform3D,
    VariantDecodeError,
    VariantType,
    Vector2,
    Vector2i,
    Vector3,
    Vector3i,
    Vector4,
    Vector4i,
    bytes_to_var,
    bytes_to_var_with_objects,
    var_to_bytes,
    var_to_bytes_with_objects,
)
from godot_ws.variant.types3 import PoolIntArray, Quat, Transform
from godot_ws.variant.codec import MAX_RECURSION_DEPTH, decode_var_from, encode_var


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def f32(*values: float) -> str:
    return struct.pack(f"<{len(values)}f", *values).hex()


def same(a: Any, b: Any) -> bool:
    """Equality that also checks types (True is not 1, typed Array is not list) and -0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, Array) and not a.is_same_typed(b):
        return False
    if isinstance(a, Dictionary) and not a.is_same_typed(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        if len(a) != len(b):
            return False
        pairs = zip(a.items(), b.items(), strict=True)
        return all(same(ka, kb) and same(va, vb) for (ka, va), (kb, vb) in pairs)
    if isinstance(a, GodotObject):
        return a.class_name == b.class_name and same(a.properties, b.properties)
    return bool(a == b)


def error_of(data: bytes, allow_objects: bool = False) -> Error:
    with pytest.raises(VariantDecodeError) as info:
        (bytes_to_var_with_objects if allow_objects else bytes_to_var)(data)
    return info.value.error


BIG = 0x0F123456789ABCDEF - 2**64  # T10/T14/T15: Godot's uint64 literal held as an int64
IDENTITY_BASIS = "0000803f 00000000 00000000 00000000 0000803f 00000000 00000000 00000000 0000803f"

# (name, value, bytes): every Variant vector of FACTS4 1.10 that var_to_bytes produces.
VECTORS: list[tuple[str, Any, str]] = [
    ("T8", None, "00000000"),
    ("T9", 0x12345678, "02000000 78563412"),
    ("T10", BIG, "02000100 efcdab89 674523f1"),
    ("T11", 0.15625, "03000000 0000203e"),
    ("T12", 0.33333333333333333, "03000100 55555555 5555d53f"),
    ("T14", Array([BIG], TYPE_INT), "1c000100 02000000 01000000 02000100 efcdab89 674523f1"),
    (
        "T15",
        Dictionary({BIG: BIG}, TYPE_INT, "", None, TYPE_INT),
        "1b000500 02000000 02000000 01000000 02000100 efcdab89 674523f1"
        "02000100 efcdab89 674523f1",
    ),
    ("O1", RID(13), "17000000 0d000000 00000000"),
    ("D1", True, "01000000 01000000"),
    ("D2", False, "01000000 00000000"),
    ("D3", -1, "02000000 ffffffff"),
    ("D4", 2147483648, "02000100 00000080 00000000"),
    ("D5", -2147483649, "02000100 ffffff7f ffffffff"),
    ("D6", 1.0, "03000000 0000803f"),
    ("D7", 0.1, "03000100 9a999999 9999b93f"),
    ("D8", math.inf, "03000000 0000807f"),
    ("D10", "", "04000000 00000000"),
    ("D11", "hi", "04000000 02000000 68690000"),
    ("D12", "abcd", "04000000 04000000 61626364"),
    ("D13", "é", "04000000 02000000 c3a90000"),
    ("D14", StringName("hi"), "15000000 02000000 68690000"),
    ("D15", Vector2(1, 2), "05000000 0000803f 00000040"),
    ("D16", Vector2i(1, -2), "06000000 01000000 feffffff"),
    ("D17", Rect2(1, 2, 3, 4), "07000000 0000803f 00000040 00004040 00008040"),
    ("D18", Rect2i(1, 2, 3, 4), "08000000 01000000 02000000 03000000 04000000"),
    ("D19", Vector3(1, 2, 3), "09000000 0000803f 00000040 00004040"),
    ("D20", Vector3i(1, 2, 3), "0a000000 01000000 02000000 03000000"),
    (
        "D21",
        Transform2D(),
        "0b000000 0000803f 00000000 00000000 0000803f 00000000 00000000",
    ),
    ("D22", Vector4(1, 2, 3, 4), "0c000000 0000803f 00000040 00004040 00008040"),
    ("D23", Vector4i(1, 2, 3, 4), "0d000000 01000000 02000000 03000000 04000000"),
    ("D24", Plane(0, 1, 0, 5), "0e000000 00000000 0000803f 00000000 0000a040"),
    ("D25", Quaternion(), "0f000000 00000000 00000000 00000000 0000803f"),
    (
        "D26",
        AABB(Vector3(1, 2, 3), Vector3(4, 5, 6)),
        "10000000 0000803f 00000040 00004040 00008040 0000a040 0000c040",
    ),
    ("D27", Basis(), "11000000" + IDENTITY_BASIS),
    (
        "D28",
        Transform3D(Basis(), Vector3(1, 2, 3)),
        "12000000" + IDENTITY_BASIS + "0000803f 00000040 00004040",
    ),
    ("D29", Projection(), "13000000" + f32(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1)),
    ("D30", Color(1, 0, 0, 1), "14000000 0000803f 00000000 00000000 0000803f"),
    (
        "D31",
        NodePath("/root/Main"),
        "16000000 02000080 00000000 01000000 04000000 726f6f74 04000000 4d61696e",
    ),
    (
        "D32",
        NodePath("Sprite:position:x"),
        "16000000 01000080 02000000 00000000 06000000 53707269 74650000"
        "08000000 706f7369 74696f6e 01000000 78000000",
    ),
    ("D33", NodePath(""), "16000000 00000080 00000000 00000000"),
    ("D34", RID(13), "17000000 0d000000 00000000"),
    ("D35", EncodedObjectAsID(0x1234), "18000100 34120000 00000000"),
    ("D37", Callable(), "19000000"),
    (
        "D38",
        Signal(0x1234, StringName("pressed")),
        "1a000000 07000000 70726573 73656400 34120000 00000000",
    ),
    ("D39", {"a": 1}, "1b000000 01000000 04000000 01000000 61000000 02000000 01000000"),
    ("D40", [1, "a"], "1c000000 02000000 02000000 01000000 04000000 01000000 61000000"),
    ("D41", [], "1c000000 00000000"),
    (
        "D42",
        Array(["x"], TYPE_STRING),
        "1c000100 04000000 01000000 04000000 01000000 78000000",
    ),
    (
        "D43",
        Array([], TYPE_OBJECT, "Node"),
        "1c000200 11000000 456e636f 6465644f 626a6563 74417349 44000000 00000000",
    ),
    (
        "D45",
        Dictionary({"a": 1}, TYPE_STRING, "", None, TYPE_INT),
        "1b000500 04000000 02000000 01000000 04000000 01000000 61000000 02000000 01000000",
    ),
    ("D46", Dictionary({}, TYPE_STRING), "1b000100 04000000 00000000"),
    ("D47", PackedByteArray([1, 2, 3]), "1d000000 03000000 01020300"),
    ("D48", PackedInt32Array([1, -1]), "1e000000 02000000 01000000 ffffffff"),
    ("D49", PackedInt64Array([1]), "1f000000 01000000 01000000 00000000"),
    ("D50", PackedFloat32Array([1.0]), "20000000 01000000 0000803f"),
    ("D51", PackedFloat64Array([1.0]), "21000000 01000000 00000000 0000f03f"),
    (
        "D52",
        PackedStringArray(["a", "bc"]),
        "22000000 02000000 02000000 61000000 03000000 62630000",
    ),
    ("D53", PackedStringArray(["abc"]), "22000000 01000000 04000000 61626300"),
    ("D54", PackedVector2Array([Vector2(1, 2)]), "23000000 01000000 0000803f 00000040"),
    (
        "D55",
        PackedVector3Array([Vector3(1, 2, 3)]),
        "24000000 01000000 0000803f 00000040 00004040",
    ),
    (
        "D56",
        PackedColorArray([Color(1, 0, 0, 1)]),
        "25000000 01000000 0000803f 00000000 00000000 0000803f",
    ),
    (
        "D57",
        PackedVector4Array([Vector4(1, 2, 3, 4)]),
        "26000000 01000000 0000803f 00000040 00004040 00008040",
    ),
]


@pytest.mark.parametrize(("name", "value", "hexbytes"), VECTORS, ids=[v[0] for v in VECTORS])
def test_godot4_vector_encodes_exactly(name: str, value: Any, hexbytes: str) -> None:
    assert var_to_bytes(value) == h(hexbytes)


@pytest.mark.parametrize(("name", "value", "hexbytes"), VECTORS, ids=[v[0] for v in VECTORS])
def test_godot4_vector_decodes(name: str, value: Any, hexbytes: str) -> None:
    decoded = bytes_to_var(h(hexbytes))
    assert decoded == value
    assert type(decoded) is type(value)
    if name == "D43":  # without objects the element class is EncodedObjectAsID (FACTS4 1.6)
        assert decoded.get_typed_class_name() == "EncodedObjectAsID"
    elif isinstance(value, (Array, Dictionary)):
        assert same(decoded, value)


def test_t13_short_and_unknown_type_are_invalid_data() -> None:
    assert error_of(h("00")) == Error.ERR_INVALID_DATA
    assert error_of(h("ff000000")) == Error.ERR_INVALID_DATA
    assert error_of(h("27000000")) == Error.ERR_INVALID_DATA  # 39 = VARIANT_MAX


def test_d9_nan_goes_as_f64() -> None:
    assert var_to_bytes(math.nan) == h("03000100 00000000 0000f87f")
    assert math.isnan(bytes_to_var(h("03000100 00000000 0000f87f")))


def test_d32_nodepath_pad_bytes_godot_leaves_random_are_ignored() -> None:
    junk = h(
        "16000000 01000080 02000000 00000000 06000000 53707269 7465abcd"
        "08000000 706f7369 74696f6e 01000000 78efbead"
    )
    assert bytes_to_var(junk) == NodePath("Sprite:position:x")


def test_d36_null_objects_are_nil_in_both_modes() -> None:
    for null in (None, GodotObject(""), EncodedObjectAsID(0)):
        assert var_to_bytes(null) == h("00000000")
        assert var_to_bytes_with_objects(null) == h("00000000")
    assert bytes_to_var(h("18000100 00000000 00000000")) is None  # id 0 decodes to null


def test_d44_typed_object_array_with_objects_names_the_class() -> None:
    nodes = Array([], TYPE_OBJECT, "Node")
    data = h("1c000200 04000000 4e6f6465 00000000")
    assert var_to_bytes_with_objects(nodes) == data
    decoded = bytes_to_var_with_objects(data)
    assert same(decoded, nodes)
    # Without objects the class is replaced, as Godot's decoder does.
    assert bytes_to_var(data).get_typed_class_name() == "EncodedObjectAsID"


def test_script_typed_array() -> None:
    typed = Array([], TYPE_OBJECT, "Node", "res://enemy.gd")
    script = "1c000300 0e000000" + b"res://enemy.gd".hex() + "0000 00000000"
    assert var_to_bytes_with_objects(typed) == h(script)
    # Without objects a script-typed Array names EncodedObjectAsID as its class.
    assert var_to_bytes(typed) == var_to_bytes(Array([], TYPE_OBJECT, "Node"))
    decoded = bytes_to_var_with_objects(h(script))
    assert decoded.get_typed_script() == "res://enemy.gd"
    assert var_to_bytes_with_objects(decoded) == h(script)
    bad = "1c000300 08000000" + b"/tmp/x.g".hex() + "00000000"
    assert error_of(h(bad), allow_objects=True) == Error.ERR_INVALID_DATA
    assert bytes_to_var(h(bad)).get_typed_class_name() == "EncodedObjectAsID"


def test_d58_double_precision_math_decodes() -> None:
    d58 = h("05000100 00000000 0000f03f 00000000 00000040")
    assert bytes_to_var(d58) == Vector2(1, 2)
    wide = h("13000100") + struct.pack("<16d", *range(16))
    cols = [Vector4(*range(i, i + 4)) for i in range(0, 16, 4)]
    assert bytes_to_var(wide) == Projection(*cols)
    arr = h("26000100 01000000") + struct.pack("<4d", 1, 2, 3, 4)
    assert bytes_to_var(arr) == PackedVector4Array([Vector4(1, 2, 3, 4)])
    # Color and the integer vectors never change width: the flag is ignored.
    assert bytes_to_var(h("14000100 0000803f 00000000 00000000 0000803f")) == Color(1, 0, 0, 1)
    assert bytes_to_var(h("06000100 01000000 02000000")) == Vector2i(1, 2)


def test_d59_stream_peer_put_var_is_length_prefixed_var_to_bytes() -> None:
    data = var_to_bytes(42)
    assert struct.pack("<I", len(data)) + data == h("08000000 02000000 2a000000")


def test_typed_containers_header_layout() -> None:
    assert var_to_bytes(Array([1.5], TYPE_FLOAT)) == h("1c000100 03000000 01000000 03000000 0000c03f")
    # Only the value typed: kind in bits 18-19.
    assert var_to_bytes(Dictionary({}, TYPE_NIL, "", None, TYPE_VECTOR2)) == h(
        "1b000400 05000000 00000000"
    )
    # Object-typed keys and values without objects.
    both = Dictionary({}, TYPE_OBJECT, "Node", None, TYPE_OBJECT, "Sprite2D")
    as_id = "11000000 456e636f 6465644f 626a6563 74417349 44000000"
    assert var_to_bytes(both) == h("1b000a00" + as_id + as_id + "00000000")
    with_objects = var_to_bytes_with_objects(both)
    assert with_objects[:4] == h("1b000a00")
    assert same(bytes_to_var_with_objects(with_objects), both)
    # A BUILTIN type of TYPE_OBJECT without objects becomes EncodedObjectAsID too.
    decoded = bytes_to_var(h("1c000100 18000000 00000000"))
    assert decoded.get_typed_builtin() == TYPE_OBJECT
    assert decoded.get_typed_class_name() == "EncodedObjectAsID"


def test_typed_container_edge_cases() -> None:
    # A BUILTIN type of NIL is no type at all: Godot builds an untyped Array.
    assert same(bytes_to_var(h("1c000100 00000000 00000000")), [])
    # Bits 18-19 mean nothing on an Array.
    assert same(bytes_to_var(h("1c000c00 00000000")), [])
    # Unknown element type, truncated type fields.
    assert error_of(h("1c000100 27000000 00000000")) == Error.ERR_INVALID_DATA
    assert error_of(h("1c000100")) == Error.ERR_INVALID_DATA
    assert error_of(h("1b000500 04000000")) == Error.ERR_INVALID_DATA
    assert error_of(h("1c000200 05000000 4e6f6465")) == Error.ERR_FILE_EOF
    # Items that do not match the type are kept (Godot would drop them with an error).
    kept = bytes_to_var(h("1c000100 02000000 01000000 04000000 01000000 61000000"))
    assert same(kept, Array(["a"], TYPE_INT))
    # A typed Array used as a Dictionary key becomes a tuple like any Array key.
    key = bytes_to_var(h("1b000000 01000000 1c000100 02000000 00000000 00000000"))
    assert same(key, {(): None})
    # Godot 3's codec does not read the type fields: the same bits mean nothing there.
    assert encode_var(Array([1], TYPE_INT)) == encode_var([1])


def test_full_object_with_script_path() -> None:
    obj = GodotObject("Node", {"script": "res://player.gd", "name": StringName("P")})
    data = var_to_bytes_with_objects(obj)
    assert data[:4] == h("18000000")
    assert same(bytes_to_var_with_objects(data), obj)
    assert error_of(data) == Error.ERR_UNAUTHORIZED
    # 4.3+: the script property must be a res:// path String (or null).
    for script in ("/tmp/x.gd", 5, StringName("res://x.gd")):
        bad = var_to_bytes_with_objects(GodotObject("Node", {"script": script}))
        assert error_of(bad, allow_objects=True) == Error.ERR_INVALID_DATA
    null_script = var_to_bytes_with_objects(GodotObject("Node", {"script": None}))
    assert bytes_to_var_with_objects(null_script) == GodotObject("Node", {"script": None})
    with pytest.raises(ValueError):
        var_to_bytes(obj)  # an Object goes by id without objects: give an EncodedObjectAsID


def test_int_and_float_width_rules() -> None:
    assert var_to_bytes(2**31 - 1) == h("02000000 ffffff7f")
    assert var_to_bytes(-(2**31)) == h("02000000 00000080")
    assert var_to_bytes(2**63 - 1)[:4] == h("02000100")
    with pytest.raises(ValueError):
        var_to_bytes(2**63)
    assert var_to_bytes(0.5) == h("03000000 0000003f")
    assert var_to_bytes(1e300)[:4] == h("03000100")
    assert var_to_bytes(-math.inf) == h("03000000 000080ff")


def test_rid_signal_and_integer_vector_ranges() -> None:
    assert bytes_to_var(h("17000000 ffffffff ffffffff")) == RID(2**64 - 1)
    with pytest.raises(ValueError):
        var_to_bytes(RID(-1))
    with pytest.raises(ValueError):
        var_to_bytes(Signal(2**64, "x"))
    with pytest.raises(ValueError):
        var_to_bytes(Vector2i(2**31, 0))
    with pytest.raises(TypeError):
        var_to_bytes(Vector3i(1, 2.5, 3))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        var_to_bytes(PackedInt32Array([2**31]))
    with pytest.raises(ValueError):
        var_to_bytes(PackedInt64Array([2**63]))
    assert var_to_bytes(PackedInt64Array([-(2**63)])) == h("1f000000 01000000 00000000 00000080")


def test_godot3_types_are_refused_with_a_hint() -> None:
    for value, hint in (
        (Quat(), "Quaternion"),
        (Transform(), "Transform3D"),
        (PoolIntArray([1]), "PackedInt32Array"),
    ):
        with pytest.raises(TypeError, match=hint):
            var_to_bytes(value)


def test_flags_on_types_that_do_not_use_them_are_ignored() -> None:
    assert bytes_to_var(h("00ff0f00")) is None
    assert bytes_to_var(h("01000100 02000000")) is True
    assert bytes_to_var(h("15000100 01000000 61000000")) == StringName("a")
    assert bytes_to_var(h("20000100 01000000 0000803f")) == PackedFloat32Array([1.0])


def test_counts_bit_31_is_masked_and_packed_counts_are_checked() -> None:
    assert bytes_to_var(h("1c000000 00000080")) == []
    assert bytes_to_var(h("1b000000 00000080")) == {}
    assert bytes_to_var(h("22000000 ffffffff")) == PackedStringArray()  # Godot: empty


def test_string_name_compares_like_a_string() -> None:
    assert StringName("a") == "a" and repr(StringName("a")) == "StringName('a')"
    assert type(bytes_to_var(var_to_bytes(StringName("a")))) is StringName
    assert var_to_bytes({StringName("k"): 1})[8:12] == h("15000000")


@pytest.mark.parametrize(
    "hexbytes",
    [
        "1c000000 ffffff7f",
        "1b000000 ffffff7f 00000000",
        "1c000100 02000000 ffffff7f",
        "1b000500 02000000 02000000 ffffff7f",
        "1d000000 ffffff7f",
        "1e000000 ffffff7f",
        "1f000000 00000020",  # count * 8 overflows int32 in Godot
        "20000000 00000080",  # negative count
        "21000000 ffffff7f",
        "23000000 00000010",
        "23000100 00000008",
        "24000000 ffffff7f",
        "25000000 ffffff7f",
        "26000000 ffffff7f",
        "26000100 ffffff7f",
        "22000000 ffffff7f",
        "16000000 ffffffff ffffffff 00000000",
        "18000000 01000000 41000000 ffffff7f",
    ],
)
def test_huge_count_claims_fail_fast_without_allocating(hexbytes: str) -> None:
    tracemalloc.start()
    try:
        assert error_of(h(hexbytes), allow_objects=True) in (
            Error.ERR_INVALID_DATA,
            Error.ERR_FILE_EOF,
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024


@pytest.mark.parametrize(
    "hexbytes",
    [
        "05000000 0000803f",
        "05000100 00000000 0000f03f",
        "06000000 01000000",
        "0d000000" + "00" * 12,
        "13000000" + "00" * 60,
        "13000100" + "00" * 64,
        "17000000 0d000000",
        "1a000000 01000000 61000000 3412",
        "1a000000 05000000 61",
        "18000100 00000000",
        "1c000000 02000000 02000000 01000000",
    ],
)
def test_short_input_is_an_error(hexbytes: str) -> None:
    assert error_of(h(hexbytes), allow_objects=True) in (Error.ERR_INVALID_DATA, Error.ERR_FILE_EOF)


def test_depth_limit_matches_godot_and_encoder_refuses_loops() -> None:
    deepest_ok = h("1c000000 01000000") * MAX_RECURSION_DEPTH + h("1c000000 00000000")
    assert var_to_bytes(bytes_to_var(deepest_ok)) == deepest_ok
    too_deep = h("1c000000 01000000") * (MAX_RECURSION_DEPTH + 1) + h("00000000")
    assert error_of(too_deep) == Error.ERR_OUT_OF_MEMORY
    typed_bomb = h("1c000100 1c000000 01000000") * 5000
    assert error_of(typed_bomb) == Error.ERR_OUT_OF_MEMORY
    loop: list[Any] = Array([], godot4.TYPE_ARRAY)
    loop.append(loop)
    with pytest.raises(ValueError, match="deeper"):
        var_to_bytes(loop)


def test_value_types() -> None:
    assert Rect2i(1, 2, 3, 4) == Rect2i(Vector2i(1, 2), Vector2i(3, 4))
    with pytest.raises(TypeError):
        Rect2i(Vector2i(), 1, 2, 3)  # type: ignore[call-overload]
    assert Quaternion() == Quaternion(0, 0, 0, 1)
    assert Projection().w == Vector4(0, 0, 0, 1)
    assert RID(5).get_id() == 5 and RID(5).is_valid() and not RID().is_valid()
    assert Signal(3, "x").get_name() == "x" and Signal().is_null()
    typed = Array([1], TYPE_INT)
    assert typed.is_typed() and typed.get_typed_builtin() == TYPE_INT and typed == [1]
    assert not Array([1]).is_typed()
    with pytest.raises(ValueError):
        Array([], TYPE_OBJECT)  # an Object type needs its class
    with pytest.raises(ValueError):
        Array([], TYPE_INT, "Node")
    with pytest.raises(ValueError):
        Array([], 99)
    d = Dictionary({"a": 1}, TYPE_STRING)
    assert d.is_typed_key() and not d.is_typed_value() and d == {"a": 1}
    assert d.get_typed_key_builtin() == VariantType.TYPE_STRING
    assert PackedInt32Array([1]) != PackedInt64Array([1])
    assert godot4.TYPE_PACKED_VECTOR4_ARRAY == 38 and godot4.TYPE_MAX == 39
    assert OK == 0 and godot4.Error is Error and godot4.ERR_INVALID_DATA == 30


def test_godot4_names_are_exported() -> None:
    for name in godot4.__all__:
        assert hasattr(godot4, name), name
    for name in ("var_to_bytes", "bytes_to_var", "var_to_bytes_with_objects",
                 "bytes_to_var_with_objects", "Vector2i", "Vector3i", "Vector4", "Vector4i",
                 "Rect2i", "Quaternion", "Transform3D", "Projection", "StringName",
                 "PackedInt64Array", "PackedFloat64Array", "PackedVector4Array",
                 "PackedColorArray", "Error", "OK"):
        assert name in godot4.__all__


# ---------------------------------------------------------------- properties

f32s = st.floats(width=32, allow_nan=False)
i32s = st.integers(-(2**31), 2**31 - 1)
v2s = st.builds(Vector2, f32s, f32s)
v3s = st.builds(Vector3, f32s, f32s, f32s)
v4s = st.builds(Vector4, f32s, f32s, f32s, f32s)
colors = st.builds(Color, f32s, f32s, f32s, f32s)
texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12).filter(
    lambda s: not s.startswith("\ufeff")
)
path_parts = texts.filter(lambda s: s and "/" not in s and ":" not in s)
node_paths = st.builds(
    NodePath.from_parts,
    st.lists(path_parts, max_size=3),
    st.lists(path_parts, max_size=2),
    st.booleans(),
)
keys = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    texts,
    v2s,
    st.builds(Vector2i, i32s, i32s),
    node_paths,
    st.binary(max_size=6),
)
leaves = st.one_of(
    keys,
    texts.map(StringName),
    st.builds(Rect2, v2s, v2s),
    st.builds(Rect2i, st.builds(Vector2i, i32s, i32s), st.builds(Vector2i, i32s, i32s)),
    v3s,
    st.builds(Vector3i, i32s, i32s, i32s),
    v4s,
    st.builds(Vector4i, i32s, i32s, i32s, i32s),
    st.builds(Transform2D, v2s, v2s, v2s),
    st.builds(Plane, v3s, f32s),
    st.builds(Quaternion, f32s, f32s, f32s, f32s),
    st.builds(AABB, v3s, v3s),
    st.builds(Basis, v3s, v3s, v3s),
    st.builds(Transform3D, st.builds(Basis, v3s, v3s, v3s), v3s),
    st.builds(Projection, v4s, v4s, v4s, v4s),
    colors,
    st.builds(RID, st.integers(0, 2**64 - 1)),
    st.builds(EncodedObjectAsID, st.integers(1, 2**64 - 1)),
    st.just(Callable()),
    st.builds(Signal, st.integers(0, 2**64 - 1), texts.map(StringName)),
    st.lists(i32s, max_size=4).map(PackedInt32Array),
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=4).map(PackedInt64Array),
    st.lists(f32s, max_size=4).map(PackedFloat32Array),
    st.lists(st.floats(), max_size=4).map(PackedFloat64Array),
    st.lists(texts, max_size=4).map(PackedStringArray),
    st.lists(v2s, max_size=3).map(PackedVector2Array),
    st.lists(v3s, max_size=3).map(PackedVector3Array),
    st.lists(colors, max_size=3).map(PackedColorArray),
    st.lists(v4s, max_size=3).map(PackedVector4Array),
)
builtin_types = st.sampled_from([t for t in VariantType if t not in (0, 24, 39)])
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(keys, inner, max_size=4),
        st.builds(Array, st.lists(inner, max_size=3), builtin_types),
        st.builds(
            lambda d, k, v: Dictionary(d, k, "", None, v),
            st.dictionaries(keys, inner, max_size=3),
            st.sampled_from([0, 2, 4]),
            builtin_types,
        ),
    ),
    max_leaves=24,
)
objects = st.recursive(
    values,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.builds(Array, st.lists(inner, max_size=2), st.just(TYPE_OBJECT), path_parts),
        st.builds(
            GodotObject,
            path_parts,
            st.dictionaries(texts.filter(lambda s: s != "script"), inner, max_size=3),
        ),
    ),
    max_leaves=16,
)


@given(values)
def test_roundtrip(value: Any) -> None:
    data = var_to_bytes(value)
    assert len(data) % 4 == 0
    decoded, end = decode_var_from(data, version=4)
    assert end == len(data)
    assert var_to_bytes(decoded) == data
    if not isinstance(value, PackedFloat64Array):  # NaN != NaN inside a tuple
        assert same(decoded, value) or _has_nan(value)


def _has_nan(value: Any) -> bool:
    return any(isinstance(x, float) and math.isnan(x) for x in _walk(value))


def _walk(value: Any) -> Any:
    yield value
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(k)
            yield from _walk(v)


@given(objects)
def test_roundtrip_full_objects(value: Any) -> None:
    data = var_to_bytes_with_objects(value)
    decoded = bytes_to_var_with_objects(data)
    assert var_to_bytes_with_objects(decoded) == data


@given(st.binary(max_size=256), st.booleans())
def test_decoding_arbitrary_bytes_only_raises_decode_error(data: bytes, allow: bool) -> None:
    try:
        (bytes_to_var_with_objects if allow else bytes_to_var)(data)
    except VariantDecodeError:
        pass


@given(objects, st.data())
def test_decoding_damaged_encodings_only_raises_decode_error(value: Any, draw: Any) -> None:
    data = bytearray(var_to_bytes_with_objects(value))
    for _ in range(draw.draw(st.integers(1, 4))):
        where = draw.draw(st.integers(0, len(data) - 1))
        data[where] = draw.draw(
            st.sampled_from([0x00, 0x01, 0x02, 0x03, 0x05, 0x7F, 0x80, 0xFF, 0x1B, 0x1C, 0x26])
        )
    cut = draw.draw(st.integers(0, len(data)))
    for blob in (bytes(data), bytes(data[:cut])):
        try:
            (bytes_to_var_with_objects if draw.draw(st.booleans()) else bytes_to_var)(blob)
        except VariantDecodeError:
            pass


@given(st.binary(min_size=4, max_size=64), st.integers(0, 38), st.integers(0, 15))
def test_every_type_id_with_any_flags_and_payload_only_raises_decode_error(
    payload: bytes, type_id: int, flags: int
) -> None:
    data = struct.pack("<I", type_id | flags << 16) + payload
    for decode in (bytes_to_var, bytes_to_var_with_objects):
        try:
            decode(data)
        except VariantDecodeError:
            pass


def test_encode_var_version_4_is_the_same_codec() -> None:
    value = {"pos": Vector2(1, 2), "ids": PackedInt32Array([1, 2])}
    assert encode_var(value, version=4) == var_to_bytes(value)
    assert TYPE_DICTIONARY == 27


def test_every_truncation_and_byte_mutation_of_the_vectors_only_raises_decode_error() -> None:
    decoded = 0
    for _name, _value, hexbytes in VECTORS:
        data = h(hexbytes)
        blobs = [data[:cut] for cut in range(len(data))]
        for where in range(len(data)):
            for byte in (0x00, 0x01, 0x02, 0x03, 0x18, 0x1B, 0x1C, 0x7F, 0x80, 0xFF):
                mutated = bytearray(data)
                mutated[where] = byte
                blobs.append(bytes(mutated))
        for blob in blobs:
            for decode in (bytes_to_var, bytes_to_var_with_objects):
                try:
                    decode(blob)
                    decoded += 1
                except VariantDecodeError:
                    pass
    assert decoded > 0  # the mutations do not all fail: some make other valid values


def test_packet_peer_uses_its_majors_table() -> None:
    from godot_ws.godot3.peer import PacketPeer

    class Loop(PacketPeer):
        _variant_version = 4

        def __init__(self) -> None:
            super().__init__()
            self.packets: list[bytes] = []

        def get_available_packet_count(self) -> int:
            return len(self.packets)

        def get_packet(self) -> bytes:
            return self.packets.pop(0)

        def put_packet(self, buffer: bytes | bytearray | memoryview) -> Error:
            self.packets.append(bytes(buffer))
            return Error.OK

    peer = Loop()
    assert peer.put_var(Vector3(1, 2, 3)) == Error.OK
    assert peer.packets[0][:4] == h("09000000")  # Godot 4's id; Godot 3's is 7
    assert peer.get_var() == Vector3(1, 2, 3)


def test_typed_container_repr_is_godots_constructor() -> None:
    namespace = vars(godot4)
    for value in (
        Array([1], TYPE_INT),
        Array([], TYPE_OBJECT, "Node", "res://a.gd"),
        Dictionary({"a": 1}, TYPE_STRING),
        Dictionary({}, TYPE_NIL, "", None, TYPE_INT),
        Dictionary({}, TYPE_OBJECT, "Node", "res://x.gd", TYPE_OBJECT, "Node"),
    ):
        again = eval(repr(value), dict(namespace))
        assert same(again, value)
    assert repr(Array([1], TYPE_INT)) == "Array([1], TYPE_INT)"


def test_t1_to_t7_primitive_encodings_the_codec_is_built_from() -> None:
    from godot_ws.variant.leaves import _F32, _F64, _U32, _U64

    assert struct.pack("<H", 0x1234) == h("3412")  # T1 encode_uint16
    assert _U32.pack(0x12345678) == h("78563412")  # T2 encode_uint32
    assert _U64.pack(0x0F123456789ABCDEF) == h("efcdab89674523f1")  # T3 encode_uint64
    assert struct.pack("<e", 0.33325195) == h("5535")  # T4 encode_half (4.4+; unused here)
    assert _F32.pack(0.15625) == h("0000203e")  # T5 encode_float
    assert _F64.pack(0.33333333333333333) == h("555555555555d53f")  # T6 encode_double
    assert "Godot".encode() + b"\0" == h("476f646f7400")  # T7 encode_cstring
