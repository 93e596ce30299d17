"""Word segmentation with the policy lexicon and stopwords: parallel, deterministic, cached.

The segmenter is jieba's algorithm (prefix DAG + max-probability route, HMM off by default) with
jieba's bundled ``dict.txt`` plus ``data/lexicon/policy_terms.txt`` (every entry at frequency
``LEXICON_FREQ``, so the longest lexicon entry wins over nested shorter ones). Two engines share
that one dictionary: ``rjieba`` (Rust, releases the GIL, the default) and ``jieba`` (the pure-Python
reference). rjieba has no constructor taking a dictionary path, so its instance starts empty
(``Jieba.empty()``) and is filled line by line from jieba's ``dict.txt`` (0.5 s). Each
:class:`Tokenizer` owns a private segmenter instance; the global ``jieba`` and ``rjieba`` default
instances are never touched. On the bundled corpus both engines give identical raw tokens.

Pipeline of :meth:`Tokenizer.tokenize` on one paragraph::

    raw_cut(text)            segmenter output, every character kept
    -> numbers               digit runs -> <num>, ... % -> <pct>, 1900-2099(年) -> <year>
    -> filter                drop tokens without a letter (punctuation, space), stopwords, and
                             single characters outside ``keep_single``
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.config import EngineConfig, TokenConfig
from analysis.engine import in_process, task_pool
from analysis.io import sha256_file
from analysis.progress import progress
from analysis.tokens.lexicon import jieba_dict_path, read_lexicon, read_wordlist
from analysis.workers import n_workers

#: Frequency given to every lexicon entry (jieba ``add_word``); far above any dict.txt count.
LEXICON_FREQ = 10**6
#: Bump when the token-mapping code changes, so cached token tables are rebuilt.
ALGORITHM_VERSION = 1
NUM, PCT, YEAR = "<num>", "<pct>", "<year>"
TOKEN_COLUMNS = ("doc_id", "paragraph", "section", "tokens")

# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------
_HAS_DIGIT = re.compile(r"\d")
_DECIMAL_POINTS = frozenset(".．·")
_PERCENT = frozenset("%％‰")
# A bare 4-digit number in 1900-2099 is a year unless a quantity unit follows (1200万人, 2000多).
_UNITS = frozenset("万亿千百十元角个人名位吨米里亩斤克项家户所台辆座次件套份头只张间条栋处多余")
_CN_DIGITS = frozenset("〇零一二三四五六七八九")
_CN_YEAR = re.compile("[〇零一二三四五六七八九]{4}年")


class _NumberKinds(dict):
    """Memo ``raw token -> one-letter kind`` for the number regex: ``d`` digits (``3``: exactly
    three), ``.`` decimal point, ``,`` comma, ``%`` percent sign, ``y`` 年, ``o`` anything else."""

    def __missing__(self, token: str) -> str:
        if token.isdecimal():
            kind = "3" if len(token) == 3 else "d"
        elif token in _DECIMAL_POINTS:
            kind = "."
        elif token in _PERCENT:
            kind = "%"
        else:
            kind = {"年": "y", ",": ","}.get(token, "o")
        self[token] = kind
        return kind


# digits, then more digit tokens (full-width digits come one per token), decimals or ,ddd groups
_NUMBER_RUN = re.compile(r"[d3](?:[d3]|\.[d3]|,3)*")


def map_numbers(tokens: list[str], kinds: dict[str, str] | None = None) -> list[str]:
    """Replace number runs in a raw token list by ``<num>``, ``<pct>`` or ``<year>``.

    A run is digit tokens joined by decimal points or thousands commas (jieba cuts ``5.2%`` into
    ``5 . 2 %``). ``<pct>`` absorbs the following ``%``/``‰``; ``<year>`` (an integer 1900-2099)
    absorbs a following ``年``; a bare 1900-2099 is a year unless a unit follows (1200万). Chinese
    numerals are left alone (十一五, 千万 are words) except years written digit by digit
    (二〇三五年), see :func:`map_cn_years`. ``kinds`` is an optional shared memo.
    """
    kinds = _NumberKinds() if kinds is None else kinds
    pattern = "".join(map(kinds.__getitem__, tokens))
    out: list[str] = []
    pos = 0
    for m in _NUMBER_RUN.finditer(pattern):
        i, j = m.span()
        out.extend(tokens[pos:i])
        number = "".join(tokens[i:j])
        nxt = pattern[j : j + 1]
        if nxt == "%":
            out.append(PCT)
            j += 1
        elif number.isdecimal() and len(number) == 4 and 1900 <= int(number) <= 2099:
            if nxt == "y":
                out.append(YEAR)
                j += 1
            elif j < len(tokens) and tokens[j][:1] in _UNITS:
                out.append(NUM)
            else:
                out.append(YEAR)
        else:
            out.append(NUM)
        pos = j
    out.extend(tokens[pos:])
    return out


def map_cn_years(tokens: list[str]) -> list[str]:
    """Replace token runs spelling a year digit by digit (二〇三五年, 一九七八年) by ``<year>``.

    Only runs whose tokens cover exactly four Chinese digits and 年 are replaced; a run glued to
    a neighbouring character by the segmenter is left as it is.
    """
    out: list[str] = []
    i, n = 0, len(tokens)
    while i < n:
        j, text = i, ""
        while j < n and len(text) < 5 and tokens[j][:1] in _CN_DIGITS:
            text += tokens[j]
            j += 1
            if text.endswith("年"):
                break
        if j > i and _CN_YEAR.fullmatch(text):
            out.append(YEAR)
            i = j
        else:
            out.append(tokens[i])
            i += 1
    return out


class _TokenMap(dict):
    """Memo ``raw token -> kept token or None``; filled on first sight of each token."""

    def __init__(self, stopwords: frozenset[str], keep_single: frozenset[str], numbers: str):
        super().__init__()
        self.stopwords = stopwords
        self.keep_single = keep_single
        placeholder = numbers == "placeholder"
        for p in (NUM, PCT, YEAR):
            self[p] = p if placeholder else None

    def __missing__(self, token: str) -> str | None:
        if (
            not any(c.isalpha() for c in token)
            or token in self.stopwords
            or (len(token) == 1 and token not in self.keep_single)
        ):
            kept = None
        else:
            kept = token
        self[token] = kept
        return kept


# ---------------------------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------------------------
def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


class Tokenizer:
    """Policy-lexicon tokenizer over a private jieba or rjieba instance.

    Parameters
    ----------
    config : TokenConfig
        Settings; relative paths are resolved against ``root``.
    root : Path
        Repo root (directory of ``params.toml``).

    ``__init__`` only stores parameters; :meth:`fit` (called lazily by every method that needs it)
    loads the dictionary, lexicon and stopwords into ``segmenter_``, ``lexicon_``, ``stopwords_``.
    """

    def __init__(self, config: TokenConfig | None = None, root: str | Path = ".") -> None:
        self.config = config if config is not None else TokenConfig()
        self.root = Path(root)

    # -- loading ------------------------------------------------------------------------------
    def _path(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else self.root / p

    def fit(self) -> Tokenizer:
        """Load dictionary + lexicon into a private segmenter; idempotent; returns ``self``."""
        if hasattr(self, "segmenter_"):
            return self
        cfg = self.config
        lexicon = read_lexicon(self._path(cfg.lexicon))
        stopwords = frozenset(w for p in cfg.stopwords for w in read_wordlist(self._path(p)))
        keep_single = frozenset(cfg.keep_single)
        if cfg.engine == "rjieba":
            segmenter = _load_rjieba(lexicon)
        elif cfg.engine == "jieba":
            segmenter = _load_jieba(lexicon)
        else:
            raise ValueError(f"unknown engine {cfg.engine!r}; use 'rjieba' or 'jieba'")
        self.lexicon_ = lexicon
        self.stopwords_ = stopwords
        self.map_ = _TokenMap(stopwords, keep_single, cfg.numbers)
        self.kinds_ = _NumberKinds()
        self.segmenter_ = segmenter
        return self

    def fingerprint(self) -> str:
        """sha256 (hex) of everything that determines the tokens; does not load the segmenter.

        Covers the lexicon and stopword file bytes, jieba's ``dict.txt``, the settings except
        ``workers`` and paths, the engine name and the jieba/rjieba versions, ALGORITHM_VERSION.
        """
        cfg = self.config
        h = hashlib.sha256()
        settings = {
            "algorithm": ALGORITHM_VERSION,
            "engine": cfg.engine,
            "hmm": cfg.hmm,
            "numbers": cfg.numbers,
            "keep_single": sorted(cfg.keep_single),
            "lexicon_freq": LEXICON_FREQ,
            "versions": {"jieba": _version("jieba"), "rjieba": _version("rjieba")},
        }
        h.update(json.dumps(settings, sort_keys=True, ensure_ascii=False).encode())
        files = [jieba_dict_path(), self._path(cfg.lexicon)]
        files += [self._path(p) for p in cfg.stopwords]
        for p in files:
            h.update(sha256_file(p).encode())
        return h.hexdigest()

    # -- segmentation -------------------------------------------------------------------------
    def raw_cut(self, text: str) -> list[str]:
        """Segmenter output before any filtering (every character of ``text`` in some token)."""
        seg = self.fit().segmenter_
        if self.config.engine == "rjieba":
            return seg.cut(text, self.config.hmm)
        return seg.lcut(text, HMM=self.config.hmm)

    def _cut_many(self, texts: list[str]) -> list[list[str]]:
        """:meth:`raw_cut` of each text; rjieba cuts them in one call joined by newlines (a
        newline is always a token of its own and segmentation never crosses it)."""
        seg = self.fit().segmenter_
        if self.config.engine != "rjieba" or any("\n" in t or "\r" in t for t in texts):
            return [self.raw_cut(t) for t in texts]
        tokens = seg.cut("\n".join(texts), self.config.hmm)
        out, start = [], 0
        for _ in range(len(texts) - 1):
            end = tokens.index("\n", start)
            out.append(tokens[start:end])
            start = end + 1
        out.append(tokens[start:])
        return out

    def _finish(self, text: str, raw: list[str]) -> list[str]:
        """Map numbers in and filter the raw tokens ``raw`` of ``text``."""
        if _HAS_DIGIT.search(text):
            raw = map_numbers(raw, self.kinds_)
        if "年" in text and _CN_YEAR.search(text):
            raw = map_cn_years(raw)
        return list(filter(None, map(self.map_.__getitem__, raw)))

    def tokenize(self, text: str) -> list[str]:
        """Tokens of ``text``: numbers mapped, punctuation/space, stopwords, single chars dropped."""
        return self._finish(text, self.raw_cut(text))

    def _tokenize_joined(self, texts: list[str]) -> str:
        """Tokens of ``texts`` as one string: tokens joined by US (0x1f), texts by RS (0x1e)."""
        raws = self._cut_many(texts)
        return _RS.join(_US.join(self._finish(t, r)) for t, r in zip(texts, raws, strict=True))

    def tokenize_many(
        self, texts: list[str], *, chunk_size: int = 512, engine: EngineConfig | None = None
    ) -> list[list[str]]:
        """Tokenize ``texts`` on ``config.workers`` processes (or on ``engine``'s Dask cluster,
        one task a chunk of ``chunk_size`` texts); output in input order.

        Each worker (a spawned interpreter, see :mod:`analysis.workers`) builds its own tokenizer
        from the same config, so nothing but text crosses processes. Processes rather than
        threads: rjieba releases the GIL while cutting, but building the Python token lists holds
        it, so threads gain only ~1.3x on 2 cores.
        """
        chunks = [texts[i : i + chunk_size] for i in range(0, len(texts), chunk_size)]
        workers = n_workers(self.config.workers, len(chunks))
        if in_process(engine, workers):
            blobs: Iterable[str] = map(self.fit()._tokenize_joined, chunks)
            return _unjoin(progress(blobs, desc="tokens", total=len(chunks)))
        with task_pool(
            engine,
            workers=workers,
            n_tasks=len(chunks),
            initializer=_init_worker,
            initargs=(self.config, self.root),
        ) as pool:
            blobs = pool.map(_work, chunks)
            return _unjoin(progress(blobs, desc="tokens", total=len(chunks)))


_US, _RS = "\x1f", "\x1e"
# Process-local slot filled by _init_worker inside pool workers only; the parent never writes it.
_WORKER: dict[str, Tokenizer] = {}


def _init_worker(config: TokenConfig, root: Path) -> None:
    _WORKER["tokenizer"] = Tokenizer(config, root).fit()


def _work(texts: list[str]) -> str:
    return _WORKER["tokenizer"]._tokenize_joined(texts)


def _unjoin(blobs: Iterable[str]) -> list[list[str]]:
    """Inverse of :meth:`Tokenizer._tokenize_joined` over a sequence of chunks."""
    out: list[list[str]] = []
    for blob in blobs:
        out.extend(s.split(_US) if s else [] for s in blob.split(_RS))
    return out


def _load_rjieba(lexicon: dict[str, str]) -> Any:
    """rjieba instance holding jieba's ``dict.txt`` (not rjieba's embedded copy) + the lexicon."""
    import rjieba

    seg = rjieba.Jieba.empty()
    with open(jieba_dict_path(), encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if parts:
                seg.add_word(parts[0], int(parts[1]), parts[2] if len(parts) > 2 else None)
    for term in lexicon:
        seg.add_word(term, LEXICON_FREQ, None)
    return seg


def _load_jieba(lexicon: dict[str, str]) -> Any:
    """Private ``jieba.Tokenizer`` with its default ``dict.txt`` + the lexicon."""
    import jieba

    seg = jieba.Tokenizer(dictionary=str(jieba_dict_path()))
    seg.initialize()
    for term in lexicon:
        seg.add_word(term, LEXICON_FREQ)
    return seg


def tokenize_lines(lines: Iterable[str], tokenizer: Tokenizer) -> Iterator[str]:
    """For ``policyshift tokenize``: yield each input line's tokens joined by single spaces."""
    for line in lines:
        yield " ".join(tokenizer.tokenize(line.rstrip("\r\n")))


