"""Large inputs (issue 13, build 5): the size limit and compilations split like separate files."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path

from analysis.config import Config

ingest_mod = importlib.import_module("analysis.corpus.ingest")
COMPILATION = Path(__file__).resolve().parents[2] / "data/raw/local/004_6b340ccef4bd5f14.txt"
# the title lines (1-based) of its second and third reports, and the end of the third
CUTS = (87, 162, 232)


def _cfg(cfg: Config, **values) -> Config:
    values.setdefault("restore_reference", "none")
    return dataclasses.replace(cfg, ingest=dataclasses.replace(cfg.ingest, **values))


def test_max_file_bytes_rejects_with_the_reason(cfg, tmp_path):
    size = COMPILATION.stat().st_size
    (tmp_path / "big.txt").write_bytes(COMPILATION.read_bytes())
    # a small report besides it (an ingest that accepts nothing fails before issue 13 build 3)
    head = COMPILATION.read_text(encoding="utf-8").split("\n")[: CUTS[0] - 1]
    (tmp_path / "small.txt").write_text("\n".join(head), encoding="utf-8")
    corpus = ingest_mod.compute_corpus(
        [tmp_path], config=_cfg(cfg, max_file_bytes=size - 1), metadata=[]
    )
    row = corpus.report[corpus.report["file"].str.endswith("big.txt")].iloc[0]
    assert row["status"] == "rejected" and row["bytes"] == size
    assert row["reason"] == (
        f"larger than max_file_bytes ({size} bytes > {size - 1}); "
        "split it or raise [ingest] max_file_bytes"
    )
    ok = ingest_mod.compute_corpus([tmp_path], config=_cfg(cfg, max_file_bytes=size), metadata=[])
    assert ok.report["status"].tolist() == ["split into 24", "accepted"]


def test_compilation_splits_into_the_reports_ingested_separately(cfg, tmp_path):
    lines = COMPILATION.read_text(encoding="utf-8").split("\n")
    bounds = (0, *CUTS)
    (tmp_path / "one").mkdir()
    (tmp_path / "apart").mkdir()
    (tmp_path / "one" / "c.txt").write_text("\n".join(lines[: CUTS[-1] - 1]), encoding="utf-8")
    for k in range(3):
        part = "\n".join(lines[bounds[k] - (k > 0) : bounds[k + 1] - 1])
        (tmp_path / "apart" / f"r{k}.txt").write_text(part, encoding="utf-8")
    c = _cfg(cfg)
    one = ingest_mod.compute_corpus([tmp_path / "one"], config=c, metadata=[]).documents
    apart = ingest_mod.compute_corpus([tmp_path / "apart"], config=c, metadata=[]).documents
    assert len(one) == len(apart) == 3
    assert one["title"].tolist() == [
        "2023年彬州市政府工作报告",
        "2023年高安市政府工作报告",
        "2023年邯郸市政府工作报告",
    ]
    assert one["text"].tolist() == apart["text"].tolist()
