"""Godot 3's 2D compound math types with their GDScript operators and methods: Rect2 and
Transform2D (the 3D ones are in transforms3d.py).

Fields are Godot's (``Rect2.position``, ``Transform2D.origin`` ...) and are type-checked at
construction. ``*`` composes transforms and transforms vectors (``t * v`` is ``t.xform(v)``),
as in GDScript. Pure data and arithmetic: no wire format, no I/O.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, ClassVar, overload

from .vector3 import Vector3
from .vectors import Vector2

__all__ = ["Rect2", "Transform2D", "check_types"]

_ZERO2 = Vector2()
_ZERO3 = Vector3()


@dataclass(frozen=True, slots=True, init=False)
class Rect2:
    """Godot's ``Rect2(position, size)``; ``Rect2(x, y, width, height)`` works too."""

    position: Vector2
    size: Vector2

    @overload
    def __init__(self, position: Vector2 = ..., size: Vector2 = ...) -> None: ...

    @overload
    def __init__(self, position: float, size: float, width: float, height: float) -> None: ...

    def __init__(
        self,
        position: Vector2 | float = _ZERO2,
        size: Vector2 | float = _ZERO2,
        width: float | None = None,
        height: float | None = None,
    ) -> None:
        if width is not None or height is not None:
            if isinstance(position, Vector2) or isinstance(size, Vector2):
                raise TypeError("Rect2(x, y, width, height) takes four numbers")
            position = Vector2(position, size)
            size = Vector2(0.0 if width is None else width, 0.0 if height is None else height)
        elif not isinstance(position, Vector2) or not isinstance(size, Vector2):
            raise TypeError("Rect2 takes (position: Vector2, size: Vector2) or four numbers")
        object.__setattr__(self, "position", position)
        object.__setattr__(self, "size", size)

    @property
    def end(self) -> Vector2:
        """``position + size``, the corner opposite ``position``."""
        return self.position + self.size

    def abs(self) -> Rect2:
        """The same rectangle with a non-negative size (``position`` moved to the top-left
        corner)."""
        return Rect2(Vector2(self.position.x + min(self.size.x, 0),
                             self.position.y + min(self.size.y, 0)), abs(self.size))

    def encloses(self, b: Rect2) -> bool:
        """Whether this rectangle completely contains ``b``."""
        return (b.position.x >= self.position.x and b.position.y >= self.position.y
                and b.end.x <= self.end.x and b.end.y <= self.end.y)

    def expand(self, to: Vector2) -> Rect2:
        """This rectangle grown to include the point ``to``."""
        begin, end = self.position, self.end
        begin = Vector2(min(begin.x, to.x), min(begin.y, to.y))
        end = Vector2(max(end.x, to.x), max(end.y, to.y))
        return Rect2(begin, end - begin)

    def get_area(self) -> float:
        """``size.x * size.y``."""
        return self.size.x * self.size.y

    def get_center(self) -> Vector2:
        """The center point."""
        return self.position + self.size * 0.5

    def grow(self, by: float) -> Rect2:
        """This rectangle grown by ``by`` on every side (negative shrinks it)."""
        return Rect2(self.position - Vector2(by, by), self.size + Vector2(by, by) * 2)

    def has_no_area(self) -> bool:
        """Whether the width or the height is zero or negative."""
        return self.size.x <= 0 or self.size.y <= 0

    def has_point(self, point: Vector2) -> bool:
        """Whether ``point`` is inside (the right and bottom edges excluded, as in Godot)."""
        p, end = self.position, self.end
        return p.x <= point.x < end.x and p.y <= point.y < end.y

    def intersects(self, b: Rect2, include_borders: bool = False) -> bool:
        """Whether the two rectangles overlap (touching edges count with ``include_borders``)."""
        a_end, b_end = self.end, b.end
        if include_borders:
            return not (self.position.x > b_end.x or a_end.x < b.position.x
                        or self.position.y > b_end.y or a_end.y < b.position.y)
        return not (self.position.x >= b_end.x or a_end.x <= b.position.x
                    or self.position.y >= b_end.y or a_end.y <= b.position.y)

    def clip(self, b: Rect2) -> Rect2:
        """The intersection (``Rect2()`` when there is none), Godot 3's ``clip``."""
        if not self.intersects(b):
            return Rect2()
        begin = Vector2(max(self.position.x, b.position.x), max(self.position.y, b.position.y))
        end = Vector2(min(self.end.x, b.end.x), min(self.end.y, b.end.y))
        return Rect2(begin, end - begin)

    intersection = clip  # the Godot 4 name

    def merge(self, b: Rect2) -> Rect2:
        """The smallest rectangle containing both this one and ``b``."""
        begin = Vector2(min(self.position.x, b.position.x), min(self.position.y, b.position.y))
        end = Vector2(max(self.end.x, b.end.x), max(self.end.y, b.end.y))
        return Rect2(begin, end - begin)

    def is_equal_approx(self, rect: Rect2) -> bool:
        """Whether position and size are approximately equal to ``rect``'s."""
        return self.position.is_equal_approx(rect.position) and self.size.is_equal_approx(
            rect.size)


def check_types(obj: Any, fields: tuple[tuple[str, type], ...]) -> None:
    for name, kind in fields:
        value = getattr(obj, name)
        if type(value) is not kind:
            raise TypeError(f"{type(obj).__name__}.{name} must be a {kind.__name__}, not "
                            f"{type(value).__name__} {value!r}")


