"""``X509Certificate`` and ``CryptoKey``: Godot's TLS resources, kept as PEM text.

Owns loading and saving them (``load``/``save``/``load_from_string``/``save_to_string``, as
Godot 3.x and 4.x name them) and turning them into ``ssl`` contexts. Certificates are checked
by the ``ssl`` module, keys by the ``cryptography`` package. Opens files, never sockets.
"""

from __future__ import annotations

import logging
import os
import re
import ssl
import tempfile

from ..core.constants import Error

__all__ = ["X509Certificate", "CryptoKey", "server_context"]

log = logging.getLogger("godot_ws.crypto")  # the name README documents

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
        """Load PEM certificates from the file at ``path`` (a file path, not ``res://``);
        ERR_FILE_CANT_OPEN or ERR_PARSE_ERROR (logged), and nothing changes, when that fails."""
        try:
            with open(path, encoding="ascii") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as exc:
            log.error("X509Certificate.load(%r): %s", path, exc)
            return Error.ERR_FILE_CANT_OPEN
        return self.load_from_string(text)

    def save_to_string(self) -> str:
        """The certificates as PEM text ("" when none is loaded)."""
        return self._pem

    def save(self, path: str) -> Error:
        """Write the certificates to ``path`` as PEM; ERR_UNCONFIGURED when none is loaded,
        ERR_FILE_CANT_WRITE (logged) when the file cannot be written."""
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


class CryptoKey:
    """A private key (PEM), for ``WebSocketServer.private_key``."""

    def __init__(self) -> None:
        self._pem = ""

    def load_from_string(self, string_key: str, public_only: bool = False) -> Error:
        """Load a PEM private key; ERR_PARSE_ERROR if it is not one (nothing changes)."""
        if not isinstance(string_key, str):
            raise TypeError("load_from_string takes the PEM text as str")
        if public_only:
            log.error("CryptoKey: public-only keys are not supported")
            return Error.ERR_UNAVAILABLE
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        try:
            load_pem_private_key(string_key.encode("ascii"), password=None)
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            log.error("CryptoKey: not a PEM private key without a password: %s", exc)
            return Error.ERR_PARSE_ERROR
        self._pem = string_key
        return Error.OK

    def load(self, path: str, public_only: bool = False) -> Error:
        """Load a PEM private key from the file at ``path``; ERR_FILE_CANT_OPEN or ERR_PARSE_ERROR
        (logged) when that fails. ``public_only`` keys are not supported (ERR_UNAVAILABLE)."""
        try:
            with open(path, encoding="ascii") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as exc:
            log.error("CryptoKey.load(%r): %s", path, exc)
            return Error.ERR_FILE_CANT_OPEN
        return self.load_from_string(text, public_only)

    def save_to_string(self, public_only: bool = False) -> str:
        """The key as PEM text ("" when none is loaded)."""
        return self._pem

    def save(self, path: str, public_only: bool = False) -> Error:
        """Write the key to ``path`` as PEM, readable by the owner only; ERR_UNCONFIGURED when none
        is loaded, ERR_FILE_CANT_WRITE (logged) when the file cannot be written."""
        if not self._pem:
            return Error.ERR_UNCONFIGURED
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(self._pem)
        except OSError as exc:
            log.error("CryptoKey.save(%r): %s", path, exc)
            return Error.ERR_FILE_CANT_WRITE
        return Error.OK


def server_context(
    key: CryptoKey, certificate: X509Certificate, ca_chain: X509Certificate | None = None
) -> ssl.SSLContext:
    """A TLS server context; raises ``ssl.SSLError``/``ValueError`` if the key does not fit."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    chain = certificate.save_to_string() + (ca_chain.save_to_string() if ca_chain else "")
    # ssl only loads key material from files: write both to a private temporary directory.
    with tempfile.TemporaryDirectory() as folder:
        cert_path = os.path.join(folder, "cert.pem")
        key_path = os.path.join(folder, "key.pem")
        with open(cert_path, "w", encoding="ascii") as f:
            f.write(chain)
        key.save(key_path)
        context.load_cert_chain(cert_path, key_path)
    return context
