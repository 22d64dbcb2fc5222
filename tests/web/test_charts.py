"""The charts' geometry (web/charts.py): a role with no assignments has no bar, and no cap tick
crosses a value's text."""
from __future__ import annotations

import math

from web.charts import NO_VALUE, bars
from web.filters import rate


def test_a_role_with_no_assignments_draws_no_bar_and_says_z():
    chart = bars(["Social worker", "Independent reviewing officer"], [36.2, math.nan], markers=[34.75, 40.0], fmt=rate)
    worker, iro = chart["rows"]
    assert iro["empty"] and iro["width"] == 0 and iro["text"] == NO_VALUE and iro["marker_x"] is None
    assert not worker["empty"] and worker["text"] == "£36.20" and worker["over"]


def test_a_value_text_starts_past_its_bar_and_its_cap_tick():
    values, caps = [30.0, 34.0, 34.75, 36.0, 10.0], [34.75, 34.75, 34.75, 34.75, 52.0]
    chart = bars(["a", "b", "c", "d", "e"], values, markers=caps, fmt=rate)
    for row in chart["rows"]:
        text_width = 8 * len(row["text"])          # 14px Arial digits are under 8px wide
        assert row["text_x"] > row["marker_x"] and row["text_x"] > chart["label_width"] + row["width"]
        assert row["text_x"] + text_width <= chart["width"]
