"""Writes the reference pages from the public modules' ``__all__`` when a build starts.

Each public module (``MODULES``) gets an index page listing its names by topic and one page
per class; functions and decorators share a page, constants and enums another. A name added
to ``__all__`` appears on the next build with no edit here; its docstring is what the page
shows (``tests/test_docstrings.py`` fails when one is missing). The pages are written into
``reference/<module>/`` (ignored by git) and rewritten only when their text changes, so
incremental builds stay incremental.
"""

from __future__ import annotations

import enum
import importlib
import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # tests/test_docstrings.py imports MODULES without Sphinx installed
    from sphinx.application import Sphinx

# (module, title, what the index page says first)
MODULES = [
    ("godot_ws", "Godot 3 API: godot_ws",
     "Godot 3.2.3's networking classes, value types and RPC layer, under Godot's names."),
    ("godot_ws.godot4", "Godot 4 API: godot_ws.godot4",
     "Godot 4's WebSocket, TCP/TLS stream, multiplayer and Variant classes, under Godot 4's "
     "names."),
    ("godot_ws.reconnect", "Reconnecting: godot_ws.reconnect",
     "An opt-in helper that connects a client again when its connection ends."),
]

# Topic of a name, by the module that defines it (first match wins); new names land in a
# topic by where they live, or in "Other".
TOPICS = [
    ("Networking", ("client", "server", "peer", "stream", "tls", "crypto", "deflate",
                    "reconnect", "transport", "connection", "proxy")),
    ("High-level multiplayer (RPC and replication)", ("rpc", "scene", "node", "multiplayer",
                                                      "replicat", "spawn", "synchron")),
    ("Values (Variant types and codec)", ("variant", "types", "vector", "transform", "color")),
    ("Signals", ("signal",)),
    ("Constants and enums", ("constants",)),
]
# Classes whose members the pages leave out (Python's own, documented by Python).
BUILTIN_BASES = "object, int, float, str, bytes, tuple, list, dict, Exception, BaseException"


def topic(obj: Any) -> str:
    module = getattr(obj, "__module__", "") or ""
    tail = module.split(".", 1)[-1]
    for title, words in TOPICS:
        if any(word in tail for word in words):
            return title
    return "Other"


def summary(obj: Any) -> str:
    """The first sentence of a docstring, as one line (no roles, so it renders anywhere)."""
    doc = inspect.getdoc(obj) or ""
    first = doc.split("\n\n", 1)[0].replace("\n", " ").strip()
    if first.endswith("::"):  # it introduces a literal block, which stays on the page
        first = first[:-1]
    return first or "(undocumented)"


def kind(obj: Any) -> str:
    if inspect.isclass(obj) and obj.__module__ == "builtins":
        return "alias"  # Godot's name for a Python type (PoolByteArray is bytes)
    if inspect.isclass(obj):
        if issubclass(obj, enum.Enum):
            return "enum"
        if issubclass(obj, BaseException):
            return "exception"
        return "class"
    if isinstance(obj, enum.Enum) or isinstance(obj, (int, float, str)):
        return "constant"
    if callable(obj):
        return "function"
    return "constant"


def title(text: str, char: str) -> str:
    return f"{text}\n{char * len(text)}\n"


