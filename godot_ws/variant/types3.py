"""Python value types named after Godot 3's built-in Variant types.

Owns: the public home of the immutable value classes that ``variant.py`` encodes and decodes
(Vector2 ... Color, NodePath, RID, EncodedObjectAsID, GodotObject and the Pool*Array wrappers)
and Godot 3's ``VariantType`` ids. The math types and their GDScript operators and methods
live in ``_vectors.py`` (Vector2, Vector3), ``_color.py`` (Color) and ``_transforms.py``
(Rect2, Transform2D, Plane, Quat, AABB, Basis, Transform); they are re-exported here. Pure
data: no wire format, no I/O, no imports from the rest of the package.

Field names are Godot's (``Rect2.position``, ``Plane.normal``, ``Transform.basis`` ...).
Components are kept as given (Python floats or ints; anything else that is not a real number
raises TypeError at construction); rounding to f32 happens only on the
wire, so a decoded value holds the f32 value as a Python float. Every class is frozen and
compares by value. ``PoolByteArray`` is simply ``bytes``; the other pool arrays are tuple
subclasses that compare equal only to the same pool type, so a decoded ``PoolIntArray`` is
never mistaken for an ``Array`` of ints.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Generic, TypeVar

from .color import Color
from .transforms import Rect2, Transform2D
from .transforms3d import AABB, Basis, Plane, Quat, Transform
from .vector3 import Vector3
from .vectors import Vector2

__all__ = [
    "AABB",
    "RID",
    "Basis",
    "Color",
    "EncodedObjectAsID",
    "GodotObject",
    "NodePath",
    "Plane",
    "PoolByteArray",
    "PoolColorArray",
    "PoolIntArray",
    "PoolRealArray",
    "PoolStringArray",
    "PoolVector2Array",
    "PoolVector3Array",
    "Quat",
    "Rect2",
    "Transform",
    "Transform2D",
    "VariantType",
    "Vector2",
    "Vector3",
]


class VariantType(IntEnum):
    """Godot 3's Variant type ids, as on the wire (@GlobalScope ``TYPE_*``; marshalls.cpp)."""

    TYPE_NIL = 0
    TYPE_BOOL = 1
    TYPE_INT = 2
    TYPE_REAL = 3
    TYPE_STRING = 4
    TYPE_VECTOR2 = 5
    TYPE_RECT2 = 6
    TYPE_VECTOR3 = 7
    TYPE_TRANSFORM2D = 8
    TYPE_PLANE = 9
    TYPE_QUAT = 10
    TYPE_AABB = 11
    TYPE_BASIS = 12
    TYPE_TRANSFORM = 13
    TYPE_COLOR = 14
    TYPE_NODE_PATH = 15
    TYPE_RID = 16
    TYPE_OBJECT = 17
    TYPE_DICTIONARY = 18
    TYPE_ARRAY = 19
    TYPE_RAW_ARRAY = 20  # PoolByteArray
    TYPE_INT_ARRAY = 21
    TYPE_REAL_ARRAY = 22
    TYPE_STRING_ARRAY = 23
    TYPE_VECTOR2_ARRAY = 24
    TYPE_VECTOR3_ARRAY = 25
    TYPE_COLOR_ARRAY = 26
    TYPE_MAX = 27


