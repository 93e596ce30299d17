"""Which analyses apply to the corpus at hand, and the comparisons derived from its docvars.

Every configured analysis of the measures stage is checked against the docvars that actually
vary in the token table before it runs; what does not apply becomes a
:class:`~analysis.skips.Skip` naming the config key (``[[measures.comparisons]] id = "x"``,
``[measures] tfidf_scopes[2] = "region"``) and the reason, and the rest runs.

Derived comparisons run in addition to the configured ones (``[measures] derived = true``, the
default), so the same corpus always gives the same tables whatever the config asks for:

- early vs late: within each ``(collection, level, doc_type)`` with 2+ distinct years, the
  reports of the later years (above the median of the distinct years) against the earlier
  ones, id ``<collection>.<level>.<doc_type>.years_<c>_<d>_vs_<a>_<b>`` (late first, as the
  configured period comparisons);
- review vs plan: within each collection with both sections, id ``<collection>.review_vs_plan``;
- one-vs-rest: each docvar of :data:`DERIVED_DOCVARS` with 2 to :data:`MAX_ONE_VS_REST` values
  (besides the configured ``one_vs_rest``).

A derived comparison that selects the same documents on both sides as an earlier one (a
configured comparison first) is not repeated: it is listed as skipped with the id it
duplicates. Ids are sanitized (:func:`safe_part`): letters, digits and ``_ . -`` only, so a
collection or a value such as 深圳市 or ``../x`` never becomes a path; a value with other
characters (or longer than 64) is named by a hash of its text instead (``v1b2c3d4e``), the same in
every corpus, and ``keyness/index.csv`` maps each id to its ``file`` and its value.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analysis.conditions import select
from analysis.config import Comparison
from analysis.measures.dtm import Dtm
from analysis.skips import Skip

STAGE = "measures"
#: Docvars whose every value is compared against the rest by default (when 2+ values vary).
DERIVED_DOCVARS = ("level", "region", "province", "doc_type", "collection", "place")
#: A derived one-vs-rest docvar with more values than this is skipped (too many tables).
MAX_ONE_VS_REST = 12
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
#: Longest docvar value kept as it is in an id (a file name must stay under 255 bytes).
MAX_PART = 64

Origin = Literal["config", "derived"]


@dataclass(frozen=True)
class Planned:
    """A comparison to run, with where it came from (``origin`` in ``keyness/index.csv``)."""

    comparison: Comparison
    origin: Origin


def comparison_setting(cid: str) -> str:
    """The config key of a configured comparison: ``[[measures.comparisons]] id = "x"``."""
    return f'[[measures.comparisons]] id = "{cid}"'


def safe_part(value: object) -> str:
    """``value`` as a piece of an id, and so of a file name: the value itself when it is made of
    letters, digits and ``_ . -`` only (not starting with ``.`` or ``-``, at most
    :data:`MAX_PART` characters), else ``v`` and the first 8 hex digits of the SHA-1 of its
    UTF-8 text. The same value gives the same piece in every corpus; ``keyness/index.csv``
    records the value (``target``, ``label``) beside the ``file`` it names."""
    text = str(value)
    if text and len(text) <= MAX_PART and not _UNSAFE.search(text) and text[0] not in ".-":
        return text
    return "v" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def present(values: pd.Series) -> np.ndarray:
    """True where a docvar value is set (not NA, not blank), shape ``(n,)``."""
    obj = values.astype(object)
    return (obj.notna() & (obj.astype(str).str.strip() != "")).to_numpy(dtype=bool)


def distinct(values: pd.Series) -> list:
    """The set values of a docvar, sorted (as strings for mixed types)."""
    kept = values[present(values)]
    return sorted(set(kept.tolist()), key=str)


def quote(value: object) -> str:
    """A literal for a condition: numbers as they are, strings quoted."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return str(int(value))
    return repr(str(value))


def comparison_masks(dtm: Dtm, comp: Comparison) -> tuple[np.ndarray, np.ndarray] | str:
    """The target and reference masks of ``comp`` on ``dtm``, or why it does not apply.

    It does not apply when a side matches no document, when both sides select the same
    documents, when they overlap, or when a side has no token.
    """
    unit = "paragraphs" if comp.unit == "paragraph" else "reports"
    t = select(dtm.docvars, comp.target)
    rest = comp.reference.strip() == "rest"
    r = ~t if rest else select(dtm.docvars, comp.reference)
    for side, cond, mask in (("target", comp.target, t), ("reference", comp.reference, r)):
        if not mask.any():
            return f"{side} condition {cond!r} matches none of the {len(t)} {unit}"
    both = int((t & r).sum())
    if both:
        return f"target and reference share {both} {unit}; make the conditions disjoint"
    lengths = dtm.doc_lengths()
    for side, mask in (("target", t), ("reference", r)):
        if lengths[mask].sum() == 0:
            return f"the {side} {unit} have no token"
    return t, r


