"""Godot 3's ``Vector3`` with its GDScript operators and methods, on the rules of
``vectors.py`` (validated components, exact ``==``, Godot 3's method names, ZeroDivisionError
where Godot gives inf). Pure data and arithmetic: no wire format, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from .vectors import (
    _EPSILON,
    _approx,
    _lerp,
    _round,
    _sign,
    _stepify,
    check_reals,
)

__all__ = ["Vector3"]


@dataclass(frozen=True, slots=True, order=True)
class Vector3:
    """Godot's ``Vector3(x, y, z)`` with its operators and methods."""

    x: float = 0.0
    y: float = 0.0
    z: float = 0.0

    ZERO: ClassVar[Vector3]
    ONE: ClassVar[Vector3]
    INF: ClassVar[Vector3]
    LEFT: ClassVar[Vector3]
    RIGHT: ClassVar[Vector3]
    UP: ClassVar[Vector3]
    DOWN: ClassVar[Vector3]
    FORWARD: ClassVar[Vector3]
    BACK: ClassVar[Vector3]
    AXIS_X: ClassVar[int] = 0
    AXIS_Y: ClassVar[int] = 1
    AXIS_Z: ClassVar[int] = 2

    def __post_init__(self) -> None:
        x, y, z = type(self.x), type(self.y), type(self.z)
        if ((x is not float and x is not int) or (y is not float and y is not int)
                or (z is not float and z is not int)):
            check_reals(self, ("x", "y", "z"))

    def __add__(self, other: Vector3) -> Vector3:
        if type(other) is not Vector3:
            return NotImplemented
        return Vector3(self.x + other.x, self.y + other.y, self.z + other.z)

    def __sub__(self, other: Vector3) -> Vector3:
        if type(other) is not Vector3:
            return NotImplemented
        return Vector3(self.x - other.x, self.y - other.y, self.z - other.z)

    def __mul__(self, other: Vector3 | float) -> Vector3:
        if type(other) is Vector3:
            return Vector3(self.x * other.x, self.y * other.y, self.z * other.z)
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Vector3(self.x * other, self.y * other, self.z * other)
        return NotImplemented

    def __rmul__(self, other: float) -> Vector3:
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Vector3(self.x * other, self.y * other, self.z * other)
        return NotImplemented

    def __truediv__(self, other: Vector3 | float) -> Vector3:
        if type(other) is Vector3:
            return Vector3(self.x / other.x, self.y / other.y, self.z / other.z)
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Vector3(self.x / other, self.y / other, self.z / other)
        return NotImplemented

    def __neg__(self) -> Vector3:
        return Vector3(-self.x, -self.y, -self.z)

    def __pos__(self) -> Vector3:
        return self

    def __abs__(self) -> Vector3:
        return Vector3(abs(self.x), abs(self.y), abs(self.z))

    def __iter__(self) -> Iterator[float]:
        yield self.x
        yield self.y
        yield self.z

    def __len__(self) -> int:
        return 3

    def __getitem__(self, index: int) -> float:
        return (self.x, self.y, self.z)[index]

    def abs(self) -> Vector3:
        """The vector with the absolute value of each component."""
        return abs(self)

    def angle_to(self, to: Vector3) -> float:
        """The unsigned angle to ``to``, in radians."""
        return math.atan2(self.cross(to).length(), self.dot(to))

    def bounce(self, n: Vector3) -> Vector3:
        """The vector bounced off the plane defined by the normal ``n``."""
        return -self.reflect(n)

    def ceil(self) -> Vector3:
        """Each component rounded up."""
        return Vector3(math.ceil(self.x), math.ceil(self.y), math.ceil(self.z))

    def cross(self, b: Vector3) -> Vector3:
        """The cross product with ``b``."""
        return Vector3(self.y * b.z - self.z * b.y, self.z * b.x - self.x * b.z,
                       self.x * b.y - self.y * b.x)

    def direction_to(self, b: Vector3) -> Vector3:
        """The unit vector pointing from this point to ``b``."""
        return (b - self).normalized()

    def distance_squared_to(self, b: Vector3) -> float:
        """The squared distance to ``b`` (cheaper than ``distance_to``)."""
        return (b - self).length_squared()

    def distance_to(self, b: Vector3) -> float:
        """The distance to ``b``."""
        return (b - self).length()

    def dot(self, b: Vector3) -> float:
        """The dot product with ``b``."""
        return self.x * b.x + self.y * b.y + self.z * b.z

    def floor(self) -> Vector3:
        """Each component rounded down."""
        return Vector3(math.floor(self.x), math.floor(self.y), math.floor(self.z))

    def inverse(self) -> Vector3:
        """``1 / x``, ``1 / y``, ``1 / z``."""
        return Vector3(1.0 / self.x, 1.0 / self.y, 1.0 / self.z)

    def is_equal_approx(self, v: Vector3) -> bool:
        """Whether every component is approximately equal to ``v``'s (Godot's epsilon)."""
        return _approx(self.x, v.x) and _approx(self.y, v.y) and _approx(self.z, v.z)

    def is_normalized(self) -> bool:
        """Whether the length is 1 (approximately)."""
        return _approx(self.length_squared(), 1.0)

    def length(self) -> float:
        """The vector's length."""
        return math.sqrt(self.length_squared())

    def length_squared(self) -> float:
        """The squared length (cheaper than ``length``)."""
        return self.x * self.x + self.y * self.y + self.z * self.z

    def linear_interpolate(self, to: Vector3, weight: float) -> Vector3:
        """The point ``weight`` (0..1) of the way from this one to ``to``."""
        return Vector3(_lerp(self.x, to.x, weight), _lerp(self.y, to.y, weight),
                       _lerp(self.z, to.z, weight))

    lerp = linear_interpolate

    def max_axis(self) -> int:
        """The index of the largest component (0 x, 1 y, 2 z)."""
        if self.x >= self.y:
            return 0 if self.x >= self.z else 2
        return 1 if self.y >= self.z else 2

    def min_axis(self) -> int:
        """The index of the smallest component (0 x, 1 y, 2 z)."""
        return (0 if self.x < self.z else 2) if self.x < self.y else (1 if self.y < self.z else 2)

    def move_toward(self, to: Vector3, delta: float) -> Vector3:
        """This point moved towards ``to`` by at most ``delta``."""
        v = to - self
        length = v.length()
        return to if length <= delta or length < _EPSILON else self + v / length * delta

    def normalized(self) -> Vector3:
        """The vector scaled to length 1 (the zero vector stays zero)."""
        length = self.length()
        return self / length if length else Vector3()

    def project(self, b: Vector3) -> Vector3:
        """The projection of this vector onto ``b``."""
        return b * (self.dot(b) / b.length_squared())

    def reflect(self, n: Vector3) -> Vector3:
        """The vector reflected about the normal ``n`` (Godot 3's formula)."""
        return n * (2.0 * self.dot(n)) - self

    def rotated(self, axis: Vector3, phi: float) -> Vector3:
        """Rotated by ``phi`` radians around the unit vector ``axis`` (Rodrigues' formula)."""
        cosine, sine = math.cos(phi), math.sin(phi)
        return (self * cosine + axis.cross(self) * sine
                + axis * (axis.dot(self) * (1.0 - cosine)))

    def round(self) -> Vector3:
        """Each component rounded to the nearest integer (halves away from zero)."""
        return Vector3(_round(self.x), _round(self.y), _round(self.z))

    def sign(self) -> Vector3:
        """The sign of each component (-1, 0 or 1)."""
        return Vector3(_sign(self.x), _sign(self.y), _sign(self.z))

    def slide(self, n: Vector3) -> Vector3:
        """The component of this vector along the plane defined by the normal ``n``."""
        return self - n * self.dot(n)

    def snapped(self, by: Vector3) -> Vector3:
        """Each component rounded to the nearest multiple of ``by``'s."""
        return Vector3(_stepify(self.x, by.x), _stepify(self.y, by.y), _stepify(self.z, by.z))


Vector3.ZERO = Vector3(0.0, 0.0, 0.0)
Vector3.ONE = Vector3(1.0, 1.0, 1.0)
Vector3.INF = Vector3(math.inf, math.inf, math.inf)
Vector3.LEFT = Vector3(-1.0, 0.0, 0.0)
Vector3.RIGHT = Vector3(1.0, 0.0, 0.0)
Vector3.UP = Vector3(0.0, 1.0, 0.0)
Vector3.DOWN = Vector3(0.0, -1.0, 0.0)
Vector3.FORWARD = Vector3(0.0, 0.0, -1.0)
Vector3.BACK = Vector3(0.0, 0.0, 1.0)
