"""``python -m bench.deflate --quick`` runs and reports every payload (no timings asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_deflate_bench_runs(tmp_path: Path) -> None:
    out = tmp_path / "deflate.json"
    run = subprocess.run([sys.executable, "-m", "bench.deflate", "--quick", "--json", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(out.read_text())["results"]
    assert len(results) == 4
    for name, both in results.items():
        for mode in ("plain", "deflate"):
            assert both[mode]["send_us"] > 0 and both[mode]["recv_us"] > 0, name
        if name.startswith("json"):  # text compresses; random bytes do not
            assert both["deflate"]["wire_bytes"] < both["plain"]["wire_bytes"] / 2, name
