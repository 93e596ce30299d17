"""The stated rules of the output tables: counting rule, denominator and interval method.

Every table with a rate, a score or an interval carries three columns, written here once:
``counting_rule`` (what was counted), ``denominator`` (what it was divided by) and ``ci_method``
(how the interval was computed, or that there is none), so that a reader of the CSV alone knows
what was computed. The figures' captions (``FigureSpec.method``) say the same in a short line.
Concept-rate tables set ``ci_method`` per row from the resampling unit of the row's group
(:func:`analysis.bootstrap.method_label`); the strings below are for the rest.
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "CHARS",
    "CHARS_AND_TOKENS",
    "CONCEPT_COUNT",
    "NO_INTERVAL",
    "RULE_COLUMNS",
    "TERM_COUNT",
    "TOKEN_COUNT",
    "with_rules",
]

RULE_COLUMNS = ("counting_rule", "denominator", "ci_method")

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
