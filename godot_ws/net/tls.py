"""Client TLS contexts: built once per configuration, and never on the game's thread.

Owns ``client_context(verify, pinned_pem)``. Building a default context loads the system CA
store, which took 50-70 ms here: three or four frames if ``connect_to_url`` did it. So each
configuration (verification on or off, the pinned certificate's PEM) gets one context, built
by a background thread started the first time it is asked for (``_thread.start_new_thread``,
which does not wait for the thread to be scheduled), and shared by every later connection
(an ``SSLContext`` may wrap many sockets). The caller gets a ``ContextFuture`` at once; the
transport waits for it (``Transport.connect_step`` returns "pending") while TCP connects in
parallel. No socket I/O here.
"""

from __future__ import annotations

import _thread
import ssl

__all__ = ["ContextFuture", "client_context", "clear_cache"]

_MAX_CONFIGURATIONS = 32  # pinned certificates are part of the key: keep the cache bounded


class ContextFuture:
    """A client ``SSLContext`` being built: ``context`` once ready, or ``error`` (text)."""

    __slots__ = ("context", "error", "build_thread")

    def __init__(self) -> None:
        self.context: ssl.SSLContext | None = None
        self.error = ""
        self.build_thread = 0  # the thread that built it (tests check it is not the caller)

    @property
    def done(self) -> bool:
        return self.context is not None or bool(self.error)


_cache: dict[tuple[bool, str | None, bool], ContextFuture] = {}
_lock = _thread.allocate_lock()


def client_context(
    verify: bool, pinned_pem: str | None, check_hostname: bool = True
) -> ContextFuture:
    """The shared context for this configuration, being built or ready. ``pinned_pem``: the
    only trust anchor (Godot's ``trusted_ssl_certificate``), else the system CA store.
    ``check_hostname=False`` with verification: the chain is checked, the name is not
    (Godot 4's ``TLSOptions.client_unsafe(chain)``)."""
    key = (bool(verify), pinned_pem if verify else None, bool(check_hostname) or not verify)
    with _lock:
        future = _cache.get(key)
        if future is None or future.error:
            if len(_cache) >= _MAX_CONFIGURATIONS:
                _cache.clear()
            future = _cache[key] = ContextFuture()
            _thread.start_new_thread(_build, (future, key[0], key[1], key[2]))
    return future


def clear_cache() -> None:
    """Forget every context (the next connection builds a fresh one; for tests)."""
    with _lock:
        _cache.clear()


def _build(
    future: ContextFuture, verify: bool, pinned_pem: str | None, check_hostname: bool = True
) -> None:
    """Thread body: build the context (loading the CA store) and publish it or the error."""
    future.build_thread = _thread.get_ident()
    try:
        if not verify:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif pinned_pem is not None:
            # Pinning: cadata replaces the system store as the only trust anchor.
            context = ssl.create_default_context(cadata=pinned_pem)
            # A pinned leaf (not a CA) is a trust anchor too: without PARTIAL_CHAIN OpenSSL
            # insists on a self-signed root, so "only it (or a chain ending in it)" failed.
            context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        else:
            context = ssl.create_default_context()
        if verify and not check_hostname:
            context.check_hostname = False
    except (ssl.SSLError, OSError, ValueError) as exc:
        future.error = f"TLS set-up failed: {exc}"
        return
    future.context = context
