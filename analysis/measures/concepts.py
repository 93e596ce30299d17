"""Concept dictionaries: count policy concepts in the clean text, by longest match.

A concept is a set of terms, including its historical names (``data/concepts.toml``). Counting rule
(also stated in the dictionary's header): the text is scanned left to right; at each position the
longest dictionary term (of any concept) that starts there is taken, and the scan resumes after
it. So 新能源汽车 counts once, as 新能源汽车, and not also as 新能源; a term's count equals what a
reader finds by searching the text, minus the hits that sit inside (or overlap the end of) an
earlier, longer dictionary term. Terms never contain whitespace and are matched within a
paragraph of the clean text (``paragraphs.parquet``), so report counts are paragraph sums.

Rates are per 10,000 characters (every character of the clean text except whitespace) or per
10,000 tokens (the token table), with bootstrap intervals (:func:`bootstrap_rates`) through the one
resampler (:class:`analysis.bootstrap.Resampler`, seeded per unit by
:func:`analysis.bootstrap.keyed_rng`): a group holding more than one report (a section pooled
across reports, a level, a series-year) resamples its *reports* (report-cluster bootstrap), the
rate of a single report (or of one of its sections) resamples its paragraphs. The interval is the
raw percentile or BCa interval of the replicates (``[measures] ci_interval``); each row says which
in ``ci_method``. :func:`paired_difference` gives plan minus review per concept with reports
resampled as pairs (a drawn report brings both its sections).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from threadpoolctl import threadpool_limits

from analysis.bootstrap import (
    PARAGRAPH_UNIT,
    REPORT_UNIT,
    Interval,
    Resampler,
    bootstrap_interval,
    estimate_outside,
    keyed_rng,
    method_label,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

PER = 10_000  # rates are per this many characters (or tokens)
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class ConceptDictionary:
    """Terms and labels of the policy concepts.

    Attributes
    ----------
    concepts : DataFrame
        One row per concept: ``concept, label_en, label_zh, n_terms, description``, file order.
    terms : DataFrame
        One row per term: ``term, concept``, in file order (term index = row number).
    """

    concepts: pd.DataFrame
    terms: pd.DataFrame

    @property
    def term_to_concept(self) -> dict[str, str]:
        """Map term -> concept id."""
        return dict(zip(self.terms["term"], self.terms["concept"], strict=True))


def load_concepts(path: str | Path) -> ConceptDictionary:
    """Read a concept TOML file (``[concepts.<id>]`` with label_en, label_zh, description, terms).

    Raises ``ValueError`` naming the file for a term listed twice, a term with whitespace or an
    empty concept, since each of these would make counts ambiguous.
    """
    path = Path(path)
    with path.open("rb") as fh:
        try:
            raw = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML: {exc}") from exc
    rows, term_rows, seen = [], [], {}
    for cid, spec in raw.get("concepts", {}).items():
        terms = list(spec.get("terms", []))
        if not terms:
            raise ValueError(f"{path}: concept {cid!r} has no terms")
        for term in terms:
            if not term or _WS.search(term):
                raise ValueError(f"{path}: concept {cid!r}: term {term!r} is empty or has spaces")
            if term in seen:
                raise ValueError(f"{path}: term {term!r} is listed in {seen[term]!r} and {cid!r}")
            seen[term] = cid
            term_rows.append((term, cid))
        rows.append(
            {
                "concept": cid,
                "label_en": spec.get("label_en", cid),
                "label_zh": spec.get("label_zh", ""),
                "n_terms": len(terms),
                "description": spec.get("description", ""),
            }
        )
    if not rows:
        raise ValueError(f"{path}: no [concepts.<id>] tables")
    return ConceptDictionary(
        pd.DataFrame(rows), pd.DataFrame(term_rows, columns=["term", "concept"])
    )


def _trie_pattern(terms: Iterable[str]) -> str:
    """A regex matching the longest of ``terms`` at a position (greedy trie alternation)."""
    trie: dict[str, Any] = {}
    for term in terms:
        node = trie
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict[str, Any]) -> str:
        end = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # greedy optional: prefer the longer continuation, fall back to the term ending here
        return f"(?:{body})?" if end else body

    return build(trie)


class ConceptMatcher:
    """Longest-match counter of dictionary terms (see the module docstring for the rule).

    Parameters
    ----------
    terms : sequence of str
        The dictionary terms; term ``i`` is column ``i`` of :meth:`count_matrix`.
    """

    def __init__(self, terms: Sequence[str]) -> None:
        self.terms = list(terms)
        self.index_ = {t: i for i, t in enumerate(self.terms)}
        self.pattern_ = re.compile(_trie_pattern(self.terms))

    def finditer(self, text: str) -> Iterable[re.Match[str]]:
        """Taken matches in ``text``, left to right, non-overlapping, longest at each start."""
        return self.pattern_.finditer(text)

    def count(self, text: str) -> dict[str, int]:
        """Counts of the terms taken in ``text`` (terms with no hit are absent)."""
        out: dict[str, int] = {}
        for m in self.finditer(text):
            out[m.group()] = out.get(m.group(), 0) + 1
        return out

    def count_matrix(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Term counts, shape ``(len(texts), len(terms))``, int64 CSR."""
        rows, cols = [], []
        index = self.index_
        for i, text in enumerate(texts):
            for m in self.finditer(text):
                rows.append(i)
                cols.append(index[m.group()])
        data = np.ones(len(rows), dtype=np.int64)
        shape = (len(texts), len(self.terms))
        mat = sparse.csr_matrix((data, (rows, cols)), shape=shape, dtype=np.int64)
        mat.sum_duplicates()
        return mat


