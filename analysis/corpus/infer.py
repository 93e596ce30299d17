"""Infer a report's metadata (place, year, doc_type, …) from its title and text.

Used for files that ``data/metadata.csv`` does not list. Every field comes with the evidence it
was read from, so the ingest report can say why. Pure functions: text in, values out.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.corpus.split import title_place_year

FYP = {"十三五": 2015, "十四五": 2020, "十五五": 2025, "十二五": 2010, "十一五": 2005}
DATE_LINE_RE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日\s*在(.{0,16}?)第.{1,4}届人民代表大会")
PUBLISHED_RE = re.compile(r"(?:发布时间|发表时间|时间)[:：]\s*(\d{4})-(\d{2})-(\d{2})")
REVIEW_YEAR_RE = re.compile(
    r"^[一1][、.]\s*(?:过去的?)?(\d{4})年(?:和.{0,12})?(?:工作回顾|主要工作)"
)
SPEAKER_RE = re.compile(
    r"^(?P<title>(?:[\u4e00-\u9fff]{0,12}?)(?:代理?市长|市长|代省长|省长|主席|代主席|总理))\s*"
    r"(?P<name>[\u4e00-\u9fff]{2,4})$"
)
PLACE_RE = re.compile(r"([\u4e00-\u9fff]{2,6}?(?:市|省|自治区|县))(?:人民政府|人民代表大会|第)")
SOURCE_OUTLET_RE = re.compile(r"(?:信息来源|来源)[:：]\s*([\u4e00-\u9fff]{2,4}?)日报")


@dataclass(frozen=True)
class Place:
    """A row of the gazetteer."""

    place: str
    short: str
    level: str
    province: str
    prefecture: str
    region: str


def load_gazetteer(path: str | Path) -> dict[str, Place]:
    """Gazetteer CSV (``#`` comments allowed) -> {full name: Place}."""
    df = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
    return {r.place: Place(**r._asdict()) for r in df.itertuples(index=False)}


def infer_metadata(
    page: str, text: str, title: str, gazetteer: dict[str, Place]
) -> dict[str, tuple[object, str]]:
    """Infer metadata of one report.

    ``page`` is the normalized page before web chrome was removed (source and date lines are
    evidence), ``text`` the report's clean text, ``title`` its title line. Returns
    ``{field: (value, evidence)}`` for the fields it could infer, among ``place, year, date,
    doc_type, level, province, prefecture, region, speaker, speaker_title``.
    """
    out: dict[str, tuple[object, str]] = {}
    head = "\n".join(text.split("\n")[:15])
    t_place, t_year = title_place_year(title)
    if t_year:
        out["year"] = (t_year, f"title {title!r}")
    if t_place:
        out["place"] = (_resolve(t_place, gazetteer) or t_place, f"title {title!r}")

    m = DATE_LINE_RE.search(head) or DATE_LINE_RE.search(page[:3000])
    if m:
        year, month, day, where = int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
        out.setdefault("year", (year, f"date line {m.group(0)!r}"))
        out["date"] = (f"{year:04d}-{month:02d}-{day:02d}", f"date line {m.group(0)!r}")
        where_place = _resolve(where, gazetteer)
        if where_place:
            out.setdefault("place", (where_place, f"date line {m.group(0)!r}"))
    if "year" not in out:
        for line in text.split("\n")[:400]:
            r = REVIEW_YEAR_RE.match(line.strip())
            if r:
                out["year"] = (int(r.group(1)) + 1, f"review heading {line.strip()[:30]!r}")
                break
    if "year" not in out:
        fyp = re.search(
            r"(十[一二三四五]五)(?:规划|时期)?.{0,30}建议|关于制定.{0,30}第(十[一二三四五])个五年规划",
            title + "\n" + text[:2000],
        )
        if fyp:
            key = fyp.group(1) or (fyp.group(2) + "五")
            key = key if key in FYP else fyp.group(2) + "五"
            if key in FYP:
                out["year"] = (FYP[key], f"five-year plan {key} proposal")
    if "year" not in out:
        p = PUBLISHED_RE.search(page)
        if p:
            out["year"] = (int(p.group(1)), f"publication date {p.group(0)!r}")

    if "place" not in out:
        place, why = _place_from_text(page, text, gazetteer)
        if place:
            out["place"] = (place, why)

    if re.search(r"规划.{0,20}建议$|规划和.{0,20}建议$", title) or re.search(
        r"关于制定.{0,40}五年规划.{0,30}建议", text[:300]
    ):
        out["doc_type"] = ("plan_proposal", "title names a five-year-plan proposal (建议)")
    elif (
        "政府工作报告" in title
        or re.search(r"(向大会|向你们)报告(政府)?工作", text[:3000])
        or ("政府工作报告" in text[:300])
    ):
        out["doc_type"] = ("work_report", "title or opening names a government work report")

    national = re.search(
        r"我代表国务院|国务院(副)?总理|第.{1,3}届全国人民代表大会第.{1,3}次会议", text[:3000]
    )
    if national and not re.search(r"(省|市|自治区)第.{1,4}届人民代表大会", text[:3000]):
        out["place"] = ("全国", f"opening: {national.group(0)}")
    place = out.get("place", (None, ""))[0]
    if place == "全国":
        out["level"] = ("national", "place 全国")
    elif isinstance(place, str) and place in gazetteer:
        g = gazetteer[place]
        for f in ("level", "province", "prefecture", "region"):
            out[f] = (getattr(g, f), f"gazetteer row {place}")
    elif isinstance(place, str) and place.endswith(("省", "自治区")):
        out["level"] = ("province", f"place name {place}")
        out["province"] = (place, f"place name {place}")

    for line in text.split("\n")[:12]:
        s = SPEAKER_RE.match(line.strip())
        if s:
            out["speaker"] = (s.group("name"), f"speaker line {line.strip()!r}")
            out["speaker_title"] = (s.group("title").strip(), f"speaker line {line.strip()!r}")
            break
    return out


def _resolve(name: str, gazetteer: dict[str, Place]) -> str | None:
    """Full gazetteer name for a place written in full or short form, else ``None``."""
    name = name.strip()
    if name in gazetteer:
        return name
    for p in gazetteer.values():
        if name == p.short or name.endswith(p.place) or name.endswith(p.short):
            return p.place
    return None


def _place_from_text(page: str, text: str, gazetteer: dict[str, Place]) -> tuple[str | None, str]:
    m = SOURCE_OUTLET_RE.search(page)
    if m:
        place = _resolve(m.group(1), gazetteer)
        if place:
            return place, f"source line {m.group(0)!r}"
    counts = Counter(PLACE_RE.findall(text[:5000]))
    for name, n in counts.most_common():
        place = _resolve(name, gazetteer) or (name if name.endswith(("市", "省")) else None)
        if place:
            return place, f"named {n}x as {name}…人民政府/人民代表大会"
    # last resort: the gazetteer place whose short name the text mentions most
    hits = Counter({p.place: text.count(p.short) for p in gazetteer.values() if len(p.short) >= 2})
    best = hits.most_common(1)
    if best and best[0][1] >= 5:
        return best[0][0], f"short name mentioned {best[0][1]}x"
    return None, ""
