"""The measures stage: every table of counts, TF-IDF, keyness and concept rates.

:func:`build_measures` reads the corpus and token tables and writes, under ``<results>/tables/``:

- ``concept_panel.{csv,parquet,dta}``: report x section (and ``all``) x concept: count, characters,
  tokens, rate per 10,000 characters and tokens, with paragraph-bootstrap intervals (raw
  percentiles) and whether the rate lies outside each (``estimate_outside_ci[_tokens]``);
- ``concept_section_shift.csv``: review vs plan rates per concept, pooled by level group;
- ``concepts.csv``: the concept labels and term counts;
- ``term_panel.csv``: every dictionary term's count per report (longest match; zeros left out);
- ``tfidf_top_terms.csv``: distinctive terms per report and per group of each scope docvar;
- ``keyness/<id>.csv`` for each configured comparison, ``keyness/<docvar>_<value>_vs_rest.csv``,
  and ``keyness/index.csv``;
- ``group_term_counts.csv``: the most frequent terms per region and level (word clouds);
- ``dropped_terms.csv``: the terms TF-IDF left out and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from analysis import io, stamps
from analysis.config import Comparison, Config, check_docvars
from analysis.corpus.metadata import DOCVARS
from analysis.measures.concepts import (
    PER,
    ConceptDictionary,
    ConceptMatcher,
    concept_matrix,
    concept_rates,
    count_chars,
    load_concepts,
)
from analysis.measures.dtm import Dtm, build_dtm, group_dtm, is_placeholder, trim
from analysis.measures.keyness import keyness, one_vs_rest
from analysis.measures.tfidf import tfidf_top_terms
from analysis.progress import progress
from analysis.results import Results

SECTION_ALL = "all"
LEVEL_GROUPS = {"national": "national", "province": "province"}  # other levels -> "local"


@dataclass(frozen=True)
class ParagraphConcepts:
    """Concept counts of every paragraph, aligned with the paragraph table.

    Attributes
    ----------
    table : DataFrame
        One row per paragraph: docvars, ``paragraph``, ``section``, ``chars``, ``tokens`` and one
        int column per concept id.
    dictionary : ConceptDictionary
    term_counts : csr_matrix, shape (n_paragraphs, n_terms)
    """

    table: pd.DataFrame
    dictionary: ConceptDictionary
    term_counts: sparse.csr_matrix


def count_paragraph_concepts(
    paragraphs: pd.DataFrame, tokens: pd.DataFrame, dictionary: ConceptDictionary
) -> ParagraphConcepts:
    """Count concepts (longest match) in each paragraph's clean text.

    ``tokens`` (the token table) gives the token denominator; it must list the same paragraphs
    in the same order (both come from ``paragraphs.parquet``), else ``ValueError``.
    """
    keys = ["doc_id", "paragraph"]
    if not paragraphs[keys].reset_index(drop=True).equals(tokens[keys].reset_index(drop=True)):
        raise ValueError("token table is not aligned with the paragraphs; rebuild tokens")
    matcher = ConceptMatcher(dictionary.terms["term"].tolist())
    texts = paragraphs["text"].tolist()
    term_counts = matcher.count_matrix(list(progress(texts, desc="concepts", total=len(texts))))
    table = paragraphs.drop(columns="text").reset_index(drop=True)
    table["chars"] = count_chars(texts)
    table["tokens"] = tokens["tokens"].map(len).to_numpy()
    ids = dictionary.concepts["concept"].tolist()
    table = pd.concat(
        [table, pd.DataFrame(concept_matrix(term_counts, dictionary), columns=ids)], axis=1
    )
    return ParagraphConcepts(table, dictionary, term_counts)


def term_panel(pc: ParagraphConcepts) -> pd.DataFrame:
    """Counts of every dictionary term per report (rows with a zero count left out).

    Columns: the docvars, ``term``, ``concept``, ``count`` (longest match), ``chars`` (the
    report's characters excluding whitespace) and ``rate`` per 10,000 characters. Sorted like the
    concept panel, terms in dictionary order.
    """
    doc_codes, docs = pd.factorize(pc.table["doc_id"])
    n_docs = len(docs)
    indicator = sparse.csr_matrix(
        (np.ones(len(doc_codes), dtype=np.int64), (doc_codes, np.arange(len(doc_codes)))),
        shape=(n_docs, len(doc_codes)),
    )
    per_doc = (indicator @ pc.term_counts).tocoo()
    terms = pc.dictionary.terms
    out = pd.DataFrame(
        {
            "doc_id": np.asarray(docs)[per_doc.row],
            "term": terms["term"].to_numpy()[per_doc.col],
            "concept": terms["concept"].to_numpy()[per_doc.col],
            "count": per_doc.data.astype(np.int64),
            "_t": per_doc.col,
        }
    )
    chars = pc.table.groupby("doc_id", sort=False)["chars"].sum()
    out["chars"] = out["doc_id"].map(chars).astype(np.int64)
    out["rate"] = PER * out["count"] / out["chars"]
    docvars = pc.table.drop_duplicates("doc_id")[list(DOCVARS)]
    out = out.merge(docvars, on="doc_id")
    out = out.sort_values(["level", "place", "year", "doc_id", "_t"], kind="stable")
    cols = [*DOCVARS, "term", "concept", "count", "chars", "rate"]
    return out[cols].reset_index(drop=True)


def level_group(level: pd.Series) -> pd.Series:
    """national | province | local (prefecture and county-level reports)."""
    return level.map(LEVEL_GROUPS).fillna("local")


def concept_panel(pc: ParagraphConcepts, *, n_boot: int, seed: int, level: float) -> pd.DataFrame:
    """Report x section x concept rates, plus section ``all`` for the whole report.

    Columns: the docvars, ``section``, ``concept``, ``label_en``, ``label_zh``, ``count``,
    ``chars``, ``tokens``, ``n_paragraphs``, ``rate``, ``ci_low``, ``ci_high``, ``rate_tokens``,
    ``ci_low_tokens``, ``ci_high_tokens``, ``estimate_outside_ci``,
    ``estimate_outside_ci_tokens``; sorted by level, place, year, doc_id, section, concept
    file order.
    """
    ids = pc.dictionary.concepts["concept"].tolist()
    table = pc.table
    whole = table.assign(section=SECTION_ALL)
    rates = concept_rates(
        pd.concat([table, whole], ignore_index=True),
        ids,
        ["doc_id", "section"],
        n_boot=n_boot,
        seed=seed,
        level=level,
    )
    docvars = table.drop_duplicates("doc_id")[list(DOCVARS)]
    labels = pc.dictionary.concepts[["concept", "label_en", "label_zh"]]
    panel = rates.merge(docvars, on="doc_id").merge(labels, on="concept")
    order = {c: i for i, c in enumerate(ids)}
    panel["_c"] = panel["concept"].map(order)
    panel = panel.sort_values(["level", "place", "year", "doc_id", "section", "_c"], kind="stable")
    front = [*DOCVARS, "section", "concept", "label_en", "label_zh"]
    panel = panel[front + [c for c in rates.columns if c not in front]]
    return panel.reset_index(drop=True)


def section_shift(
    pc: ParagraphConcepts,
    *,
    n_boot: int,
    seed: int,
    level: float,
    sections: Sequence[str] = ("review", "plan"),
) -> pd.DataFrame:
    """Pooled concept rates of the review and plan sections, for all reports and per level group.

    Columns: ``group`` (all | national | province | local), ``section``, ``concept``, labels,
    ``count``, ``chars``, ``tokens``, ``n_paragraphs``, rates and intervals.
    """
    ids = pc.dictionary.concepts["concept"].tolist()
    table = pc.table[pc.table["section"].isin(sections)]
    stacked = pd.concat(
        [table.assign(group="all"), table.assign(group=level_group(table["level"]))],
        ignore_index=True,
    )
    rates = concept_rates(stacked, ids, ["group", "section"], n_boot=n_boot, seed=seed, level=level)
    labels = pc.dictionary.concepts[["concept", "label_en", "label_zh"]]
    out = rates.merge(labels, on="concept")
    front = ["group", "section", "concept", "label_en", "label_zh"]
    return out[front + [c for c in out.columns if c not in front]]


def tfidf_tables(
    report_dtm: Dtm, scopes: Sequence[str], *, n: int, min_df: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """TF-IDF top terms per report (scope ``report``) and per group of each scope docvar.

    ``report_dtm`` holds one row per report, or per report section when ``section`` is a scope
    (sections are grouped from it). Returns the table and the terms dropped for ``min_df``.
    """
    frames, dropped = [], []
    reports = group_dtm(report_dtm, "doc_id")
    for scope in ["report", *scopes]:
        dtm = reports if scope == "report" else group_dtm(report_dtm, scope)
        label = "doc_id" if scope == "report" else scope
        top = tfidf_top_terms(dtm, label, n=n, min_df=min_df)
        frames.append(top.assign(scope=scope))
        _, gone = trim(dtm, min_df=min_df)
        dropped.append(gone.terms.assign(scope=scope))
    table = pd.concat(frames, ignore_index=True)
    cols = ["scope", "group", "rank", "term", "score", "count"]
    return table[cols], pd.concat(dropped, ignore_index=True)


def group_term_counts(report_dtm: Dtm, docvars: Sequence[str], *, n: int) -> pd.DataFrame:
    """The ``n`` most frequent terms per group of each docvar (placeholders left out).

    Columns ``docvar, group, term, count``; ties broken by term.
    """
    keep = ~is_placeholder(report_dtm.vocab)
    rows = []
    for docvar in docvars:
        grouped = group_dtm(report_dtm, docvar)
        for i, name in enumerate(grouped.docvars[docvar].astype(str)):
            counts = grouped.counts[i].toarray().ravel()
            idx = np.flatnonzero(keep & (counts > 0))
            order = idx[np.lexsort((grouped.vocab[idx], -counts[idx]))][:n]
            rows += [(docvar, name, grouped.vocab[j], int(counts[j])) for j in order]
    return pd.DataFrame(rows, columns=["docvar", "group", "term", "count"])


def keyness_tables(
    dtms: dict[str, Dtm], comparisons: Sequence[Comparison], one_vs_rest_by: str
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Run every configured comparison and the one-vs-rest tables of ``one_vs_rest_by``.

    ``dtms`` maps unit name -> Dtm. Returns id -> keyness table, and the index table
    ``comparison, label, target, reference, unit, n_target_docs, n_reference_docs,
    target_total, reference_total``.
    """
    tables, index = {}, []
    for comp in comparisons:
        table = keyness(dtms[comp.unit], comp.target, comp.reference)
        tables[comp.id] = table
        index.append(
            {
                "comparison": comp.id,
                "label": comp.label,
                "target": comp.target,
                "reference": comp.reference,
                "unit": comp.unit,
                "n_target_docs": table.attrs["n_target_docs"],
                "n_reference_docs": table.attrs["n_reference_docs"],
                "target_total": int(table["target_total"].iloc[0]),
                "reference_total": int(table["reference_total"].iloc[0]),
            }
        )
    if one_vs_rest_by:
        report = dtms["report"]
        for value, table in one_vs_rest(report, one_vs_rest_by).items():
            cid = f"{one_vs_rest_by}_{value}_vs_rest"
            tables[cid] = table
            vals = report.docvars[one_vs_rest_by].astype(object)
            has = vals.notna() & (vals != "")
            index.append(
                {
                    "comparison": cid,
                    "label": f"{one_vs_rest_by} = {value} vs other reports with a {one_vs_rest_by}",
                    "target": f"{one_vs_rest_by} == '{value}'",
                    "reference": f"{one_vs_rest_by} != '{value}' (and set)",
                    "unit": "report",
                    "n_target_docs": int((vals == value).sum()),
                    "n_reference_docs": int((has & (vals != value)).sum()),
                    "target_total": int(table["target_total"].iloc[0]),
                    "reference_total": int(table["reference_total"].iloc[0]),
                }
            )
    return tables, pd.DataFrame(index)


STAGE_CODE = ("measures", "bootstrap.py", "io.py", "results.py", "stamps.py")
PANEL_LABELS = {
    "rate": "concept hits per 10,000 characters",
    "ci_low": "95% bootstrap CI, lower (per 10k chars)",
    "ci_high": "95% bootstrap CI, upper (per 10k chars)",
    "rate_tokens": "concept hits per 10,000 tokens",
    "estimate_outside_ci": "rate outside its bootstrap CI (1 = yes)",
    "estimate_outside_ci_tokens": "rate_tokens outside its bootstrap CI (1 = yes)",
    "chars": "characters excluding whitespace",
    "count": "concept hits (longest match)",
}


@dataclass(frozen=True)
class MeasuresResult:
    """Every table of the measures stage, by file name under ``tables/`` (``keyness/<id>.csv``).

    ``panel`` is the concept panel (written as CSV, Parquet and Stata); ``dropped`` the terms
    TF-IDF left out with the reason (also among ``tables`` as ``dropped_terms.csv``).
    """

    panel: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    dropped: pd.DataFrame


def stata_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel as Stata wants it: strings without missing values, ``year`` as float (missing
    year = Stata's missing value)."""
    stata = panel.copy()
    for col in stata.columns:
        if pd.api.types.is_string_dtype(stata[col]) or stata[col].dtype == object:
            stata[col] = stata[col].astype(object).fillna("").astype(str)
    stata["year"] = stata["year"].astype("float64")
    return stata


def plan_measures(config: Config, results: Results) -> dict[str, Any]:
    """The stamp a measures run would write: corpus and token tables, the concept dictionary,
    the ``[measures]`` settings with the seed, and the code."""
    upstream = [results.documents_path, results.paragraphs_path, results.tokens_path]
    return stamps.make_stamp(
        "measures",
        config=stamps.config_values(config, ["measures"], seed=True),
        code=STAGE_CODE,
        upstream=stamps.file_digests(upstream, results.root),
        inputs=stamps.file_digests([config.path(config.measures.concepts)], config.root),
        corpus_hash=results.corpus_hash(),
        seed=config.seed,
    )


def compute_measures(
    paragraphs: pd.DataFrame, tokens: pd.DataFrame, config: Config
) -> MeasuresResult:
    """Every measures table from the paragraphs (clean text) and the token table; no writes."""
    cfg = config.measures
    check_docvars(config, tokens.columns, stage="measures")
    dictionary = load_concepts(config.path(cfg.concepts))
    pc = count_paragraph_concepts(paragraphs, tokens, dictionary)
    boot = {"n_boot": cfg.n_boot, "seed": config.seed, "level": cfg.ci_level}
    panel = concept_panel(pc, **boot)
    tables: dict[str, pd.DataFrame] = {
        "concept_section_shift.csv": section_shift(pc, **boot),
        "concepts.csv": dictionary.concepts,
        "term_panel.csv": term_panel(pc),
    }
    dtms = {
        "paragraph": build_dtm(tokens, unit="paragraph"),
        "report": build_dtm(tokens, unit="report"),
    }
    section_dtm = build_dtm(tokens, unit="section")
    top, dropped = tfidf_tables(
        section_dtm, cfg.tfidf_scopes, n=cfg.tfidf_top, min_df=cfg.tfidf_min_df
    )
    tables["tfidf_top_terms.csv"] = top
    tables["dropped_terms.csv"] = dropped
    keyness, index = keyness_tables(dtms, cfg.comparisons, cfg.one_vs_rest)
    for cid, table in keyness.items():
        tables[f"keyness/{cid}.csv"] = table
    tables["keyness/index.csv"] = index
    counts = group_term_counts(dtms["report"], cfg.group_term_docvars, n=cfg.group_terms)
    tables["group_term_counts.csv"] = counts
    return MeasuresResult(panel=panel, tables=tables, dropped=dropped)


def write_measures(
    result: MeasuresResult, results: Results, *, stamp: dict[str, Any]
) -> list[Path]:
    """Write every table under ``tables/`` as one folder, ``stamp`` last; the panel also as
    Stata 118 (UTF-8 strings, variable labels, a fixed time stamp so the bytes are stable)."""
    with results.write_stage("measures", reads=["ingest", "tokens"]) as out:
        out.csv(result.panel, "concept_panel.csv")
        out.parquet(result.panel, "concept_panel.parquet")
        with io.atomic_open(out.path("concept_panel.dta"), "wb") as fh:
            stata_panel(result.panel).to_stata(
                fh,
                write_index=False,
                version=118,
                variable_labels=PANEL_LABELS,
                time_stamp=pd.Timestamp("2000-01-01").to_pydatetime(),
                data_label="policyshift concept panel",
            )
        for name, table in result.tables.items():
            out.csv(table, name)
        out.stamp = stamp
    return out.final_paths()


def build_measures(config: Config, *, results: str | Path | Results) -> list[Path]:
    """Build every measures table from ``<results>/corpus`` and ``<results>/tokens``.

    Returns the paths written; each is recorded in ``<results>/manifest.json`` (stage
    ``measures``).
    """
    results = results if isinstance(results, Results) else Results(results)
    with results.reading("ingest", "tokens"):
        stamp = plan_measures(config, results)
        result = compute_measures(results.paragraphs(), results.tokens(), config)
        return write_measures(result, results, stamp=stamp)
