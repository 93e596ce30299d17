"""The measures stage: every table of counts, TF-IDF, keyness and concept rates.

:func:`build_measures` reads the corpus and token tables and writes, under ``<results>/tables/``:

- ``concept_panel.{csv,parquet,dta}``: report x section (and ``all``) x concept: count, characters,
  tokens, rate per 10,000 characters and tokens, with paragraph-bootstrap intervals (raw
  percentile or BCa) and whether the rate lies outside each (``estimate_outside_ci[_tokens]``);
- ``concept_section_shift.csv``: review vs plan rates per concept, pooled by level group, with
  report-cluster bootstrap intervals;
- ``concept_section_diff.csv``: plan minus review per concept and level group, over the reports
  with both sections, with a paired report-cluster bootstrap interval of the difference;
- ``concepts.csv``: the concept labels and term counts;
- ``term_panel.csv``: every dictionary term's count per report (longest match; zeros left out);
- ``tfidf_top_terms.csv``: distinctive terms per report and per group of each scope docvar, with
  how each spreads over the group's reports (``robust``);
- ``keyness/<id>.csv`` for each configured comparison, ``keyness/<docvar>_<value>_vs_rest.csv``,
  and ``keyness/index.csv``: pooled G2/chi2 and the dispersion over each side's reports with the
  report-level test and ``robust`` (:data:`analysis.measures.keyness.COLUMN_DOCS`);
- ``group_term_counts.csv``: the most frequent terms per region and level (word clouds);
- ``dropped_terms.csv``: the terms TF-IDF left out and why;
- ``table_rules.csv``: each rate, score or interval table's counting rule, denominator and
  interval method.

Every table with a rate, score or interval states its ``counting_rule``, ``denominator`` and
``ci_method`` in ``table_rules.csv`` (one row per table); the tables of concept rates and
intervals also end with those three columns (:mod:`analysis.measures.rules`).
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
from analysis.bootstrap import Interval
from analysis.config import Comparison, Config, check_docvars
from analysis.corpus.metadata import DOCVARS
from analysis.measures import rules
from analysis.measures.applicability import (
    STAGE,
    comparison_masks,
    comparison_setting,
    docvar_scopes,
    one_vs_rest_docvars,
    plan_comparisons,
    present,
    quote,
    safe_part,
)
from analysis.measures.concepts import (
    PER,
    ConceptDictionary,
    ConceptMatcher,
    concept_matrix,
    concept_rates,
    count_chars,
    load_concepts,
    paired_difference,
)
from analysis.measures.dtm import Dtm, build_dtm, group_dtm, is_placeholder, trim
from analysis.measures.keyness import keyness_masks, one_vs_rest
from analysis.measures.series import series_members, year_series
from analysis.measures.tfidf import SPREAD_COLUMNS, group_spread, tfidf_top_terms
from analysis.progress import progress
from analysis.results import Results
from analysis.skips import SKIPPED_FILE, Skip, skip_table

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


def by_collection(table: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """``(collection, rows)`` for each collection of ``table``, sorted by name; the tables
    that pool documents are computed per collection so that collections never mix."""
    return [(str(name), grp) for name, grp in table.groupby("collection", sort=True)]


def concept_panel(
    pc: ParagraphConcepts,
    *,
    n_boot: int,
    seed: int,
    level: float,
    interval: Interval = "percentile",
) -> pd.DataFrame:
    """Report x section x concept rates, plus section ``all`` for the whole report.

    Columns: the docvars, ``section``, ``concept``, ``label_en``, ``label_zh``, ``count``,
    ``chars``, ``tokens``, ``n_paragraphs``, ``rate``, ``ci_low``, ``ci_high``, ``rate_tokens``,
    ``ci_low_tokens``, ``ci_high_tokens``, ``estimate_outside_ci``,
    ``estimate_outside_ci_tokens``, ``n_reports`` (1), ``counting_rule``, ``denominator``,
    ``ci_method`` (a paragraph bootstrap: one report); sorted by level, place, year, doc_id,
    section, concept file order.
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
        interval=interval,
    )
    docvars = table.drop_duplicates("doc_id")[list(DOCVARS)]
    labels = pc.dictionary.concepts[["concept", "label_en", "label_zh"]]
    panel = rates.merge(docvars, on="doc_id").merge(labels, on="concept")
    order = {c: i for i, c in enumerate(ids)}
    panel["_c"] = panel["concept"].map(order)
    panel = panel.sort_values(["level", "place", "year", "doc_id", "section", "_c"], kind="stable")
    front = [*DOCVARS, "section", "concept", "label_en", "label_zh"]
    panel = panel[front + [c for c in rates.columns if c not in front]]
    return _concept_rules(panel.reset_index(drop=True))


