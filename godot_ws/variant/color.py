"""Godot 3's ``Color`` with its GDScript operators and methods.

Components are reals (0..1 for visible colours), validated at construction like the vectors
(``godot_ws._vectors``). ``Color("ff0000")`` / ``Color("#80ff0000")`` parse the way Godot 3's
``Color(html)`` does (``#RGB``, ``#ARGB``, ``#RRGGBB``, ``#AARRGGBB``: alpha *first*, Godot 3's
order; Godot 4 puts it last); any other string raises ValueError where Godot prints an error
and gives black. Pure data and arithmetic: no wire format, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import overload

from .vectors import _approx, _fposmod, _lerp, check_reals

__all__ = ["Color"]


# --------------------------------------------------------------------------------- Color


def _parse_html(code: str) -> tuple[float, float, float, float]:
    """Godot 3's ``Color::html``: [#]RGB, ARGB, RRGGBB or AARRGGBB (alpha first)."""
    text = code[1:] if code.startswith("#") else code
    if len(text) in (3, 4):
        text = "".join(ch * 2 for ch in text)
    if len(text) not in (6, 8) or not all(ch in "0123456789abcdefABCDEF" for ch in text):
        raise ValueError(f"Invalid color code: {code!r} (Godot 3 takes #RGB, #ARGB, "
                         "#RRGGBB or #AARRGGBB)")
    values = [int(text[i:i + 2], 16) / 255.0 for i in range(0, len(text), 2)]
    if len(values) == 4:
        a, r, g, b = values
        return r, g, b, a
    return values[0], values[1], values[2], 1.0


