"""The topics stage: fit the grid, choose K, align the stability fits, and write every table of
``<results>/topics/``; see :mod:`analysis.topics`."""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import stamps
from analysis.config import Config, TopicsConfig, check_docvars
from analysis.progress import progress
from analysis.results import Results
from analysis.skips import SKIPPED_FILE, Skip, skip_table
from analysis.tokens.lexicon import read_lexicon
from analysis.topics.coherence import coherence_many
from analysis.topics.fit import LdaFit, derive_seed, fit_many, holdout_mask, infer_doc_topic
from analysis.topics.labels import (
    LABEL_CANDIDATES,
    frex,
    relevance,
    relevance_top,
    topic_labels,
)
from analysis.topics.preprocessing import (
    TopicCorpus,
    corpus_from_config,
    place_names,
    topic_stoplist,
)
from analysis.topics.select import _RULE_TEXT, score_fits, select_k, top_terms
from analysis.topics.stability import Stability, topic_stability


@dataclass(frozen=True)
class TopicsResult:
    """Everything :func:`run_topics` writes, in memory.

    ``runs`` are the stability fits at the chosen K (``runs[stability.reference]`` is the
    published model); ``doc_topic_runs`` their aligned doc-topic proportions (D x K each, rows
    as ``corpus.units``), ready for :func:`analysis.topics.prevalence.estimate_effects`.
    """

    corpus: TopicCorpus
    heldout: np.ndarray
    selection_table: pd.DataFrame
    selection: dict[str, Any]
    runs: list[LdaFit]
    stability: Stability
    topic_term: np.ndarray
    doc_topic_runs: list[np.ndarray]
    label_zh: list[str]
    label_en: list[str]
    skips: tuple[Skip, ...] = ()


#: Fewest units (after preprocessing, held-out ones excluded) and terms a topic model needs.
MIN_UNITS = 2
MIN_TERMS = 2


class TopicsSkipped(ValueError):
    """The corpus is too small for any topic model; ``skip`` says why, ``corpus`` is the
    preprocessed corpus (its log and dropped units and terms are still written)."""

    def __init__(self, skip: Skip, corpus: TopicCorpus) -> None:
        super().__init__(skip.line())
        self.skip = skip
        self.corpus = corpus


def usable_k(k_grid: tuple[int, ...], n_units: int, n_terms: int) -> tuple[list[int], list[Skip]]:
    """The Ks of ``k_grid`` a corpus of ``n_units`` training units and ``n_terms`` terms can
    take (K <= both), and a skip for each K dropped."""
    kept, skips = [], []
    for i, k in enumerate(k_grid):
        if k <= n_units and k <= n_terms:
            kept.append(k)
            continue
        what = f"{n_units} training units" if k > n_units else f"{n_terms} terms"
        why = f"K = {k} exceeds the {what} left after preprocessing"
        skips.append(Skip("topics", f"model_selection/k={k}", why, f"[topics] k_grid[{i}] = {k}"))
    return kept, skips


def fit_key(corpus: TopicCorpus, tc: TopicsConfig, k: int, seeds: list[int], seed: int) -> str:
    """16 hex digits of SHA-256 over what decides the published model: the training input
    (vocabulary and unit x term counts) and the fit settings at ``k``. Human labels are
    applied only to the fit they were written for (``[topics] labels_fit``)."""
    h = hashlib.sha256()
    h.update("\n".join(map(str, corpus.vocab)).encode("utf-8"))
    counts = corpus.dtm.counts.tocsr()
    for part in (counts.indptr, counts.indices, counts.data):
        h.update(np.ascontiguousarray(part, dtype=np.int64).tobytes())
    names = ("engine", "alpha", "eta", "learn_alpha", "passes", "iterations", "chunksize")
    settings = {name: getattr(tc, name) for name in (*names, "gibbs_iterations", "holdout")}
    settings.update(k=k, seeds=seeds, seed=seed)
    h.update(json.dumps(settings, sort_keys=True, default=str).encode("utf-8"))
    return h.hexdigest()[:16]


