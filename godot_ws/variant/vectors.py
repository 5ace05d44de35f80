"""Godot 3's ``Vector2`` with its GDScript operators and methods, and the number helpers the
value types share (``vector3.py`` has ``Vector3``, on the same rules).

Owns the class ``godot_types`` re-exports and its math, written to port GDScript line by
line: ``+ - * /`` and unary ``-`` (componentwise, or with a number), ``==`` (exact, as in
Godot; ``is_equal_approx`` for the approximate test), ``<`` (x first, then y, ...), indexing,
iteration and unpacking (``x, y = v``), and Godot 3.2's methods under Godot 3's names
(``linear_interpolate``, ``clamped``) plus the Godot 4 names people also write (``lerp``,
``limit_length``). Pure data and arithmetic: no wire format, no I/O.

Values are validated at construction: every component must be a real number (a ``bool`` or a
``str`` raises TypeError), so a bad value fails where it is made, not when it is sent.
Dividing by zero raises
ZeroDivisionError (Godot gives inf).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = ["Vector2", "check_reals"]

_EPSILON = 0.00001  # Godot's CMP_EPSILON, used by is_equal_approx and is_normalized


def check_reals(obj: Any, names: tuple[str, ...]) -> None:
    """Validate (and normalise non-builtin reals to float) the named fields of a frozen value."""
    for name in names:
        value = getattr(obj, name)
        kind = type(value)
        if kind is float or kind is int:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"{type(obj).__name__}.{name} must be a number, not {kind.__name__} {value!r}"
            )
        object.__setattr__(obj, name, float(value))


def _approx(a: float, b: float) -> bool:
    """Godot's ``is_equal_approx`` for reals: relative tolerance, absolute near zero."""
    if a == b:
        return True
    tolerance = max(_EPSILON * abs(a), _EPSILON)
    return abs(a - b) < tolerance


def _lerp(a: float, b: float, t: float) -> float:
    return a + (b - a) * t


def _fposmod(x: float, y: float) -> float:
    value = math.fmod(x, y)
    if (value < 0 < y) or (value > 0 > y):
        value += y
    return value


def _stepify(value: float, step: float) -> float:
    return math.floor(value / step + 0.5) * step if step != 0 else value


def _sign(value: float) -> float:
    return 1.0 if value > 0 else -1.0 if value < 0 else 0.0


# --------------------------------------------------------------------------------- Vector2


