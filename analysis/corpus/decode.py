"""Decode raw bytes into text, detecting the encoding: UTF-8 (with or without BOM), UTF-16 LE/BE
(with or without BOM), GB18030 (a superset of GBK and GB2312) and Big5.

:func:`decode_report` chooses the codec by the statistics of the decoded text (the share of
plausible characters on a bounded sample), keeps what precedes a last character cut in the
middle, removes stray control characters, and repairs mojibake (UTF-8 bytes once read as GBK or
Windows-1252 and saved again) where the round trip is exact; every such change is counted in
the returned :class:`Decoded`. :func:`decode_bytes` is the older ``(text, encoding)`` form.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field, replace

import ftfy

SAMPLE_BYTES = 64 * 1024  # size of each scored sample (the head and the middle of a file)
MIN_PLAUSIBLE = 0.5  # a codec whose sample has a lower plausible share is not text
MAX_UNREPAIRED_MOJIBAKE = 0.01  # reject a report with more unrepairable mojibake than this share
# UTF-8 with stray invalid bytes (a byte flipped or inserted by a copy, a scraper's splice): up to
# this many invalid sequences, or one per this many bytes if more, are removed and counted;
# more than that is not UTF-8 with a stray byte, and the file is rejected.
MAX_STRAY, STRAY_PER_BYTES = 16, 10_000
# tried in this order; on equal scores the earlier wins
CANDIDATES = ("utf-8", "gb18030", "utf-16-le", "utf-16-be", "big5")
BOMS = (
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le-bom"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be-bom"),
)
# magic numbers of binary formats users put next to their .txt files
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"PK\x03\x04", "zip archive (e.g. .docx, .xlsx)"),
    (b"%PDF-", "PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE document (e.g. .doc, .xls)"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\x7fELF", "executable"),
)


def _level(codec: str, leads: range, trails: list[int]) -> str:
    """Every character of ``codec`` with a two-byte code of these lead and trail bytes."""
    chars = []
    for a in leads:
        for b in trails:
            try:
                chars.append(bytes((a, b)).decode(codec))
            except UnicodeDecodeError:
                continue
    return "".join(chars)


# Common characters: GB2312 level 1 (the 3,755 常用字) and Big5 level 1 (5,401 常用字, the
# traditional forms), plus ASCII text, CJK and full-width punctuation and the symbols of
# reports (· × ° ± ∶ ① ℃ ㎡ ■ ★ ...). Wrong codecs and mojibake yield rare characters instead: on
# the bundled corpus at least 97.9% of every file is plausible, at most 34% of its UTF-8 bytes
# read as GBK and 18% read as Windows-1252.
_COMMON = "".join(
    sorted(
        set(_level("gb2312", range(0xB0, 0xD8), list(range(0xA1, 0xFF))))
        | set(_level("big5", range(0xA4, 0xC7), [*range(0x40, 0x7F), *range(0xA1, 0xFF)]))
    )
)
_PLAUSIBLE_CLASS = (
    "\t\n\r\f\x20-\x7e\u00b0\u00b1\u00b7\u00d7\u00f7\u2010-\u2027\u2030-\u205e\u2100-\u22ff"
    "\u2460-\u24ff\u25a0-\u27bf\u3000-\u303f\u3200-\u33ff\ufe30-\ufe4f\uff00-\uffef"
    + re.escape(_COMMON)
)
_PLAUSIBLE_RE = re.compile(f"[{_PLAUSIBLE_CLASS}]+")
_IMPLAUSIBLE_RE = re.compile(f"[^{_PLAUSIBLE_CLASS}]")
_SUSPECT_RE = re.compile(f"[^{_PLAUSIBLE_CLASS}]{{2,}}")  # two implausible characters in a row
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]+")
# C0 controls other than \t \n \f \r: never text, removed and counted
_CONTROL = dict.fromkeys([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20)])
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f]")
# what GBK makes of U+FFFD twice in UTF-8 (EF BF BD EF BF BD): bytes lost before the mojibake
_LOST = ("锟斤拷", "\ufffd")


class DecodeError(ValueError):
    """Raised with a human-readable reason when bytes cannot be decoded as Chinese text.

    ``columns`` holds the ingest report columns measured before the rejection (e.g.
    ``mojibake_share``)."""

    def __init__(self, reason: str, columns: dict[str, object] | None = None) -> None:
        super().__init__(reason)
        self.columns = columns or {}


@dataclass(frozen=True)
class Decoded:
    """What :func:`decode_report` made of a file's bytes.

    ``truncated_bytes``: bytes of a last character cut in the middle, dropped (0-3);
    ``control_removed``: C0 control characters removed (NUL, ESC, ...; not tab, line breaks or
    form feed); ``mojibake_share``: share of the text's characters (0-1) in spans found to be
    mojibake; ``repaired``: characters of the text as decoded that were replaced by their
    repair; ``mojibake_kind``: how those spans were mis-decoded (``"gbk"`` for UTF-8 read as
    GBK, ``"cp1252"`` for UTF-8 read as Windows-1252 or Latin-1, joined by ``+``), or ``""``;
    ``invalid_removed``: invalid UTF-8 byte sequences (stray bytes) removed.
    """

    text: str
    encoding: str
    truncated_bytes: int = 0
    control_removed: int = 0
    mojibake_share: float = 0.0
    repaired: int = 0
    mojibake_kind: str = ""
    rules: dict[str, int] = field(default_factory=dict)
    invalid_removed: int = 0

    def columns(self) -> dict[str, object]:
        """The ingest report columns of this decoding."""
        return {
            "encoding": self.encoding,
            "truncated_bytes": self.truncated_bytes,
            "control_chars_removed": self.control_removed,
            "mojibake_share": round(self.mojibake_share, 4),
            "mojibake_repaired": self.repaired,
            "invalid_sequences_removed": self.invalid_removed,
        }

    def note(self) -> str:
        """A reason line for the ingest report saying what was changed, or ``""``."""
        notes = []
        if self.truncated_bytes:
            notes.append(f"last character cut: {self.truncated_bytes} byte(s) dropped at the end")
        if self.control_removed:
            notes.append(f"{self.control_removed} control character(s) (NUL, ...) removed")
        if self.invalid_removed:
            notes.append(f"{self.invalid_removed} invalid UTF-8 byte sequence(s) removed")
        if self.repaired:
            notes.append(
                f"mojibake repaired ({self.mojibake_share:.1%} of characters, "
                f"{_KIND_NAMES[self.mojibake_kind]}; {self.repaired} characters re-decoded)"
            )
        return "; ".join(notes)


_KIND_NAMES = {
    "gbk": "UTF-8 read as GBK",
    "cp1252": "UTF-8 read as Windows-1252",
    "gbk+cp1252": "UTF-8 read as GBK and as Windows-1252",
}


def plausible_share(text: str) -> float:
    """Share (0-1) of the characters of ``text`` that are common Chinese characters, ASCII text
    or punctuation; 0.0 for an empty text. Cost O(len(text)), one copy of it at most."""
    if not text:
        return 0.0
    return 1 - len(_PLAUSIBLE_RE.sub("", text)) / len(text)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data``; return ``(text, encoding)`` (see :func:`decode_report`)."""
    decoded = decode_report(data)
    return decoded.text, decoded.encoding