def fit_topics(cfg: Config, tokens: pd.DataFrame) -> TopicsResult:
    """Fit the grid, choose K, fit and align the stability runs (nothing is written).

    Ks of the grid larger than the training units or the vocabulary are dropped (listed in
    ``skips``); :class:`TopicsSkipped` when fewer than :data:`MIN_UNITS` units or
    :data:`MIN_TERMS` terms are left, or no K of the grid fits. When no K has a finite
    ``select_metric`` the smallest K is taken, with the reason in ``skips``.
    """
    tc = cfg.topics
    corpus = corpus_from_config(tokens, tc, cfg.root)
    heldout = holdout_mask(len(corpus.units), share=tc.holdout, seed=derive_seed(cfg.seed, 1))
    n_train, n_terms = int((~heldout).sum()), len(corpus.vocab)
    if n_train < MIN_UNITS or n_terms < MIN_TERMS:
        why = (
            f"{n_train} training unit(s) and {n_terms} term(s) left after preprocessing "
            f"(unit = {tc.unit!r}, no_below = {tc.no_below}, min_tokens = {tc.min_tokens}); "
            f"a topic model needs {MIN_UNITS}+ units and {MIN_TERMS}+ terms"
        )
        raise TopicsSkipped(Skip("topics", "topics", why, "[topics] unit / no_below"), corpus)
    ks, skips = usable_k(tc.k_grid, n_train, n_terms)
    if not ks:
        why = f"every K of k_grid exceeds the {n_train} training units or {n_terms} terms"
        raise TopicsSkipped(Skip("topics", "topics", why, "[topics] k_grid"), corpus)
    train = corpus.dtm.counts[~heldout]
    grid = [(k, s) for k in ks for s in tc.seeds]
    fits = fit_many(train, grid, tc, master_seed=cfg.seed, workers=tc.workers, engine=cfg.engine)
    table = score_fits(list(fits.values()), corpus, heldout, top_n=tc.coherence_top_n)
    try:
        rule_k, summary = select_k(table, metric=tc.select_metric, rule=tc.select_rule)
    except ValueError as exc:  # no K has a finite metric (a tiny corpus): keep the fits
        rule_k = min(ks)
        summary = pd.DataFrame({"k": ks, "mean": np.nan, "se": np.nan, "n": 0, "skipped": str(exc)})
        why = f"{exc}; took the smallest K = {rule_k}"
        setting = f'[topics] select_metric = "{tc.select_metric}"'
        skips.append(Skip("topics", "selection_rule", why, setting))
    k = tc.chosen_k or rule_k
    selection = {
        "k": k,
        "rule_k": rule_k,
        "override": tc.chosen_k or None,
        "metric": tc.select_metric,
        "rule": tc.select_rule,
        "rule_text": _RULE_TEXT[tc.select_rule].format(metric=tc.select_metric),
        "per_k": summary.loc[summary["skipped"] == "", ["k", "mean", "se", "n"]].to_dict(
            orient="records"
        ),
    }
    skipped = summary.loc[summary["skipped"] != "", ["k", "skipped"]]
    if len(skipped):  # recorded only when the rule had to skip a K
        selection["skipped_k"] = skipped.rename(columns={"skipped": "reason"}).to_dict("records")
    seeds = list(tc.seeds)
    while len(seeds) < tc.n_stability_seeds:
        seeds.append(max(seeds, default=0) + 1)
    seeds = seeds[: max(tc.n_stability_seeds, 1)]
    missing = [(k, s) for s in seeds if (k, s) not in fits]
    fits.update(
        fit_many(train, missing, tc, master_seed=cfg.seed, workers=tc.workers, engine=cfg.engine)
    )
    runs = [fits[(k, s)] for s in seeds]
    stab = topic_stability([r.topic_term for r in runs], threshold=tc.stability_threshold)
    ref = runs[stab.reference]
    doc_topic_runs = [
        infer_doc_topic(corpus.dtm.counts, r.topic_term, r.alpha)[:, perm]
        for r, perm in progress(
            zip(runs, stab.perms, strict=True), desc="doc-topics", total=len(runs)
        )
    ]
    top = relevance_top(ref.topic_term, corpus, tc, LABEL_CANDIDATES)
    excluded = place_names(tc, cfg.root).keys() | topic_stoplist(tc, cfg.root).keys()
    preferred = read_lexicon(cfg.path(cfg.tokens.lexicon)).keys()
    key = fit_key(corpus, tc, k, seeds, cfg.seed)
    selection["fit_key"] = key
    human = k == tc.labels_k and tc.labels_fit in ("", key)
    if k == tc.labels_k and tc.labels and not human:
        why = (
            f"the human labels were written for the fit {tc.labels_fit}, this fit is {key} (other "
            "units, terms or fit settings): automatic labels; after reading its topics, label "
            f'them and set labels_fit = "{key}"'
        )
        skips.append(Skip("topics", "labels", why, f'[topics] labels_fit = "{tc.labels_fit}"'))
    zh, en = topic_labels(
        [corpus.vocab[row].tolist() for row in top],
        tc,
        k if human else 0,
        n_topics=k,
        excluded=excluded,
        preferred=preferred,
    )
    return TopicsResult(
        corpus=corpus,
        heldout=heldout,
        selection_table=table,
        selection=selection,
        runs=runs,
        stability=stab,
        topic_term=ref.topic_term,
        doc_topic_runs=doc_topic_runs,
        label_zh=zh,
        label_en=en,
        skips=tuple(skips),
    )