def _concept_rules(table: pd.DataFrame) -> pd.DataFrame:
    return rules.with_rules(
        table, counting_rule=rules.CONCEPT_COUNT, denominator=rules.CHARS_AND_TOKENS
    )


def section_shift(
    pc: ParagraphConcepts,
    *,
    n_boot: int,
    seed: int,
    level: float,
    interval: Interval = "percentile",
    sections: Sequence[str] = ("review", "plan"),
) -> tuple[pd.DataFrame, pd.DataFrame, list[Skip]]:
    """Pooled concept rates of the review and plan sections, per collection: for all its
    reports and per level group (a collection without both sections is skipped); and the
    paired difference plan minus review.

    Returns the shift table (``collection``, ``group`` (all | national | province | local),
    ``section``, ``concept``, labels, ``count``, ``chars``, ``tokens``, ``n_paragraphs``, rates
    and intervals, ``n_reports``, rule columns; the reports of a group are resampled), the
    difference table (``collection``, ``group``, ``concept``, labels, then
    :data:`analysis.measures.concepts.DIFF_COLUMNS` and the rule columns; only reports with
    both sections, resampled as pairs) and the skips. Bootstrap seeds are keyed by group and
    section (``group|plan-review`` for the difference), as before collections existed.
    """
    ids = pc.dictionary.concepts["concept"].tolist()
    labels = pc.dictionary.concepts[["concept", "label_en", "label_zh"]]
    frames, diffs, skips = [], [], []
    for name, part in by_collection(pc.table):
        found = set(part["section"])
        if not set(sections) <= found:
            lacking = " and ".join(s for s in sections if s not in found)
            why = f"collection {name!r} has no {lacking} section (no review vs plan shift)"
            skips.append(Skip(STAGE, f"concept_section_shift/{name}", why))
            continue
        table = part[part["section"].isin(sections)]
        stacked = pd.concat(
            [table.assign(group="all"), table.assign(group=level_group(table["level"]))],
            ignore_index=True,
        )
        by = ["group", "section"]
        boot = {"n_boot": n_boot, "seed": seed, "level": level, "interval": interval}
        rates = concept_rates(stacked, ids, by, **boot)
        frames.append(rates.merge(labels, on="concept").assign(collection=name))
        diff = paired_difference(
            stacked, ids, ["group"], first=sections[0], second=sections[1], **boot
        )
        diffs.append(diff.merge(labels, on="concept").assign(collection=name))
    front = ["collection", "group", "section", "concept", "label_en", "label_zh"]
    diff_front = ["collection", "group", "concept", "label_en", "label_zh"]
    if not frames:
        return pd.DataFrame(columns=front), pd.DataFrame(columns=diff_front), skips
    out = pd.concat(frames, ignore_index=True)
    diff = pd.concat(diffs, ignore_index=True)
    # the level groups in the order of the shift table (all, then sorted)
    diff = diff[diff_front + [c for c in diff.columns if c not in diff_front]]
    shift = _concept_rules(out[front + [c for c in out.columns if c not in front]])
    diff = rules.with_rules(diff, counting_rule=rules.CONCEPT_COUNT, denominator=rules.CHARS)
    return shift, diff, skips


