"""The topics stage: fit the grid, choose K, align the stability fits, and write every table of
``<results>/topics/``; see :mod:`analysis.topics`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import stamps
from analysis.config import Config, TopicsConfig, check_docvars
from analysis.progress import progress
from analysis.results import Results
from analysis.topics.coherence import coherence_many
from analysis.topics.fit import LdaFit, derive_seed, fit_many, holdout_mask, infer_doc_topic
from analysis.topics.labels import frex, relevance, relevance_top, topic_labels
from analysis.topics.preprocessing import TopicCorpus, corpus_from_config
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


def fit_topics(cfg: Config, tokens: pd.DataFrame) -> TopicsResult:
    """Fit the grid, choose K, fit and align the stability runs (nothing is written)."""
    tc = cfg.topics
    corpus = corpus_from_config(tokens, tc, cfg.root)
    if corpus.dtm.shape[0] == 0:
        raise ValueError("no unit left after preprocessing; loosen no_below/min_tokens")
    heldout = holdout_mask(len(corpus.units), share=tc.holdout, seed=derive_seed(cfg.seed, 1))
    train = corpus.dtm.counts[~heldout]
    grid = [(k, s) for k in tc.k_grid for s in tc.seeds]
    fits = fit_many(train, grid, tc, master_seed=cfg.seed, workers=tc.workers)
    table = score_fits(list(fits.values()), corpus, heldout, top_n=tc.coherence_top_n)
    rule_k, summary = select_k(table, metric=tc.select_metric, rule=tc.select_rule)
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
    fits.update(fit_many(train, missing, tc, master_seed=cfg.seed, workers=tc.workers))
    runs = [fits[(k, s)] for s in seeds]
    stab = topic_stability([r.topic_term for r in runs], threshold=tc.stability_threshold)
    ref = runs[stab.reference]
    doc_topic_runs = [
        infer_doc_topic(corpus.dtm.counts, r.topic_term, r.alpha)[:, perm]
        for r, perm in progress(
            zip(runs, stab.perms, strict=True), desc="doc-topics", total=len(runs)
        )
    ]
    top = [corpus.vocab[row].tolist() for row in relevance_top(ref.topic_term, corpus, tc, 3)]
    zh, en = topic_labels(top, tc, k)
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


def prevalence_tables(
    result: TopicsResult, config: TopicsConfig, *, seed: int
) -> dict[str, pd.DataFrame]:
    """``prevalence_groups``, ``prevalence_effects`` and ``prevalence_national_years`` tables.

    Docvars or covariates that the unit lacks (``section`` for reports) are skipped.
    """
    from analysis.topics.prevalence import estimate_effects, group_prevalence, year_prevalence

    units = result.corpus.units
    runs = result.doc_topic_runs
    weights = units["n_tokens"].to_numpy(dtype=np.float64)
    meta = _topic_columns(result)
    # Resample reports as wholes when units are parts of reports.
    cluster = None if config.unit == "report" else "doc_id"
    groups = []
    for i, by in enumerate(b for b in config.group_by if b in units.columns):
        out = group_prevalence(
            runs,
            units,
            by,
            n_boot=config.n_boot,
            seed=derive_seed(seed, 3, i),
            weights=weights,
            cluster=None if by == "doc_id" else cluster,
        )
        groups.append(out.assign(group=out["group"].astype(str)))
    effects = []
    for i, spec in enumerate(config.effects):
        subset, covariates = spec.subset, list(spec.covariates)
        covariates = [c for c in covariates if c in units.columns]
        mask = {
            "all": np.ones(len(units), dtype=bool),
            "national": (units["level"] == "national").to_numpy(dtype=bool),
            "subnational": (units["level"] != "national").to_numpy(dtype=bool),
        }[subset]
        idx = np.flatnonzero(mask)
        out = estimate_effects(
            [r[idx] for r in runs],
            units.iloc[idx].reset_index(drop=True),
            covariates,
            n_boot=config.n_boot,
            seed=derive_seed(seed, 4, i),
            cluster=cluster,
        )
        effects.append(out.assign(model=f"{subset}: {' + '.join(covariates)}"))
    years = year_prevalence(
        runs, units, n_boot=config.n_boot, seed=derive_seed(seed, 5), weights=weights
    )
    return {
        "prevalence_groups": _with_topic(pd.concat(groups, ignore_index=True), meta),
        "prevalence_effects": _with_topic(pd.concat(effects, ignore_index=True), meta),
        "prevalence_national_years": _with_topic(years, meta),
    }


STAGE_CODE = ("topics", "measures/dtm.py", "bootstrap.py", "io.py", "results.py", "stamps.py")


@dataclass(frozen=True)
class TopicsOutput:
    """What the topics stage writes: every file of ``topics/`` by name (tables as DataFrames,
    JSON as dicts, the LDAvis page as HTML text), and the fitted result they come from."""

    result: TopicsResult
    files: dict[str, Any]


def plan_topics(config: Config, results: Results) -> dict[str, Any]:
    """The stamp a topics run would write: the token table, the place stoplist (when used),
    the ``[topics]`` settings with the seed, and the code."""
    tc = config.topics
    files = [config.path(tc.places)] if tc.drop_places else []
    return stamps.make_stamp(
        "topics",
        config=stamps.config_values(config, ["topics"], seed=True),
        code=STAGE_CODE,
        upstream=stamps.file_digests([results.tokens_path], results.root),
        inputs=stamps.file_digests(files, config.root),
        corpus_hash=results.corpus_hash(),
        seed=config.seed,
    )


def compute_topics(tokens: pd.DataFrame, cfg: Config) -> TopicsOutput:
    """Fit the models (:func:`fit_topics`) and build every table and page; nothing is written."""
    from analysis.topics.ldavis import ldavis_page

    check_docvars(cfg, tokens.columns, stage="topics")
    result = fit_topics(cfg, tokens)
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
    for name, df in prevalence_tables(result, tc, seed=cfg.seed).items():
        files[f"{name}.csv"] = df
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


def write_topics(output: TopicsOutput, results: Results, *, stamp: dict[str, Any]) -> list[Path]:
    """Write every file of ``topics/`` as one folder, ``stamp`` last."""
    with results.write_stage("topics", reads=["tokens"]) as out:
        for name, obj in output.files.items():
            out.write(obj, name)
        out.stamp = stamp
    return out.final_paths()


def run_topics(cfg: Config, *, results: str | Path | Results) -> list[Path]:
    """Build every table of ``<results>/topics/`` from ``<results>/tokens/tokens.parquet``.

    Returns the paths written (all recorded in the results manifest).
    """
    results = results if isinstance(results, Results) else Results(results)
    with results.reading("tokens"):
        stamp = plan_topics(cfg, results)
        output = compute_topics(results.tokens(), cfg)
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