def _topic_columns(result: TopicsResult) -> pd.DataFrame:
    """``topic, label_en, label_zh, stable`` per topic, for merging into every table."""
    return pd.DataFrame(
        {
            "topic": np.arange(len(result.label_en)),
            "label_en": result.label_en,
            "label_zh": result.label_zh,
            "stable": result.stability.table["stable"].to_numpy(),
        }
    )


def _with_topic(df: pd.DataFrame, topics: pd.DataFrame) -> pd.DataFrame:
    out = df.merge(topics, on="topic", how="left", validate="many_to_one")
    return out


def topic_tables(result: TopicsResult, config: TopicsConfig) -> dict[str, pd.DataFrame]:
    """``topics``, ``topic_terms``, ``stability`` and ``doc_topics`` tables of a result.

    ``topics`` also holds ``relevance_terms`` (top terms by relevance), each topic's ``c_v``,
    ``c_npmi`` and ``u_mass`` (top ``coherence_top_n`` words); ``stability`` its
    ``top_overlap``.
    """
    corpus, phi = result.corpus, result.topic_term
    k = phi.shape[0]
    counts = corpus.dtm.term_totals()
    frex_score = frex(phi, weight=config.frex_weight)
    rel = relevance(phi, counts / counts.sum(), lam=config.relevance_lambda)
    top = top_terms(phi, config.top_n)
    frex_top = np.argsort(-frex_score, axis=1, kind="stable")[:, : config.coherence_top_n]
    rel_top = relevance_top(phi, corpus, config, config.coherence_top_n)
    lengths = corpus.units["n_tokens"].to_numpy(dtype=np.float64)
    theta = np.mean(result.doc_topic_runs, axis=0)
    prevalence = (lengths[:, None] * theta).sum(axis=0) / lengths.sum()
    meta = _topic_columns(result)
    stab = result.stability.table
    topics = meta[["topic", "label_en", "label_zh"]].assign(
        top_terms=[" ".join(corpus.vocab[top[t, : config.coherence_top_n]]) for t in range(k)],
        frex_terms=[" ".join(corpus.vocab[frex_top[t]]) for t in range(k)],
        stability=stab["stability"].to_numpy(),
        stable=stab["stable"].to_numpy(),
        prevalence=prevalence,
        relevance_terms=[" ".join(corpus.vocab[r]) for r in rel_top],
        **coherence_many(corpus.docs, [top_terms(phi, config.coherence_top_n)])[0],
    )
    rank = np.tile(np.arange(1, config.top_n + 1), k)
    t_idx = np.repeat(np.arange(k), config.top_n)
    w_idx = top.ravel()
    terms = pd.DataFrame(
        {
            "topic": t_idx,
            "rank": rank,
            "term": corpus.vocab[w_idx],
            "prob": phi[t_idx, w_idx],
            "frex": frex_score[t_idx, w_idx],
            "relevance": rel[t_idx, w_idx],
        }
    )
    doc_topic = result.doc_topic_runs[result.stability.reference]
    doc_topics = pd.concat(
        [
            corpus.units.assign(heldout=result.heldout),
            pd.DataFrame(doc_topic, columns=[f"topic_{t}" for t in range(k)]),
        ],
        axis=1,
    )
    return {
        "topics": topics,
        "topic_terms": _with_topic(terms, meta),
        "stability": _with_topic(stab, meta.drop(columns="stable")),
        "doc_topics": doc_topics,
    }