def write(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def first_owner(obj: Any) -> str | None:
    """The earlier public module that already has a page for this very object, under the
    object's own name where a module exports it twice (Godot 4's ``MultiplayerAPI`` is
    ``SceneMultiplayer``)."""
    for name, _, _ in MODULES:
        module = importlib.import_module(name)
        found = [public for public in getattr(module, "__all__", [])
                 if getattr(module, public) is obj]
        if found:
            own = getattr(obj, "__name__", None)
            return f"{name}.{own if own in found else found[0]}"
    return None


def class_page(module: str, name: str, obj: Any) -> str:
    directive = "autoexception" if issubclass(obj, BaseException) else "autoclass"
    options = [":members:", ":undoc-members:"]
    if not issubclass(obj, enum.Enum):
        options.append(f":inherited-members: {BUILTIN_BASES}")
    lines = [title(name, "="), f".. currentmodule:: {module}\n", f".. {directive}:: {name}"]
    lines += [f"   {option}" for option in options]
    return "\n".join(lines) + "\n"


def module_pages(srcdir: Path, module_name: str, heading: str, intro: str) -> list[str]:
    module = importlib.import_module(module_name)
    names: list[str] = list(getattr(module, "__all__", []))
    folder = srcdir / "reference" / module_name
    by_topic: dict[str, list[tuple[str, str]]] = {}
    functions: list[str] = []
    aliases: list[str] = []
    constants: list[str] = []
    enums: list[str] = []
    pages: list[str] = []
    lowered = [name.lower() for name in names]
    for name in names:
        obj = getattr(module, name)
        what = kind(obj)
        owner = first_owner(obj)
        if what in ("class", "exception", "enum"):
            if owner == f"{module_name}.{name}":
                # ``signal`` and ``Signal``: one file each, also where case does not count
                page = name if lowered.count(name.lower()) == 1 or not name.islower() \
                    else f"{name}-lowercase"
                write(folder / f"{page}.rst", class_page(module_name, name, obj))
                pages.append(page)
                link = f":doc:`{name} <{page}>`"
            else:  # the same object as a name documented on another module's pages
                assert owner is not None
                link = f":py:class:`{name} <{owner}>` (the same class as ``{owner}``)"
            if what == "enum":
                enums.append(name)
            by_topic.setdefault(topic(obj), []).append((link, summary(obj)))
        elif what == "function":
            functions.append(name)
        elif what == "alias":
            aliases.append(name)
        else:
            constants.append(name)

    text = [title(heading, "="), f".. module:: {module_name}\n", intro + "\n"]
    text.append("Every name is Godot's own unless its description says otherwise. "
                "Methods return Godot's ``Error`` codes where Godot's do (``OK`` is 0).\n")
    order = [t for t, _ in TOPICS] + ["Other"]
    for section in sorted(by_topic, key=order.index):
        text.append(title(section, "-"))
        text.append(".. list-table::\n   :widths: 30 70\n")
        for link, line in by_topic[section]:
            text.append(f"   * - {link}\n     - {line}")
        text.append("")
    if aliases:
        text.append(title("Godot types that are Python's", "-"))
        text += [f"- ``{name}``: Python's :py:class:`{getattr(module, name).__name__}`"
                 for name in aliases]
        text.append("")
    if functions:
        text.append(title("Functions and decorators", "-"))
        for name in functions:
            text.append(f".. autofunction:: {name}\n")
    if constants:
        text.append(title("Constants", "-"))
        text.append("Module-level constants, as GDScript has them as globals. Members of an "
                    "enum are listed with their enum too.\n")
        text.append(".. list-table::\n   :header-rows: 1\n   :widths: 45 15 40\n\n"
                    "   * - name\n     - value\n     - of")
        for name in constants:
            obj = getattr(module, name)
            value = int(obj) if isinstance(obj, int) else obj
            text.append(f"   * - ``{name}``\n     - ``{value!r}``\n"
                        f"     - ``{type(obj).__name__}``")
        text.append("")
    if pages:
        text.append(".. toctree::\n   :hidden:\n")
        text += [f"   {page}" for page in pages]
        text.append("")
    write(folder / "index.rst", "\n".join(text) + "\n")
    for stale in folder.glob("*.rst"):  # a name that left __all__ loses its page
        if stale.stem not in pages and stale.stem != "index":
            stale.unlink()
    return [f"{module_name}/index"]


def generate(app: Sphinx) -> None:
    srcdir = Path(app.srcdir)
    for module_name, heading, intro in MODULES:
        module_pages(srcdir, module_name, heading, intro)


def skip_aliases(app: Sphinx, what: str, name: str, obj: Any, skip: bool,
                 options: Any) -> bool | None:
    """A public class kept as an attribute of another (Godot 4's ``WebSocketPeer.WriteMode``)
    has its own page; documenting it again would describe one object twice."""
    if what == "class" and inspect.isclass(obj) and first_owner(obj) is not None:
        return True
    return None


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", generate)
    app.connect("autodoc-skip-member", skip_aliases)
    return {"version": "1", "parallel_read_safe": True}
