"""Split pages into reports, strip tables of contents and glossaries, and build paragraphs.

All functions are pure (``str`` in, ``str``/lists and counts out).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_PLACE = r"[\u4e00-\u9fff]{2,12}?"
TITLE_RE = re.compile(
    rf"^(?:(?P<y1>\d{{4}})年(?P<p1>{_PLACE})(?:人民)?政府工作报告"
    rf"|(?P<p2>{_PLACE})(?P<y2>\d{{4}})年(?:人民)?政府工作报告"
    rf"|(?P<p3>{_PLACE})人民政府工作报告)$"
)
HEADING_RE = re.compile(
    r"^([一二三四五六七八九十]{1,3}[、.]|\([一二三四五六七八九十]{1,3}\)|\d{1,2}[.、])"
)
FOOTNOTE_RE = re.compile(r"^@?[①-⑳]")
GLOSSARY_RE = re.compile(
    r"^(附件\s*\d*\s*)?([^。,]{0,20})?名词[、和]?(?:术语)?(解释|注释)\s*[:：]?$|^.{0,8}注释\s*[:：]?$"
)
# a bare attachment line announcing what follows (附件, 附件2：, 附件一)
ATTACHMENT_LINE_RE = re.compile(r"附件\s*[\d一二三四五六七八九十]*\s*[:：]?")
# the heading of material appended after the speech (附件1, 附件：…, 附件一, 附表, 附录)
APPENDIX_HEAD_RE = re.compile(
    r"^(?:附件|附表|附录)\s*[\d一二三四五六七八九十]*\s*(?:[:：][^。]{0,40})?$"
)
# a closing paragraph: 让我们……而努力奋斗！, ……奋斗, 谢谢, or an appeal with 让我们 ending in ！
CLOSING_RE = re.compile(
    r"^让我们|(?:奋斗|前进|奋进|努力|万岁|谢谢(?:大家)?)[!！。.]?$|让我们[^。]*[。,，][^。]*[!！]$"
)
# an address that turns to the next part of a speech, run into its text (各位代表！过去一年…)
MID_SPEECH_RE = re.compile(r"^(?:各位(?:人大)?代表|同志们|代表们)[!！]\s*\S{10,}")
# the opening of a report: who reports to whom (我代表市人民政府，向大会报告工作)
OPENING_RE = re.compile(
    r"我代表.{0,30}(?:人民政府|国务院|管委会|管理委员会|筹备组|政府)|向(?:本次)?大会(?:报告|作)"
)


@dataclass(frozen=True)
class Part:
    """One report cut out of a page: its title line (may be empty) and text."""

    title: str
    text: str


def split_reports(text: str, *, min_han: int = 200) -> list[Part]:
    """Split a page into reports at title lines (``2023年XX市政府工作报告``,
    ``XX市2023年政府工作报告``, ``XX市人民政府工作报告``).

    Text before the first title belongs to the first report; a part with fewer than ``min_han``
    Han characters (e.g. a repeated title and date line) is merged into the next part.
    """
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if TITLE_RE.match(line.strip())]
    if len(starts) < 2:
        title = lines[starts[0]].strip() if starts else ""
        return [Part(title, text)]
    bounds = [0, *starts[1:], len(lines)]
    parts = [
        Part(lines[starts[k]].strip(), "\n".join(lines[bounds[k] : bounds[k + 1]]))
        for k in range(len(starts))
    ]
    merged: list[Part] = []
    carry = ""
    for part in parts:
        body = carry + part.text
        if _n_han(body) < min_han:
            carry = body + "\n"
            continue
        merged.append(Part(part.title, body))
        carry = ""
    if carry and merged:
        last = merged[-1]
        merged[-1] = Part(last.title, last.text + "\n" + carry)
    return merged or [Part(parts[0].title, text)]


def drop_repeated_copies(text: str, *, min_run: int = 10, min_chars: int = 15) -> tuple[str, str]:
    """Remove later copies of a text repeated within one page (a web page saved several times).

    A copy is a run of at least ``min_run`` consecutive long lines (``min_chars``+ characters,
    blank and short lines in between ignored) equal, in order, to an earlier run; the lines
    from its first to its last long line are removed, so the first copy stays whole. Different
    reports of a compilation never share such a run. Returns ``(text, removed)``.
    """
    lines = text.split("\n")
    long_at = [i for i, line in enumerate(lines) if len(line.strip()) >= min_chars]
    seq = [lines[i].strip() for i in long_at]
    first: dict[str, int] = {}
    drop = [False] * len(lines)
    j = 0
    while j < len(seq):
        i = first.get(seq[j])
        if i is not None and i < j:
            n = 0
            while j + n < len(seq) and i + n < j and seq[i + n] == seq[j + n]:
                n += 1
            if n >= min_run:
                for k in range(long_at[j], long_at[j + n - 1] + 1):
                    drop[k] = True
                j += n
                continue
        first.setdefault(seq[j], j)
        j += 1
    if not any(drop):
        return text, ""
    kept = "\n".join(x for x, d in zip(lines, drop, strict=True) if not d)
    removed = "\n".join(x for x, d in zip(lines, drop, strict=True) if d)
    return kept, removed


def sentences(text: str, *, min_chars: int = 15) -> set[str]:
    """The distinct sentences of ``text`` (cut at 。 ! ? and line breaks) of ``min_chars`` or
    more characters: the unit of near-duplicate detection."""
    return {s for s in re.split(r"[。!?！？\n]", text) if len(s) >= min_chars}


def _n_han(text: str) -> int:
    return sum("\u4e00" <= c <= "\u9fff" for c in text)


def title_place_year(title: str) -> tuple[str | None, int | None]:
    """Place and year named by a title line, ``(None, None)`` if it is not one."""
    m = TITLE_RE.match(title.strip())
    if not m:
        return None, None
    place = m.group("p1") or m.group("p2") or m.group("p3")
    year = m.group("y1") or m.group("y2")
    return place, int(year) if year else None


def strip_toc(text: str) -> tuple[str, str]:
    """Remove a table of contents that repeats the body's headings.

    A TOC is a run of at least five short lines (no 。, at most 40 characters) near the top,
    mostly heading-like (一、 (一) 1.), of which at least three reappear later as the start of a
    body line. Returns ``(text, removed)``.
    """
    lines = text.split("\n")
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    if not nonblank:
        return text, ""
    run: list[int] = []
    for i in nonblank:
        s = lines[i].strip()
        if len(s) <= 40 and "。" not in s:
            run.append(i)
        else:
            break
    if len(run) < 5:
        return text, ""
    heads = [lines[i].strip() for i in run]
    heading_like = sum(bool(HEADING_RE.match(h)) or h == "目录" for h in heads)
    if heading_like < 0.6 * len(heads):
        return text, ""
    rest = [line.strip() for line in lines[run[-1] + 1 :] if line.strip()]
    reappear = sum(any(r.startswith(h) for r in rest) for h in heads if HEADING_RE.match(h))
    if reappear < 3:
        return text, ""
    # keep a report title that closes the run (it is the body's first line, not the TOC)
    cut = run[-1] + 1
    if TITLE_RE.match(lines[run[-1]].strip()):
        cut = run[-1]
    removed = "\n".join(lines[:cut])
    return "\n".join(lines[cut:]), removed


def split_glossary(text: str) -> tuple[str, str]:
    """Split an appended glossary (名词解释 / 名词注释 / 注释) off the end of a report.

    The glossary heading must lie in the second half of the text, or past its first quarter
    after a closing paragraph (:data:`CLOSING_RE`; appendices longer than the speech); a bare
    ``附件`` line just before it goes with it, and so does everything after it. Without a
    glossary, editorial footnotes closing the text (lines opening with ①…⑳) are split off the
    same way. Returns ``(speech, glossary)``.
    """
    lines = text.split("\n")
    total = len(text)
    pos = 0
    closed = False
    for i, line in enumerate(lines):
        after_closing = closed and pos > total / 4
        if (pos > total / 2 or after_closing) and GLOSSARY_RE.match(line.strip()):
            prev = [k for k in range(i) if lines[k].strip()]
            if prev and ATTACHMENT_LINE_RE.fullmatch(lines[prev[-1]].strip()):
                i = prev[-1]  # the bare 附件 line that announces the glossary
            return "\n".join(lines[:i]), "\n".join(lines[i:])
        closed = closed or (pos > total / 4 and bool(CLOSING_RE.search(line.strip())))
        pos += len(line) + 1
    # editorial footnotes at the very end (Wikisource: "@①原字石右加安")
    end = len(lines)
    while end > 0 and (not lines[end - 1].strip() or FOOTNOTE_RE.match(lines[end - 1].strip())):
        end -= 1
    if any(lines[k].strip() for k in range(end, len(lines))):
        return "\n".join(lines[:end]), "\n".join(lines[end:]).strip("\n")
    return text, ""


def build_paragraphs(text: str, *, long_line_chars: int = 1500) -> tuple[list[str], Counter[str]]:
    """Cut a cleaned report into paragraphs.

    - Texts whose paragraphs are separated by blank lines (Wikisource, where linked terms stand on
      their own line) join the lines of each block; other texts take each line as a paragraph.
    - A paragraph longer than ``long_line_chars`` (a report that lost its line breaks) is split on
      runs of whitespace, or, without whitespace, before headings (一、 (一) 各位代表).
    - Exact repeats of a paragraph of 12+ characters are dropped (repeated page copies).

    - Paragraphs without any letter, digit or Han character (a stray ``|``) are dropped.

    Returns the paragraphs and counts: ``joined_lines``, ``split_long_lines``, ``repeated_text``
    and ``punctuation_only`` (characters removed).
    """
    counts: Counter[str] = Counter()
    lines = text.split("\n")
    n_blank = sum(not x.strip() for x in lines)
    blocks: list[str] = []
    if n_blank >= 10 and n_blank >= 0.25 * len(lines):
        block: list[str] = []
        for line in [*lines, ""]:
            if line.strip():
                block.append(line.strip())
            elif block:
                counts["joined_lines"] += len(block) - 1
                blocks.append("".join(block))
                block = []
    else:
        blocks = [x.strip() for x in lines if x.strip()]

    paragraphs: list[str] = []
    for b in blocks:
        if len(b) > long_line_chars:
            pieces = [p for p in re.split(r"\s+", b) if p]
            if len(pieces) == 1:
                pieces = [
                    p
                    for p in re.split(
                        r"(?<=[。!?;])(?=[一二三四五六七八九十]{1,3}、|\([一二三四五六七八九十]{1,3}\)|各位代表)",
                        b,
                    )
                    if p
                ]
            counts["split_long_lines"] += len(pieces) - 1
            paragraphs.extend(pieces)
        else:
            paragraphs.append(re.sub(r"\s+", " ", b))

    seen: set[str] = set()
    unique: list[str] = []
    for p in paragraphs:
        if not re.search(r"[0-9A-Za-z\u4e00-\u9fff]", p):  # stray "|" or "——" lines
            counts["punctuation_only"] += len(p)
            continue
        if len(p) >= 12 and p in seen:
            counts["repeated_text"] += len(p)
            continue
        seen.add(p)
        unique.append(p)
    return unique, counts


def is_truncated(paragraphs: list[str]) -> bool:
    """True when the report stops mid-sentence: the last paragraph of the speech has no closing
    punctuation and none of its last three paragraphs is a closing one (``让我们……而努力奋斗！``,
    ``……奋斗``, ``谢谢``), which a signature, a date or a ``(完)`` line may follow.

    The speech ends where appended material begins (:func:`speech_end`: a 附件/附表/附录 or
    glossary heading in the second half), so a list or table appended after the closing
    exhortation does not make a complete report look truncated."""
    paragraphs = paragraphs[: speech_end(paragraphs)]
    if not paragraphs:
        return True
    if re.search(r"[。!?！？”」』)）…\"'》]$", paragraphs[-1].strip()):
        return False
    return not any(CLOSING_RE.search(p.strip()) for p in paragraphs[-3:])


def speech_end(paragraphs: list[str]) -> int:
    """Index of the first paragraph of material appended after the speech: a heading of
    ``附件`` (``附件1``, ``附件：…名词解释``, ``附件一``), ``附表``, ``附录`` or a glossary
    (:data:`GLOSSARY_RE`) that lies in the second half of the text (by characters) after a
    closing paragraph (:data:`CLOSING_RE`); ``len(paragraphs)`` when there is none."""
    total = sum(len(p) for p in paragraphs)
    seen = 0
    closed = False
    for i, p in enumerate(paragraphs):
        s = p.strip()
        if seen > total / 2 and closed and (APPENDIX_HEAD_RE.match(s) or GLOSSARY_RE.match(s)):
            return i
        closed = closed or bool(CLOSING_RE.search(s))
        seen += len(p)
    return len(paragraphs)


def is_truncated_start(paragraphs: list[str], *, head: int = 5) -> bool:
    """True when the report begins mid-speech (its opening and review are missing): its first
    body paragraph (after short title, date and speaker lines without sentence punctuation)
    opens with an address run into the next sentence, ``各位代表！过去一年…``, the way a speech
    turns to its next part, and none of the first ``head`` paragraphs opens a report
    (``我代表市人民政府，向大会报告工作``, :data:`OPENING_RE`)."""
    body = [p.strip() for p in paragraphs if p.strip()]
    while body and len(body[0]) <= 60 and not re.search(r"[。!?！？;；]", body[0]):
        body = body[1:]
    if not body or not MID_SPEECH_RE.match(body[0]):
        return False
    return not any(OPENING_RE.search(p) for p in body[:head])
