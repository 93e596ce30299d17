"""Infer a report's metadata (place, year, doc_type, …) from its title, text and file name.

Used for the reports no metadata table lists. Every inferred field is an :class:`Inferred`:
its value, the evidence it was read from and a confidence (``high``, ``medium`` or ``low``), so
the ingest report can say why and ingest can warn about the weak ones. Pure functions: text in,
values out.

``year`` is the year the report was delivered (or a proposal adopted), as in
``data/metadata.csv``: a report delivered on 2026-01-26 that reviews 2025 has year 2026.
Evidence, strongest first: the title line (also a crawler's ``标题：二O一二年政府工作报告``, O or 0
typed for 〇) and date lines (``——2017年3月5日在第十二届全国人民代表大会第五次会议上``,
``（2017年10月18日）``, Arabic, full-width or Chinese numerals), the session line
(``第十四届全国人民代表大会第二次会议`` -> 2024, from :data:`NPC_TERMS`; a provincial or city
congress session gives a year only together with a date), the file name (a 4-digit number
1949-2100 not part of a longer digit run), a review heading (``一、2024年工作回顾`` -> 2025, also
``一、2021年以来工作回顾``, ``一、“十三五”和2020年工作回顾``), a five-year-plan proposal
(``十四五`` -> 2020), a web publication date (low).

``place`` comes only from where a report names its own government: the title, the date line, the
speaker line and the opening (``我代表深圳市龙华区人民政府``, ``我代表大鹏新区管委会``); a former
name the gazetteer lists in ``other_names`` (坪山新区) resolves to its place (坪山区). State
Council, NPC and national party documents are ``全国`` (level ``national``). A place merely
mentioned, however often, is never taken: without evidence ``place`` stays missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import pandas as pd

from analysis.corpus.split import title_place_year

Confidence = Literal["high", "medium", "low"]
CONFIDENCES: tuple[Confidence, ...] = ("high", "medium", "low")


@dataclass(frozen=True)
class Inferred:
    """One inferred field: ``value``, the ``evidence`` it was read from, its ``confidence``."""

    value: object
    evidence: str
    confidence: Confidence = "high"


@dataclass(frozen=True)
class Place:
    """A row of the gazetteer; ``other_names`` are further names that resolve to the place
    (a former name such as 坪山新区 for 坪山区), separated by ``;``."""

    place: str
    short: str
    level: str
    province: str
    prefecture: str
    region: str
    other_names: str = ""

    def names(self) -> tuple[str, ...]:
        """The other names, as a tuple."""
        return tuple(n.strip() for n in self.other_names.split(";") if n.strip())


NATIONAL = "全国"
# First year of each National People's Congress; from the 7th on, every 5 years.
NPC_TERMS = {1: 1954, 2: 1959, 3: 1964, 4: 1975, 5: 1978, 6: 1983, 7: 1988}
# Sessions that did not meet one a year (2nd NPC: 1959, 1960, 1962, 1963).
NPC_SESSION_YEARS = {(2, 3): 1962, (2, 4): 1963}
# National Congresses of the CPC (中国共产党第N次全国代表大会); from the 20th on, every 5 years.
PARTY_CONGRESSES = {
    7: 1945,
    8: 1956,
    9: 1969,
    10: 1973,
    11: 1977,
    12: 1982,
    13: 1987,
    14: 1992,
    15: 1997,
    16: 2002,
    17: 2007,
    18: 2012,
    19: 2017,
    20: 2022,
}
FYP = {"十一五": 2005, "十二五": 2010, "十三五": 2015, "十四五": 2020, "十五五": 2025}

# O and 0 stand for 〇 in typed years (二O一二, 二00三)
_CN_DIGIT = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "0": 0, "一": 1, "二": 2, "三": 3, "四": 4}
_CN_DIGIT |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_FULL_WIDTH = str.maketrans("０１２３４５６７８９（）：", "0123456789():")
_Y = r"(?P<y>\d{4}|[〇零○一二三四五六七八九]{4})"
_MD = r"(?P<m>\d{1,2}|[一二三四五六七八九十]{1,3})月(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})日"
_N = r"[0-9一二三四五六七八九十]{1,4}"
DATE_RE = re.compile(_Y + "年" + _MD)
DELIVERY_RE = re.compile(
    _Y + "年" + _MD + r"\s*在(?P<where>[^,，。在第]{0,20})(?:第(?P<term>" + _N + r")届)?"
    r"(?P<body>[^,，。]{0,14}?)(?:人民代表大会|人民代表会议|代表大会|委员会).{0,30}?(?:会议|大会)上?"
)
PAREN_DATE_RE = re.compile(r"^[(（]\s*" + _Y + "年" + _MD + r"[^()（）]{0,60}[)）]$")
DASH_DATE_RE = re.compile(r"^[—\-─]{1,2}\s*" + _Y + "年" + _MD)
# A session the report is delivered to ("向/在/我们 第N届…第K次会议"), not one it looks back on
# ("从第七届…第一次会议到…", "…会议以来", "…会议上通过的").
_AT = r"(?<=向|在|们)"
_NOT_PAST = r"(?!以来|期间|通过|批准|闭幕|的决|到|上(?:通过|批准|确定|作出|提出的))"
_NPC = r"第(?P<n>" + _N + r")届全国人民代表大会第(?P<k>" + _N + r")次会议"
_CPPCC = r"中国人民政治协商会议第(?P<n>" + _N + r")届全国委员会第(?P<k>" + _N + r")次会议"
NPC_SESSION_RE = re.compile(_AT + _NPC + _NOT_PAST)
CPPCC_SESSION_RE = re.compile(_AT + _CPPCC + _NOT_PAST)
PARTY_CONGRESS_RE = re.compile(r"在中国共产党第(?P<n>" + _N + r")次全国代表大会上")
FILE_YEAR_RE = re.compile(r"(?<![0-9])(\d{4})(?![0-9])")
PUBLISHED_RE = re.compile(r"(?:发布时间|发表时间|时间)[:：]\s*(\d{4})-(\d{2})-(\d{2})")
# the heading of the review section, also run into its first paragraph: 一、2013年工作回顾,
# 一、2021年以来工作回顾, 一、“十三五”和2020年工作回顾, 一、关于2019年工作, 一、2003年政府工作情况
REVIEW_YEAR_RE = re.compile(
    r"^[一1][、.]\s*(?:[^。,，\d]{0,16}[,，、和及])?(?:关于|过去的?)?(\d{4})年(?:以来)?的?"
    r"(?:[和及][^。,，]{0,12})?(?:政府)?(?:工作回顾|主要工作|工作完成情况|工作情况|工作和|工作$"
    r"|经济社会(?:高质量)?发展(?:基本情况|取得|迈))"
)
# a title naming its year without a place: 二O一二年政府工作报告, 2014年政府工作报告（在…上）
TITLE_YEAR_RE = re.compile(
    r"^(?P<y>\d{4}|[〇零○O0一二三四五六七八九]{4})年度?[^。,，]{0,30}?(?:政府)?工作报告"
)
OFFICE = r"(?:代理?市长|市长|代省长|省长|代理?主席|主席|代理?县长|县长|区长|总理|副总理)"
SPEAKER_RE = re.compile(
    rf"^(?P<title>[\u4e00-\u9fff]{{0,14}}?{OFFICE})[\s　]*(?P<name>[\u4e00-\u9fff]{{2,4}})$"
)
OFFICE_LINE_RE = re.compile(rf"^(?P<title>[\u4e00-\u9fff]{{0,14}}?{OFFICE})$")
NAME_LINE_RE = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
_PLACE_NAME = r"[\u4e00-\u9fff]{2,10}?(?:省|市|自治区|县|区|自治州|州|盟|旗)"
NATIONAL_TITLE_RE = re.compile(
    r"国务院|全国人民代表大会|全国代表大会|中共中央|中国共产党中央委员会|国民经济和社会发展第.{1,3}个五年规划纲要$"
)
PARTY_COMMITTEE_RE = re.compile(
    rf"中共(?P<p1>{_PLACE_NAME})委|中国共产党(?P<p2>{_PLACE_NAME})第.{{1,4}}届委员会"
)
NATIONAL_OPENING_RE = re.compile(
    r"代表(?:中华人民共和国)?国务院|国务院向(?:本次)?大会|受国务院的?委托|受中共中央和国务院的?委托|我代表中央人民政府|"
    r"国务院(?:副)?总理|我代表第.{1,3}届中央委员会|向第.{1,3}届全国人民代表大会"
)
LOCAL_OPENING_RE = re.compile(
    r"我代表(?:省|市|县|区|自治区|自治州)人民政府|(?:省|市|自治区|县)第.{1,4}届人民代表大会"
)
# …or its management committee (我代表大鹏新区管委会, 我代表光明新区党工委、管委会)
OWN_GOVERNMENT_RE = re.compile(
    rf"(?:我代表|在)(?P<place>{_PLACE_NAME})(?:人民政府|第.{{1,4}}届人民代表大会"
    r"|(?:党工委、)?(?:管委会|管理委员会))"
)
NATIONAL_BODY_RE = re.compile(r"国务院(?:已经)?决定|全国人民代表大会|周恩来总理|[^副]总理在报告中")
WORK_REPORT_RE = re.compile(
    r"向(?:全国人民代表)?大会(?:报告|作)(?:政府)?工作|向你们(?:报告|作)(?:政府)?工作|"
    r"向大会报告过去.{1,4}的(?:政府)?工作|作工作报告|向大会作报告|向大会作以下报告|^政府工作报告$",
    re.MULTILINE,
)
SOURCE_OUTLET_RE = re.compile(r"(?:信息来源|来源)[:：]\s*([\u4e00-\u9fff]{2,4}?)日报")
_WEAKER = {"high": "medium", "medium": "low", "low": "low"}
_STRONGER = {"high": "high", "medium": "high", "low": "medium"}


def load_gazetteer(path: str | Path) -> dict[str, Place]:
    """Gazetteer CSV (``#`` comments allowed; ``other_names`` optional) -> {full name: Place}."""
    df = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
    return {r.place: Place(**r._asdict()) for r in df.itertuples(index=False)}


def place_fields(place: str | None, gazetteer: dict[str, Place]) -> dict[str, str]:
    """``level, province, prefecture, region`` that follow from ``place`` (only those known).

    ``全国`` is national; a gazetteer place gives its row; an unlisted ``XX省`` / ``XX自治区`` is
    a province; anything else gives nothing.
    """
    if not place:
        return {}
    if place == NATIONAL:
        return {"level": "national"}
    if place in gazetteer:
        g = gazetteer[place]
        fields = {"level": g.level, "province": g.province, "prefecture": g.prefecture}
        return {k: v for k, v in {**fields, "region": g.region}.items() if v}
    if place.endswith(("省", "自治区")):
        return {"level": "province", "province": place}
    return {}


def infer_metadata(
    page: str, text: str, title: str, gazetteer: dict[str, Place], *, file_name: str = ""
) -> dict[str, Inferred]:
    """Infer the metadata of one report.

    ``page`` is the normalized page before web chrome was removed (source and date lines are
    evidence), ``text`` the report's clean text (paragraphs joined by newlines), ``title`` its
    title line, ``file_name`` its source file (a year in the name is evidence). Returns
    ``{field: Inferred}`` for the fields it could infer, among ``place, year, date, doc_type,
    level, province, prefecture, region, speaker, speaker_title``.
    """
    text, page, title = (s.translate(_FULL_WIDTH) for s in (text, page, title))
    lines = [s.strip() for s in text.split("\n") if s.strip()]
    head_lines = [title, *lines[:20]] if title else lines[:20]
    out: dict[str, Inferred] = {}
    years = _year_evidence(page, text, title, head_lines, file_name)
    if years:
        out["year"] = _combine(years)
    date = _date(head_lines, page)
    if date:
        out["date"] = date
    place = _place(page, text, title, head_lines, gazetteer)
    if place:
        out["place"] = place
        for f, v in place_fields(str(place.value), gazetteer).items():
            out[f] = Inferred(v, f"place {place.value}", place.confidence)
    out["doc_type"] = _doc_type(text, title)
    speaker = _speaker(head_lines[:14])
    if speaker:
        out["speaker"], out["speaker_title"] = speaker
    return out


def _year_evidence(
    page: str, text: str, title: str, head_lines: list[str], file_name: str
) -> list[Inferred]:
    """Every year the report states, strongest source first (each source at most once)."""
    found: list[Inferred] = []
    _, t_year = title_place_year(title)
    if not t_year and TITLE_YEAR_RE.match(title.strip()):
        t_year = _year(TITLE_YEAR_RE.match(title.strip()).group("y"))
    if t_year:
        found.append(Inferred(t_year, f"title {title!r}"))
    flat = "".join(head_lines)
    m = DELIVERY_RE.search(flat) or DELIVERY_RE.search("".join(page[:3000].split()))
    if m and _year(m.group("y")):
        found.append(Inferred(_year(m.group("y")), f"date line {m.group(0)[:40]!r}"))
    for line in head_lines:
        d = PAREN_DATE_RE.match(line) or DASH_DATE_RE.match(line)
        if d and _year(d.group("y")):
            found.append(Inferred(_year(d.group("y")), f"date line {line[:40]!r}"))
            break
    head = title + "\n" + text[:1500]
    s = NPC_SESSION_RE.search(head)
    if s:
        year = _npc_year(_number(s.group("n")), _number(s.group("k")))
        if year:
            found.append(Inferred(year, f"session line {s.group(0)!r}"))
    c = CPPCC_SESSION_RE.search(head)
    if c and (_number(c.group("n")) or 0) >= 5:
        year = _npc_year(_number(c.group("n")), _number(c.group("k")))
        if year:
            found.append(Inferred(year, f"session line {c.group(0)!r}"))
    p = PARTY_CONGRESS_RE.search("\n".join(head_lines[:4]))
    if p and _party_year(_number(p.group("n"))):
        found.append(Inferred(_party_year(_number(p.group("n"))), f"title {p.group(0)!r}"))
    in_name = sorted(
        {int(y) for y in FILE_YEAR_RE.findall(Path(file_name).stem) if 1949 <= int(y) <= 2100}
    )
    if len(in_name) == 1:
        found.append(Inferred(in_name[0], f"file name {Path(file_name).name!r}", "medium"))
    for line in text.split("\n")[:400]:
        r = REVIEW_YEAR_RE.match(line.strip())
        if r:
            why = f"review heading {line.strip()[:30]!r} (+1)"
            found.append(Inferred(int(r.group(1)) + 1, why, "medium"))
            break
    fyp = re.search(
        r"(十[一二三四五]五)(?:规划|时期)?.{0,30}建议|关于制定.{0,30}第(十[一二三四五])个五年规划",
        title + "\n" + text[:2000],
    )
    if fyp:
        key = fyp.group(1) or (fyp.group(2) + "五")
        if key in FYP:
            found.append(Inferred(FYP[key], f"five-year plan {key} proposal", "medium"))
    pub = PUBLISHED_RE.search(page)
    if pub:
        found.append(Inferred(int(pub.group(1)), f"publication date {pub.group(0)!r}", "low"))
    return found


def _combine(found: list[Inferred]) -> Inferred:
    """The strongest evidence, one step stronger when another source agrees and one step
    weaker when one disagrees (the disagreement is named in the evidence)."""
    best = found[0]
    for other in found[1:]:
        if other.value == best.value:
            if best.confidence != "high" and other.confidence != "low":
                best = replace(best, confidence=_STRONGER[best.confidence])
        elif other.confidence != "low":
            why = f"{best.evidence}; disagrees with {other.evidence} ({other.value})"
            return replace(best, evidence=why, confidence=_WEAKER[best.confidence])
    return best


def _date(head_lines: list[str], page: str) -> Inferred | None:
    """The delivery date ``YYYY-MM-DD`` from a date line, if there is one."""
    flat = "".join(head_lines)
    m = DELIVERY_RE.search(flat) or DELIVERY_RE.search("".join(page[:3000].split()))
    if not m:
        for line in head_lines:
            m = PAREN_DATE_RE.match(line) or DASH_DATE_RE.match(line)
            if m:
                break
    if not m:
        return None
    year, month, day = _year(m.group("y")), _number(m.group("m")), _number(m.group("d"))
    if not (year and month and day and 1 <= month <= 12 and 1 <= day <= 31):
        return None
    return Inferred(f"{year:04d}-{month:02d}-{day:02d}", f"date line {m.group(0)[:40]!r}")


def _place(
    page: str, text: str, title: str, head_lines: list[str], gazetteer: dict[str, Place]
) -> Inferred | None:
    """Where the report names its own government (never from mention counts), else None."""
    found: list[Inferred] = []
    t_place, _ = title_place_year(title)
    if t_place:
        found.append(_named(t_place, f"title {title!r}", gazetteer))
    elif title and NATIONAL_TITLE_RE.search(title):
        found.append(Inferred(NATIONAL, f"title {title!r}"))
    for line in head_lines[:4]:
        if not _is_title_line(line):  # a body paragraph names the party centre, not its author
            continue
        pc = PARTY_COMMITTEE_RE.search(line)
        if pc:
            found.append(
                _named(pc.group("p1") or pc.group("p2"), f"title {line[:40]!r}", gazetteer)
            )
            break
        if PARTY_CONGRESS_RE.search(line) or "中共中央" in line:
            found.append(Inferred(NATIONAL, f"title {line[:40]!r}"))
            break
    m = DELIVERY_RE.search("".join(head_lines))
    if m:
        why = f"date line {m.group(0)[:40]!r}"
        if "全国" in m.group("body") and not m.group("where"):
            found.append(Inferred(NATIONAL, why))
        elif m.group("where"):
            found.append(_named(m.group("where"), why, gazetteer))
    speaker = _speaker(head_lines[:14])
    if speaker:
        office = str(speaker[1].value)
        if office.startswith("国务院"):
            found.append(Inferred(NATIONAL, speaker[1].evidence))
        else:
            named = re.match(rf"^({_PLACE_NAME})(?:人民政府)?{OFFICE}$", office)
            if named and not re.match(r"^(?:自治|省|市|县)", named.group(1)):
                found.append(_named(named.group(1), speaker[1].evidence, gazetteer))
    opening = "\n".join(head_lines)[:3000]
    local = LOCAL_OPENING_RE.search(opening)
    national = NATIONAL_OPENING_RE.search(opening)
    if national and not local:
        found.append(Inferred(NATIONAL, f"opening: {national.group(0)}"))
    own = OWN_GOVERNMENT_RE.search(opening)
    if own and not own.group("place").startswith(("我", "代表")):
        found.append(_named(own.group("place"), f"opening: {own.group(0)}", gazetteer, "medium"))
    if not found:
        body = NATIONAL_BODY_RE.search(text)
        if body and not LOCAL_OPENING_RE.search(text[:5000]):
            found.append(Inferred(NATIONAL, f"text names {body.group(0)}", "low"))
        src = SOURCE_OUTLET_RE.search(page)
        if src and _resolve(src.group(1), gazetteer):
            found.append(
                Inferred(_resolve(src.group(1), gazetteer), f"source line {src.group(0)!r}", "low")
            )
    found = [f for f in found if f.value]
    return _combine(found) if found else None


def _is_title_line(line: str) -> bool:
    """A line that can be a title: at most 80 characters, no sentence punctuation."""
    return len(line) <= 80 and not re.search(r"[。!?！？;；]", line)


def _named(name: str, why: str, gazetteer: dict[str, Place], conf: Confidence = "high") -> Inferred:
    """A place written in a title, date or speaker line: high when the gazetteer knows it (or
    it is national), medium for an unlisted name that ends like a place, else no value."""
    name = name.strip()
    if name in ("全国", "中华人民共和国", "国务院"):
        return Inferred(NATIONAL, why, conf)
    resolved = _resolve(name, gazetteer)
    if resolved:
        return Inferred(resolved, why, conf)
    if re.fullmatch(_PLACE_NAME, name):
        return Inferred(name, why + " (not in the gazetteer)", _WEAKER[conf])
    return Inferred(None, why, "low")


def _doc_type(text: str, title: str) -> Inferred:
    """``plan_proposal``, ``work_report``, or ``other`` (low) when neither is named."""
    opening = "".join(text[:400].split())
    if re.search(r"规划.{0,20}建议$|规划和.{0,20}建议$", title) or re.search(
        r"关于制定.{0,40}五年规划.{0,30}建议", opening
    ):
        return Inferred("plan_proposal", "title names a five-year-plan proposal (建议)")
    if "政府工作报告" in title + text[:600] or WORK_REPORT_RE.search(text[:3000]):
        return Inferred("work_report", "title or opening names a government work report")
    return Inferred("other", "no work-report or plan-proposal marker", "low")


def _speaker(lines: list[str]) -> tuple[Inferred, Inferred] | None:
    """``(speaker, speaker_title)`` from a speaker line (``广东省省长 孟凡利``, or the office on
    one line and the name on the next)."""
    for i, line in enumerate(lines):
        s = SPEAKER_RE.match(line)
        if s:
            why = f"speaker line {line!r}"
            return Inferred(s.group("name"), why), Inferred(s.group("title").strip(), why)
        o = OFFICE_LINE_RE.match(line)
        if o and i + 1 < len(lines) and NAME_LINE_RE.match(lines[i + 1].strip("　 ")):
            name = lines[i + 1].strip("　 ")
            why = f"speaker lines {line!r} {name!r}"
            return Inferred(name, why), Inferred(o.group("title"), why)
    return None


def _resolve(name: str, gazetteer: dict[str, Place]) -> str | None:
    """Full gazetteer name for a place written in full or short form, else ``None``."""
    name = name.strip()
    if name in gazetteer:
        return name
    for p in gazetteer.values():  # a former or other name first: 坪山新区 is 坪山区, not 新区
        if any(name == n or name.endswith(n) for n in p.names()):
            return p.place
    for p in gazetteer.values():
        if (
            name == p.short
            or name.endswith(p.place)
            or (len(p.short) >= 2 and name.endswith(p.short))
        ):
            return p.place
    return None


def _number(s: str | None) -> int | None:
    """``14``, ``十四``, ``二十``, ``一`` -> int; ``None`` if it is not a number."""
    if not s:
        return None
    if s.isdigit():
        return int(s)
    if "十" in s:
        tens, _, ones = s.partition("十")
        t = _CN_DIGIT.get(tens, 0) if tens else 1
        o = _CN_DIGIT.get(ones, 0) if ones else 0
        if (tens and tens not in _CN_DIGIT) or (ones and ones not in _CN_DIGIT):
            return None
        return 10 * t + o
    return _CN_DIGIT.get(s) if len(s) == 1 else None


def _year(s: str) -> int | None:
    """``2017`` or ``二〇一七`` / ``二零一七`` -> 2017, if within 1949-2100."""
    if s.isdigit():
        year = int(s)
    elif all(c in _CN_DIGIT for c in s):
        year = int("".join(str(_CN_DIGIT[c]) for c in s))
    else:
        return None
    return year if 1949 <= year <= 2100 else None


def _npc_year(term: int | None, session: int | None) -> int | None:
    """Year of session ``session`` of the ``term``-th NPC (or CPPCC from its 5th term)."""
    if not term or not session or session > 5:
        return None
    if (term, session) in NPC_SESSION_YEARS:
        return NPC_SESSION_YEARS[(term, session)]
    start = NPC_TERMS.get(term, 1988 + 5 * (term - 7))
    return start + session - 1


def _party_year(n: int | None) -> int | None:
    """Year of the ``n``-th National Congress of the CPC."""
    if not n or n < 7:
        return None
    return PARTY_CONGRESSES.get(n, 2022 + 5 * (n - 20))
