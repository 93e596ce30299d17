"""The docvars a config names, checked against the columns of a corpus: :func:`check_docvars`.

:func:`condition_names` reads the docvar names out of a condition (a keyness comparison's
``target`` or ``reference``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from analysis.conditions import parse as parse_condition
from analysis.config.messages import ConfigError, _display, _line, _suggest
from analysis.config.sections import Config

# Columns of the paragraph unit that reports (and report-unit comparisons) do not have.
_PARAGRAPH_ONLY = ("paragraph", "section")
# Columns of the corpus tables that are data, not docvars.
_PAYLOAD = ("text", "tokens")


def condition_names(condition: str) -> tuple[str, ...]:
    """The docvar names a ``condition`` refers to, in order of first appearance (read by the
    parser of :mod:`analysis.conditions`; raises its ``ConditionError`` for a condition outside
    the grammar)."""
    return parse_condition(condition).names


def check_docvars(
    cfg: Config, columns: Iterable[str], *, stage: Literal["measures", "topics"]
) -> None:
    """Check that every docvar the config names for ``stage`` is one of ``columns``.

    ``columns`` are the column names of the corpus the stage reads (the token cache
    ``tokens/tokens.parquet`` or ``corpus/paragraphs.parquet``: ``doc_id, paragraph, section``
    and the docvars). Checked for ``"measures"``: the names in each comparison's ``target`` and
    ``reference`` (``section`` and ``paragraph`` only for ``unit = "paragraph"``),
    ``one_vs_rest``, ``tfidf_scopes`` and ``group_term_docvars``; for ``"topics"``: ``group_by``
    and the covariates of every effect.

    Raises :class:`ConfigError` naming the config file, the key (``[topics] effects[1]``), the
    unknown name and the available columns.
    """
    available = list(dict.fromkeys(str(c) for c in columns if c not in _PAYLOAD))
    per_report = [c for c in available if c not in _PARAGRAPH_ONLY]
    file = _display(cfg.source)
    problems: list[str] = []

    def need(section: str, key: str, value: Any, names: Iterable[str], pool: list[str]) -> None:
        for name in names:
            if name in pool:
                continue
            if name in available:
                what = f'docvar {name!r} exists only for paragraphs (unit = "paragraph")'
            else:
                what = f"unknown docvar {name!r}" + _suggest(name, pool)
            problems.append(_line(file, section, key, value, what, ", ".join(pool)))

    if stage == "measures":
        m = cfg.measures
        for i, comp in enumerate(m.comparisons):
            pool = available if comp.unit == "paragraph" else per_report
            for side in ("target", "reference"):
                condition = getattr(comp, side)
                if side == "reference" and condition.strip() == "rest":
                    continue
                key = f"comparisons[{i}].{side}"
                need("measures", key, condition, condition_names(condition), pool)
        if m.one_vs_rest:
            need("measures", "one_vs_rest", m.one_vs_rest, [m.one_vs_rest], per_report)
        for i, name in enumerate(m.tfidf_scopes):
            pool = [c for c in available if c != "paragraph"]
            need("measures", f"tfidf_scopes[{i}]", name, [name], pool)
        for i, name in enumerate(m.group_term_docvars):
            need("measures", f"group_term_docvars[{i}]", name, [name], per_report)
    elif stage == "topics":
        t = cfg.topics
        for i, name in enumerate(t.group_by):
            need("topics", f"group_by[{i}]", name, [name], available)
        for i, effect in enumerate(t.effects):
            need("topics", f"effects[{i}]", effect, effect.covariates, available)
    else:
        raise ValueError(f"check_docvars: stage {stage!r} is not 'measures' or 'topics'")
    if problems:
        raise ConfigError(problems)
