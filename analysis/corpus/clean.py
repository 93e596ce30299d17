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
_HAN_RUN = re.compile(f"[{_HAN}]+")


def count_han(text: str) -> int:
    """Number of Han (CJK unified ideograph) characters in ``text``."""
    # the length of what is left without them: one C pass, no list of pieces of a long text
    return len(text) - len(_HAN_RUN.sub("", text))


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
        changed = _n_mapped(text, table)
        if changed:
            counts[rule] = changed
            text = text.translate(table)
    changed = _n_mapped(text, _FULLWIDTH)
    new = text.translate(_FULLWIDTH) if changed else text
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


def _n_mapped(text: str, table: dict[int, int | str | None]) -> int:
    """Characters of ``text`` that ``str.translate(table)`` changes or removes (each counted
    with ``str.count``, so no per-character loop over a long text)."""
    return sum(text.count(chr(k)) for k, v in table.items() if v != k and v != chr(k))


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
    a stray form, and the text stays as it is. A converted text then gets :func:`fix_zhe`
    (著 -> 着 in 着力, 随着 ...; 显著 stays). Returns ``(text, n_converted, found)`` where
    ``found`` lists the distinct traditional-only characters seen (also when left alone).
    """
    outside = {c for c in set(text) if not _in_gb2312(c)}
    if not outside:  # nothing OpenCC could count as traditional: no conversion at all
        return text, 0, ""
    changed: list[str] = []  # the traditional-only characters t2s changes, one per position
    for chunk in _lines_in_chunks(text):
        new = _t2s_chunk(chunk)
        if new != chunk:
            changed += [a for a, b in zip(chunk, new, strict=True) if a != b and a in outside]
    found = "".join(sorted(set(changed)))
    if len(changed) < min_chars:
        return text, 0, found
    # converted again rather than kept: a text left alone (most) never holds a second copy
    out = fix_zhe("".join(_t2s_chunk(c) for c in _lines_in_chunks(text)))
    n_changed = sum(a != b for a, b in zip(text, out, strict=True))
    return out, n_changed, found


# A chunk of whole lines OpenCC converts at once (characters): its phrases never span a line
# break, so converting a text line-chunk by line-chunk gives the conversion of the whole text
# while OpenCC's buffers stay small for a long file.
_CHUNK = 1 << 20


def _lines_in_chunks(text: str, size: int = _CHUNK) -> list[str]:
    """``text`` cut after line breaks into pieces of about ``size`` characters (joined, they
    are ``text``; a line longer than ``size`` is a piece of its own)."""
    out, start = [], 0
    while start < len(text):
        stop = text.find("\n", start + size)
        stop = len(text) if stop < 0 else stop + 1
        out.append(text[start:stop])
        start = stop
    return out


def _t2s_chunk(chunk: str) -> str:
    """OpenCC t2s of ``chunk``, character for character (t2s is 1:1 in practice; where it is
    not, each character is converted alone)."""
    new = _t2s().convert(chunk)
    if len(new) != len(chunk):
        new = "".join(_t2s().convert(c) for c in chunk)
    return new


# OpenCC t2s keeps 著 everywhere, but simplified text writes 着 (zhuó, "apply"; zhe, the aspect
# particle) in these words of the genre, and keeps 著 (zhù, "marked, write") in 显著, 著作, 著名,
# 卓著, 土著, 编著 ... So after t2s, 著 becomes 着 in exactly these words (each written with 著):
# 着力 (着力点), 着眼, 着重, 着手, 着想, 着落, 着实, 着陆, 着装, 着火, 着急, 着意, 着墨, 着笔, and
# the particle after the verbs of the reports (沿着, 随着, 接着, 本着, 朝着, 向着, 为着, 意味着,
# 标志着, 存在着, 进行着, 围绕着, 面临着, 肩负着, 发挥着, 关系着, 影响着, 看着, 穿着, 执着).
_ZHE_WORDS = (
    "著力", "著眼", "著重", "著手", "著想", "著落", "著实", "著陆", "著装", "著火", "著急",
    "著意", "著墨", "著笔",
    "沿著", "随著", "接著", "本著", "朝著", "向著", "为著", "意味著", "标志著", "存在著",
    "进行著", "围绕著", "面临著", "肩负著", "发挥著", "关系著", "影响著", "看著", "穿著", "执著",
)  # fmt: skip
# not before 名 作 称 述 者 录: 向著名企业 is 向 + 著名 (famous), not 向着
_ZHE_RE = re.compile(
    "(?:" + "|".join(sorted(_ZHE_WORDS, key=len, reverse=True)) + ")(?![名作称述者录])"
)


def fix_zhe(text: str) -> str:
    """``text`` (simplified by OpenCC t2s) with 著 written 着 in the words of ``_ZHE_WORDS``
    (着力, 着眼, 随着 ...), the others (显著, 著作, 著名) left as they are; same length."""
    return _ZHE_RE.sub(lambda m: m.group().replace("著", "着"), text)


# ---------------------------------------------------------------------------------------------
# Crawler header lines
# ---------------------------------------------------------------------------------------------
_HEADER_KEY_RE = re.compile(
    r"^(标题|题目|年份|年度|来源|链接|网址|URL)[:：]\s*(.*)$", re.IGNORECASE
)
_HEADER_SEPARATOR_RE = re.compile(r"^[=＝\-_*#~]{10,}$")


def strip_crawler_header(text: str, *, max_lines: int = 6) -> tuple[str, str, Counter[str]]:
    """Remove the header a web crawler wrote above the page it saved.

    The header is a run of ``key：value`` lines (``标题：<title>``, ``年份：<year>``, ``来源``,
    ``链接`` …) and separator lines (ten or more ``=``, ``-``, ``*``) among the first
    ``max_lines`` non-blank lines, ending at the first separator or other line; it is removed
    only when a ``标题`` or ``年份`` line is among them. Returns the text, the ``标题`` value (the
    title as the crawler read it, evidence for inference; ``""`` without one) and the counts
    (``crawler_header``: characters removed).
    """
    lines = text.split("\n")
    counts: Counter[str] = Counter()
    header: list[int] = []
    keys: dict[str, str] = {}
    seen = 0
    for i, line in enumerate(lines):
        s = line.strip()
        if not s:
            continue
        seen += 1
        if seen > max_lines:
            break
        key = _HEADER_KEY_RE.match(s)
        if key:
            keys.setdefault(key.group(1), key.group(2).strip())
            header.append(i)
            continue
        if _HEADER_SEPARATOR_RE.match(s):
            header.append(i)
        break
    if not ({"标题", "年份"} & set(keys)):
        return text, "", counts
    counts["crawler_header"] = sum(len(lines[i]) for i in header)
    rest = "\n".join(lines[header[-1] + 1 :])
    return rest, keys.get("标题", ""), counts


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
        # 主办： opening a line names a site's owner; in a list item (…(主办:区教育局)) it
        # names the unit in charge of a project, which is report text
        re.compile(
            r"版权所有|©|ICP备|公网安备|网站标识码|技术支持[:：]|^主办方?[:：]|政府阳光热线"
        ),
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
# end-of-page markers that a page may run into the report's last sentence
_TRAILING_INLINE = re.compile(r"扫一扫在手机打开当前页|【关闭当前页面】|【关闭窗口】|【打印本页】")
# a portal's navigation menu ending in a breadcrumb trail (…首页>政务公开>…>其他法定信息>)
_NAV_TRAIL_RE = re.compile(r"^[^。!?！？]*?首页\s*[>›»](?:\s*[^>›»。!?！？\s]{1,16}\s*[>›»])+")
# a page's publication line (…发布时间：2003-02-21 16:02 信息来源：… 打印 分享到：…)
_PAGE_INFO_RE = re.compile(
    r"^[^。!?！？]{0,80}?发布(?:时间|日期)[:：]\s*\d{4}-\d{1,2}-\d{1,2}[^。!?！？]*(?:分享到[:：]?|打印|朗读)"
)
# page controls on one line: 下载、打印 / 打印 | 关闭
_CONTROLS_RE = re.compile(
    r"^(?:下载|打印|收藏|分享|关闭|全屏)(?:\s*[、|/ ]\s*(?:下载|打印|收藏|分享|关闭|全屏))+$"
)
# links to a graphic or video version of the report appended at the end of the page
_LINK = r"(?:相关(?:解读|图解|链接|阅读)[:：]?\s*)?(?:[(（]图解[)）]|图解[:：]?|一图读懂|视频解读[:：]?)"
_LINK_LINE_RE = re.compile(rf"^{_LINK}[^。!?！？]{{0,80}}$")
_LINK_TAIL_RE = re.compile(rf"(?<=[。!?！？”)）]){_LINK}[^。!?！？]{{0,80}}$")
# file names of a page's attachments (1．附件1：名词解释.doc), under a bare 附件： line
_FILE_NAME_RE = re.compile(
    r"^(?:\d{1,2}\s*[.．、]\s*)?.{1,100}\.(?:docx?|xlsx?|pdf|wps|et|ofd|zip|rar|jpe?g|png)$",
    re.IGNORECASE,
)
_ATTACHMENT_HEAD_RE = re.compile(r"^附件\s*[:：]?$")
_FONT_MENU_START = re.compile(r"^【字[号体]")
# the licence box is itself broken by wiki-link line breaks ("本作品是中华人民共和国的\n法律\n、")
_WIKISOURCE_FOOTER = re.compile(r"\s*".join("本作品是中华人民共和国的法律、法规"))
_NEWS_OUTLET = re.compile(r"^.{1,10}(日报|晚报|客户端|新闻网|政府网|日报社)$")


def clean_page(text: str) -> tuple[str, Counter[str], list[tuple[str, str]]]:
    """Remove text that is not the report from a normalized page (one raw file).

    Rules (each counted in characters removed): ``wikisource_footer`` (licence box to the end),
    ``trailing_chrome`` (from a 相关报道/扫一扫/打印本页 marker in the last tenth to the end,
    also when the marker is run into the last sentence), ``trailing_links`` (links to a
    图解/一图读懂/视频解读 version at the very end, also when run into the closing sentence),
    ``attachment_names`` (the file names of the page's attachments, ``附件：`` then
    ``1．附件1：名词解释.doc`` …, at the very end), ``font_menu`` (【字号 … 】 menus),
    ``breadcrumb`` (首页 > … lines, and a navigation menu ending in such a trail: removed up to
    the trail's end), ``advertisement``, ``copyright_icp``, ``web_chrome`` (source, time,
    editor, share lines; a publication line ``…发布时间：… 信息来源：… 分享到：`` up to its end) and
    ``chrome_line`` (page controls such as 下载/打印/收藏, ``下载、打印``).

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
    else:  # the marker run into the last sentence ("…各项任务。扫一扫在手机打开当前页")
        joined = "\n".join(lines)
        inline = _TRAILING_INLINE.search(joined, int(0.9 * len(joined)))
        if inline:
            drop("trailing_chrome", joined[inline.start() :])
            lines = joined[: inline.start()].split("\n")
    lines = _strip_appendages(lines, drop)

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
        head = _NAV_TRAIL_RE.match(s) or _PAGE_INFO_RE.match(s)
        if head:  # chrome at the start of a line; report text run on after it is kept
            drop("breadcrumb" if head.re is _NAV_TRAIL_RE else "web_chrome", head.group(0))
            line = s = s[head.end() :].strip()
            if not s:
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