@dataclass(frozen=True, slots=True, init=False, repr=False)
class NodePath:
    """Godot's ``NodePath``, parsed from a string the way Godot 3's constructor does.

    ``NodePath("/root/x")`` has names ``("root", "x")`` and is absolute; ``NodePath("a/b:c")``
    has names ``("a", "b")`` and subnames ``("c",)``. Empty segments between slashes are
    skipped and a trailing ``:`` is allowed, as in Godot. An empty subname in the middle
    (``"a::b"``) makes Godot print an error and give an empty path; here it raises ValueError.
    """

    names: tuple[str, ...]
    subnames: tuple[str, ...]
    absolute: bool

    def __init__(self, path: str = "") -> None:
        if not isinstance(path, str):
            raise TypeError(f"NodePath() takes a str, not {type(path).__name__}")
        absolute = path.startswith("/")
        names: tuple[str, ...] = ()
        subnames: list[str] = []
        colon = path.find(":")
        if colon != -1:
            parts = path[colon + 1 :].split(":")
            if parts[-1] == "":
                parts.pop()  # Godot allows one end-of-path ':'
            if "" in parts:
                raise ValueError(f"Invalid NodePath: {path!r}")
            subnames = parts
            path = path[:colon]
        names = tuple(part for part in path.split("/") if part)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "subnames", tuple(subnames))
        object.__setattr__(self, "absolute", absolute)

    @classmethod
    def from_parts(
        cls, names: Iterable[str], subnames: Iterable[str] = (), absolute: bool = False
    ) -> NodePath:
        """Build from parts, like Godot's ``NodePath(names, subnames, absolute)``.

        As in Godot, no names and no subnames give the empty path (``absolute`` is dropped).
        """
        self = cls.__new__(cls)
        n, s = tuple(names), tuple(subnames)
        if not all(isinstance(part, str) for part in n + s):
            raise TypeError("NodePath names and subnames must be str")
        object.__setattr__(self, "names", n)
        object.__setattr__(self, "subnames", s)
        object.__setattr__(self, "absolute", bool(absolute) and bool(n or s))
        return self

    def __str__(self) -> str:
        text = ("/" if self.absolute else "") + "/".join(self.names)
        return text + "".join(":" + sub for sub in self.subnames)

    def __repr__(self) -> str:
        return f"NodePath({str(self)!r})"

    def is_absolute(self) -> bool:
        """Whether the path starts with ``/``."""
        return self.absolute

    def is_empty(self) -> bool:
        """Whether the path has no names and no subnames."""
        return not (self.names or self.subnames or self.absolute)

    def get_name_count(self) -> int:
        """How many node names the path has (``/root/Main`` has 2)."""
        return len(self.names)

    def get_name(self, idx: int) -> str:
        """The node name at index ``idx``."""
        return self.names[idx]

    def get_subname_count(self) -> int:
        """How many property subnames (after ``:``) the path has."""
        return len(self.subnames)

    def get_subname(self, idx: int) -> str:
        """The property subname at index ``idx``."""
        return self.subnames[idx]

    def get_concatenated_subnames(self) -> str:
        """The subnames joined with ``:`` (``"position:x"``)."""
        return ":".join(self.subnames)


@dataclass(frozen=True, slots=True)
class RID:
    """Godot 3's ``RID``: it travels with no payload, so every decoded RID is empty."""


@dataclass(frozen=True, slots=True)
class EncodedObjectAsID:
    """An Object sent by instance id (``full_objects=false``); Godot's class of that name.

    Always encodes as an id, whatever ``full_objects`` says. Id 0 decodes as ``None``.
    """

    object_id: int

    def get_object_id(self) -> int:
        """The instance id of the object it stands for."""
        return self.object_id


@dataclass(frozen=True, slots=True)
class GodotObject:
    """A whole Object as sent with ``full_objects=true``: its class and stored properties.

    Not hashable (``properties`` is a dict). Godot instantiates ``class_name`` on decode and
    fails with ERR_UNAVAILABLE for an unknown class; here any class name is accepted.
    """

    class_name: str
    properties: dict[str, Any] = field(default_factory=dict)


PoolByteArray = bytes
"""Godot's ``PoolByteArray`` is Python's ``bytes`` (``PoolByteArray([1, 2, 3])`` works)."""

_T = TypeVar("_T")


class _PoolArray(tuple[_T, ...], Generic[_T]):
    """An immutable typed array: equal only to the same pool type with equal items."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return tuple.__hash__(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}([{', '.join(map(repr, self))}])"


class PoolIntArray(_PoolArray[int]):
    """Godot's ``PoolIntArray``: 32-bit signed ints."""

    __slots__ = ()


class PoolRealArray(_PoolArray[float]):
    """Godot's ``PoolRealArray``: floats sent as f32."""

    __slots__ = ()


class PoolStringArray(_PoolArray[str]):
    """Godot's ``PoolStringArray``."""

    __slots__ = ()


class PoolVector2Array(_PoolArray[Vector2]):
    """Godot's ``PoolVector2Array``."""

    __slots__ = ()


class PoolVector3Array(_PoolArray[Vector3]):
    """Godot's ``PoolVector3Array``."""

    __slots__ = ()


class PoolColorArray(_PoolArray[Color]):
    """Godot's ``PoolColorArray``."""

    __slots__ = ()
