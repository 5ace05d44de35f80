"""Godot 3's 3D compound math types with their GDScript operators and methods: Plane, Quat,
AABB, Basis and Transform.

Fields are Godot's (``Transform.basis``, ``AABB.position`` ...) and are type-checked at
construction. ``*`` composes transforms and transforms vectors (``t * v`` is ``t.xform(v)``),
as in GDScript. Pure data and arithmetic: no wire format, no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, overload

from .transforms import check_types
from .vector3 import Vector3
from .vectors import _EPSILON, Vector2, _approx, check_reals

__all__ = ["AABB", "Basis", "Plane", "Quat", "Transform"]

_ZERO2 = Vector2()
_ZERO3 = Vector3()


@dataclass(frozen=True, slots=True, init=False)
class Plane:
    """Godot's ``Plane(normal, d)``; ``Plane(a, b, c, d)`` works too."""

    normal: Vector3
    d: float

    @overload
    def __init__(self, normal: Vector3 = ..., d: float = ...) -> None: ...

    @overload
    def __init__(self, normal: float, d: float, c: float, dist: float) -> None: ...

    def __init__(
        self,
        normal: Vector3 | float = _ZERO3,
        d: float = 0.0,
        c: float | None = None,
        dist: float | None = None,
    ) -> None:
        if c is not None or dist is not None:
            if isinstance(normal, Vector3):
                raise TypeError("Plane(a, b, c, d) takes four numbers")
            normal = Vector3(normal, d, 0.0 if c is None else c)
            d = 0.0 if dist is None else dist
        elif not isinstance(normal, Vector3):
            raise TypeError("Plane takes (normal: Vector3, d) or four numbers")
        object.__setattr__(self, "normal", normal)
        object.__setattr__(self, "d", d)
        check_reals(self, ("d",))

    def __neg__(self) -> Plane:
        return Plane(-self.normal, -self.d)

    def center(self) -> Vector3:
        """The point of the plane closest to the origin (``normal * d``)."""
        return self.normal * self.d

    def distance_to(self, point: Vector3) -> float:
        """The signed distance from the plane to ``point`` (positive on the normal's side)."""
        return self.normal.dot(point) - self.d

    def has_point(self, point: Vector3, epsilon: float = 1e-05) -> bool:
        """Whether ``point`` lies on the plane, within ``epsilon``."""
        return abs(self.distance_to(point)) <= epsilon

    def is_point_over(self, point: Vector3) -> bool:
        """Whether ``point`` is on the side the normal points to."""
        return self.normal.dot(point) > self.d

    def normalized(self) -> Plane:
        """The same plane with a unit-length normal."""
        length = self.normal.length()
        return Plane(self.normal / length, self.d / length) if length else Plane()

    def project(self, point: Vector3) -> Vector3:
        """``point`` projected onto the plane."""
        return point - self.normal * self.distance_to(point)

    def is_equal_approx(self, plane: Plane) -> bool:
        """Whether normal and ``d`` are approximately equal to ``plane``'s."""
        return self.normal.is_equal_approx(plane.normal) and _approx(self.d, plane.d)