def tfidf_tables(
    report_dtm: Dtm,
    scopes: Sequence[str],
    *,
    n: int,
    min_df: int,
    max_top_share: float = 0.5,
) -> tuple[pd.DataFrame, pd.DataFrame, list[Skip]]:
    """TF-IDF top terms per report (scope ``report``) and per group of each scope docvar,
    within each collection (a scope with fewer than 2 values in a collection is skipped).

    ``report_dtm`` holds one row per report, or per report section when ``section`` is a scope
    (sections are grouped from it). Returns the table (``collection, scope, group, rank, term,
    score, count`` and how the term spreads over the group's reports, ``group_reports,
    reports, top_share, robust``: :func:`analysis.measures.tfidf.group_spread`), the terms
    dropped for ``min_df`` and the skips.
    """
    frames, dropped, skips = [], [], []
    for name, rows in by_collection(report_dtm.docvars):
        part = report_dtm.subset(report_dtm.docvars.index.isin(rows.index))
        kept, gone_scopes = docvar_scopes(
            part.docvars,
            scopes,
            analysis="tfidf",
            key="tfidf_scopes",
            collection=name,
            min_values=2,
        )
        skips += gone_scopes
        reports = group_dtm(part, "doc_id")
        for scope in ["report", *kept]:
            dtm = reports if scope == "report" else group_dtm(part, scope)
            label = "doc_id" if scope == "report" else scope
            kept_terms, gone = trim(dtm, min_df=min_df, drop_placeholders=True)
            if kept_terms.shape[1] == 0:
                why = (
                    f"collection {name!r}: no term occurs in tfidf_min_df = {min_df} of its "
                    f"{dtm.shape[0]} {label} group(s)"
                )
                setting = f"[measures] tfidf_min_df = {min_df}"
                skips.append(Skip(STAGE, f"tfidf/{name}/{scope}", why, setting))
                continue
            top = tfidf_top_terms(dtm, label, n=n, min_df=min_df)
            by_report = reports if scope == "report" else group_dtm(part, [scope, "doc_id"])
            top = group_spread(top, by_report, label, max_top_share=max_top_share)
            frames.append(top.assign(scope=scope, collection=name))
            _, gone = trim(dtm, min_df=min_df)
            dropped.append(gone.terms.assign(scope=scope, collection=name))
    cols = ["collection", "scope", "group", "rank", "term", "score", "count", *SPREAD_COLUMNS]
    table = pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
    gone_cols = ["collection", "term", "count", "df", "reason", "scope"]
    gone = pd.concat(dropped)[gone_cols] if dropped else pd.DataFrame(columns=gone_cols)
    return table, gone, skips


def group_term_counts(
    report_dtm: Dtm, docvars: Sequence[str], *, n: int
) -> tuple[pd.DataFrame, list[Skip]]:
    """The ``n`` most frequent terms per group of each docvar (placeholders left out), within
    each collection; a docvar no report of a collection has is skipped.

    Columns ``collection, docvar, group, term, count``; ties broken by term.
    """
    keep = ~is_placeholder(report_dtm.vocab)
    rows, skips = [], []
    for name, members in by_collection(report_dtm.docvars):
        part = report_dtm.subset(report_dtm.docvars.index.isin(members.index))
        kept, gone = docvar_scopes(
            part.docvars,
            docvars,
            analysis="group_term_counts",
            key="group_term_docvars",
            collection=name,
            min_values=1,
        )
        skips += gone
        for docvar in kept:
            grouped = group_dtm(part, docvar)
            for i, group in enumerate(grouped.docvars[docvar].astype(str)):
                counts = grouped.counts[i].toarray().ravel()
                idx = np.flatnonzero(keep & (counts > 0))
                order = idx[np.lexsort((grouped.vocab[idx], -counts[idx]))][:n]
                rows += [(name, docvar, group, grouped.vocab[j], int(counts[j])) for j in order]
    cols = ["collection", "docvar", "group", "term", "count"]
    return pd.DataFrame(rows, columns=cols), skips


INDEX_COLUMNS = [
    "comparison",
    "label",
    "target",
    "reference",
    "unit",
    "n_target_docs",
    "n_reference_docs",
    "target_total",
    "reference_total",
    "origin",
    "file",
    "n_target_reports",
    "n_reference_reports",
    "keyness_q",
    "keyness_max_top_share",
]


def _index_row(table: pd.DataFrame, n_target: int, n_reference: int, **info: str) -> dict:
    return {
        **info,
        "n_target_docs": n_target,
        "n_reference_docs": n_reference,
        "target_total": int(table["target_total"].iloc[0]),
        "reference_total": int(table["reference_total"].iloc[0]),
        "n_target_reports": int(table.attrs["n_target_reports"]),
        "n_reference_reports": int(table.attrs["n_reference_reports"]),
    }


