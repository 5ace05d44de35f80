"""The documentation builds with no warning (``sphinx-build -W``), and headless Chromium shows
its front page and a reference page: the pages carry their text, the theme's style sheet is
applied, and the screenshots are not blank.

Needs the ``docs`` extra (Sphinx, furo) and Debian's ``chromium``; ``.ci/run`` installs them
for the first Python and leaves this file out for the others. Without them the tests skip,
unless ``CI`` is set: then they fail. ``GODOT_WS_DOCS_SHOTS=DIR`` keeps the screenshots in
DIR, to look at them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# (page, text it must show, file name of its screenshot)
PAGES = [
    ("index.html", "Where to go", "front.png"),
    ("reference/godot_ws/WebSocketClient.html", "connect_to_url", "reference.png"),
]


def need(what: str, found: object) -> None:
    if not found:
        message = f"{what} is not installed"
        if os.environ.get("CI"):
            pytest.fail(message + " [CI is set, so this fails instead of skipping]",
                        pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The site, built once for this file's tests, warnings as errors."""
    need("Sphinx and furo (pip install -e '.[docs]')",
         shutil.which("sphinx-build") or _importable("sphinx") and _importable("furo"))
    out = tmp_path_factory.mktemp("docs")
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b",
                           "html", "-d", str(out / "doctrees"), str(ROOT / "docs"),
                           str(out / "html")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    yield out / "html"


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def test_docs_build_without_warnings(built: Path) -> None:
    assert (built / "index.html").is_file()
    reference = built / "reference" / "godot_ws"
    assert (reference / "WebSocketClient.html").is_file()
    assert (built / "reference" / "godot_ws.godot4" / "SceneMultiplayer.html").is_file()


def chromium() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    need("chromium (apt-get install chromium)", binary)
    assert binary is not None
    return binary


def run_chromium(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", "--allow-file-access-from-files", *args],
                          capture_output=True, text=True, timeout=120)


def colours(png: Path) -> tuple[int, float]:
    """(distinct colours, share of pixels that are not the page's white) of a screenshot."""
    import pygame

    surface = pygame.image.load(str(png))
    width, height = surface.get_size()
    seen: set[tuple[int, ...]] = set()
    inked = total = 0
    for y in range(0, height, 3):
        for x in range(0, width, 3):
            colour = tuple(surface.get_at((x, y)))[:3]
            seen.add(colour)
            total += 1
            inked += colour != (255, 255, 255)
    return len(seen), inked / total


@pytest.mark.parametrize("page, text, shot", PAGES)
def test_chromium_shows_the_page(built: Path, tmp_path: Path, page: str, text: str,
                                 shot: str) -> None:
    url = (built / page).as_uri()
    dom = run_chromium("--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert text in dom.stdout
    assert "furo" in dom.stdout  # the theme's style sheet is linked
    png = tmp_path / shot
    done = run_chromium("--window-size=1280,900", f"--screenshot={png}", url)
    assert done.returncode == 0 and png.is_file(), done.stderr[-2000:]
    keep = os.environ.get("GODOT_WS_DOCS_SHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / shot)
    distinct, inked = colours(png)
    # A blank or unstyled page is one or two colours; furo's sidebar, code and links are many.
    assert distinct > 20, distinct
    assert 0.03 < inked < 0.9, inked


def test_bench_plot_draws_a_saved_run(tmp_path: Path) -> None:
    """``python -m bench --plot PATH --from-json RUN``: the chart of docs/performance.rst."""
    need("matplotlib (pip install -e '.[docs]')", _importable("matplotlib"))
    import json

    from bench.plot import relative_rows

    saved = ROOT / "docs" / "bench-results.json"
    rows = dict(relative_rows(json.loads(saved.read_text())))
    # godot_ws over websocket-client, as the table in docs/explanation/performance.rst says
    assert round(rows["receive 32-byte messages (msg/s)"]["godot_ws"], 2) == 16.19
    assert 0.4 < 1 / rows["echo round trip 32 B (us)"]["godot_ws"] < 0.45  # us: lower is better
    chart = tmp_path / "bench.png"
    done = subprocess.run([sys.executable, "-m", "bench", "--plot", str(chart), "--from-json",
                           str(saved)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    distinct, inked = colours(chart)
    assert distinct > 10 and 0.05 < inked < 0.9, (distinct, inked)
