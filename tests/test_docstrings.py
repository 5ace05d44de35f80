"""Every public name has a docstring: each class and function in the ``__all__`` of the modules
the reference documents (docs/_ext/apiref.py's ``MODULES``), each public method, property and
nested class of those classes (their package bases included), and each signal, named in its
class's docstring (signals are instance attributes, so the class docstring is where the
reference shows them). A name added to ``__all__`` without one fails here; the planted cases at
the end show the check catches each kind."""

from __future__ import annotations

import enum
import importlib
import importlib.util
import inspect
import re
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def reference_modules() -> list[str]:
    """The modules the reference pages are written from (one list, in docs/_ext/apiref.py)."""
    spec = importlib.util.spec_from_file_location("apiref", ROOT / "docs" / "_ext" / "apiref.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [name for name, _, _ in module.MODULES]


def ours(cls: type) -> bool:
    return cls.__module__.startswith("godot_ws")  # the package (and the planted test module)


def members(cls: type) -> list[tuple[str, Any]]:
    """(qualified name, object) of each public method, property and nested class that ``cls``
    or one of its package bases defines."""
    found = []
    for base in cls.__mro__:
        if not ours(base):
            continue
        for name, value in vars(base).items():
            if name.startswith("_"):
                continue
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if inspect.isfunction(value) or isinstance(value, property) or (
                    inspect.isclass(value) and ours(value)):
                found.append((f"{base.__qualname__}.{name}", getattr(cls, name)))
    return found


def has_doc(obj: Any) -> bool:
    if isinstance(obj, property):
        return bool(obj.__doc__ and obj.__doc__.strip())
    if inspect.isclass(obj):  # its own, not a base's
        return bool((vars(obj).get("__doc__") or "").strip())
    return bool((inspect.getdoc(obj) or "").strip())  # a method may inherit its base's


def signal_names(cls: type) -> list[str]:
    """The signals ``cls`` and its package bases create (``Signal("name")`` in their source:
    they are instance attributes, and some classes need arguments to be built)."""
    names: list[str] = []
    for base in cls.__mro__:
        if ours(base):
            try:
                source = inspect.getsource(base)
            except (OSError, TypeError):
                continue
            names += re.findall(r"\bSignal\(\"(\w+)\"\)", source)
    return sorted(set(names))


def undocumented(module: types.ModuleType) -> list[str]:
    missing: list[str] = []
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        where = f"{module.__name__}.{name}"
        if inspect.isfunction(obj) or (callable(obj) and not inspect.isclass(obj)
                                       and not isinstance(obj, (int, float, str))):
            if not has_doc(obj):
                missing.append(where)
            continue
        if not inspect.isclass(obj):
            continue  # a constant: listed with its value on the reference page
        if not has_doc(obj):
            missing.append(where)
        if issubclass(obj, enum.Enum):
            continue  # members are values, documented by the enum
        missing += [f"{module.__name__}: {qualified}" for qualified, member in members(obj)
                    if not has_doc(member)]
        docs = " ".join(vars(base).get("__doc__") or "" for base in obj.__mro__ if ours(base))
        missing += [f"{where}: signal {signal} is not named in the class docstring"
                    for signal in signal_names(obj)
                    if not re.search(rf"``{signal}(\(|``)", docs)]
    return sorted(set(missing))


@pytest.mark.parametrize("name", reference_modules())
def test_every_public_name_has_a_docstring(name: str) -> None:
    missing = undocumented(importlib.import_module(name))
    assert not missing, "no docstring:\n" + "\n".join(missing)


# ------------------------------------------------------------------ the check can fail

PLANTED = '''
from godot_ws import Signal

__all__ = ["Documented", "Bare", "function"]


class Documented:
    """A class whose docstring names only ``named(id)``."""

    def __init__(self) -> None:
        self.ready = Signal("ready")
        self.named = Signal("named")

    def method(self) -> None:
        pass

    @property
    def prop(self) -> int:
        return 0


class Bare:
    pass


def function() -> None:
    pass
'''


def test_the_check_catches_each_kind_of_missing_docstring(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "godot_ws_planted.py").write_text(PLANTED)
    monkeypatch.syspath_prepend(str(tmp_path))
    missing = undocumented(importlib.import_module("godot_ws_planted"))
    text = "\n".join(missing)
    assert "godot_ws_planted.Bare" in missing
    assert "godot_ws_planted.function" in missing
    assert "Documented.method" in text and "Documented.prop" in text
    assert "signal ready is not named" in text
    assert "signal named is not named" not in text
