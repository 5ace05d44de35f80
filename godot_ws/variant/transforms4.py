"""Godot 4's compound math types that Godot 3 did not have, or had under another name:
``Rect2i``, ``Quaternion`` (3.x ``Quat``), ``Transform3D`` (3.x ``Transform``), ``Projection``.

Owns these classes (``godot_types4`` re-exports them) with GDScript 4's operators and common
methods. Where Godot 4 computes what Godot 3 did, the math is the 3.x classes' own
(``_transforms``), converted, so both majors give the same numbers; where Godot 4 changed a
meaning, Godot 4's wins (``Transform3D.translated`` is global, ``translated_local`` is 3.x's
``translated``). Fields are type-checked at construction. Pure data and arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, overload

from .transforms import check_types
from .transforms3d import Basis, Quat, Transform
from .vector3 import Vector3
from .vectors import check_reals
from .vectors4 import Vector2i, Vector4

__all__ = ["Projection", "Quaternion", "Rect2i", "Transform3D"]

_ZERO2I = Vector2i()


@dataclass(frozen=True, slots=True, init=False)
class Rect2i:
    """Godot 4's ``Rect2i(position, size)``; ``Rect2i(x, y, width, height)`` works too."""

    position: Vector2i
    size: Vector2i

    @overload
    def __init__(self, position: Vector2i = ..., size: Vector2i = ...) -> None: ...

    @overload
    def __init__(self, position: int, size: int, width: int, height: int) -> None: ...

    def __init__(
        self,
        position: Vector2i | int = _ZERO2I,
        size: Vector2i | int = _ZERO2I,
        width: int | None = None,
        height: int | None = None,
    ) -> None:
        if width is not None or height is not None:
            if isinstance(position, Vector2i) or isinstance(size, Vector2i):
                raise TypeError("Rect2i(x, y, width, height) takes four ints")
            position = Vector2i(position, size)
            size = Vector2i(0 if width is None else width, 0 if height is None else height)
        elif not isinstance(position, Vector2i) or not isinstance(size, Vector2i):
            raise TypeError("Rect2i takes (position: Vector2i, size: Vector2i) or four ints")
        object.__setattr__(self, "position", position)
        object.__setattr__(self, "size", size)

    @property
    def end(self) -> Vector2i:
        """``position + size``, the corner opposite ``position``."""
        return self.position + self.size

    def abs(self) -> Rect2i:
        """The same rectangle with a non-negative size."""
        p, s = self.position, self.size
        return Rect2i(Vector2i(p.x + min(s.x, 0), p.y + min(s.y, 0)), abs(s))

    def encloses(self, b: Rect2i) -> bool:
        """Whether this rectangle completely contains ``b``."""
        return (b.position.x >= self.position.x and b.position.y >= self.position.y
                and b.end.x <= self.end.x and b.end.y <= self.end.y)

    def expand(self, to: Vector2i) -> Rect2i:
        """This rectangle grown to include the point ``to``."""
        begin, end = self.position, self.end
        begin = Vector2i(min(begin.x, to.x), min(begin.y, to.y))
        end = Vector2i(max(end.x, to.x), max(end.y, to.y))
        return Rect2i(begin, end - begin)

    def get_area(self) -> int:
        """``size.x * size.y``."""
        return self.size.x * self.size.y

    def get_center(self) -> Vector2i:
        """The center point, rounded down (integer division)."""
        half: Vector2i = self.size / 2  # integer division, as Godot's
        return self.position + half

    def grow(self, amount: int) -> Rect2i:
        """This rectangle grown by ``amount`` on every side (negative shrinks it)."""
        return Rect2i(self.position - Vector2i(amount, amount),
                      self.size + Vector2i(amount, amount) * 2)

    def has_area(self) -> bool:
        """Whether the width and the height are both positive."""
        return self.size.x > 0 and self.size.y > 0

    def has_point(self, point: Vector2i) -> bool:
        """Whether ``point`` is inside (the right and bottom edges excluded)."""
        p, end = self.position, self.end
        return p.x <= point.x < end.x and p.y <= point.y < end.y

    def intersects(self, b: Rect2i) -> bool:
        """Whether the two rectangles overlap."""
        return not (self.position.x >= b.end.x or self.end.x <= b.position.x
                    or self.position.y >= b.end.y or self.end.y <= b.position.y)

    def intersection(self, b: Rect2i) -> Rect2i:
        """The overlap, or ``Rect2i()`` when there is none."""
        if not self.intersects(b):
            return Rect2i()
        begin = Vector2i(max(self.position.x, b.position.x), max(self.position.y, b.position.y))
        end = Vector2i(min(self.end.x, b.end.x), min(self.end.y, b.end.y))
        return Rect2i(begin, end - begin)

    def merge(self, b: Rect2i) -> Rect2i:
        """The smallest rectangle containing both this one and ``b``."""
        begin = Vector2i(min(self.position.x, b.position.x), min(self.position.y, b.position.y))
        end = Vector2i(max(self.end.x, b.end.x), max(self.end.y, b.end.y))
        return Rect2i(begin, end - begin)