def keyness_tables(
    dtms: dict[str, Dtm],
    comparisons: Sequence[Comparison],
    one_vs_rest_by: str,
    *,
    derived: bool = False,
    q_level: float = 0.05,
    max_top_share: float = 0.5,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, list[Skip]]:
    """Run every comparison that applies: the configured ones and the one-vs-rest tables of
    ``one_vs_rest_by``, then, with ``derived``, those derived from the docvars
    (:mod:`analysis.measures.applicability`).

    ``dtms`` maps unit name -> Dtm. Returns id -> keyness table, the index table
    (:data:`INDEX_COLUMNS`: only comparisons that ran, ``origin`` = ``config`` or ``derived``)
    and the skips (a configured one with its ``[[measures.comparisons]] id = ...`` setting).
    ``q_level`` and ``max_top_share`` set each table's ``robust`` column
    (:func:`analysis.measures.keyness.add_dispersion`) and are repeated in the index
    (``keyness_q``, ``keyness_max_top_share``) with the reports on each side
    (``n_target_reports``, ``n_reference_reports``: ``doc_id`` values, so for paragraphs the
    reports with a paragraph on that side).
    """
    rule = {"q_level": q_level, "max_top_share": max_top_share}
    stated = {"keyness_q": q_level, "keyness_max_top_share": max_top_share}
    tables: dict[str, pd.DataFrame] = {}
    index: list[dict] = []
    skips: list[Skip] = []
    seen: dict[tuple[str, bytes, bytes], str] = {}

    def add(cid: str, table: pd.DataFrame, row: dict, setting: str = "") -> None:
        """Keep a table under a new id; an id taken (a derived one-vs-rest id equal to a
        configured id) is a skip naming the comparison that holds it, never an overwrite."""
        if cid in tables:
            holder = next(r["label"] for r in index if r["comparison"] == cid)
            why = f"its id is already that of the comparison {holder!r}"
            skips.append(Skip(STAGE, f"keyness/{cid}", why, setting))
            return
        tables[cid] = table
        index.append({**row, **stated, "comparison": cid, "file": f"keyness/{cid}.csv"})

    planned = plan_comparisons(comparisons, dtms, derived=derived)
    by_docvar, gone = one_vs_rest_docvars(dtms["report"].docvars, one_vs_rest_by, derived=derived)
    skips += gone
    for origin in ("config", "derived"):
        for plan in (p for p in planned if p.origin == origin):
            comp = plan.comparison
            setting = comparison_setting(comp.id) if origin == "config" else ""
            masks = comparison_masks(dtms[comp.unit], comp)
            if isinstance(masks, str):
                skips.append(Skip(STAGE, f"keyness/{comp.id}", masks, setting))
                continue
            t, r = masks
            key = (comp.unit, np.packbits(t).tobytes(), np.packbits(r).tobytes())
            if origin == "derived" and key in seen:
                why = f"the same documents on both sides as comparison {seen[key]!r}"
                skips.append(Skip(STAGE, f"keyness/{comp.id}", why))
                continue
            seen.setdefault(key, comp.id)
            table = keyness_masks(dtms[comp.unit], t, r, **rule)
            info = {"label": comp.label, "target": comp.target, "reference": comp.reference}
            row = _index_row(table, int(t.sum()), int(r.sum()), **info)
            add(comp.id, table, {**row, "unit": comp.unit, "origin": origin}, setting)
        for by in (name for name, o in by_docvar if o == origin):
            for cid, table, row in _one_vs_rest(dtms["report"], by, **rule):
                add(cid, table, {**row, "unit": "report", "origin": origin})
    return tables, pd.DataFrame(index, columns=INDEX_COLUMNS), skips


def _one_vs_rest(
    report: Dtm, by: str, *, q_level: float, max_top_share: float
) -> list[tuple[str, pd.DataFrame, dict]]:
    """``(id, table, index row)`` of each value of ``by`` against the other reports with a
    value; the id is ``<by>_<value>_vs_rest`` with the value sanitized (:func:`safe_part`), the
    value itself is in the row's ``label`` and ``target`` (a condition that selects it)."""
    out = []
    vals = report.docvars[by].astype(object).astype(str)
    n_set = int(present(report.docvars[by]).sum())
    tables = one_vs_rest(report, by, q_level=q_level, max_top_share=max_top_share)
    for value, table in tables.items():
        n_target = int((vals == value).sum())
        info = {
            "label": f"{by} = {value} vs other reports with a {by}",
            "target": f"{by} == {quote(value)}",
            "reference": f"{by} != {quote(value)} (and set)",
        }
        row = _index_row(table, n_target, n_set - n_target, **info)
        out.append((f"{by}_{safe_part(value)}_vs_rest", table, row))
    return out


#: The rule columns of the TF-IDF and keyness tables (appended last, nothing else changed).
TFIDF_DENOMINATOR = (
    "none: score = (1 + log tf) x smoothed idf over the scope's groups, L2-normalised per group"
)
KEYNESS_DENOMINATOR = (
    "all tokens of each side (target_total, reference_total); per-report rates: the report's "
    "tokens, per 10,000"
)
KEYNESS_METHOD = (
    "no interval (G2 test: p, and q = Benjamini-Hochberg over the table's terms; Mann-Whitney "
    "rank-sum on per-report rates: p_reports, q_reports; G2 without the top report: "
    "q_without_top)"
)

