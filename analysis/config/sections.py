"""Configuration: every tunable value lives in ``params.toml`` and is validated on load.

The defaults below are the documented defaults; ``params.toml`` at the repo root repeats them with
comments. Relative paths in a config file are resolved against the directory of that file (or of
the file it ``extends``), so the repo root is the reference point and no machine path is ever
written into the repo.

:func:`load` checks every key before any work: unknown keys and sections (with a "did you mean"),
types (``n_boot = "200"`` is not an integer, ``true`` is not an integer either), allowed values,
ranges, the files the config names, the keyness comparisons, the prevalence effects and the topic
labels. Every problem is one line of :class:`ConfigError`::

    tests/bad.toml: [topics] k_grid = 20: expected a list, got an integer; allowed: a non-empty list of integers >= 2

The sections are frozen pydantic dataclasses: they are constructed with keyword arguments, compared
and copied with :func:`dataclasses.replace` (which validates again) like plain dataclasses.
:func:`check_docvars` checks the docvars the config names against the columns of a corpus.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePath
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "DEFAULT_CONFIG_NAME",
    "DEFAULT_KEEP_SINGLE",
    "SECTIONS",
    "Comparison",
    "Config",
    "ConfigError",
    "Effect",
    "FiguresConfig",
    "IngestConfig",
    "MeasuresConfig",
    "TokenConfig",
    "TopicLabel",
    "TopicsConfig",
    "check_docvars",
    "condition_names",
    "load",
]

DEFAULT_CONFIG_NAME = "params.toml"
SECTIONS = ("ingest", "tokens", "measures", "topics", "figures")
# Problems listed in one ConfigError; the rest are counted.
MAX_PROBLEMS = 3


class ConfigError(ValueError):
    """A config that cannot be used: one line per problem (at most :data:`MAX_PROBLEMS`).

    Each line reads ``<file>: [section] key = <value>: <what is wrong>; allowed: <...>``.
    ``problems`` holds every line.
    """

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems = (problems,) if isinstance(problems, str) else tuple(problems)
        shown = list(self.problems[:MAX_PROBLEMS])
        if len(self.problems) > MAX_PROBLEMS:
            more = len(self.problems) - MAX_PROBLEMS
            shown.append(f"... and {more} more problem{'s' if more > 1 else ''}")
        super().__init__("\n".join(shown))


class _Located(ValueError):
    """Raised by a validator about one part of its value: ``loc`` extends the error location."""

    def __init__(self, loc: tuple[str | int, ...], message: str, value: Any) -> None:
        super().__init__(message)
        self.loc = loc
        self.value = value


@dataclasses.dataclass(frozen=True)
class _Hint:
    """Annotation metadata: the ``allowed`` text of a setting (pydantic ignores it)."""

    text: str
    plural: str = ""  # in "a list of ..."


def _fspath(value: Any) -> Any:
    return os.fspath(value) if isinstance(value, PurePath) else value


_ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"
_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
# pattern -> (what is wrong, allowed, allowed in a list)
_PATTERNS = {
    _ID_PATTERN: (
        "not a safe id (ids become file names)",
        "an id of letters, digits, _ . - (not starting with . or -)",
        "ids of letters, digits, _ . - (not starting with . or -)",
    ),
    _NAME_PATTERN: (
        "not a docvar name",
        "a name of letters, digits and _",
        "names of letters, digits and _",
    ),
    r"^\d{4}$": ("not a year", "a four-digit year", "four-digit years"),
}

# Strict scalars: no "200" for an int, no true for an int, no 1 for a bool (an int is a float).
Int = Annotated[int, Strict()]
Float = Annotated[float, Strict()]
Bool = Annotated[bool, Strict()]
Str = Annotated[str, Strict()]
NonEmpty = Annotated[str, StringConstraints(strict=True, min_length=1)]
# A path relative to the config root; os.PathLike values are accepted and stored as str.
PathStr = Annotated[
    str,
    StringConstraints(strict=True, min_length=1),
    BeforeValidator(_fspath),
    _Hint("a path, relative to the config root", "paths, relative to the config root"),
]
FilePath = Annotated[
    str,
    StringConstraints(strict=True, min_length=1),
    BeforeValidator(_fspath),
    _Hint(
        "an existing file, relative to the config root",
        "existing files, relative to the config root",
    ),
]
Docvar = Annotated[str, StringConstraints(strict=True, pattern=_NAME_PATTERN)]
SafeId = Annotated[str, StringConstraints(strict=True, pattern=_ID_PATTERN)]
Char = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=1)]
Year = Annotated[str, StringConstraints(strict=True, pattern=r"^\d{4}$")]
Count = Annotated[int, Strict(), Field(ge=1)]
Share = Annotated[float, Strict(), Field(ge=0, le=1)]
K = Annotated[int, Strict(), Field(ge=2)]

_SECTION = ConfigDict(extra="forbid")


def _unique(values: Sequence[Any], what: str = "") -> None:
    seen: dict[Any, int] = {}
    for i, value in enumerate(values):
        if value in seen:
            name = f"{what} {value!r}" if what else repr(value)
            raise _Located((i,), f"{name} is listed twice (also at [{seen[value]}])", value)
        seen[value] = i


def _zero_or_k(value: int) -> int:
    if value == 1:
        raise ValueError("a K must be >= 2")
    return value


@dataclass(frozen=True, config=_SECTION)
class IngestConfig:
    """Settings of the ingest stage (raw files -> documents and paragraphs)."""

    raw: PathStr = "data/raw"
    metadata: FilePath = "data/metadata.csv"
    # Convert traditional to simplified (OpenCC t2s) only in a report with at least this many
    # traditional-only characters (outside GB2312); below it, characters such as 乾 (乾县) or
    # 昇 (昇腾) are legitimate simplified text and are left alone (and reported).
    t2s_min_chars: Int = Field(5, ge=0)
    # A masked character is restored when the best candidate has at least this posterior share.
    mask_min_confidence: Share = 0.6
    # Characters of context on each side used to score a masked character.
    mask_context: Count = 4
    # A report is flagged numbers_deleted when it has at least this many number gaps (突破亿元).
    numbers_deleted_min: Count = 3
    # A report needs at least this many Han characters; a file with fewer is rejected.
    min_han_chars: Count = 200
    # Lines longer than this many characters that contain whitespace are split on it (a report
    # that lost its line breaks keeps the paragraph gaps as spaces).
    long_line_chars: Count = 1500
    # Share of a report's sentences found in an earlier report above which it is duplicate_of it.
    duplicate_overlap: Float = Field(0.8, gt=0, le=1)


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


@dataclass(frozen=True, config=_SECTION, kw_only=True)
class Comparison:
    """One keyness comparison of ``[[measures.comparisons]]``.

    ``target`` and ``reference`` are pandas query conditions over the docvars of ``unit``;
    ``reference = "rest"`` means every other document. ``id`` names the output file
    ``tables/keyness/<id>.csv``; an empty ``label`` becomes the id.
    """

    id: SafeId
    label: Str = ""
    target: NonEmpty
    reference: NonEmpty
    unit: Literal["report", "paragraph"] = "report"

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.id)


_LOCAL = "level in ['prefecture', 'county-level']"
DEFAULT_COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        id="zhejiang_local_vs_other_local",
        label="Zhejiang city/county reports vs other city/county reports",
        target=f"province == '浙江省' and {_LOCAL}",
        reference=f"province != '浙江省' and {_LOCAL}",
        unit="report",
    ),
    Comparison(
        id="review_vs_plan",
        label="Review of past work vs plans (all reports)",
        target="section == 'review'",
        reference="section == 'plan'",
        unit="paragraph",
    ),
    Comparison(
        id="provinces_2026_vs_2025",
        label="Provincial reports 2026 vs 2025",
        target="level == 'province' and year == 2026",
        reference="level == 'province' and year == 2025",
        unit="report",
    ),
    Comparison(
        id="national_2013_2022_vs_2003_2012",
        label="National reports 2013-2022 vs 2003-2012",
        target="level == 'national' and year >= 2013 and year <= 2022",
        reference="level == 'national' and year >= 2003 and year <= 2012",
        unit="report",
    ),
)


@dataclass(frozen=True, config=_SECTION)
class MeasuresConfig:
    """Settings of the measures stage (tokens and clean text -> counts, TF-IDF, keyness, concepts)."""

    # Concept dictionaries (TOML; counting rule in its header and in analysis/concepts.py).
    concepts: FilePath = "data/concepts.toml"
    # Bootstrap replicates (resampled paragraphs) and level of the concept-rate intervals.
    n_boot: Count = 1000
    ci_level: Float = Field(0.95, gt=0, lt=1)
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
    # Keyness comparisons: id, label, target and reference (pandas query over the unit's
    # docvars; reference "rest" = all other documents), unit "report" or "paragraph".
    comparisons: tuple[Comparison, ...] = DEFAULT_COMPARISONS
    # Each value of this docvar against the rest (reports with the docvar set); "" = none.
    one_vs_rest: Annotated[str, StringConstraints(strict=True, pattern=r"^$|" + _NAME_PATTERN)] = (
        "region"
    )
    # Terms per group in tables/group_term_counts.csv (word clouds), and the docvars grouped.
    group_terms: Count = 300
    group_term_docvars: tuple[Docvar, ...] = ("region", "level")
    # Characters of context on each side in KWIC tables.
    kwic_window: Int = Field(20, ge=0)

    @field_validator("comparisons")
    @classmethod
    def _unique_ids(cls, value: tuple[Comparison, ...]) -> tuple[Comparison, ...]:
        try:
            _unique([c.id for c in value], "id")
        except _Located as exc:
            raise _Located((*exc.loc, "id"), str(exc), exc.value) from None
        return value


_SUBSETS = ("all", "national", "subnational")


@dataclass(frozen=True, config=_SECTION)
class Effect:
    """A prevalence regression of ``[topics] effects``, written ``"subset: covariate + ..."``.

    ``subset`` selects the units (``all``, ``national`` or ``subnational`` reports); the topic
    proportions are regressed on the ``covariates`` (docvars; numeric ones enter linearly).
    """

    subset: Literal["all", "national", "subnational"]
    covariates: Annotated[tuple[Docvar, ...], Field(min_length=1)]

    @field_validator("covariates")
    @classmethod
    def _unique_covariates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        _unique(value, "covariate")
        return value

    @property
    def spec(self) -> str:
        """The canonical ``"subset: a + b"`` form (what :meth:`Config.to_dict` records)."""
        return f"{self.subset}: {' + '.join(self.covariates)}"

    def __str__(self) -> str:
        return self.spec


def _effect_from_spec(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    subset, colon, rhs = value.partition(":")
    covariates = [c.strip() for c in rhs.split("+")]
    if not colon or not rhs.strip():
        raise ValueError("not of the form 'subset: covariate + covariate'")
    if subset.strip() not in _SUBSETS:
        raise ValueError(f"subset {subset.strip()!r} is not all, national or subnational")
    for c in covariates:
        if not re.fullmatch(_NAME_PATTERN, c):
            raise ValueError(f"covariate {c!r} is not a docvar name")
    if len(set(covariates)) < len(covariates):
        raise ValueError("a covariate is listed twice")
    return {"subset": subset.strip(), "covariates": covariates}


@dataclass(frozen=True, config=_SECTION)
class TopicLabel:
    """A human label of one topic of ``[topics] labels``, written ``"id=中文|English"``."""

    topic: Int = Field(ge=0)
    zh: Str = ""
    en: Str = ""

    @property
    def spec(self) -> str:
        """The canonical ``"id=中文|English"`` form (what :meth:`Config.to_dict` records)."""
        return f"{self.topic}={self.zh}|{self.en}"

    def __str__(self) -> str:
        return self.spec


_LABEL = re.compile(r"\s*(\d+)\s*=\s*([^|]*?)\s*(?:\|\s*(.*?)\s*)?")


def _label_from_spec(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    m = _LABEL.fullmatch(value)
    if not m:
        raise ValueError("not of the form 'id=中文|English' (either part may be empty)")
    return {"topic": int(m.group(1)), "zh": m.group(2), "en": m.group(3) or ""}


@dataclass(frozen=True, config=_SECTION)
class TopicsConfig:
    """Settings of the topics stage (tokens -> LDA models, selection, stability, prevalence).

    The metrics, the K selection rule and the stability measure are described in
    ``analysis/topics.py``. ``workers`` does not change the output.
    """

    # Document unit the models are fit on: "paragraph", "section" (report x section) or "report".
    unit: Literal["paragraph", "section", "report"] = "paragraph"
    # Drop the number placeholders <num>, <pct>, <year> of the token cache.
    drop_placeholders: Bool = True
    # Also drop the place names of `places` (so that no topic is just 嘉兴/海宁/南湖).
    drop_places: Bool = False
    places: FilePath = "stopwords/places.txt"
    # Keep a term found in at least `no_below` units and in at most a share `no_above` of them.
    no_below: Count = 5
    no_above: Float = Field(0.5, gt=0, le=1)
    # Drop units with fewer tokens than this after the term filters (counted in the log table).
    min_tokens: Count = 5
    # "gensim" (LdaModel, online variational Bayes; the reference) or "tomotopy" (Gibbs LDA).
    engine: Literal["gensim", "tomotopy"] = "gensim"
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
    # Share of units held out (seeded) to score perplexity by document completion.
    holdout: Float = Field(0.1, ge=0, lt=1)
    # Top words per topic scored by coherence (c_v, c_npmi, u_mass), exclusivity and diversity
    # (diversity uses the top 25, as Dieng et al. 2020).
    coherence_top_n: Int = Field(10, ge=2)
    # K selection: metric (mean over seeds) and rule; "one_se": the smallest K whose mean is
    # within one standard error of the best K's mean; "best": the K with the best mean.
    select_metric: Literal["c_npmi", "c_v", "u_mass"] = "c_npmi"
    select_rule: Literal["one_se", "best"] = "one_se"
    # Fixed K overriding the rule (0 = use the rule); need not be in k_grid.
    chosen_k: Annotated[int, Strict(), Field(ge=0), _Hint("0 (use the rule) or a K >= 2")] = 0
    # Stability: fits at the chosen K (the grid's seeds first, then further seeds); a topic is
    # stable when its mean matched cosine similarity across fits is at least the threshold.
    n_stability_seeds: Count = 5
    stability_threshold: Share = 0.8
    # Human labels of the chosen model's topics, "id=中文|English", used when K == labels_k.
    labels: tuple[Annotated[TopicLabel, BeforeValidator(_label_from_spec)], ...] = ()
    labels_k: Annotated[int, Strict(), Field(ge=0), _Hint("0 (no labels) or a K >= 2")] = 0
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
    # Keyness comparisons drawn (ids of tables/keyness/index.csv), terms shown per side.
    keyness_comparisons: tuple[SafeId, ...] = (
        "review_vs_plan",
        "national_2013_2022_vs_2003_2012",
        "provinces_2026_vs_2025",
        "zhejiang_local_vs_other_local",
    )
    keyness_terms: Count = 12
    # TF-IDF small multiples: one panel per place of these levels, terms per panel.
    tfidf_levels: tuple[NonEmpty, ...] = ("prefecture", "county-level")
    tfidf_terms: Count = 8
    # Top terms per topic in the topic-terms figure.
    topic_terms: Count = 10
    # Word clouds: words per cloud, layout width x height in pixels (drawn at 3x that size).
    wordcloud_words: Count = 80
    wordcloud_size: tuple[Count, Count] = (480, 300)


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

        ``workers`` settings are left out: they change the speed, never the output.
        """
        d = {
            key: _without_workers(value) if isinstance(value, dict) else value
            for key, value in self.to_dict().items()
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
}
_TOP_KEYS = ("results", "seed")


