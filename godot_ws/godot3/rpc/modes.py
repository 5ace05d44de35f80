"""RPC modes and the decorator/config registry shared by the Godot 3 and Godot 4 RPC layers.

Owns ``RPCMode`` (Godot 3's MultiplayerAPI.RPCMode numbers), the mode decorators (``@remote``,
``@master``, ``@puppet``, ...), ``remote_property`` (a property that can be ``rset``), and the
lookup order Godot uses: a mode set at runtime on the node (``rpc_config``/``rset_config``)
wins over the one written in the class (the decorator / ``remote_property``).

Reusable for Godot 4 (``godot_ws.godot4``): ``rpc_decorator(config)`` stores any config object
(Godot 4's ``@rpc("any_peer", "call_local")`` dictionary) on a function under its own attribute
name, and ``method_config``/``property_config`` look it up with the same override order; the
Godot 3 layer stores an ``RPCMode`` under ``RPC3_ATTR``. Imports nothing of the network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import IntEnum
from typing import Any, Generic, TypeVar, overload

from ...common.rpc_registry import F, store_config

__all__ = [
    "RPC3_ATTR",
    "RPCMode",
    "master",
    "mastersync",
    "method_config",
    "property_config",
    "puppet",
    "puppetsync",
    "remote",
    "remote_property",
    "remotesync",
    "rpc_decorator",
    "slave",
    "sync",
]

T = TypeVar("T")


class RPCMode(IntEnum):
    """Godot 3.2's ``MultiplayerAPI.RPCMode`` (core/io/multiplayer_api.h); ``SLAVE`` and
    ``SYNC`` are the 3.0 names of ``PUPPET`` and ``REMOTESYNC``."""

    DISABLED = 0
    REMOTE = 1
    MASTER = 2
    PUPPET = 3
    SLAVE = 3
    REMOTESYNC = 4
    SYNC = 4
    MASTERSYNC = 5
    PUPPETSYNC = 6


RPC3_ATTR = "_godot_rpc3_mode"
"""The attribute a Godot 3 mode decorator sets on the function."""


def rpc_decorator(config: object, attr: str = RPC3_ATTR, doc: str = "") -> Callable[[F], F]:
    """A decorator that stores ``config`` on the function it decorates (under ``attr``);
    ``doc`` is the decorator's own docstring."""
    decorator = store_config(config, attr)
    decorator.__doc__ = doc
    return decorator


# GDScript's keywords. ``sync`` is REMOTESYNC (GDScript 3.2 parses it so).
remote = rpc_decorator(RPCMode.REMOTE, doc="GDScript's ``remote func``: any peer may call it "
                       "remotely; a local ``rpc`` does not run it here.")
remotesync = rpc_decorator(RPCMode.REMOTESYNC, doc="GDScript's ``remotesync func``: any peer "
                           "may call it, and ``rpc`` runs it here too.")
sync = rpc_decorator(RPCMode.REMOTESYNC, doc="GDScript 3.0's ``sync func``, the same as "
                     "``remotesync``.")
master = rpc_decorator(RPCMode.MASTER, doc="GDScript's ``master func``: runs only on the node's "
                       "network master (calls from elsewhere reach it there).")
mastersync = rpc_decorator(RPCMode.MASTERSYNC, doc="GDScript's ``mastersync func``: runs on the "
                           "master, and here too when called by ``rpc``.")
puppet = rpc_decorator(RPCMode.PUPPET, doc="GDScript's ``puppet func``: runs on the peers that "
                       "are not the node's master, called by the master.")
slave = rpc_decorator(RPCMode.PUPPET, doc="GDScript 3.0's ``slave func``, the same as "
                      "``puppet``.")
puppetsync = rpc_decorator(RPCMode.PUPPETSYNC, doc="GDScript's ``puppetsync func``: runs on the "
                           "puppets, and here too when called by ``rpc``.")


class remote_property(Generic[T]):  # noqa: N801 - reads like GDScript's ``puppet var``
    """A class attribute that can be ``rset``: ``pos = remote_property(RPCMode.PUPPET,
    default=Vector2())`` is GDScript's ``puppet var pos = Vector2()``.

    Each instance keeps its own value (in ``__dict__``); the default is shared, so give a
    mutable default only if you replace it rather than change it in place.
    """

    def __init__(self, mode: RPCMode | int, default: T | None = None,
                 attr: str = RPC3_ATTR) -> None:
        self.mode = mode if attr != RPC3_ATTR else RPCMode(mode)
        self.default = default
        self.attr = attr
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> remote_property[T]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> T: ...

    def __get__(self, obj: object | None, owner: type) -> Any:
        if obj is None:
            return self
        return obj.__dict__.get(self.name, self.default)

    def __set__(self, obj: object, value: T) -> None:
        obj.__dict__[self.name] = value


def method_config(node: object, name: str, overrides: Mapping[str, Any],
                  attr: str = RPC3_ATTR) -> Any:
    """The config of method ``name`` on ``node``: ``overrides[name]`` (set at runtime), else
    what a decorator stored on the class's function, else None (Godot: disabled)."""
    found = overrides.get(name)
    if found is not None:
        return found
    func = getattr(type(node), name, None)
    if func is None:
        return None
    return getattr(getattr(func, "__func__", func), attr, None)


def property_config(node: object, name: str, overrides: Mapping[str, Any],
                    attr: str = RPC3_ATTR) -> Any:
    """The config of property ``name``: ``overrides[name]``, else a ``remote_property``'s
    mode from the class (looked up under ``attr``), else None."""
    found = overrides.get(name)
    if found is not None:
        return found
    prop = getattr(type(node), name, None)
    if isinstance(prop, remote_property) and prop.attr == attr:
        return prop.mode
    return None