@dataclass(frozen=True, slots=True, init=False, order=True)
class Color:
    """Godot's ``Color(r, g, b, a=1.0)`` (components 0..1), or ``Color("#ff0000")``."""

    r: float
    g: float
    b: float
    a: float

    @overload
    def __init__(self, r: float = ..., g: float = ..., b: float = ..., a: float = ...) -> None:
        ...

    @overload
    def __init__(self, r: str) -> None: ...

    def __init__(self, r: float | str = 0.0, g: float = 0.0, b: float = 0.0,
                 a: float = 1.0) -> None:
        if isinstance(r, str):
            if (g, b, a) != (0.0, 0.0, 1.0):
                raise TypeError("Color(html) takes only the string (Godot 3's Color(String))")
            r, g, b, a = _parse_html(r)
        object.__setattr__(self, "r", r)
        object.__setattr__(self, "g", g)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "a", a)
        check_reals(self, ("r", "g", "b", "a"))

    @classmethod
    def html(cls, code: str) -> Color:
        """Godot's ``Color.html(code)`` / ``Color(code)``: see the class docstring."""
        return cls(code)

    @classmethod
    def from_hsv(cls, h: float, s: float, v: float, a: float = 1.0) -> Color:
        """Godot's ``Color.from_hsv(h, s, v, alpha)``; h, s, v in 0..1."""
        if s == 0:
            return cls(v, v, v, a)
        h6 = _fposmod(h * 6.0, 6.0)
        i = int(h6)
        f = h6 - i
        p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
        r, g, b = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
        return cls(r, g, b, a)

    def __add__(self, other: Color) -> Color:
        if type(other) is not Color:
            return NotImplemented
        return Color(self.r + other.r, self.g + other.g, self.b + other.b, self.a + other.a)

    def __sub__(self, other: Color) -> Color:
        if type(other) is not Color:
            return NotImplemented
        return Color(self.r - other.r, self.g - other.g, self.b - other.b, self.a - other.a)

    def __mul__(self, other: Color | float) -> Color:
        if type(other) is Color:
            return Color(self.r * other.r, self.g * other.g, self.b * other.b, self.a * other.a)
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Color(self.r * other, self.g * other, self.b * other, self.a * other)
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other: Color | float) -> Color:
        if type(other) is Color:
            return Color(self.r / other.r, self.g / other.g, self.b / other.b, self.a / other.a)
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Color(self.r / other, self.g / other, self.b / other, self.a / other)
        return NotImplemented

    def __neg__(self) -> Color:
        """Godot's unary minus on a Color: ``1 - component`` for all four."""
        return Color(1.0 - self.r, 1.0 - self.g, 1.0 - self.b, 1.0 - self.a)

    def __iter__(self) -> Iterator[float]:
        yield self.r
        yield self.g
        yield self.b
        yield self.a

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> float:
        return (self.r, self.g, self.b, self.a)[index]

    @property
    def r8(self) -> int:
        """The red component as 0-255 (rounded)."""
        return int(round(self.r * 255))

    @property
    def g8(self) -> int:
        """The green component as 0-255 (rounded)."""
        return int(round(self.g * 255))

    @property
    def b8(self) -> int:
        """The blue component as 0-255 (rounded)."""
        return int(round(self.b * 255))

    @property
    def a8(self) -> int:
        """The alpha component as 0-255 (rounded)."""
        return int(round(self.a * 255))

    @property
    def h(self) -> float:
        """The hue, 0..1."""
        return self._hsv()[0]

    @property
    def s(self) -> float:
        """The saturation, 0..1."""
        return self._hsv()[1]

    @property
    def v(self) -> float:
        """The value (brightness): the largest of r, g and b."""
        return max(self.r, self.g, self.b)

    def _hsv(self) -> tuple[float, float, float]:
        high, low = max(self.r, self.g, self.b), min(self.r, self.g, self.b)
        delta = high - low
        if delta == 0:
            return 0.0, 0.0, high
        if self.r == high:
            h = (self.g - self.b) / delta
        elif self.g == high:
            h = 2 + (self.b - self.r) / delta
        else:
            h = 4 + (self.r - self.g) / delta
        return (h / 6.0) % 1.0, delta / high, high

    def blend(self, over: Color) -> Color:
        """This color with ``over`` drawn on top of it (alpha blending)."""
        sa = 1.0 - over.a
        a = self.a * sa + over.a
        if a == 0:
            return Color(0, 0, 0, 0)
        return Color((self.r * self.a * sa + over.r * over.a) / a,
                     (self.g * self.a * sa + over.g * over.a) / a,
                     (self.b * self.a * sa + over.b * over.a) / a, a)

    def contrasted(self) -> Color:
        """The most contrasting color: each of r, g and b moved by half the range (alpha kept)."""
        return Color((self.r + 0.5) % 1.0, (self.g + 0.5) % 1.0, (self.b + 0.5) % 1.0, self.a)

    def darkened(self, amount: float) -> Color:
        """This color darkened by ``amount`` (0..1) towards black."""
        k = 1.0 - amount
        return Color(self.r * k, self.g * k, self.b * k, self.a)

    def lightened(self, amount: float) -> Color:
        """This color lightened by ``amount`` (0..1) towards white."""
        return Color(self.r + (1 - self.r) * amount, self.g + (1 - self.g) * amount,
                     self.b + (1 - self.b) * amount, self.a)

    def gray(self) -> float:
        """The average of r, g and b (Godot 3's ``gray()``)."""
        return (self.r + self.g + self.b) / 3.0

    def inverted(self) -> Color:
        """The inverted color (1 - r, 1 - g, 1 - b; alpha kept)."""
        return Color(1.0 - self.r, 1.0 - self.g, 1.0 - self.b, self.a)

    def is_equal_approx(self, c: Color) -> bool:
        """Whether every component is approximately equal to ``c``'s (Godot's epsilon)."""
        return all(_approx(x, y) for x, y in zip(self, c))

    def linear_interpolate(self, to: Color, weight: float) -> Color:
        """The color ``weight`` (0..1) of the way from this one to ``to``."""
        return Color(*(_lerp(x, y, weight) for x, y in zip(self, to)))

    lerp = linear_interpolate

    def to_html(self, with_alpha: bool = True) -> str:
        """Godot 3's ``to_html``: ``aarrggbb`` (alpha first) or ``rrggbb``, no ``#``."""
        parts = ([self.a8] if with_alpha else []) + [self.r8, self.g8, self.b8]
        return "".join(f"{min(max(p, 0), 255):02x}" for p in parts)

    def to_rgba32(self) -> int:
        """The color as a 32-bit integer, RGBA order (8 bits each)."""
        return (self.r8 << 24 | self.g8 << 16 | self.b8 << 8 | self.a8) & 0xFFFFFFFF

    def to_argb32(self) -> int:
        """The color as a 32-bit integer, ARGB order (8 bits each)."""
        return (self.a8 << 24 | self.r8 << 16 | self.g8 << 8 | self.b8) & 0xFFFFFFFF

    def to_rgb8(self) -> tuple[int, int, int]:
        """(r8, g8, b8) clamped to 0..255: what pygame's drawing functions take."""
        return (min(max(self.r8, 0), 255), min(max(self.g8, 0), 255),
                min(max(self.b8, 0), 255))
