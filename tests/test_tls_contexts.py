"""wss ``connect_to_url`` does not build TLS contexts on the game's thread: one context per
configuration (godot_ws.net.tls), built by a background thread while TCP connects, shared by
every later connection. (How long ``connect_to_url`` takes is measured by the benchmark /
the notes, not here.)"""

from __future__ import annotations

import ssl
import threading
from typing import Any

import pytest
import trustme
from support import Recorder, poll_until
from test_tls import ca, pinned, tls_server, wss  # noqa: F401 (ca is a fixture)

from godot_ws import OK, WebSocketClient
from godot_ws.net import tls as _tls


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every client ``ssl.create_default_context`` call, as the calling thread's id."""
    _tls.clear_cache()
    calls: list[int] = []
    real = ssl.create_default_context

    def counting(purpose: Any = ssl.Purpose.SERVER_AUTH, **kw: Any) -> ssl.SSLContext:
        if purpose == ssl.Purpose.SERVER_AUTH:  # a client's (the test servers' are not)
            calls.append(threading.get_ident())
        return real(purpose, **kw)

    monkeypatch.setattr(_tls.ssl, "create_default_context", counting)
    yield calls
    _tls.clear_cache()


def connect(url: str, cert: Any = None) -> Recorder:
    client = WebSocketClient()
    if cert is not None:
        client.trusted_tls_certificate = cert
    rec = Recorder(client)
    assert client.connect_to_url(url) == OK
    poll_until(client, lambda: rec.has("connection_established") or rec.has("connection_error"),
               what="the TLS handshake")
    client.disconnect_from_host()
    return rec


def test_one_context_per_configuration(ca: trustme.CA, builds: list[int]) -> None:
    server = tls_server(ca)
    cert = pinned(ca)
    for _ in range(3):
        assert connect(wss(server), cert).calls[0] == ("connection_established", "")
    assert len(builds) == 1  # three pinned connections, one context
    assert _tls.client_context(True, cert.save_to_string()) is _tls.client_context(
        True, cert.save_to_string())
    other = trustme.CA()
    assert connect(wss(server), pinned(other)).calls == [("connection_error",)]
    assert len(builds) == 2  # a different pinned certificate is another configuration
    assert connect(wss(server)).calls == [("connection_error",)]  # system store: untrusted
    assert len(builds) == 3
    assert connect(wss(server)).calls == [("connection_error",)]
    assert len(builds) == 3


def test_ca_store_loads_off_the_calling_thread(ca: trustme.CA, builds: list[int],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    server = tls_server(ca)
    release = threading.Event()
    real = _tls.ssl.create_default_context

    def slow(*args: Any, **kw: Any) -> ssl.SSLContext:
        assert release.wait(10), "the test never released the build"
        return real(*args, **kw)

    monkeypatch.setattr(_tls.ssl, "create_default_context", slow)
    client = WebSocketClient()
    client.trusted_tls_certificate = pinned(ca)
    rec = Recorder(client)
    # The build is blocked: connect_to_url and poll must still return (nothing waits on it).
    assert client.connect_to_url(wss(server)) == OK
    for _ in range(20):
        client.poll()
    assert rec.calls == [] and client.get_connection_status() == client.CONNECTION_CONNECTING
    release.set()
    poll_until(client, lambda: rec.has("connection_established"), what="the handshake")
    future = _tls.client_context(True, pinned(ca).save_to_string())
    assert future.context is not None
    assert future.build_thread not in (0, threading.get_ident())
    client.disconnect_from_host()


def test_a_failed_build_is_a_connection_error(builds: list[int],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kw: Any) -> ssl.SSLContext:
        raise ssl.SSLError("no CA store")

    monkeypatch.setattr(_tls.ssl, "create_default_context", broken)
    rec = connect("wss://127.0.0.1:9/")
    assert rec.calls == [("connection_error",)]
