"""Label each paragraph of a report with its section.

Sections (``SECTIONS``): ``review`` (review of past work), ``plan`` (targets, requirements and
tasks ahead), ``conduct`` (the government's own conduct), ``livelihood_projects`` (lists of
民生实事 projects) and ``other`` (title, date, opening address, closing appeal, and thematic
parts of early reports that are neither review nor plan).

The rule follows the report's own heading structure:

- a top-level heading (一、 …, a short unnumbered heading line, or a 附件 appendix title) sets
  the section by its keywords (conduct, then 民生实事, then review/plan words and years: a year
  before the delivery year is reviewed, that year or later is planned);
- a top-level heading without keywords continues a review or plan section, except that the
  first one after an explicit review heading starts the plan (reports go review -> plan), and
  the first one of a report without any keyword heading is taken as its review;
- a sub-heading ((一) …) about the government's own conduct or livelihood projects opens that
  section until its next sibling;
- inside the plan, a paragraph that opens with 民生实事/惠民实事, or names them followed by a
  list (inline ``…十件民生实事。一是…`` or in the next paragraphs), and the list items after
  it, are ``livelihood_projects``;
- paragraphs before the first heading, and the closing appeal (the last paragraph with 让我们
  among the last three) and what follows it, are ``other``.
"""

from __future__ import annotations

import re
from typing import Literal

Section = Literal["review", "plan", "conduct", "livelihood_projects", "other"]
SECTIONS: tuple[Section, ...] = ("review", "plan", "conduct", "livelihood_projects", "other")

TOP_RE = re.compile(r"^[一二三四五六七八九十]{1,3}[、.]\s*")
SUB_RE = re.compile(r"^\([一二三四五六七八九十]{1,3}\)\s*")
CONDUCT_RE = re.compile(
    r"自身建设|政府建设|政府治理|人民满意的?.{0,6}政府|服务型政府|法治政府|廉洁政府|政府职能"
    r"|政府工作各方面|转作风|改进作风|政府自身|行政能力建设|政风建设"
)
LIVELIHOOD_RE = re.compile(r"民生实事|为民办实事|惠民实事|实事项目")
LIST_ITEM_RE = re.compile(r"^(\d{1,2}[.、]|\(\d{1,2}\)|[一二三四五六七八九十]{1,3}是|[①-⑳])")
APPENDIX_RE = re.compile(r"^附件\s*\d*$")
INLINE_LIST_RE = re.compile(r"(民生实事|惠民实事)[。:：]\s*(一是|1[.、]|\(1\)|①)")
REVIEW_RE = re.compile(r"回顾|过去.{0,3}年|一年来|五年来|工作总结|成就|^关于过去|取得的成绩")
PLAN_RE = re.compile(
    r"目标|任务|安排|部署|总体要求|建议|重点工作|政策取向|思路|今年|下一阶段|下一步|展望|规划"
    r"|计划"
)
YEAR_RE = re.compile(r"(\d{4})年")


def heading_section(heading: str, year: int | None) -> Section | None:
    """Section announced by a heading's keywords, or ``None`` when it names none."""
    h = heading
    if CONDUCT_RE.search(h):
        return "conduct"
    if LIVELIHOOD_RE.search(h):
        return "livelihood_projects"
    years = [int(y) for y in YEAR_RE.findall(h)]
    is_review = bool(REVIEW_RE.search(h)) or (year is not None and any(y < year for y in years))
    is_plan = bool(PLAN_RE.search(h)) or (year is not None and any(y >= year for y in years))
    if is_plan and not (is_review and not PLAN_RE.search(h)):
        return "plan" if not (is_review and "回顾" in h) else "review"
    if is_review:
        return "review"
    return None


def _top_heading(p: str) -> str | None:
    """The heading text if ``p`` is a top-level heading line, else ``None``."""
    if TOP_RE.match(p) and len(p) <= 60 and "。" not in p[:-1]:
        return TOP_RE.sub("", p)
    if APPENDIX_RE.match(p):
        return p
    if (
        len(p) <= 30
        and not re.search(r"[。,;:!?]", p)
        and (
            REVIEW_RE.search(p)
            or LIVELIHOOD_RE.search(p)
            or re.search(r"目标任务|工作安排|重点工作|自身建设", p)
        )
    ):
        return p
    return None


def label_sections(paragraphs: list[str], year: int | None = None) -> list[Section]:
    """Section label of every paragraph (same length and order as ``paragraphs``).

    ``year`` is the year the report was delivered: a heading naming an earlier year reviews it,
    one naming that year or later plans it.
    """
    labels: list[Section] = []
    top: Section = "other"
    sub: Section | None = None
    seen_heading = False
    explicit_review = False
    in_list = False
    for i, p in enumerate(paragraphs):
        head = _top_heading(p)
        if head is not None:
            found = heading_section(head, year)
            if APPENDIX_RE.match(head):
                found = "other"
            elif found is None:
                if not seen_heading:
                    found = "review"
                elif explicit_review and top == "review":
                    found = "plan"
                else:
                    found = top if top in ("review", "plan", "livelihood_projects") else "other"
            explicit_review = explicit_review or (
                found == "review" and REVIEW_RE.search(head) is not None
            )
            seen_heading = True
            top, sub, in_list = found, None, False
            labels.append(top)
            continue
        if SUB_RE.match(p):
            head_text = SUB_RE.sub("", p).split("。")[0]
            sub, in_list = None, False
            if top in ("review", "plan", "conduct"):
                if CONDUCT_RE.search(head_text) and top != "review":
                    sub = "conduct"
                elif LIVELIHOOD_RE.search(head_text) and top == "plan":
                    sub = "livelihood_projects"
        current: Section = sub or top
        if not seen_heading:
            current = "other"
        elif current == "plan":
            nxt = paragraphs[i + 1] if i + 1 < len(paragraphs) else ""
            opens = LIVELIHOOD_RE.search(p[:60]) or INLINE_LIST_RE.search(p)
            if opens or (LIVELIHOOD_RE.search(p) and LIST_ITEM_RE.match(nxt)):
                in_list = True
                current = "livelihood_projects"
            elif in_list and LIST_ITEM_RE.match(p):
                current = "livelihood_projects"
            else:
                in_list = False
        labels.append(current)
    # the closing appeal (各位代表！… 让我们 …) and what follows are not part of the last section
    for i in range(len(paragraphs) - 1, max(-1, len(paragraphs) - 4), -1):
        if "让我们" in paragraphs[i] and labels[i] != "other":
            for j in range(i, len(paragraphs)):
                if labels[j] not in ("livelihood_projects",):
                    labels[j] = "other"
            break
    return labels
