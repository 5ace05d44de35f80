"""How text that came from the network, or holds a secret, appears in a log line.

Owns the pure functions every layer uses before it logs: ``shown`` (peer-supplied text --
node paths, close reasons, header values -- escaped with ``repr`` and cut short, so a newline
or an ANSI escape in it can never forge a record and a megabyte of it never reaches a log),
``clean`` (the same, but ordinary text is left as Godot's messages show it) and
``redact_url`` (a URL without its ``user:password@`` part, so a proxy password never reaches
a log). No I/O, no logging of its own.
"""

from __future__ import annotations

import re

__all__ = ["SHOWN_CHARS", "clean", "redact_url", "shown"]

SHOWN_CHARS = 120
"""Characters of peer-supplied text a log line shows; the rest is counted, not shown."""

# scheme:// (optional) then the authority's userinfo, up to its last "@" before the path.
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)?[^/?#]*@")


def shown(text: object, limit: int = SHOWN_CHARS) -> str:
    """``text`` (str, or bytes decoded with replacement) as a quoted, escaped Python literal
    of at most ``limit`` characters of it, followed by how many more there were."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        text = bytes(text[:limit * 4]).decode("utf-8", "replace")
    elif not isinstance(text, str):
        text = str(text)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text) - limit} more characters)"


def clean(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` itself when it is short and printable (a node path or a method name as Godot's
    messages show them), else ``shown(text)``: a line break, a terminal escape or a flood in
    it is escaped and cut, never written raw."""
    return text if len(text) <= limit and text.isprintable() else shown(text, limit)


def redact_url(url: object) -> str:
    """``url`` with any ``user[:password]@`` replaced by ``***@`` (also in URLs too broken to
    parse, as a typo'd port makes them)."""
    text = url if isinstance(url, str) else str(url)
    return _USERINFO.sub(lambda m: f"{m.group(1) or ''}***@", text, count=1)