@dataclass(frozen=True, slots=True)
class Quat:
    """Godot 3's ``Quat(x, y, z, w)``; the default is the identity rotation. ``q * v`` rotates
    a Vector3, ``q1 * q2`` composes."""

    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    w: float = 1.0

    IDENTITY: ClassVar[Quat]

    def __post_init__(self) -> None:
        check_reals(self, ("x", "y", "z", "w"))

    def __add__(self, q: Quat) -> Quat:
        if type(q) is not Quat:
            return NotImplemented
        return Quat(self.x + q.x, self.y + q.y, self.z + q.z, self.w + q.w)

    def __sub__(self, q: Quat) -> Quat:
        if type(q) is not Quat:
            return NotImplemented
        return Quat(self.x - q.x, self.y - q.y, self.z - q.z, self.w - q.w)

    def __neg__(self) -> Quat:
        return Quat(-self.x, -self.y, -self.z, -self.w)

    @overload
    def __mul__(self, other: Quat | float) -> Quat: ...

    @overload
    def __mul__(self, other: Vector3) -> Vector3: ...

    def __mul__(self, other: Quat | Vector3 | float) -> Quat | Vector3:
        if type(other) is Quat:
            x, y, z, w = self.x, self.y, self.z, self.w
            return Quat(w * other.x + x * other.w + y * other.z - z * other.y,
                        w * other.y + y * other.w + z * other.x - x * other.z,
                        w * other.z + z * other.w + x * other.y - y * other.x,
                        w * other.w - x * other.x - y * other.y - z * other.z)
        if type(other) is Vector3:
            return self.xform(other)
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Quat(self.x * other, self.y * other, self.z * other, self.w * other)
        return NotImplemented

    def __truediv__(self, s: float) -> Quat:
        return Quat(self.x / s, self.y / s, self.z / s, self.w / s)

    def dot(self, q: Quat) -> float:
        """The dot product with ``q``."""
        return self.x * q.x + self.y * q.y + self.z * q.z + self.w * q.w

    def inverse(self) -> Quat:
        """The inverse rotation (the conjugate of a normalized quaternion)."""
        return Quat(-self.x, -self.y, -self.z, self.w)

    def is_equal_approx(self, q: Quat) -> bool:
        """Whether every component is approximately equal to ``q``'s."""
        return all(_approx(a, b) for a, b in zip((self.x, self.y, self.z, self.w),
                                                  (q.x, q.y, q.z, q.w)))

    def is_normalized(self) -> bool:
        """Whether the length is 1 (approximately)."""
        return _approx(self.length_squared(), 1.0)

    def length(self) -> float:
        """The quaternion's length."""
        return math.sqrt(self.length_squared())

    def length_squared(self) -> float:
        """The squared length (cheaper than ``length``)."""
        return self.dot(self)

    def normalized(self) -> Quat:
        """The quaternion scaled to length 1."""
        return self / self.length()

    def slerp(self, to: Quat, weight: float) -> Quat:
        """Spherical interpolation ``weight`` (0..1) of the way to ``to``; both must be
        normalized."""
        cosom = self.dot(to)
        if cosom < 0:
            cosom, to = -cosom, -to
        if 1.0 - cosom > _EPSILON:
            omega = math.acos(cosom)
            sinom = math.sin(omega)
            scale0 = math.sin((1.0 - weight) * omega) / sinom
            scale1 = math.sin(weight * omega) / sinom
        else:
            scale0, scale1 = 1.0 - weight, weight  # very close: linear interpolation
        return self * scale0 + to * scale1

    def xform(self, v: Vector3) -> Vector3:
        """``v`` rotated by this quaternion."""
        u = Vector3(self.x, self.y, self.z)
        uv = u.cross(v)
        return v + uv * (2.0 * self.w) + u.cross(uv) * 2.0


Quat.IDENTITY = Quat()


