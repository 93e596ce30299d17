"""Restore masked characters (``*`` standing for a censored character such as 党 or 政) from the
corpus's own statistics.

Context evidence: the candidates are the Han characters seen in the corpus between the mask's
two neighbours, after its two left neighbours or before its two right neighbours. A candidate's
score sums the corpus counts of every window of 3 to 5 characters around the mask with the
candidate filled in (``财c策``, ``的财c``, ``c策利率`` …), counted in a character n-gram index of
the corpus, each weighted by 4 ** length and doubled when it has context on both sides, so that
long two-sided matches dominate (an interpolated back-off). Windows containing another unresolved
``*`` are skipped.

Censor prior: a censor masks a few characters (党, 政, …), not any character. A first pass
decides nothing; it collects the restorations with strong evidence (confidence >= 0.9 and a
winning window seen at least 5 times), whose characters give a smoothed prior over what this
document's masks stand for. Later passes multiply the context score by that prior (unseen
characters get a hundredth of the smallest prior) and restore a mask when the best character's
share of the total is at least ``min_confidence``; they repeat so that a restored neighbour
helps the next mask. Every decision is recorded with its confidence and runner-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

MASK = "*"
_P = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit multiplier of the polynomial n-gram hash
_MASK_RE = re.compile(r"(?<=[\u4e00-\u9fff])\*|\*(?=[\u4e00-\u9fff])")


@dataclass(frozen=True)
class Restoration:
    """One masked position: its offset in the text, the character chosen (or ``*``), the
    confidence (share of score, 0-1) and the runner-up."""

    offset: int
    char: str
    confidence: float
    context: str
    runner_up: str


class NgramIndex:
    """Counts of character n-grams (n = 3, 4, 5) of a corpus, as sorted 64-bit hash arrays."""

    def __init__(self, texts: list[str]) -> None:
        joined = "\n".join(texts)
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        self._sorted = {n: np.sort(_hash_array(codes, n)) for n in (3, 4, 5)}
        # trigram keys (left, right, middle) for candidate generation
        a, b, c = codes[:-2], codes[1:-1], codes[2:]
        self._around = np.unique((a << np.uint64(42)) | (c << np.uint64(21)) | b)
        self._after = np.unique((a << np.uint64(42)) | (b << np.uint64(21)) | c)
        self._before = np.unique((b << np.uint64(42)) | (c << np.uint64(21)) | a)

    def count(self, gram: str) -> int:
        """Occurrences of ``gram`` (3 to 5 characters) in the corpus."""
        table = self._sorted[len(gram)]
        h = np.uint64(_hash_str(gram))
        return int(np.searchsorted(table, h, "right") - np.searchsorted(table, h, "left"))

    def candidates(self, left_char: str, right_char: str) -> set[str]:
        """Han characters seen between ``left_char`` and ``right_char`` in the corpus."""
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


_P_INT = 0x9E3779B97F4A7C15
_M64 = (1 << 64) - 1


def _hash_array(codes: np.ndarray, n: int) -> np.ndarray:
    """Polynomial hash of every n-gram of ``codes`` (uint64, wrapping arithmetic)."""
    h = np.zeros(len(codes) - n + 1, dtype=np.uint64)
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


def restore_masks(
    text: str,
    index: NgramIndex,
    *,
    min_confidence: float = 0.8,
    context: int = 4,
    passes: int = 4,
) -> tuple[str, list[Restoration]]:
    """Fill masked ``*`` characters of ``text`` using ``index``; see the module docstring.

    Returns the restored text and one :class:`Restoration` per masked position (unresolved
    ones keep ``char='*'``), ordered by offset.
    """
    chars = list(text)
    offsets = masked_offsets(text)
    strong: list[str] = []
    for pos in offsets:  # pass 0: estimate the censor prior only
        scores, best_count = _context_scores(index, chars, pos, context)
        best, conf, _ = _rank(scores)
        if best is not None and conf >= 0.9 and best_count >= 5:
            strong.append(best)
    prior = _prior(strong)
    done: dict[int, Restoration] = {}
    for _ in range(passes):
        progress = False
        for pos in offsets:
            if pos in done and done[pos].char != MASK:
                continue
            scores, _ = _context_scores(index, chars, pos, context)
            if prior:
                floor = min(prior.values()) / 100
                scores = {c: w * prior.get(c, floor) for c, w in scores.items()}
            best, conf, second = _rank(scores)
            left = "".join(chars[max(0, pos - context) : pos])
            right = "".join(chars[pos + 1 : pos + 1 + context])
            ctx = f"{left}[{best or MASK}]{right}"
            if best is not None and conf >= min_confidence:
                chars[pos] = best
                done[pos] = Restoration(pos, best, conf, ctx, second)
                progress = True
            else:
                done[pos] = Restoration(pos, MASK, conf, ctx, best or "")
        if not progress:
            break
    return "".join(chars), [done[p] for p in sorted(done)]


def _rank(scores: dict[str, float]) -> tuple[str | None, float, str]:
    if not scores:
        return None, 0.0, ""
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    second = ranked[1][0] if len(ranked) > 1 else ""
    return ranked[0][0], ranked[0][1] / sum(scores.values()), second


def _prior(chars: list[str]) -> dict[str, float]:
    """Smoothed share of each character among strong restorations (add-0.5)."""
    counts: dict[str, int] = {}
    for c in chars:
        counts[c] = counts.get(c, 0) + 1
    total = sum(counts.values()) + 0.5 * len(counts)
    return {c: (n + 0.5) / total for c, n in counts.items()}


def _context_scores(
    index: NgramIndex, chars: list[str], pos: int, context: int
) -> tuple[dict[str, float], int]:
    """Candidate -> interpolated window score, and the largest single window count seen."""
    left = "".join(chars[max(0, pos - context) : pos])
    right = "".join(chars[pos + 1 : pos + 1 + context])
    cands = index.one_sided_candidates(left, right)
    if left and right and MASK not in (left[-1], right[0]):
        cands |= index.candidates(left[-1], right[0])
    scores: dict[str, float] = {}
    best_count = 0
    for cand in cands:
        total = 0.0
        for n in (3, 4, 5):
            for k in range(n):  # k characters of left context, n - 1 - k of right context
                r = n - 1 - k
                if k > len(left) or r > len(right):
                    continue
                gram = (left[len(left) - k :] if k else "") + cand + right[:r]
                if MASK in gram:
                    continue
                c = index.count(gram)
                if c:
                    total += c * 4.0**n * (2.0 if k and r else 1.0)
                    if k and r:
                        best_count = max(best_count, c)
        if total:
            scores[cand] = total
    return scores, best_count