# ---------------------------------------------------------------------------------------------
# Error messages
# ---------------------------------------------------------------------------------------------
def _display(path: Path | str | None) -> str:
    """A path as the user reads it: relative to the current directory when inside it."""
    if path is None:
        return "config"
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)


def _toml(value: Any, limit: int = 60) -> str:
    """A value as it would be written in TOML, shortened to ``limit`` characters."""
    if isinstance(value, (Effect, TopicLabel)):
        value = value.spec
    if isinstance(value, Comparison):
        value = _plain(value)
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(_toml(v, limit) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k} = {_toml(v, limit)}" for k, v in value.items()) + "}"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    for types, name in (
        (int, "an integer"),
        (float, "a number"),
        (str, "a string"),
        ((list, tuple), "a list"),
        (dict, "a table"),
    ):
        if isinstance(value, types):
            return name
    return type(value).__name__


_BASE = {
    int: ("an integer", "integers"),
    float: ("a number", "numbers"),
    bool: ("true or false", "booleans"),
    str: ("a string", "strings"),
    Path: ("a path", "paths"),
}
_SPECS = {
    Effect: '"subset: covariate + ..." (subset all, national or subnational)',
    TopicLabel: '"id=中文|English" (either part may be empty)',
    Comparison: "a table of id, label, target, reference, unit",
}


