"""Charts as plain SVG drawn by templates (`templates/components/charts.html`): this module only
works out the geometry. Every chart has a table of the same numbers beside it on the page."""
from __future__ import annotations

import math

import pandas as pd

WIDTH, BAR_HEIGHT, LABEL_WIDTH = 640, 28, 230


def _nice_max(value: float) -> float:
    """A round top for an axis at or above `value` (1, 2, 2.5 or 5 × a power of ten)."""
    if not value or value <= 0 or math.isnan(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


NO_VALUE = "no assignments (z)"   # what DfE's tables write as `z`: nothing to measure


def bars(labels: list[str], values: list[float], *, markers: list[float | None] | None = None,
         fmt=str, empty: str = NO_VALUE) -> dict:
    """Horizontal bars, one per label; `markers` draws a tick per bar (a cap), bars past it marked 'over'.

    A missing value (NaN/None) draws no bar and no tick, only the text `empty`. Each value's text
    starts past both its bar's end and its tick, so the tick never crosses it."""
    top = _nice_max(max([v for v in values if pd.notna(v)] + [m for m in (markers or []) if m is not None and pd.notna(m)]
                        + [0]))
    span = WIDTH - LABEL_WIDTH - 70
    rows = []
    for i, (label, value) in enumerate(zip(labels, values)):
        y = 10 + i * (BAR_HEIGHT + 8)
        if value is None or pd.isna(value):
            rows.append({"label": label, "y": y, "width": 0, "text": empty, "text_x": LABEL_WIDTH + 8,
                         "over": False, "marker_x": None, "empty": True})
            continue
        value = float(value)
        marker = markers[i] if markers else None
        marker = None if marker is None or pd.isna(marker) else float(marker)
        width = max(value / top * span, 1)
        marker_x = None if marker is None else LABEL_WIDTH + marker / top * span
        rows.append({"label": label, "y": y, "width": width, "text": fmt(value), "over": marker is not None and value > marker,
                     "marker_x": marker_x, "text_x": max(LABEL_WIDTH + width, marker_x or 0) + 8, "empty": False})
    return {"width": WIDTH, "height": 20 + len(rows) * (BAR_HEIGHT + 8), "label_width": LABEL_WIDTH,
            "bar_height": BAR_HEIGHT, "rows": rows}


def line(labels: list[str], values: list[float], *, notes: list[str] | None = None, fmt=str) -> dict:
    """One line over `labels` (months), each point labelled; `notes` adds a second line of text under
    each label (the number of LAs reporting)."""
    height, left, bottom, top_pad = 300, 90, 60, 20
    top = _nice_max(max([float(v) for v in values if pd.notna(v)] + [0]))
    step = (WIDTH - left - 30) / max(len(labels) - 1, 1)
    plot_h = height - bottom - top_pad
    points = []
    for i, (label, value) in enumerate(zip(labels, values)):
        value = 0.0 if pd.isna(value) else float(value)
        points.append({"x": left + i * step if len(labels) > 1 else left + (WIDTH - left) / 2,
                       "y": top_pad + plot_h * (1 - value / top), "label": label, "text": fmt(value),
                       "note": notes[i] if notes else ""})
    ticks = [{"y": top_pad + plot_h * (1 - k / 4), "text": fmt(top * k / 4)} for k in range(5)]
    return {"width": WIDTH, "height": height, "left": left, "baseline": top_pad + plot_h, "points": points,
            "ticks": ticks, "path": " ".join(f"{'M' if i == 0 else 'L'}{p['x']:.1f},{p['y']:.1f}"
                                             for i, p in enumerate(points))}