#: Most typical training units listed per topic in ``topics/typical_paragraphs.csv``.
N_TYPICAL = 3


def typical_units(
    result: TopicsResult, paragraphs: pd.DataFrame | None, *, n: int = N_TYPICAL
) -> pd.DataFrame:
    """Each topic's ``n`` most typical training units of the published model, for labelling.

    A unit's typicality for topic k is its topic-k proportion (``doc_topics.parquet`` of the
    published fit); held-out units are left out; ties go to the earlier unit (report and
    paragraph order). Columns ``topic, rank`` (1..n), the unit ids (``doc_id`` and, by unit,
    ``section``, ``paragraph``), ``year, place, proportion, n_tokens`` and ``text``: the
    paragraph's text from ``paragraphs`` (``doc_id, paragraph, text`` of the corpus; a section
    or report unit joins its paragraphs with newlines; empty when ``paragraphs`` is None).
    """
    units = result.corpus.units
    theta = result.doc_topic_runs[result.stability.reference]
    train = np.flatnonzero(~result.heldout)
    ids = [c for c in ("doc_id", "section", "paragraph") if c in units.columns]
    rows = []
    for t in range(theta.shape[1]):
        order = train[np.lexsort((train, -theta[train, t]))][:n]
        for rank, i in enumerate(order, start=1):
            rows.append({"topic": t, "rank": rank, "unit": int(i), "proportion": theta[i, t]})
    out = pd.DataFrame(rows, columns=["topic", "rank", "unit", "proportion"])
    info = units.iloc[out["unit"].to_numpy()].reset_index(drop=True)
    out = pd.concat([out, info[[*ids, "year", "place", "n_tokens"]]], axis=1)
    out["text"] = _unit_texts(info[ids], paragraphs)
    return out[["topic", "rank", *ids, "year", "place", "proportion", "n_tokens", "text"]]


def _unit_texts(keys: pd.DataFrame, paragraphs: pd.DataFrame | None) -> list[str]:
    """The text of each unit of ``keys``: its paragraphs of ``paragraphs`` in order, joined."""
    if paragraphs is None or keys.empty:
        return [""] * len(keys)
    on = [c for c in keys.columns if c != "section" or "paragraph" not in keys.columns]
    paras = paragraphs[[*dict.fromkeys(["doc_id", "paragraph", *on]), "text"]]
    paras = paras.sort_values(["doc_id", "paragraph"], kind="stable")
    texts = paras.groupby(on, sort=False)["text"].agg("\n".join)
    index = pd.MultiIndex.from_frame(keys[on]) if len(on) > 1 else pd.Index(keys[on[0]])
    return texts.reindex(index).fillna("").tolist()


