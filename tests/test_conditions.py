"""Conditions select documents like a pandas query would, and never run code: from the Python
API, the command line or a shared config, a payload is refused and its side effect (a marker
file) never happens; every condition the README, params.toml and the notebooks show still
works on the bundled corpus."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from analysis import config as config_mod
from analysis.cli import main
from analysis.conditions import ConditionError, parse, select
from analysis.config import DEFAULT_COMPARISONS

DOCVARS = pd.DataFrame(
    {
        "level": ["province", "national", "prefecture", None, "county-level"],
        "year": [2026, 2013, 2025, np.nan, 2003],
        "province": ["浙江省", None, "浙江省", "广东省", "广东省"],
        "section": ["review", "plan", "plan", "other", "review"],
        "doc_type": ["work_report", "work_report", "other", "work_report", "work_report"],
        "collection": ["bundled", "bundled", "bundled", "mine", "bundled"],
        "place": ["浙江省", "全国", "嘉兴市", "深圳市", "罗湖区"],
        "prefecture": [None, None, "嘉兴市", "深圳市", "深圳市"],
    }
)


@pytest.mark.parametrize(
    "condition",
    [
        *(c for comp in DEFAULT_COMPARISONS for c in (comp.target, comp.reference)),
        "2003 <= year <= 2013",
        "not (level == 'national') or year < 2010",
        "province not in ['浙江省'] and level != 'national'",
        "year in (2013, 2025) and -1 < year",
        "level == 'a@b' or place == '`x`'",  # '@' and backticks inside strings are text
    ],
)
def test_same_rows_as_a_pandas_query(condition):
    expected = DOCVARS.eval(condition, engine="python").fillna(False).to_numpy(dtype=bool)
    assert select(DOCVARS, condition).tolist() == expected.tolist()


# Each payload would create MARKER if it ran; {marker} is the marker file's path.
PAYLOADS = {
    "pandas local": "@pd.io.common.os.system('touch {marker}') == 0",
    "import": "__import__('os').system('touch {marker}') == 0",
    "attribute chain": "level.__class__.__mro__[1].__subclasses__() == []",
    "method": "level.str.len() > 3 or place.to_csv('{marker}')",
    "backticks": "`level`.str.contains('x') or year == 1",
    "lambda": "(lambda: __import__('os').system('touch {marker}'))() == 0",
    "f-string": "level == f\"{{__import__('os').system('touch {marker}')}}\"",
    "walrus": "(x := open('{marker}', 'w')) == level",
    "comprehension": "[open('{marker}', 'w') for _ in [1]] == level",
    "dunder name": "year > 0 or __builtins__ == 1",
    "if-expression": "year == (1 if open('{marker}', 'w') else 0)",
    "arithmetic": "level == 'a' + __import__('os').popen('touch {marker}').read()",
    "subscript": "level[0] == 'p'",
    "attribute": "level.__class__ == 'str'",
}
REFUSED_FOR = {
    "pandas local": "'@'",
    "import": "call",
    "attribute chain": "call",
    "method": "call",
    "backticks": "backticks",
    "lambda": "call",
    "f-string": "an f-string",
    "walrus": "an assignment (:=)",
    "comprehension": "a comprehension",
    "dunder name": "the dunder name '__builtins__'",
    "if-expression": "an if-expression",
    "arithmetic": "arithmetic",
    "subscript": "indexing",
    "attribute": "attribute access",
}


def _payload(name: str, marker: Path) -> str:
    return PAYLOADS[name].format(marker=marker.as_posix())


def test_the_marker_check_can_fail(tmp_path):
    """Control: a pandas query runs the first payload and makes the marker, so a missing marker
    below means the payload was refused, not that it could do nothing."""
    marker = tmp_path / "pwned"
    frame = pd.DataFrame({"level": ["province"]})
    frame.eval(_payload("pandas local", marker), engine="python", local_dict={"pd": pd})
    assert marker.exists()


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_a_payload_is_refused_by_the_python_api(name, tmp_path):
    marker = tmp_path / "pwned"
    payload = _payload(name, marker)
    with pytest.raises(ConditionError) as err:
        select(DOCVARS, payload)
    assert str(err.value).startswith(f"invalid condition {payload!r}: ")
    assert REFUSED_FOR[name] in err.value.what
    with pytest.raises(ConditionError):
        parse(payload)
    assert not marker.exists()


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_a_payload_is_refused_on_the_command_line(name, tmp_path, capsys):
    marker = tmp_path / "pwned"
    payload = _payload(name, marker)
    results = ["--results", str(tmp_path / "results")]
    assert main(["keyness", "--target", payload, "--reference", "rest", *results]) == 2
    assert main(["keyness", "--target", "year > 2020", "--reference", payload, *results]) == 2
    assert main(["kwic", "发展", "--where", payload, *results]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3
    assert (
        err[0].startswith("policyshift keyness: invalid condition") and REFUSED_FOR[name] in err[0]
    )
    assert err[2].startswith("policyshift kwic: invalid condition")
    assert not marker.exists()
    assert not (tmp_path / "results").exists()  # refused before anything is read or written


@pytest.mark.parametrize("name", sorted(PAYLOADS))
@pytest.mark.parametrize("side", ["target", "reference"])
def test_a_payload_in_a_shared_config_is_refused(name, side, tmp_path, capsys):
    marker = tmp_path / "pwned"
    payload = _payload(name, marker)
    other = "year > 2020" if side == "reference" else "rest"
    config = tmp_path / "shared.toml"
    config.write_text(
        f"extends = {json.dumps((ROOT / 'params.toml').as_posix())}\n"
        "[[measures.comparisons]]\n"
        'id = "shared"\n'
        f"{side} = {json.dumps(payload)}\n"
        f"{'reference' if side == 'target' else 'target'} = {json.dumps(other)}\n",
        encoding="utf-8",
    )
    with pytest.raises(config_mod.ConfigError) as err:
        config_mod.load(config)
    assert f"[measures] comparisons[0].{side}" in str(err.value)
    assert REFUSED_FOR[name] in str(err.value)
    # what `make all` runs: refused with exit 2 at the config, before any stage
    assert main(["run", "--config", str(config), "--results", str(tmp_path / "results")]) == 2
    assert REFUSED_FOR[name] in capsys.readouterr().err
    assert not marker.exists()
    assert not (tmp_path / "results").exists()


def test_an_unknown_docvar_is_named():
    with pytest.raises(ValueError, match="unknown docvar 'regoin'"):
        select(DOCVARS, "regoin == 'east'")


@pytest.mark.parametrize(
    ("condition", "what"),
    [
        ("level == ", "not a condition"),
        ("level is None", "the comparison 'is' is not allowed"),
        ("level in 'province'", "'in' needs a list on its right"),
        ("2020 < 2021", "compares two literals"),
        ("level == None", "the literal None"),
        ("   ", "empty condition"),
    ],
)
def test_a_malformed_condition_names_its_part(condition, what):
    with pytest.raises(ConditionError, match=re.escape(what)):
        parse(condition)


def _documented_conditions() -> dict[str, str]:
    """Every condition the README, params.toml, the default comparisons and the notebooks show,
    keyed by where it is written."""
    found: dict[str, str] = {}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    option = re.compile(r"""--(target|reference|where) "([^"]+)"|\bwhere="([^"]+)\"""")
    for i, m in enumerate(option.finditer(readme)):
        found[f"README.md #{i}"] = m.group(2) or m.group(3)
    for i, m in enumerate(re.finditer(r'^(?:target|reference) = "([^"]+)"', readme, re.M)):
        found[f"README.md toml #{i}"] = m.group(1)
    cfg = config_mod.load(ROOT / "params.toml")
    for comp in (*cfg.measures.comparisons, *DEFAULT_COMPARISONS):
        found[f"comparison {comp.id}.target"] = comp.target
        found[f"comparison {comp.id}.reference"] = comp.reference
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        for i, m in enumerate(re.finditer(r"""\bwhere="([^"]+)\"""", code)):
            found[f"{nb.name} #{i}"] = m.group(1)
    return {k: v for k, v in found.items() if v.strip() != "rest"}


def test_every_documented_condition_works(corpus):
    """Each selects at least one paragraph of the bundled corpus (the paragraph table carries
    the docvars and ``section``)."""
    _, paragraphs = corpus
    conditions = _documented_conditions()
    assert len(conditions) >= 25  # README examples, comparisons, notebook evidence calls
    empty = [where for where, c in conditions.items() if not select(paragraphs, c).any()]
    assert empty == []
