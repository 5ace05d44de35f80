"""The "Host many games behind nginx" how-to (docs/howto/host-many-games.rst) works as
written: a real nginx runs its configuration, three of its host programs run behind it, and
Python and Godot 3.2.3 clients join the games over ``wss://`` through one nginx port while
the hosts speak plain ``ws://`` on 127.0.0.1.

Changed from the page, and why: the ports (free ones, not 443 and 9081-9083), the certificate
paths (a test CA's, trusted by the clients), and one line, ``proxy_bind 127.0.0.2``. On one
machine the players and nginx all connect from 127.0.0.1, so without it a host could not
tell whether ``get_peer_address`` reported the player (from ``X-Forwarded-For``) or the
proxy. With it nginx connects from 127.0.0.2, the hosts trust 127.0.0.2 instead of the
page's 127.0.0.1, and a player is 127.0.0.1 only if the forwarded header was believed.

Needs Debian's ``nginx`` and ``godot3-server`` (``.ci/run`` installs both); without them the
test skips, unless ``CI`` is set: then it fails."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import terminate
from test_readme import ROOT, Example, code_blocks, free_port, wait_listening

from godot_ws import OK, WebSocketClient, X509Certificate

PAGE = ROOT / "docs" / "howto" / "host-many-games.rst"
GAMES = ("arena", "dice", "chat")


def nginx_binary() -> str:
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx")
                                       else None)
    if binary is None:
        message = "nginx is not installed (apt-get install nginx)"
        if os.environ.get("CI"):
            pytest.fail(message + " [CI is set, so this fails instead of skipping]",
                        pytrace=False)
        pytest.skip(message)
    return binary


def page_config() -> str:
    found = re.search(r"\.\. code-block:: nginx\n\n((?:    .*\n|\n)+)", PAGE.read_text())
    assert found is not None, "the how-to has no nginx configuration"
    return "\n".join(line[4:] for line in found.group(1).splitlines())


class Nginx:
    """nginx with the page's configuration inside a minimal main file of its own (pid, logs
    and temporary files in ``directory``), in the foreground, stopped by ``stop``."""

    def __init__(self, directory: Path, games_conf: str) -> None:
        binary = nginx_binary()
        (directory / "games.conf").write_text(games_conf)
        temp = "\n".join(f"    {kind}_temp_path {directory}/{kind};"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        self.error_log = directory / "error.log"
        main = directory / "nginx.conf"
        main.write_text(f"daemon off;\nworker_processes 1;\npid {directory}/nginx.pid;\n"
                        f"error_log {self.error_log} info;\nevents {{ worker_connections 64; }}\n"
                        f"http {{\n    access_log off;\n{temp}\n"
                        f"    include {directory}/games.conf;\n}}\n")
        command = [binary, "-p", str(directory), "-c", str(main), "-e", str(self.error_log)]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stdout + check.stderr
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT)

    def stop(self) -> None:
        terminate(self.proc)  # SIGTERM: nginx's fast shutdown


@pytest.fixture
def nginx() -> Iterator[Callable[[Path, str], Nginx]]:
    started: list[Nginx] = []

    def start(directory: Path, conf: str) -> Nginx:
        proxy = Nginx(directory, conf)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()
        print(f"--- nginx error log ---\n{proxy.error_log.read_text(errors='replace')[-3000:]}"
              if proxy.error_log.exists() else "")


def join(url: str, ca: X509Certificate, **kw: Any) -> WebSocketClient:
    client = WebSocketClient()
    client.trusted_tls_certificate = ca
    assert client.connect_to_url(url, gd_mp_api=True, **kw) == OK
    return client


def poll_until(clients: list[WebSocketClient], done: Callable[[], bool],
               what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        for client in clients:
            client.poll()
        time.sleep(0.005)


def received(client: WebSocketClient, into: list[tuple[int, Any]]) -> None:
    while client.get_available_packet_count():
        sender = client.get_packet_peer()
        into.append((sender, client.get_var()))


def test_games_behind_nginx(tmp_path: Path, nginx: Callable[[Path, str], Nginx],
                            godot_process_factory: Callable[..., Any]) -> None:
    import trustme

    authority = trustme.CA()
    leaf = authority.issue_cert("localhost")
    (tmp_path / "fullchain.pem").write_bytes(b"".join(b.bytes() for b in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(tmp_path / "privkey.pem"))
    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    ca = X509Certificate()
    assert ca.load(str(tmp_path / "ca.pem")) == OK

    (host_code,) = code_blocks("The hosts")
    assert 'server.trusted_proxies = ["127.0.0.1"]' in host_code
    host_code = host_code.replace('["127.0.0.1"]', '["127.0.0.2"]')
    host_ports = [free_port() for _ in GAMES]
    hosts = [Example(host_code, None, tmp_path, f"host_{game}", args=[str(port)])
             for game, port in zip(GAMES, host_ports, strict=True)]
    try:
        for port in host_ports:
            wait_listening(port)
        front = free_port()
        conf = page_config()
        for old, new in [("listen 443 ssl;", f"listen 127.0.0.1:{front} ssl;"),
                         ("/etc/letsencrypt/live/game.example.com/", f"{tmp_path}/"),
                         ("proxy_http_version 1.1;",
                          "proxy_http_version 1.1;\n    proxy_bind 127.0.0.2;"),
                         *((f"127.0.0.1:{9081 + n}", f"127.0.0.1:{port}")
                           for n, port in enumerate(host_ports))]:
            assert old in conf, old
            conf = conf.replace(old, new)
        (tmp_path / "nginx").mkdir()
        nginx(tmp_path / "nginx", conf)
        wait_listening(front)

        # One Python player per game, through nginx: wss outside, ws inside.
        players = {game: join(f"wss://localhost:{front}/{game}/", ca) for game in GAMES}
        clients = list(players.values())
        poll_until(clients, lambda: all(c.get_unique_id() for c in clients), "every join")
        inbox: dict[str, list[tuple[int, Any]]] = {game: [] for game in GAMES}
        for game, client in players.items():
            client.set_target_peer(1)
            assert client.put_var(["hello", game]) == OK

        def answered() -> bool:
            for game, client in players.items():
                received(client, inbox[game])
            return all((1, ["said", players[g].get_unique_id(), ["hello", g]]) in inbox[g]
                       for g in GAMES)

        poll_until(clients, answered, "each host's answer")
        # Each game reached its own host, which saw the player's address, not nginx's.
        for game, host in zip(GAMES, hosts, strict=True):
            host.wait_for(f"joined {players[game].get_unique_id()} from 127.0.0.1")
            others = [g for g in GAMES if g != game]
            assert not any(str(players[g].get_unique_id()) in line
                           for g in others for line in host.lines), host.lines

        # A Godot 3.2.3 player joins the arena through the same nginx port.
        godot = godot_process_factory("client.gd", f"url=wss://localhost:{front}/arena/",
                                      "mp=1", f"ca={tmp_path / 'ca.pem'}")
        godot_id = int(godot.wait_for(r"^ID (\d+)$", timeout=20).group(1))
        arena = players["arena"]
        godot.wait_for(rf"^PEER_CONNECTED {arena.get_unique_id()}$")
        hosts[0].wait_for(f"joined {godot_id} from 127.0.0.1")
        arena.set_target_peer(godot_id)  # relayed by the arena host, both ways through nginx
        assert arena.put_var(["say", "hi", arena.get_unique_id()]) == OK
        poll_until(clients, lambda: (received(arena, inbox["arena"]) or
                                     (godot_id, ["said", "hi"]) in inbox["arena"]),
                   "the Godot player's answer")

        # A player who reaches a host directly cannot pretend to be someone else: it is not a
        # trusted proxy, so its X-Forwarded-For is ignored.
        direct = WebSocketClient()
        assert direct.connect_to_url(f"ws://127.0.0.1:{host_ports[1]}/", gd_mp_api=True,
                                     custom_headers=["X-Forwarded-For: 203.0.113.9"]) == OK
        poll_until([direct, *clients], lambda: direct.get_unique_id() != 0, "the direct join")
        hosts[1].wait_for(f"joined {direct.get_unique_id()} from 127.0.0.1")
        assert not any("203.0.113.9" in line for line in hosts[1].lines)
        for client in [direct, *clients]:
            client.disconnect_from_host()
    finally:
        for host in hosts:
            host.stop()


def test_page_names_what_the_test_runs() -> None:
    """The page's config is the one the test rewrites: three upstreams on 9081-9083 and the
    WebSocket upgrade headers."""
    conf = page_config()
    for port in (9081, 9082, 9083):
        assert f"server 127.0.0.1:{port};" in conf
    for line in ("proxy_set_header Upgrade $http_upgrade;",
                 "proxy_set_header Connection $connection_upgrade;",
                 "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"):
        assert line in conf
    assert socket.gethostbyname("localhost") == "127.0.0.1"  # the clients' URL host
