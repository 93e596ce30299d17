"""Restore masked characters (``*`` standing for a censored character such as 党 or 政) from
character n-gram statistics of the corpus and of a reference corpus (by default the bundled
reports; see :mod:`analysis.corpus.reference`).

Context evidence: a character 5-gram language model with stupid back-off (Brants et al. 2007,
back-off factor 0.4) over the counts of an :class:`NgramIndex`. A candidate ``c`` for the mask at
``pos`` is scored by the log-probability of the text around it with ``c`` filled in: the sum of
``log S(x_i | 4 characters before x_i)`` for ``i`` from ``pos`` up to ``context`` characters to
the right, so that both sides count (``财c策`` is the history of 策). Histories stop at another
unresolved ``*``, and the sum stops before the next one. Candidates are the Han characters seen
in the index between the mask's two neighbours, after its two left neighbours or before its two
right neighbours, plus the characters of the censor prior.

Censor prior: a censor masks a few characters (党, 政, ...), not any character. The prior over
what one text's masks stand for is estimated by EM from every mask's context distribution (each
round: the mean posterior, smoothed by one pseudo-mask spread over all candidates).

Decisions: posterior = context distribution x prior, renormalized. A mask is filled when its best
character has posterior share ``>= min_confidence`` *and* the evidence for it is real and not
the report's own: some n-gram of 3+ characters holding the character filled in and context
(``财c策``, ``中央财c``) occurs at least ``min_count`` times in the texts of the index other
than the report itself (its own counts, and those of any copy of it, are subtracted). The
report's other lines still shape the scores, but a fill never rests on them alone: with every
党 of a report masked, its own text has no 党 to offer, and the best of what it does have
(``贯彻新的二十大``, ``财税体制`` for 财政体制, at shares up to 0.95) is invention. The share is
the confidence: on bundled reports masked on purpose it is close to the share of fills that
are right (``benchmarks/restore_reliability.csv``). The surest masks are decided first:
a pass fills every confident mask whose context holds no other unresolved mask, else the single
most confident one, and the next pass rescores its neighbours. Unresolved masks keep ``*``.
Every decision is recorded with its confidence and runner-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

MASK = "*"
_P = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit multiplier of the polynomial n-gram hash
_MASK_RE = re.compile(r"(?<=[\u4e00-\u9fff])\*|\*(?=[\u4e00-\u9fff])")
_ORDER = 5  # longest n-gram counted (history of 4 characters)
_BACKOFF = 0.4  # stupid back-off factor
_PRIOR_MIN = 1e-3
# The log-scores of overlapping windows are not independent evidence: they are scaled by this.
_TEMPERATURE = 0.5
_STRENGTH = 1.0  # pseudo-masks smoothing the censor prior  # characters with at least this censor prior are always candidates


@dataclass(frozen=True)
class Restoration:
    """One masked position: its offset in the text, the character chosen (or ``*``), the
    confidence (posterior share, 0-1) and the runner-up."""

    offset: int
    char: str
    confidence: float
    context: str
    runner_up: str


class NgramIndex:
    """Counts of character n-grams (n = 1 to 5) of a list of texts, as sorted 64-bit hashes.

    Texts are joined by newlines, so no n-gram spans two texts' characters without one.
    """

    def __init__(self, texts: list[str]) -> None:
        joined = "\n".join(texts)
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        self._sorted = {n: np.sort(_hash_array(codes, n)) for n in range(1, _ORDER + 1)}
        self.n_chars = len(codes)
        # trigram keys (left, right, middle) for candidate generation
        a, b, c = codes[:-2], codes[1:-1], codes[2:]
        self._around = _sorted_unique((a << np.uint64(42)) | (c << np.uint64(21)) | b)
        self._after = _sorted_unique((a << np.uint64(42)) | (b << np.uint64(21)) | c)
        self._before = _sorted_unique((b << np.uint64(42)) | (c << np.uint64(21)) | a)

    def count(self, gram: str) -> int:
        """Occurrences of ``gram`` (1 to 5 characters) in the texts."""
        return int(self.counts(np.array([_hash_str(gram)], dtype=np.uint64), len(gram))[0])

    def counts(self, hashes: np.ndarray, n: int) -> np.ndarray:
        """Occurrences of each n-gram whose :func:`_hash_str` is in ``hashes`` (int64 array)."""
        table = self._sorted[n]
        keys, where = np.unique(hashes, return_inverse=True)  # sorted queries search faster
        found = np.searchsorted(table, keys, "right") - np.searchsorted(table, keys, "left")
        return found[where.reshape(-1)]

    def candidates(self, left_char: str, right_char: str) -> set[str]:
        """Han characters seen between ``left_char`` and ``right_char`` in the texts."""
        return self._middles(self._around, left_char, right_char)

    def one_sided_candidates(self, left: str, right: str) -> set[str]:
        """Han characters seen after ``left[-2:]`` or before ``right[:2]`` (unmasked sides)."""
        out: set[str] = set()
        if len(left) >= 2 and MASK not in left[-2:]:
            out |= self._middles(self._after, left[-2], left[-1])
        if len(right) >= 2 and MASK not in right[:2]:
            out |= self._middles(self._before, right[0], right[1])
        return out

    @staticmethod
    def _middles(table: np.ndarray, x: str, y: str) -> set[str]:
        lo = (ord(x) << 42) | (ord(y) << 21)
        i, j = np.searchsorted(table, [np.uint64(lo), np.uint64(lo + (1 << 21))])
        out = {chr(int(v) & 0x1FFFFF) for v in table[i:j]}
        return {c for c in out if "\u4e00" <= c <= "\u9fff"}


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    """``np.unique(keys)`` by a sort: numpy 2.4 takes a hash-table path for unsorted integer
    input that is about 60 times slower on the 10^7 keys of a corpus."""
    keys = np.sort(keys)
    if len(keys) < 2:
        return keys
    return keys[np.concatenate(([True], keys[1:] != keys[:-1]))]


_P_INT = 0x9E3779B97F4A7C15
_M64 = (1 << 64) - 1


def _hash_array(codes: np.ndarray, n: int) -> np.ndarray:
    """Polynomial hash of every n-gram of ``codes`` (uint64, wrapping arithmetic)."""
    h = np.zeros(max(len(codes) - n + 1, 0), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(n):
            h = h * _P + codes[j : len(codes) - n + 1 + j] + np.uint64(1)
    return h


def _hash_str(gram: str) -> int:
    """The same hash as :func:`_hash_array`, for one string, in Python integers."""
    h = 0
    for ch in gram:
        h = (h * _P_INT + ord(ch) + 1) & _M64
    return h


def masked_offsets(text: str) -> list[int]:
    """Offsets of ``*`` characters that stand next to a Han character (masks, not markup)."""
    return [m.start() for m in _MASK_RE.finditer(text)]


@dataclass(frozen=True)
class _Evidence:
    """Context distribution of one mask (candidate -> share, summing to 1) and, per candidate,
    the largest count of a two-sided n-gram (3+ characters) spanning the mask."""

    shares: dict[str, float]
    support: dict[str, int]


def restore_masks(
    text: str,
    index: NgramIndex,
    *,
    min_confidence: float = 0.8,
    context: int = 4,
    min_count: int = 2,
    passes: int | None = None,
    own: NgramIndex | None = None,
) -> tuple[str, list[Restoration]]:
    """Fill masked ``*`` characters of ``text`` using ``index`` (which holds ``text``); see the
    module docstring.

    ``min_count``: a fill needs an n-gram of 3+ characters holding it, with context, seen at
    least this often in texts other than the report itself. ``own``: the part of ``index``
    that is the report itself (``text`` and any copy of it ``index`` holds), whose counts never
    support a fill; default an index of ``text`` alone. ``passes`` bounds the rounds of
    decisions (default: one per mask). Returns the restored text and one :class:`Restoration`
    per masked position (unresolved ones keep ``char='*'``), ordered by offset.
    """
    if own is None:
        own = NgramIndex([text])
    chars = list(text)
    offsets = masked_offsets(text)
    cache: dict[tuple[str, str, tuple[str, ...]], _Evidence] = {}

    def evidence(pos: int, extra: tuple[str, ...] = ()) -> _Evidence:
        left, right = _sides(chars, pos, context)
        key = (left, right, extra)
        if key not in cache:
            cache[key] = _lm_evidence(index, own, left, right, extra)
        return cache[key]

    first = [evidence(pos).shares for pos in offsets]
    prior = _censor_prior(first)
    extra = tuple(sorted(c for c, p in prior.items() if p >= _PRIOR_MIN))
    prior_of = {
        pos: _leave_one_out(prior, q, len(offsets)) for pos, q in zip(offsets, first, strict=True)
    }
    decisions: dict[tuple[int, str, str], tuple[str | None, float, str, bool]] = {}

    def decide(pos: int) -> tuple[str | None, float, str, bool]:
        """Best fill, its confidence, the runner-up, and whether it may be filled."""
        key = (pos, *_sides(chars, pos, context))
        if key not in decisions:
            ev = evidence(pos, extra)
            post = _normalized({c: w * prior_of[pos].get(c, 0.0) for c, w in ev.shares.items()})
            best, conf, second = _rank(post)
            ok = best is not None and conf >= min_confidence and ev.support[best] >= min_count
            decisions[key] = (best, conf, second, ok)
        return decisions[key]

    open_ = set(offsets)
    last: dict[int, tuple[str | None, float, str]] = {}
    for _ in range(passes or len(offsets) + 1):
        ranked: list[tuple[float, int, str]] = []
        for pos in sorted(open_):
            best, conf, second, ok = decide(pos)
            last[pos] = (best, conf, second)
            if ok and best is not None:
                ranked.append((conf, pos, best))
        if not ranked:
            break
        clear = [r for r in ranked if not _near_open(r[1], open_, context)]
        chosen = clear or [max(ranked, key=lambda r: (r[0], -r[1]))]
        for _conf, pos, best in chosen:
            chars[pos] = best
            open_.discard(pos)
    out: list[Restoration] = []
    for pos in offsets:
        best, conf, second = last.get(pos, (None, 0.0, ""))
        left, right = _sides(chars, pos, context)
        if pos in open_:
            ctx = f"{left}[{MASK}]{right}"
            out.append(Restoration(pos, MASK, conf, ctx, best or ""))
        else:
            out.append(Restoration(pos, chars[pos], conf, f"{left}[{chars[pos]}]{right}", second))
    return "".join(chars), out


def _sides(chars: list[str], pos: int, context: int) -> tuple[str, str]:
    left = "".join(chars[max(0, pos - context) : pos])
    right = "".join(chars[pos + 1 : pos + 1 + context])
    return left, right


def _near_open(pos: int, open_: set[int], context: int) -> bool:
    """True when another unresolved mask lies within ``context`` characters of ``pos``."""
    return any(p != pos and abs(p - pos) <= context for p in open_)


def _rank(scores: dict[str, float]) -> tuple[str | None, float, str]:
    if not scores:
        return None, 0.0, ""
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    second = ranked[1][0] if len(ranked) > 1 else ""
    total = sum(scores.values())
    return ranked[0][0], (ranked[0][1] / total if total else 0.0), second


def _normalized(scores: dict[str, float]) -> dict[str, float]:
    total = sum(scores.values())
    return {c: w / total for c, w in scores.items()} if total else {}


def _censor_prior(
    contexts: list[dict[str, float]], *, strength: float = _STRENGTH, rounds: int = 20
) -> dict[str, float]:
    """What the masks of one text stand for: the mixing weights of the masked characters,
    estimated by EM from each mask's context distribution ``contexts[m]`` (candidate -> share).

    Each round sets the prior to the mean posterior (context share x prior, renormalized per
    mask), smoothed by ``strength`` pseudo-masks spread evenly over every candidate seen.
    """
    cands = sorted({c for q in contexts for c in q})
    if not cands:
        return {}
    prior = dict.fromkeys(cands, 1.0 / len(cands))
    for _ in range(rounds):
        totals = dict.fromkeys(cands, strength / len(cands))
        for q in contexts:
            post = _normalized({c: w * prior[c] for c, w in q.items()})
            for c, w in post.items():
                totals[c] += w
        norm = len(contexts) + strength
        prior = {c: v / norm for c, v in totals.items()}
    return prior


def _leave_one_out(prior: dict[str, float], q: dict[str, float], n: int) -> dict[str, float]:
    """The censor prior without the mask whose posterior is ``q x prior`` (one of ``n``), so
    that no mask votes for its own fill (keeps the pseudo-mask smoothing)."""
    if not prior:
        return {}
    post = _normalized({c: w * prior.get(c, 0.0) for c, w in q.items()})
    norm = n + _STRENGTH
    floor = _STRENGTH / len(prior) / norm
    return {c: max(p - post.get(c, 0.0) / norm, floor) for c, p in prior.items()}


def _lm_evidence(
    index: NgramIndex, own: NgramIndex, left: str, right: str, extra: tuple[str, ...]
) -> _Evidence:
    """Context distribution of a mask between ``left`` and ``right`` (see the module docstring),
    and each candidate's support: counts in ``index`` minus those of ``own`` (the report).

    ``left``/``right`` are cut at the nearest other mask; ``extra`` candidates are always scored.
    """
    left = left.rsplit(MASK, 1)[-1]
    right = right.split(MASK, 1)[0]
    cands = index.one_sided_candidates(left, right) | set(extra)
    if left and right:
        cands |= index.candidates(left[-1], right[0])
    if not cands:
        return _Evidence({}, {})
    names = sorted(cands)
    k, m = len(left), len(names)
    seq = np.empty((m, k + 1 + len(right)), dtype=np.uint64)
    seq[:, :k] = [ord(ch) for ch in left] if k else 0
    seq[:, k] = [ord(c) for c in names]
    seq[:, k + 1 :] = [ord(ch) for ch in right] if right else 0
    log_score = np.zeros(m)
    support = np.zeros(m, dtype=np.int64)
    for i in range(k, seq.shape[1]):  # each character from the mask to the right context's end
        log_score += np.log(_backoff_prob(index, seq, i))
    for start in range(max(0, k - _ORDER + 1), k + 1):  # n-grams of 3+ characters holding c
        for stop in range(max(start + 3, k + 1), min(start + _ORDER, seq.shape[1]) + 1):
            hashes = _hash_cols(seq, start, stop)
            found = index.counts(hashes, stop - start) - own.counts(hashes, stop - start)
            support = np.maximum(support, found)
    log_score *= _TEMPERATURE
    log_score -= log_score.max()
    weights = np.exp(log_score)
    shares = weights / weights.sum()
    return _Evidence(
        {c: float(s) for c, s in zip(names, shares, strict=True)},
        {c: int(s) for c, s in zip(names, support, strict=True)},
    )


def _backoff_prob(index: NgramIndex, seq: np.ndarray, i: int) -> np.ndarray:
    """Stupid back-off probability of column ``i`` of ``seq`` given up to 4 columns before it
    (one value per row); unseen characters get a count of 0.5 among all characters."""
    m = seq.shape[0]
    prob = np.zeros(m)
    found = np.zeros(m, dtype=bool)
    factor = 1.0
    for n in range(min(_ORDER, i + 1), 1, -1):
        num = index.counts(_hash_cols(seq, i - n + 1, i + 1), n)
        den = index.counts(_hash_cols(seq, i - n + 1, i), n - 1)
        hit = ~found & (num > 0)
        prob[hit] = factor * num[hit] / np.maximum(den[hit], 1)
        found |= hit
        factor *= _BACKOFF
    uni = index.counts(_hash_cols(seq, i, i + 1), 1)
    prob[~found] = factor * np.maximum(uni[~found], 0.5) / max(index.n_chars, 1)
    return prob


def _hash_cols(seq: np.ndarray, start: int, stop: int) -> np.ndarray:
    """:func:`_hash_array` of columns ``start:stop`` of each row of ``seq``."""
    h = np.zeros(seq.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(start, stop):
            h = h * _P + seq[:, j] + np.uint64(1)
    return h
