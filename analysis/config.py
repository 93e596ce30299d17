"""Configuration: every tunable value lives in ``params.toml`` and is loaded into frozen dataclasses.

The defaults below are the documented defaults; ``params.toml`` at the repo root repeats them with
comments. Relative paths in a config file are resolved against the directory of that file, so the
repo root is the reference point and no machine path is ever written into the repo.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

DEFAULT_CONFIG_NAME = "params.toml"


@dataclass(frozen=True)
class IngestConfig:
    """Settings of the ingest stage (raw files -> documents and paragraphs)."""

    raw: str = "data/raw"
    metadata: str = "data/metadata.csv"
    # Convert traditional to simplified (OpenCC t2s) only in a report with at least this many
    # traditional-only characters (outside GB2312); below it, characters such as 乾 (乾县) or
    # 昇 (昇腾) are legitimate simplified text and are left alone (and reported).
    t2s_min_chars: int = 5
    # A masked character is restored when the best candidate has at least this posterior share.
    mask_min_confidence: float = 0.6
    # Characters of context on each side used to score a masked character.
    mask_context: int = 4
    # A report is flagged numbers_deleted when it has at least this many number gaps (突破亿元).
    numbers_deleted_min: int = 3
    # A report needs at least this many Han characters; a file with fewer is rejected.
    min_han_chars: int = 200
    # Lines longer than this many characters that contain whitespace are split on it (a report
    # that lost its line breaks keeps the paragraph gaps as spaces).
    long_line_chars: int = 1500
    # Share of a report's sentences found in an earlier report above which it is duplicate_of it.
    duplicate_overlap: float = 0.8


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


@dataclass(frozen=True)
class TokenConfig:
    """Settings of the tokens stage (paragraph text -> tokens).

    Paths are relative to the repo root. ``workers`` does not change the output and is left out of
    the tokenizer fingerprint.
    """

    # Policy lexicon, ``term<TAB>category`` per line; loaded at frequency LEXICON_FREQ.
    lexicon: str = "data/lexicon/policy_terms.txt"
    # Stopword lists removed after segmentation (add "stopwords/places.txt" to drop place names).
    stopwords: tuple[str, ...] = ("stopwords/general_zh.txt", "stopwords/boilerplate_gov.txt")
    # jieba's HMM guesses words missing from the dictionary; off: reproducible, lexicon-driven.
    hmm: bool = False
    # "placeholder": numbers -> <num>, percentages -> <pct>, years (2023年, bare 2023) -> <year>;
    # "drop": remove them.
    numbers: Literal["placeholder", "drop"] = "placeholder"
    # Single characters kept (all others are dropped); see DEFAULT_KEEP_SINGLE.
    keep_single: tuple[str, ...] = DEFAULT_KEEP_SINGLE
    # "rjieba" (Rust, parallel threads) or "jieba" (pure-Python reference; slow).
    engine: Literal["rjieba", "jieba"] = "rjieba"
    # Threads for tokenize_many; 0 = os.cpu_count().
    workers: int = 0


_LOCAL = "level in ['prefecture', 'county-level']"
DEFAULT_COMPARISONS: tuple[dict[str, str], ...] = (
    {
        "id": "zhejiang_local_vs_other_local",
        "label": "Zhejiang city/county reports vs other city/county reports",
        "target": f"province == '浙江省' and {_LOCAL}",
        "reference": f"province != '浙江省' and {_LOCAL}",
        "unit": "report",
    },
    {
        "id": "review_vs_plan",
        "label": "Review of past work vs plans (all reports)",
        "target": "section == 'review'",
        "reference": "section == 'plan'",
        "unit": "paragraph",
    },
    {
        "id": "provinces_2026_vs_2025",
        "label": "Provincial reports 2026 vs 2025",
        "target": "level == 'province' and year == 2026",
        "reference": "level == 'province' and year == 2025",
        "unit": "report",
    },
    {
        "id": "national_2013_2022_vs_2003_2012",
        "label": "National reports 2013-2022 vs 2003-2012",
        "target": "level == 'national' and year >= 2013 and year <= 2022",
        "reference": "level == 'national' and year >= 2003 and year <= 2012",
        "unit": "report",
    },
)


@dataclass(frozen=True)
class MeasuresConfig:
    """Settings of the measures stage (tokens and clean text -> counts, TF-IDF, keyness, concepts)."""

    # Concept dictionaries (TOML; counting rule in its header and in analysis/concepts.py).
    concepts: str = "data/concepts.toml"
    # Bootstrap replicates (resampled paragraphs) and level of the concept-rate intervals.
    n_boot: int = 1000
    ci_level: float = 0.95
    # TF-IDF: terms per group, minimum number of groups a term must occur in, and the docvars
    # whose groups get a table (besides single reports).
    tfidf_top: int = 20
    tfidf_min_df: int = 2
    tfidf_scopes: tuple[str, ...] = ("place", "province", "region", "level", "section", "doc_type")
    # Keyness comparisons: id, label, target and reference (pandas query over the unit's
    # docvars; reference "rest" = all other documents), unit "report" or "paragraph".
    comparisons: tuple[dict[str, str], ...] = DEFAULT_COMPARISONS
    # Each value of this docvar against the rest (reports with the docvar set).
    one_vs_rest: str = "region"
    # Terms per group in tables/group_term_counts.csv (word clouds), and the docvars grouped.
    group_terms: int = 300
    group_term_docvars: tuple[str, ...] = ("region", "level")
    # Characters of context on each side in KWIC tables.
    kwic_window: int = 20


@dataclass(frozen=True)
class TopicsConfig:
    """Settings of the topics stage (tokens -> LDA models, selection, stability, prevalence).

    The metrics, the K selection rule and the stability measure are described in
    ``analysis/topics.py``. ``workers`` does not change the output.
    """

    # Document unit the models are fit on: "paragraph", "section" (report x section) or "report".
    unit: Literal["paragraph", "section", "report"] = "paragraph"
    # Drop the number placeholders <num>, <pct>, <year> of the token cache.
    drop_placeholders: bool = True
    # Also drop the place names of `places` (so that no topic is just 嘉兴/海宁/南湖).
    drop_places: bool = False
    places: str = "stopwords/places.txt"
    # Keep a term found in at least `no_below` units and in at most a share `no_above` of them.
    no_below: int = 5
    no_above: float = 0.5
    # Drop units with fewer tokens than this after the term filters (counted in the log table).
    min_tokens: int = 5
    # "gensim" (LdaModel, online variational Bayes; the reference) or "tomotopy" (Gibbs LDA).
    engine: Literal["gensim", "tomotopy"] = "gensim"
    # Model selection grid: every K x every seed. Seeds are replicate ids; the random state of a
    # fit is derived from (Config.seed, K, seed).
    k_grid: tuple[int, ...] = (5, 10, 15, 20, 25, 30, 40)
    seeds: tuple[int, ...] = (1, 2, 3)
    # gensim: passes over the training units, E-step iterations per unit, units per online
    # update (0 = ceil(training units / 10), at most 2000: ten updates per pass).
    passes: int = 10
    iterations: int = 50
    chunksize: int = 0
    # tomotopy: Gibbs sampling sweeps.
    gibbs_iterations: int = 500
    # Share of units held out (seeded) to score perplexity by document completion.
    holdout: float = 0.1
    # Top words per topic scored by coherence (c_v, c_npmi, u_mass), exclusivity and diversity
    # (diversity uses the top 25, as Dieng et al. 2020).
    coherence_top_n: int = 10
    # K selection: metric (mean over seeds) and rule; "one_se": the smallest K whose mean is
    # within one standard error of the best K's mean; "best": the K with the best mean.
    select_metric: Literal["c_npmi", "c_v", "u_mass"] = "c_npmi"
    select_rule: Literal["one_se", "best"] = "one_se"
    # Fixed K overriding the rule (0 = use the rule); need not be in k_grid.
    chosen_k: int = 0
    # Stability: fits at the chosen K (the grid's seeds first, then further seeds); a topic is
    # stable when its mean matched cosine similarity across fits is at least the threshold.
    n_stability_seeds: int = 5
    stability_threshold: float = 0.8
    # Human labels of the chosen model's topics, "id=中文|English", used when K == labels_k.
    labels: tuple[str, ...] = ()
    labels_k: int = 0
    # Terms listed per topic; FREX weight on exclusivity (stm: 0.5); LDAvis relevance lambda.
    top_n: int = 20
    frex_weight: float = 0.5
    relevance_lambda: float = 0.6
    # Prevalence: bootstrap replicates (each draws one stability fit and resamples reports),
    # docvars to group by, and regressions "subset: covariate + covariate" where subset is
    # all, national or subnational.
    n_boot: int = 200
    group_by: tuple[str, ...] = ("doc_id", "region", "level", "section")
    effects: tuple[str, ...] = (
        "all: level + section + year",
        "subnational: region + level + section",
    )
    # Worker processes for the fits; 0 = all cores (does not change the output).
    workers: int = 0


@dataclass(frozen=True)
class FiguresConfig:
    """Settings of the figures stage (saved tables -> figures/); see ``params.toml``."""

    out: str = "figures"
    # CJK font file (OTF/TTF/TTC) used by every figure and word cloud. "" = the first installed
    # system CJK font (Noto Sans CJK, Source Han Sans, WenQuanYi ...), else the Noto Sans CJK SC
    # file the mplfonts package ships.
    font: str = ""
    dpi: int = 300
    # Processes drawing figures at the same time; 0 = all cores (does not change the output).
    workers: int = 0
    # Years marked in the national trend figures, year -> short English label.
    key_years: dict[str, str] = field(
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
    trend_concepts: tuple[str, ...] = ()
    # Keyness comparisons drawn (ids of tables/keyness/index.csv), terms shown per side.
    keyness_comparisons: tuple[str, ...] = (
        "review_vs_plan",
        "national_2013_2022_vs_2003_2012",
        "provinces_2026_vs_2025",
        "zhejiang_local_vs_other_local",
    )
    keyness_terms: int = 12
    # TF-IDF small multiples: one panel per place of these levels, terms per panel.
    tfidf_levels: tuple[str, ...] = ("prefecture", "county-level")
    tfidf_terms: int = 8
    # Top terms per topic in the topic-terms figure.
    topic_terms: int = 10
    # Word clouds: words per cloud, layout width x height in pixels (drawn at 3x that size).
    wordcloud_words: int = 80
    wordcloud_size: tuple[int, int] = (480, 300)


@dataclass(frozen=True)
class Config:
    """The whole configuration; ``root`` is the directory relative paths are resolved against."""

    root: Path = field(default_factory=Path.cwd)
    results: str = "results"
    seed: int = 20261124
    ingest: IngestConfig = field(default_factory=IngestConfig)
    tokens: TokenConfig = field(default_factory=TokenConfig)
    measures: MeasuresConfig = field(default_factory=MeasuresConfig)
    topics: TopicsConfig = field(default_factory=TopicsConfig)
    figures: FiguresConfig = field(default_factory=FiguresConfig)

    def path(self, relative: str | Path) -> Path:
        """Resolve a config path against :attr:`root` (absolute paths pass through)."""
        p = Path(relative)
        return p if p.is_absolute() else self.root / p

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view without ``root`` (machine specific), for manifests and hashing."""
        d = dataclasses.asdict(self)
        d.pop("root")
        return d

    def hash(self) -> str:
        """sha256 of the canonical JSON of :meth:`to_dict` (first 16 hex digits).

        ``workers`` settings are left out: they change the speed, never the output.
        """
        d = {
            key: {k: v for k, v in value.items() if k != "workers"}
            if isinstance(value, dict)
            else value
            for key, value in self.to_dict().items()
        }
        blob = json.dumps(d, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


_SECTIONS = {
    "ingest": IngestConfig,
    "tokens": TokenConfig,
    "measures": MeasuresConfig,
    "topics": TopicsConfig,
    "figures": FiguresConfig,
}


def _build(cls: type, values: dict[str, Any], where: str) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"{where}: unknown setting(s) {sorted(unknown)}; known: {sorted(names)}")
    return cls(**values)


