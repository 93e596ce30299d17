"""Nothing is written outside the results folder, whatever the user's data holds.

A whole `policyshift run` on four bundled provincial reports whose metadata give hostile
``place`` values (``../``, an absolute path, a newline, quotes, a dot name, 200 characters),
compared one-vs-rest by place, with a comparison whose label is hostile and a hostile
``--collection``: every file created lies under ``--results``, each keyness table is named
by a safe id, and ``keyness/index.csv`` maps every id to its file and its value. A comparison
id that is not a safe file name is refused when the config is read.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import config as config_mod
from analysis.conditions import select

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
FILES = ("anhui_2025.txt", "fujian_2025.txt", "gansu_2025.txt", "hebei_2025.txt", "hunan_2025.txt")
HOSTILE_PLACES = (
    "../../../escaped",
    "{absolute}",  # an absolute path inside the test's folder, filled in by the fixture
    "two\nlines 'quoted' \"twice\"",
    "..",
    "深圳市/../" + "长" * 200,
)
CONFIG = """extends = {base}
[measures]
n_boot = 20
one_vs_rest = "place"
derived = false
[[measures.comparisons]]
id = "fujian_vs_rest"
label = "../../label/with\\nnewline | and pipes"
target = "place == '{absolute}'"
reference = "rest"
[topics]
k_grid = [2]
seeds = [1]
passes = 1
n_stability_seeds = 2
n_boot = 4
[figures]
dpi = 40
formats = ["png"]
"""


def _files(folder: Path) -> set[Path]:
    skip = {".git", ".venv", "build", ".pytest_cache", ".ruff_cache", "__pycache__"}
    out = set()
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d not in skip]
        out.update(Path(dirpath, f) for f in filenames)
    return out


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    raw = tmp / "raw"
    raw.mkdir()
    for name in FILES:
        (raw / name).write_bytes((RAW / "provincial-2025-docx" / name).read_bytes())
    collection = "../../coll\nname"
    absolute = (tmp / "absolute_escape").as_posix()
    meta = pd.DataFrame(
        {
            "source_file": [f"coll_name/{n}" for n in FILES],
            "place": [p.format(absolute=absolute) for p in HOSTILE_PLACES],
            "year": ["2025"] * len(FILES),
            "level": ["province"] * len(FILES),
        }
    )
    meta.to_csv(tmp / "meta.csv", index=False)
    (tmp / "cfg.toml").write_text(
        CONFIG.format(base=json.dumps((ROOT / "params.toml").as_posix()), absolute=absolute),
        encoding="utf-8",
    )
    work = tmp / "work"
    work.mkdir()
    before_tmp, before_repo = _files(tmp), _files(ROOT)
    env = {**os.environ, "CI": "1", "POLICYSHIFT_QUIET": "1", "HOME": str(tmp / "home")}
    env.pop("POLICYSHIFT_CONFIG", None)
    cmd = [sys.executable, "-m", "analysis", "run", str(raw), "--results", str(tmp / "out")]
    cmd += ["--config", str(tmp / "cfg.toml"), "--metadata", str(tmp / "meta.csv")]
    cmd += ["--collection", collection]
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, check=False)
    new_tmp = _files(tmp) - before_tmp
    new_repo = _files(ROOT) - before_repo
    return tmp, proc, new_tmp, new_repo


def test_the_run_succeeds(hostile_run):
    _tmp, proc, _, _ = hostile_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr


def test_every_file_created_lies_under_results(hostile_run):
    tmp, _proc, new_tmp, new_repo = hostile_run
    out = (tmp / "out").resolve()
    home = (tmp / "home").resolve()  # matplotlib's font cache, not ours
    outside = [p for p in new_tmp if out not in p.resolve().parents and home not in p.parents]
    assert outside == []
    assert new_repo == set()
    assert not (tmp / "absolute_escape").exists()
    assert len([p for p in new_tmp if out in p.resolve().parents]) > 50


def test_keyness_ids_are_safe_and_mapped(hostile_run):
    tmp, _proc, _, _ = hostile_run
    keyness = tmp / "out" / "tables" / "keyness"
    index = pd.read_csv(keyness / "index.csv", dtype=str, keep_default_na=False)
    by_place = index[index["comparison"].str.startswith("place_")]
    assert len(by_place) == len(HOSTILE_PLACES)  # one table per hostile place, none lost to a clash
    for row in index.itertuples():
        assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", row.comparison), row.comparison
        assert row.file == f"keyness/{row.comparison}.csv"
        assert (keyness.parent / row.file).is_file()
    written = {p.name for p in keyness.iterdir()}
    assert written == {"index.csv", *(Path(f).name for f in index["file"])}
    # the index's target selects exactly the reports of its value
    docs = pd.read_csv(tmp / "out" / "corpus" / "documents.csv", dtype={"year": "Int64"})
    for row in by_place.itertuples():
        assert select(docs, row.target).sum() == int(row.n_target_docs) == 1
    assert set(docs["collection"]) == {"coll_name"}
    assert "../../label/with\nnewline | and pipes" in set(index["label"])


@pytest.mark.parametrize("bad_id", ["../escape", "/abs", "a/b", ".hidden", "-rf", "x y", "深圳"])
def test_an_unsafe_comparison_id_is_refused(bad_id, tmp_path):
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(
        f"extends = {json.dumps((ROOT / 'params.toml').as_posix())}\n"
        "[[measures.comparisons]]\n"
        f"id = {json.dumps(bad_id)}\n"
        "target = \"level == 'national'\"\n"
        'reference = "rest"\n',
        encoding="utf-8",
    )
    with pytest.raises(config_mod.ConfigError, match=r"comparisons\[0\]\.id"):
        config_mod.load(cfg)
