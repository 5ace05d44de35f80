"""``X509Certificate``: Godot's certificate resource, as PEM text checked by the ``ssl`` module.

Owns loading and saving certificates (``load``/``save``/``load_from_string``/
``save_to_string``, as Godot 3.x and 4.x name them). Used by the client's
``trusted_tls_certificate`` pin; it opens files but never sockets.
"""

from __future__ import annotations

import logging
import re
import ssl

from .constants import Error

__all__ = ["X509Certificate"]

log = logging.getLogger("godot_ws")

_PEM_BLOCK = re.compile(
    r"-----BEGIN CERTIFICATE-----\r?\n.+?\r?\n-----END CERTIFICATE-----", re.DOTALL
)


class X509Certificate:
    """One certificate or a chain of them, kept as PEM text."""

    def __init__(self) -> None:
        self._pem = ""

    def load_from_string(self, string: str) -> Error:
        """Load PEM text; ERR_PARSE_ERROR if it holds no valid certificate (nothing changes)."""
        if not isinstance(string, str):
            raise TypeError("load_from_string takes the PEM text as str")
        blocks = _PEM_BLOCK.findall(string)
        try:
            for block in blocks:
                ssl.PEM_cert_to_DER_cert(block)
        except ValueError:
            blocks = []
        if not blocks:
            log.error("X509Certificate: no valid PEM certificate found")
            return Error.ERR_PARSE_ERROR
        self._pem = "\n".join(blocks) + "\n"
        return Error.OK

    def load(self, path: str) -> Error:
        try:
            with open(path, encoding="ascii") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as exc:
            log.error("X509Certificate.load(%r): %s", path, exc)
            return Error.ERR_FILE_CANT_OPEN
        return self.load_from_string(text)

    def save_to_string(self) -> str:
        return self._pem

    def save(self, path: str) -> Error:
        if not self._pem:
            return Error.ERR_UNCONFIGURED
        try:
            with open(path, "w", encoding="ascii") as f:
                f.write(self._pem)
        except OSError as exc:
            log.error("X509Certificate.save(%r): %s", path, exc)
            return Error.ERR_FILE_CANT_WRITE
        return Error.OK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, X509Certificate) and other._pem == self._pem

    __hash__ = None  # type: ignore[assignment]
