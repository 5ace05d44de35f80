"""Godot 4's ``MultiplayerSynchronizer``: a node that replicates properties of its root node
(``root_path``, ``".."`` = its parent) from its multiplayer authority to the other peers
(modules/multiplayer/multiplayer_synchronizer.cpp).

Owns the synchronizer's own state, as Godot's class does: the config, the intervals, the net
id, the inbound u16 time rule, the ON_CHANGE watchers, visibility (per peer, public, filters)
and reading/writing property paths (``".:position"``, ``"Label:text"``, ``".:position:x"``).
Entering the tree registers it with the multiplayer's replicator (``_replication``), which
decides what goes on the wire; it never sends anything itself.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Callable, Sequence
from enum import IntEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..common.signals import Signal
from ..variant.types3 import NodePath
from ._scene_nodes import INSIDE, READY
from .node import Node
from .replication_config import SceneReplicationConfig

if TYPE_CHECKING:
    from .scene_multiplayer import SceneMultiplayer

__all__ = ["MultiplayerSynchronizer", "VisibilityUpdateMode", "get_state", "set_state"]

log = logging.getLogger("godot_ws.godot4.multiplayer")


class VisibilityUpdateMode(IntEnum):
    """MultiplayerSynchronizer.VisibilityUpdateMode."""

    VISIBILITY_PROCESS_IDLE = 0
    VISIBILITY_PROCESS_PHYSICS = 1
    VISIBILITY_PROCESS_NONE = 2


@lru_cache(maxsize=4096)
def _split(path: str) -> tuple[str, tuple[str, ...]]:
    """``"Label:text"`` -> (``"Label"``, (``"text"``,)); ``".:position:x"`` -> (``"."``, ...)."""
    node, _, rest = path.partition(":")
    return node, tuple(part for part in rest.split(":") if part)


def _target(root: Node, node_path: str) -> Node | None:
    if node_path in ("", "."):
        return root
    node = root.get_node_or_null(node_path)
    if node is None:
        log.error("Node '%s' not found.", node_path)
    return node


_MISSING = object()


def get_state(properties: Sequence[str], root: Node) -> list[Any] | None:
    """The values of ``properties`` under ``root`` (``MultiplayerSynchronizer::get_state``);
    None (and Godot's error) when a node or property is missing."""
    values = []
    for prop in properties:
        node_path, subnames = _split(prop)
        obj: Any = _target(root, node_path)
        if obj is None:
            return None
        for sub in subnames:
            obj = getattr(obj, sub, _MISSING)
            if obj is _MISSING:
                log.error("Property '%s' not found.", prop)
                return None
        values.append(obj)
    return values


def set_state(properties: Sequence[str], root: Node, values: Sequence[Any]) -> bool:
    """Write ``values`` to ``properties`` under ``root`` (``set_indexed``: ``position:x``
    rebuilds the frozen Vector2 and assigns it back)."""
    for prop, value in zip(properties, values):
        node_path, subnames = _split(prop)
        obj = _target(root, node_path)
        if obj is None:
            return False
        if not subnames:
            continue
        try:
            _set_indexed(obj, subnames, value)
        except (AttributeError, TypeError) as exc:
            log.error("Unable to set property '%s': %s", prop, exc)
            return False
    return True


def _set_indexed(obj: Any, subnames: tuple[str, ...], value: Any) -> None:
    if len(subnames) == 1:
        setattr(obj, subnames[0], value)
        return
    inner = getattr(obj, subnames[0])
    if dataclasses.is_dataclass(inner) and not isinstance(inner, type):
        holder = dataclasses.replace(inner)  # a copy to write into (value types are frozen)
        _set_field(holder, subnames[1:], value)
    else:
        holder = inner
        _set_indexed(holder, subnames[1:], value)
    setattr(obj, subnames[0], holder)


def _set_field(obj: Any, subnames: tuple[str, ...], value: Any) -> None:
    if len(subnames) > 1:
        inner = dataclasses.replace(getattr(obj, subnames[0]))
        _set_field(inner, subnames[1:], value)
        value = inner
    object.__setattr__(obj, subnames[0], value)


def _same(a: Any, b: Any) -> bool:
    """``Variant::hash_compare``: equal type and value (1 and 1.0 differ; NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if a != a and b != b:  # noqa: PLR0124 - NaN
        return True
    try:
        return bool(a == b)
    except Exception:
        return False


class _Watcher:
    __slots__ = ("prop", "value", "last_change_usec")

    def __init__(self, prop: str, value: Any, usec: int) -> None:
        self.prop = prop
        self.value = value
        self.last_change_usec = usec


class MultiplayerSynchronizer(Node):
    """Replicates ``replication_config``'s properties of the node at ``root_path``.

    Signals: ``synchronized`` (a SYNC was applied here), ``delta_synchronized`` (a DELTA),
    ``visibility_changed(for_peer)`` (on the authority, each ``update_visibility``).
    """

    VISIBILITY_PROCESS_IDLE = VisibilityUpdateMode.VISIBILITY_PROCESS_IDLE
    VISIBILITY_PROCESS_PHYSICS = VisibilityUpdateMode.VISIBILITY_PROCESS_PHYSICS
    VISIBILITY_PROCESS_NONE = VisibilityUpdateMode.VISIBILITY_PROCESS_NONE

    def __init__(self, multiplayer: SceneMultiplayer, path: str | NodePath) -> None:
        self.synchronized = Signal("synchronized")
        self.delta_synchronized = Signal("delta_synchronized")
        self.visibility_changed = Signal("visibility_changed")
        self._root_path = ".."
        self._config: SceneReplicationConfig | None = None
        self._sync_interval_usec = 0
        self._delta_interval_usec = 0
        self._visibility_update_mode = VisibilityUpdateMode.VISIBILITY_PROCESS_IDLE
        self._peer_visibility: set[int] = {0}  # 0 = public
        self._filters: list[Callable[[int], Any]] = []
        self._root_cache: Node | None = None
        self._started = False
        self.reset()
        super().__init__(multiplayer, path)

    # ------------------------------------------------------------------ properties

    def get_root_path(self) -> str:
        """The path (relative to this node) of the node whose properties replicate (``".."``)."""
        return self._root_path

    def set_root_path(self, path: str | NodePath) -> None:
        """The node whose properties are replicated, relative to this one (default "..")."""
        text = str(path)
        if text == self._root_path:
            return
        self._stop()
        self._root_path = text
        self._start()

    root_path = property(get_root_path, set_root_path)

    def get_replication_config(self) -> SceneReplicationConfig | None:
        """The ``SceneReplicationConfig`` listing what replicates, or None."""
        return self._config

    def set_replication_config(self, config: SceneReplicationConfig | None) -> None:
        """Set the config; both sides must list the same properties in the same order."""
        if config is not None and not isinstance(config, SceneReplicationConfig):
            raise TypeError("replication_config must be a SceneReplicationConfig, not "
                            f"{type(config).__name__}")
        self._config = config

    replication_config = property(get_replication_config, set_replication_config)

    def get_replication_interval(self) -> float:
        """Seconds between SYNCs (0: every network frame)."""
        return self._sync_interval_usec / 1_000_000

    def set_replication_interval(self, seconds: float) -> None:
        """Seconds between SYNCs (0 = every network frame, the default)."""
        if seconds < 0:
            log.error("Interval must be greater or equal to 0 (where 0 means default)")
            return
        self._sync_interval_usec = int(seconds * 1_000_000)

    replication_interval = property(get_replication_interval, set_replication_interval)

    def get_delta_interval(self) -> float:
        """Seconds between DELTA checks (0: every network frame)."""
        return self._delta_interval_usec / 1_000_000

    def set_delta_interval(self, seconds: float) -> None:
        """Seconds between DELTA checks (0 = every network frame, the default)."""
        if seconds < 0:
            log.error("Interval must be greater or equal to 0 (where 0 means default)")
            return
        self._delta_interval_usec = int(seconds * 1_000_000)

    delta_interval = property(get_delta_interval, set_delta_interval)

    def get_visibility_update_mode(self) -> VisibilityUpdateMode:
        """When visibility filters run: IDLE or PHYSICS (each poll) or NONE."""
        return self._visibility_update_mode

    def set_visibility_update_mode(self, mode: int) -> None:
        """When filters are re-evaluated: each poll (IDLE, PHYSICS) or only by
        ``update_visibility`` (NONE)."""
        self._visibility_update_mode = VisibilityUpdateMode(mode)
        self._update_process()

    visibility_update_mode = property(get_visibility_update_mode, set_visibility_update_mode)

    # ------------------------------------------------------------------ visibility

    def is_visibility_public(self) -> bool:
        """Whether every peer sees this synchronizer (``public_visibility``, default True)."""
        return 0 in self._peer_visibility

    def set_visibility_public(self, visible: bool) -> None:
        """Visible to every peer (default True); else only to peers set visible."""
        self.set_visibility_for(0, visible)

    public_visibility = property(is_visibility_public, set_visibility_public)

    def set_visibility_for(self, peer: int, visible: bool) -> None:
        """Make this synchronizer (and the node it spawns with) visible to ``peer`` or not."""
        if (peer in self._peer_visibility) == bool(visible):
            return
        if visible:
            self._peer_visibility.add(peer)
        else:
            self._peer_visibility.discard(peer)
        self.update_visibility(peer)

    def get_visibility_for(self, peer: int) -> bool:
        """Whether ``peer`` was made visible with ``set_visibility_for`` (0: public)."""
        return peer in self._peer_visibility

    def add_visibility_filter(self, filter: Callable[[int], Any]) -> None:  # noqa: A002
        """A callable ``(peer_id) -> bool``; every filter must say True for a peer to see it."""
        if not callable(filter):
            raise TypeError(f"{filter!r} is not callable")
        if filter not in self._filters:
            self._filters.append(filter)
        self._update_process()

    def remove_visibility_filter(self, filter: Callable[[int], Any]) -> None:  # noqa: A002
        """Remove a filter added with ``add_visibility_filter``."""
        if filter in self._filters:
            self._filters.remove(filter)
        self._update_process()

    def is_visible_to(self, peer: int) -> bool:
        """Whether ``peer`` may see this synchronizer now: every filter agrees, and it is
        public or visible to ``peer``."""
        for fn in self._filters:
            try:
                ok = fn(peer)
            except Exception:
                log.exception("visibility filter of %s raised", self.get_path())
                return False
            if ok is not True and ok is not False:
                log.error("A visibility filter of %s returned %r, not a bool", self.get_path(),
                          ok)
                return False
            if not ok:
                return False
        return 0 in self._peer_visibility or peer in self._peer_visibility

    def update_visibility(self, for_peer: int = 0) -> None:
        """Re-evaluate visibility for ``for_peer`` (0 = everyone): on the authority, emits
        ``visibility_changed`` and the replicator spawns, despawns and (un)syncs to match."""
        mp = self._multiplayer
        if (self.get_root_node() is not None and mp.has_multiplayer_peer()
                and self.is_multiplayer_authority()):
            self.visibility_changed.emit(for_peer)

    def _update_process(self) -> None:
        active = bool(self._filters) and self._root_cache is not None and \
            self._visibility_update_mode != VisibilityUpdateMode.VISIBILITY_PROCESS_NONE
        self._multiplayer._replication.set_visibility_process(self, active)

    # ------------------------------------------------------------------ lifecycle

    def _tree_notification(self, what: int) -> None:
        if not self._root_path:
            return
        if what == self.NOTIFICATION_ENTER_TREE:
            self._start()
        elif what == self.NOTIFICATION_EXIT_TREE:
            self._stop()

    def _start(self) -> None:
        self._root_cache = None
        self.reset()
        node = self.get_node_or_null(self._root_path) if self._state_inside() else None
        if node is not None:
            self._root_cache = node
            self._started = True
            self._multiplayer.object_configuration_add(node, self)
            self._update_process()

    def _stop(self) -> None:
        root = self._root_cache
        self._root_cache = None
        if root is not None and self._started:
            self._started = False
            self._multiplayer.object_configuration_remove(root, self)
        self._multiplayer._replication.set_visibility_process(self, False)
        self.reset()

    def _state_inside(self) -> bool:
        return self._state in (INSIDE, READY)

    def get_root_node(self) -> Node | None:
        """The node whose properties replicate, once in the tree (else None)."""
        return self._root_cache

    def set_multiplayer_authority(self, peer_id: int, recursive: bool = True) -> None:
        """As Node's, restarting replication (set it in ``_enter_tree``, not ``_ready``, on
        nodes that are spawned: the spawn is matched before ``_ready``)."""
        if self.get_multiplayer_authority() == peer_id:
            return
        self._stop()
        super().set_multiplayer_authority(peer_id, recursive)
        self._start()

    # ------------------------------------------------------------------ replication state

    def reset(self) -> None:
        """Forget the net id, the times and the watchers (on enter, exit, authority change)."""
        self.net_id = 0
        self.last_sync_usec = 0
        self.last_inbound_sync = 0
        self.last_watch_usec = 0
        self.sync_started = False
        self._watchers: list[_Watcher] = []

    def update_outbound_sync_time(self, usec: int) -> bool:
        """True when this frame may send a SYNC (``replication_interval``)."""
        if self.last_sync_usec == usec:
            return True  # already decided this frame, for another peer
        if usec < self.last_sync_usec + self._sync_interval_usec:
            return False
        self.last_sync_usec = usec
        return True

    def update_inbound_sync_time(self, network_time: int) -> bool:
        """False for a SYNC older than the last one applied (u16 times, wrapping)."""
        if not self.sync_started:
            self.sync_started = True
        elif network_time <= self.last_inbound_sync \
                and self.last_inbound_sync - network_time < 32767:
            return False
        self.last_inbound_sync = network_time
        return True

    def _watch_changes(self, usec: int) -> bool:
        config = self._config
        root = self._root_cache
        if config is None or root is None:
            return False
        props = config.get_watch_properties()
        if len(self._watchers) > len(props):
            del self._watchers[len(props):]
        for idx, prop in enumerate(props):
            values = get_state((prop,), root)
            if values is None:
                continue
            value = values[0]
            if idx >= len(self._watchers):
                self._watchers.append(_Watcher(prop, copy.deepcopy(value), usec))
                continue
            w = self._watchers[idx]
            if w.prop != prop or not _same(w.value, value):
                w.prop = prop
                w.value = copy.deepcopy(value) if isinstance(value, (list, dict)) else value
                w.last_change_usec = usec
        return True

    def get_delta_state(self, cur_usec: int, last_usec: int) -> tuple[list[Any], int]:
        """(the ON_CHANGE values changed since ``last_usec``, their bit mask)."""
        if self.last_watch_usec == cur_usec:
            pass  # already watched this frame
        elif cur_usec < last_usec + self._delta_interval_usec:
            return [], 0
        else:
            if not self._watch_changes(cur_usec):
                return [], 0
            self.last_watch_usec = cur_usec
        out = []
        mask = 0
        for i, w in enumerate(self._watchers):
            if w.last_change_usec > last_usec:
                out.append(w.value)
                mask |= 1 << i
        return out, mask

    def get_delta_properties(self, mask: int) -> list[str]:
        """The ON_CHANGE property paths whose bits are set in ``mask``."""
        if self._config is None:
            return []
        props = self._config.get_watch_properties()
        return [p for i, p in enumerate(props) if mask & (1 << i)]