def prevalence_tables(
    result: TopicsResult, config: TopicsConfig, *, seed: int
) -> tuple[dict[str, pd.DataFrame], list[Skip]]:
    """``prevalence_groups``, ``prevalence_effects``, ``prevalence_national_years`` and
    ``prevalence_years`` tables, and the analyses skipped.

    A ``group_by`` docvar the units lack or with no value (one value, except ``doc_id``) is
    skipped; an effect whose subset has no unit is skipped, a covariate with fewer than two
    values in the subset is dropped from its model (and said so), and a model that cannot be
    estimated (too few units, a rank-deficient design) is skipped with the reason. The national
    years are those of the bundled national reports; ``prevalence_years`` holds every year
    series (:func:`analysis.measures.series.series_members`) of the units, and the series with
    fewer than 3 years are skipped (``prevalence_years/...``).
    """
    from analysis.topics.prevalence import estimate_effects, group_prevalence

    units = result.corpus.units
    runs = result.doc_topic_runs
    weights = units["n_tokens"].to_numpy(dtype=np.float64)
    meta = _topic_columns(result)
    skips: list[Skip] = []
    # Resample reports as wholes when units are parts of reports (a group of one report
    # resamples its units: analysis.bootstrap.report_clusters).
    cluster = None if config.unit == "report" else "doc_id"
    groups = []
    for i, by in enumerate(_group_docvars(units, config, skips)):
        out = group_prevalence(
            runs,
            units,
            by,
            n_boot=config.n_boot,
            seed=derive_seed(seed, 3, i),
            weights=weights,
            cluster=cluster,
            unit=config.unit,
        )
        groups.append(out.assign(group=out["group"].astype(str)))
    effects = []
    for i, spec in enumerate(config.effects):
        setting = f'[topics] effects[{i}] = "{spec.spec}"'
        plan = _effect_plan(units, spec.subset, spec.covariates, setting, skips)
        if plan is None:
            continue
        idx, covariates = plan
        try:
            out = estimate_effects(
                [r[idx] for r in runs],
                units.iloc[idx].reset_index(drop=True),
                covariates,
                n_boot=config.n_boot,
                seed=derive_seed(seed, 4, i),
                cluster=cluster,
                unit=config.unit,
            )
        except ValueError as exc:
            skips.append(Skip("topics", f"prevalence_effects/{spec.spec}", str(exc), setting))
            continue
        effects.append(out.assign(model=f"{spec.subset}: {' + '.join(covariates)}"))
    boot = {
        "n_boot": config.n_boot,
        "runs": runs,
        "units": units,
        "weights": weights,
        "cluster": cluster,
        "unit": config.unit,
    }
    national = (units["collection"] == "bundled") & (units["level"] == "national")
    years = _years(national.to_numpy(dtype=bool), seed=derive_seed(seed, 5), **boot)
    if years is None:
        why = "no bundled national report among the units (collection == 'bundled' and level == 'national')"
        skips.append(Skip("topics", "prevalence_national_years", why))
    series, gone = _series_years(seed=seed, **boot)
    skips += gone
    tables = {
        "prevalence_groups": _concat(groups, meta),
        "prevalence_effects": _concat(effects, meta),
        "prevalence_years": _with_topic(series, meta),
    }
    if years is not None:
        tables["prevalence_national_years"] = _with_topic(years, meta)
    tables = {k: v for k, v in tables.items() if v is not None}
    return {k: _prevalence_rules(k, v) for k, v in tables.items()}, skips


#: The rule columns of the prevalence tables (analysis.measures.rules).
PREVALENCE_COUNTING = "topic proportions of each unit (LDA doc-topic, mean over model runs)"
PREVALENCE_DENOMINATOR = "tokens of the group's units (token-weighted mean of proportions)"
EFFECTS_DENOMINATOR = "none: unweighted OLS of unit proportions on the covariates"


def _prevalence_rules(name: str, table: pd.DataFrame) -> pd.DataFrame:
    from analysis.measures import rules

    den = EFFECTS_DENOMINATOR if name == "prevalence_effects" else PREVALENCE_DENOMINATOR
    if "ci_method" not in table.columns:  # an empty table (no series)
        table = table.assign(ci_method=pd.Series(dtype=object))
    return rules.with_rules(table, counting_rule=PREVALENCE_COUNTING, denominator=den)


