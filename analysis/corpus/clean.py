"""Pure text-cleaning steps: ``str -> (str, counts)``, no I/O.

Each step returns the new text and a :class:`collections.Counter` of characters removed or
changed per named rule, so the ingest report can say exactly what each rule did. The steps are
applied in the order of :func:`clean_page` (page level, before a compilation is split) and
:func:`normalize` (every report).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

# ---------------------------------------------------------------------------------------------
# Character normalization
# ---------------------------------------------------------------------------------------------
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
NO_BREAK_SPACES = "\u00a0\u2007\u202f"
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}  # ！..～ -> !..~
_ZW_TABLE = {ord(c): None for c in ZERO_WIDTH}
_NBSP_TABLE = {ord(c): " " for c in NO_BREAK_SPACES} | {0x3000: " "}
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_RE = re.compile(f"[{_HAN}]")


def count_han(text: str) -> int:
    """Number of Han (CJK unified ideograph) characters in ``text``."""
    return len(HAN_RE.findall(text))


def normalize(text: str) -> tuple[str, Counter[str]]:
    """Normalize line endings, zero-width characters, no-break and ideographic spaces and
    full-width ASCII (digits, letters, punctuation such as ，：（）) to their ASCII forms.

    Returns the text and counts per rule (``line_endings``, ``zero_width``, ``no_break_space``,
    ``fullwidth``: characters changed or removed).
    """
    counts: Counter[str] = Counter()
    n_crlf = text.count("\r")
    if n_crlf:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        counts["line_endings"] = n_crlf
    for rule, table in (("zero_width", _ZW_TABLE), ("no_break_space", _NBSP_TABLE)):
        new = text.translate(table)
        changed = len(text) - len(new) if rule == "zero_width" else _n_diff(text, new)
        if changed:
            counts[rule] = changed
        text = new
    new = text.translate(_FULLWIDTH)
    changed = _n_diff(text, new)
    if changed:
        counts["fullwidth"] = changed
    # "1 9 9 8 年": spaces inside numbers come from typesetting, not from the speech.
    n = 0

    def _join(m: re.Match[str]) -> str:
        nonlocal n
        n += m.group(0).count(" ")
        return m.group(0).replace(" ", "")

    new = re.sub(r"(?<!\d)\d(?: \d){2,}(?!\d)", _join, new)
    if n:
        counts["spaces_in_numbers"] = n
    return new, counts


def _n_diff(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b, strict=True))


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def to_simplified(text: str, *, min_chars: int = 5) -> tuple[str, int, str]:
    """Convert traditional characters to simplified with OpenCC ``t2s``.

    A text is converted (wholly, by OpenCC) only when it has at least ``min_chars``
    traditional-only characters (outside GB2312, such as 們, 國, 經). Below that, characters
    OpenCC would change are either valid simplified text (乾 in 乾县, 薹 in 菜薹, 昇 in 昇腾) or
    a stray form, and the text stays as it is. Returns ``(text, n_converted, found)`` where
    ``found`` lists the distinct traditional-only characters seen (also when left alone).
    """
    converted = _t2s().convert(text)
    if len(converted) != len(text):  # t2s is 1:1 in practice; fall back to per-character
        converted = "".join(_t2s().convert(c) for c in text)
    positions = [
        i
        for i, (a, b) in enumerate(zip(text, converted, strict=True))
        if a != b and not _in_gb2312(a)
    ]
    found = "".join(sorted({text[i] for i in positions}))
    if len(positions) < min_chars:
        return text, 0, found
    n_changed = sum(a != b for a, b in zip(text, converted, strict=True))
    return converted, n_changed, found


# ---------------------------------------------------------------------------------------------
# Page-level boilerplate (web chrome, advertisements, licence footers)
# ---------------------------------------------------------------------------------------------
_CHROME_EXACT = {
    "下载",
    "打印",
    "全屏",
    "收藏",
    "分享",
    "分享:",
    "分享到:",
    "分享到微信",
    "|",
    "×",
    "【",
    "】",
    "打印本页",
    "关闭窗口",
    "【打印本页】",
    "【关闭窗口】",
    "阅读量:",
    "扫一扫在手机打开当前页",
    "相关附件>>",
    "相关链接>>",
    "首页",
    ">",
    "目录",
    "来源:",
    "发表时间:",
    "发布时间:",
    "时间:",
}
_LINE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "advertisement",
        re.compile(
            r"(www\.|https?://).*(免费|资料|微信|群|点击)|(免费|资料库|微信|交流群|点击).*(www\.|https?://)"
        ),
    ),
    (
        "copyright_icp",
        re.compile(r"版权所有|©|ICP备|公网安备|网站标识码|技术支持[:：]|主办方?[:：]|政府阳光热线"),
    ),
    (
        "web_chrome",
        re.compile(
            r"^(当前位置|您的位置|您现在的位置)[:：]?|^(信息来源|来源|稿件来源|文章来源)[:：].{0,20}$"
            r"|^[(（]来源[:：].{0,20}[)）]$|^(发布时间|发表时间|时间|日期)[:：]\s*\d{4}"
            r"|^(责任编辑|编辑)[:：/].{0,12}$|^【?字[号体][:：】]|^阅读量|点击图片进入专题"
            r"|^预览时标签不可点|上一篇下一篇$|^分享到|^相关(报道|文档|附件|链接|阅读|新闻)[:：>]*$"
            r"|^\d{4}[-年]\d{1,2}[-月]\d{1,2}日?\s+\d{1,2}[:时]\d{2}(:\d{2}|分)?$"
            r"|^[0-9a-f]{24,}:$|记者.{0,12}摄$"
        ),
    ),
)
_TRAILING_START = re.compile(
    r"^(相关(报道|文档|附件|链接)[:：>]*|扫一扫在手机打开当前页|》》点击图片进入专题《《|打印本页"
    r"|【?打印本页】?|预览时标签不可点.*)$"
)
_FONT_MENU_START = re.compile(r"^【字[号体]")
# the licence box is itself broken by wiki-link line breaks ("本作品是中华人民共和国的\n法律\n、")
_WIKISOURCE_FOOTER = re.compile(r"\s*".join("本作品是中华人民共和国的法律、法规"))
_NEWS_OUTLET = re.compile(r"^.{1,10}(日报|晚报|客户端|新闻网|政府网|日报社)$")


def clean_page(text: str) -> tuple[str, Counter[str], list[tuple[str, str]]]:
    """Remove text that is not the report from a normalized page (one raw file).

    Rules (each counted in characters removed): ``wikisource_footer`` (licence box to the end),
    ``trailing_chrome`` (from a 相关报道/扫一扫/打印本页 marker in the last tenth to the end),
    ``font_menu`` (【字号 … 】 menus), ``breadcrumb`` (首页 > … lines), ``advertisement``,
    ``copyright_icp``, ``web_chrome`` (source, time, editor, share lines) and ``chrome_line``
    (single-word page controls such as 下载/打印/收藏).

    Returns the text, the counts, and the removed pieces as ``(rule, text)`` pairs.
    """
    counts: Counter[str] = Counter()
    removed: list[tuple[str, str]] = []

    def drop(rule: str, piece: str) -> None:
        counts[rule] += len(piece)
        removed.append((rule, piece))

    m = None
    for m in _WIKISOURCE_FOOTER.finditer(text):  # noqa: B007 - we want the last match
        pass
    if m is not None and m.start() > len(text) * 0.8:
        drop("wikisource_footer", text[m.start() :])
        text = text[: m.start()]

    lines = text.split("\n")
    n_total = sum(len(x) for x in lines)
    # Trailing chrome: everything after the first end-of-page marker in the last tenth.
    seen = 0
    for i, line in enumerate(lines):
        seen += len(line)
        if seen > 0.9 * n_total and _TRAILING_START.match(line.strip()):
            drop("trailing_chrome", "\n".join(lines[i:]))
            lines = lines[:i]
            break

    keep: list[str] = []
    i = 0
    after_source = False
    while i < len(lines):
        line = lines[i]
        s = line.strip()
        if _FONT_MENU_START.match(s):  # 【字号：加大 还原 减小】 spread over several lines
            j = i
            while j < min(len(lines), i + 8) and lines[j].strip() != "】" and "】" not in lines[j]:
                j += 1
            j = min(j, len(lines) - 1)
            drop("font_menu", "".join(lines[i : j + 1]))
            i = j + 1
            continue
        if s == ">" or (s and i + 1 < len(lines) and lines[i + 1].strip() == ">" and len(s) <= 12):
            drop("breadcrumb", line)
            i += 1
            continue
        if keep and keep[-1].strip() == ">" and len(s) <= 12:
            drop("breadcrumb", line)
            i += 1
            continue
        rule = _line_rule(s)
        if rule is None and after_source and (_NEWS_OUTLET.match(s) or re.fullmatch(r"\d+", s)):
            rule = "web_chrome"
        if rule is not None:
            drop(rule, line)
            after_source = s in {"来源:", "来源：", "阅读量:"}
            i += 1
            continue
        after_source = False
        keep.append(line)
        i += 1
    # drop breadcrumb separators kept as context above
    keep = [x for x in keep if x.strip() != ">"]
    return "\n".join(keep), counts, removed


def _line_rule(s: str) -> str | None:
    if not s:
        return None
    if s in _CHROME_EXACT or s.rstrip(":：") in {"来源", "发表时间", "发布时间", "阅读量"}:
        return "chrome_line"
    if len(s) > 160:
        return None
    for name, pattern in _LINE_RULES:
        if pattern.search(s):
            return name
    return None


# ---------------------------------------------------------------------------------------------
# Deleted numbers
# ---------------------------------------------------------------------------------------------
NUMBER_GAP_RE = re.compile(
    r"(突破|达到|达|增长|增加|超过|完成|总额|总量|提高到|提升到|下降|减少|累计|共计)"
    r"(亿元|万元|万人|万吨|万亩|万户|个百分点|%|倍)(?!级|以上)"
    r"|(?<=[(（,，。、\s])年\d{1,2}月\d{1,2}日"
    r"|话题#个"
)


def find_number_gaps(text: str) -> list[str]:
    """Places where a number was deleted (``突破亿元``, ``(年12月29日``): the matched strings."""
    return [m.group(0) for m in NUMBER_GAP_RE.finditer(text)]
