"""godot_ws logs on one named logger per module under ``godot_ws`` and adds no handler, so the
caller's own mistakes reach stderr without any logging set-up, as Godot prints script errors
(DESIGN rule 7); a program can still silence or redirect them."""

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


def test_the_package_adds_no_handler() -> None:
    # In a fresh process: tests in this one (the arena demo) add handlers of their own.
    done = run_python("import logging, godot_ws, godot_ws.godot4, godot_ws.reconnect\n"
                      "print([logging.getLogger(n).handlers for n in\n"
                      "       ('godot_ws', 'godot_ws.client', 'godot_ws.godot4.multiplayer')])\n")
    assert done.stdout == "[[], [], []]\n", done.stdout + done.stderr


def test_records_carry_the_module_name(caplog: pytest.LogCaptureFixture) -> None:
    from godot_ws import WebSocketClient

    caplog.set_level(logging.ERROR, logger="godot_ws")
    WebSocketClient().get_packet()
    assert [(r.name, r.levelname) for r in caplog.records] == [("godot_ws.client", "ERROR")]


# A game with three of a beginner's mistakes: a handler that raises, a handler that takes the
# wrong number of arguments, and an RPC its target refuses. The game goes on after each.
MISTAKES = """
import logging, sys, time
from godot_ws import OK, Node, SceneTree, WebSocketClient, WebSocketServer, master, puppet
if sys.argv[1:] == ["quiet"]:
    logging.getLogger("godot_ws").setLevel(logging.CRITICAL)

class Game(Node):
    @puppet
    def secret(self):  # puppet: the host, its master, refuses a client's call
        pass

    @master
    def still_there(self):
        self.rpc_id(self.get_tree().get_rpc_sender_id(), "hello")

    @puppet
    def hello(self):
        print("the game went on")
        sys.exit(0)

server = WebSocketServer()
server.bind_ip = "127.0.0.1"
assert server.listen(0, gd_mp_api=True) == OK
host_tree, client_tree = SceneTree(), SceneTree()
host, mine = Game(host_tree, "/root/Game"), Game(client_tree, "/root/Game")
host_tree.set_network_peer(server)
host_tree.connect("network_peer_connected", lambda peer_id: host.no_such_method())
client = WebSocketClient()
client_tree.connect("network_peer_connected", lambda: None)  # wrong arity: no peer id
client_tree.connect("connected_to_server",
                    lambda: (mine.rpc_id(1, "secret"), mine.rpc_id(1, "still_there")))
client.connect_to_url(f"ws://127.0.0.1:{server.get_local_port()}/", gd_mp_api=True)
client_tree.set_network_peer(client)
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    host_tree.poll()
    client_tree.poll()
    time.sleep(0.002)
print("timed out")
"""


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=path), timeout=60)


def test_your_mistakes_reach_stderr_without_logging_set_up() -> None:
    done = run_python(MISTAKES)
    assert done.returncode == 0 and done.stdout == "the game went on\n", done.stdout + done.stderr
    err = done.stderr
    assert "error in a handler of signal 'network_peer_connected'\nTraceback" in err, err
    assert "AttributeError: 'Game' object has no attribute 'no_such_method'" in err, err
    assert "TypeError: <lambda>() takes 0 positional arguments but 1 was given" in err, err
    assert "RPC 'secret' is not allowed on node /root/Game from: " in err, err


def test_a_program_can_silence_them() -> None:
    done = run_python(MISTAKES, "quiet")
    assert done.returncode == 0 and done.stdout == "the game went on\n", done.stdout + done.stderr
    assert done.stderr == ""


def test_a_caller_error_outside_poll_is_printed_too() -> None:
    done = run_python("from godot_ws import WebSocketClient, WebSocketServer\n"
                      "WebSocketClient().get_packet()\n"
                      "WebSocketServer().listen(-1)\n")
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("get_packet: "), done.stderr


def test_a_configured_application_sees_name_and_level() -> None:
    code = ("import logging\n"
            "logging.basicConfig(format='%(levelname)s %(name)s: %(message)s')\n"
            "from godot_ws import WebSocketClient\n"
            "WebSocketClient().get_packet()\n")
    done = run_python(code)
    assert done.stderr.startswith("ERROR godot_ws.client: get_packet"), done.stderr
