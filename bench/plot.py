"""Draws a run's results as one chart: ``python -m bench --plot PATH``.

Owns the picture only: it reads the JSON document the runner writes (``--json``) and never
measures. Each scenario that compares libraries is a group of bars, one per library, showing
that library's result relative to websocket-client's in the same run (above 1 is better:
the ratio is inverted for units where lower is better, us and KiB), on a log scale.
matplotlib is imported here only (the ``docs`` extra installs it).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["plot", "relative_rows"]

BASELINE = "websocket-client"
COLOURS = {"godot_ws": "#d9480f", "godot_ws4": "#f08c00", "raw": "#868e96",
           "websocket-client": "#1c7ed6", "websockets": "#37b24d", "wsproto": "#7048e8"}


def relative_rows(doc: dict[str, Any]) -> list[tuple[str, dict[str, float]]]:
    """(scenario title, {library: speed relative to the baseline}) for each scenario where
    the baseline and at least one other library have a result, in the run's order."""
    rows = []
    for scenario in doc["scenarios"].values():
        results = {lib: r["median"] for lib, r in scenario["results"].items()
                   if r.get("median")}
        base = results.get(BASELINE)
        if not base or len(results) < 2:
            continue
        better_high = scenario["higher_is_better"]
        rows.append((f'{scenario["title"]} ({scenario["unit"]})',
                     {lib: (value / base if better_high else base / value)
                      for lib, value in results.items()}))
    return rows


def plot(doc: dict[str, Any], path: str) -> None:
    """Write the chart of ``doc`` (the runner's JSON document) to ``path`` (PNG or SVG)."""
    try:
        import matplotlib
    except ImportError as exc:
        raise SystemExit("--plot needs matplotlib: python -m pip install -e '.[docs]'") from exc
    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    rows = relative_rows(doc)
    if not rows:
        raise SystemExit(f"nothing to plot: no scenario has both {BASELINE} and another "
                         "library")
    libs = [lib for lib in doc["meta"]["libraries"] if any(lib in r for _, r in rows)]
    height = 0.8 / len(libs)
    fig, ax = plt.subplots(figsize=(10, 0.75 * len(rows) + 1.6))
    for i, lib in enumerate(libs):
        ys = [n + i * height for n, (_, r) in enumerate(rows) if lib in r]
        xs = [r[lib] for _, r in rows if lib in r]
        ax.barh(ys, xs, height=height, label=lib, color=COLOURS.get(lib),
                edgecolor="black" if lib.startswith("godot_ws") else "none", linewidth=0.6)
    ax.set_yticks([n + height * (len(libs) - 1) / 2 for n in range(len(rows))])
    ax.set_yticklabels([title for title, _ in rows])
    ax.invert_yaxis()
    ax.set_xscale("log")
    low = min(v for _, r in rows for v in r.values())
    high = max(v for _, r in rows for v in r.values())
    ax.set_xlim(10 ** math.floor(math.log10(low)), 10 ** math.ceil(math.log10(high)))
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:g}x"))
    ax.set_xlabel(f"relative to {BASELINE} in the same run (log scale; right is better)")
    meta = doc["meta"]
    ax.set_title(f"python -m bench: medians of {meta['runs']} run(s), "
                 f"{meta['cpus']} CPUs, Python {meta['versions'].get('python', '?')}",
                 fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07),
              ncol=len(libs), fontsize=8, frameon=False)
    ax.grid(axis="x", which="major", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