def _unwrap(tp: Any, meta: Sequence[Any] = ()) -> tuple[Any, list[Any]]:
    """(bare type, metadata) of a possibly ``Annotated`` type."""
    meta = list(meta)
    while get_origin(tp) is Annotated:
        tp, *extra = get_args(tp)
        meta = [*extra, *meta]
    flat: list[Any] = []
    for m in meta:
        flat.extend(getattr(m, "metadata", None) or [m])
    return tp, flat


def _describe(tp: Any, meta: Sequence[Any] = (), *, plural: bool = False) -> str:
    """What a setting of type ``tp`` allows, in words ("a non-empty list of integers >= 2")."""
    tp, meta = _unwrap(tp, meta)
    for m in meta:
        if isinstance(m, _Hint):
            return (m.plural or m.text) if plural else m.text
    bounds = []
    for m in meta:
        for attr, op in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            if getattr(m, attr, None) is not None and not isinstance(m, StringConstraints):
                bounds.append(f"{op} {getattr(m, attr)}")
    pattern = next((m.pattern for m in meta if getattr(m, "pattern", None)), None)
    lengths = {
        a: getattr(m, a)
        for m in meta
        for a in ("min_length", "max_length")
        if getattr(m, a, None) is not None
    }
    origin, args = get_origin(tp), get_args(tp)
    if origin is Literal:
        return "one of " + ", ".join(_toml(a) for a in args)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            inner = _describe(args[0], plural=True)
            text = f"a list of {inner}"
        else:
            text = f"a list of {len(args)} {_describe(args[0], plural=True)}"
        return text.replace("a list", "a non-empty list") if lengths.get("min_length") else text
    if origin is dict:
        return f"a table of {_describe(args[0], plural=True)} = {_describe(args[1], plural=True)}"
    if tp in _SPECS:
        return _SPECS[tp]
    if pattern in _PATTERNS:
        text = _PATTERNS[pattern][2 if plural else 1]
    elif tp is str and lengths.get("max_length") == 1:
        text = "single characters" if plural else "a single character"
    else:
        text = _BASE.get(tp, (getattr(tp, "__name__", str(tp)),) * 2)[plural]
        if tp is str and lengths.get("min_length"):
            text = "non-empty " + text if plural else "a non-empty string"
    return " ".join([text, " and ".join(bounds)]) if bounds else text


