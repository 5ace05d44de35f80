"""godot_ws logs like a well-kept library: one named logger per module under ``godot_ws``, a
NullHandler on the package logger, and no output of its own (no last-resort handler lines)."""

from __future__ import annotations

import importlib
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Module -> the logger name it logs on: README documents the Godot 3 face's names (they are
# the names the modules had before the package was split into layers).
LOGGERS = {
    "godot3.client": "godot_ws.client", "godot3.server": "godot_ws.server",
    "godot3.peer": "godot_ws.peer", "godot3.multiplayer": "godot_ws.multiplayer",
    "godot3.multiplayer_peer": "godot_ws.multiplayer_peer",
    "net.connection": "godot_ws.net.connection", "godot3.relay": "godot_ws.godot3.relay",
    "net.crypto": "godot_ws.crypto", "common.signals": "godot_ws.signals",
}


@pytest.mark.parametrize("name", sorted(LOGGERS))
def test_each_module_logs_on_its_own_named_logger(name: str) -> None:
    module = importlib.import_module(f"godot_ws.{name}")
    assert module.log.name == LOGGERS[name]


def test_package_logger_has_a_null_handler() -> None:
    import godot_ws

    handlers = logging.getLogger(godot_ws.__name__).handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)


def test_records_carry_the_module_name(caplog: pytest.LogCaptureFixture) -> None:
    from godot_ws import WebSocketClient

    caplog.set_level(logging.ERROR, logger="godot_ws")
    WebSocketClient().get_packet()
    assert [(r.name, r.levelname) for r in caplog.records] == [("godot_ws.client", "ERROR")]


def test_nothing_is_printed_without_logging_configured() -> None:
    code = ("from godot_ws import WebSocketClient, WebSocketServer\n"
            "WebSocketClient().get_packet()\n"
            "WebSocketServer().listen(-1)\n")
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=path), timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""


def test_a_configured_application_sees_name_and_level() -> None:
    code = ("import logging\n"
            "logging.basicConfig(format='%(levelname)s %(name)s: %(message)s')\n"
            "from godot_ws import WebSocketClient\n"
            "WebSocketClient().get_packet()\n")
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=path), timeout=60)
    assert done.stderr.startswith("ERROR godot_ws.client: get_packet"), done.stderr
