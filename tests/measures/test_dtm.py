"""The one matrix type and its one filter (analysis.measures.dtm) on small planted matrices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from analysis.measures.dtm import Dtm, build_dtm, is_placeholder, trim, trim_dtm, unit_rows

VOCAB = np.array(["<num>", "党", "发展", "改革", "嘉兴", "罕见", "稳"])
COUNTS = np.array(
    [
        # <num> 党 发展 改革 嘉兴 罕见 稳
        [3, 1, 2, 1, 0, 0, 1],
        [2, 1, 1, 0, 2, 0, 1],
        [1, 1, 3, 2, 0, 0, 1],
        [1, 1, 0, 0, 0, 1, 0],  # 4 tokens, 2 of them kept below: a short unit
    ]
)


def _dtm() -> Dtm:
    docvars = pd.DataFrame({"doc_id": ["a", "b", "c", "d"], "year": [2020, 2021, 2022, 2023]})
    return Dtm(sparse.csr_matrix(COUNTS), VOCAB, docvars)


def test_trim_says_what_it_dropped_and_why():
    dtm = _dtm()
    trimmed, dropped = trim(
        dtm, min_df=2, max_df=0.9, drop_terms=["嘉兴"], drop_placeholders=True, min_tokens=2
    )
    reasons = dict(zip(dropped.terms["term"], dropped.terms["reason"], strict=True))
    # <num> is also in every unit (max_df) but the first check it fails names it
    assert reasons == {"<num>": "placeholder", "嘉兴": "listed", "罕见": "min_df", "党": "max_df"}
    assert dropped.terms.loc[VOCAB.tolist().index("罕见"), "df"] == 1  # indexed by input column
    assert dropped.units["doc_id"].tolist() == ["d"] and dropped.units.index.tolist() == [3]
    assert dropped.units["n_tokens"].tolist() == [0] and set(dropped.units["reason"]) == {
        "min_tokens"
    }
    assert trimmed.vocab.tolist() == ["发展", "改革", "稳"]
    assert trimmed.docvars["doc_id"].tolist() == ["a", "b", "c"]
    np.testing.assert_array_equal(trimmed.counts.toarray(), COUNTS[:3][:, [2, 3, 6]])
    assert trimmed.counts.has_canonical_format
    # every term and unit is either kept or listed once
    assert len(trimmed.vocab) + len(dropped.terms) == len(VOCAB)
    assert len(trimmed.docvars) + len(dropped.units) == len(COUNTS)


def test_terms_only_in_dropped_units_are_unused():
    trimmed, dropped = trim(_dtm(), min_tokens=6)  # d (4 tokens) goes, and 罕见 with it
    assert dropped.units["doc_id"].tolist() == ["d"]
    assert dropped.terms[["term", "reason"]].values.tolist() == [["罕见", "unused"]]
    assert "罕见" not in set(trimmed.vocab)


def test_df_bounds_are_counts_or_shares_and_trim_dtm_is_the_terms_table():
    dtm = _dtm()
    by_count, _ = trim(dtm, min_df=3)
    by_share, _ = trim(dtm, min_df=0.75)  # 0.75 * 4 = 3 documents
    assert by_count.vocab.tolist() == by_share.vocab.tolist() == ["<num>", "党", "发展", "稳"]
    kept, table = trim_dtm(dtm, min_df=3)
    assert kept.vocab.tolist() == by_count.vocab.tolist()
    assert list(table.columns) == ["term", "count", "df", "reason"]
    assert table.index.tolist() == list(range(len(table)))
    assert is_placeholder(np.array(["<num>", "<pct>", "<", "《纲要》", "num"])).tolist() == [
        True,
        True,
        False,
        False,
        False,
    ]


def test_unit_rows_and_paragraph_docvars():
    tokens = pd.DataFrame(
        {
            "doc_id": ["r2", "r1", "r1", "r2"],
            "paragraph": [0, 0, 1, 1],
            "section": ["plan", "review", "plan", "review"],
            "tokens": [["稳", "进"], ["党"], ["稳"], []],
            "year": [2021, 2020, 2020, 2021],
        }
    )
    keys, row = unit_rows(tokens, "report")
    assert keys["doc_id"].tolist() == ["r2", "r1"] and row.tolist() == [0, 1, 1, 0]
    _, row = unit_rows(tokens, "report", pd.DataFrame({"doc_id": ["r1"]}))
    assert row.tolist() == [-1, 0, 0, -1]
    para = build_dtm(tokens, unit="paragraph")
    assert list(para.docvars.columns) == ["doc_id", "paragraph", "section", "year", "n_paragraphs"]
    assert para.doc_lengths().tolist() == [2, 1, 1, 0]
    with pytest.raises(ValueError, match="unit"):
        unit_rows(tokens, "chapter")