def decode_report(data: bytes, *, max_mojibake: float = MAX_UNREPAIRED_MOJIBAKE) -> Decoded:
    """Decode the bytes of one file into text, counting every change.

    Order: byte-order marks (UTF-8, UTF-16 LE/BE); else each of :data:`CANDIDATES` scored by
    :func:`plausible_share` of its decoding of the first and middle :data:`SAMPLE_BYTES`, the
    best decoding the whole. A last character cut in the middle is dropped, C0 control
    characters removed, mojibake spans repaired (:func:`repair_mojibake`). Raises
    :class:`DecodeError` for empty input, binary data, bytes no codec accepts and a report
    whose unrepairable mojibake exceeds ``max_mojibake`` (share of characters).
    """
    if not data:
        raise DecodeError("empty file (0 bytes)")
    for magic, kind in SIGNATURES:
        if data.startswith(magic):
            raise DecodeError(f"binary file: {kind} header, not a text encoding")
    for bom, name, label in BOMS:
        if data.startswith(bom):
            text, cut = _decode_whole(data, name, skip=len(bom))
            return _finish(text, label, cut, max_mojibake)
    try:
        return _decode_ranked(data, max_mojibake)
    except DecodeError:
        stray = _without_stray_bytes(data)
        if stray is None:
            raise
    text, invalid = stray
    return replace(_finish(text, "utf-8", 0, max_mojibake), invalid_removed=invalid)


def _decode_ranked(data: bytes, max_mojibake: float) -> Decoded:
    """The best-ranked candidate codec that decodes ``data`` strictly (see
    :func:`decode_report`)."""
    ranked = _rank_codecs(data)
    if not ranked or ranked[0][0] < MIN_PLAUSIBLE:
        raise DecodeError(_undecodable_reason(data, ranked))
    errors = []
    for _score, name in ranked:
        try:
            text, cut = _decode_whole(data, name)
        except DecodeError as exc:
            errors.append(str(exc))
            continue
        return _finish(text, name, cut, max_mojibake)
    raise DecodeError("; ".join(errors))


