"""Tests for the value types' GDScript operators and methods (godot_ws.variant.vectors, _color,
_transforms), checked against Godot 3.2.3 itself where it is installed.

``tests/godot/math_expressions.txt`` holds GDScript expressions that are also valid Python;
Godot compiles and runs them as GDScript (``tests/godot/math_check.gd``) and so does
Python with godot_ws's types, and every result must agree (f32 tolerance).
"""

from __future__ import annotations

import base64
import dataclasses
import math
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import _require_godot
from godot_peer import GODOT_PROJECT, find_godot

import godot_ws
from godot_ws import bytes2var
from godot_ws.variant.types3 import (
    AABB,
    Basis,
    Color,
    Plane,
    Quat,
    Rect2,
    Transform,
    Transform2D,
    Vector2,
    Vector3,
)

EXPRESSIONS = GODOT_PROJECT / "math_expressions.txt"
NAMESPACE: dict[str, Any] = {
    "Vector2": Vector2, "Vector3": Vector3, "Color": Color, "Rect2": Rect2,
    "Transform2D": Transform2D, "Plane": Plane, "Quat": Quat, "AABB": AABB, "Basis": Basis,
    "Transform": Transform, "true": True, "false": False,
}


def python_results(path: Path = EXPRESSIONS) -> list[tuple[str, Any]]:
    """(expression, value) for every expression line, evaluated with godot_ws's types."""
    names = dict(NAMESPACE)
    results = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, expr = line.rpartition(" := ")
        value = eval(expr, {"__builtins__": {}}, names)  # noqa: S307 (our own test data)
        if name:
            names[name] = value
        else:
            results.append((expr, value))
    return results


def close(ours: Any, godots: Any) -> bool:
    """Equal, with f32 tolerance for reals (Godot computes in f32)."""
    if isinstance(godots, bool) or isinstance(ours, bool) or isinstance(godots, str):
        return type(ours) is type(godots) and ours == godots
    if isinstance(godots, (int, float)) and isinstance(ours, (int, float)):
        return math.isclose(ours, godots, rel_tol=2e-5, abs_tol=2e-5)
    if dataclasses.is_dataclass(godots) and type(ours) is type(godots):
        return all(close(getattr(ours, f.name), getattr(godots, f.name))
                   for f in dataclasses.fields(godots))
    return False


def test_every_expression_evaluates_in_python() -> None:
    results = python_results()
    assert len(results) > 150
    assert all(value is not None for _, value in results)


@pytest.mark.godot
def test_operators_and_methods_match_godot_3_2_3() -> None:
    _require_godot()
    binary = find_godot()
    assert binary is not None
    run = subprocess.run([binary, "--path", str(GODOT_PROJECT), "-s", "math_check.gd"],
                         capture_output=True, text=True, timeout=60)
    found = re.search(r"^RESULT (\S+)$", run.stdout, re.M)
    assert found, run.stdout + run.stderr
    godots = bytes2var(base64.b64decode(found.group(1)))
    ours = python_results()
    assert len(godots) == len(ours)
    wrong = [f"{expr}: godot_ws {value!r} != Godot {godot!r}"
             for (expr, value), godot in zip(ours, godots) if not close(value, godot)]
    assert not wrong, "\n".join(wrong)


# ------------------------------------------------------------------ construction checks


@pytest.mark.parametrize(
    "make",
    [
        lambda: Vector2("a", 1),
        lambda: Vector2(None, 1),
        lambda: Vector2(True, 1),
        lambda: Vector3(1, 2, "3"),
        lambda: Color(1, 0, "0"),
        lambda: Color("ff0000", 0.5),
        lambda: Quat(1, 2, 3, [4]),
        lambda: Plane(Vector3(), "d"),
        lambda: Transform2D(Vector2(), (1, 2), Vector2()),
        lambda: Transform2D("x", Vector2()),
        lambda: Basis(Vector3(), Vector2(), Vector3()),
        lambda: Transform(Basis(), Vector2()),
        lambda: AABB(Vector2(), Vector3()),
    ],
)
def test_bad_components_fail_at_construction(make: Any) -> None:
    with pytest.raises(TypeError):
        make()


@pytest.mark.parametrize("code", ["ff000", "zzzzzz", "", "#", "ff0000ff00", "red"])
def test_color_html_rejects_what_godot_rejects(code: str) -> None:
    # Godot prints "Invalid color code" and gives black; a Python port gets the error.
    with pytest.raises(ValueError, match="Invalid color code"):
        Color(code)


def test_color_html_is_godot_3_argb() -> None:
    assert Color("80ff0000") == Color(1.0, 0.0, 0.0, 128 / 255)
    assert Color("#0f0") == Color(0.0, 1.0, 0.0, 1.0) == Color.html("00ff00")
    assert Color(1, 0, 0, 0.5).to_html() == "80ff0000"
    assert Color(0.2, 0.4, 0.6).to_rgb8() == (51, 102, 153)


def test_numeric_subclasses_are_accepted_as_floats() -> None:
    from fractions import Fraction

    v = Vector2(Fraction(1, 2), 3)
    assert v == Vector2(0.5, 3) and type(v.x) is float and type(v.y) is int


def test_vectors_unpack_index_iterate_and_hash() -> None:
    x, y = Vector2(1, 2)
    assert (x, y) == (1, 2) and Vector2(1, 2)[1] == 2 and list(Vector3(1, 2, 3)) == [1, 2, 3]
    r, g, b, a = Color(0.1, 0.2, 0.3)
    assert a == 1.0 and len(Color()) == 4
    assert {Vector2(1, 2): "a"}[Vector2(1.0, 2.0)] == "a"
    assert 2 * Vector2(1, 2) == Vector2(2, 4) and 0.5 * Color(1, 1, 1, 1) == Color(.5, .5, .5, .5)
    assert sorted([Vector2(2, 0), Vector2(1, 5), Vector2(1, 2)])[0] == Vector2(1, 2)
    with pytest.raises(TypeError):
        Vector2() + Vector3()  # type: ignore[operator]
    with pytest.raises(TypeError):
        Vector2() + (1, 2)  # type: ignore[operator]
    with pytest.raises(ZeroDivisionError):
        Vector2(1, 1) / 0


def test_constants_and_godot_4_names() -> None:
    assert Vector2.UP == Vector2(0, -1) and Vector3.FORWARD == Vector3(0, 0, -1)
    assert Vector2(3, 4).limit_length(1) == Vector2(3, 4).clamped(1)
    assert Vector2(1, 1).lerp(Vector2(3, 3), 0.5) == Vector2(2, 2)
    assert Vector2(5, -5).clamp(Vector2(0, 0), Vector2(1, 1)) == Vector2(1, 0)
    assert Transform2D.IDENTITY * Vector2(1, 2) == Vector2(1, 2)
    assert Quat.IDENTITY * Vector3(1, 2, 3) == Vector3(1, 2, 3)


def test_decoded_values_have_the_operators() -> None:
    v = godot_ws.bytes2var(godot_ws.var2bytes([Vector2(3, 4)]))[0]
    assert v.length() == 5.0 and (v - Vector2(3, 4)).length() == 0