def _concat(frames: list[pd.DataFrame], meta: pd.DataFrame) -> pd.DataFrame | None:
    return _with_topic(pd.concat(frames, ignore_index=True), meta) if frames else None


def _group_docvars(units: pd.DataFrame, config: TopicsConfig, skips: list[Skip]) -> list[str]:
    """The ``group_by`` docvars that apply to ``units``; a skip for each of the others."""
    from analysis.measures.applicability import distinct

    kept = []
    for i, by in enumerate(config.group_by):
        setting = f'[topics] group_by[{i}] = "{by}"'
        if by not in units.columns:
            why = f"the {config.unit} units have no {by!r}"
        else:
            values = distinct(units[by])
            why = ""
            if not values:
                why = f"no unit has a {by!r}"
            elif len(values) < 2 and by != "doc_id":
                why = f"every unit has {by} = {values[0]!r}; one group is the whole corpus"
        if why:
            skips.append(Skip("topics", f"prevalence_groups/{by}", why, setting))
        else:
            kept.append(by)
    return kept


_SUBSETS = {
    "all": lambda level: np.ones(len(level), dtype=bool),
    "national": lambda level: (level == "national").to_numpy(dtype=bool),
    "subnational": lambda level: (level != "national").to_numpy(dtype=bool),
}


def _effect_plan(
    units: pd.DataFrame,
    subset: str,
    covariates: tuple[str, ...],
    setting: str,
    skips: list[Skip],
) -> tuple[np.ndarray, list[str]] | None:
    """The unit rows and covariates of one effect, or None (with a skip) when it cannot run.

    Covariates the unit lacks (``section`` of reports) or with fewer than two set values in
    the subset are dropped, each with a skip saying so.
    """
    from analysis.measures.applicability import distinct

    spec = f"{subset}: {' + '.join(covariates)}"
    idx = np.flatnonzero(_SUBSETS[subset](units["level"]))
    if not len(idx):
        why = f"subset {subset!r} matches none of the {len(units)} units"
        skips.append(Skip("topics", f"prevalence_effects/{spec}", why, setting))
        return None
    part = units.iloc[idx]
    kept = []
    for name in covariates:
        if name not in part.columns:
            continue  # a paragraph docvar of report units: left out as before
        values = distinct(part[name])
        if len(values) >= 2:
            kept.append(name)
            continue
        shown = f"one value ({values[0]!r})" if values else "no value"
        why = f"covariate {name!r} dropped from the model: {shown} in subset {subset!r}"
        skips.append(Skip("topics", f"prevalence_effects/{spec}", why, setting))
    if not kept:
        why = f"no covariate with two or more values in subset {subset!r}"
        skips.append(Skip("topics", f"prevalence_effects/{spec}", why, setting))
        return None
    return idx, kept


def _years(
    mask: np.ndarray,
    *,
    runs: list[np.ndarray],
    units: pd.DataFrame,
    weights: np.ndarray,
    n_boot: int,
    seed: int,
    cluster: str | None,
    unit: str,
) -> pd.DataFrame | None:
    """Prevalence by year of the units of ``mask`` with a year (None when there is none); a
    year of several reports resamples them, a year of one report its units."""
    from analysis.topics.prevalence import year_prevalence

    if not (mask & units["year"].notna().to_numpy(dtype=bool)).any():
        return None
    idx = np.flatnonzero(mask)
    return year_prevalence(
        [r[idx] for r in runs],
        units.iloc[idx],
        n_boot=n_boot,
        seed=seed,
        weights=weights[idx],
        scope=None,
        cluster=cluster,
        unit=unit,
    )