def count_chars(texts: Iterable[str]) -> np.ndarray:
    """Characters per text excluding whitespace, shape ``(n,)``, int64 (the rate denominator)."""
    return np.fromiter((len(_WS.sub("", t)) for t in texts), dtype=np.int64)


def concept_matrix(term_counts: sparse.spmatrix, dictionary: ConceptDictionary) -> np.ndarray:
    """Sum term columns into concept columns: ``(n, n_terms)`` -> ``(n, n_concepts)`` int64."""
    codes = pd.Categorical(dictionary.terms["concept"], categories=dictionary.concepts["concept"])
    n_terms, n_concepts = len(codes), len(dictionary.concepts)
    agg = sparse.csr_matrix(
        (np.ones(n_terms, dtype=np.int64), (np.arange(n_terms), codes.codes)),
        shape=(n_terms, n_concepts),
    )
    return np.asarray((term_counts @ agg).todense(), dtype=np.int64)


def _unit_sums(units: np.ndarray | None, values: np.ndarray) -> np.ndarray:
    """Row sums of ``values`` (n, ...) per unit code (``units`` None: every row its own)."""
    if units is None:
        return values
    codes, _ = pd.factorize(units, sort=True)
    out = np.zeros((codes.max() + 1, *values.shape[1:]), dtype=np.float64)
    np.add.at(out, codes, values)
    return out


def _jackknife_rates(counts: np.ndarray, den: np.ndarray, units: np.ndarray | None) -> np.ndarray:
    """Leave-one-unit-out rates per 10,000, shape (n_units, n_concepts) (NaN where nothing is
    left)."""
    u_counts, u_den = _unit_sums(units, counts), _unit_sums(units, den)
    rest = den.sum() - u_den
    with np.errstate(divide="ignore", invalid="ignore"):
        return PER * (counts.sum(axis=0) - u_counts) / np.where(rest > 0, rest, np.nan)[:, None]


