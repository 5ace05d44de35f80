"""HTTP proxies: ws and wss through a real tinyproxy (started here), Basic auth, refusals
(407, 403), a proxy that never answers, and the http_proxy / https_proxy / no_proxy
environment variables.

Needs Debian's ``tinyproxy`` (``.ci/run`` installs it). Without it these tests skip, unless
``CI`` is set, where they fail instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme
from support import Recorder, WebsocketsServer, drain, poll_until, terminate
from websockets.sync.server import ServerConnection

from godot_ws import ERR_INVALID_PARAMETER, OK, WebSocketClient, X509Certificate
from godot_ws.net.proxy import ProxyError, choose_proxy, parse_proxy


def _echo(ws: ServerConnection) -> None:
    for message in ws:
        ws.send(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Tinyproxy:
    """A tinyproxy process on 127.0.0.1 with its own config and log."""

    def __init__(self, directory: Path, extra: str = "") -> None:
        binary = shutil.which("tinyproxy") or (
            "/usr/bin/tinyproxy" if os.path.exists("/usr/bin/tinyproxy") else None)
        if binary is None:
            message = "tinyproxy is not installed (apt-get install tinyproxy)"
            if os.environ.get("CI"):
                pytest.fail(message + " [CI is set, so this fails instead of skipping]",
                            pytrace=False)
            pytest.skip(message)
        self.log = directory / "tinyproxy.log"
        for attempt in range(3):
            self.port = _free_port()
            config = directory / "tinyproxy.conf"
            config.write_text(
                f"Port {self.port}\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\n"
                f"LogFile \"{self.log}\"\nLogLevel Info\nMaxClients 20\n{extra}\n"
            )
            self.proc = subprocess.Popen([binary, "-d", "-c", str(config)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                    return
                except OSError:
                    time.sleep(0.05)
            self.stop()
        log = self.log.read_text()[-2000:] if self.log.exists() else "(no log)"
        raise RuntimeError(f"tinyproxy did not start with {config.read_text()!r}: {log}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connects(self) -> int:
        """CONNECT requests the proxy logged."""
        return self.log.read_text(errors="replace").count("): CONNECT ") if self.log.exists() else 0

    def stop(self) -> None:
        terminate(self.proc)


@pytest.fixture
def tinyproxy(tmp_path: Path) -> Iterator[Callable[[str], Tinyproxy]]:
    started: list[Tinyproxy] = []

    def start(extra: str = "") -> Tinyproxy:
        directory = tmp_path / f"proxy{len(started)}"
        directory.mkdir()
        proxy = Tinyproxy(directory, extra)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


def _echo_once(client: WebSocketClient, url: str) -> Recorder:
    """Connect, send a message, get it back, close cleanly."""
    rec = Recorder(client)
    assert client.connect_to_url(url) == OK
    poll_until(client, lambda: rec.has("connection_established") or rec.has("connection_error"),
               what="the connection through the proxy")
    assert rec.names() == ["connection_established"], rec.calls
    peer = client.get_peer(1)
    assert peer is not None
    peer.put_packet(b"through the tunnel")
    got: list[tuple[bytes, bool]] = []
    poll_until(client, lambda: bool(got.extend(drain(client)) or got))
    assert got == [(b"through the tunnel", False)]
    client.disconnect_from_host()
    poll_until(client, lambda: rec.has("connection_closed"))
    return rec


def _failure(client: WebSocketClient, url: str, caplog: pytest.LogCaptureFixture,
             timeout: float = 5.0) -> tuple[Recorder, float]:
    """Connect and poll until connection_error; returns the longest single poll."""
    rec = Recorder(client)
    assert client.connect_to_url(url) == OK
    longest = 0.0
    deadline = time.monotonic() + timeout
    while not rec.has("connection_error"):
        assert time.monotonic() < deadline, f"no connection_error within {timeout} s"
        assert not rec.has("connection_established")
        start = time.monotonic()
        client.poll()
        longest = max(longest, time.monotonic() - start)
        time.sleep(0.001)
    return rec, longest


def test_ws_through_tinyproxy(tinyproxy: Callable[[str], Tinyproxy]) -> None:
    proxy = tinyproxy("")
    server = WebsocketsServer(_echo)
    client = WebSocketClient()
    client.proxy = proxy.url
    _echo_once(client, server.url)
    server.close()
    assert proxy.connects() == 1


def test_wss_through_tinyproxy_with_basic_auth(tinyproxy: Callable[[str], Tinyproxy]) -> None:
    proxy = tinyproxy("BasicAuth gamer s3cret")  # tinyproxy takes [A-Za-z0-9] only
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    server = WebsocketsServer(_echo, ssl=context)
    client = WebSocketClient()
    cert = X509Certificate()
    assert cert.load_from_string(ca.cert_pem.bytes().decode()) == OK
    client.trusted_tls_certificate = cert
    client.proxy = f"http://gamer:s3cr%65t@127.0.0.1:{proxy.port}"  # percent-decoded
    _echo_once(client, f"wss://localhost:{server.port}/")  # TLS checks "localhost" end to end
    server.close()
    assert proxy.connects() == 1


@pytest.mark.parametrize("credentials, expect", [("", "(407, no credentials given)"),
                                                 # tinyproxy answers wrong ones with 401
                                                 ("gamer:wrong@", "(401, wrong credentials)")])
def test_proxy_refuses_407(tinyproxy: Callable[[str], Tinyproxy], caplog: pytest.LogCaptureFixture,
                           credentials: str, expect: str) -> None:
    proxy = tinyproxy("BasicAuth gamer right")
    server = WebsocketsServer(_echo)
    client = WebSocketClient()
    client.proxy = f"http://{credentials}127.0.0.1:{proxy.port}"
    rec, _ = _failure(client, server.url, caplog)
    server.close()
    assert rec.names() == ["connection_error"]
    assert "requires authentication " + expect in caplog.text


def test_proxy_refuses_403(tinyproxy: Callable[[str], Tinyproxy],
                           caplog: pytest.LogCaptureFixture) -> None:
    proxy = tinyproxy("ConnectPort 443")  # CONNECT to any other port is forbidden
    server = WebsocketsServer(_echo)
    client = WebSocketClient()
    client.proxy = proxy.url
    rec, _ = _failure(client, server.url, caplog)
    server.close()
    assert rec.names() == ["connection_error"]
    assert "refused the tunnel" in caplog.text and "403" in caplog.text


def test_hanging_proxy_ends_in_the_handshake_timeout(caplog: pytest.LogCaptureFixture) -> None:
    """A proxy that accepts TCP and never answers CONNECT: poll() never blocks on it, and
    handshake_timeout ends the attempt with connection_error."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    client = WebSocketClient()
    client.handshake_timeout = 2.0  # a poll that blocked on the silent proxy would wait this long
    client.proxy = f"127.0.0.1:{listener.getsockname()[1]}"  # no scheme: http, as curl
    rec, longest = _failure(client, "ws://example.invalid/", caplog)
    thread.join(5)
    assert accepted, "the client never reached the proxy"
    assert "handshake timed out" in caplog.text
    assert longest < 1.0, f"one poll took {longest:.3f} s: it blocked on the proxy"
    for sock in accepted:
        sock.close()
    listener.close()


