"""Godot 4's componentwise vectors ``Vector2i``, ``Vector3i``, ``Vector4``, ``Vector4i`` with
their GDScript operators and common methods.

Owns these four classes (``godot_types4`` re-exports them). One mixin gives all four the same
operators, as ``_vectors`` gives Vector2/Vector3 theirs: ``+ - *`` and unary ``-``
(componentwise, or with a number), ``/`` and ``%`` (on the integer vectors: truncation toward
zero, as C++ does; with a float operand the result is the float vector, as in Godot 4),
``==`` (exact), ``<`` (x first, then y, ...), indexing, iteration and unpacking. Pure data
and arithmetic: no wire format, no I/O.

Components are validated at construction: ints for the ``*i`` vectors (a float or a bool
raises TypeError; range is checked on the wire), real numbers for Vector4. Dividing by zero
raises ZeroDivisionError (Godot prints an error).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from .vector3 import Vector3
from .vectors import Vector2, _approx, check_reals

__all__ = ["Vector2i", "Vector3i", "Vector4", "Vector4i"]

_V = TypeVar("_V", bound="_Componentwise")


def _check_ints(obj: Any, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(obj, name)
        if type(value) is int:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(
                f"{type(obj).__name__}.{name} must be an int, not {type(value).__name__} {value!r}"
            )
        object.__setattr__(obj, name, int(value))


def _tdiv(a: int, b: int) -> int:
    """C++ integer division: truncates toward zero (Python's // floors)."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Componentwise:
    """Operators shared by the four vectors; ``_FIELDS`` names the components."""

    __slots__ = ()
    _FIELDS: ClassVar[tuple[str, ...]]
    _INTEGER: ClassVar[bool] = False
    _REAL: ClassVar[type]  # the float vector an integer vector widens to (Vector2i -> Vector2)
    ZERO: ClassVar[Any]
    ONE: ClassVar[Any]

    def __post_init__(self) -> None:
        (_check_ints if self._INTEGER else check_reals)(self, self._FIELDS)

    def _comps(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._FIELDS)

    def _map2(self, other: object, op: Any, int_op: Any = None) -> Any:
        cls = type(self)
        mine = self._comps()
        if type(other) is cls:
            theirs = other._comps()
        elif _is_number(other):
            if self._INTEGER and isinstance(other, float):
                return self._REAL(*(op(a, other) for a in mine))
            theirs = (other,) * len(mine)
        else:
            return NotImplemented
        if self._INTEGER and int_op is not None:
            return cls(*(int_op(a, b) for a, b in zip(mine, theirs)))
        return cls(*(op(a, b) for a, b in zip(mine, theirs)))

    def __add__(self: _V, other: _V) -> _V:
        if type(other) is not type(self):
            return NotImplemented
        return type(self)(*(a + b for a, b in zip(self._comps(), other._comps())))

    def __sub__(self: _V, other: _V) -> _V:
        if type(other) is not type(self):
            return NotImplemented
        return type(self)(*(a - b for a, b in zip(self._comps(), other._comps())))

    def __mul__(self, other: object) -> Any:
        return self._map2(other, lambda a, b: a * b)

    def __rmul__(self, other: object) -> Any:
        if not _is_number(other):
            return NotImplemented
        return self._map2(other, lambda a, b: a * b)

    def __truediv__(self, other: object) -> Any:
        return self._map2(other, lambda a, b: a / b, _tdiv)

    def __mod__(self, other: object) -> Any:
        if not self._INTEGER:
            return NotImplemented
        return self._map2(other, math.fmod, lambda a, b: a - b * _tdiv(a, b))

    def __neg__(self: _V) -> _V:
        return type(self)(*(-a for a in self._comps()))

    def __pos__(self: _V) -> _V:
        return self

    def __abs__(self: _V) -> _V:
        return type(self)(*(abs(a) for a in self._comps()))

    def __iter__(self) -> Iterator[Any]:
        return iter(self._comps())

    def __len__(self) -> int:
        return len(self._FIELDS)

    def __getitem__(self, index: int) -> Any:
        return self._comps()[index]

    # methods Godot 4 gives all of them
    def abs(self: _V) -> _V:
        """The vector with the absolute value of each component."""
        return type(self)(*(abs(a) for a in self._comps()))

    def sign(self: _V) -> _V:
        """The sign of each component (-1, 0 or 1)."""
        return type(self)(*((a > 0) - (a < 0) for a in self._comps()))

    def clamp(self: _V, min: _V, max: _V) -> _V:  # noqa: A002 (Godot's names)
        """Each component clamped between ``min``'s and ``max``'s."""
        comps = zip(self._comps(), min._comps(), max._comps())
        return type(self)(*(lo if a < lo else hi if a > hi else a for a, lo, hi in comps))

    def length_squared(self) -> Any:
        """The squared length (an int for integer vectors)."""
        return sum(a * a for a in self._comps())

    def length(self) -> float:
        """The vector's length."""
        return math.sqrt(self.length_squared())

    def min_axis_index(self) -> int:
        """The index of the smallest component (the first on a tie)."""
        comps = self._comps()
        return comps.index(min(comps))

    def max_axis_index(self) -> int:
        """The index of the largest component (the first on a tie)."""
        comps = self._comps()
        return comps.index(max(comps))


@dataclass(frozen=True, slots=True, order=True)
class Vector2i(_Componentwise):
    """Godot 4's ``Vector2i(x, y)``: 32-bit signed ints on the wire."""

    x: int = 0
    y: int = 0

    _FIELDS: ClassVar[tuple[str, ...]] = ("x", "y")
    _INTEGER: ClassVar[bool] = True
    _REAL: ClassVar[type] = Vector2

    def aspect(self) -> float:
        """The ratio ``x / y``, as a float."""
        return self.x / self.y


@dataclass(frozen=True, slots=True, order=True)
class Vector3i(_Componentwise):
    """Godot 4's ``Vector3i(x, y, z)``."""

    x: int = 0
    y: int = 0
    z: int = 0

    _FIELDS: ClassVar[tuple[str, ...]] = ("x", "y", "z")
    _INTEGER: ClassVar[bool] = True
    _REAL: ClassVar[type] = Vector3


@dataclass(frozen=True, slots=True, order=True)
class Vector4(_Componentwise):
    """Godot 4's ``Vector4(x, y, z, w)``."""

    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    w: float = 0.0

    _FIELDS: ClassVar[tuple[str, ...]] = ("x", "y", "z", "w")

    def dot(self, with_: Vector4) -> float:
        """The dot product with ``with_``."""
        return self.x * with_.x + self.y * with_.y + self.z * with_.z + self.w * with_.w

    def is_equal_approx(self, to: Vector4) -> bool:
        """Whether every component is approximately equal to ``to``'s."""
        return all(_approx(a, b) for a, b in zip(self._comps(), to._comps()))

    def normalized(self) -> Vector4:
        """The vector scaled to length 1 (the zero vector stays zero)."""
        length = self.length()
        return self if length == 0 else self / length

    def lerp(self, to: Vector4, weight: float) -> Vector4:
        """The point ``weight`` (0..1) of the way from this one to ``to``."""
        step: Vector4 = (to - self) * weight
        return self + step


@dataclass(frozen=True, slots=True, order=True)
class Vector4i(_Componentwise):
    """Godot 4's ``Vector4i(x, y, z, w)``."""

    x: int = 0
    y: int = 0
    z: int = 0
    w: int = 0

    _FIELDS: ClassVar[tuple[str, ...]] = ("x", "y", "z", "w")
    _INTEGER: ClassVar[bool] = True
    _REAL: ClassVar[type] = Vector4


for _cls in (Vector2i, Vector3i, Vector4, Vector4i):
    _cls.ZERO = _cls()
    _cls.ONE = _cls(*(1,) * len(_cls._FIELDS))