@dataclass(frozen=True, slots=True)
class Quaternion:
    """Godot 4's ``Quaternion(x, y, z, w)`` (3.x's ``Quat``); the default is the identity.
    ``q * v`` rotates a Vector3, ``q1 * q2`` composes."""

    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    w: float = 1.0

    IDENTITY: ClassVar[Quaternion]

    def __post_init__(self) -> None:
        check_reals(self, ("x", "y", "z", "w"))

    def _q3(self) -> Quat:
        return Quat(self.x, self.y, self.z, self.w)

    @staticmethod
    def _from3(q: Quat) -> Quaternion:
        return Quaternion(q.x, q.y, q.z, q.w)

    def __add__(self, q: Quaternion) -> Quaternion:
        if type(q) is not Quaternion:
            return NotImplemented
        return Quaternion(self.x + q.x, self.y + q.y, self.z + q.z, self.w + q.w)

    def __sub__(self, q: Quaternion) -> Quaternion:
        if type(q) is not Quaternion:
            return NotImplemented
        return Quaternion(self.x - q.x, self.y - q.y, self.z - q.z, self.w - q.w)

    def __neg__(self) -> Quaternion:
        return Quaternion(-self.x, -self.y, -self.z, -self.w)

    @overload
    def __mul__(self, other: Quaternion | float) -> Quaternion: ...

    @overload
    def __mul__(self, other: Vector3) -> Vector3: ...

    def __mul__(self, other: Quaternion | Vector3 | float) -> Quaternion | Vector3:
        if type(other) is Quaternion:
            return self._from3(self._q3() * other._q3())
        if type(other) is Vector3:
            return self._q3().xform(other)
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Quaternion(self.x * other, self.y * other, self.z * other, self.w * other)
        return NotImplemented

    def __rmul__(self, other: float) -> Quaternion:
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return self * other
        return NotImplemented

    def __truediv__(self, s: float) -> Quaternion:
        return Quaternion(self.x / s, self.y / s, self.z / s, self.w / s)

    def dot(self, with_: Quaternion) -> float:
        """The dot product with ``with_``."""
        return self._q3().dot(with_._q3())

    def inverse(self) -> Quaternion:
        """The inverse rotation (the conjugate of a normalized quaternion)."""
        return Quaternion(-self.x, -self.y, -self.z, self.w)

    def is_equal_approx(self, to: Quaternion) -> bool:
        """Whether every component is approximately equal to ``to``'s."""
        return self._q3().is_equal_approx(to._q3())

    def is_normalized(self) -> bool:
        """Whether the length is 1 (approximately)."""
        return self._q3().is_normalized()

    def length(self) -> float:
        """The quaternion's length."""
        return self._q3().length()

    def length_squared(self) -> float:
        """The squared length (cheaper than ``length``)."""
        return self._q3().length_squared()

    def normalized(self) -> Quaternion:
        """The quaternion scaled to length 1."""
        return self._from3(self._q3().normalized())

    def slerp(self, to: Quaternion, weight: float) -> Quaternion:
        """Spherical interpolation ``weight`` (0..1) of the way to ``to``; both must be
        normalized."""
        return self._from3(self._q3().slerp(to._q3(), weight))


Quaternion.IDENTITY = Quaternion()