def test_environment_and_no_proxy(tinyproxy: Callable[[str], Tinyproxy],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = tinyproxy("")
    server = WebsocketsServer(_echo)
    monkeypatch.setenv("http_proxy", proxy.url)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    _echo_once(WebSocketClient(), server.url)
    assert proxy.connects() == 1
    # no_proxy (environment, then the explicit option) and proxy="" go direct.
    monkeypatch.setenv("no_proxy", "example.com,127.0.0.0/8")
    _echo_once(WebSocketClient(), server.url)
    monkeypatch.delenv("no_proxy")
    client = WebSocketClient()
    client.no_proxy = ["127.0.0.1"]
    _echo_once(client, server.url)
    client = WebSocketClient()
    client.proxy = ""
    _echo_once(client, server.url)
    assert proxy.connects() == 1
    # https_proxy is for wss only.
    monkeypatch.delenv("http_proxy")
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:1")
    _echo_once(WebSocketClient(), server.url)
    server.close()


def test_proxy_settings() -> None:
    assert parse_proxy("http://u:p%40x@proxy.example:3128") == parse_proxy(
        "u:p%40x@proxy.example:3128")
    assert parse_proxy("proxy.example").port == 80
    assert parse_proxy("http://u:p%40x@h:1").password == "p@x"
    for bad in ("socks5://h:1080", "https://h:443", "http://h:99999", "http://:80"):
        with pytest.raises(ProxyError):
            parse_proxy(bad)
    assert choose_proxy("game.example", False, "http://h:1", ["*"]) is None
    assert choose_proxy("game.example", False, "http://h:1", [".example"]) is None
    assert choose_proxy("game.example", False, "http://h:1", ["other.example"]) is not None
    client = WebSocketClient()
    client.proxy = "socks5://127.0.0.1:1080"
    assert client.connect_to_url("ws://127.0.0.1:9/") == ERR_INVALID_PARAMETER


def test_godot4_peer_through_tinyproxy(tinyproxy: Callable[[str], Tinyproxy]) -> None:
    """godot_ws.godot4.WebSocketPeer takes the same proxy and no_proxy settings."""
    from godot_ws.godot4 import WebSocketPeer as Peer4

    proxy = tinyproxy("")
    server = WebsocketsServer(_echo)
    peer = Peer4()
    peer.proxy = proxy.url
    assert peer.connect_to_url(server.url) == OK
    poll_until(peer, lambda: peer.get_ready_state() != Peer4.STATE_CONNECTING)
    assert peer.get_ready_state() == Peer4.STATE_OPEN
    assert peer.put_packet(b"4.x through the tunnel") == OK
    poll_until(peer, lambda: peer.get_available_packet_count() == 1)
    assert peer.get_packet() == b"4.x through the tunnel"
    peer.close()
    poll_until(peer, lambda: peer.get_ready_state() == Peer4.STATE_CLOSED)
    assert proxy.connects() == 1
    refused = Peer4()
    refused.proxy = "socks5://127.0.0.1:1080"
    assert refused.connect_to_url(server.url) == ERR_INVALID_PARAMETER
    server.close()
