"""Notebooks: paired with their percent scripts, committed without outputs, free of logic.

They are executed top to bottom by ``make test`` (nbmake, on the results of the small test
config ``tests/fast.toml``); these tests check how they are kept.
"""

from __future__ import annotations

import json
import re

import jupytext
import pytest
from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_five_notebooks_exist():
    names = [p.stem for p in NOTEBOOKS]
    assert names == [
        "01_corpus_quality",
        "02_keywords_concepts",
        "03_topics",
        "04_policy_shifts",
        "05_local_trends",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_figure_named_is_registered(path):
    from analysis.figures import REGISTRY

    code = "\n".join(c.source for c in jupytext.read(path).cells if c.cell_type == "code")
    named = set(re.findall(r"v\.figure\(\"([^\"]+)\"\)", code))
    assert named <= set(REGISTRY), sorted(named - set(REGISTRY))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_paired_script_has_the_same_cells(path):
    script = jupytext.read(path.with_suffix(".py"))
    nb = jupytext.read(path)
    assert [(c.cell_type, c.source) for c in script.cells] == [
        (c.cell_type, c.source) for c in nb.cells
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_calls_only_no_logic(path):
    nb = jupytext.read(path)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(r"^\s*(def|class|for|while|if|with|lambda)\b", code, re.M)
    imports = re.findall(r"^(?:from|import) (\S+)", code, re.M)
    assert all(name.startswith("analysis") for name in imports), imports
    assert "read_csv" not in code and "read_parquet" not in code and "data/raw" not in code
