"""Godot 4's ``SceneReplicationConfig``: which properties a ``MultiplayerSynchronizer``
replicates, and how (modules/multiplayer/scene_replication_config.cpp, 4.2+).

A value, not a node: an ordered list of property paths, each with a ``spawn`` flag (sent in
SPAWN) and a replication mode (NEVER, ALWAYS = every SYNC, ON_CHANGE = DELTA when it changed).
The three derived lists, in config order, are what the wire counts on: the receiver decodes as
many values as its own config lists, so both sides must build the same config. Owns nothing
else; the synchronizer reads and writes the properties.

Paths are Godot's NodePath strings: ``".:position"`` is the root node's ``position``,
``"Label:text"`` the ``text`` of the child ``Label``, ``".:position:x"`` one component.
"""

from __future__ import annotations

import logging
from enum import IntEnum
from typing import Any

from ..variant.types3 import NodePath

__all__ = ["SceneReplicationConfig", "ReplicationMode"]

log = logging.getLogger("godot_ws.godot4.multiplayer")

_MAX_WATCH = 64  # the DELTA change mask is a u64


class ReplicationMode(IntEnum):
    """SceneReplicationConfig.ReplicationMode (scene_replication_config.h)."""

    REPLICATION_MODE_NEVER = 0
    REPLICATION_MODE_ALWAYS = 1
    REPLICATION_MODE_ON_CHANGE = 2


class _Property:
    __slots__ = ("path", "spawn", "mode")

    def __init__(self, path: str) -> None:
        self.path = path
        self.spawn = True
        self.mode = ReplicationMode.REPLICATION_MODE_ALWAYS


def _path_text(path: Any) -> str:
    if isinstance(path, NodePath):
        return str(path)
    if not isinstance(path, str):
        raise TypeError(f"a property path must be a str or NodePath, not {type(path).__name__}")
    return path