def early_late(reports: pd.DataFrame) -> list[Comparison]:
    """Early-vs-late halves of the years within each ``(collection, level, doc_type)`` with 2+
    distinct years (later years = above the median of the distinct years; see module doc)."""
    out = []
    keys = ["collection", "level", "doc_type"]
    have = reports[[*keys, "year"]].copy()
    have = have[np.logical_and.reduce([present(have[c]) for c in [*keys, "year"]])]
    for key, grp in have.groupby(keys, sort=True):
        years = sorted({int(y) for y in grp["year"]})
        if len(years) < 2:
            continue
        median = float(np.median(years))
        early = [y for y in years if y <= median]
        late = [y for y in years if y > median]
        where = " and ".join(f"{c} == {quote(v)}" for c, v in zip(keys, key, strict=True))
        prefix = ".".join(safe_part(v) for v in key)
        span = [f"{p[0]}_{p[-1]}" if p[0] != p[-1] else f"{p[0]}" for p in (late, early)]
        shown = [s.replace("_", "-") for s in span]
        out.append(
            Comparison(
                id=f"{prefix}.years_{span[0]}_vs_{span[1]}",
                label=f"{' / '.join(map(str, key))}: {shown[0]} vs {shown[1]}",
                target=f"{where} and year >= {late[0]} and year <= {late[-1]}",
                reference=f"{where} and year >= {early[0]} and year <= {early[-1]}",
                unit="report",
            )
        )
    return out


def review_plan(paragraphs: pd.DataFrame) -> list[Comparison]:
    """Review vs plan paragraphs within each collection that has both sections."""
    out = []
    names = distinct(paragraphs["collection"])
    for name in names:
        sections = set(paragraphs.loc[paragraphs["collection"] == name, "section"])
        if {"review", "plan"} <= sections:
            where = f"collection == {quote(name)}"
            out.append(
                Comparison(
                    id=f"{safe_part(name)}.review_vs_plan",
                    label=f"{name}: review of past work vs plans",
                    target=f"{where} and section == 'review'",
                    reference=f"{where} and section == 'plan'",
                    unit="paragraph",
                )
            )
    return out


def plan_comparisons(
    configured: Sequence[Comparison], dtms: dict[str, Dtm], *, derived: bool
) -> list[Planned]:
    """The configured comparisons, then (with ``derived``) the derived ones, in run order."""
    planned = [Planned(c, "config") for c in configured]
    if derived:
        taken = {c.id for c in configured}
        extra = early_late(dtms["report"].docvars) + review_plan(dtms["paragraph"].docvars)
        planned += [Planned(c, "derived") for c in extra if c.id not in taken]
    return planned


def one_vs_rest_docvars(
    reports: pd.DataFrame, configured: str, *, derived: bool
) -> tuple[list[tuple[str, Origin]], list[Skip]]:
    """The docvars to compare value by value against the rest, and the ones skipped.

    The configured ``one_vs_rest`` needs 2+ set values; a derived docvar 2 to
    :data:`MAX_ONE_VS_REST` (a derived docvar with one value is skipped silently but listed).
    """
    run: list[tuple[str, Origin]] = []
    skips: list[Skip] = []
    if configured:
        values = distinct(reports[configured])
        if len(values) >= 2:
            run.append((configured, "config"))
        else:
            skips.append(
                Skip(
                    STAGE,
                    f"keyness/{configured}_*_vs_rest",
                    _few_values(configured, values, "reports"),
                    f'[measures] one_vs_rest = "{configured}"',
                )
            )
    if derived:
        for name in DERIVED_DOCVARS:
            if name == configured or name not in reports.columns:
                continue
            values = distinct(reports[name])
            why = ""
            if len(values) < 2:
                why = _few_values(name, values, "reports")
            elif len(values) > MAX_ONE_VS_REST:
                why = (
                    f"{len(values)} values of {name!r} (more than {MAX_ONE_VS_REST} tables); "
                    f'set [measures] one_vs_rest = "{name}" to compare each'
                )
            if why:
                skips.append(Skip(STAGE, f"keyness/{name}_*_vs_rest", why))
            else:
                run.append((name, "derived"))
    return run, skips


def _few_values(name: str, values: list, what: str) -> str:
    if not values:
        return f"no {what[:-1]} has a {name!r}"
    return f"every {what[:-1]} with a {name!r} has {name} = {values[0]!r}; nothing to compare"


def docvar_scopes(
    docvars: pd.DataFrame,
    names: Sequence[str],
    *,
    analysis: str,
    key: str,
    collection: str,
    min_values: int,
) -> tuple[list[str], list[Skip]]:
    """The docvars of ``names`` with at least ``min_values`` set values in ``docvars`` (one
    collection's units), and a skip (setting ``[measures] <key>[i] = "name"``) for the rest."""
    kept, skips = [], []
    for i, name in enumerate(names):
        values = distinct(docvars[name])
        if len(values) >= min_values:
            kept.append(name)
            continue
        if values:
            why = f"collection {collection!r}: every report has {name} = {values[0]!r}"
        else:
            why = f"collection {collection!r}: no report has a {name!r}"
        skips.append(
            Skip(STAGE, f"{analysis}/{collection}/{name}", why, f'[measures] {key}[{i}] = "{name}"')
        )
    return kept, skips
