"""Argument checks at the public edge, shared by both faces: a wrong type raises ``TypeError``
in the caller's terms, naming the call as Godot spells it and, where the mistake is a habit
from Godot's ENet peers (``create_client(address, port)``, ``create_server(port,
max_clients)``), the WebSocket form to write instead. Pure: no I/O, no logging."""

from __future__ import annotations

from typing import Any

__all__ = ["require_strings", "url_call_error", "server_call_error", "is_int"]


def is_int(value: Any) -> bool:
    """An int that is not a bool (Godot's ``int`` parameters)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _shown(args: tuple[Any, ...]) -> str:
    return ", ".join(repr(a) if len(repr(a)) <= 40 else type(a).__name__ for a in args)


def url_call_error(call: str, signature: str, url: Any, second: Any) -> TypeError:
    """The error for ``call(url, second, ...)`` given something other than a URL string and
    the right second argument; an int second argument is ENet's port."""
    text = (f"{call} takes a ws:// or wss:// URL: {signature}; "
            f"it was called with ({_shown((url, second))})")
    if is_int(second):
        host = url if isinstance(url, str) and "://" not in url else "HOST"
        text += (". ENet's create_client(address, port) form does not apply to WebSocket: the port "
                 f"goes in the URL, {call}(\"ws://{host}:{second}/\")")
    return TypeError(text)


def server_call_error(signature: str, args: tuple[Any, ...]) -> TypeError:
    """The error for a server's ``call(port, ...)`` with wrong types; an int second argument
    is ENet's ``max_clients``."""
    text = f"{signature}; it was called with ({_shown(args)})"
    if len(args) > 1 and is_int(args[0]) and is_int(args[1]):
        text += (". ENet's create_server(port, max_clients) form does not apply to WebSocket: "
                 "there is no client limit (refuse_new_connections or disconnect_peer "
                 "turn clients away)")
    return TypeError(text)


def require_strings(call: str, name: str, values: Any) -> tuple[str, ...]:
    """``values`` as a tuple of str, or TypeError naming ``call``'s parameter ``name``."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{call}: {name} must be a list of str, not {type(values).__name__}")
    strings: tuple[str, ...] = tuple(values)
    if not all(isinstance(v, str) for v in strings):
        raise TypeError(f"{call}: {name} must be a list of str")
    return strings
