"""`policyshift run` on corpora other than the bundled one, with the default config.

Each run is a subprocess started in an empty folder (no params.toml there, so the defaults
apply; see ``SMALL`` for the cost settings of the three larger runs) on a sub-corpus cut from the bundled data: the national reports of Wikisource (52), the 31 provincial
reports of 2025, the local reports, one single report, and three national documents that are
not work reports with the year only in the file name. Each must finish with exit 0 and no
traceback, write every applicable output and list each skipped analysis with its reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.results import Results

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
THREE = ("national_1955.txt", "national_1956.txt", "national_1958.txt")


def _policyshift(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "1", "POLICYSHIFT_QUIET": "1"}
    env.pop("POLICYSHIFT_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _three_documents(folder: Path) -> Path:
    """Three national documents that are not work reports (First Five-Year Plan, budget, plan
    reports), renamed ``report_<year>.txt`` with their opening lines (the session line that
    names the NPC session) removed, so the year is only in the file name."""
    folder.mkdir()
    for name in THREE:
        lines = (RAW / "wikisource-national" / name).read_text(encoding="utf-8").splitlines()
        body = [x for x in lines if x.strip()][2:]
        year = name.removesuffix(".txt").split("_")[1]
        (folder / f"report_{year}.txt").write_text("\n\n".join(body) + "\n", encoding="utf-8")
    return folder


CASES = {
    "national": lambda tmp: RAW / "wikisource-national",
    "provinces_2025": lambda tmp: RAW / "provincial-2025-docx",
    "local": lambda tmp: RAW / "local",
    "single": lambda tmp: RAW / "provincial-2025-docx" / "zhejiang_2025.txt",
    "three": lambda tmp: _three_documents(tmp / "documents"),
}


# The two small corpora run with the defaults as they are (no config file anywhere). The three
# larger ones run with a config that extends the defaults and changes only the cost of the topic
# grid, the bootstrap and the figures (resolution, PNG only) (the default grid of 21 fits per corpus would take
# CI's 2 cores about 8 minutes here); every analysis, check and skip is the default one.
DEFAULTS_AS_THEY_ARE = ("single", "three")
SMALL = """extends = {base!r}
[measures]
n_boot = 50
[topics]
k_grid = [3, 5]
seeds = [1]
passes = 2
gibbs_iterations = 100
chosen_k = 0
n_stability_seeds = 2
n_boot = 20
[figures]
dpi = 60
formats = ["png"]
"""


@pytest.fixture(scope="module", params=sorted(CASES))
def run(request, tmp_path_factory):
    """(case, results, completed process) of `policyshift run PATH --results DIR`."""
    tmp = tmp_path_factory.mktemp(request.param)
    work = tmp / "work"
    work.mkdir()
    path = CASES[request.param](tmp)
    args = ["run", str(path), "--results", str(tmp / "out")]
    if request.param not in DEFAULTS_AS_THEY_ARE:
        small = tmp / "small.toml"
        small.write_text(SMALL.format(base=(ROOT / "params.toml").as_posix()), encoding="utf-8")
        args += ["--config", str(small)]
    proc = _policyshift(*args, cwd=work)
    return request.param, Results(tmp / "out"), proc


def test_finishes_without_traceback(run):
    case, results, proc = run
    assert proc.returncode == 0, f"{case}: exit {proc.returncode}\n{proc.stderr[-3000:]}"
    assert "Traceback" not in proc.stderr + proc.stdout
    # the summary names where the outputs are
    assert f"results: {results.root}" in proc.stdout
    assert f"figures: {results.root / 'figures'}" in proc.stdout


def test_writes_applicable_outputs(run):
    case, results, _proc = run
    docs = results.documents()
    expected = {"national": 52, "provinces_2025": 31, "local": 28, "single": 1, "three": 3}
    assert len(docs) == expected[case]
    assert results.table("tables/concept_panel.parquet")["doc_id"].nunique() == len(docs)
    pngs = sorted(p.name for p in results.figures_dir.glob("*.png"))
    assert pngs, f"{case}: no figure drawn"
    assert (results.root / "report" / "index.html").is_file()
    assert (results.root / "run_log.json").is_file()


def test_lists_skips_with_reasons(run):
    case, results, proc = run
    skipped = results.skipped()
    assert not skipped.empty, f"{case}: nothing skipped on a sub-corpus"
    assert (skipped["reason"].str.len() > 10).all()
    # every skip is in the run summary too
    for analysis in skipped["analysis"]:
        assert f"skipped {analysis}" in proc.stdout
    # the bundled comparisons select collection == 'bundled' and the 2026 provincial reports:
    # none of them applies to the provinces of 2025 alone
    if case in ("national", "provinces_2025", "local", "three"):
        assert skipped["analysis"].str.contains("provinces_2026_vs_2025").any()


def test_three_documents_inferred_from_file_names(run):
    case, results, _proc = run
    if case != "three":
        pytest.skip("only the folder of three documents relies on inference")
    docs = results.documents().sort_values("source_file")
    assert docs["year"].tolist() == [1955, 1956, 1958]
    # 1955 and 1956 name 全国人民代表大会 in their text (national, low confidence); 1958, with its
    # opening removed, names no government of its own (中共中央 in a body sentence is a mention,
    # not a title), so its place stays missing and the metadata template asks for it
    assert docs["place"].tolist()[:2] == ["全国", "全国"] and pd.isna(docs["place"].iloc[2])
    assert docs["level"].tolist()[:2] == ["national", "national"]
    assert set(docs["collection"]) == {"documents"}
    template = pd.read_csv(results.path("corpus/metadata_template.csv"))
    assert template.set_index("source_file").loc["documents/report_1958.txt", "issue"] == (
        "place missing"
    )


def test_bundled_parts_keep_curated_metadata(run):
    case, results, _proc = run
    if case not in ("national", "local", "single"):
        pytest.skip("checked on parts of data/raw")
    docs = results.documents()
    meta = pd.read_csv(ROOT / "data" / "metadata.csv", dtype=str, keep_default_na=False)
    curated = meta.set_index("doc_id")
    assert set(docs["collection"]) == {"bundled"}
    for row in docs.itertuples():
        assert row.place == curated.loc[row.doc_id, "place"]
        assert str(row.year) == curated.loc[row.doc_id, "year"]


def test_make_all_is_policyshift_run_with_no_arguments(monkeypatch):
    """`make all` runs `policyshift run` on the same results, figures and config as the plain
    command does, so their outputs (and summaries) are the same files and bytes."""
    from analysis import config as config_mod
    from analysis.cli import build_parser
    from analysis.pipeline import results_for

    dry = subprocess.run(
        ["make", "-n", "all"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    line = next(x for x in dry.splitlines() if "policyshift run" in x)
    argv = line.split("policyshift", 1)[1].split()
    assert argv[0] == "run" and "--force" not in argv
    made = build_parser().parse_args(argv)
    plain = build_parser().parse_args(["run"])
    assert not made.paths and not made.metadata and not made.collection
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("POLICYSHIFT_CONFIG", raising=False)
    cfg_made = config_mod.load(ROOT / made.config)
    cfg_plain = config_mod.load(plain.config)
    assert cfg_made.hash() == cfg_plain.hash() and cfg_made.root == cfg_plain.root
    a = results_for(cfg_made, (ROOT / made.results).absolute())
    b = results_for(cfg_plain, plain.results)
    assert a.root.resolve() == b.root.resolve()
    assert a.figures_dir.resolve() == b.figures_dir.resolve() == ROOT / "figures"
