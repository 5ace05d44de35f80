"""A documented path kept for users: ``godot_ws.godot_types`` re-exports the Godot 3 value types,
which live in ``godot_ws.variant.types3`` (the same classes are also at ``godot_ws`` itself)."""

from __future__ import annotations

from .variant.types3 import *  # noqa: F401,F403
from .variant.types3 import __all__ as __all__  # noqa: F401