def _type_at(cls: type, loc: Sequence[str | int]) -> tuple[Any, list[Any]] | None:
    """The annotated type of the setting at ``loc`` below ``cls`` (None if not a field)."""
    fields = getattr(cls, "__pydantic_fields__", {})
    if not loc or loc[0] not in fields:
        return None
    info = fields[loc[0]]
    tp, meta = _unwrap(info.annotation, info.metadata)
    for part in loc[1:]:
        if isinstance(part, int) and get_origin(tp) is tuple:
            args = get_args(tp)
            item = (
                args[0]
                if len(args) == 2 and args[1] is Ellipsis
                else args[min(part, len(args) - 1)]
            )
            tp, meta = _unwrap(item)
        elif isinstance(part, str) and hasattr(tp, "__pydantic_fields__"):
            found = _type_at(tp, [part])
            if found is None:
                return None
            tp, meta = found
        else:
            break
    return tp, meta


def _key(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _suggest(name: str, known: Iterable[str], form: str = "{!r}") -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {form.format(close[0])}?)" if close else ""


def _line(file: str, section: str | None, key: str, value: Any, what: str, allowed: str) -> str:
    where = f"[{section}] {key}" if section and key else (f"[{section}]" if section else key)
    shown = "" if value is dataclasses.MISSING else f" = {_toml(value)}"
    return f"{file}: {where}{shown}: {what}" + (f"; allowed: {allowed}" if allowed else "")


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


