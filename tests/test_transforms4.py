"""Godot 4's Rect2i, Quaternion, Transform3D and Projection (godot_ws.variant.transforms4): GDScript
4's operators and methods, the same numbers as the Godot 3 classes where Godot 4 kept the
meaning, Godot 4's meaning where it changed (``translated`` is global)."""

from __future__ import annotations

import math

import pytest

from godot_ws.godot4 import (
    Basis,
    Projection,
    Quaternion,
    Rect2i,
    Transform3D,
    Vector2i,
    Vector3,
    Vector4,
)
from godot_ws.variant.types3 import Quat, Transform

HALF = math.sqrt(0.5)
QUARTER_TURN_Z = Quaternion(0, 0, HALF, HALF)  # 90 degrees about +Z


def test_quaternion_matches_godot3_quat_and_rotates() -> None:
    v = QUARTER_TURN_Z * Vector3(1, 0, 0)
    assert v.is_equal_approx(Vector3(0, 1, 0))
    twice = QUARTER_TURN_Z * QUARTER_TURN_Z
    assert type(twice) is Quaternion
    assert (twice * Vector3(1, 0, 0)).is_equal_approx(Vector3(-1, 0, 0))
    q3 = Quat(0, 0, HALF, HALF) * Quat(0, 0, HALF, HALF)
    assert (twice.x, twice.y, twice.z, twice.w) == (q3.x, q3.y, q3.z, q3.w)
    assert (QUARTER_TURN_Z * QUARTER_TURN_Z.inverse()).is_equal_approx(Quaternion.IDENTITY)
    assert Quaternion(0, 0, 0, 2).normalized() == Quaternion()
    assert QUARTER_TURN_Z.is_normalized() and Quaternion(1, 1, 1, 1).length() == 2
    mid = Quaternion().slerp(twice, 0.5)
    assert mid.is_equal_approx(QUARTER_TURN_Z)
    assert 2 * Quaternion(1, 2, 3, 4) == Quaternion(2, 4, 6, 8) == Quaternion(1, 2, 3, 4) * 2
    assert -Quaternion(1, 2, 3, 4) + Quaternion(1, 2, 3, 4) == Quaternion(0, 0, 0, 0)
    with pytest.raises(TypeError):
        Quaternion("x", 0, 0, 1)  # type: ignore[arg-type]


def test_transform3d_composes_and_godot4_translated_is_global() -> None:
    turn = Basis().rotated(Vector3(0, 0, 1), math.pi / 2)
    t = Transform3D(turn, Vector3(1, 2, 3))
    assert (t * Vector3(1, 0, 0)).is_equal_approx(Vector3(1, 3, 3))
    assert (Vector3(1, 3, 3) * t).is_equal_approx(Vector3(1, 0, 0))  # the inverse transform
    assert (t * t.affine_inverse()).is_equal_approx(Transform3D.IDENTITY)
    assert (t.inverse() * t).is_equal_approx(Transform3D.IDENTITY)
    assert t.translated(Vector3(1, 0, 0)).origin == Vector3(2, 2, 3)
    local = t.translated_local(Vector3(1, 0, 0)).origin
    assert local.is_equal_approx(Vector3(1, 3, 3))
    old = Transform(turn, Vector3(1, 2, 3)).translated(Vector3(1, 0, 0)).origin
    assert local == old  # Godot 3's translated is Godot 4's translated_local
    spun = Transform3D().rotated(Vector3(0, 0, 1), math.pi / 2)
    assert (spun * Vector3(1, 0, 0)).is_equal_approx(Vector3(0, 1, 0))
    moved = Transform3D(Basis(), Vector3(1, 0, 0))
    assert moved.rotated(Vector3(0, 0, 1), math.pi / 2).origin.is_equal_approx(Vector3(0, 1, 0))
    assert moved.rotated_local(Vector3(0, 0, 1), math.pi / 2).origin == Vector3(1, 0, 0)
    with pytest.raises(TypeError):
        Transform3D(Basis(), Vector4())  # type: ignore[arg-type]


def test_projection_is_column_major() -> None:
    p = Projection(Vector4(1, 2, 3, 4), Vector4(5, 6, 7, 8), Vector4(9, 10, 11, 12),
                   Vector4(13, 14, 15, 16))
    assert Projection.IDENTITY * Vector4(1, 2, 3, 4) == Vector4(1, 2, 3, 4)
    # Row i of the result is sum_k column_k[i] * v[k].
    assert p * Vector4(1, 0, 0, 1) == Vector4(14, 16, 18, 20)
    assert p * Projection.IDENTITY == p and Projection.IDENTITY * p == p
    assert p.transposed().x == Vector4(1, 5, 9, 13) and p.transposed().transposed() == p
    assert p.determinant() == 0 and Projection.IDENTITY.determinant() == 1
    scale = Projection(Vector4(2, 0, 0, 0), Vector4(0, 3, 0, 0), Vector4(0, 0, 4, 0),
                       Vector4(0, 0, 0, 1))
    assert scale.determinant() == 24 and (scale * scale).x == Vector4(4, 0, 0, 0)


def test_rect2i() -> None:
    r = Rect2i(0, 0, 4, 4)
    assert r.end == Vector2i(4, 4) and r.get_area() == 16 and r.has_area()
    assert r.has_point(Vector2i(3, 3)) and not r.has_point(Vector2i(4, 0))
    assert r.intersection(Rect2i(2, 2, 4, 4)) == Rect2i(2, 2, 2, 2)
    assert r.intersection(Rect2i(9, 9, 1, 1)) == Rect2i()
    assert r.merge(Rect2i(6, 6, 1, 1)) == Rect2i(0, 0, 7, 7)
    assert r.encloses(Rect2i(1, 1, 2, 2)) and not r.encloses(Rect2i(3, 3, 2, 2))
    assert r.grow(1) == Rect2i(-1, -1, 6, 6)
    assert Rect2i(0, 0, 5, 5).get_center() == Vector2i(2, 2)
    assert Rect2i(4, 4, -2, -2).abs() == Rect2i(2, 2, 2, 2)
    assert r.expand(Vector2i(6, -1)) == Rect2i(0, -1, 6, 5)
