"""The "WebSockets the Godot 4 way" examples (docs/howto/port-godot4.rst) run against each
other as written (the port and the frame count aside, as in tests/test_readme.py)."""

from __future__ import annotations

from pathlib import Path

from test_readme import Example, code_blocks, free_port, wait_listening


def test_godot4_client_example_against_the_godot4_server_example(tmp_path: Path) -> None:
    client_code, server_code = code_blocks("WebSockets the Godot 4 way")
    port = free_port()
    host = Example(server_code, port, tmp_path, "godot4_server")
    try:
        wait_listening(port)
        client = Example(client_code, port, tmp_path, "godot4_client", frames=120)
        out = client.finish()
        assert client.proc.returncode == 0, out
        assert "got b'hello' True" in out, out
        assert out.splitlines()[-1] == "closed 1000 done", out
        host.wait_for("echo hello")
        host.wait_for("left 1000")
    finally:
        host.stop()
