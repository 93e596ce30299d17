"""Hostile bytes, generated from the bundled reports: every encoding with and without BOM, a last
character cut in the middle, a NUL, control bytes, half mojibake in two codecs, a 5 MB single
line, empty and binary files. No valid report is lost (its clean text equals the clean ingest of
the original) and every file has a row of the ingest report saying what happened."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import opencc
import pandas as pd
import pytest
from conftest import RAW

from analysis.corpus import clean, ingest
from analysis.corpus.decode import DecodeError, decode_bytes, decode_report

BUNDLED = sorted(RAW.rglob("*.txt"))
# the 20 smallest bundled files without a masked '*' (whose restoration depends on the other
# reports of its folder): national, provincial, city and district reports of every source
SAMPLE = sorted((p for p in BUNDLED if b"*" not in p.read_bytes()), key=lambda p: p.stat().st_size)[
    :20
]


def _flat(path: Path) -> str:
    return path.relative_to(RAW).as_posix().replace("/", "__")


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def _at_line(data: bytes, insert: bytes) -> bytes:
    """``data`` with ``insert`` after the line feed nearest its middle (a character boundary)."""
    cut = data.index(b"\n", len(data) // 2) + 1
    return data[:cut] + insert + data[cut:]


def _half(text: str, wrong: Callable[[str], str]) -> str:
    """``text`` with the lines of its second half replaced by ``wrong(line)``."""
    lines = text.split("\n")
    half = len(lines) // 2
    return "\n".join([*lines[:half], *(wrong(line) for line in lines[half:])])


def _gbk_exact(line: str) -> str:
    """``line`` with each run of non-ASCII characters whose UTF-8 bytes GBK reads exactly (an
    even number of bytes, about half the runs) replaced by that reading."""

    def wrong(run: re.Match) -> str:
        try:
            return run.group().encode("utf-8").decode("gb18030")
        except UnicodeDecodeError:
            return run.group()

    return re.sub(r"[^\x00-\x7f]+", wrong, line)


def _gbk_lossy(line: str) -> str:
    """UTF-8 bytes of ``line`` read as GBK, undecodable bytes lost (U+FFFD), as editors do."""
    return line.encode("utf-8").decode("gb18030", errors="replace")


# kind -> (bytes of the variant from the original file's text, expected encoding label,
# expected truncated_bytes, control_chars_removed); the clean text must equal the original's
VALID: dict[str, tuple[Callable[[str], bytes], str, int, int]] = {
    "utf-8-sig": (lambda t: t.encode("utf-8-sig"), "utf-8-sig", 0, 0),
    "utf-16-le": (lambda t: t.encode("utf-16-le"), "utf-16-le", 0, 0),
    "utf-16-be": (lambda t: t.encode("utf-16-be"), "utf-16-be", 0, 0),
    "utf-16-le-bom": (lambda t: b"\xff\xfe" + t.encode("utf-16-le"), "utf-16-le-bom", 0, 0),
    "utf-16-be-bom": (lambda t: b"\xfe\xff" + t.encode("utf-16-be"), "utf-16-be-bom", 0, 0),
    "gb18030": (lambda t: t.encode("gb18030"), "gb18030", 0, 0),
    "cut-utf-8": (lambda t: t.encode() + "展".encode()[:2], "utf-8", 2, 0),
    "cut-gb18030": (lambda t: t.encode("gb18030") + "展".encode("gb18030")[:1], "gb18030", 1, 0),
    "cut-utf-16-le": (lambda t: t.encode("utf-16-le") + b"\x55", "utf-16-le", 1, 0),
    "nul": (lambda t: _at_line(t.encode(), b"\x00"), "utf-8", 0, 1),
    "controls": (lambda t: _at_line(t.encode(), b"\x01\x08\x0b\x1b\x1f") + b"\x00", "utf-8", 0, 6),
    # three invalid UTF-8 sequences (a lone 0xff, a lone continuation byte, a lead byte with no
    # continuation) at a line start: removed and counted, the report kept
    "stray-bytes": (lambda t: _at_line(t.encode(), b"\xff\x80\xc3"), "utf-8", 0, 0),
    "mojibake-gbk-exact": (lambda t: _half(t, _gbk_exact).encode(), "utf-8", 0, 0),
    "mojibake-cp1252": (
        lambda t: _half(t, lambda s: s.encode().decode("sloppy-windows-1252")).encode(),
        "utf-8",
        0,
        0,
    ),
    "mojibake-latin-1": (
        lambda t: _half(t, lambda s: s.encode().decode("latin-1")).encode(),
        "utf-8",
        0,
        0,
    ),
}
BIG_LINE = 5 * 1024 * 1024  # bytes of the single-line file
# file name -> bytes and the start of the reason of its rejection
REJECTED: dict[str, tuple[Callable[[], bytes], str]] = {
    "empty.txt": (lambda: b"", "empty file (0 bytes)"),
    "binary_all_bytes.txt": (lambda: bytes(range(256)) * 20, "binary file"),
    "binary_ascii_controls.txt": (lambda: bytes(range(128)) * 20, "binary file"),
    "picture.txt": (lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "binary file: PNG"),
    "archive.txt": (lambda: b"PK\x03\x04" + bytes(20) + _text(SAMPLE[0]).encode(), "binary file"),
    "mojibake_lossy.txt": (lambda: _half(_text(SAMPLE[0]), _gbk_lossy).encode(), "mojibake"),
}


def _one_line() -> str:
    """Bundled reports without a masked '*' with their line breaks turned into spaces, up to
    :data:`BIG_LINE` bytes (reports that lost their line breaks, or a scrape's one-line dump)."""
    text, size = [], 0
    for path in BUNDLED:
        if b"*" in path.read_bytes():
            continue
        text.append(_text(path).replace("\n", " "))
        size += len(text[-1].encode())
        if size >= BIG_LINE:
            return " ".join(text)
    raise AssertionError("bundled corpus smaller than BIG_LINE")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, cfg) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(documents, report)`` of one ingest of the originals of :data:`SAMPLE` (folder
    ``orig``) and every variant of them (folder ``hostile``, a subfolder per kind)."""
    root = tmp_path_factory.mktemp("hostile")
    orig, bad = root / "orig", root / "hostile"
    orig.mkdir()
    for path in SAMPLE:
        (orig / _flat(path)).write_bytes(path.read_bytes())
        for kind, (make, *_) in VALID.items():
            (bad / kind).mkdir(parents=True, exist_ok=True)
            (bad / kind / _flat(path)).write_bytes(make(_text(path)))
    for name, (make, _) in REJECTED.items():
        (bad / name).write_bytes(make())
    (bad / "one_line.txt").write_text(_one_line(), encoding="utf-8")
    corpus = ingest([orig, bad], config=cfg, metadata=[], results=root / "results")
    return corpus.documents, corpus.report.set_index("file")


def _clean_texts(documents: pd.DataFrame, folder: str) -> dict[tuple[str, int], str]:
    """``{(file name, part): clean text}`` of the reports of files under ``folder``."""
    mine = documents[documents["source_file"].str.startswith(folder + "/")]
    return {
        (f.rsplit("/", 1)[1], int(p)): t
        for f, p, t in zip(mine["source_file"], mine["part"], mine["text"], strict=True)
    }


@pytest.mark.parametrize("kind", list(VALID))
def test_valid_variant_keeps_clean_text(hostile, kind):
    documents, report = hostile
    _, encoding, truncated, controls = VALID[kind]
    expected = _clean_texts(documents, "orig")
    got = _clean_texts(documents, f"hostile/{kind}")
    assert len(expected) >= len(SAMPLE)
    assert got == expected
    rows = report.loc[[f"hostile/{kind}/{_flat(p)}" for p in SAMPLE]]
    assert rows["status"].str.match(r"accepted|split into \d+").all()
    assert (rows["encoding"] == encoding).all()
    assert (rows["truncated_bytes"] == truncated).all()
    assert (rows["control_chars_removed"] == controls).all()
    assert (rows["invalid_sequences_removed"] == (3 if kind == "stray-bytes" else 0)).all()
    if kind == "stray-bytes":
        assert rows["reason"].str.contains("3 invalid UTF-8 byte sequence").all()
    if kind.startswith("mojibake"):
        # share of the characters of the file as decoded (cp1252 mojibake has 3 per Chinese
        # character, up to 94% measured); gbk-exact: only the runs GBK reads exactly, ~1%
        assert ((rows["mojibake_share"] > 0) & (rows["mojibake_share"] < 0.95)).all()
        assert (rows["mojibake_repaired"] > 0).all()
        assert rows["reason"].str.contains("mojibake repaired").all()
    else:
        assert (rows["mojibake_share"] == 0).all()
    if truncated or controls:
        assert rows["reason"].str.contains("dropped at the end|control character").all()


@pytest.mark.parametrize("name", list(REJECTED))
def test_hostile_file_rejected_with_reason(hostile, name):
    _, report = hostile
    row = report.loc[f"hostile/{name}"]
    assert row["status"] == "rejected"
    assert row["reason"].startswith(REJECTED[name][1])


def test_mojibake_rejection_gives_the_share(hostile):
    _, report = hostile
    row = report.loc["hostile/mojibake_lossy.txt"]
    # the second half of the lines, measured 17.5% of the characters as decoded
    assert 0.1 < row["mojibake_share"] < 0.7
    assert "of characters look like UTF-8 read with another codec" in row["reason"]


def test_five_megabyte_line_is_one_report(hostile):
    documents, report = hostile
    row = report.loc["hostile/one_line.txt"]
    assert row["status"] == "accepted" and row["bytes"] >= BIG_LINE
    doc = documents[documents["source_file"] == "hostile/one_line.txt"].iloc[0]
    # cleaning removes web chrome, never Chinese text: most Han characters are kept
    assert doc["n_han"] > 0.95 * clean.count_han(_one_line())


def test_every_file_has_a_row_with_a_reason(hostile):
    _, report = hostile
    n_files = len(SAMPLE) * (1 + len(VALID)) + len(REJECTED) + 1
    assert len(report) == n_files
    accepted = report["status"].str.match(r"accepted|split into \d+")
    assert (accepted | (report["reason"].fillna("") != "")).all()
    assert set(report.loc[~accepted, "status"]) == {"rejected"}
    assert report["truncated_bytes"].dtype == "Int64"


def test_cleaning_table_counts_decode_repairs(hostile, cfg, tmp_path):
    path = SAMPLE[1]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_bytes(
        _half(_text(path), lambda s: s.encode().decode("sloppy-windows-1252")).encode() + b"\x00"
    )
    corpus = ingest([tmp_path / "in"], config=cfg, metadata=[], results=tmp_path / "results")
    rules = corpus.rules.groupby("rule")["chars"].sum()
    assert rules["control_chars"] == 1
    repaired = corpus.report.loc[0, "mojibake_repaired"]
    assert rules["mojibake_repaired"] == repaired > 1000


# decoding alone, on every bundled file


def test_bundled_files_decode_as_today():
    """No false positive on the bundled corpus: every file decodes to exactly the text the
    decoder gave before statistics and repair (all bundled files are UTF-8)."""
    for path in BUNDLED:
        data = path.read_bytes()
        decoded = decode_report(data)
        assert (decoded.text, decoded.encoding) == (data.decode("utf-8"), "utf-8"), path
        assert (decoded.truncated_bytes, decoded.control_removed, decoded.repaired) == (0, 0, 0)
        assert decoded.mojibake_share == 0.0, path


@pytest.mark.parametrize(
    ("codec", "label"),
    [
        ("utf-16-le", "utf-16-le"),
        ("utf-16-be", "utf-16-be"),
        ("utf-16", "utf-16-le-bom"),
        ("utf-8-sig", "utf-8-sig"),
        ("gb18030", "gb18030"),
    ],
)
def test_every_bundled_file_reencoded_decodes_exactly(codec, label):
    # 一 (U+4E00) and 开 (U+5F00) hold a zero byte in UTF-16: once a reason to reject the file
    assert sum("一" in _text(p) and "开" in _text(p) for p in BUNDLED) > 200
    for path in BUNDLED:
        text = _text(path)
        assert decode_bytes(text.encode(codec)) == (text, label), path


def test_big5_traditional_text_decodes_exactly():
    to_traditional = opencc.OpenCC("s2t")
    checked = 0
    for path in BUNDLED[::10]:
        lines = []
        for line in to_traditional.convert(_text(path)).split("\n"):
            try:
                line.encode("big5")
            except UnicodeEncodeError:
                continue
            lines.append(line)
        text = "\n".join(lines)
        assert decode_bytes(text.encode("big5")) == (text, "big5"), path
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (bytes(range(256)) * 20, "binary file"),
        (b"%PDF-1.7\n" + "政府工作报告".encode() * 50, "binary file: PDF"),
    ],
)
def test_decode_rejects_with_reason(data, reason):
    with pytest.raises(DecodeError, match=reason):
        decode_report(data)
