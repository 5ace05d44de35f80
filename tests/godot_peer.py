"""Start a real headless Godot 3.2.3 (``godot3-server``) as a test peer.

Owns: finding the Godot binary, spawning a GDScript from ``tests/godot/`` on a free
127.0.0.1 port, waiting for its ``READY <port>`` line, collecting its output, stopping it;
and ``GODOT_VALUES``, the Python mirror of the Variant table in ``tests/godot/mp_server.gd``.
No pytest here (``tests/conftest.py`` wraps it in fixtures), no godot_ws code except the
pure value types in ``godot_ws.variant.types3``.

Usage::

    with GodotProcess.start("echo_server.gd") as godot:
        ws = websocket.create_connection(godot.url)
        ...
        godot.wait_for(r"CLOSE_REQUEST \\d+ 4000")   # assert on the server's log

Set ``GODOT3_SERVER`` to use a binary that is not called ``godot3-server`` on PATH.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from godot_ws.variant.types3 import (
    AABB,
    RID,
    Basis,
    Color,
    NodePath,
    Plane,
    PoolByteArray,
    PoolColorArray,
    PoolIntArray,
    PoolRealArray,
    PoolStringArray,
    PoolVector2Array,
    PoolVector3Array,
    Quat,
    Rect2,
    Transform,
    Transform2D,
    Vector2,
    Vector3,
)

__all__ = [
    "GODOT_PROJECT",
    "GODOT_TYPE_IDS",
    "GODOT_VALUES",
    "GodotError",
    "GodotProcess",
    "find_godot",
    "free_port",
    "godot_equal",
]

GODOT_PROJECT = Path(__file__).resolve().parent / "godot"
ENV_BINARY = "GODOT3_SERVER"
DEFAULT_BINARY = "godot3-server"
# A server whose test runner died quits by itself after this long (lifetime=<s> option).
DEFAULT_LIFETIME = 600.0


class GodotError(RuntimeError):
    """Godot did not start, or did not say what we waited for (message has its output)."""


def find_godot() -> str | None:
    """Path of the headless Godot 3 binary, or None when it is not installed.

    ``$GODOT3_SERVER`` (a path or a command name) wins over ``godot3-server`` on PATH.
    """
    override = os.environ.get(ENV_BINARY)
    if override:
        return shutil.which(override)
    return shutil.which(DEFAULT_BINARY)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (Godot 3 cannot listen on 0
    and report the port, so the caller picks one; ``GodotProcess.start`` retries on a clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


try:  # loaded here, not in the forked child, where an import could deadlock
    import ctypes

    _prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None
except (ImportError, OSError, AttributeError):
    _prctl = None


def _child_setup() -> None:  # pragma: no cover - runs in the child
    # Linux: Godot gets SIGTERM when the thread that started it dies (e.g. pytest was
    # killed), so no server outlives the run. The lifetime= watchdog covers other OSes.
    if _prctl is not None:
        _prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class GodotProcess:
    """One running Godot script. Build it with :meth:`start`."""

    def __init__(self, proc: subprocess.Popen[bytes], script: str, port: int, argv: list[str]):
        self.proc = proc
        self.script = script
        self.port = port
        self.argv = argv
        self.startup_seconds = math.nan
        self._lines: list[str] = []
        self._cond = threading.Condition()
        self._eof = False
        self._reader = threading.Thread(
            target=self._read, name=f"godot-{script}-{port}", daemon=True
        )
        self._reader.start()

    # -- starting ----------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        script: str,
        *options: str,
        timeout: float = 20.0,
        attempts: int = 3,
        godot: str | None = None,
        lifetime: float | None = DEFAULT_LIFETIME,
        project: Path | None = None,
    ) -> GodotProcess:
        """Run ``godot3-server --path tests/godot -s <script> -- <port> [options...]``.

        ``options`` are extra ``key=value`` arguments for the script (e.g.
        ``"protocols=chat,json"`` for echo_server.gd). Waits up to ``timeout`` seconds for
        ``READY <port>``; retries on another port if Godot could not listen. Raises
        GodotError (with Godot's output) when it does not come up.
        """
        binary = godot or find_godot()
        if binary is None:
            raise GodotError(f"{DEFAULT_BINARY} not found on PATH (or ${ENV_BINARY})")
        project = project or GODOT_PROJECT
        if not (project / script).is_file():
            raise GodotError(f"no such Godot script: {project / script}")
        env = dict(os.environ)
        # Godot 3.2 takes its locale from $LANG; "C" / "C.UTF-8" makes it print two errors.
        env["LANG"] = "en_US.UTF-8"
        last: GodotProcess | None = None
        for _ in range(max(1, attempts)):
            port = free_port()
            user_args = [str(port), *options]
            if lifetime is not None:
                user_args.append(f"lifetime={lifetime:g}")
            argv = [binary, "--path", str(project), "-s", script, "--", *user_args]
            t0 = time.monotonic()
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=str(project),
                preexec_fn=_child_setup if _prctl is not None else None,  # noqa: PLW1509
                start_new_session=True,  # a Ctrl-C meant for pytest does not hit Godot first
            )
            godot_proc = cls(proc, script, port, argv)
            last = godot_proc
            try:
                match = godot_proc.wait_for(
                    rf"^(READY|LISTEN_FAILED) {port}\b", timeout=timeout, what="READY"
                )
            except GodotError:
                godot_proc.stop()
                raise
            if match.group(1) == "READY":
                godot_proc.startup_seconds = time.monotonic() - t0
                return godot_proc
            godot_proc.stop()  # port taken meanwhile: try another
        assert last is not None
        raise GodotError(f"Godot could not listen after {attempts} attempts:\n{last.output()}")

    # -- output ------------------------------------------------------------------------------

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self._cond:
                self._lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def output(self) -> str:
        """Everything Godot printed so far (stdout and stderr interleaved)."""
        with self._cond:
            return "\n".join(self._lines)

    def lines(self) -> list[str]:
        """Godot's output lines so far."""
        with self._cond:
            return list(self._lines)

    def wait_for(
        self,
        pattern: str | re.Pattern[str],
        timeout: float = 10.0,
        start: int = 0,
        what: str | None = None,
    ) -> re.Match[str]:
        """Wait for an output line (from line index ``start`` on) matching ``pattern``
        (``re.search``); return the match. Raises GodotError with the output on timeout
        or when Godot exits first."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        i = start
        with self._cond:
            while True:
                while i < len(self._lines):
                    m = rx.search(self._lines[i])
                    i += 1
                    if m:
                        return m
                if self._eof:
                    reason = f"Godot exited (code {self.proc.poll()})"
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    reason = f"timed out after {timeout:g} s"
                    break
                self._cond.wait(left)
        raise GodotError(
            f"{reason} waiting for {what or rx.pattern!r} from {self.script}\n"
            f"command: {' '.join(self.argv)}\n--- Godot output ---\n{self.output()}"
        )

    # -- process -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def is_running(self) -> bool:
        return self.proc.poll() is None

    def wait(self, timeout: float = 10.0) -> int:
        """Wait for Godot to exit by itself (e.g. after "quit"); return its exit code."""
        code = self.proc.wait(timeout)
        self._reader.join(timeout=2.0)
        return code

    def kill(self) -> None:
        """SIGKILL: the kernel drops the sockets, no close frame is sent."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._reader.join(timeout=2.0)

    def stop(self, timeout: float = 5.0) -> int:
        """Terminate Godot (SIGTERM, then SIGKILL after ``timeout``); return the exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=2.0)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return int(self.proc.returncode)

    def __enter__(self) -> GodotProcess:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.is_running() else f"exited {self.proc.returncode}"
        return f"<GodotProcess {self.script} port={self.port} {state}>"


# --------------------------------------------------------------------------------------------
# The Variant table of tests/godot/mp_server.gd (_make_values), as godot_ws should decode it.
# Same names, same order. Floats in math types are exact in f32, so they decode unchanged.

_BASIS = Basis(Vector3(1.0, 2.0, 3.0), Vector3(4.0, 5.0, 6.0), Vector3(7.0, 8.0, 9.0))

GODOT_VALUES: dict[str, Any] = {
    "nil": None,
    "bool_true": True,
    "bool_false": False,
    "int_zero": 0,
    "int_small": 42,
    "int_negative": -7,
    "int_max32": 2147483647,
    "int_min32": -2147483648,
    "int_large": 1 << 40,
    "int_large_negative": -(1 << 40),
    "int_max64": (1 << 63) - 1,
    "int_min64": -(1 << 63),
    "float_f32": 1.5,
    "float_negative": -2.25,
    "float_f64": 0.1,
    "float_large": 1e300,
    "float_inf": math.inf,
    "string": "hello",
    "string_empty": "",
    "string_4": "abcd",
    "string_unicode": "héllo ✓ 日本 🎮",
    "vector2": Vector2(1.5, -2.25),
    "rect2": Rect2(Vector2(1.0, 2.0), Vector2(3.5, 4.25)),
    "vector3": Vector3(1.5, -2.0, 3.25),
    "transform2d": Transform2D(Vector2(1.0, 2.0), Vector2(3.0, 4.0), Vector2(5.0, 6.0)),
    "plane": Plane(Vector3(0.5, 1.0, 2.0), -4.5),
    "quat": Quat(0.5, -0.5, 0.25, 1.0),
    "aabb": AABB(Vector3(1.0, 2.0, 3.0), Vector3(4.0, 5.0, 6.0)),
    "basis": _BASIS,
    "transform": Transform(_BASIS, Vector3(10.0, 11.0, 12.0)),
    "color": Color(1.0, 0.5, 0.25, 0.75),
    "nodepath": NodePath("/root/Main"),
    "nodepath_subnames": NodePath("a/b:c"),
    "nodepath_empty": NodePath(""),
    "rid": RID(),
    "dictionary": {"k": 3, 7: "seven", "nested": {"x": 1.5, "list": [1, "a"]}},
    "dictionary_empty": {},
    "array": [1, "a", 1.5, None, True, Vector2(1.5, -2.25)],
    "array_empty": [],
    "array_nested": [[1], {}, [[]]],
    "pool_byte_array": PoolByteArray([0, 1, 2, 255]),
    "pool_byte_array_empty": PoolByteArray(),
    "pool_int_array": PoolIntArray([1, -2, 2147483647, -2147483648]),
    "pool_real_array": PoolRealArray([1.5, -0.25, 3.0]),
    "pool_string_array": PoolStringArray(["ab", "", "é"]),
    "pool_vector2_array": PoolVector2Array([Vector2(1.0, 2.0), Vector2(-0.5, 0.25)]),
    "pool_vector3_array": PoolVector3Array([Vector3(1.0, 2.0, 3.0), Vector3(-0.5, 0.25, 8.0)]),
    "pool_color_array": PoolColorArray([Color(1.0, 0.0, 0.0, 1.0), Color(0.5, 0.25, 0.125, 0.0)]),
}

# Godot 3 Variant type id (FACTS 3.2) that var2bytes puts in the header of each value.
GODOT_TYPE_IDS: dict[str, int] = {
    "nil": 0,
    "bool_true": 1,
    "bool_false": 1,
    "int_zero": 2,
    "int_small": 2,
    "int_negative": 2,
    "int_max32": 2,
    "int_min32": 2,
    "int_large": 2,
    "int_large_negative": 2,
    "int_max64": 2,
    "int_min64": 2,
    "float_f32": 3,
    "float_negative": 3,
    "float_f64": 3,
    "float_large": 3,
    "float_inf": 3,
    "string": 4,
    "string_empty": 4,
    "string_4": 4,
    "string_unicode": 4,
    "vector2": 5,
    "rect2": 6,
    "vector3": 7,
    "transform2d": 8,
    "plane": 9,
    "quat": 10,
    "aabb": 11,
    "basis": 12,
    "transform": 13,
    "color": 14,
    "nodepath": 15,
    "nodepath_subnames": 15,
    "nodepath_empty": 15,
    "rid": 16,
    "dictionary": 18,
    "dictionary_empty": 18,
    "array": 19,
    "array_empty": 19,
    "array_nested": 19,
    "pool_byte_array": 20,
    "pool_byte_array_empty": 20,
    "pool_int_array": 21,
    "pool_real_array": 22,
    "pool_string_array": 23,
    "pool_vector2_array": 24,
    "pool_vector3_array": 25,
    "pool_color_array": 26,
}
assert GODOT_TYPE_IDS.keys() == GODOT_VALUES.keys()


def godot_equal(a: Any, b: Any) -> bool:
    """Deep equality that also requires the same Python type at every level, so
    ``True != 1``, ``1 != 1.0`` and ``PoolIntArray([1]) != [1]`` (mirrors ``_same`` in
    mp_server.gd). Dict key order is ignored, as in Godot 4."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(godot_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        if len(a) != len(b):
            return False
        b_items = {(type(k), k): v for k, v in b.items()}  # so key 1 != key 1.0 != key True
        return all(
            (type(k), k) in b_items and godot_equal(v, b_items[(type(k), k)]) for k, v in a.items()
        )
    if isinstance(a, tuple):  # pool arrays: also compare item types
        return len(a) == len(b) and all(godot_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)
