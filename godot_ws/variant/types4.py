"""Python value types for Godot 4's built-in Variant types that Godot 3 did not have.

Owns: Godot 4's ``VariantType`` ids (FACTS4 1.1), ``StringName``, Godot 4's ``RID`` (it carries
an id), ``Callable``, the ``Signal`` value, typed ``Array`` / ``Dictionary`` and the
``Packed*Array`` wrappers. Pure data like ``godot_types`` (whose classes Godot 4 kept:
Vector2, Vector3, Color, Rect2, Plane, AABB, Basis, Transform2D, NodePath,
EncodedObjectAsID, GodotObject are reused as they are) and re-exports the integer and 4D
vectors (``_vectors4``) and ``Rect2i``, ``Quaternion``, ``Transform3D``, ``Projection``
(``_transforms4``) with their operators. No wire format, no I/O.

Same conventions as ``godot_types``: frozen dataclasses with Godot's field names, compared
by value; ``PackedByteArray`` is ``bytes``; the other packed arrays are tuple subclasses
equal only to the same packed type. Untyped Arrays and Dictionaries are plain ``list`` and
``dict``; ``Array`` and ``Dictionary`` here are the typed ones (``Array[int]``), a ``list``
and a ``dict`` that also carry their element types.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from .transforms4 import Projection, Quaternion, Rect2i, Transform3D
from .vectors4 import Vector2i, Vector3i, Vector4, Vector4i
from .types3 import _PoolArray

__all__ = [
    "RID",
    "Array",
    "Callable",
    "Dictionary",
    "PackedByteArray",
    "PackedColorArray",
    "PackedFloat32Array",
    "PackedFloat64Array",
    "PackedInt32Array",
    "PackedInt64Array",
    "PackedStringArray",
    "PackedVector2Array",
    "PackedVector3Array",
    "PackedVector4Array",
    "Projection",
    "Quaternion",
    "Rect2i",
    "Signal",
    "StringName",
    "Transform3D",
    "VariantType",
    "Vector2i",
    "Vector3i",
    "Vector4",
    "Vector4i",
]


class VariantType(IntEnum):
    """Godot 4's ``Variant.Type`` ids as on the wire (core/variant/variant.h; 4.3+)."""

    TYPE_NIL = 0
    TYPE_BOOL = 1
    TYPE_INT = 2
    TYPE_FLOAT = 3
    TYPE_STRING = 4
    TYPE_VECTOR2 = 5
    TYPE_VECTOR2I = 6
    TYPE_RECT2 = 7
    TYPE_RECT2I = 8
    TYPE_VECTOR3 = 9
    TYPE_VECTOR3I = 10
    TYPE_TRANSFORM2D = 11
    TYPE_VECTOR4 = 12
    TYPE_VECTOR4I = 13
    TYPE_PLANE = 14
    TYPE_QUATERNION = 15
    TYPE_AABB = 16
    TYPE_BASIS = 17
    TYPE_TRANSFORM3D = 18
    TYPE_PROJECTION = 19
    TYPE_COLOR = 20
    TYPE_STRING_NAME = 21
    TYPE_NODE_PATH = 22
    TYPE_RID = 23
    TYPE_OBJECT = 24
    TYPE_CALLABLE = 25
    TYPE_SIGNAL = 26
    TYPE_DICTIONARY = 27
    TYPE_ARRAY = 28
    TYPE_PACKED_BYTE_ARRAY = 29
    TYPE_PACKED_INT32_ARRAY = 30
    TYPE_PACKED_INT64_ARRAY = 31
    TYPE_PACKED_FLOAT32_ARRAY = 32
    TYPE_PACKED_FLOAT64_ARRAY = 33
    TYPE_PACKED_STRING_ARRAY = 34
    TYPE_PACKED_VECTOR2_ARRAY = 35
    TYPE_PACKED_VECTOR3_ARRAY = 36
    TYPE_PACKED_COLOR_ARRAY = 37
    TYPE_PACKED_VECTOR4_ARRAY = 38  # 4.3+; 4.0-4.2 stop at 37
    TYPE_MAX = 39


class StringName(str):
    """Godot 4's ``StringName`` (``&"name"``): a ``str`` that goes on the wire as type 21.

    Compares equal to the same ``str``, as ``&"a" == "a"`` does in GDScript, so a decoded
    Dictionary holding both ``"a"`` and ``&"a"`` as keys keeps only the last one.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"StringName({str.__repr__(self)})"


@dataclass(frozen=True, slots=True)
class RID:
    """Godot 4's ``RID``: unlike 3.x it travels with its 64-bit id (``rid_from_int64``)."""

    id: int = 0

    def get_id(self) -> int:
        """The resource id (0 for an invalid RID)."""
        return self.id

    def is_valid(self) -> bool:
        """Whether the id is not 0."""
        return self.id != 0


