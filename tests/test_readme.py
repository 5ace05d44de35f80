"""README.rst and the docs stay true: README renders cleanly, CI runs exactly its test command,
the examples of README and docs/ run against each other as written, and README's install keeps
godot_ws visible to type checkers. ``section``, ``code_blocks`` and ``Example`` are shared by
the other tests of examples (tests/test_docs_examples.py lists which test runs which)."""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import textwrap
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from support import copy_checkout

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.rst").read_text(encoding="utf-8")


def doc_pages() -> list[Path]:
    """README and every written page of docs/ (not the build, not the generated reference)."""
    pages = [ROOT / "README.rst"]
    for page in sorted((ROOT / "docs").rglob("*.rst")):
        parts = page.relative_to(ROOT / "docs").parts
        if parts[0] == "_build" or (parts[0] == "reference" and len(parts) > 2):
            continue
        pages.append(page)
    return pages


def test_readme_renders_without_warnings() -> None:
    core = pytest.importorskip("docutils.core")
    errors = io.StringIO()
    core.publish_doctree(README, settings_overrides={"warning_stream": errors,
                                                     "report_level": 2})
    assert errors.getvalue() == ""


def test_ci_runs_the_readme_test_command() -> None:
    command = re.search(r"and run them::\n\n    (.+)\n", README)
    assert command is not None
    assert command.group(1) in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_images_exist() -> None:
    for image in re.findall(r"^\.\. image:: (\S+)", README, re.M):
        assert (ROOT / image).is_file(), image


def test_readme_links_into_the_docs_exist() -> None:
    links = re.findall(r"<(docs/[^>]+\.rst)>`_", README)
    assert len(links) >= 10, links
    assert [link for link in links if not (ROOT / link).is_file()] == []
    assert len(README.splitlines()) <= 210  # what a visitor reads first (~200); the rest: docs/


# ------------------------------------------------------------------ the examples, run


def section(title: str) -> str:
    """The text of the section with this title (up to the next title of its level or above),
    in README or a page of docs/; the title must be there exactly once."""
    found = []
    for page in doc_pages():
        text = page.read_text(encoding="utf-8")
        found += re.findall(rf"^{re.escape(title)}\n-+\n(.*?)(?=^\S[^\n]*\n[-=]+\n|\Z)", text,
                            re.M | re.S)
    assert len(found) == 1, f"{title!r} is a section title {len(found)} times"
    return str(found[0])


def python_blocks(text: str) -> list[str]:
    """The ``.. code-block:: python`` bodies of an RST text, dedented."""
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text)
    return [textwrap.dedent(block) for block in blocks]


def code_blocks(title: str) -> list[str]:
    """The ``.. code-block:: python`` bodies of a section, dedented."""
    return python_blocks(section(title))


