"""The rules' speed machinery (pipeline/rules/columns.py): a memo computes each value once and
travels empty; typed columns become numpy arrays once, blank as None (text) or NaN (numbers)."""
import pickle

import numpy as np
import pandas as pd

from pipeline.rules.columns import Columns, Memo, is_blank, one_of


def test_a_memo_computes_each_value_once_and_is_pickled_empty():
    memo, calls = Memo(), []
    assert memo.once("k", lambda: calls.append(1) or 5) == 5
    assert memo.once("k", lambda: calls.append(1) or 6) == 5 and calls == [1]
    back = pickle.loads(pickle.dumps(memo, protocol=pickle.HIGHEST_PROTOCOL))
    assert type(back) is Memo and back == {} and memo == {"k": 5}


def test_columns_are_converted_once_with_blanks_as_none_or_nan():
    frame = pd.DataFrame({"status": pd.array(["Yes", None, "No"], dtype="string"), "weeks": [4.0, np.nan, 2.0]},
                         index=pd.Index([2, 3, 4], name="row"))
    c = Columns(frame)
    assert c["status"] is c["status"] and c["status"].tolist() == ["Yes", None, "No"]
    assert c.rows.tolist() == [2, 3, 4] and len(c) == 3
    assert one_of(c["status"], "Yes", "No").tolist() == [True, False, True]
    assert is_blank(c["weeks"]).tolist() == [False, True, False]
