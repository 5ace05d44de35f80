"""Godot 4's Vector2i/Vector3i/Vector4/Vector4i operators (godot_ws.variant.vectors4), as GDScript 4
computes them: integer division and modulo truncate toward zero (C++), a float operand widens
an integer vector to its float vector, comparisons go component by component."""

from __future__ import annotations

import pytest

from godot_ws.godot4 import Vector2, Vector2i, Vector3, Vector3i, Vector4, Vector4i


def test_integer_vectors_follow_cpp_integer_math() -> None:
    assert Vector2i(7, -7) / 2 == Vector2i(3, -3)  # GDScript 4: Vector2i(3, -3)
    assert Vector2i(7, -7) % 2 == Vector2i(1, -1)
    assert Vector3i(-7, 7, 9) / Vector3i(2, -2, 3) == Vector3i(-3, -3, 3)
    assert Vector2i(1, 2) * 3 == Vector2i(3, 6) and 3 * Vector2i(1, 2) == Vector2i(3, 6)
    assert Vector2i(1, 2) * 1.5 == Vector2(1.5, 3.0)
    assert Vector3i(1, 2, 3) / 2.0 == Vector3(0.5, 1.0, 1.5)
    assert Vector4i(1, 2, 3, 4) * 0.5 == Vector4(0.5, 1.0, 1.5, 2.0)
    with pytest.raises(ZeroDivisionError):
        Vector2i(1, 1) / 0


def test_componentwise_operators_and_methods() -> None:
    a, b = Vector4(1, 2, 3, 4), Vector4(4, 3, 2, 1)
    assert a + b == Vector4(5, 5, 5, 5) and a - b == Vector4(-3, -1, 1, 3)
    assert -a == Vector4(-1, -2, -3, -4) and abs(-a) == a
    assert a.dot(b) == 20 and Vector4(3, 4, 0, 0).length() == 5
    assert a.lerp(b, 0.5) == Vector4(2.5, 2.5, 2.5, 2.5)
    assert Vector4(0, 0, 3, 4).normalized().is_equal_approx(Vector4(0, 0, 0.6, 0.8))
    assert Vector3i(-5, 0, 5).sign() == Vector3i(-1, 0, 1)
    assert Vector2i(5, -5).clamp(Vector2i(0, 0), Vector2i(3, 3)) == Vector2i(3, 0)
    assert Vector3i(1, 9, 4).max_axis_index() == 1 and Vector3i(1, 9, 4).min_axis_index() == 0
    x, y = Vector2i(1, 2)
    assert (x, y) == (1, 2) and Vector4i(1, 2, 3, 4)[3] == 4 and len(Vector4i()) == 4
    assert Vector2i(1, 2) < Vector2i(1, 3) < Vector2i(2, 0)
    assert Vector2i.ZERO == Vector2i() and Vector4.ONE == Vector4(1, 1, 1, 1)
    assert Vector2i(1, 2) != Vector2(1, 2)
    with pytest.raises(TypeError):
        Vector2i(1, 2) + Vector2(1, 2)  # type: ignore[operator]


def test_components_are_checked_at_construction() -> None:
    with pytest.raises(TypeError):
        Vector2i(1.5, 2)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Vector3i(True, 2, 3)
    with pytest.raises(TypeError):
        Vector4("1", 2, 3, 4)  # type: ignore[arg-type]
    assert Vector4(1, 2, 3, 4).x == 1