# ---------------------------------------------------------------------------------------------
# Lexicon check
# ---------------------------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"[。！？；!?;]")
CHECK_COLUMNS = ("term", "doc_id", "paragraph", "kind", "sentence", "tokens")


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """Character span of the sentence of ``text`` around ``[start, end)``."""
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    m = _SENTENCE_END.search(text, end)
    return left, (m.end() if m else len(text))


def lexicon_check(
    paragraphs: pd.DataFrame, tokenizer: Tokenizer, *, include_overlaps: bool = False
) -> pd.DataFrame:
    """Occurrences of lexicon entries in ``paragraphs.text`` that the tokenizer does not keep whole.

    Every literal occurrence ``[s, e)`` of every entry is compared with the raw token spans
    (:meth:`Tokenizer.raw_cut`, before any filtering):

    - whole: one token is exactly ``[s, e)``; not reported;
    - inside: one longer token contains ``[s, e)`` (a longer lexicon entry such as 全面推进乡村振兴
      over 乡村振兴, or a longer dictionary word); not a split, not reported;
    - ``split``: tokens start at ``s`` and end at ``e`` but cut the entry inside: the entry is
      there and the tokenizer breaks it. Always reported; ``policyshift lexicon-check`` fails on it.
    - overlap: a token crossing ``s`` or ``e`` joins part of the occurrence with a neighbour, so
      the text reads differently there: ``overlap_word`` when that token is a dictionary word
      (平稳|就业 holds 稳就业, 强化|债务 holds 化债), ``overlap_lexicon`` when it is another entry
      (和美乡村|建设 holds 乡村建设). Not a split: the characters do not form the entry in that
      reading. Reported only with ``include_overlaps=True``, for review; systematic overlaps
      (a qualifier entry gluing onto an indicator, 规上工业|增加值) were fixed in the lexicon.

    Returns
    -------
    DataFrame with columns ``term, doc_id, paragraph, kind, sentence, tokens`` (raw tokens of the
    sentence joined by ``/``), in paragraph order then position; empty when the lexicon is clean.
    """
    lexicon = tokenizer.fit().lexicon_
    texts = paragraphs["text"].tolist()
    # Find occurrences with str.find over one joined string (fast), then map to paragraphs.
    joined = "\n".join(texts)
    starts = [0]
    for t in texts[:-1]:
        starts.append(starts[-1] + len(t) + 1)
    hits: dict[int, list[tuple[int, int, str]]] = {}
    for term in lexicon:
        pos = joined.find(term)
        while pos >= 0:
            row = bisect.bisect_right(starts, pos) - 1
            s = pos - starts[row]
            hits.setdefault(row, []).append((s, s + len(term), term))
            pos = joined.find(term, pos + 1)
    rows: list[dict[str, Any]] = []
    doc_ids, numbers = paragraphs["doc_id"].tolist(), paragraphs["paragraph"].tolist()
    for row in sorted(hits):
        text = texts[row]
        raw = tokenizer.raw_cut(text)
        bounds = [0]
        for tok in raw:
            bounds.append(bounds[-1] + len(tok))
        for s, e, term in sorted(hits[row]):
            a = bisect.bisect_right(bounds, s) - 1  # token holding the first character
            b = bisect.bisect_right(bounds, e - 1) - 1  # token holding the last character
            if a == b:
                continue  # whole or inside one longer token
            if bounds[a] == s and bounds[b + 1] == e:
                kind = "split"
            else:
                crossing = [raw[k] for k in (a, b) if bounds[k] < s or bounds[k + 1] > e]
                kind = "overlap_lexicon" if any(c in lexicon for c in crossing) else "overlap_word"
                if not include_overlaps:
                    continue
            left, right = _sentence(text, s, e)
            sent_tokens = [
                raw[k] for k in range(len(raw)) if bounds[k] >= left and bounds[k + 1] <= right
            ]
            rows.append(
                {
                    "term": term,
                    "doc_id": doc_ids[row],
                    "paragraph": numbers[row],
                    "kind": kind,
                    "sentence": text[left:right],
                    "tokens": "/".join(sent_tokens),
                }
            )
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS))
