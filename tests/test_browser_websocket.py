"""Chromium's own WebSocket (a page without Godot) as a client of our servers: the 3.x
``WebSocketServer`` and the 4.x ``TCPServer`` + ``WebSocketPeer.accept_stream``, each without and
with ``compression_enabled`` (permessage-deflate as Chromium offers it: client_max_window_bits, no
parameters it needs answered). Text, binary, a 60 kB compressible text, an empty message, a close
asked of the server with a code and a UTF-8 reason, and the browser's own close(4002, reason);
and wss: the test CA's certificate is refused unless Chromium gets its key pin."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import trustme
from engine4 import Engine4, trust_flag
from test_godot4_engine_ws import Server3, Server4

SCRIPT = r"""
function wait(ws, event) { return new Promise((resolve) => ws.addEventListener(event, resolve, {once: true})); }
const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
const big = 'godot '.repeat(10000);
for (const arg of args) {
  const [tag, url] = arg.split('=');
  let ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const got = [];
  ws.onmessage = (e) => got.push(e.data);
  await wait(ws, 'open');
  print(tag, 'open extensions=' + ws.extensions);
  ws.send('héllo wörld');
  ws.send(new Uint8Array([0, 1, 2, 255]));
  ws.send(big);
  ws.send('');
  while (got.length < 4 && ws.readyState === WebSocket.OPEN) await new Promise((r) => setTimeout(r, 5));
  print(tag, 'echo text', got[0]);
  print(tag, 'echo binary', got[1] instanceof ArrayBuffer, hex(got[1]));
  print(tag, 'echo big', got[2] === big);
  print(tag, 'echo empty', JSON.stringify(got[3]));
  const closed = wait(ws, 'close');
  ws.send('close 4001 server bye é');
  const c1 = await closed;
  print(tag, 'closed by server code=' + c1.code, 'clean=' + c1.wasClean, 'reason=' + c1.reason);
  ws = new WebSocket(url);
  await wait(ws, 'open');
  const closed2 = wait(ws, 'close');
  ws.close(4002, 'client bye');
  const c2 = await closed2;
  print(tag, 'closed by client code=' + c2.code, 'clean=' + c2.wasClean, 'reason=' + c2.reason);
}
print('ALL DONE');
"""

TAGS = ["s3", "s4", "s3z", "s4z"]


@dataclass
class Run:
    page: Engine4
    servers: dict[str, Server3 | Server4]

    def output(self, tag: str) -> list[str]:
        return [line[len(tag) + 1:] for line in self.page.lines if line.startswith(tag + " ")]


@pytest.fixture(scope="module")
def run(browser_page: Callable[..., Engine4]) -> Iterator[Run]:
    servers: dict[str, Server3 | Server4] = {
        "s3": Server3(), "s4": Server4(), "s3z": Server3(compression=True), "s4z": Server4(compression=True),
    }

    def poll() -> None:
        for server in servers.values():
            server.poll()

    page = browser_page(SCRIPT, [f"{tag}={s.url}" for tag, s in servers.items()], name="browser-ws")
    page.wait_line("ALL DONE", timeout=60, poll=poll)
    # 30 s, as every other wait on the page: at load 15 the last close took over 5 s to be seen
    page.wait_for(lambda: all(s.seen.client_close for s in servers.values()), "the servers see the close",
                  timeout=30, poll=poll)
    yield Run(page, servers)
    for server in servers.values():
        server.stop()


@pytest.mark.parametrize("tag", TAGS)
def test_permessage_deflate_only_when_enabled(run: Run, tag: str) -> None:
    opened = run.output(tag)[0]
    if tag.endswith("z"):
        assert opened.startswith("open extensions=permessage-deflate"), opened
    else:
        assert opened == "open extensions="


@pytest.mark.parametrize("tag", TAGS)
def test_messages_arrive_and_echo_in_their_mode(run: Run, tag: str) -> None:
    packets = run.servers[tag].seen.packets
    assert packets[:4] == [("héllo wörld".encode(), True), (bytes([0, 1, 2, 255]), False),
                           (("godot " * 10000).encode(), True), (b"", True)]
    assert run.output(tag)[1:5] == ["echo text héllo wörld", "echo binary true 000102ff", "echo big true",
                                    'echo empty ""']


@pytest.mark.parametrize("tag", TAGS)
def test_close_codes_and_reasons(run: Run, tag: str) -> None:
    assert "closed by server code=4001 clean=true reason=server bye é" in run.output(tag)
    assert "closed by client code=4002 clean=true reason=client bye" in run.output(tag)
    assert run.servers[tag].seen.client_close == [(4002, "client bye")]


WSS_SCRIPT = r"""
const ws = new WebSocket(args[0]);
ws.onerror = () => print('error event');
ws.onopen = () => print('open');
ws.onclose = (e) => print('closed code=' + e.code + ' clean=' + e.wasClean);
"""


@pytest.mark.parametrize("pinned", [False, True], ids=["unpinned", "pinned"])
def test_wss_is_trusted_only_through_the_pin(browser_page: Callable[..., Engine4], pinned: bool) -> None:
    """The browser refuses our wss server's test-CA certificate unless its key is pinned."""
    leaf = trustme.CA().issue_cert("127.0.0.1")
    server = Server4(leaf=leaf)
    try:
        flags = [trust_flag(leaf.cert_chain_pems[0].bytes())] if pinned else []
        page = browser_page(WSS_SCRIPT, [server.url], name=f"wss-{pinned}", flags=flags)
        if pinned:
            page.wait_line("open", timeout=30, poll=server.poll)
            page.wait_for(lambda: bool(server.peers), "the TLS handshake on our side", poll=server.poll)
        else:
            page.wait_line("closed code=1006 clean=false", timeout=30, poll=server.poll)
            assert "error event" in page.lines and "open" not in page.lines
    finally:
        server.stop()