class SceneReplicationConfig:
    """The replicated properties of one synchronizer, in order.

    ``add_property(".:position")`` adds with ``spawn=True`` and mode ALWAYS, as Godot does.
    Calls naming a property that is not in the config log Godot's error and do nothing.
    """

    REPLICATION_MODE_NEVER = ReplicationMode.REPLICATION_MODE_NEVER
    REPLICATION_MODE_ALWAYS = ReplicationMode.REPLICATION_MODE_ALWAYS
    REPLICATION_MODE_ON_CHANGE = ReplicationMode.REPLICATION_MODE_ON_CHANGE

    def __init__(self) -> None:
        self._properties: list[_Property] = []
        self._dirty = False
        self._spawn: list[str] = []
        self._sync: list[str] = []
        self._watch: list[str] = []

    def _find(self, path: Any) -> _Property | None:
        text = _path_text(path)
        for prop in self._properties:
            if prop.path == text:
                return prop
        log.error("SceneReplicationConfig: property %r is not in the config", text)
        return None

    # ------------------------------------------------------------------ the list

    def get_properties(self) -> list[str]:
        """The property paths in config order."""
        return [p.path for p in self._properties]

    def add_property(self, path: str | NodePath, index: int = -1) -> None:
        """Append ``path`` (or insert it at ``index``); a duplicate or empty path is an error."""
        text = _path_text(path)
        if not text:
            log.error("SceneReplicationConfig.add_property: the path is empty")
            return
        if any(p.path == text for p in self._properties):
            log.error("SceneReplicationConfig.add_property: %r is already in the config", text)
            return
        if index < 0 or index == len(self._properties):
            self._properties.append(_Property(text))
        elif index > len(self._properties):
            log.error("SceneReplicationConfig.add_property: index %d out of range (size %d)",
                      index, len(self._properties))
            return
        else:
            self._properties.insert(index, _Property(text))
        self._dirty = True

    def remove_property(self, path: str | NodePath) -> None:
        """Take ``path`` out of the config."""
        text = _path_text(path)
        self._properties = [p for p in self._properties if p.path != text]
        self._dirty = True

    def has_property(self, path: str | NodePath) -> bool:
        """Whether ``path`` is in the config."""
        text = _path_text(path)
        return any(p.path == text for p in self._properties)

    def property_get_index(self, path: str | NodePath) -> int:
        """The position of ``path`` in the config, -1 (and an error) if absent."""
        text = _path_text(path)
        for i, prop in enumerate(self._properties):
            if prop.path == text:
                return i
        log.error("SceneReplicationConfig: property %r is not in the config", text)
        return -1

    # ------------------------------------------------------------------ per property

    def property_get_spawn(self, path: str | NodePath) -> bool:
        """Whether ``path``'s value travels in SPAWN."""
        prop = self._find(path)
        return prop.spawn if prop is not None else False

    def property_set_spawn(self, path: str | NodePath, enabled: bool) -> None:
        """Whether the property's value travels in SPAWN (default True)."""
        prop = self._find(path)
        if prop is not None and prop.spawn != bool(enabled):
            prop.spawn = bool(enabled)
            self._dirty = True

    def property_get_replication_mode(self, path: str | NodePath) -> ReplicationMode:
        """``path``'s mode: NEVER, ALWAYS or ON_CHANGE."""
        prop = self._find(path)
        return prop.mode if prop is not None else ReplicationMode.REPLICATION_MODE_NEVER

    def property_set_replication_mode(self, path: str | NodePath, mode: int) -> None:
        """NEVER, ALWAYS (every SYNC; the default) or ON_CHANGE (DELTA when it changed)."""
        if not isinstance(mode, int) or isinstance(mode, bool) or not 0 <= mode <= 2:
            raise ValueError(f"replication mode must be 0, 1 or 2, not {mode!r}")
        prop = self._find(path)
        if prop is not None and prop.mode != mode:
            prop.mode = ReplicationMode(mode)
            self._dirty = True

    def property_get_sync(self, path: str | NodePath) -> bool:
        """Deprecated in Godot 4.2: mode is ALWAYS."""
        prop = self._find(path)
        return prop is not None and prop.mode == ReplicationMode.REPLICATION_MODE_ALWAYS

    def property_set_sync(self, path: str | NodePath, enabled: bool) -> None:
        """Deprecated in Godot 4.2: True sets ALWAYS; False turns ALWAYS into NEVER."""
        if enabled:
            self.property_set_replication_mode(path, ReplicationMode.REPLICATION_MODE_ALWAYS)
        elif self.property_get_replication_mode(path) == ReplicationMode.REPLICATION_MODE_ALWAYS:
            self.property_set_replication_mode(path, ReplicationMode.REPLICATION_MODE_NEVER)

    def property_get_watch(self, path: str | NodePath) -> bool:
        """Deprecated in Godot 4.2: mode is ON_CHANGE."""
        prop = self._find(path)
        return prop is not None and prop.mode == ReplicationMode.REPLICATION_MODE_ON_CHANGE

    def property_set_watch(self, path: str | NodePath, enabled: bool) -> None:
        """Deprecated in Godot 4.2: True sets ON_CHANGE; False turns ON_CHANGE into NEVER."""
        on_change = ReplicationMode.REPLICATION_MODE_ON_CHANGE
        if enabled:
            self.property_set_replication_mode(path, on_change)
        elif self.property_get_replication_mode(path) == on_change:
            self.property_set_replication_mode(path, ReplicationMode.REPLICATION_MODE_NEVER)

    # ------------------------------------------------------------------ derived lists

    def _update(self) -> None:
        self._dirty = False
        self._spawn = [p.path for p in self._properties if p.spawn]
        self._sync = [p.path for p in self._properties
                      if p.mode == ReplicationMode.REPLICATION_MODE_ALWAYS]
        watch = [p.path for p in self._properties
                 if p.mode == ReplicationMode.REPLICATION_MODE_ON_CHANGE]
        if len(watch) > _MAX_WATCH:
            log.error("Reached limit of 64 properties with 'REPLICATION_MODE_ON_CHANGE' mode "
                      "per single object. Ignoring this property.")
            watch = watch[:_MAX_WATCH]
        self._watch = watch

    def get_spawn_properties(self) -> list[str]:
        """Every property with ``spawn`` on, in config order (what SPAWN carries)."""
        if self._dirty:
            self._update()
        return self._spawn

    def get_sync_properties(self) -> list[str]:
        """The ALWAYS properties, in config order (what SYNC carries)."""
        if self._dirty:
            self._update()
        return self._sync

    def get_watch_properties(self) -> list[str]:
        """The ON_CHANGE properties (at most 64), in config order (DELTA's mask bits)."""
        if self._dirty:
            self._update()
        return self._watch

    def __repr__(self) -> str:
        return f"<SceneReplicationConfig {self.get_properties()}>"