def page_blocks(page: str) -> list[str]:
    """The ``.. code-block:: python`` bodies of a whole page (path from the checkout's root)."""
    return python_blocks((ROOT / page).read_text(encoding="utf-8"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Example:
    """One example as a program: port 9080 becomes a free port, a 600-frame loop becomes
    ``frames`` frames; nothing else changes. ``port=None`` for a program given its port as an
    argument (in ``args``)."""

    def __init__(self, code: str, port: int | None, tmp: Path, name: str, frames: int = 90,
                 args: Sequence[str] = ()) -> None:
        if port is not None:
            assert "9080" in code, code
            code = code.replace("9080", str(port))
        code = code.replace("range(600)", f"range({frames})")
        self.path = tmp / f"{name}.py"
        self.path.write_text(code)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, str(self.path), *args], cwd=tmp, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert time.monotonic() < deadline, f"no {text!r} in {self.lines}"
            assert self.proc.poll() is None or self._reader.is_alive(), \
                f"exited without {text!r}: {self.lines}"
            time.sleep(0.01)

    def finish(self, timeout: float = 20) -> str:
        self.proc.wait(timeout)
        self._reader.join(5)
        return "\n".join(self.lines)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def wait_listening(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"nothing listens on {port}"
            time.sleep(0.02)


def test_readme_has_the_examples_this_file_runs() -> None:
    assert len(code_blocks("A game loop (plain client)")) == 1
    assert len(code_blocks("Hosting a game")) == 1
    assert len(code_blocks("Hosting a multiplayer game")) == 1
    assert len(code_blocks("Joining a multiplayer game")) == 1
    for host in code_blocks("Hosting a game") + code_blocks("Hosting a multiplayer game"):
        assert "time.sleep(1 / 60)" in host  # a host frame that sleeps, not a busy loop


def test_plain_game_loop_against_the_plain_host(tmp_path: Path) -> None:
    port = free_port()
    host = Example(code_blocks("Hosting a game")[0], port, tmp_path, "plain_host")
    try:
        wait_listening(port)
        client = Example(code_blocks("A game loop (plain client)")[0], port, tmp_path,
                         "plain_client")
        out = client.finish()
        assert client.proc.returncode == 0, out
        assert "connected " in out and "b'position 10 20' False" in out, out
        host.wait_for("joined")
    finally:
        host.stop()


def test_multiplayer_client_against_the_multiplayer_host(tmp_path: Path) -> None:
    port = free_port()
    host = Example(code_blocks("Hosting a multiplayer game")[0], port, tmp_path, "mp_host")
    client = None
    try:
        wait_listening(port)
        client = Example(code_blocks("Joining a multiplayer game")[0], port, tmp_path,
                         "mp_client")
        client.wait_for("joined: 1")
        client.wait_for("['echo', 'hello']]")
        said = next(line for line in client.lines if "['said'," in line)
        assert said.startswith("1 ['said', ") and said.endswith(", ['echo', 'hello']]"), said
        host.wait_for("joined")
        host.stop()  # the host leaves: the client hears connection_failed and its loop ends
        out = client.finish()
        assert client.proc.returncode == 0, out
        assert out.splitlines()[-1] == "disconnected (or could not join)", out
    finally:
        host.stop()
        if client is not None:
            client.stop()


def test_plain_client_on_a_multiplayer_host_is_told_why(tmp_path: Path) -> None:
    port = free_port()
    host = Example(code_blocks("Hosting a multiplayer game")[0], port, tmp_path, "mp_host")
    try:
        wait_listening(port)
        client = Example(code_blocks("A game loop (plain client)")[0], port, tmp_path,
                         "plain_client")
        out = client.finish()
        assert client.proc.returncode == 0, out
        assert ("closing: 1003 not a Godot multiplayer client: connect with gd_mp_api=true"
                in out), out
        assert "closed, clean: True" in out, out
    finally:
        host.stop()


def test_wss_client_against_the_wss_host(tmp_path: Path) -> None:
    text = section("Secure connections (wss://)")
    command = re.search(r"^    (openssl req .*)$", text, re.M)
    assert command is not None
    if shutil.which("openssl"):
        subprocess.run(command.group(1), shell=True, cwd=tmp_path, check=True,
                       capture_output=True, timeout=120)
    else:  # the same certificate, made with the cryptography package
        import trustme

        ca = trustme.CA()
        leaf = ca.issue_cert("localhost")
        leaf.private_key_pem.write_to_path(str(tmp_path / "server.key"))
        (tmp_path / "server.crt").write_bytes(b"".join(
            blob.bytes() for blob in leaf.cert_chain_pems) + ca.cert_pem.bytes())
    host_code, client_code = code_blocks("Secure connections (wss://)")
    port = free_port()
    host = Example(host_code.replace("9443", "9080"), port, tmp_path, "wss_host")
    try:
        wait_listening(port)
        client = Example(client_code.replace("9443", "9080"), port, tmp_path, "wss_client")
        out = client.finish()
        assert client.proc.returncode == 0, out
        assert "echo: b'hi'" in out, out
    finally:
        host.stop()


# ------------------------------------------------------------------ README's install


@pytest.mark.install
def test_readme_install_keeps_godot_ws_visible_to_mypy(tmp_path: Path) -> None:
    """README's editable install, in a fresh virtualenv (it sees this environment's
    packages, so nothing but the build backend is downloaded), then ``mypy --strict``
    on a user's program outside the checkout must find godot_ws and its types."""
    install = re.search(r"^    (python -m pip install -e '\.\[demos\]'.*)$", section("Get it"),
                        re.M)
    assert install is not None
    checkout = copy_checkout(ROOT, tmp_path / "godot_ws")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    # The new venv sees this environment's packages (dependencies, mypy) through a plain path
    # line, which does not run this environment's own .pth files: a godot_ws installed here
    # stays invisible there, so only README's install can make it importable.
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], capture_output=True, text=True, check=True)
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(purelib.stdout.strip()) / "_outer_env.pth").write_text("\n".join(sorted(ours)) + "\n")
    command = install.group(1).replace("python ", f"{python} ", 1) + " -q"
    done = subprocess.run(command, shell=True, cwd=checkout, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    game = tmp_path / "game" / "game.py"
    game.parent.mkdir()
    game.write_text("from godot_ws import OK, Vector2, WebSocketClient\n\n"
                    "client = WebSocketClient()\n"
                    "speed: float = (Vector2(1, 2) + Vector2(3, 4)).length()\n"
                    "assert client.connect_to_url('ws://127.0.0.1:9/') == OK\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    done = subprocess.run([python, "-m", "mypy", "--strict", "--no-incremental", "game.py"],
                          cwd=game.parent, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