_MISSING_KINDS = ("missing", "missing_keyword_argument", "missing_argument")
_BOUNDS = {
    "greater_than": ">",
    "greater_than_equal": ">=",
    "less_than": "<",
    "less_than_equal": "<=",
}


def _problem(err: dict[str, Any], cls: type, file_of: Any) -> str:
    """One line for one pydantic error ``err`` raised while building ``cls``."""
    loc = list(err["loc"])
    value: Any = err.get("input", dataclasses.MISSING)
    ctx = err.get("ctx") or {}
    kind = err["type"]
    error = ctx.get("error")
    if isinstance(error, _Located):
        loc, value = [*loc, *error.loc], error.value
    owner, section = cls, None
    if cls is Config and loc and loc[0] in _CLASSES:
        section, owner, loc = str(loc[0]), _CLASSES[str(loc[0])], loc[1:]
    if kind in _MISSING_KINDS and loc and isinstance(loc[-1], int):
        # an item missing from a fixed-length list: the list is too short
        loc, kind = loc[:-1], "too_short"
        found = _type_at(owner, loc)
        ctx = {"min_length": len(get_args(found[0])) if found else 0}
    elif kind in _MISSING_KINDS or not isinstance(
        value, (str, int, float, bool, list, tuple, dict)
    ):
        value = dataclasses.MISSING
    found = _type_at(owner, loc) if loc else (owner, [])
    allowed = _describe(*found) if found and loc else ""
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        parent = _type_at(owner, loc[:-1]) if len(loc) > 1 else (owner, [])
        known = list(getattr(parent[0] if parent else owner, "__pydantic_fields__", {}))
        known = [n for n in known if n not in ("root", "source")]
        what = "unknown key" + _suggest(str(loc[-1]), known)
        allowed = "" if "did you mean" in what else ", ".join(known)
    elif kind in _MISSING_KINDS:
        what = "missing"
    elif kind.endswith("_type") or kind == "dataclass_exact_type":
        what = f"expected {_describe_type(found)}, got {_kind(value)}"
    elif kind == "literal_error":
        what = "not an allowed value"
    elif kind in _BOUNDS:
        what = f"must be {_BOUNDS[kind]} {_number(next(iter(ctx.values()), ''))}"
    elif kind in ("too_short", "string_too_short"):
        n = ctx.get("min_length", 1)
        what = "must not be empty" if n == 1 else f"needs {n} items"
    elif kind in ("too_long", "string_too_long"):
        n = ctx.get("max_length")
        what = f"must have at most {n} items"
        if kind.startswith("string"):
            what = "must be a single character" if n == 1 else f"longer than {n} characters"
    elif kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        what = _PATTERNS[pattern][0] if pattern in _PATTERNS else f"does not match {pattern}"
    elif kind in ("value_error", "assertion_error") and error is not None:
        what = str(error)
    else:
        what = err["msg"]
    if "[key]" in err["loc"]:
        what = "key " + what
    if section and not loc:
        # the section itself is wrong (``topics = 5``): name it as a top-level key
        return _line(file_of((section,)), None, section, value, what, "a table")
    head = (section, str(loc[0])) if section and loc else tuple(str(p) for p in loc[:1])
    return _line(file_of(head), section, _key(loc), value, what, allowed)


