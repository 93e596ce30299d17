"""Every path accounted for (issue 13, build 3) and identity fixes (build 6): hostile folders
generated from bundled reports (symlink loops, dangling links, locked folders and files, odd file
names, duplicates), each path a row of the ingest report with a reason; ``--strict`` exits 1
exactly when something was rejected or skipped; no accepted report gives the report and one line
(exit 1); the corpus hash follows the ingest settings; doc_ids start with a letter; t2s writes
着 in 着力, 随着 ... (checked on the 1954 report)."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from conftest import RAW

from analysis.cli import main
from analysis.corpus import clean, ingest
from analysis.corpus.ingest import BUNDLED, _assign_ids, _Report

# Small bundled reports (30-37 kB) to copy into the generated folders, one per distinct file.
REPORTS = [
    RAW / "provincial-2025-docx" / f"{n}_2025.txt" for n in ("jilin", "hebei", "xizang", "shaanxi")
]
CELL_SPLIT = re.compile(r"(?<!\\)\|")  # a cell boundary: | not escaped


def _files_table(results: Path) -> list[str]:
    """The rows of the Files table of ``ingest_report.md``."""
    lines = (results / "corpus" / "ingest_report.md").read_text(encoding="utf-8").split("\n")
    start = lines.index("## Files") + 4  # heading, blank, header, rule
    end = lines.index("", start)
    return lines[start:end]


def _cli(folder: Path, results: Path, *extra: str) -> int:
    return main(["ingest", str(folder), "--results", str(results), *extra])


def _loop_up(d: Path) -> dict[str, tuple[str, str]]:
    (d / "sub").mkdir()
    os.symlink("..", d / "sub" / "up")
    return {"sub/up/": ("skipped", "symlink loop (to the input folder)")}


def _loop_pair(d: Path) -> dict[str, tuple[str, str]]:
    os.symlink("b.txt", d / "a.txt")
    os.symlink("a.txt", d / "b.txt")
    why = "symlink loop (the link resolves to itself)"
    return {"a.txt": ("skipped", why), "b.txt": ("skipped", why)}


def _dangling(d: Path) -> dict[str, tuple[str, str]]:
    os.symlink("gone.txt", d / "link.txt")
    return {"link.txt": ("rejected", "dangling symlink (to gone.txt, which does not exist)")}


def _folder_twice(d: Path) -> dict[str, tuple[str, str]]:
    (d / "sub").mkdir()
    shutil.copy(REPORTS[1], d / "sub" / "hebei.txt")
    os.symlink("sub", d / "zlink")
    return {
        "sub/hebei.txt": ("accepted", ""),
        "zlink/": ("skipped", "folder already read as sub/"),
    }


def _link_to_file(d: Path) -> dict[str, tuple[str, str]]:
    os.symlink("report.txt", d / "same.txt")
    return {"same.txt": ("rejected", "duplicate of mine/report.txt (identical bytes)")}


def _docx_beside(d: Path) -> dict[str, tuple[str, str]]:
    (d / "report.docx").write_bytes(b"PK\x03\x04 a Word file")
    return {"report.docx": ("skipped", "not a .txt file")}


def _fifo(d: Path) -> dict[str, tuple[str, str]]:
    os.mkfifo(d / "pipe.txt")
    return {"pipe.txt": ("skipped", "not a regular file")}


def _notes(d: Path) -> dict[str, tuple[str, str]]:
    (d / "SOURCE.md").write_text("where the reports come from\n", encoding="utf-8")
    return {"SOURCE.md": ("notes", "folder notes, not a report")}


def _two_folders_same_name(d: Path) -> dict[str, tuple[str, str]]:
    for sub, src in (("a", REPORTS[1]), ("b", REPORTS[2])):
        (d / sub).mkdir()
        shutil.copy(src, d / sub / "2025.txt")
    return {"a/2025.txt": ("accepted", ""), "b/2025.txt": ("accepted", "")}


def _odd_names(d: Path) -> dict[str, tuple[str, str]]:
    names = ["a|b.txt", "line\nbreak.txt", "quote\"s'`tick`.txt", "报告.txt"]
    for name, src in zip(names, REPORTS[1:], strict=False):
        shutil.copy(src, d / name)
    return {n: ("accepted", "") for n in names[:3]}


# name -> (builder adding hostile paths beside mine/report.txt, --strict exit code)
CASES: dict[str, tuple[Callable[[Path], dict[str, tuple[str, str]]], int]] = {
    "symlink_loop_to_parent": (_loop_up, 1),
    "symlink_loop_pair": (_loop_pair, 1),
    "dangling_symlink": (_dangling, 1),
    "symlinked_folder_read_once": (_folder_twice, 1),
    "symlink_to_a_file": (_link_to_file, 1),
    "docx_beside_a_report": (_docx_beside, 1),
    "fifo": (_fifo, 1),
    "folder_notes": (_notes, 0),
    "same_name_in_two_folders": (_two_folders_same_name, 0),
    "names_with_pipe_newline_quotes": (_odd_names, 0),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_path_has_a_row_with_a_reason(cfg, tmp_path, case):
    build, strict_code = CASES[case]
    d = tmp_path / "mine"
    d.mkdir()
    shutil.copy(REPORTS[0], d / "report.txt")
    expected = {"report.txt": ("accepted", ""), **build(d)}
    results = tmp_path / "results"
    assert _cli(d, results) == 0
    report = pd.read_csv(results / "corpus" / "ingest_report.csv", dtype=str, keep_default_na=False)
    got = {
        f.removeprefix("mine/"): (s, r) for f, s, r in report[["file", "status", "reason"]].values
    }
    for name, (status, reason) in expected.items():
        assert got[name][0] == status, (name, got[name])
        assert got[name][1] == reason, (name, got[name])
    assert all(r for s, r in got.values() if s != "accepted")  # every other row says why
    rows = _files_table(results)
    assert len(rows) == len(report)
    assert all(len(CELL_SPLIT.split(r)) == 8 for r in rows), rows  # 6 cells each
    assert (report["bytes"].str.fullmatch(r"\d*")).all()  # integers (empty when not read)
    assert _cli(d, results, "--strict") == strict_code


def test_odd_file_names_keep_their_cells_and_get_letter_first_ids(cfg, tmp_path):
    d = tmp_path / "2025"  # a collection named by digits too
    d.mkdir()
    _odd_names(d)
    shutil.copy(REPORTS[0], d / "2025.txt")
    c = ingest([d], config=cfg, metadata=[], results=tmp_path / "r")
    docs = c.documents.set_index("source_file")["doc_id"]
    assert docs["2025/2025.txt"] == "doc_2025__2025"
    assert docs["2025/a|b.txt"] == "doc_2025__a_b"
    assert all(re.match(r"[a-z]", i) for i in docs) and docs.is_unique
    rows = _files_table(tmp_path / "r")
    assert any(r"a\|b.txt" in r for r in rows)
    assert any(r"line\nbreak.txt" in r for r in rows)
    assert any("quote\"s'\\`tick\\`.txt" in r for r in rows)
    # a collection named by digits, and a bundled file named by digits (no collection prefix)
    one = tmp_path / "bundled_like"
    one.mkdir()
    shutil.copy(REPORTS[0], one / "2025.txt")
    got = ingest([one], config=cfg, metadata=[], results=tmp_path / "r2", collection="2024")
    assert got.documents["doc_id"].tolist() == ["doc_2024__2025"]
    reps = [_Report("2025.txt", 1, "", "", "", "", "", 0, "") for _ in range(2)]
    for r in reps:
        r.meta["collection"] = BUNDLED
    reps[1].source_file = "2025.TXT"
    _assign_ids(reps)
    assert [r.meta["doc_id"] for r in reps] == ["doc_2025", "doc_2025_x"]


def test_exact_duplicate_sorting_first_loses_to_the_listed_file(cfg, tmp_path):
    d = tmp_path / "mine"
    d.mkdir()
    shutil.copy(REPORTS[0], d / "0_copy.txt")
    shutil.copy(REPORTS[0], d / "jilin.txt")
    table = tmp_path / "meta.csv"
    table.write_text("source_file,place,year\njilin.txt,吉林省,2025\n", encoding="utf-8")
    c = ingest([d], config=cfg, metadata=[table], results=tmp_path / "r")
    rep = c.report.set_index("file")
    assert rep.loc["mine/jilin.txt", "status"] == "accepted"
    assert rep.loc["mine/0_copy.txt", "reason"] == (
        "duplicate of mine/jilin.txt (identical bytes; it is listed in a metadata table)"
    )
    doc = c.documents.set_index("source_file").loc["mine/jilin.txt"]
    assert (doc["place"], doc["place_source"]) == ("吉林省", "user")
    # without the table the first by path is kept, as before
    bare = ingest([d], config=cfg, metadata=[], results=tmp_path / "r2").report.set_index("file")
    assert bare.loc["mine/jilin.txt", "reason"] == "duplicate of mine/0_copy.txt (identical bytes)"


def test_a_row_for_another_folder_says_it_matched_by_file_name(cfg, tmp_path, capsys):
    d = tmp_path / "mine"
    (d / "a").mkdir(parents=True)
    shutil.copy(REPORTS[1], d / "a" / "hebei.txt")
    table = tmp_path / "meta.csv"
    table.write_text(
        "source_file,place,yeer\nelsewhere/hebei.txt,河北省,\nnot_here.txt,全国,\n",
        encoding="utf-8",
    )
    c = ingest([d], config=cfg, metadata=[table], results=tmp_path / "r")
    doc = c.documents.iloc[0]
    assert (doc["place"], doc["place_source"]) == ("河北省", "user by file name")
    assert "row of elsewhere/hebei.txt" in doc["inference_evidence"]
    warned = c.report[c.report["status"] == "warning"]["reason"].tolist()
    assert warned == [
        "unknown column(s) yeer (misspelt? ignored)",
        "1 row(s) match no report ingested: not_here.txt",
    ]
    err = capsys.readouterr().err
    assert "warning: metadata table" in err and "not_here.txt" in err
    args = [str(d), "--metadata", str(table), "--results", str(tmp_path / "r2")]
    assert main(["ingest", *args]) == 0
    assert main(["ingest", *args, "--strict"]) == 1
    assert main(["ingest", *args, "--strict-metadata"]) == 2


@pytest.mark.parametrize("what", ["missing_path", "docx_only", "binary_only"])
def test_no_accepted_report_writes_the_report_and_one_line(tmp_path, capsys, what):
    d = tmp_path / "mine"
    if what != "missing_path":
        d.mkdir()
        if what == "docx_only":
            (d / "a.docx").write_bytes(b"PK\x03\x04")
            (d / "b.docx").write_bytes(b"PK\x03\x05")
        else:
            (d / "a.txt").write_bytes(bytes(range(256)) * 8)
    results = tmp_path / "results"
    capsys.readouterr()
    assert _cli(d, results) == 1
    err = capsys.readouterr().err.strip().split("\n")
    assert len(err) == 1 and err[0].startswith("policyshift ingest: no report accepted"), err
    report = pd.read_csv(results / "corpus" / "ingest_report.csv", dtype=str, keep_default_na=False)
    assert len(report) == {"missing_path": 1, "docx_only": 2, "binary_only": 1}[what]
    assert (report["reason"] != "").all() and (report["reports"] == "0").all()
    assert len(_files_table(results)) == len(report)
    assert _cli(d, results) == 1  # up to date: still no report, still an error


def _run_locked(cfg, d: Path, results: Path, *extra: str) -> int:
    """``policyshift ingest`` of ``d`` with the locked paths unreadable: as user ``nobody`` in a
    forked child when running as root (root reads any file; the interpreter lives under /root,
    which ``nobody`` cannot open, so a fresh subprocess cannot start), else in-process."""
    if os.geteuid() != 0:
        return _cli(d, results, *extra)
    ingest([d], config=cfg, metadata=[], results=results.with_name("warm"))  # load every module
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 3
        try:
            os.setgid(65534)
            os.setuid(65534)
            code = _cli(d, results, *extra)
        except BaseException:
            (results.parent / "child_error.txt").write_text(traceback.format_exc())
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    error = results.parent / "child_error.txt"
    assert not error.exists(), error.read_text()
    return os.waitstatus_to_exitcode(status)


@pytest.fixture
def world_tmp():
    """A temporary folder every user can enter (``tmp_path`` is private to its owner)."""
    folder = Path(tempfile.mkdtemp(prefix="policyshift_locked_"))
    folder.chmod(0o777)
    yield folder
    for p in folder.rglob("*"):
        if p.is_dir() and not p.is_symlink():
            p.chmod(0o755)
    shutil.rmtree(folder)


def test_locked_folder_and_file_are_rejected_not_lost(cfg, world_tmp):
    d = world_tmp / "mine"
    (d / "locked").mkdir(parents=True)
    shutil.copy(REPORTS[0], d / "report.txt")
    shutil.copy(REPORTS[1], d / "locked" / "hebei.txt")  # a valid report inside
    shutil.copy(REPORTS[2], d / "secret.txt")
    for p in (d, d / "report.txt", d / "locked" / "hebei.txt"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    (d / "secret.txt").chmod(0o000)
    (d / "locked").chmod(0o000)
    results = world_tmp / "results"
    assert _run_locked(cfg, d, results) == 0
    report = pd.read_csv(results / "corpus" / "ingest_report.csv", dtype=str, keep_default_na=False)
    got = {f: (s, r) for f, s, r in report[["file", "status", "reason"]].values}
    assert got == {
        "mine/locked/": ("rejected", "unreadable folder: Permission denied"),
        "mine/report.txt": ("accepted", ""),
        "mine/secret.txt": ("rejected", "unreadable: Permission denied"),
    }
    assert len(_files_table(results)) == 3
    assert _run_locked(cfg, d, results, "--strict") == 1


def test_corpus_hash_follows_the_ingest_settings(cfg, tmp_path):
    d = tmp_path / "mine"
    d.mkdir()
    shutil.copy(REPORTS[0], d / "a.txt")
    (d / "short.txt").write_text("关于推进工作的报告" * 30, encoding="utf-8")  # 270 Han
    base = ingest([d], config=cfg, metadata=[], results=tmp_path / "r0")
    assert len(base.documents) == 2
    low = dataclasses.replace(cfg, ingest=dataclasses.replace(cfg.ingest, min_han_chars=300))
    fewer = ingest([d], config=low, metadata=[], results=tmp_path / "r1")
    assert len(fewer.documents) == 1 and fewer.corpus_hash != base.corpus_hash
    # a setting that does not change which reports are kept still changes the hash
    other = dataclasses.replace(cfg, ingest=dataclasses.replace(cfg.ingest, long_line_chars=1400))
    assert ingest([d], config=other, metadata=[], results=tmp_path / "r2").corpus_hash not in {
        base.corpus_hash,
        fewer.corpus_hash,
    }
    again = ingest([d], config=cfg, metadata=[], results=tmp_path / "r3")
    assert again.corpus_hash == base.corpus_hash  # deterministic


def test_t2s_writes_zhe_in_zhuoli_words_on_the_1954_report(metadata):
    row = metadata[metadata["doc_id"] == "national_1954"].iloc[0]
    original = (RAW / row["source_file"]).read_text(encoding="utf-8")
    # the 1954 source writes 着 (着重, 着手, 随着); standard traditional writes 著
    standard = original.replace("着", "著")
    words = ("着重", "着手", "随着", "接着")
    as_given = clean.to_simplified(original)[0]
    counts = {w: as_given.count(w) for w in words}
    assert counts == {"着重": 2, "着手": 1, "随着": 3, "接着": 2}
    opencc_only = clean._t2s().convert(standard)
    assert {w: opencc_only.count(w) for w in words} == dict.fromkeys(words, 0)
    simplified, n, _ = clean.to_simplified(standard)
    assert n > 5000 and {w: simplified.count(w) for w in words} == counts
    assert simplified.count("显著") == as_given.count("显著") == 3  # 显著 stays
    assert "著作" in simplified  # and so does 著作
    assert clean.fix_zhe("向著名企业学习，著力推进") == "向著名企业学习，着力推进"
