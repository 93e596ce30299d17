"""Read-only views of the saved tables, for the notebooks and for quoting numbers in a paper.

Every function reads tables a stage has written under the results directory and returns a
small DataFrame; none fits a model or reads raw text, so a notebook built from these calls shows
exactly what the pipeline computed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from analysis import config as config_mod
from analysis.corpus import load_corpus
from analysis.measures.concepts import ConceptMatcher, load_concepts
from analysis.measures.kwic import kwic
from analysis.results import Results


def _results(results: str | Path | Results) -> Results:
    return results if isinstance(results, Results) else Results(results)


def open_results(start: str | Path | None = None) -> tuple[config_mod.Config, Path]:
    """The config and results folder a notebook works on.

    The config is ``$POLICYSHIFT_CONFIG`` if set (``make test`` points it at the small test
    config), else the ``params.toml`` found in ``start`` (default: the current folder) or the
    nearest folder above it. The results folder is the config's ``results``.
    """
    if os.environ.get("POLICYSHIFT_CONFIG"):
        cfg = config_mod.load()
    else:
        here = Path(start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / config_mod.DEFAULT_CONFIG_NAME).exists():
                cfg = config_mod.load(folder / config_mod.DEFAULT_CONFIG_NAME)
                break
        else:
            raise FileNotFoundError(f"no {config_mod.DEFAULT_CONFIG_NAME} in {here} or above")
    results = cfg.path(cfg.results)
    if not Results(results).documents_path.exists():
        raise FileNotFoundError(f"{results} holds no corpus; run `make all` first")
    return cfg, results


def corpus_summary(results: Path) -> pd.DataFrame:
    """Reports, paragraphs, characters and years per level: ``level, reports, paragraphs,
    chars, first_year, last_year``."""
    documents, _ = load_corpus(results)
    out = documents.groupby("level", sort=False).agg(
        reports=("doc_id", "size"),
        paragraphs=("n_paragraphs", "sum"),
        chars=("n_chars", "sum"),
        first_year=("year", "min"),
        last_year=("year", "max"),
    )
    return out.reset_index()


def quality_flags(results: Path) -> pd.DataFrame:
    """Reports with a quality flag: ``doc_id, place, year`` and the flags that are set."""
    documents, _ = load_corpus(results)
    flags = ["truncated", "abridged", "numbers_deleted", "masked_restored", "masked_unresolved"]
    flags += ["duplicate_of", "known_issues"]
    cols = [c for c in flags if c in documents.columns]
    has = (documents[cols].fillna(0).astype(bool)).any(axis=1)
    return documents.loc[has, ["doc_id", "place", "year", *cols]].reset_index(drop=True)


def ingest_report(results: Path) -> pd.DataFrame:
    """What happened to every input file (``corpus/ingest_report.csv``)."""
    return _results(results).table("corpus/ingest_report.csv")


def concept_trend(
    results: Path, concept: str, *, level: str = "national", section: str = "all"
) -> pd.DataFrame:
    """One concept's rate per 10,000 characters with its interval, per report of ``level``.

    Columns ``doc_id, place, year, count, chars, rate, ci_low, ci_high``, sorted by year.
    """
    panel = _results(results).table("tables/concept_panel.parquet")
    rows = panel[
        (panel["concept"] == concept) & (panel["level"] == level) & (panel["section"] == section)
    ]
    if rows.empty:
        raise KeyError(f"no rows for concept {concept!r}, level {level!r}, section {section!r}")
    cols = ["doc_id", "place", "year", "count", "chars", "rate", "ci_low", "ci_high"]
    return rows[cols].sort_values(["year", "doc_id"]).reset_index(drop=True)


def term_counts(results: Path, terms: list[str], *, level: str = "national") -> pd.DataFrame:
    """Longest-match counts of dictionary ``terms`` per report of ``level`` (zeros filled).

    One row per report (``doc_id, place, year``), one column per term, sorted by year.
    """
    panel = _results(results).table("tables/concept_panel.parquet")
    reports = panel.loc[
        (panel["level"] == level) & (panel["section"] == "all"), ["doc_id", "place", "year"]
    ].drop_duplicates()
    counts = _results(results).table("tables/term_panel.csv")
    counts = counts[counts["term"].isin(terms)]
    wide = counts.pivot_table(index="doc_id", columns="term", values="count", aggfunc="sum")
    wide = wide.reindex(columns=terms).fillna(0).astype(int)
    out = reports.merge(wide, left_on="doc_id", right_index=True, how="left")
    out[terms] = out[terms].fillna(0).astype(int)
    return out.sort_values(["year", "doc_id"]).reset_index(drop=True)


def section_shift(results: Path, *, group: str = "all") -> pd.DataFrame:
    """Review vs plan rates per concept for a level ``group`` (all | national | province | local).

    One row per concept: ``label_en, label_zh``, ``review`` and ``plan`` rates with intervals and
    ``plan_minus_review``, sorted by that difference.
    """
    shift = _results(results).table("tables/concept_section_shift.csv")
    part = shift[shift["group"] == group]
    wide = part.pivot_table(
        index=["concept", "label_en", "label_zh"],
        columns="section",
        values=["rate", "ci_low", "ci_high"],
    )
    wide.columns = [f"{section}_{stat}" for stat, section in wide.columns]
    wide["plan_minus_review"] = wide["plan_rate"] - wide["review_rate"]
    return wide.sort_values("plan_minus_review", ascending=False).reset_index()


def keyness_top(results: Path, comparison: str, *, n: int = 15) -> pd.DataFrame:
    """The ``n`` keyest terms on each side of a saved comparison (``tables/keyness/<id>.csv``)."""
    res = _results(results)
    index = res.table("tables/keyness/index.csv")
    if comparison not in set(index["comparison"]):
        raise KeyError(f"no comparison {comparison!r}; known: {index['comparison'].tolist()}")
    table = res.table(f"tables/keyness/{comparison}.csv")
    cols = ["direction", "term", "target_count", "reference_count", "g2", "q", "log_ratio"]
    return table.groupby("direction", sort=False).head(n)[cols].reset_index(drop=True)


def tfidf_terms(results: Path, scope: str, group: str, *, n: int = 10) -> list[str]:
    """The ``n`` most distinctive terms of one group (e.g. scope ``place``, group ``嘉兴市``)."""
    top = _results(results).table("tables/tfidf_top_terms.csv")
    rows = top[(top["scope"] == scope) & (top["group"].astype(str) == group)]
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
    _, paragraphs = load_corpus(results)
    terms = load_concepts(cfg.path(cfg.measures.concepts)).terms["term"].tolist()
    rows = kwic(paragraphs, term, window=window, where=where, matcher=ConceptMatcher(terms))
    rows = rows.groupby("doc_id", sort=False).head(per_report)
    cols = ["doc_id", "place", "year", "section", "left", "match", "right", "in_term"]
    return rows.sort_values(["year", "doc_id"], kind="stable")[cols].reset_index(drop=True)


def topic_table(results: Path) -> pd.DataFrame:
    """The topics of the chosen model (``topics/topics.csv``): labels, top terms, stability."""
    return _results(results).table("topics/topics.csv")


def model_selection(results: Path) -> pd.DataFrame:
    """Mean of every model-selection metric per K over seeds (``topics/model_selection.csv``)."""
    table = _results(results).table("topics/model_selection.csv")
    metrics = [c for c in table.columns if c not in {"k", "seed"}]
    numeric = table[["k", *metrics]].select_dtypes("number")
    return numeric.groupby("k").mean().reset_index()
