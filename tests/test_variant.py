"""Tests for godot_ws.variant.codec and godot_ws.variant.types3.

The byte vectors come from Godot 3.2.3's ``var2bytes`` (shared/godot/FACTS.md 3.3); the
decoder edge cases from FACTS 3.1-3.3 and Godot's marshalls.cpp.
"""

from __future__ import annotations

import dataclasses
import math
import struct
from collections import OrderedDict
from enum import IntEnum
from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from godot_ws.core.constants import Error
from godot_ws.variant.types3 import (
    AABB,
    RID,
    Basis,
    Color,
    EncodedObjectAsID,
    GodotObject,
    NodePath,
    Plane,
    PoolByteArray,
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
    VariantType,
    Vector2,
    Vector3,
)
from godot_ws.variant.codec import (
    MAX_RECURSION_DEPTH,
    VariantDecodeError,
    bytes2var,
    decode_var,
    decode_var_from,
    encode_var,
    var2bytes,
)


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def f32(*values: float) -> str:
    return struct.pack(f"<{len(values)}f", *values).hex()


def same(a: Any, b: Any) -> bool:
    """Equality that also checks types (True is not 1, a list is not a tuple) and -0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
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
        decode_var(data, allow_objects=allow_objects)
    return info.value.error


BASIS = Basis(Vector3(1, 2, 3), Vector3(4, 5, 6), Vector3(7, 8, 9))

# (value, bytes) pairs captured from Godot 3.2.3's var2bytes (FACTS 3.3).
GODOT_323_VECTORS = [
    (None, "00000000"),
    (True, "01000000 01000000"),
    (False, "01000000 00000000"),
    (1, "02000000 01000000"),
    (-1, "02000000 ffffffff"),
    (2147483648, "02000100 00000080 00000000"),
    (1 << 40, "02000100 00000000 00010000"),
    (-(1 << 40), "02000100 00000000 00ffffff"),
    (1.5, "03000000 0000c03f"),
    (3.0, "03000000 00004040"),
    (0.1, "03000100 9a999999 9999b93f"),
    (1e300, "03000100 9c750088 3ce4377e"),
    (math.inf, "03000000 0000807f"),
    ("hi", "04000000 02000000 68690000"),
    ("", "04000000 00000000"),
    ("abcd", "04000000 04000000 61626364"),
    ("é", "04000000 02000000 c3a90000"),
    (Vector2(1, 2), "05000000 0000803f 00000040"),
    (Rect2(1, 2, 3, 4), "06000000 0000803f 00000040 00004040 00008040"),
    (Vector3(1, 2, 3), "07000000 0000803f 00000040 00004040"),
    (
        Transform2D(Vector2(1, 2), Vector2(3, 4), Vector2(5, 6)),
        "08000000" + f32(1, 2, 3, 4, 5, 6),
    ),
    (Plane(1, 2, 3, 4), "09000000" + f32(1, 2, 3, 4)),
    (Quat(1, 2, 3, 4), "0a000000" + f32(1, 2, 3, 4)),
    (AABB(Vector3(1, 2, 3), Vector3(4, 5, 6)), "0b000000" + f32(1, 2, 3, 4, 5, 6)),
    (BASIS, "0c000000" + f32(1, 4, 7, 2, 5, 8, 3, 6, 9)),
    (
        Transform(BASIS, Vector3(10, 11, 12)),
        "0d000000" + f32(1, 4, 7, 2, 5, 8, 3, 6, 9, 10, 11, 12),
    ),
    (Color(1, 0, 0, 1), "0e000000 0000803f 00000000 00000000 0000803f"),
    (
        NodePath("/root/x"),
        "0f000000 02000080 00000000 01000000 04000000 726f6f74 01000000 78000000",
    ),
    (NodePath(""), "0f000000 00000080 00000000 00000000"),
    (RID(), "10000000"),
    ([1, "a"], "13000000 02000000 02000000 01000000 04000000 01000000 61000000"),
    ({"k": 3}, "12000000 01000000 04000000 01000000 6b000000 02000000 03000000"),
    ([[1], {}], "13000000 02000000 13000000 01000000 02000000 01000000 12000000 00000000"),
    (PoolByteArray([1, 2, 3]), "14000000 03000000 01020300"),
    (PoolByteArray(), "14000000 00000000"),
    (PoolIntArray([1, -2]), "15000000 02000000 01000000 feffffff"),
    (PoolRealArray([1.5]), "16000000 01000000 0000c03f"),
    (PoolStringArray(["ab", "c"]), "17000000 02000000 03000000 61620000 02000000 63000000"),
    (PoolStringArray([""]), "17000000 01000000 01000000 00000000"),
    (PoolVector2Array([Vector2(1, 2)]), "18000000 01000000 0000803f 00000040"),
    (PoolVector3Array([Vector3(1, 2, 3)]), "19000000 01000000 0000803f 00000040 00004040"),
    (
        PoolColorArray([Color(1, 0, 0, 1)]),
        "1a000000 01000000 0000803f 00000000 00000000 0000803f",
    ),
    (EncodedObjectAsID(1288), "11000100 08050000 00000000"),
]
REFERENCE_FULL = h(
    "11000000 09000000"
    + b"Reference".hex()
    + "000000 01000000 06000000"
    + b"script".hex()
    + "0000 00000000"
)
NODEPATH_ABC_GODOT = h(  # NodePath("a/b:c") as 3.2.3 sent it: "b" padded with junk 7f0000
    "0f000000 02000080 01000000 00000000 01000000 61000000 01000000 627f0000 01000000 63000000"
)


@pytest.mark.parametrize(("value", "hexbytes"), GODOT_323_VECTORS, ids=repr)
def test_godot_323_vector_encodes_exactly(value: Any, hexbytes: str) -> None:
    assert encode_var(value) == h(hexbytes)


@pytest.mark.parametrize(("value", "hexbytes"), GODOT_323_VECTORS, ids=repr)
def test_godot_323_vector_decodes(value: Any, hexbytes: str) -> None:
    decoded = decode_var(h(hexbytes))
    assert decoded == value
    if not dataclasses.is_dataclass(value):  # dataclass fields compare 1 == 1.0 on purpose
        assert same(decoded, value)
    assert type(decoded) is type(value)


def test_nodepath_with_subname_decodes_despite_junk_padding_and_encodes_zeros() -> None:
    assert decode_var(NODEPATH_ABC_GODOT) == NodePath("a/b:c")
    expected = bytearray(NODEPATH_ABC_GODOT)
    expected[29:32] = b"\0\0\0"
    assert encode_var(NodePath("a/b:c")) == bytes(expected)


def test_full_object_vector() -> None:
    ref = GodotObject("Reference", {"script": None})
    assert encode_var(ref, full_objects=True) == REFERENCE_FULL
    assert same(decode_var(REFERENCE_FULL, allow_objects=True), ref)
    assert error_of(REFERENCE_FULL) == Error.ERR_UNAUTHORIZED


def test_float_encodings_follow_godots_f32_rule() -> None:
    nan = encode_var(math.nan)
    assert nan[:4] == h("03000100")  # float(nan) != nan in C, so NaN goes as f64
    assert math.isnan(decode_var(nan))
    assert encode_var(-math.inf) == h("03000000 000080ff")
    neg_zero = decode_var(encode_var(-0.0))
    assert neg_zero == 0.0 and math.copysign(1.0, neg_zero) == -1.0
    assert decode_var(h("03000000 cdcccc3d")) == struct.unpack("<f", h("cdcccc3d"))[0]


def test_int_boundaries() -> None:
    assert encode_var(2**31 - 1) == h("02000000 ffffff7f")
    assert encode_var(-(2**31)) == h("02000000 00000080")
    assert encode_var(-(2**31) - 1)[:4] == h("02000100")
    for value in (2**63 - 1, -(2**63)):
        assert decode_var(encode_var(value)) == value
    for value in (2**63, -(2**63) - 1):
        with pytest.raises(ValueError):
            encode_var(value)


# ---------------------------------------------------------------- decode behaviour (E)


def test_flags_on_types_that_do_not_use_them_are_ignored() -> None:
    assert decode_var(h("01000100 01000000")) is True
    assert decode_var(h("00000100")) is None
    assert decode_var(h("05000100 0000803f 00000040")) == Vector2(1, 2)


def test_object_id_zero_is_null() -> None:
    assert decode_var(h("11000100 00000000 00000000")) is None
    assert encode_var(EncodedObjectAsID(0)) == h("11000100 00000000 00000000")


def test_null_full_object() -> None:
    assert decode_var(h("11000000 00000000"), allow_objects=True) is None
    assert error_of(h("11000000 00000000")) == Error.ERR_UNAUTHORIZED
    assert encode_var(GodotObject(""), full_objects=True) == h("11000000 00000000")


def test_string_without_padding_is_an_error() -> None:
    assert error_of(h("04000000 02000000 6869")) == Error.ERR_FILE_EOF


def test_string_longer_than_data_or_negative_is_eof() -> None:
    assert error_of(h("04000000 08000000 68690000")) == Error.ERR_FILE_EOF
    assert error_of(h("04000000 ffffffff 68690000")) == Error.ERR_FILE_EOF


def test_embedded_nul_stops_a_string() -> None:
    assert decode_var(h("04000000 03000000 61006200")) == "a"
    assert decode_var(h("04000000 04000000 6100ff00")) == "a"  # bad bytes after NUL unread


def test_leading_bom_is_dropped_like_godots_parse_utf8() -> None:
    assert decode_var(h("04000000 05000000 efbbbf61 62000000")) == "ab"


def test_invalid_utf8_is_invalid_data() -> None:
    assert error_of(h("04000000 02000000 c3280000")) == Error.ERR_INVALID_DATA


def test_pool_byte_array_missing_final_padding_is_tolerated() -> None:
    data = h("14000000 03000000 010203")
    assert decode_var(data) == b"\x01\x02\x03"
    assert decode_var_from(data) == (b"\x01\x02\x03", len(data))


def test_pool_string_array_with_and_without_nul() -> None:
    without_nul = h("17000000 02000000 02000000 61620000 01000000 63000000")
    assert decode_var(without_nul) == PoolStringArray(["ab", "c"])
    with_nul = h("17000000 02000000 03000000 61620000 02000000 63000000")
    assert decode_var(with_nul) == PoolStringArray(["ab", "c"])


def test_pool_string_array_negative_count_is_empty_as_in_godot() -> None:
    assert decode_var(h("17000000 ffffffff")) == PoolStringArray()


def test_bit_31_of_container_counts_is_masked() -> None:
    assert decode_var(h("13000000 01000080 02000000 01000000")) == [1]
    assert decode_var(h("12000000 01000080 02000000 01000000 02000000 02000000")) == {1: 2}


def test_trailing_bytes_are_ignored_and_offsets_reported() -> None:
    data = h("02000000 07000000 deadbeef")
    assert decode_var(data) == 7
    assert decode_var_from(data) == (7, 8)
    assert decode_var_from(b"\xff" + encode_var("hi"), offset=1) == ("hi", 13)


def test_obsolete_nodepath_formats() -> None:
    assert error_of(h("0f000000 02000000 6869 0000")) == Error.ERR_INVALID_DATA
    # flags bit 1: the old separate "property" adds one subname.
    data = h("0f000000 01000080 00000000 02000000 01000000 61000000 01000000 70000000")
    assert decode_var(data) == NodePath("a:p")


def test_nodepath_absolute_without_names_decodes_empty_as_godot() -> None:
    slash = encode_var(NodePath("/"))
    assert slash == h("0f000000 00000080 00000000 01000000")
    assert decode_var(slash) == NodePath("")


def test_array_key_becomes_tuple_and_reencodes_identically() -> None:
    data = encode_var({(1, (2,)): "v"})
    decoded = decode_var(data)
    assert same(decoded, {(1, (2,)): "v"})
    assert encode_var(decoded) == data
    assert same(decode_var(encode_var({(): 1})), {(): 1})


def test_unhashable_dictionary_key_is_invalid_data() -> None:
    data = h("12000000 01000000 12000000 00000000 02000000 05000000")  # {{}: 5}
    assert error_of(data) == Error.ERR_INVALID_DATA
    nested = h("12000000 01000000 13000000 01000000 12000000 00000000 00000000")  # {[{}]: null}
    assert error_of(nested) == Error.ERR_INVALID_DATA


def test_full_object_properties_nest() -> None:
    inner = GodotObject("Node", {"name": "n", "list": [1, {"a": Vector2(1, 2)}]})
    outer = GodotObject("Reference", {"child": inner, "n": 3})
    data = encode_var([outer], full_objects=True)
    assert same(decode_var(data, allow_objects=True), [outer])
    assert error_of(data) == Error.ERR_UNAUTHORIZED


# ---------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    "hexbytes",
    [
        "",
        "020000",
        "02000000",
        "02000100 01000000",  # i64 with 4 bytes
        "03000100 00000000",
        "05000000 0000803f",
        "0d000000" + "00" * 44,
        "1b000000",  # TYPE_MAX
        "ff000000",
        "13000000 02000000 02000000 01000000",  # second element missing
        "12000000 01000000 02000000 01000000",  # value missing
        "11000100 00000000",
        "0f000000 01000080 00000000",
        "04000000",
        "15000000 01000000",
        "14000000 04000000 010203",
    ],
)
def test_short_or_garbage_input_is_invalid_data(hexbytes: str) -> None:
    assert error_of(h(hexbytes), allow_objects=True) == Error.ERR_INVALID_DATA


@pytest.mark.parametrize(
    "hexbytes",
    [
        "13000000 ffffff7f",
        "13000000 ffffffff",
        "12000000 ffffff7f 00000000",
        "14000000 ffffff7f",
        "15000000 ffffff7f",
        "15000000 00000080",  # negative count
        "16000000 00000040",
        "18000000 00000010",  # count * 8 overflows int32 in Godot
        "1a000000 ffffff7f",
        "17000000 ffffff7f",
        "0f000000 ffffffff ffffffff 00000000",
        "11000000 01000000 41000000 ffffff7f",  # full object claiming 2**31 properties
    ],
)
def test_huge_count_claims_fail_fast(hexbytes: str) -> None:
    assert error_of(h(hexbytes), allow_objects=True) == Error.ERR_INVALID_DATA


def test_depth_bomb_is_an_error_not_recursion() -> None:
    bomb = h("13000000 01000000") * 2000 + h("00000000")
    assert error_of(bomb) == Error.ERR_OUT_OF_MEMORY
    assert error_of(h("12000000 01000000") * 100_000) == Error.ERR_OUT_OF_MEMORY


def test_depth_limit_matches_godot_exactly() -> None:
    # A value at depth d (inside d containers) is refused when d > 1024.
    deepest_ok = h("13000000 01000000") * MAX_RECURSION_DEPTH + h("13000000 00000000")
    nested: list[Any] = []
    for _ in range(MAX_RECURSION_DEPTH):
        nested = [nested]
    assert encode_var(nested) == deepest_ok
    assert encode_var(decode_var(deepest_ok)) == deepest_ok
    too_deep = h("13000000 01000000") * (MAX_RECURSION_DEPTH + 1) + h("00000000")
    assert error_of(too_deep) == Error.ERR_OUT_OF_MEMORY
    with pytest.raises(ValueError, match="deeper"):
        encode_var([nested])


def test_encoding_a_self_containing_list_is_refused() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError):
        encode_var(loop)
    looped: dict[str, Any] = {}
    looped["me"] = looped
    with pytest.raises(ValueError):
        encode_var(looped)


def test_decode_error_is_a_value_error_with_godots_code() -> None:
    with pytest.raises(ValueError) as info:
        decode_var(b"\x01")
    assert isinstance(info.value, VariantDecodeError)
    assert info.value.error is Error.ERR_INVALID_DATA
    assert "ERR_INVALID_DATA" in str(info.value)


def test_decode_input_types() -> None:
    data = encode_var([1, "x"])
    assert decode_var(bytearray(data)) == decode_var(memoryview(data)) == [1, "x"]
    with pytest.raises(TypeError):
        decode_var("abcd")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        decode_var(8)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        decode_var_from(data, offset=-1)
    assert error_of_from(data, len(data) + 4) == Error.ERR_INVALID_DATA


def error_of_from(data: bytes, offset: int) -> Error:
    with pytest.raises(VariantDecodeError) as info:
        decode_var_from(data, offset)
    return info.value.error


# ---------------------------------------------------------------- encoding rules


class Color8(IntEnum):
    RED = 5


class Pair(NamedTuple):
    a: int
    b: str


def test_python_types_map_to_variants() -> None:
    assert encode_var((1, "a")) == encode_var([1, "a"])
    assert encode_var(bytearray(b"\x01\x02")) == encode_var(memoryview(b"\x01\x02"))
    assert encode_var(bytearray(b"\x01\x02")) == h("14000000 02000000 01020000")
    assert encode_var(Color8.RED) == encode_var(5)
    assert encode_var(Pair(1, "a")) == encode_var([1, "a"])
    assert encode_var(OrderedDict(k=3)) == encode_var({"k": 3})
    assert encode_var({"b": 1, "a": 2})[8:].startswith(encode_var("b"))  # insertion order
    assert same(decode_var(encode_var((1, (2,)))), [1, [2]])


NOT_VARIANTS: list[Any] = [object(), {1, 2}, 1j, [object()]]
NOT_VARIANTS += [PoolStringArray([1]), PoolVector2Array([Vector3()])]  # type: ignore[list-item]
NOT_VARIANTS += [GodotObject("X", {1: 2})]  # type: ignore[dict-item]
NOT_VARIANTS += [GodotObject(3), PoolRealArray(["x"])]  # type: ignore[arg-type,list-item]


@pytest.mark.parametrize("value", NOT_VARIANTS, ids=repr)
def test_unsupported_values_raise_type_error(value: Any) -> None:
    with pytest.raises(TypeError):
        encode_var(value, full_objects=True)


@pytest.mark.parametrize(
    "value",
    [
        2**63,
        PoolIntArray([2**31]),
        EncodedObjectAsID(-1),
        EncodedObjectAsID(2**64),
        "\ud800",
        GodotObject("Node"),
    ],
    ids=repr,
)
def test_out_of_range_values_raise_value_error(value: Any) -> None:
    with pytest.raises(ValueError):
        encode_var(value)


def test_math_components_beyond_f32_become_inf() -> None:
    assert decode_var(encode_var(Vector2(1e300, -(10**400)))) == Vector2(math.inf, -math.inf)
    assert decode_var(encode_var(PoolRealArray([1e300]))) == PoolRealArray([math.inf])
    assert decode_var(encode_var(Vector2(0.1, 2))) == Vector2(
        struct.unpack("<f", struct.pack("<f", 0.1))[0], 2
    )


def test_string_with_nul_is_sent_whole_but_read_up_to_the_nul() -> None:
    data = encode_var("a\0b")
    assert data == h("04000000 03000000 61006200")
    assert decode_var(data) == "a"


def test_versions() -> None:
    # Godot 4 has its own table (tests/test_variant4.py); INT kept its id and layout.
    assert encode_var(1, version=4) == encode_var(1)
    assert encode_var(Vector3(1, 2, 3), version=4)[:4] == h("09000000")
    assert decode_var(h("09000000") + h(f32(1, 2, 3)), version=4) == Vector3(1, 2, 3)
    with pytest.raises(ValueError):
        decode_var(b"\0\0\0\0", version=5)
    with pytest.raises(ValueError):
        encode_var(1, version=2)
    assert encode_var(1, version=3) == encode_var(1)


def test_godot_names_are_aliases() -> None:
    assert var2bytes is encode_var and bytes2var is decode_var
    assert bytes2var(var2bytes({"a": [1.5]})) == {"a": [1.5]}


# ---------------------------------------------------------------- godot_types


@pytest.mark.parametrize(
    ("path", "names", "subnames", "absolute"),
    [
        ("/root/x", ("root", "x"), (), True),
        ("a/b:c", ("a", "b"), ("c",), False),
        ("", (), (), False),
        ("/", (), (), True),
        ("a//b/", ("a", "b"), (), False),
        ("a:b:c", ("a",), ("b", "c"), False),
        ("a:", ("a",), (), False),
        (":x", (), ("x",), False),
        ("../p:q", ("..", "p"), ("q",), False),
    ],
)
def test_nodepath_parses_like_godot(
    path: str, names: tuple[str, ...], subnames: tuple[str, ...], absolute: bool
) -> None:
    np = NodePath(path)
    assert (np.names, np.subnames, np.absolute) == (names, subnames, absolute)
    assert NodePath(str(np)) == np
    assert np.get_name_count() == len(names) and np.get_subname_count() == len(subnames)


def test_nodepath_helpers() -> None:
    np = NodePath("/root/x:a:b")
    assert str(np) == "/root/x:a:b" and repr(np) == "NodePath('/root/x:a:b')"
    assert np.get_name(1) == "x" and np.get_subname(0) == "a"
    assert np.get_concatenated_subnames() == "a:b" and np.is_absolute()
    assert NodePath().is_empty() and not NodePath("/").is_empty()
    assert NodePath.from_parts([], [], absolute=True) == NodePath("")
    assert hash(NodePath("a/b")) == hash(NodePath.from_parts(["a", "b"]))
    with pytest.raises(ValueError):
        NodePath("a::b")
    with pytest.raises(TypeError):
        NodePath(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        NodePath.from_parts(["a", 1])  # type: ignore[list-item]


def test_value_types_constructors_and_immutability() -> None:
    assert Rect2(1, 2, 3, 4) == Rect2(Vector2(1, 2), Vector2(3, 4))
    assert Rect2() == Rect2(Vector2(), Vector2())
    assert Plane(1, 2, 3, 4) == Plane(Vector3(1, 2, 3), 4)
    with pytest.raises(TypeError):
        Rect2(Vector2(), 1, 2, 3)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        Rect2(1, 2)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        Plane(1, 2)  # type: ignore[call-overload]
    assert BASIS.rows() == (Vector3(1, 4, 7), Vector3(2, 5, 8), Vector3(3, 6, 9))
    assert Basis() == Basis(Vector3(1, 0, 0), Vector3(0, 1, 0), Vector3(0, 0, 1))
    assert Transform().basis == Basis() and Quat().w == 1.0 and Color().a == 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        Vector2().x = 1  # type: ignore[misc]
    assert len({Vector2(1, 2), Vector2(1.0, 2.0), Transform(), Transform()}) == 2
    assert (int(VariantType.TYPE_COLOR_ARRAY), int(VariantType.TYPE_MAX)) == (26, 27)


def test_pool_arrays_compare_only_with_their_own_type() -> None:
    ints = PoolIntArray([1, 2])
    assert ints == PoolIntArray((1, 2))
    assert (ints != PoolIntArray([1, 2])) is False
    assert ints != (1, 2) and ints != [1, 2] and ints != PoolRealArray([1, 2])
    assert (1, 2) != ints
    assert hash(ints) == hash(PoolIntArray([1, 2]))
    assert repr(ints) == "PoolIntArray([1, 2])"
    assert PoolByteArray([1, 2]) == b"\x01\x02"


# ---------------------------------------------------------------- properties

f32s = st.floats(width=32, allow_nan=False)
v2s = st.builds(Vector2, f32s, f32s)
v3s = st.builds(Vector3, f32s, f32s, f32s)
colors = st.builds(Color, f32s, f32s, f32s, f32s)
bom_free = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12).filter(
    lambda s: not s.startswith("\ufeff")
)
path_parts = st.text(
    st.characters(codec="utf-8", exclude_characters="\x00/:"),
    min_size=1,
    max_size=6,
).filter(lambda s: not s.startswith("\ufeff"))
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
    bom_free,
    v2s,
    node_paths,
    st.binary(max_size=6),
)
leaves = st.one_of(
    keys,
    st.builds(Rect2, v2s, v2s),
    v3s,
    st.builds(Transform2D, v2s, v2s, v2s),
    st.builds(Plane, v3s, f32s),
    st.builds(Quat, f32s, f32s, f32s, f32s),
    st.builds(AABB, v3s, v3s),
    st.builds(Transform, st.builds(Basis, v3s, v3s, v3s), v3s),
    colors,
    st.just(RID()),
    st.builds(EncodedObjectAsID, st.integers(1, 2**64 - 1)),
    st.lists(st.integers(-(2**31), 2**31 - 1), max_size=4).map(PoolIntArray),
    st.lists(f32s, max_size=4).map(PoolRealArray),
    st.lists(bom_free, max_size=4).map(PoolStringArray),
    st.lists(v2s, max_size=3).map(PoolVector2Array),
    st.lists(v3s, max_size=3).map(PoolVector3Array),
    st.lists(colors, max_size=3).map(PoolColorArray),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=24,
)
objects = st.recursive(
    values,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.builds(
            GodotObject,
            path_parts,
            st.dictionaries(bom_free, inner, max_size=3),
        ),
    ),
    max_leaves=16,
)


@given(values)
def test_roundtrip(value: Any) -> None:
    data = encode_var(value)
    assert len(data) % 4 == 0
    decoded, end = decode_var_from(data)
    assert same(decoded, value)
    assert end == len(data)
    assert encode_var(decoded) == data


@given(objects)
def test_roundtrip_full_objects(value: Any) -> None:
    data = encode_var(value, full_objects=True)
    assert same(decode_var(data, allow_objects=True), value)


@given(st.binary(max_size=256), st.booleans())
def test_decoding_arbitrary_bytes_only_raises_decode_error(data: bytes, allow: bool) -> None:
    try:
        decode_var(data, allow_objects=allow)
    except VariantDecodeError:
        pass


@given(objects, st.data())
def test_decoding_damaged_encodings_only_raises_decode_error(value: Any, draw: Any) -> None:
    data = bytearray(encode_var(value, full_objects=True))
    for _ in range(draw.draw(st.integers(1, 4))):
        where = draw.draw(st.integers(0, len(data) - 1))
        data[where] = draw.draw(st.sampled_from([0x00, 0x01, 0x7F, 0x80, 0xFF, 0x13, 0x12]))
    cut = draw.draw(st.integers(0, len(data)))
    for blob in (bytes(data), bytes(data[:cut])):
        try:
            decode_var(blob, allow_objects=draw.draw(st.booleans()))
        except VariantDecodeError:
            pass


def test_hostile_dense_packets_take_the_cheap_paths() -> None:
    """Issue 11.9: the densest 64 KiB packets (empty NodePaths, 16 bytes each; empty strings,
    4 bytes each) decode without building an object per element or scanning empty strings
    (the slow paths; timings are in the issue-11 note, not in a timed test)."""
    import struct

    u32 = struct.Struct("<I").pack
    n = (65536 - 8) // 16
    paths = decode_var(u32(19) + u32(n) + (u32(15) + u32(0x80000000) + u32(0) + u32(0)) * n)
    assert len(paths) == n and paths[0] == NodePath("") and all(p is paths[0] for p in paths)
    n = (65536 - 8) // 4
    strings = decode_var(u32(23) + u32(n) + u32(0) * n)
    assert len(strings) == n and set(strings) == {""}
