"""The examples of docs/howto/long-lived.rst run: the four blocks in order, in one namespace
(port 9080 made a free port); then the Reconnector of the second block, whose first attempt
was refused, reaches the server of the fourth and prints "back"."""

from __future__ import annotations

import time

import pytest
from test_readme import free_port, page_blocks

from godot_ws import WebSocketClient, WebSocketServer
from godot_ws.reconnect import Reconnector


def test_long_lived_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = page_blocks("docs/howto/long-lived.rst")
    assert len(blocks) == 4
    port = free_port()
    namespace: dict[str, object] = {"client": WebSocketClient(), "server": WebSocketServer()}
    for block in blocks:
        exec(compile(block.replace("9080", str(port)), "README.rst", "exec"), namespace)
    link = namespace["link"]
    server = namespace["server"]
    client = namespace["client"]
    assert isinstance(link, Reconnector) and isinstance(server, WebSocketServer)
    assert isinstance(client, WebSocketClient)
    assert server.compression_enabled and server.is_listening()
    client.proxy = ""  # the third block pointed it at a made-up corporate proxy
    deadline = time.monotonic() + 10
    while "back" not in capsys.readouterr().out:
        assert time.monotonic() < deadline, "the docs' Reconnector never got back"
        server.poll()
        link.poll()
        time.sleep(0.001)
    link.disconnect_from_host()
    server.stop()