def _describe_type(found: tuple[Any, list[Any]] | None) -> str:
    """The type part of :func:`_describe` (no bounds): "an integer", "a list", "a table"."""
    if found is None:
        return "another type"
    tp = found[0]
    origin = get_origin(tp)
    if origin is tuple:
        return "a list"
    if origin is dict or tp in (Comparison, *_CLASSES.values()):
        return "a table"
    if origin is Literal:
        return "a string"
    if tp in _SPECS:
        return "a string " + _SPECS[tp]
    return _BASE.get(tp, ("another type",))[0]


def _errors(exc: ValidationError, cls: type, file_of: Any = lambda head: "config") -> ConfigError:
    """The :class:`ConfigError` of a pydantic error raised while building ``cls``."""
    section = _SECTION_OF.get(cls)
    names = [f.name for f in dataclasses.fields(cls)] if dataclasses.is_dataclass(cls) else []
    errors = []
    for err in exc.errors():
        loc = err["loc"]
        if loc and isinstance(loc[0], int) and loc[0] < len(names):  # a positional argument
            err = {**err, "loc": (names[loc[0]], *loc[1:])}
        errors.append(err)
    # "must not be empty" after its items failed: only the items' errors are news
    errors = [
        err
        for err in errors
        if not (
            err["type"] == "too_short"
            and any(o["loc"][: len(err["loc"])] == err["loc"] != o["loc"] for o in errors)
        )
    ]
    if section:  # a section built in code: locate its errors as in a file
        errors = [{**err, "loc": (section, *err["loc"])} for err in errors]
        cls = Config
    return ConfigError([_problem(err, cls, file_of) for err in errors])


_SECTION_OF = {cls: name for name, cls in _CLASSES.items()}


def _raise_config_errors(cls: type) -> None:
    """Make ``cls(...)`` (and so :func:`dataclasses.replace`) raise :class:`ConfigError`."""
    init = cls.__init__

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            init(self, *args, **kwargs)
        except ValidationError as exc:
            raise _errors(exc, cls) from exc

    cls.__init__ = __init__  # type: ignore[method-assign]


for _cls in (Comparison, Effect, TopicLabel, *_CLASSES.values(), Config):
    _raise_config_errors(_cls)