def _without_stray_bytes(data: bytes) -> tuple[str, int] | None:
    """UTF-8 text with a few invalid byte sequences: ``(text without them, their number)``,
    or None when ``data`` is not that (no invalid sequence, more than :data:`MAX_STRAY` or one
    per :data:`STRAY_PER_BYTES` bytes, a U+FFFD of its own, or implausible text)."""
    if b"\xef\xbf\xbd" in data:  # a replacement character of its own: cannot tell them apart
        return None
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd")
    if not invalid or invalid > max(MAX_STRAY, len(data) // STRAY_PER_BYTES):
        return None
    text = text.replace("\ufffd", "")
    if plausible_share(text) < MIN_PLAUSIBLE:
        return None
    return text, invalid


def _finish(text: str, encoding: str, cut: int, max_mojibake: float) -> Decoded:
    """Remove control characters and repair mojibake of a decoded ``text``."""
    n = len(text)
    if _CONTROL_RE.search(text):
        text = text.translate(_CONTROL)
    removed = n - len(text)
    text, share, repaired, unrepaired, kind = repair_mojibake(text)
    rules = {"control_chars": removed, "mojibake_repaired": repaired}
    decoded = Decoded(
        text, encoding, cut, removed, share, repaired, kind, {k: v for k, v in rules.items() if v}
    )
    if unrepaired > max_mojibake * max(len(text), 1):
        raise DecodeError(
            f"mojibake: {share:.1%} of characters look like UTF-8 read with another codec "
            f"(GBK or Windows-1252), {unrepaired} of them with no exact repair (bytes were "
            "lost when it was saved); re-export the file from its source",
            decoded.columns(),
        )
    return decoded


def _decode_whole(data: bytes, name: str, *, skip: int = 0) -> tuple[str, int]:
    """Decode ``data[skip:]`` strictly; a last character cut in the middle is dropped. Returns
    ``(text, bytes dropped)``."""
    decoder = codecs.getincrementaldecoder(name)("strict")
    try:
        text = decoder.decode(memoryview(data)[skip:], final=False)
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"undecodable bytes: invalid {name} at offset {skip + exc.start}"
        ) from exc
    return text, len(decoder.getstate()[0])