def _strip_appendages(lines: list[str], drop) -> list[str]:
    """Lines without what a page appends after the report: link lines to a graphic or video
    version (``trailing_links``), also run into the last sentence, the attachments' file
    names under their ``附件：`` line (``attachment_names``) and page controls among them
    (``chrome_line``), taken from the end while they last (blank lines are kept)."""
    lines = list(lines)
    gone: set[int] = set()
    files = False
    end = len(lines)
    while end > 0:
        end -= 1
        s = lines[end].strip()
        if not s:
            continue
        if _line_rule(s) == "chrome_line":  # 下载、打印 below the links
            drop("chrome_line", lines[end])
        elif _LINK_LINE_RE.match(s):
            drop("trailing_links", lines[end])
        elif _FILE_NAME_RE.match(s):
            drop("attachment_names", lines[end])
            files = True
        elif files and _ATTACHMENT_HEAD_RE.match(s):
            drop("attachment_names", lines[end])
            files = False
        else:
            tail = _LINK_TAIL_RE.search(lines[end].rstrip())
            if tail:
                drop("trailing_links", tail.group(0))
                lines[end] = lines[end].rstrip()[: tail.start()]
            break
        gone.add(end)
    return [x for k, x in enumerate(lines) if k not in gone] if gone else lines


def _line_rule(s: str) -> str | None:
    if not s:
        return None
    if s in _CHROME_EXACT or s.rstrip(":：") in {"来源", "发表时间", "发布时间", "阅读量"}:
        return "chrome_line"
    if _CONTROLS_RE.match(s):
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