def _read_toml(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict[str, Any], Path]:
    """Read ``path``, merged over the file it ``extends`` (if any); return it and the root."""
    path = path.resolve()
    if path in chain:
        raise ValueError(f"{path}: 'extends' loops back to itself")
    with path.open("rb") as fh:
        try:
            raw = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML: {exc}") from exc
    base = raw.pop("extends", None)
    if base is None:
        return raw, path.parent
    base_path = path.parent / base
    if not base_path.exists():
        raise ValueError(f"{path}: extends {base!r}, which does not exist")
    merged, root = _read_toml(base_path, (*chain, path))
    for key, value in raw.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged, root


def load(path: str | Path | None = None) -> Config:
    """Load a config file over the defaults.

    ``path=None`` uses the file named by the environment variable ``POLICYSHIFT_CONFIG`` if set,
    else ``params.toml`` in the current directory if it exists, else the defaults with the
    current directory as root. A file may start with ``extends = "other.toml"``: it then
    overrides single values of that file, and relative paths resolve against the root of the
    file it extends (the repo root for ``params.toml``). Unknown keys raise ``ValueError``
    naming the file.
    """
    if path is None:
        env = os.environ.get("POLICYSHIFT_CONFIG")
        candidate = Path(env) if env else Path.cwd() / DEFAULT_CONFIG_NAME
        if not candidate.exists():
            if env:
                raise ValueError(f"POLICYSHIFT_CONFIG={env}: no such file")
            return Config(root=Path.cwd())
        path = candidate
    path = Path(path)
    raw, root = _read_toml(path)
    top: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _SECTIONS:
            top[key] = _build(_SECTIONS[key], value, f"{path} [{key}]")
        else:
            top[key] = value
    return _build(Config, {"root": root, **top}, str(path))