def _samples(data: bytes, name: str) -> list[bytes]:
    """The bytes :func:`_rank_codecs` decodes with codec ``name``: the whole of a small file,
    else its first and its middle :data:`SAMPLE_BYTES`, the middle starting on a character
    boundary (an even offset in UTF-16, after a line feed in the other codecs)."""
    if len(data) <= 2 * SAMPLE_BYTES:
        return [data]
    mid = len(data) // 2
    if name.startswith("utf-16"):
        mid -= mid % 2
    else:
        newline = data.find(b"\n", mid, mid + SAMPLE_BYTES // 2)
        if newline < 0:
            return [data[:SAMPLE_BYTES]]
        mid = newline + 1
    return [data[:SAMPLE_BYTES], data[mid : mid + SAMPLE_BYTES]]


def _rank_codecs(data: bytes) -> list[tuple[float, str]]:
    """``(plausible share, codec)`` of every candidate codec that decodes the samples, best
    first (ties in :data:`CANDIDATES` order). A decoding with more than 1% control characters
    is binary data, not a candidate; an implausible UTF-8 decoding mostly in mojibake scores
    as repaired (:func:`decode_report` repairs it or rejects it as mojibake).
    Plausible UTF-8 (90%) is taken without trying the others."""
    scores: list[tuple[float, int, str]] = []
    for rank, name in enumerate(CANDIDATES):
        if scores and scores[0][2] == "utf-8" and scores[0][0] >= 0.9:
            break  # valid, plausible UTF-8: other codecs of its bytes give mojibake
        texts = []
        for sample in _samples(data, name):
            decoder = codecs.getincrementaldecoder(name)("strict")
            try:
                texts.append(decoder.decode(sample, final=False))
            except UnicodeDecodeError:
                break
        else:
            text = "".join(texts)
            if len(text) - len(text.translate(_CONTROL)) > 0.01 * len(text):
                continue  # binary data that happens to decode
            score = plausible_share(text)
            if score < MIN_PLAUSIBLE and name == "utf-8":
                # mojibake saved as UTF-8: the share once repaired, at least MIN_PLAUSIBLE
                # (decode_report then rejects it as mojibake if it has no exact repair)
                repaired, share, *_ = repair_mojibake(text)
                if share > 0.2:
                    score = max(MIN_PLAUSIBLE, plausible_share(repaired))
            scores.append((score, -rank, name))
    return [(s, name) for s, _, name in sorted(scores, reverse=True)]


def _undecodable_reason(data: bytes, ranked: list[tuple[float, str]]) -> str:
    """Why no candidate codec gives text: binary data (control bytes), or implausible text."""
    head = data[:SAMPLE_BYTES]
    controls = len(head) - len(head.translate(None, bytes(_CONTROL)))
    if controls > 0.01 * len(head):
        return (
            f"binary file: {controls} NUL or control bytes in the first {len(head)} bytes, "
            "not text in UTF-8, UTF-16, GB18030 or Big5"
        )
    if not ranked:
        return "undecodable bytes: not UTF-8, UTF-16, GB18030 or Big5"
    score, name = ranked[0]
    return f"undecodable bytes: best guess {name} gives implausible text ({score:.0%} plausible)"


def repair_mojibake(text: str) -> tuple[str, float, int, int, str]:
    """Find and repair mojibake in ``text``: UTF-8 bytes that were decoded as GBK (鍙戝睍 for 发展)
    or Windows-1252 / Latin-1 (å‘展) and saved again.

    A run of non-ASCII characters is mojibake when re-encoding it with the wrong codec and
    decoding as UTF-8 gives plausible text: strictly (repaired) or only leniently, or it holds
    锟斤拷 / U+FFFD (unrepairable). First only the lines with two implausible characters in a row
    are examined; if they hold mojibake, every line with an implausible character is, and a
    run there is repaired whenever its strict round trip gives plausible text (路 for ·, 3路16).
    Returns ``(text, mojibake share of characters, characters repaired, characters
    unrepairable, kinds)``; cost O(len(text)) for a text without mojibake.
    """
    if not _scan(text, _SUSPECT_RE, in_context=False, first_only=True):
        return text, 0.0, 0, 0, ""
    found = _scan(text, _IMPLAUSIBLE_RE, in_context=True, first_only=False)
    pieces: list[str] = []
    done = bad = repaired = unrepaired = 0  # text[:done] is in pieces
    kinds: set[str] = set()
    for start, end, fixed, kind in found:
        bad += end - start
        if fixed is None:
            unrepaired += end - start
            continue
        kinds.add(kind)
        repaired += end - start
        pieces += [text[done:start], fixed]
        done = end
    share = bad / len(text)
    if pieces:
        pieces.append(text[done:])
        text = "".join(pieces)
    return text, share, repaired, unrepaired, "+".join(sorted(kinds))


def _scan(
    text: str, trigger: re.Pattern, *, in_context: bool, first_only: bool
) -> list[tuple[int, int, str | None, str]]:
    """``(start, end, repair or None, kind)`` of the mojibake runs of the lines of ``text``
    where ``trigger`` matches (only the first with ``first_only``); see :func:`_repair_run`."""
    found = []
    line_end = -1
    for m in trigger.finditer(text):
        if m.start() < line_end:
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        line_end = len(text) if line_end < 0 else line_end
        for seg in _NON_ASCII_RE.finditer(text, line_start, line_end):
            fixed, kind = _repair_run(seg.group(), in_context=in_context)
            if kind is not None:
                found.append((seg.start(), seg.end(), fixed, kind))
                if first_only:
                    return found
    return found


def _repair_run(run: str, *, in_context: bool) -> tuple[str | None, str | None]:
    """``(repair, kind)`` of a non-ASCII run that is mojibake, ``(None, kind)`` if it has no
    exact repair, ``(None, None)`` if it is not mojibake. ``in_context``: the text is known to
    hold mojibake, so a plausible strict round trip suffices, even of a plausible run."""
    lost = any(s in run for s in _LOST)
    before = -1.0 if in_context else plausible_share(run)
    if before >= 0.9 and not lost:
        return None, None
    for kind, wrong in (("gbk", "gb18030"), ("gbk", "gbk"), ("cp1252", "sloppy-windows-1252")):
        try:
            fixed = run.encode(wrong).decode("utf-8")
        except UnicodeError:
            continue
        if "\ufffd" not in fixed and _better(fixed, before):
            return fixed, kind
    if in_context:
        before = plausible_share(run)
        if before >= 0.9 and not lost:
            return None, None
    fixed = ftfy.fix_encoding(run)
    if fixed != run and "\ufffd" not in fixed and _better(fixed, before):
        return fixed, "cp1252"
    if lost:
        return None, "gbk"
    for kind, wrong in (("gbk", "gb18030"), ("cp1252", "sloppy-windows-1252")):
        lenient = run.encode(wrong, errors="replace").decode("utf-8", errors="replace")
        if len(_NON_ASCII_RE.sub("", lenient)) < len(lenient) - 1 and _better(
            lenient, before, at_least=0.8
        ):
            return None, kind
    return None, None


def _better(fixed: str, before: float, *, at_least: float = 0.6) -> bool:
    """Whether ``fixed`` (a run re-decoded) is plausible text, more so than the run was (a
    strict round trip through the wrong codec and UTF-8 is rare by chance, so 0.6 suffices:
    a short run may hold a rare character, 驿 in 文旅驿站)."""
    share = plausible_share(fixed)
    return share >= at_least and share > before + 0.2
