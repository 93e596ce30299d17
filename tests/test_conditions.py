"""Conditions select documents like a pandas query would, and never run code."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.conditions import select
from analysis.config import DEFAULT_COMPARISONS

DOCVARS = pd.DataFrame(
    {
        "level": ["province", "national", "prefecture", None, "county-level"],
        "year": [2026, 2013, 2025, np.nan, 2003],
        "province": ["浙江省", None, "浙江省", "广东省", "广东省"],
        "section": ["review", "plan", "plan", "other", "review"],
        "doc_type": ["work_report", "work_report", "other", "work_report", "work_report"],
        "collection": ["bundled", "bundled", "bundled", "mine", "bundled"],
        "place": ["浙江省", "全国", "嘉兴市", "深圳市", "罗湖区"],
        "prefecture": [None, None, "嘉兴市", "深圳市", "深圳市"],
    }
)


@pytest.mark.parametrize(
    "condition",
    [
        *(c for comp in DEFAULT_COMPARISONS for c in (comp.target, comp.reference)),
        "2003 <= year <= 2013",
        "not (level == 'national') or year < 2010",
        "province not in ['浙江省'] and level != 'national'",
    ],
)
def test_same_rows_as_a_pandas_query(condition):
    expected = DOCVARS.eval(condition, engine="python").fillna(False).to_numpy(dtype=bool)
    assert select(DOCVARS, condition).tolist() == expected.tolist()


@pytest.mark.parametrize(
    "hostile",
    [
        "__import__('os').system('touch pwned')",
        "level.str.len() > 3",
        "year + 1 > 2000",
        "@x == 1",
        "[c for c in level]",
        "level == ",
    ],
)
def test_code_in_a_condition_is_refused(hostile):
    with pytest.raises(ValueError, match="cannot evaluate condition"):
        select(DOCVARS, hostile)


def test_an_unknown_docvar_is_named():
    with pytest.raises(ValueError, match="unknown docvar 'regoin'"):
        select(DOCVARS, "regoin == 'east'")