@dataclass(frozen=True, slots=True)
class Callable:
    """Godot 4's ``Callable`` as the wire has it: Godot sends no payload, so every decoded
    Callable is the empty one, and any Callable encodes as just its header."""


@dataclass(frozen=True, slots=True)
class Signal:
    """Godot 4's ``Signal`` value: an object id and a signal name, as Godot sends it.

    A value for ``var_to_bytes``; it is not the emitter ``godot_ws.Signal`` (``connect``/
    ``emit``) that the networking classes' signals are. To port GDScript's ``signal
    player_connected(...)``, declare ``player_connected = signal()`` in the class
    (``godot_ws.godot4.signal``).
    """

    object_id: int = 0
    name: str = ""

    def get_object_id(self) -> int:
        """The instance id of the object the signal belongs to."""
        return self.object_id

    def get_name(self) -> str:
        """The signal's name."""
        return self.name

    def is_null(self) -> bool:
        """Whether the signal names no object and no signal (how Godot sends an unset one)."""
        return self.object_id == 0 and not self.name


# ---------------------------------------------------------------- typed containers

_OBJECT = VariantType.TYPE_OBJECT
ContainerType = tuple[int, str, "str | None"]
"""(builtin Variant type, class name, script path): Godot's ContainerType; NIL = untyped."""
UNTYPED: ContainerType = (VariantType.TYPE_NIL, "", None)


def container_type(builtin: int, class_name: str = "", script: str | None = None) -> ContainerType:
    """Check a typed container's element type the way Godot's ``set_typed`` does."""
    if not isinstance(builtin, int) or not 0 <= builtin < VariantType.TYPE_MAX:
        raise ValueError(f"not a Godot 4 Variant type: {builtin!r}")
    if not isinstance(class_name, str):
        raise TypeError(f"class_name must be a str, not {type(class_name).__name__}")
    if script is not None and not isinstance(script, str):
        raise TypeError("script is a res:// path (str) or None")
    if builtin == _OBJECT:
        if not class_name and not script:
            raise ValueError("an Object-typed container needs a class_name (e.g. 'Node') or script")
    elif class_name or script:
        raise ValueError("only TYPE_OBJECT containers take a class_name or script")
    return (VariantType(builtin), class_name, script or None)


def _type_args(element: ContainerType) -> str:
    """``, TYPE_X[, 'Class'[, 'res://script']]`` as Godot's constructors take them."""
    builtin, class_name, script = element
    if builtin == VariantType.TYPE_NIL:
        return ""
    text = f", {VariantType(builtin).name}"
    if class_name or script:
        text += f", {class_name!r}"
    if script:
        text += f", {script!r}"
    return text


class Array(list[Any]):
    """Godot 4's typed ``Array[T]``: ``Array(base, type, class_name, script)`` as in GDScript.

    ``Array([1, 2], TYPE_INT)`` is ``Array[int]([1, 2])``; ``Array([], TYPE_OBJECT, "Node")``
    is ``Array[Node]()``; ``script`` is the script's ``res://`` path. A plain ``list`` is the
    untyped Array. Items are not checked against the type (Godot converts or drops wrong
    ones on ``push_back``; decoding keeps them, so nothing is lost).
    """

    __slots__ = ("_element",)

    def __init__(
        self,
        base: Iterable[Any] = (),
        type: int = VariantType.TYPE_NIL,  # noqa: A002 - Godot's parameter name
        class_name: str = "",
        script: str | None = None,
    ) -> None:
        super().__init__(base)
        self._element = container_type(type, class_name, script)

    @classmethod
    def _typed(cls, element: ContainerType) -> Array:
        """An empty Array of a type the decoder read (not re-validated)."""
        self = cls.__new__(cls)
        self._element = element
        return self

    def is_typed(self) -> bool:
        """Whether the array is typed (``Array[int]``, ``Array[Node]``...)."""
        return self._element[0] != VariantType.TYPE_NIL

    def get_typed_builtin(self) -> int:
        """The element type (a ``TYPE_*`` value; ``TYPE_NIL`` when untyped)."""
        return self._element[0]

    def get_typed_class_name(self) -> str:
        """The element class name for an object-typed array ("" otherwise)."""
        return self._element[1]

    def get_typed_script(self) -> str | None:
        """The element script's path for a script-typed array, or None."""
        return self._element[2]

    def is_same_typed(self, other: object) -> bool:
        """Whether ``other`` has the same element type (an untyped list counts as untyped)."""
        return self._element == (other._element if isinstance(other, Array) else UNTYPED)

    def __repr__(self) -> str:
        return f"Array({list.__repr__(self)}{_type_args(self._element)})"


