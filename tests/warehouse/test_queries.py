"""What the warehouse answers (pipeline/warehouse/queries.py): every LA's status and lateness."""

import pandas as pd

from pipeline.core.contract import Quarter
from pipeline.warehouse import queries, submit
from tests.warehouse.returns import Q, book


def test_status_lists_every_live_la_and_lateness(tmp_path, service_home):
    submit.submit_file(book(tmp_path, "a.xlsx"), Q, home=service_home)
    table = queries.status(Q, home=service_home)
    assert len(table) == 153
    assert table["status"].value_counts().to_dict() == {"missing": 152, "accepted": 1}
    london = queries.status(Q, "london", home=service_home)
    assert set(london["region_name"]) == {"London"} and len(london) == 33
    missing = table[table["status"] == "missing"]
    assert missing["last_submission_at"].isna().all()
    due = table["due_date"].iloc[0]
    assert pd.Timestamp(due).date().isoformat() == "2025-08-31"   # end of the second month after June


def test_a_submission_after_its_due_date_is_late_and_one_before_is_not(tmp_path, service_home):
    future = Quarter(2049, 4)   # due 29 Feb 2050: still ahead whenever this test runs
    submit.submit_file(book(tmp_path, "late.xlsx"), Q, home=service_home)          # 2025-Q2, sent today
    submit.submit_file(book(tmp_path, "early.xlsx", quarter=future), future, home=service_home)
    late = queries.status(Q, home=service_home).set_index("la_code")
    early = queries.status(future, home=service_home).set_index("la_code")
    assert late.at["316", "status"] == "accepted" and bool(late.at["316", "late"])
    assert early.at["316", "status"] == "accepted" and not bool(early.at["316", "late"])
    assert not early.drop(index="316")["late"].any()   # missing, but not yet due