@dataclass(frozen=True, slots=True, init=False)
class Transform2D:
    """Godot's ``Transform2D(x_axis, y_axis, origin)`` or ``Transform2D(rotation, position)``;
    the default is the identity. ``t * v`` and ``t.xform(v)`` transform a Vector2, ``t1 * t2``
    composes."""

    x: Vector2
    y: Vector2
    origin: Vector2

    IDENTITY: ClassVar[Transform2D]
    FLIP_X: ClassVar[Transform2D]
    FLIP_Y: ClassVar[Transform2D]

    @overload
    def __init__(self, x: Vector2 = ..., y: Vector2 = ..., origin: Vector2 = ...) -> None: ...

    @overload
    def __init__(self, x: float, y: Vector2) -> None: ...

    def __init__(self, x: Vector2 | float = Vector2(1.0, 0.0), y: Vector2 = Vector2(0.0, 1.0),
                 origin: Vector2 = _ZERO2) -> None:
        if not isinstance(x, Vector2):
            if isinstance(x, bool) or not isinstance(x, numbers.Real):
                raise TypeError("Transform2D takes (x, y, origin: Vector2) or "
                                "(rotation: float, position: Vector2)")
            cosine, sine = math.cos(x), math.sin(x)
            x, y, origin = Vector2(cosine, sine), Vector2(-sine, cosine), y
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "origin", origin)
        check_types(self, (("x", Vector2), ("y", Vector2), ("origin", Vector2)))

    @overload
    def __mul__(self, other: Transform2D) -> Transform2D: ...

    @overload
    def __mul__(self, other: Vector2) -> Vector2: ...

    def __mul__(self, other: Transform2D | Vector2) -> Transform2D | Vector2:
        if type(other) is Vector2:
            return self.xform(other)
        if type(other) is Transform2D:
            return Transform2D(self.basis_xform(other.x), self.basis_xform(other.y),
                               self.xform(other.origin))
        return NotImplemented

    def xform(self, v: Vector2) -> Vector2:
        """``v`` transformed (basis, then origin), as ``t * v``."""
        return Vector2(self.x.x * v.x + self.y.x * v.y + self.origin.x,
                       self.x.y * v.x + self.y.y * v.y + self.origin.y)

    def xform_inv(self, v: Vector2) -> Vector2:
        """``v`` transformed by the inverse, assuming an orthonormal basis."""
        d = v - self.origin
        return Vector2(self.x.dot(d), self.y.dot(d))

    def basis_xform(self, v: Vector2) -> Vector2:
        """``v`` transformed by the basis only (no translation)."""
        return Vector2(self.x.x * v.x + self.y.x * v.y, self.x.y * v.x + self.y.y * v.y)

    def basis_xform_inv(self, v: Vector2) -> Vector2:
        """``v`` transformed by the inverse basis only, assuming it is orthonormal."""
        return Vector2(self.x.dot(v), self.y.dot(v))

    def affine_inverse(self) -> Transform2D:
        """The inverse of this transform (any invertible basis, with scale and skew)."""
        det = self.x.x * self.y.y - self.x.y * self.y.x
        if det == 0:
            raise ZeroDivisionError("Transform2D.affine_inverse: the basis is singular")
        inverse = Transform2D(Vector2(self.y.y / det, -self.x.y / det),
                              Vector2(-self.y.x / det, self.x.x / det))
        return Transform2D(inverse.x, inverse.y, inverse.basis_xform(-self.origin))

    def inverse(self) -> Transform2D:
        """The inverse of an orthonormal transform (a transposed basis), as Godot's."""
        t = Transform2D(Vector2(self.x.x, self.y.x), Vector2(self.x.y, self.y.y))
        return Transform2D(t.x, t.y, t.basis_xform(-self.origin))

    def get_origin(self) -> Vector2:
        """The translation part."""
        return self.origin

    def get_rotation(self) -> float:
        """The rotation in radians."""
        return math.atan2(self.x.y, self.x.x)

    def get_scale(self) -> Vector2:
        """The scale of each axis (the y scale negative for a flipped basis)."""
        det = self.x.x * self.y.y - self.x.y * self.y.x
        return Vector2(self.x.length(), math.copysign(1.0, det) * self.y.length())

    def rotated(self, phi: float) -> Transform2D:
        """This transform rotated by ``phi`` radians (about the origin of the parent space)."""
        return Transform2D(phi, Vector2()) * self

    def scaled(self, scale: Vector2) -> Transform2D:
        """This transform scaled by ``scale`` (in the parent space)."""
        return Transform2D(self.x * scale, self.y * scale, self.origin * scale)

    def translated(self, offset: Vector2) -> Transform2D:
        """This transform moved by ``offset`` along its own axes."""
        return Transform2D(self.x, self.y, self.origin + self.basis_xform(offset))

    def is_equal_approx(self, t: Transform2D) -> bool:
        """Whether every component is approximately equal to ``t``'s."""
        return (self.x.is_equal_approx(t.x) and self.y.is_equal_approx(t.y)
                and self.origin.is_equal_approx(t.origin))


Transform2D.IDENTITY = Transform2D()
Transform2D.FLIP_X = Transform2D(Vector2(-1.0, 0.0), Vector2(0.0, 1.0))
Transform2D.FLIP_Y = Transform2D(Vector2(1.0, 0.0), Vector2(0.0, -1.0))
