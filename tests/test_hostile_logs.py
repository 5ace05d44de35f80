"""Hostile peers and the log (issue 25, findings 11, 12 and 14): a proxy password never reaches
a log line, text a peer sent is escaped and cut short, and a peer flooding junk costs a few
lines per window (with a count of the rest), then is closed for its protocol errors."""

from __future__ import annotations

import logging
import socket
import struct
import time
from typing import Any

import pytest

from godot_ws import WebSocketClient
from godot_ws.core.constants import Error
from godot_ws.godot4 import SceneMultiplayer, WebSocketMultiplayerPeer, WebSocketPeer

SECRET = "s3cr3t-Pa55"


def _messages(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records)


# ------------------------------------------------------------------ finding 14: proxy password


@pytest.mark.parametrize("proxy", [
    f"http://player:{SECRET}@127.0.0.1:31x28",  # a typo'd port
    f"player:{SECRET}@127.0.0.1:99999",  # a port out of range, no scheme
    f"socks5://player:{SECRET}@127.0.0.1:1080",  # an unsupported scheme
    f"http://player:{SECRET}@:3128",  # no host
])
def test_proxy_password_never_logged(proxy: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="godot_ws")
    client = WebSocketClient()
    client.proxy = proxy
    assert client.connect_to_url("ws://127.0.0.1:9/") == Error.ERR_INVALID_PARAMETER
    peer = WebSocketPeer()
    peer.proxy = proxy
    assert peer.connect_to_url("ws://127.0.0.1:9/") != Error.OK
    text = _messages(caplog)
    assert len(caplog.records) == 2 and SECRET not in text, text


def test_proxy_password_from_the_environment_never_logged(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="godot_ws")
    monkeypatch.setenv("http_proxy", f"http://player:{SECRET}@127.0.0.1:31x28")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert WebSocketClient().connect_to_url("ws://example.invalid/") != Error.OK
    assert WebSocketPeer().connect_to_url("ws://example.invalid/") != Error.OK
    assert caplog.records and SECRET not in _messages(caplog)


def test_userinfo_of_a_bad_websocket_url_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="godot_ws")
    url = f"ws://player:{SECRET}@127.0.0.1:80x/"
    assert WebSocketClient().connect_to_url(url) == Error.ERR_INVALID_PARAMETER
    assert WebSocketPeer().connect_to_url(url) != Error.OK
    assert caplog.records and SECRET not in _messages(caplog)


def test_redact_url_and_shown() -> None:
    from godot_ws.core.logtext import redact_url, shown

    assert redact_url(f"http://a:{SECRET}@h:1") == "http://***@h:1"
    assert redact_url(f"a:{SECRET}@h:1") == "***@h:1"
    assert redact_url("ws://h/p@q") == "ws://h/p@q"
    assert shown("a\nCRITICAL b") == repr("a\nCRITICAL b")
    long = shown("x" * 10_000)
    assert len(long) < 200 and "9880 more characters" in long