def _series_years(
    *,
    runs: list[np.ndarray],
    units: pd.DataFrame,
    weights: np.ndarray,
    n_boot: int,
    seed: int,
    cluster: str | None = "doc_id",
    unit: str = "paragraph",
) -> tuple[pd.DataFrame, list[Skip]]:
    """Prevalence by year of every year series of the units (``series, kind, collection,
    level, place, doc_type`` first), seeded by series id, and the series skipped.

    The series are those of the measures stage (:func:`analysis.measures.series.series_members`
    on the units); its skips are repeated here as ``prevalence_years/...``, and a series left
    with fewer than 3 years once short units are dropped is skipped too.
    """
    from analysis.measures.series import MIN_YEARS, series_members

    members, gone = series_members(units)
    skips = [
        Skip("topics", s.analysis.replace("year_series/", "prevalence_years/", 1), s.reason)
        for s in gone
    ]
    cols = ["series", "kind", "collection", "level", "place", "doc_type"]
    frames = []
    for sid, grp in members.groupby("series", sort=False):
        mask = units["doc_id"].isin(set(grp["doc_id"])).to_numpy(dtype=bool)
        key = zlib.crc32(str(sid).encode("utf-8"))
        out = _years(
            mask,
            runs=runs,
            units=units,
            weights=weights,
            n_boot=n_boot,
            seed=derive_seed(seed, 6, key),
            cluster=cluster,
            unit=unit,
        )
        n_years = 0 if out is None else out["year"].nunique()
        if n_years < MIN_YEARS:
            why = (
                f"{n_years} distinct year(s) left among the topic units (units under "
                f"min_tokens are dropped); a series needs {MIN_YEARS}"
            )
            skips.append(Skip("topics", f"prevalence_years/{sid}", why, "[topics] min_tokens"))
            continue
        info = grp.iloc[0]
        frames.append(out.assign(**{c: info[c] for c in cols}))
    if not frames:
        return pd.DataFrame(columns=[*cols, "year", "topic"]), skips
    out = pd.concat(frames, ignore_index=True)
    return out[cols + [c for c in out.columns if c not in cols]], skips


STAGE_CODE = (
    "topics",
    "measures/dtm.py",
    "corpus/infer.py",
    "tokens/lexicon.py",
    "measures/applicability.py",
    "measures/series.py",
    "skips.py",
    "bootstrap.py",
    "io.py",
    "results.py",
    "stamps.py",
)


#: Columns of ``corpus/paragraphs.parquet`` the stage reads (texts of the typical paragraphs).
PARAGRAPH_COLUMNS = ("doc_id", "paragraph", "section", "text")


@dataclass(frozen=True)
class TopicsOutput:
    """What the topics stage writes: every file of ``topics/`` by name (tables as DataFrames,
    JSON as dicts, the LDAvis page as HTML text), and the fitted result they come from (None
    when the corpus is too small for a topic model: then only the preprocessing log, the
    dropped units and terms and ``skipped.csv`` are written)."""

    result: TopicsResult | None
    files: dict[str, Any]


def plan_topics(config: Config, results: Results) -> dict[str, Any]:
    """The stamp a topics run would write: the token table, the place lists (when used) and
    the topic stoplists, the ``[topics]`` settings with the seed, and the code; upstream, the
    token table and the corpus paragraphs (the texts of ``typical_paragraphs.csv``)."""
    tc = config.topics
    places = [config.path(tc.gazetteer), config.path(tc.places)] if tc.drop_places else []
    # the lexicon: the automatic labels prefer its policy phrases
    lexicon = config.path(config.tokens.lexicon)
    files = [*places, *(config.path(p) for p in tc.stopwords), lexicon]
    return stamps.make_stamp(
        "topics",
        config=stamps.config_values(config, ["topics"], seed=True),
        code=STAGE_CODE,
        upstream=stamps.file_digests([results.tokens_path, results.paragraphs_path], results.root),
        inputs=stamps.file_digests(files, config.root),
        corpus_hash=results.corpus_hash(),
        seed=config.seed,
    )


