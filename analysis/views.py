"""Read-only views of the saved tables, for the notebooks and for quoting numbers in a paper.

Every function reads tables a stage has written under the results directory and returns a
small DataFrame; none fits a model or reads raw text, so a notebook built from these calls shows
exactly what the pipeline computed.

A notebook opens one results folder with :func:`open_results` (``$POLICYSHIFT_RESULTS``, or a
path) and calls the methods of the :class:`Views` it returns. A view that does not apply to that
corpus (a comparison it does not have, a level it lacks, a stage that wrote nothing) returns a
:class:`Note`, shown as one line of Markdown, instead of raising.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import config as config_mod
from analysis.conditions import select
from analysis.measures.concepts import ConceptMatcher, load_concepts
from analysis.measures.kwic import kwic
from analysis.results import Results

RESULTS_ENV = "POLICYSHIFT_RESULTS"


class NotApplicable(LookupError):
    """A view does not apply to the corpus of a results folder; the message says why."""


@dataclass(frozen=True)
class Note:
    """One line a notebook shows instead of a table or figure that does not apply.

    Rendered as Markdown in Jupyter (``_repr_markdown_``); ``str()`` is the plain text.
    """

    text: str

    def _repr_markdown_(self) -> str:
        return f"> **Not shown:** {self.text}"

    def __str__(self) -> str:
        return f"Not shown: {self.text}"

    __repr__ = __str__


def _results(results: str | Path | Results) -> Results:
    return results if isinstance(results, Results) else Results(results)


def _find_config(start: Path) -> config_mod.Config:
    if os.environ.get("POLICYSHIFT_CONFIG"):
        return config_mod.load()
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / config_mod.DEFAULT_CONFIG_NAME).exists():
            return config_mod.load(folder / config_mod.DEFAULT_CONFIG_NAME)
    raise FileNotFoundError(f"no {config_mod.DEFAULT_CONFIG_NAME} in {here} or above")


def open_results(path: str | Path | None = None, *, start: str | Path | None = None) -> Views:
    """The :class:`Views` of one results folder, for a notebook.

    The folder is ``path``, else ``$POLICYSHIFT_RESULTS`` (relative to the current folder), else
    the config's ``results``. The config is ``$POLICYSHIFT_CONFIG`` if set (``make test`` points
    it at the small test config), else the ``params.toml`` found in ``start`` (default: the
    current folder) or the nearest folder above it.
    """
    cfg = _find_config(Path(start or Path.cwd()))
    chosen = path or os.environ.get(RESULTS_ENV)
    results = Path(chosen).resolve() if chosen else cfg.path(cfg.results)
    if not Results(results).documents_path.exists():
        raise FileNotFoundError(
            f"{results} holds no corpus; run `policyshift run --results {results}` first"
        )
    return Views(cfg, results)


def _need_table(results: str | Path | Results, rel: str) -> Results:
    """The results folder, or :class:`NotApplicable` when it lacks the table ``rel``."""
    from analysis.figures.build import absent_reason

    res = _results(results)
    if not res.path(rel).is_file():
        raise NotApplicable(absent_reason([rel]))
    return res


def corpus_summary(results: Path) -> pd.DataFrame:
    """Reports, paragraphs, characters and years per collection and level: ``collection,
    level, reports, paragraphs, chars, first_year, last_year``."""
    documents = _results(results).documents()
    out = documents.groupby(["collection", "level"], sort=False, dropna=False).agg(
        reports=("doc_id", "size"),
        paragraphs=("n_paragraphs", "sum"),
        chars=("n_chars", "sum"),
        first_year=("year", "min"),
        last_year=("year", "max"),
    )
    return out.reset_index()


def quality_flags(results: Path) -> pd.DataFrame:
    """Reports with a quality flag: ``doc_id, place, year`` and the flags that are set."""
    documents = _results(results).documents()
    flags = ["truncated", "abridged", "numbers_deleted", "masked_restored", "masked_unresolved"]
    flags += ["duplicate_of", "known_issues"]
    cols = [c for c in flags if c in documents.columns]
    has = (documents[cols].fillna(0).astype(bool)).any(axis=1)
    return documents.loc[has, ["doc_id", "place", "year", *cols]].reset_index(drop=True)


def ingest_report(results: Path) -> pd.DataFrame:
    """What happened to every input file (``corpus/ingest_report.csv``)."""
    return _need_table(results, "corpus/ingest_report.csv").table("corpus/ingest_report.csv")


def skipped(results: Path) -> pd.DataFrame:
    """Every analysis a stage skipped on this corpus, with the reason (all ``skipped.csv``)."""
    return _results(results).skipped()


def concept_trend(
    results: Path,
    concept: str,
    *,
    level: str = "national",
    section: str = "all",
    last: int | None = None,
) -> pd.DataFrame:
    """One concept's rate per 10,000 characters with its interval, per report of ``level``.

    Columns ``doc_id, place, year, count, chars, rate, ci_low, ci_high``, sorted by year; only
    the ``last`` rows (the latest years) if given.
    """
    panel = _need_table(results, PANEL).table(PANEL)
    rows = panel[
        (panel["concept"] == concept) & (panel["level"] == level) & (panel["section"] == section)
    ]
    if rows.empty:
        raise NotApplicable(
            f"no {level} report with concept {concept!r} (section {section!r}) in this corpus"
        )
    cols = ["doc_id", "place", "year", "count", "chars", "rate", "ci_low", "ci_high"]
    out = rows[cols].sort_values(["year", "doc_id"]).reset_index(drop=True)
    return out if last is None else out.tail(last)


def term_counts(
    results: Path,
    terms: list[str],
    *,
    level: str | None = "national",
    where: str | None = None,
    last: int | None = None,
) -> pd.DataFrame:
    """Longest-match counts of dictionary ``terms`` per report of ``level`` (zeros filled).

    ``level=None`` takes every level; ``where`` is a docvar condition on the reports
    (:mod:`analysis.conditions`, e.g. ``"place == '深圳市' and year >= 2023"``). One row per
    report (``doc_id, place, year``), one column per term, sorted by year; only the ``last`` rows
    (the latest years) if given.
    """
    panel = _need_table(results, PANEL).table(PANEL)
    reports = panel[panel["section"] == "all"].drop_duplicates("doc_id")
    if level is not None:
        reports = reports[reports["level"] == level]
    if where is not None:
        reports = reports[select(reports, where)]
    if reports.empty:
        what = f"{level} report" if level is not None else "report"
        raise NotApplicable(f"the corpus has no {what}" + (f" where {where}" if where else ""))
    reports = reports[["doc_id", "place", "year"]]
    counts = _need_table(results, TERM_PANEL).table(TERM_PANEL)
    counts = counts[counts["term"].isin(terms)]
    wide = counts.pivot_table(index="doc_id", columns="term", values="count", aggfunc="sum")
    wide = wide.reindex(columns=terms).fillna(0).astype(int)
    out = reports.merge(wide, left_on="doc_id", right_index=True, how="left")
    out[terms] = out[terms].fillna(0).astype(int)
    out = out.sort_values(["year", "doc_id"]).reset_index(drop=True)
    return out if last is None else out.tail(last)


def section_shift(results: Path, *, group: str = "all") -> pd.DataFrame:
    """Review vs plan rates per concept for a level ``group`` (all | national | province | local).

    One row per concept: ``label_en, label_zh``, ``review`` and ``plan`` rates with intervals
    (reports resampled) and ``plan_minus_review``, sorted by that difference. For the interval
    of the difference itself, paired by report, see :func:`section_diff`.
    """
    shift = _need_table(results, SHIFT).table(SHIFT)
    part = shift[shift["group"] == group]
    if not {"review", "plan"} <= set(part["section"]):
        known = ", ".join(map(str, dict.fromkeys(shift["group"]))) or "none"
        raise NotApplicable(
            f"no review and plan sections for report group {group!r} (groups here: {known})"
        )
    wide = part.pivot_table(
        index=["concept", "label_en", "label_zh"],
        columns="section",
        values=["rate", "ci_low", "ci_high"],
    )
    wide.columns = [f"{section}_{stat}" for stat, section in wide.columns]
    wide["plan_minus_review"] = wide["plan_rate"] - wide["review_rate"]
    return wide.sort_values("plan_minus_review", ascending=False).reset_index()


def section_diff(results: Path, *, group: str = "all") -> pd.DataFrame:
    """Plan minus review per concept for a level ``group``, paired by report
    (``tables/concept_section_diff.csv``): the reports with both sections only, with the
    report-cluster interval of the difference itself.

    One row per concept: ``label_en, label_zh, n_reports, review_rate, plan_rate, diff,
    diff_ci_low, diff_ci_high, zero_in_ci, ci_method``, sorted by ``diff`` (most plan-heavy
    first). Unlike ``plan_minus_review`` of :func:`section_shift` (whose rates include the
    reports having only one of the sections), ``diff`` pairs the sections of each report.
    """
    diff = _need_table(results, DIFF).table(DIFF)
    part = diff[diff["group"] == group]
    if part.empty:
        known = ", ".join(map(str, dict.fromkeys(diff["group"]))) or "none"
        raise NotApplicable(
            f"no report with both a review and a plan section in group {group!r} "
            f"(groups here: {known})"
        )
    cols = [
        "concept",
        "label_en",
        "label_zh",
        "n_reports",
        "review_rate",
        "plan_rate",
        "diff",
        "diff_ci_low",
        "diff_ci_high",
        "zero_in_ci",
        "ci_method",
    ]
    return part.sort_values("diff", ascending=False, kind="stable")[cols].reset_index(drop=True)


def keyness_comparisons(results: Path) -> pd.DataFrame:
    """The keyness comparisons of this corpus (``tables/keyness/index.csv``)."""
    return _need_table(results, KEYNESS_INDEX).table(KEYNESS_INDEX)


def keyness_top(results: Path, comparison: str | None = None, *, n: int = 15) -> pd.DataFrame:
    """The ``n`` keyest terms on each side of a saved comparison (``tables/keyness/<id>.csv``;
    default: the first of the index), with the report counts, q_reports and robust when the
    table has them."""
    res = _results(results)
    index = keyness_comparisons(results)
    known = index["comparison"].astype(str).tolist()
    if not known:
        raise NotApplicable("this corpus has no keyness comparison")
    comparison = comparison or known[0]
    if comparison not in known:
        raise NotApplicable(
            f"no comparison {comparison!r} in this corpus; it has: {', '.join(known)}"
        )
    table = res.table(f"tables/keyness/{comparison}.csv")
    cols = ["direction", "term", "target_count", "reference_count", "g2", "q", "log_ratio"]
    cols += [
        c for c in ("target_reports", "reference_reports", "q_reports", "robust") if c in table
    ]
    return table.groupby("direction", sort=False).head(n)[cols].reset_index(drop=True)


def keyness_overview(results: Path, pattern: str = "*", *, n: int = 10) -> pd.DataFrame:
    """The keyest terms of every saved comparison whose id matches the glob ``pattern`` (e.g.
    ``"shenzhen_districts_*"``), one row each: ``comparison, label, n_target_docs,
    n_reference_docs``, then ``target_terms`` and ``reference_terms`` (the ``n`` terms of each side
    with the largest G2, space-separated), in index order."""
    res = _results(results)
    index = keyness_comparisons(results)
    rows = index[[fnmatch.fnmatchcase(str(c), pattern) for c in index["comparison"]]]
    if rows.empty:
        known = ", ".join(index["comparison"].astype(str)) or "none"
        raise NotApplicable(f"no comparison matching {pattern!r} in this corpus; it has: {known}")
    out = rows[["comparison", "label", "n_target_docs", "n_reference_docs"]].copy()
    for side in ("target", "reference"):
        out[f"{side}_terms"] = [
            " ".join(_side_terms(res.table(f"tables/keyness/{cid}.csv"), side, n))
            for cid in out["comparison"]
        ]
    return out.reset_index(drop=True)


def _side_terms(table: pd.DataFrame, side: str, n: int) -> list[str]:
    return table[table["direction"] == side].nlargest(n, "g2")["term"].astype(str).tolist()


def tfidf_terms(results: Path, scope: str, group: str | None = None, *, n: int = 10) -> list[str]:
    """The ``n`` most distinctive terms of one group (e.g. scope ``place``, group ``嘉兴市``;
    default: the scope's first group)."""
    top = _need_table(results, TFIDF).table(TFIDF)
    rows = top[top["scope"] == scope]
    groups = rows["group"].astype(str).drop_duplicates().tolist()
    if not groups:
        raise NotApplicable(f"no TF-IDF scope {scope!r} in this corpus")
    group = group or groups[0]
    rows = rows[rows["group"].astype(str) == group]
    if rows.empty:
        raise NotApplicable(
            f"no {scope} {group!r} in this corpus; it has: {', '.join(groups[:20])}"
        )
    return rows.nsmallest(n, "rank")["term"].tolist()


def evidence(
    results: Path,
    cfg: config_mod.Config,
    term: str,
    *,
    where: str | None = None,
    per_report: int = 1,
    window: int = 25,
) -> pd.DataFrame:
    """KWIC passages behind a count: the first ``per_report`` occurrences in each report.

    Columns ``doc_id, place, year, section, left, match, right, in_term``, sorted by year.
    """
    paragraphs = _results(results).paragraphs()
    terms = load_concepts(cfg.path(cfg.measures.concepts)).terms["term"].tolist()
    rows = kwic(paragraphs, term, window=window, where=where, matcher=ConceptMatcher(terms))
    if rows.empty:
        raise NotApplicable(
            f"{term!r} does not occur in this corpus" + (f" where {where}" if where else "")
        )
    rows = rows.groupby("doc_id", sort=False).head(per_report)
    cols = ["doc_id", "place", "year", "section", "left", "match", "right", "in_term"]
    return rows.sort_values(["year", "doc_id"], kind="stable")[cols].reset_index(drop=True)


def year_series(results: Path) -> pd.DataFrame:
    """The year series of this corpus (``tables/year_series.csv``): one row per series with its
    ``kind, collection, level, place, doc_type``, ``first_year, last_year, n_years, n_reports``."""
    table = _need_table(results, YEAR_SERIES).table(YEAR_SERIES)
    if table.empty:
        raise NotApplicable("this corpus has no year series (a series needs 3+ years)")
    keys = ["series", "kind", "collection", "level", "place", "doc_type"]
    per_year = table.drop_duplicates(["series", "year"])
    out = per_year.groupby(keys, sort=False, dropna=False).agg(
        first_year=("year", "min"),
        last_year=("year", "max"),
        n_years=("year", "nunique"),
        n_reports=("n_reports", "sum"),
    )
    return out.reset_index()


def place_trend(
    results: Path,
    concept: str,
    places: list[str],
    *,
    with_national: bool = True,
    doc_type: str = "work_report",
) -> pd.DataFrame:
    """One concept's rate per year in the place series of ``places``, and the national series
    over the same years (``tables/year_series.csv``).

    A place's series is ``<collection>/place=<place>/<doc_type>`` (a district whose
    management-committee reports precede its work reports also has the series of doc_type
    ``committee_report+work_report``); the national series is the level series of national
    ``work_report`` of the same collection, cut to the first and last year of the places.
    Returns the tidy table ``series, collection, place, year, n_reports, count, chars, rate,
    ci_low, ci_high`` (rate per 10,000 characters with its bootstrap interval; the national rows
    have place ``全国``), in the order of ``places`` then national, years sorted. The places with
    no series are named in ``attrs["absent"]``; none with one is :class:`NotApplicable`.
    """
    table = _need_table(results, YEAR_SERIES).table(YEAR_SERIES)
    if table.empty:
        raise NotApplicable("this corpus has no year series (a series needs 3+ years)")
    rows = table[table["concept"] == concept]
    if rows.empty:
        raise NotApplicable(f"no year series of concept {concept!r} in this corpus")
    local = rows[
        (rows["kind"] == "place") & rows["place"].isin(places) & (rows["doc_type"] == doc_type)
    ]
    absent = [p for p in places if p not in set(local["place"])]
    if local.empty:
        raise NotApplicable(
            f"no {doc_type} year series of {', '.join(places)} in this corpus "
            "(a series needs reports of 3+ years)"
        )
    parts = [local[local["place"] == p] for p in places if p not in absent]
    if with_national:
        first, last = int(local["year"].min()), int(local["year"].max())
        national = rows[
            (rows["kind"] == "level")
            & (rows["level"] == "national")
            & (rows["doc_type"] == "work_report")
            & rows["collection"].isin(set(local["collection"]))
            & rows["year"].between(first, last)
        ]
        parts.append(national.assign(place=NATIONAL_PLACE))
    cols = ["series", "collection", "place", "year", "n_reports", "count", "chars", "rate"]
    out = pd.concat(parts, ignore_index=True)[[*cols, "ci_low", "ci_high"]]
    out = out.astype({"year": "int64"}).reset_index(drop=True)
    out.attrs["absent"] = absent
    return out


def topic_table(results: Path) -> pd.DataFrame:
    """The topics of the chosen model (``topics/topics.csv``): labels, top terms, stability."""
    return _need_table(results, TOPICS).table(TOPICS)


def model_selection(results: Path) -> pd.DataFrame:
    """Mean of every model-selection metric per K over seeds (``topics/model_selection.csv``)."""
    table = _need_table(results, SELECTION).table(SELECTION)
    metrics = [c for c in table.columns if c not in {"k", "seed"}]
    numeric = table[["k", *metrics]].select_dtypes("number")
    return numeric.groupby("k").mean().reset_index()


NATIONAL_PLACE = "全国"
PANEL = "tables/concept_panel.parquet"
TERM_PANEL = "tables/term_panel.csv"
SHIFT = "tables/concept_section_shift.csv"
DIFF = "tables/concept_section_diff.csv"
KEYNESS_INDEX = "tables/keyness/index.csv"
TFIDF = "tables/tfidf_top_terms.csv"
YEAR_SERIES = "tables/year_series.csv"
TOPICS = "topics/topics.csv"
SELECTION = "topics/model_selection.csv"


@dataclass(frozen=True)
class Views:
    """The views of one results folder (:func:`open_results`): each method is the function of
    the same name on this folder, returning a :class:`Note` when it does not apply."""

    cfg: config_mod.Config
    results: Path

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self.results, *args, **kwargs)
        except NotApplicable as exc:
            return Note(str(exc))

    def describe(self) -> Note | str:
        """One line: the results folder, the config hash, reports per collection."""
        docs = Results(self.results).documents(columns=["doc_id", "collection"])
        counts = ", ".join(f"{c}: {n}" for c, n in docs["collection"].value_counts().items())
        return (
            f"results: {self.results.name}/, config {self.cfg.hash()}; "
            f"{len(docs)} reports ({counts})"
        )

    def figure(self, fig_id: str) -> Any:
        """A registered figure drawn from this folder (from its tables, not from a figure file),
        or a note saying why it does not apply or that this version has no figure ``fig_id``."""
        from analysis.figures import REGISTRY, FigureSkipped, make_figure

        if fig_id not in REGISTRY:
            known = ", ".join(sorted(REGISTRY))
            return Note(f"figure {fig_id}: not a figure of this version of policyshift ({known})")
        try:
            return make_figure(fig_id, results=self.results, cfg=self.cfg)
        except FigureSkipped as exc:
            return Note(f"figure {fig_id}: {exc.reason}")

    def corpus_summary(self) -> pd.DataFrame:
        return corpus_summary(self.results)

    def quality_flags(self) -> pd.DataFrame:
        return quality_flags(self.results)

    def ingest_report(self) -> pd.DataFrame | Note:
        return self._call(ingest_report)

    def skipped(self) -> pd.DataFrame:
        return skipped(self.results)

    def concept_trend(self, concept: str, **kwargs: Any) -> pd.DataFrame | Note:
        return self._call(concept_trend, concept, **kwargs)

    def term_counts(self, terms: list[str], **kwargs: Any) -> pd.DataFrame | Note:
        return self._call(term_counts, terms, **kwargs)

    def section_shift(self, **kwargs: Any) -> pd.DataFrame | Note:
        return self._call(section_shift, **kwargs)

    def section_diff(self, **kwargs: Any) -> pd.DataFrame | Note:
        return self._call(section_diff, **kwargs)

    def keyness_comparisons(self) -> pd.DataFrame | Note:
        return self._call(keyness_comparisons)

    def keyness_top(self, comparison: str | None = None, **kwargs: Any) -> pd.DataFrame | Note:
        return self._call(keyness_top, comparison, **kwargs)

    def keyness_overview(self, pattern: str = "*", **kwargs: Any) -> pd.DataFrame | Note:
        return self._call(keyness_overview, pattern, **kwargs)

    def place_trend(self, concept: str, places: list[str], **kwargs: Any) -> pd.DataFrame | Note:
        return self._call(place_trend, concept, places, **kwargs)

    def tfidf_terms(self, scope: str, group: str | None = None, **kwargs: Any) -> Any:
        return self._call(tfidf_terms, scope, group, **kwargs)

    def evidence(self, term: str, **kwargs: Any) -> pd.DataFrame | Note:
        return self._call(evidence, self.cfg, term, **kwargs)

    def year_series(self) -> pd.DataFrame | Note:
        return self._call(year_series)

    def topic_table(self) -> pd.DataFrame | Note:
        return self._call(topic_table)

    def model_selection(self) -> pd.DataFrame | Note:
        return self._call(model_selection)