# Validates a whole config from plain values (without the ConfigError wrapper of __init__).
_CONFIG = TypeAdapter(Config)


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------
Origins = dict[tuple[str, ...], Path]


def _read_toml(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict[str, Any], Path, Origins]:
    """Read ``path`` merged over the file it ``extends`` (if any).

    Returns the merged values, the root (the directory of the file that extends nothing) and
    the file that set each top-level key and each ``(section, key)``.
    """
    shown = _display(path)
    path = path.resolve()
    if path in chain:
        raise ConfigError(f"{shown}: 'extends' loops back to itself")
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read: {exc.strerror or exc}") from exc
    origins: Origins = {}
    for key, value in raw.items():
        origins[(key,)] = path
        if isinstance(value, dict):
            origins.update({(key, k): path for k in value})
    base = raw.pop("extends", None)
    if base is None:
        return raw, path.parent, origins
    if not isinstance(base, str) or not base:
        raise ConfigError(
            f"{shown}: extends = {_toml(base)}: expected a path; allowed: a TOML file, "
            "relative to this file"
        )
    base_path = path.parent / base
    if not base_path.is_file():
        raise ConfigError(
            f"{shown}: extends = {_toml(base)}: no such file {_display(base_path)}; "
            "allowed: a TOML file, relative to this file"
        )
    merged, root, base_origins = _read_toml(base_path, (*chain, path))
    for key, value in raw.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged, root, {**base_origins, **origins}


# Settings naming files that must exist (resolved against the config root); "" = not set.
_FILES = (
    ("ingest", "metadata"),
    ("tokens", "lexicon"),
    ("tokens", "stopwords"),
    ("measures", "concepts"),
    ("topics", "places"),
    ("figures", "font"),
)


def _missing_files(cfg: Config, file_of: Any) -> list[str]:
    problems = []
    for section, key in _FILES:
        value = getattr(getattr(cfg, section), key)
        entries = list(enumerate(value)) if isinstance(value, tuple) else [(None, value)]
        for i, rel in entries:
            if not rel or cfg.path(rel).is_file():
                continue
            name = key if i is None else f"{key}[{i}]"
            what = f"no such file {_display(cfg.path(rel))}"
            allowed = f"an existing file, relative to the config root {cfg.root}"
            problems.append(_line(file_of((section, key)), section, name, rel, what, allowed))
    return problems


def load(path: str | Path | None = None) -> Config:
    """Load and validate a config file over the defaults.

    ``path=None`` uses the file named by the environment variable ``POLICYSHIFT_CONFIG`` if set,
    else ``params.toml`` in the current directory if it exists, else the defaults with the
    current directory as root. A file may start with ``extends = "other.toml"``: it then
    overrides single values of that file, and relative paths resolve against the root of the
    file it extends (the repo root for ``params.toml``).

    Raises :class:`ConfigError` (a ``ValueError``) naming the file, the key, the value, what is
    wrong and what is allowed: unknown keys or sections, wrong types, values not allowed, out of
    range, files that do not exist, bad comparisons, effects or labels.
    """
    if path is None:
        env = os.environ.get("POLICYSHIFT_CONFIG")
        candidate = Path(env) if env else Path.cwd() / DEFAULT_CONFIG_NAME
        if not candidate.exists():
            if env:
                raise ConfigError(f"POLICYSHIFT_CONFIG={env}: no such file")
            return Config(root=Path.cwd())
        path = candidate
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{_display(path)}: no such config file")
    raw, root, origins = _read_toml(path)

    def file_of(head: tuple[str, ...]) -> str:
        return _display(origins.get(tuple(head), origins.get(tuple(head[:1]), path)))

    problems = []
    known = [*_TOP_KEYS, *SECTIONS]
    for key, value in raw.items():
        if key not in known:
            table = isinstance(value, dict)
            pool = SECTIONS if table else known
            form = "[{}]" if table else "{!r}"
            what = ("unknown section" if table else "unknown key") + _suggest(key, pool, form)
            allowed = (
                ""
                if "did you mean" in what
                else "extends, results, seed, [" + "], [".join(SECTIONS) + "]"
            )
            name = f"[{key}]" if table else key
            problems.append(
                _line(
                    file_of((key,)),
                    None,
                    name,
                    dataclasses.MISSING if table else value,
                    what,
                    allowed,
                )
            )
    if problems:
        raise ConfigError(problems)
    try:
        cfg = _CONFIG.validate_python({"root": root, "source": path.resolve(), **raw})
    except ValidationError as exc:
        raise _errors(exc, Config, file_of) from exc
    problems = _missing_files(cfg, file_of)
    if problems:
        raise ConfigError(problems)
    return cfg


