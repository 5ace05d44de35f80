"""Godot's Variant: the binary codec (``codec.py``: one walker), a wire table per Godot major
(``table3.py``, ``table4.py``) and the value types with Godot's math (``types3.py``,
``types4.py`` and the vectors, transforms and color they are built from).

Sans-IO, imports only ``core``. ``godot_ws.variant`` keeps the codec's names (``var2bytes``,
``bytes2var``, ``encode_var``, ...) that it offered when it was a single module.
"""

from __future__ import annotations

from .codec import *  # noqa: F401,F403
from .codec import __all__ as __all__  # noqa: F401
