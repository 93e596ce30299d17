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