STAGE_CODE = (
    "measures",
    "bootstrap.py",
    "conditions.py",
    "io.py",
    "results.py",
    "skips.py",
    "stamps.py",
)
PANEL_LABELS = {
    "rate": "concept hits per 10,000 characters",
    "ci_low": "95% bootstrap CI, lower (per 10k chars)",
    "ci_high": "95% bootstrap CI, upper (per 10k chars)",
    "rate_tokens": "concept hits per 10,000 tokens",
    "estimate_outside_ci": "rate outside its bootstrap CI (1 = yes)",
    "estimate_outside_ci_tokens": "rate_tokens outside its bootstrap CI (1 = yes)",
    "n_reports": "reports pooled in the rate (1: one report)",
    "counting_rule": "what is counted (longest-match dictionary count)",
    "denominator": "what the count is divided by",
    "ci_method": "interval: resampling unit and method",
    "chars": "characters excluding whitespace",
    "count": "concept hits (longest match)",
}


@dataclass(frozen=True)
class MeasuresResult:
    """Every table of the measures stage, by file name under ``tables/`` (``keyness/<id>.csv``).

    ``panel`` is the concept panel (written as CSV, Parquet and Stata); ``dropped`` the terms
    TF-IDF left out with the reason (also among ``tables`` as ``dropped_terms.csv``);
    ``skips`` the analyses that did not apply (written as ``skipped.csv``).
    """

    panel: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    dropped: pd.DataFrame
    skips: tuple[Skip, ...] = ()


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
    """Every measures table from the paragraphs (clean text) and the token table; no writes.

    Each analysis is checked against the docvars of this corpus first; what does not apply is
    left out and listed in ``result.skips`` (``tables/skipped.csv``).
    """
    cfg = config.measures
    check_docvars(config, tokens.columns, stage="measures")
    dictionary = load_concepts(config.path(cfg.concepts))
    pc = count_paragraph_concepts(paragraphs, tokens, dictionary)
    boot = {
        "n_boot": cfg.n_boot,
        "seed": config.seed,
        "level": cfg.ci_level,
        "interval": cfg.ci_interval,
    }
    panel = concept_panel(pc, **boot)
    shift, diff, skips = section_shift(pc, **boot)
    members, series_skips = series_members(pc.table.drop_duplicates("doc_id"))
    skips += series_skips
    tables: dict[str, pd.DataFrame] = {
        "concept_section_shift.csv": shift,
        "concept_section_diff.csv": diff,
        "concepts.csv": dictionary.concepts,
        "term_panel.csv": term_panel(pc),
        "year_series.csv": rules.with_rules(
            year_series(pc.table, members, dictionary.concepts, **boot),
            counting_rule=rules.CONCEPT_COUNT,
            denominator=rules.CHARS,
        ),
    }
    # the rules of every table, those of the per-term tables only here (rules.RULES_FILE)
    stated = {
        name: rules.stated_rules(tables[name])
        for name in ("concept_section_shift.csv", "concept_section_diff.csv", "year_series.csv")
    }
    stated["concept_panel.csv"] = rules.stated_rules(panel)
    stated["term_panel.csv"] = (rules.TERM_COUNT, rules.CHARS, rules.NO_INTERVAL)
    dtms = {
        "paragraph": build_dtm(tokens, unit="paragraph"),
        "report": build_dtm(tokens, unit="report"),
    }
    section_dtm = build_dtm(tokens, unit="section")
    top, dropped, gone = tfidf_tables(
        section_dtm,
        cfg.tfidf_scopes,
        n=cfg.tfidf_top,
        min_df=cfg.tfidf_min_df,
        max_top_share=cfg.keyness_max_top_share,
    )
    skips += gone
    tables["tfidf_top_terms.csv"] = top
    stated["tfidf_top_terms.csv"] = (rules.TOKEN_COUNT, TFIDF_DENOMINATOR, rules.NO_INTERVAL)
    tables["dropped_terms.csv"] = dropped
    keyness, index, gone = keyness_tables(
        dtms,
        cfg.comparisons,
        cfg.one_vs_rest,
        derived=cfg.derived,
        q_level=cfg.keyness_q,
        max_top_share=cfg.keyness_max_top_share,
    )
    skips += gone
    for cid, table in keyness.items():
        tables[f"keyness/{cid}.csv"] = table
        stated[f"keyness/{cid}.csv"] = (rules.TOKEN_COUNT, KEYNESS_DENOMINATOR, KEYNESS_METHOD)
    tables["keyness/index.csv"] = index
    tables[rules.RULES_FILE] = rules.rules_table(stated)
    counts, gone = group_term_counts(dtms["report"], cfg.group_term_docvars, n=cfg.group_terms)
    skips += gone
    tables["group_term_counts.csv"] = counts
    return MeasuresResult(panel=panel, tables=tables, dropped=dropped, skips=tuple(skips))


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
        out.csv(skip_table(result.skips), SKIPPED_FILE)
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
