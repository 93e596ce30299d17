"""The stated rules of the output tables: counting rule, denominator and interval method.

Every table with a rate, a score or an interval states three rules, written here once:
``counting_rule`` (what was counted), ``denominator`` (what it was divided by) and ``ci_method``
(how the interval was computed, or that there is none). Tables of rates and intervals carry them
as their last three columns, so that a reader of the CSV alone knows what was computed
(concept-rate tables set ``ci_method`` per row from the resampling unit of the row's group,
:func:`analysis.bootstrap.method_label`). Per-term tables (a row per term and group: the keyness
tables, ``term_panel``, ``tfidf_top_terms``), where the same three strings on each of 10^4-10^5
rows would double the file, state them once in ``tables/table_rules.csv`` (:data:`RULES_FILE`,
one row per table). That file lists every rule-bearing table of ``tables/``, so it is the one
place to look. The figures' captions (``FigureSpec.method``) say the same in a short line.
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "CHARS",
    "CHARS_AND_TOKENS",
    "CONCEPT_COUNT",
    "NO_INTERVAL",
    "PER_ROW",
    "RULES_FILE",
    "RULE_COLUMNS",
    "TERM_COUNT",
    "TOKEN_COUNT",
    "rules_table",
    "stated_rules",
    "with_rules",
]

RULE_COLUMNS = ("counting_rule", "denominator", "ci_method")
#: The table of every rule-bearing table's rules, in ``tables/``.
RULES_FILE = "table_rules.csv"
#: What :data:`RULES_FILE` says of a rule that a table states per row.
PER_ROW = "per row (the table's column)"

#: Concept hits: the longest dictionary term at each position, scan resumes after it.
CONCEPT_COUNT = (
    "longest-match dictionary count (data/concepts.toml), summed over the concept's terms"
)
#: Dictionary terms, one by one, by the same rule.
TERM_COUNT = "longest-match dictionary count of the term (data/concepts.toml)"
#: Segmented tokens of the token table.
TOKEN_COUNT = "token count (segmented tokens of the token table)"
CHARS = "characters of the clean text excluding whitespace (rate per 10,000)"
CHARS_AND_TOKENS = (
    "rate, ci_*: characters of the clean text excluding whitespace; rate_tokens, ci_*_tokens: "
    "tokens (both per 10,000)"
)
NO_INTERVAL = "no interval"


def with_rules(
    table: pd.DataFrame, *, counting_rule: str, denominator: str, ci_method: str | None = None
) -> pd.DataFrame:
    """``table`` with the three rule columns appended (``ci_method`` kept when the table has it
    per row and ``ci_method`` is None); existing columns keep their order."""
    out = table.assign(counting_rule=counting_rule, denominator=denominator)
    if ci_method is not None:
        out = out.assign(ci_method=ci_method)
    elif "ci_method" not in out.columns:
        raise ValueError("the table has no ci_method column; pass one")
    rest = [c for c in out.columns if c not in RULE_COLUMNS]
    return out[[*rest, *RULE_COLUMNS]]


def stated_rules(table: pd.DataFrame) -> tuple[str, str, str]:
    """The rules of a table that carries them as columns, for :data:`RULES_FILE`: a column's
    one value, or :data:`PER_ROW` where rows differ (or the table is empty)."""
    out = []
    for col in RULE_COLUMNS:
        values = table[col].unique()
        out.append(str(values[0]) if len(values) == 1 else PER_ROW)
    return tuple(out)  # type: ignore[return-value]


def rules_table(rules: dict[str, tuple[str, str, str]]) -> pd.DataFrame:
    """:data:`RULES_FILE`: one row per table (its path under ``tables/``), sorted, with the
    three rule columns."""
    rows = [(name, *rules[name]) for name in sorted(rules)]
    return pd.DataFrame(rows, columns=["table", *RULE_COLUMNS])
