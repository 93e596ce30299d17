"""Pure cleaning steps: normalization, script conversion, decoding, atomic writes."""

from __future__ import annotations

import pytest

from analysis import io
from analysis.corpus import clean
from analysis.corpus.decode import DecodeError, decode_bytes


def test_normalize_counts_each_rule():
    text, counts = clean.normalize("１９５５年\r\n经济\u200b建设\u00a0ＡＢ，一九\u3000\n1 9 9 8 年")
    assert text == "1955年\n经济建设 AB,一九 \n1998 年"
    assert counts == {
        "line_endings": 1,
        "zero_width": 1,
        "no_break_space": 2,
        "fullwidth": 7,
        "spaces_in_numbers": 3,
    }


def test_to_simplified_threshold():
    assert clean.to_simplified("我們的國家經濟會議", min_chars=5)[0] == "我们的国家经济会议"
    # below the threshold, or GB2312 characters such as 乾 (乾县), stay
    assert clean.to_simplified("乾县们", min_chars=5) == ("乾县们", 0, "")
    assert clean.to_simplified("國家", min_chars=5) == ("國家", 0, "國")


def test_decode_big5_and_utf16():
    text = "中華人民共和國國務院政府工作報告，各位代表，現在我代表國務院向大會報告工作。" * 10
    assert decode_bytes(text.encode("big5")) == (text, "big5")
    assert decode_bytes(text.encode("utf-16"))[0] == text
    assert decode_bytes(text.encode("utf-16-le")) == (text, "utf-16-le")
    with pytest.raises(DecodeError, match="empty file"):
        decode_bytes(b"")


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "table.csv"
    with pytest.raises(RuntimeError), io.atomic_open(target, "w") as fh:
        fh.write("half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_number_gaps():
    assert clean.find_number_gaps("全市地区生产总值突破亿元,(年12月29日通过") == [
        "突破亿元",
        "年12月29日",
    ]
    assert clean.find_number_gaps("新增万吨级泊位,超亿元项目,实现倍增") == []


def test_crawler_header_removed_and_its_title_kept():
    page = "标题：二O一二年政府工作报告\n年份：2014\n" + "=" * 60 + "\n\n各位代表：现在，"
    text, title, counts = clean.strip_crawler_header(page)
    assert (text, title) == ("\n各位代表：现在，", "二O一二年政府工作报告")
    assert counts == {"crawler_header": 14 + 7 + 60}
    # a report's own first lines are not a header (no 标题 / 年份 line)
    assert clean.strip_crawler_header("来源：新华社\n各位代表：")[0] == "来源：新华社\n各位代表："


def test_portal_chrome_run_into_report_lines():
    body = "一、2002年工作完成情况\n" + "国民经济保持快速增长。" * 80
    page = (
        "驻马店市人民政府豫州之腹地搜索首页政务要闻首页>政务公开>政府信息公开>其他法定信息>\n"
        "政府工作报告发布时间:2003-02-21 16:02信息来源:驻马店市情网打印分享到:\n"
        f"{body}\n圆满完成今年的各项任务。扫一扫在手机打开当前页【关闭当前页面】\n\n"
        "发布日期:2003-02-21来源:驻马店市情网朗读.footer {display: block !important;}"
    )
    text, counts, _ = clean.clean_page(page)
    assert text.startswith("一、2002年工作完成情况\n")
    assert text.endswith("圆满完成今年的各项任务。")
    assert set(counts) == {"breadcrumb", "web_chrome", "trailing_chrome"}


def test_trailing_links_and_attachment_names():
    body = "推动经济社会高质量发展。" * 50 + "\n"
    page = (
        body
        + "让我们……而努力奋斗!相关解读:图解2021年驻马店市政府工作报告视频解读:2021年政府工作报告"
    )
    text, counts, _ = clean.clean_page(page)
    assert text.endswith("而努力奋斗!") and set(counts) == {"trailing_links"}
    page = (
        body + "让我们……而努力奋斗!\n\n\n附件:\n1.附件1 名词解释.docx\n2.附件2 民生实事.doc\n"
        "图解\n 一图读懂 | 2019年宝安区政府工作报告 2020-01-16\n下载、打印"
    )
    text, counts, _ = clean.clean_page(page)
    assert text.rstrip().endswith("而努力奋斗!")
    assert set(counts) == {"trailing_links", "attachment_names", "chrome_line"}
    # 图解 inside the report, or a file name that is not at the end, stays
    kept = "一、图解政策,送政策上门。\n" + body + "附件:\n1.名词解释.doc\n让我们……而努力奋斗!"
    assert clean.clean_page(kept)[0] == kept
