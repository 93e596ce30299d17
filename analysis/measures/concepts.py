"""Concept dictionaries: count policy concepts in the clean text, by longest match.

A concept is a set of terms, including its historical names (``data/concepts.toml``). Counting rule
(also stated in the dictionary's header): the text is scanned left to right; at each position the
longest dictionary term (of any concept) that starts there is taken, and the scan resumes after
it. So 新能源汽车 counts once, as 新能源汽车, and not also as 新能源; a term's count equals what a
reader finds by searching the text, minus the hits that sit inside (or overlap the end of) an
earlier, longer dictionary term. Terms never contain whitespace and are matched within a
paragraph of the clean text (``paragraphs.parquet``), so report counts are paragraph sums.

Rates are per 10,000 characters (every character of the clean text except whitespace) or per
10,000 tokens (the token table), with percentile bootstrap intervals from resampling paragraphs
within the unit (report, section or any group; :class:`analysis.bootstrap.Resampler`, seeded per
unit by :func:`analysis.bootstrap.keyed_rng`); see :func:`bootstrap_rates`.
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

from analysis.bootstrap import Resampler, estimate_outside, keyed_rng, percentile_interval

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


def bootstrap_rates(
    counts: np.ndarray,
    denominators: np.ndarray,
    weights: np.ndarray,
    *,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rates per 10,000 and percentile bootstrap intervals from resampled paragraphs.

    Parameters
    ----------
    counts : array, shape (n_paragraphs, n_concepts)
        Concept counts of the paragraphs of one unit.
    denominators : array, shape (n_paragraphs,)
        Characters (or tokens) of each paragraph.
    weights : array, shape (n_boot, n_paragraphs)
        Draw counts of each paragraph in each replicate (``Resampler.draw`` of
        :mod:`analysis.bootstrap`).

    Returns
    -------
    rate, ci_low, ci_high : arrays, shape (n_concepts,)
        Point estimate ``PER * sum(counts) / sum(denominators)`` and the raw ``level`` percentile
        interval (not widened to contain the estimate, which a skewed rate can miss). A unit
        with a zero denominator gets NaN; a concept with no hit gets ``[0, 0]``; a unit of one
        paragraph, whose every resample is the paragraph itself, gets ``[rate, rate]``.
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
    low, high = percentile_interval(boot, level)
    return rate, low, high


def concept_rates(
    paragraph_counts: pd.DataFrame,
    concept_ids: Sequence[str],
    by: Sequence[str],
    *,
    n_boot: int,
    seed: int,
    level: float = 0.95,
) -> pd.DataFrame:
    """Concept rates per 10,000 characters and tokens for every group of paragraphs.

    Parameters
    ----------
    paragraph_counts : DataFrame
        One row per paragraph with the grouping columns, ``chars``, ``tokens`` and one count
        column per concept id.
    by : sequence of str
        Grouping columns (docvars such as ``doc_id``, ``section``, ``province``, ``level``).
        Paragraphs are resampled within each group, seeded by ``seed`` and the group key.

    Returns
    -------
    DataFrame
        One row per group x concept: the ``by`` columns, ``concept``, ``count``, ``chars``,
        ``tokens``, ``n_paragraphs``, ``rate``, ``ci_low``, ``ci_high``, ``rate_tokens``,
        ``ci_low_tokens``, ``ci_high_tokens``, ``estimate_outside_ci`` and
        ``estimate_outside_ci_tokens`` (True where the rate lies outside its raw percentile
        interval). Groups are sorted by key; concepts in the given order.
    """
    # many small matrix products: one BLAS thread is ~15x faster than two competing ones
    with threadpool_limits(limits=1, user_api="blas"):
        return _concept_rates(paragraph_counts, list(concept_ids), list(by), n_boot, seed, level)


def _concept_rates(
    paragraph_counts: pd.DataFrame,
    concept_ids: list[str],
    by: list[str],
    n_boot: int,
    seed: int,
    level: float,
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
        # one resample of the paragraphs serves both denominators
        rng = keyed_rng(seed, label)
        weights = Resampler.build(len(grp)).draw(rng, n_boot).astype(np.float64)
        for den, suffix in (("chars", ""), ("tokens", "_tokens")):
            rate, low, high = bootstrap_rates(counts, grp[den].to_numpy(), weights, level=level)
            res[f"rate{suffix}"], res[f"ci_low{suffix}"], res[f"ci_high{suffix}"] = rate, low, high
            res[f"estimate_outside_ci{suffix}"] = estimate_outside(rate, low, high)
        frames.append(pd.DataFrame(res))
    out = pd.concat(frames, ignore_index=True)
    front = [*by, "concept", "count", "chars", "tokens", "n_paragraphs"]
    back = ["estimate_outside_ci", "estimate_outside_ci_tokens"]  # new columns go last
    return out[front + [c for c in out.columns if c not in front + back] + back]
