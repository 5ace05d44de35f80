"""Shared pytest fixtures for godot_ws tests."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:  # helper modules (godot_peer, support) live beside the tests
    sys.path.insert(0, _TESTS_DIR)

if TYPE_CHECKING:
    from engine4 import Engine4, EngineServer
    from godot_peer import GodotProcess

# WebSocketClient reads http_proxy / https_proxy like curl and websocket-client: a CI machine's
# proxy must not capture the tests' connections to 127.0.0.1 (nor those of the processes they
# start). tests/test_proxy.py sets these variables itself where it tests them.
for _name in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"):
    os.environ.pop(_name, None)


# ------------------------------------------------------------------ real Godot 3.2.3 peers
# Fixtures that run tests/godot/*.gd in Debian's headless Godot 3.2.3 (godot3-server).
# Without the binary they skip, unless $CI is set: then a missing Godot is a failure, so CI
# can never go green by silently skipping every Godot test. Tests using them are marked
# `godot` automatically (deselect with -m "not godot").

_GODOT_FIXTURES = frozenset({"godot_echo_server", "godot_mp_server", "godot_process_factory"})
_GODOT4_FIXTURES = frozenset({"godot4_server", "godot4_engine", "godot4_module_engine", "browser_page"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "godot: needs the real headless Godot 3.2.3 binary (godot3-server)"
    )
    config.addinivalue_line(
        "markers", "godot4: needs the real Godot 4.6 web template and Chromium (tests/engine4.py)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _GODOT_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.godot)
        if _GODOT4_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.godot4)


def _require_godot() -> None:
    from godot_peer import find_godot

    if find_godot() is None:
        msg = (
            "godot3-server (headless Godot 3.2.3) is not on PATH: "
            "`apt-get install godot3-server`, or set GODOT3_SERVER to the binary"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{msg} (CI is set, so a missing Godot is an error, not a skip)")
        pytest.skip(msg)


@pytest.fixture
def godot_process_factory() -> Iterator[Callable[..., GodotProcess]]:
    """``start(script, *options, **kw)`` -> a started GodotProcess from tests/godot/
    (same arguments as ``GodotProcess.start``); every process is stopped at teardown and
    its output printed (pytest shows it for failed tests)."""
    _require_godot()
    from godot_peer import GodotProcess

    started: list[GodotProcess] = []

    def start(script: str, *options: str, **kw: Any) -> GodotProcess:
        proc = GodotProcess.start(script, *options, **kw)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()
        print(f"--- Godot output: {proc.script} (port {proc.port}) ---\n{proc.output()}")


@pytest.fixture
def godot_echo_server(
    godot_process_factory: Callable[..., GodotProcess],
) -> GodotProcess:
    """A running tests/godot/echo_server.gd (plain mode); connect to ``.url``."""
    return godot_process_factory("echo_server.gd")


@pytest.fixture
def godot_mp_server(
    godot_process_factory: Callable[..., GodotProcess],
) -> GodotProcess:
    """A running tests/godot/mp_server.gd (gd_mp_api=true); connect to ``.url``."""
    return godot_process_factory("mp_server.gd")


# ------------------------------------------------------------------ real Godot 4.6 engines
# tests/engine4.py runs Godot 4.6's official web template in headless Chromium. One HTTP server
# per session; engines are started by a launcher and stopped at the end of the test (godot4_engine)
# or of the module (godot4_module_engine: start an engine once and run several checks in it).
# Missing Chromium or template: skip with the install hint, or fail under $CI.


@pytest.fixture(scope="session")
def godot4_server() -> Iterator[EngineServer]:
    """The session's EngineServer (template + packs + printed lines over HTTP)."""
    from engine4 import INSTALL_HINT, EngineServer, find_chromium, find_template

    template, chromium = find_template(), find_chromium()
    if template is None or chromium is None:
        missing = "the Godot 4.6 web template" if template is None else "Chromium"
        msg = f"{missing} is missing: {INSTALL_HINT}"
        if os.environ.get("CI"):
            pytest.fail(f"{msg} (CI is set, so a missing engine is an error, not a skip)")
        pytest.skip(msg)
    server = EngineServer(template, chromium)
    yield server
    server.close()


def _engine_launcher(server: EngineServer) -> tuple[Callable[..., Engine4], list[Engine4]]:
    started: list[Engine4] = []

    def launch(files: dict[str, str | bytes], args: list[str] | None = None, name: str = "",
               flags: list[str] | None = None) -> Engine4:
        engine = server.launch(files, args, name, flags)
        started.append(engine)
        return engine

    return launch, started


def _stop_engines(started: list[Engine4]) -> None:
    for engine in started:
        engine.stop()
        print(f"--- Godot 4 output: {engine.name} ---\n{engine.output()}")


@pytest.fixture
def godot4_engine(godot4_server: EngineServer) -> Iterator[Callable[..., Engine4]]:
    """``launch(files, args=[], name="")`` -> a started Engine4 running the project ``files``
    (res:// relative path -> text or bytes; project.godot and main.tscn for main.gd are added when
    missing); ``args`` arrive in ``OS.get_cmdline_user_args()``; ``flags``: more Chromium flags
    (engine4.trust_flag for wss). Stopped at the test's end."""
    launch, started = _engine_launcher(godot4_server)
    yield launch
    _stop_engines(started)


@pytest.fixture(scope="module")
def godot4_module_engine(godot4_server: EngineServer) -> Iterator[Callable[..., Engine4]]:
    """Like godot4_engine, but the engines live until the end of the test module."""
    launch, started = _engine_launcher(godot4_server)
    yield launch
    _stop_engines(started)


@pytest.fixture(scope="module")
def browser_page(godot4_server: EngineServer) -> Iterator[Callable[..., Engine4]]:
    """``open_page(script, args=[], name="")`` -> an Engine4 for a page without Godot in its own
    Chromium (see EngineServer.open_page); closed at the end of the module."""
    started: list[Engine4] = []

    def open_page(script: str, args: list[str] | None = None, name: str = "",
                  flags: list[str] | None = None) -> Engine4:
        page = godot4_server.open_page(script, args, name, flags)
        started.append(page)
        return page

    yield open_page
    _stop_engines(started)