# ---------------------------------------------------------------------------------------------
# Docvars named by the config against the columns of a corpus
# ---------------------------------------------------------------------------------------------
_STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_BACKTICKED = re.compile(r"`([^`]+)`")
# An identifier not part of a number (2e5), an attribute (.str) or a local (@x), not called.
_IDENTIFIER = re.compile(r"(?<![\w.@])([^\W\d]\w*)\b(?!\s*\()")
_QUERY_WORDS = frozenset({"and", "or", "not", "in", "is", "True", "False", "None"})
# Columns of the paragraph unit that reports (and report-unit comparisons) do not have.
_PARAGRAPH_ONLY = ("paragraph", "section")
# Columns of the corpus tables that are data, not docvars.
_PAYLOAD = ("text", "tokens")


def condition_names(condition: str) -> tuple[str, ...]:
    """The column names a pandas query ``condition`` refers to, in order of appearance.

    Conservative: string literals, numbers, the keywords ``and or not in is``, ``True``,
    ``False``, ``None``, ``@locals``, attributes (``x.str``) and called names are skipped;
    ```backticked names``` are kept whole.
    """
    text = _STRING_LITERAL.sub(" ", condition)
    names = _BACKTICKED.findall(text)
    text = _BACKTICKED.sub(" ", text)
    names += [n for n in _IDENTIFIER.findall(text) if n not in _QUERY_WORDS]
    return tuple(dict.fromkeys(names))


def check_docvars(
    cfg: Config, columns: Iterable[str], *, stage: Literal["measures", "topics"]
) -> None:
    """Check that every docvar the config names for ``stage`` is one of ``columns``.

    ``columns`` are the column names of the corpus the stage reads (the token cache
    ``tokens/tokens.parquet`` or ``corpus/paragraphs.parquet``: ``doc_id, paragraph, section``
    and the docvars). Checked for ``"measures"``: the names in each comparison's ``target`` and
    ``reference`` (``section`` and ``paragraph`` only for ``unit = "paragraph"``),
    ``one_vs_rest``, ``tfidf_scopes`` and ``group_term_docvars``; for ``"topics"``: ``group_by``
    and the covariates of every effect.

    Raises :class:`ConfigError` naming the config file, the key (``[topics] effects[1]``), the
    unknown name and the available columns.
    """
    available = list(dict.fromkeys(str(c) for c in columns if c not in _PAYLOAD))
    per_report = [c for c in available if c not in _PARAGRAPH_ONLY]
    file = _display(cfg.source)
    problems: list[str] = []

    def need(section: str, key: str, value: Any, names: Iterable[str], pool: list[str]) -> None:
        for name in names:
            if name in pool:
                continue
            if name in available:
                what = f'docvar {name!r} exists only for paragraphs (unit = "paragraph")'
            else:
                what = f"unknown docvar {name!r}" + _suggest(name, pool)
            problems.append(_line(file, section, key, value, what, ", ".join(pool)))

    if stage == "measures":
        m = cfg.measures
        for i, comp in enumerate(m.comparisons):
            pool = available if comp.unit == "paragraph" else per_report
            for side in ("target", "reference"):
                condition = getattr(comp, side)
                if side == "reference" and condition.strip() == "rest":
                    continue
                key = f"comparisons[{i}].{side}"
                need("measures", key, condition, condition_names(condition), pool)
        if m.one_vs_rest:
            need("measures", "one_vs_rest", m.one_vs_rest, [m.one_vs_rest], per_report)
        for i, name in enumerate(m.tfidf_scopes):
            pool = [c for c in available if c != "paragraph"]
            need("measures", f"tfidf_scopes[{i}]", name, [name], pool)
        for i, name in enumerate(m.group_term_docvars):
            need("measures", f"group_term_docvars[{i}]", name, [name], per_report)
    elif stage == "topics":
        t = cfg.topics
        for i, name in enumerate(t.group_by):
            need("topics", f"group_by[{i}]", name, [name], available)
        for i, effect in enumerate(t.effects):
            need("topics", f"effects[{i}]", effect, effect.covariates, available)
    else:
        raise ValueError(f"check_docvars: stage {stage!r} is not 'measures' or 'topics'")
    if problems:
        raise ConfigError(problems)
