"""Godot 4's RPC configuration: the ``@rpc`` annotation as a decorator, ``RPCMode``, and the
per-node method tables SceneMultiplayer sends method ids from (FACTS4 4.3).

``@rpc("any_peer", "call_local", "unreliable", 1)`` takes its first three arguments in any
order, the channel only fourth, and stores only what was given (plus ``rpc_mode``), as
gdscript_parser.cpp's ``rpc_annotation`` does; ``parse_config`` then fills Godot's fallbacks
(``_parse_rpc_config``: authority, RELIABLE, call_remote, channel 0). A bare ``@rpc`` works too.
Owns no state but the function attribute it sets; imports nothing from the network side.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import IntEnum
from typing import Any, NamedTuple, TypeVar, overload

from ..core.constants import TransferMode
from ..common.rpc_registry import store_config
from ._scene_wire import rpc_md5

__all__ = ["RPCMode", "RPCConfig", "RPCTable", "rpc", "parse_config", "build_table",
           "script_rpc_config", "RPC_ATTRIBUTE"]

F = TypeVar("F", bound=Callable[..., Any])

RPC_ATTRIBUTE = "__godot_rpc_config__"
"""The attribute ``@rpc`` sets on a function: the annotation's config dict."""


class RPCMode(IntEnum):
    """MultiplayerAPI.RPCMode."""

    RPC_MODE_DISABLED = 0
    RPC_MODE_ANY_PEER = 1
    RPC_MODE_AUTHORITY = 2


class RPCConfig(NamedTuple):
    """One method's parsed config (SceneRPCInterface::RPCConfig)."""

    name: str
    rpc_mode: int
    transfer_mode: int
    call_local: bool
    channel: int


_MODES = {"any_peer": RPCMode.RPC_MODE_ANY_PEER, "authority": RPCMode.RPC_MODE_AUTHORITY}
_LOCALITY = {"call_local": True, "call_remote": False}
_TRANSFER = {
    "reliable": TransferMode.TRANSFER_MODE_RELIABLE,
    "unreliable": TransferMode.TRANSFER_MODE_UNRELIABLE,
    "unreliable_ordered": TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED,
}


def _annotation(args: tuple[Any, ...]) -> dict[str, Any]:
    if len(args) > 4:
        raise TypeError(f"@rpc takes at most 4 arguments ({len(args)} given)")
    config: dict[str, Any] = {"rpc_mode": RPCMode.RPC_MODE_AUTHORITY}
    seen: set[str] = set()
    for i, arg in enumerate(args):
        if i == 3:
            if not isinstance(arg, int) or isinstance(arg, bool):
                raise TypeError("@rpc: the fourth argument (the channel) must be an int")
            config["channel"] = arg
            continue
        if not isinstance(arg, str):
            raise TypeError(f"@rpc: argument {i + 1} must be a str, not {type(arg).__name__}")
        for kind, table, key in (("mode", _MODES, "rpc_mode"), ("sync", _LOCALITY, "call_local"),
                                 ("transfer_mode", _TRANSFER, "transfer_mode")):
            if arg in table:
                if kind in seen:
                    raise ValueError(f'Invalid RPC config. The {kind} can only be set once.')
                seen.add(kind)
                config[key] = table[arg]
                break
        else:
            raise ValueError(
                f'Invalid RPC argument. Must be one of: "call_local"/"call_remote" (local '
                f'calls), "any_peer"/"authority" (permission), "reliable"/"unreliable"/'
                f'"unreliable_ordered" (transfer mode); got {arg!r}.')
    return config


@overload
def rpc(func: F, /) -> F: ...


@overload
def rpc(*args: Any) -> Callable[[F], F]: ...


def rpc(*args: Any) -> Any:
    """GDScript's ``@rpc(...)`` for a method of a ``Node`` subclass.

    ``@rpc``, ``@rpc()`` and ``@rpc("any_peer", "call_local", "unreliable", 1)`` (mode,
    locality and transfer mode in any order, the channel fourth) all work. Wrong arguments
    raise TypeError / ValueError at class definition, as GDScript fails to parse.
    """
    if len(args) == 1 and callable(args[0]) and not isinstance(args[0], str):
        return store_config(_annotation(()), RPC_ATTRIBUTE)(args[0])
    config = _annotation(args)

    def decorate(func: F) -> F:
        if not callable(func):
            raise TypeError("@rpc can only be applied to functions")
        if getattr(getattr(func, "__func__", func), RPC_ATTRIBUTE, None) is not None:
            raise ValueError("RPC annotations can only be used once per function.")
        # The decorator registry is the Godot 3 layer's, under Godot 4's own attribute.
        return store_config(dict(config), RPC_ATTRIBUTE)(func)

    return decorate


def script_rpc_config(cls: type) -> dict[str, dict[str, Any]]:
    """The ``@rpc`` configs of a class and its bases (GDScript merges inherited scripts')."""
    found: dict[str, dict[str, Any]] = {}
    for klass in reversed(cls.__mro__):
        for name, member in vars(klass).items():
            config = getattr(getattr(member, "__func__", member), RPC_ATTRIBUTE, None)
            if isinstance(config, dict):
                found[name] = config
    return found


def parse_config(name: str, config: Mapping[str, Any]) -> RPCConfig:
    """``_parse_rpc_config`` for one method: Godot's fallbacks for missing keys."""
    return RPCConfig(
        name,
        int(config.get("rpc_mode", RPCMode.RPC_MODE_AUTHORITY)),
        int(config.get("transfer_mode", TransferMode.TRANSFER_MODE_RELIABLE)),
        bool(config.get("call_local", False)),
        int(config.get("channel", 0)),
    )


class RPCTable(NamedTuple):
    """A node's method tables (``RPCConfigCache``): id -> config and name -> id, and the md5."""

    configs: dict[int, RPCConfig]
    ids: dict[str, int]
    md5: str


def build_table(node_config: Mapping[str, Any], script_config: Mapping[str, Any]) -> RPCTable:
    """Ids from the sorted names: node-level ones ``index | 0x8000``, script ones ``index``.

    Names sort by code point (Python's ``sorted`` on ``str``), as Godot's String order does. A
    name in both lists keeps the script id for sending (parsed second, as in Godot)."""
    configs: dict[int, RPCConfig] = {}
    ids: dict[str, int] = {}
    for table, flag in ((node_config, 0x8000), (script_config, 0)):
        for i, name in enumerate(sorted(table)):
            entry = table[name]
            if not isinstance(entry, Mapping) or "rpc_mode" not in entry:
                continue  # Godot: ERR_CONTINUE (the index is still used up)
            configs[i | flag] = parse_config(name, entry)
            ids[name] = i | flag
    # get_rpc_md5 walks the configs in HashMap insertion order: node-level first, then script.
    return RPCTable(configs, ids, rpc_md5([c.name for c in configs.values()]))