class Dictionary(dict[Any, Any]):
    """Godot 4.4's typed ``Dictionary[K, V]``, built as GDScript does:
    ``Dictionary(base, key_type, key_class_name, key_script, value_type, value_class_name,
    value_script)``. ``Dictionary({"a": 1}, TYPE_STRING, "", None, TYPE_INT, "", None)``
    is ``Dictionary[String, int]``. A plain ``dict`` is the untyped Dictionary.
    """

    __slots__ = ("_key", "_value")

    def __init__(
        self,
        base: Mapping[Any, Any] | Iterable[tuple[Any, Any]] = (),
        key_type: int = VariantType.TYPE_NIL,
        key_class_name: str = "",
        key_script: str | None = None,
        value_type: int = VariantType.TYPE_NIL,
        value_class_name: str = "",
        value_script: str | None = None,
    ) -> None:
        super().__init__(base)
        self._key = container_type(key_type, key_class_name, key_script)
        self._value = container_type(value_type, value_class_name, value_script)

    @classmethod
    def _typed(cls, key: ContainerType, value: ContainerType) -> Dictionary:
        self = cls.__new__(cls)
        self._key, self._value = key, value
        return self

    def is_typed(self) -> bool:
        """Whether the keys or the values are typed."""
        return self.is_typed_key() or self.is_typed_value()

    def is_typed_key(self) -> bool:
        """Whether the keys are typed."""
        return self._key[0] != VariantType.TYPE_NIL

    def is_typed_value(self) -> bool:
        """Whether the values are typed."""
        return self._value[0] != VariantType.TYPE_NIL

    def get_typed_key_builtin(self) -> int:
        """The key type (a ``TYPE_*`` value; ``TYPE_NIL`` when untyped)."""
        return self._key[0]

    def get_typed_key_class_name(self) -> str:
        """The key class name for object-typed keys ("" otherwise)."""
        return self._key[1]

    def get_typed_key_script(self) -> str | None:
        """The key script's path for script-typed keys, or None."""
        return self._key[2]

    def get_typed_value_builtin(self) -> int:
        """The value type (a ``TYPE_*`` value; ``TYPE_NIL`` when untyped)."""
        return self._value[0]

    def get_typed_value_class_name(self) -> str:
        """The value class name for object-typed values ("" otherwise)."""
        return self._value[1]

    def get_typed_value_script(self) -> str | None:
        """The value script's path for script-typed values, or None."""
        return self._value[2]

    def is_same_typed(self, other: object) -> bool:
        """Whether ``other`` has the same key and value types (a plain dict counts as untyped)."""
        if isinstance(other, Dictionary):
            return (self._key, self._value) == (other._key, other._value)
        return (self._key, self._value) == (UNTYPED, UNTYPED)

    def __repr__(self) -> str:
        args = _type_args(self._key)
        if self.is_typed_value():  # the key's three arguments, then the value's
            builtin, class_name, script = self._key
            args = f", {VariantType(builtin).name}, {class_name!r}, {script!r}"
            args += _type_args(self._value)
        return f"Dictionary({dict.__repr__(self)}{args})"


# ---------------------------------------------------------------- packed arrays

PackedByteArray = bytes
"""Godot 4's ``PackedByteArray`` is Python's ``bytes``."""


class PackedInt32Array(_PoolArray[int]):
    """Godot 4's ``PackedInt32Array``."""

    __slots__ = ()


class PackedInt64Array(_PoolArray[int]):
    """Godot 4's ``PackedInt64Array``."""

    __slots__ = ()


class PackedFloat32Array(_PoolArray[float]):
    """Godot 4's ``PackedFloat32Array`` (items sent as f32)."""

    __slots__ = ()


class PackedFloat64Array(_PoolArray[float]):
    """Godot 4's ``PackedFloat64Array`` (items sent as f64)."""

    __slots__ = ()


class PackedStringArray(_PoolArray[str]):
    """Godot 4's ``PackedStringArray``."""

    __slots__ = ()


class PackedVector2Array(_PoolArray[Any]):
    """Godot 4's ``PackedVector2Array`` (of ``Vector2``)."""

    __slots__ = ()


class PackedVector3Array(_PoolArray[Any]):
    """Godot 4's ``PackedVector3Array`` (of ``Vector3``)."""

    __slots__ = ()


class PackedColorArray(_PoolArray[Any]):
    """Godot 4's ``PackedColorArray`` (of ``Color``)."""

    __slots__ = ()


class PackedVector4Array(_PoolArray[Vector4]):
    """Godot 4.3's ``PackedVector4Array``."""

    __slots__ = ()