def bootstrap_rates(
    counts: np.ndarray,
    denominators: np.ndarray,
    weights: np.ndarray,
    *,
    level: float = 0.95,
    interval: Interval = "percentile",
    units: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rates per 10,000 and bootstrap intervals from resampled paragraphs or reports.

    Parameters
    ----------
    counts : array, shape (n_paragraphs, n_concepts)
        Concept counts of the paragraphs of one unit.
    denominators : array, shape (n_paragraphs,)
        Characters (or tokens) of each paragraph.
    weights : array, shape (n_boot, n_paragraphs)
        Draw counts of each paragraph in each replicate (``Resampler.draw`` of
        :mod:`analysis.bootstrap`; the paragraphs of a drawn report are drawn together).
    interval : {"percentile", "bca"}
        Raw percentile or BCa interval (:func:`analysis.bootstrap.bootstrap_interval`).
    units : array (n_paragraphs,), optional
        The resampled unit of each paragraph (its report for a cluster bootstrap), for the
        jackknife of BCa; default: every paragraph its own unit.

    Returns
    -------
    rate, ci_low, ci_high : arrays, shape (n_concepts,)
        Point estimate ``PER * sum(counts) / sum(denominators)`` and the raw ``level`` interval
        (not widened to contain the estimate, which a skewed rate can miss). A unit with a zero
        denominator gets NaN; a concept with no hit gets ``[0, 0]``; a unit of one paragraph,
        whose every resample is the paragraph itself, gets ``[rate, rate]``.
    """
    counts = np.asarray(counts, dtype=np.float64)
    den = np.asarray(denominators, dtype=np.float64)
    total = den.sum()
    if len(den) == 0 or total == 0:
        nan = np.full(counts.shape[1], np.nan)
        return nan, nan.copy(), nan.copy()
    rate = PER * counts.sum(axis=0) / total
    if len(den) == 1:
        # the bootstrap distribution is the point itself; computed through the replicates it
        # would be ``counts * (PER / den)``, one ulp off ``rate`` and flagged as outside
        return rate, rate.copy(), rate.copy()
    w = np.asarray(weights, dtype=np.float64)
    boot_den = w @ den
    boot = (w @ counts) * (PER / np.where(boot_den > 0, boot_den, np.nan))[:, None]
    if not (boot_den > 0).all():  # a replicate that drew only empty paragraphs has no rate
        boot = boot[boot_den > 0]
    jack = _jackknife_rates(counts, den, units) if interval == "bca" else None
    low, high = bootstrap_interval(boot, level, interval=interval, estimate=rate, jackknife=jack)
    return rate, low, high


def group_resampler(doc_ids: np.ndarray) -> tuple[Resampler, str]:
    """The resampler of one group's paragraphs by the rule: its reports as clusters when it
    holds more than one report, else its paragraphs; and the unit's name."""
    codes = pd.factorize(np.asarray(doc_ids), sort=True)[0]
    if len(codes) and codes.max() > 0:
        return Resampler.build(len(codes), clusters=codes), REPORT_UNIT
    return Resampler.build(len(codes)), PARAGRAPH_UNIT


def concept_rates(
    paragraph_counts: pd.DataFrame,
    concept_ids: Sequence[str],
    by: Sequence[str],
    *,
    n_boot: int,
    seed: int,
    level: float = 0.95,
    interval: Interval = "percentile",
) -> pd.DataFrame:
    """Concept rates per 10,000 characters and tokens for every group of paragraphs.

    Parameters
    ----------
    paragraph_counts : DataFrame
        One row per paragraph with ``doc_id``, the grouping columns, ``chars``, ``tokens`` and
        one count column per concept id.
    by : sequence of str
        Grouping columns (docvars such as ``doc_id``, ``section``, ``province``, ``level``).
        Within each group, reports are resampled when it holds more than one report, else its
        paragraphs (:func:`group_resampler`), seeded by ``seed`` and the group key.
    interval : {"percentile", "bca"}
        Interval from the replicates.

    Returns
    -------
    DataFrame
        One row per group x concept: the ``by`` columns, ``concept``, ``count``, ``chars``,
        ``tokens``, ``n_paragraphs``, ``rate``, ``ci_low``, ``ci_high``, ``rate_tokens``,
        ``ci_low_tokens``, ``ci_high_tokens``, ``estimate_outside_ci`` and
        ``estimate_outside_ci_tokens`` (True where the rate lies outside its raw interval),
        ``n_reports`` and ``ci_method`` (e.g. ``"report-cluster bootstrap, percentile"``).
        Groups are sorted by key; concepts in the given order.
    """
    # many small matrix products: one BLAS thread is ~15x faster than two competing ones
    with threadpool_limits(limits=1, user_api="blas"):
        return _concept_rates(
            paragraph_counts, list(concept_ids), list(by), n_boot, seed, level, interval
        )


def _concept_rates(
    paragraph_counts: pd.DataFrame,
    concept_ids: list[str],
    by: list[str],
    n_boot: int,
    seed: int,
    level: float,
    interval: Interval,
) -> pd.DataFrame:
    frames = []
    for key, grp in paragraph_counts.groupby(by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        label = "|".join(map(str, key))
        counts = grp[concept_ids].to_numpy()
        res: dict[str, Any] = {"concept": concept_ids}
        for name, val in zip(by, key, strict=True):
            res[name] = [val] * len(concept_ids)
        res["count"] = counts.sum(axis=0)
        res["chars"] = int(grp["chars"].sum())
        res["tokens"] = int(grp["tokens"].sum())
        res["n_paragraphs"] = len(grp)
        # one resample of the paragraphs (or reports) serves both denominators
        rng = keyed_rng(seed, label)
        resampler, unit = group_resampler(grp["doc_id"].to_numpy())
        weights = resampler.draw(rng, n_boot).astype(np.float64)
        for den, suffix in (("chars", ""), ("tokens", "_tokens")):
            rate, low, high = bootstrap_rates(
                counts,
                grp[den].to_numpy(),
                weights,
                level=level,
                interval=interval,
                units=resampler.unit_of_doc,
            )
            res[f"rate{suffix}"], res[f"ci_low{suffix}"], res[f"ci_high{suffix}"] = rate, low, high
            res[f"estimate_outside_ci{suffix}"] = estimate_outside(rate, low, high)
        res["n_reports"] = int(grp["doc_id"].nunique())
        res["ci_method"] = method_label(unit, interval)
        frames.append(pd.DataFrame(res))
    out = pd.concat(frames, ignore_index=True)
    front = [*by, "concept", "count", "chars", "tokens", "n_paragraphs"]
    back = ["estimate_outside_ci", "estimate_outside_ci_tokens", "n_reports", "ci_method"]
    return out[front + [c for c in out.columns if c not in front + back] + back]


DIFF_COLUMNS = [
    "concept",
    "n_reports",
    "review_count",
    "review_chars",
    "plan_count",
    "plan_chars",
    "review_rate",
    "plan_rate",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "zero_in_ci",
    "estimate_outside_ci",
    "ci_method",
]


def paired_difference(
    paragraph_counts: pd.DataFrame,
    concept_ids: Sequence[str],
    by: Sequence[str],
    *,
    n_boot: int,
    seed: int,
    level: float = 0.95,
    interval: Interval = "percentile",
    first: str = "review",
    second: str = "plan",
) -> pd.DataFrame:
    """Per group, the rate of section ``second`` minus that of ``first`` per 10,000
    characters, pooled over the group's reports that have both sections, with an interval.

    The reports are resampled as pairs (a drawn report brings both its sections), so the
    interval is that of the difference itself, not of two independent rates; a group with a
    single such report resamples its paragraphs within each section. Reports having only one
    of the two sections do not enter (``n_reports`` counts those that do). Seeded by ``seed``
    and the group key with ``|plan-review``.

    Returns
    -------
    DataFrame
        The ``by`` columns and :data:`DIFF_COLUMNS` (``first``/``second`` named ``review`` and
        ``plan``): counts, characters and rates of each side, ``diff`` (plan minus review),
        ``diff_ci_low``, ``diff_ci_high``, ``zero_in_ci`` (True where 0 lies inside the
        interval: no shift shown at this level), ``estimate_outside_ci`` and ``ci_method``.
        Groups without a report of both sections are left out.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        ids = list(concept_ids)
        frames = []
        part = paragraph_counts[paragraph_counts["section"].isin([first, second])]
        for key, grp in part.groupby(list(by), sort=True, dropna=False):
            key = key if isinstance(key, tuple) else (key,)
            sections = grp.groupby("doc_id")["section"].nunique()
            both = grp[grp["doc_id"].isin(sections.index[sections == 2])]
            if both.empty:
                continue
            label = "|".join(map(str, key)) + "|plan-review"
            res = _paired(both, ids, first, second, keyed_rng(seed, label), n_boot, level, interval)
            for name, val in zip(by, key, strict=True):
                res.insert(list(by).index(name), name, val)
            frames.append(res)
    if not frames:
        return pd.DataFrame(columns=[*by, *DIFF_COLUMNS])
    return pd.concat(frames, ignore_index=True)[[*by, *DIFF_COLUMNS]]


def _paired(
    grp: pd.DataFrame,
    ids: list[str],
    first: str,
    second: str,
    rng: np.random.Generator,
    n_boot: int,
    level: float,
    interval: Interval,
) -> pd.DataFrame:
    counts = grp[ids].to_numpy(dtype=np.float64)
    den = grp["chars"].to_numpy(dtype=np.float64)
    is_second = (grp["section"] == second).to_numpy()
    masks = {first: ~is_second, second: is_second}
    doc_codes = pd.factorize(grp["doc_id"], sort=True)[0]
    n_reports = int(doc_codes.max()) + 1
    if n_reports > 1:
        resampler, unit = Resampler.build(len(grp), clusters=doc_codes), REPORT_UNIT
    else:
        resampler, unit = Resampler.build(len(grp), strata=is_second.astype(int)), PARAGRAPH_UNIT
    w = resampler.draw(rng, n_boot).astype(np.float64)
    rates, boots, jacks, sums = {}, {}, {}, {}
    for side, m in masks.items():
        c, d = counts * m[:, None], den * m
        sums[side] = (c.sum(axis=0), d.sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            rates[side] = PER * c.sum(axis=0) / d.sum() if d.sum() > 0 else np.nan * c[0]
            bd = w @ d
            boots[side] = (w @ c) * (PER / np.where(bd > 0, bd, np.nan))[:, None]
        jacks[side] = _jackknife_rates(c, d, resampler.unit_of_doc)
    diff = rates[second] - rates[first]
    boot = boots[second] - boots[first]
    boot = boot[np.isfinite(boot).all(axis=1)]  # a replicate with an empty side has no rate
    jack = jacks[second] - jacks[first]
    low, high = bootstrap_interval(boot, level, interval=interval, estimate=diff, jackknife=jack)
    return pd.DataFrame(
        {
            "concept": ids,
            "n_reports": n_reports,
            "review_count": sums[first][0].astype(np.int64),
            "review_chars": int(sums[first][1]),
            "plan_count": sums[second][0].astype(np.int64),
            "plan_chars": int(sums[second][1]),
            "review_rate": rates[first],
            "plan_rate": rates[second],
            "diff": diff,
            "diff_ci_low": low,
            "diff_ci_high": high,
            "zero_in_ci": (low <= 0) & (high >= 0),
            "estimate_outside_ci": estimate_outside(diff, low, high),
            "ci_method": method_label(unit, interval),
        }
    )