@dataclass(frozen=True, slots=True, order=True)
class Vector2:
    """Godot's ``Vector2(x, y)`` with its operators and methods (see the module docstring)."""

    x: float = 0.0
    y: float = 0.0

    ZERO: ClassVar[Vector2]
    ONE: ClassVar[Vector2]
    INF: ClassVar[Vector2]
    LEFT: ClassVar[Vector2]
    RIGHT: ClassVar[Vector2]
    UP: ClassVar[Vector2]
    DOWN: ClassVar[Vector2]
    AXIS_X: ClassVar[int] = 0
    AXIS_Y: ClassVar[int] = 1

    def __post_init__(self) -> None:
        x, y = type(self.x), type(self.y)  # the common case without a call
        if (x is not float and x is not int) or (y is not float and y is not int):
            check_reals(self, ("x", "y"))

    # operators
    def __add__(self, other: Vector2) -> Vector2:
        if type(other) is not Vector2:
            return NotImplemented
        return Vector2(self.x + other.x, self.y + other.y)

    def __sub__(self, other: Vector2) -> Vector2:
        if type(other) is not Vector2:
            return NotImplemented
        return Vector2(self.x - other.x, self.y - other.y)

    def __mul__(self, other: Vector2 | float) -> Vector2:
        if type(other) is Vector2:
            return Vector2(self.x * other.x, self.y * other.y)
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Vector2(self.x * other, self.y * other)
        return NotImplemented

    def __rmul__(self, other: float) -> Vector2:
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Vector2(self.x * other, self.y * other)
        return NotImplemented

    def __truediv__(self, other: Vector2 | float) -> Vector2:
        if type(other) is Vector2:
            return Vector2(self.x / other.x, self.y / other.y)
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Vector2(self.x / other, self.y / other)
        return NotImplemented

    def __neg__(self) -> Vector2:
        return Vector2(-self.x, -self.y)

    def __pos__(self) -> Vector2:
        return self

    def __abs__(self) -> Vector2:
        return Vector2(abs(self.x), abs(self.y))

    def __iter__(self) -> Iterator[float]:
        yield self.x
        yield self.y

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int) -> float:
        return (self.x, self.y)[index]

    # methods (Godot 3.2's Vector2)
    def abs(self) -> Vector2:
        """The vector with the absolute value of each component."""
        return Vector2(abs(self.x), abs(self.y))

    def angle(self) -> float:
        """The angle to the positive x axis, in radians (``atan2(y, x)``)."""
        return math.atan2(self.y, self.x)

    def angle_to(self, to: Vector2) -> float:
        """The signed angle to ``to``, in radians."""
        return math.atan2(self.cross(to), self.dot(to))

    def angle_to_point(self, to: Vector2) -> float:
        """Godot 3's meaning: the angle of the line from ``to`` to this point (Godot 4 flips
        it)."""
        return math.atan2(self.y - to.y, self.x - to.x)

    def aspect(self) -> float:
        """The ratio ``x / y``."""
        return self.x / self.y

    def bounce(self, n: Vector2) -> Vector2:
        """The vector bounced off the plane defined by the normal ``n`` (``-reflect(n)``)."""
        return -self.reflect(n)

    def ceil(self) -> Vector2:
        """Each component rounded up."""
        return Vector2(math.ceil(self.x), math.ceil(self.y))

    def clamped(self, length: float) -> Vector2:
        """Godot 3's ``clamped(length)``: this vector, shortened to at most ``length``."""
        current = self.length()
        if current > 0 and length < current:
            return self / current * length
        return self

    limit_length = clamped  # the Godot 4 name

    def clamp(self, min: Vector2, max: Vector2) -> Vector2:  # noqa: A002 (Godot's names)
        """Godot 4's componentwise clamp between ``min`` and ``max``."""
        return Vector2(_clamp(self.x, min.x, max.x), _clamp(self.y, min.y, max.y))

    def cross(self, with_: Vector2) -> float:
        """The 2D cross product with ``with_`` (a scalar: ``x * with_.y - y * with_.x``)."""
        return self.x * with_.y - self.y * with_.x

    def direction_to(self, b: Vector2) -> Vector2:
        """The unit vector pointing from this point to ``b``."""
        return (b - self).normalized()

    def distance_squared_to(self, to: Vector2) -> float:
        """The squared distance to ``to`` (cheaper than ``distance_to``)."""
        return (self.x - to.x) ** 2 + (self.y - to.y) ** 2

    def distance_to(self, to: Vector2) -> float:
        """The distance to ``to``."""
        return math.hypot(self.x - to.x, self.y - to.y)

    def dot(self, with_: Vector2) -> float:
        """The dot product with ``with_``."""
        return self.x * with_.x + self.y * with_.y

    def floor(self) -> Vector2:
        """Each component rounded down."""
        return Vector2(math.floor(self.x), math.floor(self.y))

    def is_equal_approx(self, v: Vector2) -> bool:
        """Whether both components are approximately equal to ``v``'s (Godot's epsilon)."""
        return _approx(self.x, v.x) and _approx(self.y, v.y)

    def is_normalized(self) -> bool:
        """Whether the length is 1 (approximately)."""
        return _approx(self.length_squared(), 1.0)

    def length(self) -> float:
        """The vector's length."""
        return math.hypot(self.x, self.y)

    def length_squared(self) -> float:
        """The squared length (cheaper than ``length``)."""
        return self.x * self.x + self.y * self.y

    def linear_interpolate(self, to: Vector2, weight: float) -> Vector2:
        """The point ``weight`` (0..1) of the way from this one to ``to``."""
        return Vector2(_lerp(self.x, to.x, weight), _lerp(self.y, to.y, weight))

    lerp = linear_interpolate  # the Godot 4 name

    def move_toward(self, to: Vector2, delta: float) -> Vector2:
        """This point moved towards ``to`` by at most ``delta``."""
        v = to - self
        length = v.length()
        return to if length <= delta or length < _EPSILON else self + v / length * delta

    def normalized(self) -> Vector2:
        """A unit vector in the same direction; ``Vector2()`` stays zero (as in Godot)."""
        length = self.length()
        return Vector2(self.x / length, self.y / length) if length else Vector2()

    def posmod(self, mod: float) -> Vector2:
        """Each component modulo ``mod``, never negative (GDScript's ``fposmod``)."""
        return Vector2(_fposmod(self.x, mod), _fposmod(self.y, mod))

    def posmodv(self, modv: Vector2) -> Vector2:
        """Each component modulo the matching component of ``modv``, never negative."""
        return Vector2(_fposmod(self.x, modv.x), _fposmod(self.y, modv.y))

    def project(self, b: Vector2) -> Vector2:
        """The projection of this vector onto ``b``."""
        return b * (self.dot(b) / b.length_squared())

    def reflect(self, n: Vector2) -> Vector2:
        """The vector reflected about the normal ``n`` (Godot 3's formula, ``2 * n * dot(n) -
        self``)."""
        return n * (2.0 * self.dot(n)) - self

    def rotated(self, phi: float) -> Vector2:
        """The vector rotated by ``phi`` radians."""
        sine, cosine = math.sin(phi), math.cos(phi)
        return Vector2(self.x * cosine - self.y * sine, self.x * sine + self.y * cosine)

    def round(self) -> Vector2:
        """Each component rounded to the nearest integer (halves away from zero, as Godot)."""
        return Vector2(_round(self.x), _round(self.y))

    def sign(self) -> Vector2:
        """The sign of each component (-1, 0 or 1)."""
        return Vector2(_sign(self.x), _sign(self.y))

    def slide(self, n: Vector2) -> Vector2:
        """The component of this vector along the plane defined by the normal ``n``."""
        return self - n * self.dot(n)

    def snapped(self, by: Vector2) -> Vector2:
        """Each component rounded to the nearest multiple of ``by``'s (GDScript's ``stepify``)."""
        return Vector2(_stepify(self.x, by.x), _stepify(self.y, by.y))

    def tangent(self) -> Vector2:
        """The vector rotated 90 degrees clockwise (``Vector2(y, -x)``)."""
        return Vector2(self.y, -self.x)


def _clamp(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def _round(value: float) -> float:
    """Godot's ``round``: halves away from zero (Python's ``round`` goes to even)."""
    return float(math.floor(value + 0.5)) if value >= 0 else -float(math.floor(-value + 0.5))


Vector2.ZERO = Vector2(0.0, 0.0)
Vector2.ONE = Vector2(1.0, 1.0)
Vector2.INF = Vector2(math.inf, math.inf)
Vector2.LEFT = Vector2(-1.0, 0.0)
Vector2.RIGHT = Vector2(1.0, 0.0)
Vector2.UP = Vector2(0.0, -1.0)  # y grows downwards in Godot's 2D
Vector2.DOWN = Vector2(0.0, 1.0)