def compute_topics(
    tokens: pd.DataFrame, cfg: Config, *, paragraphs: pd.DataFrame | None = None
) -> TopicsOutput:
    """Fit the models (:func:`fit_topics`) and build every table and page; nothing is written.

    ``paragraphs`` (the corpus's ``doc_id, paragraph, text``) gives the texts of
    ``typical_paragraphs.csv`` (empty without it)."""
    from analysis.topics.ldavis import ldavis_page

    check_docvars(cfg, tokens.columns, stage="topics")
    try:
        result = fit_topics(cfg, tokens)
    except TopicsSkipped as skipped:
        return TopicsOutput(result=None, files=_preprocessing_files(skipped.corpus, [skipped.skip]))
    tc = cfg.topics
    files: dict[str, Any] = {}
    selection = {**result.selection, "preprocessing": result.corpus.log.to_dict("records")}
    selection["n_units"] = len(result.corpus.units)
    selection["n_heldout"] = int(result.heldout.sum())
    selection["stability_seeds"] = [r.seed for r in result.runs]
    selection["reference_seed"] = result.runs[result.stability.reference].seed
    # wall times go to their own file so that every other output is byte-identical across runs
    table = result.selection_table
    files["model_selection.csv"] = table.drop(columns="fit_seconds")
    files["timings.csv"] = table[["k", "seed", "fit_seconds"]]
    files["selection.json"] = _jsonable(selection)
    files["preprocessing.csv"] = result.corpus.log
    files["dropped_units.csv"] = result.corpus.dropped.units
    files["dropped_terms.csv"] = result.corpus.dropped.terms
    tables = topic_tables(result, tc)
    for name in ("topics", "topic_terms", "stability"):
        files[f"{name}.csv"] = tables[name]
    files["doc_topics.parquet"] = tables["doc_topics"]
    typical = typical_units(result, paragraphs)
    files["typical_paragraphs.csv"] = _with_topic(typical, _topic_columns(result))
    prevalence, skips = prevalence_tables(result, tc, seed=cfg.seed)
    for name, df in prevalence.items():
        files[f"{name}.csv"] = df
    files[SKIPPED_FILE] = skip_table([*result.skips, *skips])
    stable = result.stability.table["stable"].to_numpy()
    labels = [
        f"{zh} | {en}" + ("" if ok else " (unstable)")
        for zh, en, ok in zip(result.label_zh, result.label_en, stable, strict=True)
    ]
    files["ldavis.html"] = ldavis_page(
        topic_term=result.topic_term,
        doc_topic=result.doc_topic_runs[result.stability.reference],
        doc_lengths=result.corpus.units["n_tokens"].to_numpy(),
        vocab=result.corpus.vocab.tolist(),
        term_frequency=result.corpus.dtm.term_totals(),
        labels=labels,
    )
    return TopicsOutput(result=result, files=files)


def _preprocessing_files(corpus: TopicCorpus, skips: list[Skip]) -> dict[str, Any]:
    """The files of a topics stage that fitted no model."""
    return {
        "preprocessing.csv": corpus.log,
        "dropped_units.csv": corpus.dropped.units,
        "dropped_terms.csv": corpus.dropped.terms,
        SKIPPED_FILE: skip_table(skips),
    }


def write_topics(output: TopicsOutput, results: Results, *, stamp: dict[str, Any]) -> list[Path]:
    """Write every file of ``topics/`` as one folder, ``stamp`` last."""
    with results.write_stage("topics", reads=["ingest", "tokens"]) as out:
        for name, obj in output.files.items():
            out.write(obj, name)
        out.stamp = stamp
    return out.final_paths()


def run_topics(cfg: Config, *, results: str | Path | Results) -> list[Path]:
    """Build every table of ``<results>/topics/`` from ``<results>/tokens/tokens.parquet``.

    Returns the paths written (all recorded in the results manifest).
    """
    results = results if isinstance(results, Results) else Results(results)
    with results.reading("ingest", "tokens"):
        stamp = plan_topics(cfg, results)
        paragraphs = results.paragraphs(columns=PARAGRAPH_COLUMNS)
        output = compute_topics(results.tokens(), cfg, paragraphs=paragraphs)
        return write_topics(output, results, stamp=stamp)


def _jsonable(obj: Any) -> Any:
    """Plain Python values (numpy scalars converted) for JSON."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