@dataclass(frozen=True, slots=True)
class AABB:
    """Godot's ``AABB(position, size)``."""

    position: Vector3 = _ZERO3
    size: Vector3 = _ZERO3

    def __post_init__(self) -> None:
        check_types(self, (("position", Vector3), ("size", Vector3)))

    @property
    def end(self) -> Vector3:
        """``position + size``, the corner opposite ``position``."""
        return self.position + self.size

    def abs(self) -> AABB:
        """The same box with a non-negative size."""
        p, s = self.position, self.size
        return AABB(Vector3(p.x + min(s.x, 0), p.y + min(s.y, 0), p.z + min(s.z, 0)), abs(s))

    def encloses(self, b: AABB) -> bool:
        """Whether this box completely contains ``b``."""
        a0, a1, b0, b1 = self.position, self.end, b.position, b.end
        return (a0.x <= b0.x and a1.x > b1.x and a0.y <= b0.y and a1.y > b1.y
                and a0.z <= b0.z and a1.z > b1.z)

    def expand(self, to: Vector3) -> AABB:
        """This box grown to include the point ``to``."""
        begin = Vector3(min(self.position.x, to.x), min(self.position.y, to.y),
                        min(self.position.z, to.z))
        end = Vector3(max(self.end.x, to.x), max(self.end.y, to.y), max(self.end.z, to.z))
        return AABB(begin, end - begin)

    def get_area(self) -> float:
        """The volume (Godot 3's name)."""
        return self.size.x * self.size.y * self.size.z

    def grow(self, by: float) -> AABB:
        """This box grown by ``by`` on every side."""
        return AABB(self.position - Vector3(by, by, by), self.size + Vector3(by, by, by) * 2)

    def has_no_area(self) -> bool:
        """Whether any side is zero or negative (the box has no volume)."""
        return self.size.x <= 0 or self.size.y <= 0 or self.size.z <= 0

    def has_no_surface(self) -> bool:
        """Whether every side is zero (the box is a point)."""
        return self.size.x <= 0 and self.size.y <= 0 and self.size.z <= 0

    def has_point(self, point: Vector3) -> bool:
        """Whether ``point`` is inside."""
        p, e = self.position, self.end
        return p.x <= point.x <= e.x and p.y <= point.y <= e.y and p.z <= point.z <= e.z

    def intersects(self, b: AABB) -> bool:
        """Whether the two boxes overlap."""
        a0, a1, b0, b1 = self.position, self.end, b.position, b.end
        return not (a0.x >= b1.x or a1.x <= b0.x or a0.y >= b1.y or a1.y <= b0.y
                    or a0.z >= b1.z or a1.z <= b0.z)

    def merge(self, b: AABB) -> AABB:
        """The smallest box containing both this one and ``b``."""
        begin = Vector3(min(self.position.x, b.position.x), min(self.position.y, b.position.y),
                        min(self.position.z, b.position.z))
        end = Vector3(max(self.end.x, b.end.x), max(self.end.y, b.end.y),
                      max(self.end.z, b.end.z))
        return AABB(begin, end - begin)

    def is_equal_approx(self, aabb: AABB) -> bool:
        """Whether position and size are approximately equal to ``aabb``'s."""
        return (self.position.is_equal_approx(aabb.position)
                and self.size.is_equal_approx(aabb.size))


@dataclass(frozen=True, slots=True)
class Basis:
    """Godot's ``Basis(x_axis, y_axis, z_axis)``: the axes are the matrix **columns**.

    Godot stores and sends ``elements[row][col]`` (row-major), so
    ``Basis(Vector3(1,2,3), Vector3(4,5,6), Vector3(7,8,9))`` goes on the wire as
    1, 4, 7, 2, 5, 8, 3, 6, 9. The default is the identity. ``b * v`` (``xform``) transforms
    a Vector3, ``b1 * b2`` composes.
    """

    x: Vector3 = Vector3(1.0, 0.0, 0.0)
    y: Vector3 = Vector3(0.0, 1.0, 0.0)
    z: Vector3 = Vector3(0.0, 0.0, 1.0)

    IDENTITY: ClassVar[Basis]

    def __post_init__(self) -> None:
        check_types(self, (("x", Vector3), ("y", Vector3), ("z", Vector3)))

    def rows(self) -> tuple[Vector3, Vector3, Vector3]:
        """The three rows (``elements[0..2]`` in Godot)."""
        x, y, z = self.x, self.y, self.z
        return (Vector3(x.x, y.x, z.x), Vector3(x.y, y.y, z.y), Vector3(x.z, y.z, z.z))

    @overload
    def __mul__(self, other: Basis) -> Basis: ...

    @overload
    def __mul__(self, other: Vector3) -> Vector3: ...

    def __mul__(self, other: Basis | Vector3) -> Basis | Vector3:
        if type(other) is Vector3:
            return self.xform(other)
        if type(other) is Basis:
            return Basis(self.xform(other.x), self.xform(other.y), self.xform(other.z))
        return NotImplemented

    def xform(self, v: Vector3) -> Vector3:
        """``v`` transformed by this basis (``b * v``)."""
        return self.x * v.x + self.y * v.y + self.z * v.z

    def xform_inv(self, v: Vector3) -> Vector3:
        """The transposed basis times ``v`` (the inverse for a rotation)."""
        return Vector3(self.x.dot(v), self.y.dot(v), self.z.dot(v))

    def determinant(self) -> float:
        """The determinant of the 3x3 matrix."""
        return self.x.dot(self.y.cross(self.z))

    def transposed(self) -> Basis:
        """The transposed matrix."""
        return Basis(*self.rows())

    def inverse(self) -> Basis:
        """The inverse matrix."""
        det = self.determinant()
        if det == 0:
            raise ZeroDivisionError("Basis.inverse: the basis is singular")
        rows = (self.y.cross(self.z) / det, self.z.cross(self.x) / det,
                self.x.cross(self.y) / det)
        return Basis(*rows).transposed()

    def get_scale(self) -> Vector3:
        """The scale of each axis."""
        sign = math.copysign(1.0, self.determinant())
        return Vector3(self.x.length(), self.y.length(), self.z.length()) * sign

    def rotated(self, axis: Vector3, phi: float) -> Basis:
        """This basis rotated by ``phi`` radians around the unit vector ``axis``."""
        return Basis(self.x.rotated(axis, phi), self.y.rotated(axis, phi),
                     self.z.rotated(axis, phi))

    def is_equal_approx(self, b: Basis) -> bool:
        """Whether every component is approximately equal to ``b``'s."""
        return (self.x.is_equal_approx(b.x) and self.y.is_equal_approx(b.y)
                and self.z.is_equal_approx(b.z))