@dataclass(frozen=True, slots=True)
class Transform3D:
    """Godot 4's ``Transform3D(basis, origin)`` (3.x's ``Transform``); the default is the
    identity. ``t * v`` transforms a Vector3, ``v * t`` applies the inverse (Godot 4's
    replacement for ``xform_inv``), ``t1 * t2`` composes."""

    basis: Basis = Basis()
    origin: Vector3 = Vector3()

    IDENTITY: ClassVar[Transform3D]

    def __post_init__(self) -> None:
        check_types(self, (("basis", Basis), ("origin", Vector3)))

    def _t3(self) -> Transform:
        return Transform(self.basis, self.origin)

    @staticmethod
    def _from3(t: Transform) -> Transform3D:
        return Transform3D(t.basis, t.origin)

    @overload
    def __mul__(self, other: Transform3D) -> Transform3D: ...

    @overload
    def __mul__(self, other: Vector3) -> Vector3: ...

    def __mul__(self, other: Transform3D | Vector3) -> Transform3D | Vector3:
        if type(other) is Vector3:
            return self._t3().xform(other)
        if type(other) is Transform3D:
            return self._from3(self._t3() * other._t3())
        return NotImplemented

    def __rmul__(self, other: Vector3) -> Vector3:
        if type(other) is Vector3:
            return self._t3().xform_inv(other)
        return NotImplemented

    def affine_inverse(self) -> Transform3D:
        """The inverse of this transform (any invertible basis)."""
        return self._from3(self._t3().affine_inverse())

    def inverse(self) -> Transform3D:
        """The inverse of an orthonormal transform (a transposed basis), as Godot's."""
        return self._from3(self._t3().inverse())

    def translated(self, offset: Vector3) -> Transform3D:
        """Godot 4: translated in the parent's frame (3.x's ``translated`` is local)."""
        return Transform3D(self.basis, self.origin + offset)

    def translated_local(self, offset: Vector3) -> Transform3D:
        """This transform moved by ``offset`` along its own axes."""
        return self._from3(self._t3().translated(offset))

    def rotated(self, axis: Vector3, angle: float) -> Transform3D:
        """This transform rotated about ``axis`` (a unit vector) by ``angle`` radians, in the parent
        space."""
        return self._from3(self._t3().rotated(axis, angle))

    def rotated_local(self, axis: Vector3, angle: float) -> Transform3D:
        """This transform rotated about ``axis`` (a unit vector) by ``angle`` radians, in its own
        space."""
        return Transform3D(self.basis * Basis().rotated(axis, angle), self.origin)

    def is_equal_approx(self, xform: Transform3D) -> bool:
        """Whether basis and origin are approximately equal to ``xform``'s."""
        return self._t3().is_equal_approx(xform._t3())


Transform3D.IDENTITY = Transform3D()


@dataclass(frozen=True, slots=True)
class Projection:
    """Godot 4's ``Projection(x, y, z, w)``: a 4x4 matrix given by its four **columns**.

    Sent column by column (x.x, x.y, x.z, x.w, y.x, ...). The default is the identity.
    ``p * v`` transforms a Vector4, ``p1 * p2`` composes.
    """

    x: Vector4 = Vector4(1.0, 0.0, 0.0, 0.0)
    y: Vector4 = Vector4(0.0, 1.0, 0.0, 0.0)
    z: Vector4 = Vector4(0.0, 0.0, 1.0, 0.0)
    w: Vector4 = Vector4(0.0, 0.0, 0.0, 1.0)

    IDENTITY: ClassVar[Projection]
    ZERO: ClassVar[Projection]

    def __post_init__(self) -> None:
        check_types(self, (("x", Vector4), ("y", Vector4), ("z", Vector4), ("w", Vector4)))

    @overload
    def __mul__(self, other: Projection) -> Projection: ...

    @overload
    def __mul__(self, other: Vector4) -> Vector4: ...

    def __mul__(self, other: Projection | Vector4) -> Projection | Vector4:
        if type(other) is Vector4:
            parts: list[Vector4] = [col * k for col, k in zip(self[:], other)]
            return parts[0] + parts[1] + parts[2] + parts[3]
        if type(other) is Projection:
            return Projection(self * other.x, self * other.y, self * other.z, self * other.w)
        return NotImplemented

    def transposed(self) -> Projection:
        """The transposed 4x4 matrix."""
        cols = (self.x, self.y, self.z, self.w)
        return Projection(*(Vector4(*(col[i] for col in cols)) for i in range(4)))

    def determinant(self) -> float:
        """The determinant of the 4x4 matrix."""
        m = [list(col) for col in (self.x, self.y, self.z, self.w)]
        return _det4(m)

    @overload
    def __getitem__(self, index: int) -> Vector4: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Vector4, ...]: ...

    def __getitem__(self, index: int | slice) -> Vector4 | tuple[Vector4, ...]:
        return (self.x, self.y, self.z, self.w)[index]


def _det4(m: list[list[Any]]) -> float:
    """Laplace expansion along the first column; 4x4 only, so the cost does not matter."""

    def det3(a: list[list[Any]]) -> Any:
        return (a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
                - a[1][0] * (a[0][1] * a[2][2] - a[0][2] * a[2][1])
                + a[2][0] * (a[0][1] * a[1][2] - a[0][2] * a[1][1]))

    total = 0.0
    for row in range(4):
        minor = [[m[c][r] for r in range(4) if r != row] for c in range(1, 4)]
        total += (-1) ** row * m[0][row] * det3(minor)
    return total


Projection.IDENTITY = Projection()
Projection.ZERO = Projection(Vector4(), Vector4(), Vector4(), Vector4())
