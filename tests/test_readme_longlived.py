"""The examples of docs/howto/long-lived.rst run: the four blocks in order, in one namespace
(port 9080 made a free port); then the Reconnector of the second block, whose first attempt
was refused (and, a first attempt, not retried), connects to the server of the fourth, and
when that server stops and listens again, comes back and prints "back"."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from test_readme import free_port, page_blocks

from godot_ws import OK, WebSocketClient, WebSocketServer
from godot_ws.reconnect import Reconnector


def test_long_lived_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = page_blocks("docs/howto/long-lived.rst")
    assert len(blocks) == 4
    port = free_port()
    namespace: dict[str, object] = {"client": WebSocketClient(), "server": WebSocketServer()}
    for block in blocks:
        exec(compile(block.replace("9080", str(port)), "long-lived.rst", "exec"), namespace)
    link = namespace["link"]
    server = namespace["server"]
    client = namespace["client"]
    assert isinstance(link, Reconnector) and isinstance(server, WebSocketServer)
    assert isinstance(client, WebSocketClient)
    assert server.compression_enabled and server.is_listening()
    client.proxy = ""  # the third block pointed it at a made-up corporate proxy

    def poll_both_until(condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + 10
        while not condition():
            assert time.monotonic() < deadline, f"the docs' Reconnector: no {what}"
            server.poll()
            link.poll()
            time.sleep(0.001)

    poll_both_until(lambda: client.get_connection_status() == client.CONNECTION_DISCONNECTED,
                    "refusal")
    assert not link.is_reconnecting() and "reconnecting" not in capsys.readouterr().out
    assert link.connect_to_url(f"ws://127.0.0.1:{port}/") == OK
    poll_both_until(lambda: client.get_connection_status() == client.CONNECTION_CONNECTED,
                    "connection")
    server.stop()  # closes with 1001 Going Away: the helper reconnects
    assert server.listen(port) == OK
    printed: list[str] = []

    def back() -> bool:
        printed.append(capsys.readouterr().out)
        return "back" in "".join(printed)

    poll_both_until(back, "reconnection")
    assert "reconnecting (1)..." in "".join(printed)
    link.disconnect_from_host()
    server.stop()
