"""Every notebook runs on any results folder: sections that do not apply say so, none raises.

Two results folders: the real bundled local reports alone (ingest, tokens and measures run by
the pipeline; no topics) and the synthetic tables of ``tests/figures`` cut to national reports
only. Each notebook is executed top to bottom with ``POLICYSHIFT_RESULTS`` pointing at the
folder; no cell may have an error output, and the notes stand where sections do not apply.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from conftest import ROOT
from nbclient import NotebookClient

from analysis import config as config_mod
from analysis.pipeline import results_of, run_ingest, run_measures, run_tokens
from analysis.views import NotApplicable, Note, open_results

sys.path.insert(0, str(ROOT / "tests" / "figures"))
from test_any_results import _config, _national_only

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# The comparisons of params.toml that apply to the local reports alone (the others match no
# report there; the measures stage skips them once it checks them against the corpus).
LOCAL_COMPARISONS = """
[[measures.comparisons]]
id = "zhejiang_local_vs_other_local"
label = "Zhejiang city/county reports vs other city/county reports"
target = "province == '浙江省' and level in ['prefecture', 'county-level']"
reference = "province != '浙江省' and level in ['prefecture', 'county-level']"
unit = "report"
"""


@pytest.fixture(scope="module")
def local_only(tmp_path_factory) -> tuple[Path, Path]:
    """Results of the bundled local reports alone (no topics): ``(results, config)``."""
    folder = tmp_path_factory.mktemp("local")
    cfg_path = folder / "local.toml"
    cfg_path.write_text(
        f'extends = "{(ROOT / "tests" / "fast.toml").as_posix()}"\n'
        f'results = "{(folder / "results").as_posix()}"\n'
        '[ingest]\nraw = "data/raw/local"\n[figures]\ndpi = 40\nformats = ["png"]\n'
        "wordcloud_size = [120, 80]\n"
        f'out = "{(folder / "results" / "figures").as_posix()}"\n' + LOCAL_COMPARISONS,
        encoding="utf-8",
    )
    cfg = config_mod.load(cfg_path)
    results = results_of(cfg)
    assert results.figures_dir == folder / "results" / "figures"
    for step in (run_ingest, run_tokens, run_measures):
        step(cfg, results)
    return results.root, cfg_path


@pytest.fixture(scope="module")
def national_only(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("national")
    return _national_only(folder / "results"), _config(folder)


def _run(path: Path, results: Path, cfg_path: Path, monkeypatch) -> nbformat.NotebookNode:
    monkeypatch.setenv("POLICYSHIFT_RESULTS", str(results))
    monkeypatch.setenv("POLICYSHIFT_CONFIG", str(cfg_path))
    monkeypatch.setenv("POLICYSHIFT_QUIET", "1")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()  # fmt: skip
    return nb


def _outputs(nb: nbformat.NotebookNode) -> tuple[list[dict], list[str]]:
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    notes = [o["data"]["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {})]
    return outputs, notes


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_the_local_reports_alone(path, local_only, monkeypatch):
    nb = _run(path, *local_only, monkeypatch)
    outputs, notes = _outputs(nb)
    assert [o for o in outputs if o["output_type"] == "error"] == []
    assert not any(o.get("name") == "stderr" and "Traceback" in o["text"] for o in outputs)
    expected = {
        "01_corpus_quality": [],
        "02_keywords_concepts": ["no comparison 'provinces_2026_vs_2025' in this corpus"],
        "03_topics": ["topics/model_selection.csv absent", "figure topic_selection: input"],
        "04_policy_shifts": ["no national report with concept 'new_energy'"],
        "05_local_trends": [
            "this corpus has no year series (a series needs 3+ years)",
            "'新能源汽车' does not occur in this corpus where place == '深圳市'",
            "no comparison matching 'shenzhen_districts_*'",
            "no comparison 'shenzhen_2020s_vs_2000s' in this corpus",
        ],
    }[path.stem]
    for text in expected:
        assert any(text in n for n in notes), (text, notes)
    if path.stem == "01_corpus_quality":
        assert notes == []  # everything applies to a corpus of local reports
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    # the figures that apply are shown (the word clouds of 03, no national or year series in 04)
    assert bool(pngs) == (path.stem != "04_policy_shifts")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_national_reports_only(path, national_only, monkeypatch):
    nb = _run(path, *national_only, monkeypatch)
    outputs, notes = _outputs(nb)
    assert [o for o in outputs if o["output_type"] == "error"] == []
    expected = {
        "01_corpus_quality": [],
        "02_keywords_concepts": ["figure concept_heatmap_local: the corpus has 0 prefecture"],
        "03_topics": ["figure wordclouds_region:"],
        "04_policy_shifts": ["figure year_series: tables/year_series.csv has no series other"],
        "05_local_trends": [
            "no work_report year series of 深圳市, 驻马店市",
            "the corpus has no report where place == '深圳市'",
            "no comparison 'zhumadian_2020s_vs_2000s' in this corpus",
        ],
    }[path.stem]
    for text in expected:
        assert any(text in n for n in notes), (text, notes)


def test_open_results_takes_a_path_or_the_environment(national_only, monkeypatch):
    results, cfg_path = national_only
    monkeypatch.setenv("POLICYSHIFT_CONFIG", str(cfg_path))
    monkeypatch.delenv("POLICYSHIFT_RESULTS", raising=False)
    v = open_results(results)
    assert v.results == results
    assert v.describe().endswith("5 reports (bundled: 5)")
    monkeypatch.setenv("POLICYSHIFT_RESULTS", str(results))
    assert open_results().results == results.resolve()
    note = v.keyness_top("zhejiang_local_vs_other_local")
    assert isinstance(note, Note)
    assert str(note) == (
        "Not shown: no comparison 'zhejiang_local_vs_other_local' in this corpus; it has: "
        "national_2013_2022_vs_2003_2012"
    )
    assert note._repr_markdown_().startswith("> **Not shown:** no comparison")
    table = v.keyness_top()  # the first comparison of the corpus
    assert isinstance(table, pd.DataFrame) and set(table["direction"]) == {"target", "reference"}
    assert v.term_counts(["乡村振兴"], level="province") == Note(
        "the corpus has no province report"
    )
    assert v.evidence("乡村振兴", where="level == 'national'")["doc_id"].nunique() == 5
    with pytest.raises(NotApplicable):  # the functions themselves raise; the views note
        from analysis.views import section_shift

        section_shift(results, group="province")
