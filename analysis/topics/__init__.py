"""Topic models of the reports: LDA over a K grid x seeds, the choice of K, stability, labels.

:func:`run_topics` (``policyshift topics``) builds every table of ``<results>/topics/`` from the
token cache; :func:`fit_topics` does the same work and returns it without writing.

Preprocessing (:func:`build_corpus`, logged step by step in ``topics/preprocessing.csv``)
    Units are paragraphs (default), report sections or whole reports (``unit``), with their
    docvars, counted into a :class:`~analysis.measures.dtm.Dtm` and trimmed by the package's one
    filter, :func:`~analysis.measures.dtm.trim`. Dropped, in order: the number placeholders
    ``<num> <pct> <year>`` (``drop_placeholders``); place names (``drop_places``, default on:
    every name of ``data/gazetteer.csv`` -- each place, its short name, its other names and its
    parents, all levels, read by :func:`analysis.corpus.infer.load_gazetteer` -- and of
    ``stopwords/places.txt``); the topic stoplists (``stopwords``, default
    ``stopwords/topic_discourse.txt``: hedges, courtesy formulas, vague quantifiers, evaluation
    words, framing verbs, slot nouns, time framing, each group with its reason); terms in fewer
    than ``no_below`` units or in more than a share ``no_above`` of them; units left with fewer
    than ``min_tokens`` tokens; terms no longer found in any kept unit. Places and stoplisted
    words leave the topic input only: the token cache and every other stage keep them. The
    vocabulary is sorted by term. Every dropped unit (its ids, docvars and kept tokens) and term
    (its count, document frequency, reason and, for a listed term, ``source``: its gazetteer row,
    list file or stoplist group) is listed in ``topics/dropped_units.csv`` and
    ``topics/dropped_terms.csv``.

Fitting (:func:`fit_lda`)
    tomotopy ``LDAModel`` (default; collapsed Gibbs sampling, Griffiths & Steyvers 2004; one
    thread, ``gibbs_iterations`` sweeps) or gensim ``LdaModel`` (online variational Bayes,
    Hoffman et al. 2010; single process, float64; ``passes`` passes and ``chunksize`` units per
    update, default a tenth of the training units, at most 2000), both with symmetric priors
    ``alpha`` and ``eta`` (default 1/K); ``learn_alpha`` re-estimates an asymmetric alpha. The
    defaults were chosen by ``benchmarks/bench_topic_design.py`` (``benchmarks/topic_design.csv``):
    on the bundled paragraphs at K = 20, tomotopy has more stable topics, higher c_npmi and a
    lower held-out perplexity than gensim.
    The random state of a fit is derived from ``(Config.seed, K, seed)``, so a fit does not
    depend on the other fits or on the number of worker processes. Grid fits run in parallel
    processes. A share ``holdout`` of the units (seeded) is held out of every fit (column
    ``heldout`` of ``doc_topics.parquet``). Document-topic proportions of every unit, held out or
    not, come from one engine-independent fold-in (:func:`infer_doc_topic`, the variational
    E-step given the fitted topic-word distributions).

Model selection (``topics/model_selection.csv``, one row per K x seed)
    ``c_v``, ``c_npmi``, ``u_mass``: topic coherence of the top ``coherence_top_n`` words (Röder
    et al. 2015; Mimno et al. 2011), as gensim ``CoherenceModel`` computes it, on the tokens of
    all kept units (:mod:`analysis.topics.coherence`; higher is better). ``perplexity``: held-out
    perplexity by document completion (Wallach et al. 2009): each held-out unit's even-position
    tokens estimate its topic proportions, its odd-position tokens are scored,
    ``exp(-log-likelihood / tokens)`` (lower is better). ``diversity``: share of distinct words
    among the top 25 words of all topics (Dieng et al. 2020). ``exclusivity``: mean over topics
    and their top words of ``phi_kw / sum_j phi_jw`` (Bischof & Airoldi 2012). ``fit_seconds``
    of each fit is written to ``topics/timings.csv`` (the one file that differs between identical
    runs), not to the selection table.

Rule that picks K (:func:`select_k`)
    For each K, the mean and standard error (sd / sqrt(n)) of ``select_metric`` (default
    ``c_npmi``) over the seeds. ``one_se`` (default, Breiman et al. 1984's one-standard-error
    rule): the smallest K whose mean is at least the best mean minus the best K's standard
    error. ``best``: the K with the highest mean (ties: the smaller K). ``chosen_k`` > 0
    overrides the rule; ``topics/selection.json`` records both. Seeds whose metric is not
    finite (NaN) are left out of the mean, SE and ``n``; a K with no finite seed is skipped and
    listed with the reason under ``skipped_k`` in ``selection.json``; when no K is left the
    stage fails, naming the metric.

Stability (:mod:`analysis.topics.stability`)
    ``n_stability_seeds`` fits at the chosen K (the grid's fits first) are aligned to their
    medoid fit by Hungarian matching on the cosine similarity of topic-word distributions. A
    topic's ``stability`` is its mean matched similarity; ``stable`` when it reaches
    ``stability_threshold`` (default 0.8: on the bundled paragraphs, matches at cosine >= 0.8
    share on average 6 and in 90% of cases at least 5 of their top 10 terms; ``top_overlap``
    reports the share for each topic). The medoid fit is the published model (its topic-term and
    doc-topic matrices); unstable topics carry ``stable = False`` in every table and
    "(unstable)" in their labels on the LDAvis page.

Labels
    Top terms by probability, by FREX (Bischof & Airoldi 2012; Roberts et al. 2019, stm's
    ``labelTopics``: weighted harmonic mean of the within-topic ranks of exclusivity and
    frequency, weight ``frex_weight`` on exclusivity) and relevance (Sievert & Shirley 2014,
    ``lambda log phi_kw + (1 - lambda) log(phi_kw / p_w)``). Human labels ``"id=中文|English"``
    from the config apply when K equals ``labels_k`` (the default config labels every topic of
    its model); otherwise ``label_zh`` is three of the top 10 terms by relevance (distinct where
    the most probable terms, 发展 or 建设, are shared by many topics), never a place name or a
    stoplisted word, the policy phrases of the lexicon (``[tokens] lexicon``) first, and
    ``label_en`` is ``"Topic k"``. ``topics/typical_paragraphs.csv`` lists each topic's three most
    typical training units of the published model (highest proportion; ties: the earlier unit)
    with their text, to label a model by reading them.

Prevalence (:mod:`analysis.topics.prevalence`)
    Every bootstrap replicate draws one stability fit and resamples reports (paragraphs within a
    report for ``doc_id`` groups and the national years), so intervals carry both topic-model and
    sampling uncertainty. Group means weigh units by their tokens: a group's prevalence is the
    expected share of its tokens. Every prevalence table counts the units it left out for a
    missing docvar (``n_dropped``); the regressions also the replicates redrawn (``n_redrawn``). ``prevalence`` in ``topics.csv`` is the same over the corpus.
    Over time: prevalence per year of the national series (1954-2025) with these intervals; no
    dynamic topic model (gensim ``LdaSeqModel`` does not fit within the stage's time budget).
"""

