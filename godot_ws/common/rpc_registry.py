"""What the Godot 3 and Godot 4 RPC layers share: the decorator store and Godot's call checks.

Owns ``store_config`` (a decorator that keeps any RPC config on the function under an attribute
name each face chooses: Godot 3 stores an ``RPCMode``, Godot 4 its ``@rpc(...)`` dictionary) and
the checks Godot makes before calling a method from the network (``check_arity``) with Godot's
error text (``call_error_text``). Imports nothing of the network and no face.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["F", "call_error_text", "check_arity", "store_config"]

F = TypeVar("F", bound=Callable[..., Any])


def store_config(config: object, attr: str) -> Callable[[F], F]:
    """A decorator that stores ``config`` on the function it decorates (under ``attr``)."""

    def mark(func: F) -> F:
        target = getattr(func, "__func__", func)  # staticmethod/classmethod: the function
        setattr(target, attr, config)
        return func

    return mark


_arity_cache: dict[tuple[Any, bool], tuple[int, int | None]] = {}


def _arity(func: Callable[..., Any]) -> tuple[int, int | None]:
    """(fewest, most or None) positional arguments ``func`` takes; cached per function."""
    underlying = getattr(func, "__func__", func)
    key = (underlying, underlying is not func)
    found = _arity_cache.get(key)
    if found is None:
        least, most = 0, 0
        try:
            params = inspect.signature(func).parameters.values()
        except (TypeError, ValueError):
            params = None
        if params is None:
            found = (0, None)
        else:
            for p in params:
                if p.kind is p.VAR_POSITIONAL:
                    most = -1
                elif p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                    if most >= 0:
                        most += 1
                    if p.default is p.empty:
                        least += 1
            found = (least, None if most < 0 else most)
        _arity_cache[key] = found
    return found


def call_error_text(node: object, method: str, text: str) -> str:
    """Godot's ``Variant::get_call_error_text`` form: ``'Class::method': text``."""
    return f"'{type(node).__name__}::{method}': {text}"


def check_arity(node: object, method: str, func: Callable[..., Any], argc: int) -> str | None:
    """None when ``func`` takes ``argc`` positional arguments, else Godot's error text."""
    least, most = _arity(func)
    if argc < least:
        return call_error_text(node, method,
                               f"Method expected {least} arguments, but called with {argc}.")
    if most is not None and argc > most:
        return call_error_text(node, method,
                               f"Method expected {most} arguments, but called with {argc}.")
    return None