Basis.IDENTITY = Basis()


@dataclass(frozen=True, slots=True)
class Transform:
    """Godot 3's ``Transform(basis, origin)``; the default is the identity. ``t * v``
    (``xform``) transforms a Vector3, ``t1 * t2`` composes."""

    basis: Basis = Basis()
    origin: Vector3 = _ZERO3

    IDENTITY: ClassVar[Transform]

    def __post_init__(self) -> None:
        check_types(self, (("basis", Basis), ("origin", Vector3)))

    @overload
    def __mul__(self, other: Transform) -> Transform: ...

    @overload
    def __mul__(self, other: Vector3) -> Vector3: ...

    def __mul__(self, other: Transform | Vector3) -> Transform | Vector3:
        if type(other) is Vector3:
            return self.xform(other)
        if type(other) is Transform:
            return Transform(self.basis * other.basis, self.xform(other.origin))
        return NotImplemented

    def xform(self, v: Vector3) -> Vector3:
        """``v`` transformed (basis, then origin), as ``t * v``."""
        return self.basis.xform(v) + self.origin

    def xform_inv(self, v: Vector3) -> Vector3:
        """``v`` transformed by the inverse, assuming an orthonormal basis."""
        return self.basis.xform_inv(v - self.origin)

    def affine_inverse(self) -> Transform:
        """The inverse of this transform (any invertible basis)."""
        inverse = self.basis.inverse()
        return Transform(inverse, inverse.xform(-self.origin))

    def inverse(self) -> Transform:
        """The inverse of an orthonormal transform (a transposed basis), as Godot's."""
        basis = self.basis.transposed()
        return Transform(basis, basis.xform(-self.origin))

    def translated(self, offset: Vector3) -> Transform:
        """This transform moved by ``offset`` along its own axes."""
        return Transform(self.basis, self.origin + self.basis.xform(offset))

    def rotated(self, axis: Vector3, phi: float) -> Transform:
        """This transform rotated about ``axis`` (a unit vector) by ``phi`` radians."""
        return Transform(self.basis.rotated(axis, phi), self.origin.rotated(axis, phi))

    def is_equal_approx(self, t: Transform) -> bool:
        """Whether basis and origin are approximately equal to ``t``'s."""
        return self.basis.is_equal_approx(t.basis) and self.origin.is_equal_approx(t.origin)


Transform.IDENTITY = Transform()
