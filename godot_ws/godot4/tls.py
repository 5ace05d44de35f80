"""Godot 4's ``TLSOptions``, and the ``ssl`` contexts they stand for.

Owns the three constructors Godot 4.1+ has (``client``, ``client_unsafe``, ``server``) with the
semantics of core/crypto/crypto.cpp and tls_context_mbedtls.cpp (FACTS4 2.8), and turning them
into ``ssl.SSLContext`` objects (built once per options object). ``X509Certificate`` and
``CryptoKey`` are the package's own (``godot_ws.crypto``). Opens no sockets.
"""

from __future__ import annotations

import logging
import ssl

from ..net.tls import ContextFuture, client_context
from ..net.crypto import CryptoKey, X509Certificate, server_context

__all__ = ["TLSOptions", "X509Certificate", "CryptoKey"]

log = logging.getLogger("godot_ws")

_default_client: ssl.SSLContext | None = None


def _default_client_context() -> ssl.SSLContext:
    """The system trust store's client context, loaded once (loading costs milliseconds)."""
    global _default_client
    if _default_client is None:
        _default_client = ssl.create_default_context()
    return _default_client


class TLSOptions:
    """How a TLS connection is verified (client) or presented (server); Godot 4's RefCounted.

    Make one with ``TLSOptions.client()``, ``TLSOptions.client_unsafe()`` or
    ``TLSOptions.server(key, certificate)``; pass it to ``WebSocketPeer.connect_to_url``,
    ``StreamPeerTLS.accept_stream`` or a multiplayer peer.
    """

    def __init__(self) -> None:
        self._mode = "client"  # "client", "unsafe" or "server"
        self._trusted_chain: X509Certificate | None = None
        self._common_name_override = ""
        self._private_key: CryptoKey | None = None
        self._own_certificate: X509Certificate | None = None
        self._context: ssl.SSLContext | None = None

    # ------------------------------------------------------------------ Godot's constructors

    @staticmethod
    def client(
        trusted_chain: X509Certificate | None = None, common_name_override: str = ""
    ) -> TLSOptions:
        """Verify the server: its certificate must chain to ``trusted_chain`` (the system's
        trust store when None) and name ``common_name_override`` (the URL's host when "")."""
        if trusted_chain is not None and not isinstance(trusted_chain, X509Certificate):
            raise TypeError("trusted_chain must be an X509Certificate or None")
        if not isinstance(common_name_override, str):
            raise TypeError("common_name_override must be str")
        options = TLSOptions()
        options._trusted_chain = trusted_chain
        options._common_name_override = common_name_override
        return options

    @staticmethod
    def client_unsafe(trusted_chain: X509Certificate | None = None) -> TLSOptions:
        """No host name check; with no ``trusted_chain``, no certificate check at all (as in
        Godot: for testing only). With a chain, the certificate must still chain to it."""
        if trusted_chain is not None and not isinstance(trusted_chain, X509Certificate):
            raise TypeError("trusted_chain must be an X509Certificate or None")
        options = TLSOptions()
        options._mode = "unsafe"
        options._trusted_chain = trusted_chain
        return options

    @staticmethod
    def server(key: CryptoKey, certificate: X509Certificate) -> TLSOptions:
        """Serve TLS with ``key`` and ``certificate`` (which may hold a chain); clients are
        not asked for certificates."""
        if not isinstance(key, CryptoKey) or not isinstance(certificate, X509Certificate):
            raise TypeError("TLSOptions.server(key: CryptoKey, certificate: X509Certificate)")
        options = TLSOptions()
        options._mode = "server"
        options._private_key = key
        options._own_certificate = certificate
        return options

    # ------------------------------------------------------------------ Godot's getters (4.2+)

    def is_server(self) -> bool:
        """Whether these are server options (``TLSOptions.server``)."""
        return self._mode == "server"

    def is_unsafe_client(self) -> bool:
        """Whether these are ``TLSOptions.client_unsafe`` options (host name not checked)."""
        return self._mode == "unsafe"

    def get_common_name_override(self) -> str:
        """The name the server's certificate is checked against instead of the URL's host ("" for
        the host)."""
        return self._common_name_override

    def get_trusted_ca_chain(self) -> X509Certificate | None:
        """The only CA chain trusted (None: the system's CAs)."""
        return self._trusted_chain

    def get_private_key(self) -> CryptoKey | None:
        """The server's private key (server options), or None."""
        return self._private_key

    def get_own_certificate(self) -> X509Certificate | None:
        """The server's certificate (server options), or None."""
        return self._own_certificate

    # ------------------------------------------------------------------ ssl

    def ssl_context(self) -> ssl.SSLContext:
        """This object's ``ssl.SSLContext`` (made on first use, then reused). Raises
        ``ssl.SSLError``/``ValueError`` when the certificate or key does not load."""
        if self._context is not None:
            return self._context
        if self._mode == "server":
            assert self._private_key is not None and self._own_certificate is not None
            context = server_context(self._private_key, self._own_certificate)
        elif self._trusted_chain is None and self._mode == "client":
            context = _default_client_context()
        elif self._trusted_chain is None:  # client_unsafe() with no chain: trust anything
            log.warning("TLSOptions.client_unsafe: neither the certificate nor the host name "
                        "of the server is checked")
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        else:
            # Only the given chain is trusted (create_default_context loads no system CAs
            # when cadata is given).
            context = ssl.create_default_context(cadata=self._trusted_chain.save_to_string())
            # A pinned leaf is a trust anchor too (as for the 3.x client, godot_ws._tls).
            context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
            if self._mode == "unsafe":
                log.warning("TLSOptions.client_unsafe: the server's host name is not checked")
                context.check_hostname = False
        self._context = context
        return context

    def client_context(self) -> ContextFuture:
        """A client's context, built off the game's thread and shared by every connection
        with the same options (``godot_ws._tls``: loading the system store takes frames)."""
        chain = self._trusted_chain
        if self._mode == "unsafe":
            log.warning("TLSOptions.client_unsafe: the server's host name is not checked%s",
                        "" if chain is not None else ", nor its certificate")
        return client_context(
            verify=not (self._mode == "unsafe" and chain is None),
            pinned_pem=chain.save_to_string() if chain is not None else None,
            check_hostname=self._mode == "client",
        )

    def server_name(self, host: str) -> str:
        """The name a client checks the certificate against (and sends as SNI)."""
        return self._common_name_override or host

    def __repr__(self) -> str:
        return f"<TLSOptions {self._mode}>"