from analysis.topics.build import (
    TopicsResult,
    fit_topics,
    prevalence_tables,
    run_topics,
    topic_tables,
)
from analysis.topics.fit import (
    LdaFit,
    auto_chunksize,
    completion_split,
    derive_seed,
    fit_lda,
    fit_many,
    heldout_perplexity,
    holdout_mask,
    infer_doc_topic,
)
from analysis.topics.labels import frex, label_terms, relevance, topic_labels
from analysis.topics.preprocessing import (
    TopicCorpus,
    build_corpus,
    corpus_from_config,
    make_units,
    place_names,
    read_stoplist,
    read_stoplist_groups,
    topic_stoplist,
)
from analysis.topics.select import exclusivity, score_fits, select_k, top_terms, topic_diversity

__all__ = [
    "LdaFit",
    "TopicCorpus",
    "TopicsResult",
    "auto_chunksize",
    "build_corpus",
    "completion_split",
    "corpus_from_config",
    "derive_seed",
    "exclusivity",
    "fit_lda",
    "fit_many",
    "fit_topics",
    "frex",
    "heldout_perplexity",
    "holdout_mask",
    "infer_doc_topic",
    "label_terms",
    "make_units",
    "place_names",
    "prevalence_tables",
    "read_stoplist",
    "read_stoplist_groups",
    "relevance",
    "run_topics",
    "score_fits",
    "select_k",
    "top_terms",
    "topic_diversity",
    "topic_labels",
    "topic_stoplist",
    "topic_tables",
]
