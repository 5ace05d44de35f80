"""Variant byte identity with Godot 4.6 itself, both directions, for every vector of
tests/test_variant4.py (the whole 4.x type table): Godot's ``var_to_bytes`` of a GDScript value
gives exactly the vector's bytes and we decode it to the vector's value; our ``var_to_bytes`` of
the value, decoded by Godot's ``bytes_to_var`` and encoded again by Godot, gives the same bytes
back (Godot also prints ``var_to_str`` of what it decoded). One engine does every vector."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from engine4 import Engine4
from test_variant4 import BIG, VECTORS, same

from godot_ws.godot4 import TYPE_OBJECT, Array, bytes_to_var, var_to_bytes

# The GDScript expression of each vector's value (none: it cannot be built from GDScript, e.g. an
# object id or a Signal of a given object; those are checked in the decoding direction only).
GDSCRIPT: dict[str, str | None] = {
    "T8": "null", "T9": "0x12345678", "T10": str(BIG), "T11": "0.15625", "T12": "1.0 / 3.0",
    "T14": f"Array([{BIG}], TYPE_INT, &'', null)",
    "T15": f"Dictionary({{{BIG}: {BIG}}}, TYPE_INT, &'', null, TYPE_INT, &'', null)",
    "O1": "rid_from_int64(13)", "D1": "true", "D2": "false", "D3": "-1", "D4": "2147483648",
    "D5": "-2147483649", "D6": "1.0", "D7": "0.1", "D8": "INF", "D10": '""', "D11": '"hi"',
    "D12": '"abcd"', "D13": '"é"', "D14": '&"hi"', "D15": "Vector2(1, 2)", "D16": "Vector2i(1, -2)",
    "D17": "Rect2(1, 2, 3, 4)", "D18": "Rect2i(1, 2, 3, 4)", "D19": "Vector3(1, 2, 3)",
    "D20": "Vector3i(1, 2, 3)", "D21": "Transform2D()", "D22": "Vector4(1, 2, 3, 4)",
    "D23": "Vector4i(1, 2, 3, 4)", "D24": "Plane(0, 1, 0, 5)", "D25": "Quaternion()",
    "D26": "AABB(Vector3(1, 2, 3), Vector3(4, 5, 6))", "D27": "Basis()",
    "D28": "Transform3D(Basis(), Vector3(1, 2, 3))", "D29": "Projection()", "D30": "Color(1, 0, 0, 1)",
    "D31": 'NodePath("/root/Main")', "D32": 'NodePath("Sprite:position:x")', "D33": 'NodePath("")',
    "D34": "rid_from_int64(13)", "D35": None, "D37": "Callable()", "D38": None, "D39": '{"a": 1}',
    "D40": '[1, "a"]', "D41": "[]", "D42": 'Array(["x"], TYPE_STRING, &"", null)',
    "D43": 'Array([], TYPE_OBJECT, &"Node", null)',
    "D45": 'Dictionary({"a": 1}, TYPE_STRING, &"", null, TYPE_INT, &"", null)',
    "D46": 'Dictionary({}, TYPE_STRING, &"", null, TYPE_NIL, &"", null)',
    "D47": "PackedByteArray([1, 2, 3])", "D48": "PackedInt32Array([1, -1])", "D49": "PackedInt64Array([1])",
    "D50": "PackedFloat32Array([1.0])", "D51": "PackedFloat64Array([1.0])",
    "D52": 'PackedStringArray(["a", "bc"])', "D53": 'PackedStringArray(["abc"])',
    "D54": "PackedVector2Array([Vector2(1, 2)])", "D55": "PackedVector3Array([Vector3(1, 2, 3)])",
    "D56": "PackedColorArray([Color(1, 0, 0, 1)])", "D57": "PackedVector4Array([Vector4(1, 2, 3, 4)])",
}
VALUES = {name: (value, bytes.fromhex(hexbytes.replace(" ", ""))) for name, value, hexbytes in VECTORS}
assert set(GDSCRIPT) == set(VALUES), "every vector needs its GDScript expression (or None)"

MAIN = """extends Node

func _ready() -> void:
	var values := {
%s
	}
	for name in values:
		print("enc ", name, " ", var_to_bytes(values[name]).hex_encode())
	for arg in OS.get_cmdline_user_args():
		var kv := arg.split("=")
		var value = bytes_to_var(kv[1].hex_decode())
		var extra := ""
		if value is EncodedObjectAsID:
			extra = " object_id=%%d" %% value.get_object_id()
		elif value is Signal:
			extra = " signal=%%s/%%d" %% [value.get_name(), value.get_object_id()]
		print("dec ", kv[0], " type=", typeof(value), extra, " hex=", var_to_bytes(value).hex_encode(), " str=", var_to_str(value).replace("\\n", " "))
	print("ALL DONE")
""" % "\n".join(f'\t\t"{name}": {expr},' for name, expr in GDSCRIPT.items() if expr is not None)

# Decoding without objects names the class EncodedObjectAsID (Godot's own bytes_to_var does too:
# its re-encoding in the other direction is byte-identical).
DECODES_AS = {"D43": Array([], TYPE_OBJECT, "EncodedObjectAsID")}

# Values Godot decodes into an object of its own, so its re-encoding differs (checked by fields).
OBJECTS = {"D35", "D38"}


@pytest.fixture(scope="module")
def printed(godot4_module_engine: Callable[..., Engine4]) -> dict[tuple[str, str], str]:
    args = [f"{name}={var_to_bytes(value).hex()}" for name, (value, _) in VALUES.items()]
    engine = godot4_module_engine({"main.gd": MAIN}, args, name="variant4")
    engine.wait_line("ALL DONE", timeout=60)
    found: dict[tuple[str, str], str] = {}
    for line in engine.lines:
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[0] in ("enc", "dec"):
            found[(parts[0], parts[1])] = parts[2]
    return found


ENCODABLE = [name for name, expr in GDSCRIPT.items() if expr is not None]


@pytest.mark.parametrize("name", ENCODABLE)
def test_godot_encodes_the_vector_bytes_and_we_decode_them(printed: dict[tuple[str, str], str], name: str) -> None:
    value, expected = VALUES[name]
    data = bytes.fromhex(printed[("enc", name)])
    assert data == expected, f"Godot 4.6 gives {data.hex()} for {GDSCRIPT[name]}"
    assert same(bytes_to_var(data), DECODES_AS.get(name, value))
    assert var_to_bytes(bytes_to_var(data)) == data


@pytest.mark.parametrize("name", [name for name in VALUES if name not in OBJECTS])
def test_godot_decodes_our_bytes_and_encodes_them_back_identically(printed: dict[tuple[str, str], str],
                                                                   name: str) -> None:
    value, expected = VALUES[name]
    ours = var_to_bytes(value)
    line = printed[("dec", name)]
    assert f"type={ours[0]} " in line + " "
    assert f"hex={ours.hex()} " in line, line


def test_godot_decodes_an_object_id_and_a_signal(printed: dict[tuple[str, str], str]) -> None:
    assert printed[("dec", "D35")].startswith("type=24 object_id=4660 ")
    assert printed[("dec", "D38")].startswith("type=26 signal=pressed/4660 ")
    assert f"hex={var_to_bytes(VALUES['D38'][0]).hex()} " in printed[("dec", "D38")]


