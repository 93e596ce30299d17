"""The sections of the config and the whole :class:`Config`, with their documented defaults.

One frozen pydantic dataclass per stage (:class:`IngestConfig`, :class:`TokenConfig`,
:class:`MeasuresConfig`, :class:`TopicsConfig`, :class:`FiguresConfig`) and :class:`Config`, which
holds them with ``root``, ``results`` and ``seed`` and computes the hashes the results' stamps
record. ``params.toml`` repeats these defaults with comments. A section built in code with a wrong
value raises :class:`~analysis.config.ConfigError`: :mod:`analysis.config.messages` wraps the
``__init__`` of every class here and in :mod:`analysis.config.values`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path, PurePath
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    Strict,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass

from analysis.config.values import (
    _NAME_PATTERN,
    _SECTION,
    Bool,
    Char,
    Comparison,
    Count,
    Docvar,
    Effect,
    FilePath,
    Float,
    Int,
    K,
    NonEmpty,
    PathStr,
    SafeId,
    Share,
    Str,
    TopicLabel,
    Year,
    _effect_from_spec,
    _fspath,
    _Hint,
    _label_from_spec,
    _Located,
    _unique,
)

SECTIONS = ("ingest", "tokens", "measures", "topics", "figures", "engine")
# [engine] says where tasks run, never what they compute: left out of every hash, like workers.
NOT_HASHED = ("engine",)


def _reference_spec(value: Any) -> Any:
    """``[ingest] restore_reference``: "bundled", "none" or a list of folders, nothing else."""
    if value in ("bundled", "none") or (
        isinstance(value, (list, tuple)) and all(isinstance(v, (str, PurePath)) for v in value)
    ):
        return value
    raise ValueError("not a reference")


@dataclass(frozen=True, config=_SECTION)
class IngestConfig:
    """Settings of the ingest stage (raw files -> documents and paragraphs)."""

    raw: PathStr = "data/raw"
    metadata: FilePath = "data/metadata.csv"
    # Convert traditional to simplified (OpenCC t2s) only in a report with at least this many
    # traditional-only characters (outside GB2312); below it, characters such as 乾 (乾县) or
    # 昇 (昇腾) are legitimate simplified text and are left alone (and reported).
    t2s_min_chars: Int = Field(5, ge=0)
    # A masked character is restored when the best candidate has at least this posterior share,
    # which is close to its chance of being right (benchmarks/restore_reliability.csv): at 0.95,
    # 98.6% of masked 党/政/军/国 restored, 0.07% of them wrong (bench_restore_calibration.py).
    mask_min_confidence: Share = 0.95
    # Characters of context on each side used to score a masked character.
    mask_context: Count = 4
    # A fill needs an n-gram of 3+ characters holding it seen at least this often in texts
    # other than the report itself and its copies (never the report's own evidence).
    mask_min_count: Count = 2
    # Reference statistics for restoring masks besides the corpus itself: "bundled" (the
    # repository's data/raw), "none", or a list of folders relative to the config root.
    restore_reference: Annotated[
        tuple[PathStr, ...] | Literal["bundled", "none"],
        BeforeValidator(_reference_spec),
        _Hint('"bundled", "none" or a list of folders, relative to the config root'),
    ] = "bundled"
    # A report is flagged numbers_deleted when it has at least this many number gaps (突破亿元).
    numbers_deleted_min: Count = 3
    # A report needs at least this many Han characters; a file with fewer is rejected.
    min_han_chars: Count = 200
    # Lines longer than this many characters that contain whitespace are split on it (a report
    # that lost its line breaks keeps the paragraph gaps as spaces).
    long_line_chars: Count = 1500
    # Share of a report's sentences found in an earlier report above which it is duplicate_of it.
    duplicate_overlap: Float = Field(0.8, gt=0, le=1)
    # A file larger than this many bytes is rejected without being read (default 1 GiB).
    max_file_bytes: Count = 1 << 30


# Single characters that carry policy content in the reports, kept although every other single
# character is dropped. Chosen from the most frequent single-character tokens of the corpus:
# the party and armed forces (党 军 兵 警), farm goods (粮 棉 油 猪 肉 菜; 农 as in 涉农/农文旅),
# energy and utilities (煤 电 气 水 热 网), industry and chains (钢 铁 链 企 港), public finance
# (税 债 费 贷), housing (房), health (医 药 疫), hazards and crime (灾 毒 黑 黄 赌), and stance or
# direction words (稳 绿 贫 富). Not kept: administrative units (省 市 县 镇 村, better counted
# via docvars), particles, measure words, verbs like 进/抓/提 and other fragments of words
# jieba's dictionary does not know.
DEFAULT_KEEP_SINGLE: tuple[str, ...] = (
    "党", "军", "兵", "警",
    "粮", "棉", "油", "猪", "肉", "菜", "农",
    "煤", "电", "气", "水", "热", "网",
    "钢", "铁", "链", "企", "港",
    "税", "债", "费", "贷",
    "房",
    "医", "药", "疫",
    "灾", "毒", "黑", "黄", "赌",
    "稳", "绿", "贫", "富",
)  # fmt: skip


@dataclass(frozen=True, config=_SECTION)
class TokenConfig:
    """Settings of the tokens stage (paragraph text -> tokens).

    Paths are relative to the repo root. ``workers`` does not change the output and is left out of
    the tokenizer fingerprint.
    """

    # Policy lexicon, ``term<TAB>category`` per line; loaded at frequency LEXICON_FREQ.
    lexicon: FilePath = "data/lexicon/policy_terms.txt"
    # Stopword lists removed after segmentation (add "stopwords/places.txt" to drop place names).
    stopwords: tuple[FilePath, ...] = (
        "stopwords/general_zh.txt",
        "stopwords/boilerplate_gov.txt",
    )
    # jieba's HMM guesses words missing from the dictionary; off: reproducible, lexicon-driven.
    hmm: Bool = False
    # "placeholder": numbers -> <num>, percentages -> <pct>, years (2023年, bare 2023) -> <year>;
    # "drop": remove them.
    numbers: Literal["placeholder", "drop"] = "placeholder"
    # Single characters kept (all others are dropped); see DEFAULT_KEEP_SINGLE.
    keep_single: tuple[Char, ...] = DEFAULT_KEEP_SINGLE
    # "rjieba" (Rust, parallel threads) or "jieba" (pure-Python reference; slow).
    engine: Literal["rjieba", "jieba"] = "rjieba"
    # Threads for tokenize_many; 0 = os.cpu_count().
    workers: Int = Field(0, ge=0)
    # Keep reports flagged duplicate_of (near-copies of an earlier report); by default they are
    # left out from tokens onward and listed in tokens/dropped_reports.csv.
    keep_duplicates: Bool = False


_LOCAL = "level in ['prefecture', 'county-level']"
# The bundled comparisons select the bundled reports explicitly (collection == 'bundled'), so that
# adding a folder of one's own reports never changes one of their tables.
_BUNDLED = "collection == 'bundled'"
# Every report of a Shenzhen district (市辖区 and 大鹏新区, level county-level; the reports of the
# management committees are doc_type committee_report), and the districts with their id slugs.
_SHENZHEN_DISTRICTS = f"{_BUNDLED} and prefecture == '深圳市' and level == 'county-level'"
SHENZHEN_DISTRICTS = (
    ("luohu", "罗湖区"),
    ("futian", "福田区"),
    ("nanshan", "南山区"),
    ("yantian", "盐田区"),
    ("baoan", "宝安区"),
    ("longgang", "龙岗区"),
    ("longhua", "龙华区"),
    ("pingshan", "坪山区"),
    ("guangming", "光明区"),
    ("dapeng", "大鹏新区"),
)


def _city_years(place: str, first: int, last: int) -> str:
    """The bundled work reports of one place from ``first`` to ``last`` (years included)."""
    return (
        f"{_BUNDLED} and place == '{place}' and doc_type == 'work_report' "
        f"and year >= {first} and year <= {last}"
    )


DEFAULT_COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        id="zhejiang_local_vs_other_local",
        label="Zhejiang city/county reports vs other city/county reports",
        target=f"{_BUNDLED} and province == '浙江省' and {_LOCAL}",
        reference=f"{_BUNDLED} and province != '浙江省' and {_LOCAL}",
        unit="report",
    ),
    Comparison(
        id="review_vs_plan",
        label="Review of past work vs plans (all bundled reports)",
        target=f"{_BUNDLED} and section == 'review'",
        reference=f"{_BUNDLED} and section == 'plan'",
        unit="paragraph",
    ),
    Comparison(
        id="provinces_2026_vs_2025",
        label="Provincial reports 2026 vs 2025",
        target=f"{_BUNDLED} and level == 'province' and year == 2026",
        reference=f"{_BUNDLED} and level == 'province' and year == 2025",
        unit="report",
    ),
    Comparison(
        id="national_2013_2022_vs_2003_2012",
        label="National work reports 2013-2022 vs 2003-2012",
        target=f"{_BUNDLED} and level == 'national' and doc_type == 'work_report' "
        "and year >= 2013 and year <= 2022",
        reference=f"{_BUNDLED} and level == 'national' and doc_type == 'work_report' "
        "and year >= 2003 and year <= 2012",
        unit="report",
    ),
    *(
        Comparison(
            id=f"{slug}_2020s_vs_2000s",
            label=f"{name} {late[0]}-{late[1]} vs {early[0]}-{early[1]}",
            target=_city_years(place, *late),
            reference=_city_years(place, *early),
            unit="report",
        )
        for slug, name, place, late, early in (
            ("shenzhen", "Shenzhen 深圳市", "深圳市", (2020, 2026), (2001, 2009)),
            ("zhumadian", "Zhumadian 驻马店市", "驻马店市", (2020, 2026), (2002, 2009)),
        )
    ),
    *(
        Comparison(
            id=f"shenzhen_districts_{slug}_vs_other_districts",
            label=f"{place} vs the other Shenzhen districts",
            target=f"{_SHENZHEN_DISTRICTS} and place == '{place}'",
            reference=f"{_SHENZHEN_DISTRICTS} and place != '{place}'",
            unit="report",
        )
        for slug, place in SHENZHEN_DISTRICTS
    ),
)


@dataclass(frozen=True, config=_SECTION)
class MeasuresConfig:
    """Settings of the measures stage (tokens and clean text -> counts, TF-IDF, keyness, concepts)."""

    # Concept dictionaries (TOML; counting rule in its header and in analysis/measures/concepts.py).
    concepts: FilePath = "data/concepts.toml"
    # Bootstrap replicates and level of the concept-rate intervals (a group of several reports
    # resamples reports, a single report its paragraphs; README "Intervals").
    n_boot: Count = 1000
    ci_level: Float = Field(0.95, gt=0, lt=1)
    # Interval from the replicates: raw "percentile" or "bca" (bias-corrected and accelerated,
    # jackknife over the resampled units); never clamped.
    ci_interval: Literal["percentile", "bca"] = "percentile"
    # TF-IDF: terms per group, minimum number of groups a term must occur in, and the docvars
    # whose groups get a table (besides single reports).
    tfidf_top: Count = 20
    tfidf_min_df: Count = 2
    tfidf_scopes: tuple[Docvar, ...] = (
        "place",
        "province",
        "region",
        "level",
        "section",
        "doc_type",
    )
    # Keyness comparisons: id, label, target and reference (docvar conditions over the unit's
    # docvars, README "Conditions"; reference "rest" = all other documents), unit "report" or
    # "paragraph".
    comparisons: tuple[Comparison, ...] = DEFAULT_COMPARISONS
    # Each value of this docvar against the rest (reports with the docvar set); "" = none.
    one_vs_rest: Annotated[str, StringConstraints(strict=True, pattern=r"^$|" + _NAME_PATTERN)] = (
        "region"
    )
    # Terms per group in tables/group_term_counts.csv (word clouds), and the docvars grouped.
    group_terms: Count = 300
    group_term_docvars: tuple[Docvar, ...] = ("region", "level")
    # Keyness "robust" rule (analysis/measures/keyness.py add_dispersion): the level of both the
    # pooled q (G2) and the report-level q (Welch's t on per-report rates), and the largest share
    # of a side's count its top report may hold (a side of 2 reports: "not one report alone").
    # TF-IDF's robust column uses the same share.
    keyness_q: Float = Field(0.05, gt=0, lt=1)
    keyness_max_top_share: Float = Field(0.5, gt=0, le=1)
    # Characters of context on each side in KWIC tables.
    kwic_window: Int = Field(20, ge=0)
    # Also run the comparisons derived from the corpus's docvars (early vs late years, review vs
    # plan per collection, one-vs-rest of each docvar with 2-12 values); see
    # analysis/measures/applicability.py.
    derived: Bool = True

    @field_validator("comparisons")
    @classmethod
    def _unique_ids(cls, value: tuple[Comparison, ...]) -> tuple[Comparison, ...]:
        try:
            _unique([c.id for c in value], "id")
        except _Located as exc:
            raise _Located((*exc.loc, "id"), str(exc), exc.value) from None
        return value


def _zero_or_k(value: int) -> int:
    if value == 1:
        raise ValueError("a K must be >= 2")
    return value


#: Human labels of the default topic model of the bundled corpus (K = 20; params.toml says how
#: they were written).
DEFAULT_LABELS = (
    "0=招商引资与总部经济|Investment attraction and headquarters economy",
    "1=产业集群与先进制造业|Industrial clusters and advanced manufacturing",
    "2=农业农村与乡村振兴|Agriculture and rural revitalisation",
    "3=经济增长指标|Growth statistics",
    "4=指导思想与总体要求|Guiding thought and overall requirements",
    "5=国企改革与宏观调控|State-enterprise reform and macroeconomic policy",
    "6=科技创新与人才|Science, innovation and talent",
    "7=困难和挑战|Difficulties and challenges",
    "8=安全生产与社会治安|Work safety and public security",
    "9=文化、旅游与体育|Culture, tourism and sport",
    "10=计划经济与工农业生产|Planned economy and production",
    "11=对外开放与贸易|Opening-up and foreign trade",
    "12=扩大内需与投资消费|Domestic demand: investment and consumption",
    "13=政府自身建设与监督|Government self-discipline and oversight",
    "14=教育与医疗|Education and health care",
    "15=就业与社会保障|Employment and social security",
    "16=外交与国际形势|Foreign affairs and the international situation",
    "17=城市建设与交通|Urban development and transport",
    "18=生态环境治理|Environmental protection",
    "19=放管服改革与数字政府|Administrative reform and digital government",
)


@dataclass(frozen=True, config=_SECTION)
class TopicsConfig:
    """Settings of the topics stage (tokens -> LDA models, selection, stability, prevalence).

    The metrics, the K selection rule and the stability measure are described in
    ``analysis/topics/``. ``workers`` does not change the output.
    """

    # Document unit the models are fit on: "paragraph", "section" (report x section) or "report".
    unit: Literal["paragraph", "section", "report"] = "paragraph"
    # Drop the number placeholders <num>, <pct>, <year> of the token cache.
    drop_placeholders: Bool = True
    # Drop place names from the topic input only (so that no topic is just 嘉兴/海宁/南湖): the
    # names of `places` and every name of the `gazetteer` (each place, its short name, its
    # other names and its parents, all levels). Other stages keep them.
    drop_places: Bool = True
    places: FilePath = "stopwords/places.txt"
    gazetteer: FilePath = "data/gazetteer.csv"
    # Further lists dropped from the topic input only (discourse words: hedges, courtesy
    # formulas, vague quantifiers ...; each group of a list states its reason).
    stopwords: tuple[FilePath, ...] = ("stopwords/topic_discourse.txt",)
    # Keep a term found in at least `no_below` units and in at most a share `no_above` of them.
    no_below: Count = 5
    no_above: Float = Field(0.5, gt=0, le=1)
    # Drop units with fewer tokens than this after the term filters (counted in the log table).
    min_tokens: Count = 5
    # "tomotopy" (collapsed Gibbs LDA) or "gensim" (LdaModel, online variational Bayes); the
    # default is measured in benchmarks/bench_topic_design.py.
    engine: Literal["gensim", "tomotopy"] = "tomotopy"
    # Model selection grid: every K x every seed. Seeds are replicate ids; the random state of a
    # fit is derived from (Config.seed, K, seed).
    k_grid: Annotated[tuple[K, ...], Field(min_length=1)] = (5, 10, 15, 20, 25, 30, 40)
    seeds: Annotated[tuple[Annotated[int, Strict(), Field(ge=0)], ...], Field(min_length=1)] = (
        1,
        2,
        3,
    )
    # gensim: passes over the training units, E-step iterations per unit, units per online
    # update (0 = ceil(training units / 10), at most 2000: ten updates per pass).
    passes: Count = 10
    iterations: Count = 50
    chunksize: Int = Field(0, ge=0)
    # tomotopy: Gibbs sampling sweeps.
    gibbs_iterations: Count = 500
    # Symmetric Dirichlet priors of both engines: alpha (document-topic) and eta (topic-word),
    # 0 = 1/K; learn_alpha re-estimates an asymmetric alpha from the data (gensim "auto",
    # tomotopy's optimisation every 10 sweeps).
    alpha: Float = Field(0.0, ge=0)
    eta: Float = Field(0.0, ge=0)
    learn_alpha: Bool = False
    # Share of units held out (seeded) to score perplexity by document completion.
    holdout: Float = Field(0.1, ge=0, lt=1)
    # Top words per topic scored by coherence (c_v, c_npmi, u_mass), exclusivity and diversity
    # (diversity uses the top 25, as Dieng et al. 2020).
    coherence_top_n: Int = Field(10, ge=2)
    # K selection: metric (mean over seeds) and rule; "one_se": the smallest K whose mean is
    # within one standard error of the best K's mean; "best": the K with the best mean.
    select_metric: Literal["c_npmi", "c_v", "u_mass"] = "c_npmi"
    select_rule: Literal["one_se", "best"] = "one_se"
    # Fixed K overriding the rule (0 = use the rule); need not be in k_grid. 20: on the bundled
    # corpus the c_npmi rule picks the grid's upper bound (see params.toml).
    chosen_k: Annotated[int, Strict(), Field(ge=0), _Hint("0 (use the rule) or a K >= 2")] = 20
    # Stability: fits at the chosen K (the grid's seeds first, then further seeds); a topic is
    # stable when its mean matched cosine similarity across fits is at least the threshold.
    n_stability_seeds: Count = 5
    stability_threshold: Share = 0.8
    # Human labels of the chosen model's topics, "id=中文|English", used when K == labels_k.
    # The defaults label the default model of the bundled corpus (DEFAULT_LABELS).
    labels: tuple[Annotated[TopicLabel, BeforeValidator(_label_from_spec)], ...] = Field(
        DEFAULT_LABELS, validate_default=True
    )
    labels_k: Annotated[int, Strict(), Field(ge=0), _Hint("0 (no labels) or a K >= 2")] = 20
    # The fit the labels were written for (``fit_key`` of topics/selection.json: training input and
    # fit settings); another fit at K = labels_k gets automatic labels and a line in skipped.csv.
    # "" = any fit with K == labels_k.
    labels_fit: str = "f5096246ad7cd516"
    # Terms listed per topic; FREX weight on exclusivity (stm: 0.5); LDAvis relevance lambda.
    top_n: Count = 20
    frex_weight: Share = 0.5
    relevance_lambda: Share = 0.6
    # Prevalence: bootstrap replicates (each draws one stability fit and resamples reports),
    # docvars to group by, and regressions "subset: covariate + covariate" where subset is
    # all, national or subnational.
    n_boot: Count = 200
    group_by: tuple[Docvar, ...] = ("doc_id", "region", "level", "section")
    effects: tuple[Annotated[Effect, BeforeValidator(_effect_from_spec)], ...] = (
        Effect("all", ("level", "section", "year")),
        Effect("subnational", ("region", "level", "section")),
    )
    # Worker processes for the fits; 0 = all cores (does not change the output).
    workers: Int = Field(0, ge=0)

    @field_validator("k_grid", "seeds")
    @classmethod
    def _no_repeats(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        _unique(value)
        return value

    @field_validator("chosen_k", "labels_k")
    @classmethod
    def _k_or_zero(cls, value: int) -> int:
        return _zero_or_k(value)

    @field_validator("labels")
    @classmethod
    def _one_label_per_topic(cls, value: tuple[TopicLabel, ...]) -> tuple[TopicLabel, ...]:
        try:
            _unique([lab.topic for lab in value], "topic")
        except _Located as exc:
            raise _Located(exc.loc, str(exc), value[exc.loc[0]].spec) from None
        return value

    @model_validator(mode="after")
    def _labels_within_k(self) -> TopicsConfig:
        for i, lab in enumerate(self.labels):
            if self.labels_k and lab.topic >= self.labels_k:
                raise _Located(
                    ("labels", i),
                    f"topic {lab.topic}, but labels_k = {self.labels_k} has topics "
                    f"0..{self.labels_k - 1}",
                    lab.spec,
                )
        return self


@dataclass(frozen=True, config=_SECTION)
class FiguresConfig:
    """Settings of the figures stage (saved tables -> figures/); see ``params.toml``."""

    out: PathStr = "figures"
    # CJK font file (OTF/TTF/TTC) used by every figure and word cloud. "" = the first installed
    # system CJK font (Noto Sans CJK, Source Han Sans, WenQuanYi ...), else the Noto Sans CJK SC
    # file the mplfonts package ships.
    font: Annotated[
        str,
        Strict(),
        BeforeValidator(_fspath),
        _Hint('"" or an existing font file, relative to the config root'),
    ] = ""
    dpi: Int = Field(300, gt=0)
    # Files drawn of each figure: "png" (the report page shows it) and "pdf" (vector, the CJK
    # font subset embedded, for papers; embedding it is about 40% of a figure's time).
    formats: tuple[Literal["png", "pdf"], ...] = ("png", "pdf")
    # Processes drawing figures at the same time; 0 = all cores (does not change the output).
    workers: Int = Field(0, ge=0)
    # Years marked in the national trend figures, year -> short English label.
    key_years: dict[Year, Str] = Field(
        default_factory=lambda: {
            "1958": "Great Leap Forward",
            "1978": "Reform and opening",
            "1992": "Market economy",
            "2001": "WTO entry",
            "2012": "18th Party Congress",
            "2020": "COVID-19",
        }
    )
    # Concepts in the national trend figure (ids of data/concepts.toml); empty = all.
    trend_concepts: tuple[NonEmpty, ...] = ()
    # Places whose year series concept_trends_local draws side by side; empty = the (up to 3)
    # local place series with the most years.
    local_series: tuple[NonEmpty, ...] = ("深圳市", "驻马店市")
    # district_panel_shenzhen: the prefecture whose county-level places (districts) are drawn
    # ("" = the one with the most districts of 3+ years) and the concepts (empty = top 5).
    district_prefecture: Str = "深圳市"
    district_concepts: tuple[NonEmpty, ...] = (
        "innovation",
        "digital",
        "new_energy",
        "rural",
        "ecology_environment",
    )
    # city_vs_national: the concepts compared (empty = the 3 with the highest rate in the cities).
    city_vs_national_concepts: tuple[NonEmpty, ...] = ("new_energy", "rural", "digital")
    # Keyness comparisons drawn (ids of tables/keyness/index.csv), terms shown per side.
    keyness_comparisons: tuple[SafeId, ...] = (
        "review_vs_plan",
        "national_2013_2022_vs_2003_2012",
        "provinces_2026_vs_2025",
        "zhejiang_local_vs_other_local",
        "shenzhen_2020s_vs_2000s",
        "zhumadian_2020s_vs_2000s",
    )
    keyness_terms: Count = 12
    # keyness_bars and tfidf_places draw only the terms whose robust column is true (and say
    # so); false = every term, as ranked, as before.
    robust_only: Bool = True
    # TF-IDF small multiples: one panel per place of these levels, terms per panel.
    tfidf_levels: tuple[NonEmpty, ...] = ("prefecture", "county-level")
    tfidf_terms: Count = 8
    # Top terms per topic in the topic-terms figure.
    topic_terms: Count = 10
    # Word clouds: words per cloud, layout width x height in pixels (drawn at 3x that size).
    wordcloud_words: Count = 80
    wordcloud_size: tuple[Count, Count] = (480, 300)

    @field_validator("formats")
    @classmethod
    def _png_and_no_repeats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        _unique(value)
        if "png" not in value:
            raise ValueError('must include "png" (the report page and previews show it)')
        return value


# A Dask scheduler: "local:N" (a LocalCluster of N worker processes here, 0 = one per core) or a
# running scheduler's address (tcp://, tls://, ws://, wss:// host:port; e.g. of dask-jobqueue).
_DASK_ADDRESS = r"^(local:[0-9]{1,4}|(tcp|tls|ws|wss)://[A-Za-z0-9._\-\[\]:]+:[0-9]{1,5})$"


@dataclass(frozen=True, config=_SECTION)
class EngineConfig:
    """Where the stages run their parallel tasks (``[engine]``); see ``params.toml``.

    ``"local"``: worker processes of this machine (each stage's ``workers``). ``"dask"``: the
    tasks of a ``dask.distributed`` cluster at ``address``. The outputs are the same bytes
    either way: each task carries its own seed and results are put back in task order.
    """

    scheduler: Literal["local", "dask"] = "local"
    address: Annotated[
        str,
        StringConstraints(strict=True, pattern=_DASK_ADDRESS),
        _Hint('"local:N" (N worker processes, 0 = one per core) or "tcp://host:port"'),
    ] = "local:0"


@dataclass(frozen=True, config=_SECTION)
class Config:
    """The whole configuration; ``root`` is the directory relative paths are resolved against.

    ``source`` is the file it was loaded from (None when built in code); like ``root`` it is not
    part of :meth:`to_dict` or of equality.
    """

    root: Path = Field(default_factory=Path.cwd)
    results: PathStr = "results"
    seed: Int = Field(20261124, ge=0)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    tokens: TokenConfig = Field(default_factory=TokenConfig)
    measures: MeasuresConfig = Field(default_factory=MeasuresConfig)
    topics: TopicsConfig = Field(default_factory=TopicsConfig)
    figures: FiguresConfig = Field(default_factory=FiguresConfig)
    engine: EngineConfig = Field(default_factory=EngineConfig)
    source: Path | None = dataclasses.field(default=None, compare=False, repr=False)

    def path(self, relative: str | Path) -> Path:
        """Resolve a config path against :attr:`root` (absolute paths pass through)."""
        p = Path(relative)
        return p if p.is_absolute() else self.root / p

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view without ``root`` and ``source``, for manifests and hashing.

        Lists are tuples, comparisons dicts, effects and labels their canonical strings: for a
        config written as ``params.toml`` this is the dict (and so the hash) of earlier versions.
        """
        return {
            f.name: _plain(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name not in ("root", "source")
        }

    def hash(self) -> str:
        """sha256 of the canonical JSON of :meth:`to_dict` (first 16 hex digits).

        ``workers`` settings and ``[engine]`` are left out: they change the speed, never the
        output.
        """
        d = {
            key: _without_workers(value) if isinstance(value, dict) else value
            for key, value in self.to_dict().items()
            if key not in NOT_HASHED
        }
        return _digest(d)

    def section_hash(self, *sections: str, seed: bool = False) -> str:
        """sha256 (first 16 hex digits) of the named sections only, without ``workers``.

        For per-stage stamps: ``cfg.section_hash("tokens")``, ``cfg.section_hash("tokens",
        "topics", seed=True)``. The name ``"seed"`` (or ``seed=True``) adds the top-level seed.
        """
        names = set(sections)
        unknown = sorted(names - {*SECTIONS, "seed"})
        if unknown or not sections:
            raise ValueError(f"section_hash: unknown section(s) {unknown}; known: {SECTIONS}")
        d = self.to_dict()
        picked: dict[str, Any] = {s: _without_workers(d[s]) for s in SECTIONS if s in names}
        if seed or "seed" in names:
            picked["seed"] = self.seed
        return _digest(picked)


def _without_workers(section: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in section.items() if k != "workers"}


def _digest(d: dict[str, Any]) -> str:
    blob = json.dumps(d, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _plain(value: Any) -> Any:
    if isinstance(value, (Effect, TopicLabel)):
        return value.spec
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, PurePath):
        return str(value)
    return value


_CLASSES: dict[str, type] = {
    "ingest": IngestConfig,
    "tokens": TokenConfig,
    "measures": MeasuresConfig,
    "topics": TopicsConfig,
    "figures": FiguresConfig,
    "engine": EngineConfig,
}
_TOP_KEYS = ("results", "seed")
