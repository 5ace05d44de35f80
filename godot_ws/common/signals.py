"""Godot-style signals: a small ``Signal`` and the object-level connect/emit API.

Owns ``Signal`` (Godot 4 style: ``obj.data_received.connect(callable)``), ``signal``
(GDScript's ``signal name(args)`` declaration for a ported class) and ``SignalOwner``, a mixin
giving Godot 3's ``obj.connect("data_received", target, "method", binds, flags)``,
``disconnect``, ``is_connected`` and ``emit_signal`` over the same Signal objects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, overload

from ..core.constants import Error

__all__ = ["Signal", "signal", "SignalOwner", "CONNECT_DEFERRED", "CONNECT_PERSIST",
           "CONNECT_ONESHOT", "CONNECT_REFERENCE_COUNTED"]

log = logging.getLogger("godot_ws.signals")  # the name README documents

# Object.ConnectFlags. DEFERRED is accepted but calls at once: our signals already fire at the
# end of poll(), after its I/O, which is what deferred calls are for in Godot.
CONNECT_DEFERRED = 1
CONNECT_PERSIST = 2
CONNECT_ONESHOT = 4
CONNECT_REFERENCE_COUNTED = 8


class Signal:
    """A named list of callables, called in connection order by ``emit``.

    A callable that raises is logged (with its traceback) and the remaining ones still run, as a
    failing script method in Godot does not stop the emission.
    """

    __slots__ = ("name", "_slots")

    def __init__(self, name: str) -> None:
        self.name = name
        # Each slot: (callable, binds, flags, refcount).
        self._slots: list[list[Any]] = []

    def __bool__(self) -> bool:
        """True when something is connected; lets hot paths skip building arguments."""
        return bool(self._slots)

    def connect(
        self, callable_: Callable[..., Any], binds: Sequence[Any] = (), flags: int = 0
    ) -> Error:
        """Connect ``callable_``; extra ``binds`` are appended to the signal's arguments.

        Connecting the same callable twice is ERR_INVALID_PARAMETER, as in Godot, unless
        CONNECT_REFERENCE_COUNTED is set (then it needs as many disconnects).
        """
        if not callable(callable_):
            raise TypeError(f"{callable_!r} is not callable")
        for slot in self._slots:
            if slot[0] == callable_:
                if flags & CONNECT_REFERENCE_COUNTED:
                    slot[3] += 1
                    return Error.OK
                log.error("signal %r is already connected to %r", self.name, callable_)
                return Error.ERR_INVALID_PARAMETER
        self._slots.append([callable_, tuple(binds), flags, 1])
        return Error.OK

    def disconnect(self, callable_: Callable[..., Any]) -> None:
        """Disconnect ``callable_`` (once per connection when it was reference-counted); an error is
        logged if it was not connected."""
        for i, slot in enumerate(self._slots):
            if slot[0] == callable_:
                slot[3] -= 1
                if slot[3] <= 0:
                    del self._slots[i]
                return
        log.error("signal %r is not connected to %r", self.name, callable_)

    def is_connected(self, callable_: Callable[..., Any]) -> bool:
        """Whether ``callable_`` is connected to this signal."""
        return any(slot[0] == callable_ for slot in self._slots)

    def get_connections(self) -> list[dict[str, Any]]:
        """The connections, in order, as Godot's dictionaries (``signal``, ``callable``, ``binds``,
        ``flags``)."""
        return [{"signal": self.name, "callable": s[0], "binds": s[1], "flags": s[2]}
                for s in self._slots]

    def emit(self, *args: Any) -> None:
        """Call every connected callable with ``args`` plus its binds, in connection order; one that
        raises is logged with its traceback and the others still run."""
        for slot in tuple(self._slots):
            func, binds, flags = slot[0], slot[1], slot[2]
            if flags & CONNECT_ONESHOT and slot in self._slots:
                self._slots.remove(slot)
            try:
                func(*args, *binds)
            except Exception:
                log.exception("error in a handler of signal %r", self.name)


class signal:  # noqa: N801 - lower case, as GDScript's keyword
    """GDScript's ``signal player_connected(peer_id, info)`` in a ported class::

        class Lobby(Node):
            player_connected = signal("peer_id", "info")

    Each instance gets its own ``Signal`` (the emitter) on first use, so
    ``self.player_connected.emit(peer_id, info)`` and ``lobby.player_connected.connect(f)``
    work as in Godot 4, and Godot 3's ``emit_signal``/``connect`` by name find it on a
    ``SignalOwner`` (every ``Node``). The argument names are documentation, as in GDScript.
    Needs an instance ``__dict__`` (no ``__slots__``-only classes).
    """

    def __init__(self, *arg_names: str) -> None:
        self.arg_names = arg_names
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> signal: ...
    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> Signal: ...

    def __get__(self, obj: object, objtype: type | None = None) -> Signal | signal:
        if obj is None:
            return self
        # Stored under the same name: the instance attribute wins from now on (no __set__).
        emitter: Signal = obj.__dict__.setdefault(self.name, Signal(self.name))
        return emitter


class SignalOwner:
    """Godot 3's Object signal methods, looking signals up by name on ``self``."""

    def _signal(self, signal: str) -> Signal | None:
        found = getattr(self, signal, None) if isinstance(signal, str) else None
        return found if isinstance(found, Signal) else None

    @staticmethod
    def _callable(target: Any, method: str | None) -> Callable[..., Any]:
        if method is None:
            return target  # type: ignore[no-any-return]
        return getattr(target, method)  # type: ignore[no-any-return]

    def connect(
        self,
        signal: str,
        target: Any,
        method: str | None = None,
        binds: Sequence[Any] = (),
        flags: int = 0,
    ) -> Error:
        """``connect("data_received", obj, "_on_data")`` (Godot 3) or ``connect(name, callable)``
        (Godot 4). An unknown signal is ERR_INVALID_PARAMETER, as in Godot."""
        sig = self._signal(signal)
        if sig is None:
            log.error("%s has no signal %r", type(self).__name__, signal)
            return Error.ERR_INVALID_PARAMETER
        if isinstance(method, int) and not isinstance(method, bool):
            # Godot 4 order: connect(signal, callable, flags)
            method, flags = None, method
        return sig.connect(self._callable(target, method), binds, flags)

    def disconnect(self, signal: str, target: Any, method: str | None = None) -> None:
        """Godot 3's ``disconnect("signal", target, "method")`` (or ``disconnect(name, callable)``);
        an unknown signal is logged."""
        sig = self._signal(signal)
        if sig is None:
            log.error("%s has no signal %r", type(self).__name__, signal)
            return
        sig.disconnect(self._callable(target, method))

    def is_connected(self, signal: str, target: Any, method: str | None = None) -> bool:
        """Whether ``target.method`` (or the callable ``target``) is connected to the named
        signal."""
        sig = self._signal(signal)
        return sig is not None and sig.is_connected(self._callable(target, method))

    def has_signal(self, signal: str) -> bool:
        """Whether this object has a signal of that name."""
        return self._signal(signal) is not None

    def emit_signal(self, signal: str, *args: Any) -> None:
        """Emit the named signal with ``args`` (Godot's ``emit_signal``); an unknown signal is
        logged."""
        sig = self._signal(signal)
        if sig is None:
            log.error("%s has no signal %r", type(self).__name__, signal)
            return
        sig.emit(*args)
