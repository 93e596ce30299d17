"""Stamps rebuild exactly what changed; killed or concurrent runs never leave a mixed folder.

One small build of part of the bundled corpus (:data:`RAW_PARTS`, with the fast test config and
a one-cell topic grid) is made once; every test works on a hard-link copy of it (stages never edit
a file in place, they swap in a new folder, so the copies stay independent).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from analysis import config as config_mod
from analysis import stamps
from analysis.figures import REGISTRY
from analysis.pipeline import Outcome, results_of, run_all
from analysis.results import STAMP, Results

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("ingest", "tokens", "measures", "topics", "figures")
# The folders of data/raw copied for the build (with SOURCES.md): the national, provincial and
# local reports (143, the bundled corpus before issue 12). The city and district series (169 more
# reports) are left out: what is checked here (which stage reruns and why, kills, locks) does not
# depend on the number of reports, and they would double the time of each stage the tests run.
RAW_PARTS = (
    "wikisource-national",
    "tmx-bilingual-national",
    "provincial-2025-docx",
    "provincial-2026-csv",
    "local",
)


def write_config(folder: Path, extra: dict[str, dict[str, object]] | None = None) -> Path:
    """``folder/config.toml``: the fast test config with a one-cell topic grid and small figures,
    rooted in ``folder`` (its raw files a copy, data/ and stopwords/ linked to the repo's), so
    every path it records is relative; ``extra`` overrides values by section."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    for name in ("metadata.csv", "gazetteer.csv", "concepts.toml", "lexicon"):
        if not (folder / "data" / name).exists():
            (folder / "data" / name).symlink_to(ROOT / "data" / name)
    if not (folder / "stopwords").exists():
        (folder / "stopwords").symlink_to(ROOT / "stopwords")
    shutil.copyfile(ROOT / "params.toml", folder / "params.toml")
    fast = (ROOT / "tests" / "fast.toml").read_text(encoding="utf-8")
    fast = fast.replace('extends = "../params.toml"', 'extends = "params.toml"')
    (folder / "fast.toml").write_text(fast, encoding="utf-8")
    sections: dict[str, dict[str, object]] = {
        "ingest": {"raw": "raw"},
        "figures": {"out": "results/figures", "dpi": 60},
        "topics": {
            "k_grid": [5],
            "seeds": [1],
            "passes": 1,
            "gibbs_iterations": 20,
            "n_stability_seeds": 2,
            "n_boot": 20,
        },
    }
    for name, values in (extra or {}).items():
        sections.setdefault(name, {}).update(values)
    lines = ['extends = "fast.toml"', 'results = "results"']
    for name, values in sections.items():
        lines += [f"[{name}]", *(f"{k} = {json.dumps(v)}" for k, v in values.items())]
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def statuses(outcomes: list[Outcome]) -> dict[str, str]:
    """Status of each stage before the report page (which reruns whenever a stamp it shows
    changes; checked apart)."""
    return {o.stage: o.status for o in outcomes if o.stage in STAGES}


def run(folder: Path) -> list[Outcome]:
    cfg = config_mod.load(folder / "config.toml")
    return run_all(cfg, results_of(cfg))


def figure_ids(outcome: Outcome) -> set[str]:
    """Figures an outcome says it drew (from its summary line)."""
    if outcome.status != "ran":
        return set()
    return {i.strip() for i in outcome.summary.split(" -> ")[0].split(",")}


def tree_digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` except wall times (the one file that differs
    between identical runs), locks and stamps (which record code identity)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and ".locks" not in p.parts and p.name not in ("timings.csv", STAMP):
            out[rel] = stamps.io.sha256_file(p)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A complete build: raw files (a copy of :data:`RAW_PARTS` of data/raw), config and
    results in one folder."""
    folder = tmp_path_factory.mktemp("built")
    for part in RAW_PARTS:
        shutil.copytree(ROOT / "data" / "raw" / part, folder / "raw" / part)
    shutil.copyfile(ROOT / "data" / "raw" / "SOURCES.md", folder / "raw" / "SOURCES.md")
    write_config(folder)
    outcomes = run(folder)
    assert all(o.status == "ran" for o in outcomes)
    return folder


@pytest.fixture
def copy(built, tmp_path) -> Path:
    """A hard-link copy of the build (raw files copied, so a test may edit them)."""
    folder = tmp_path / "work"
    shutil.copytree(
        built / "results",
        folder / "results",
        copy_function=os.link,
        ignore=shutil.ignore_patterns(".locks"),
    )
    shutil.copytree(built / "raw", folder / "raw")
    write_config(folder)
    return folder


def test_nothing_changed_does_no_work(copy):
    outcomes = run(copy)
    assert [o.stage for o in outcomes] == [*STAGES, "report"]
    assert {o.status for o in outcomes} == {"up to date"}


def test_a_measures_setting_reruns_measures_and_the_figures_of_its_tables(copy):
    write_config(copy, {"measures": {"n_boot": 30}})
    outcomes = run(copy)
    assert statuses(outcomes) == {
        "ingest": "up to date",
        "tokens": "up to date",
        "measures": "ran",
        "topics": "up to date",
        "figures": "ran",
    }
    assert outcomes[2].reasons == ("config [measures] changed",)
    cfg = config_mod.load(copy / "config.toml")
    drawn = figure_ids(outcomes[4])
    reads_tables = {
        i for i, s in REGISTRY.items() if any(t.startswith("tables/") for t in s.tables(cfg))
    }
    # (the national trend is skipped here: a copy of data/raw is collection "raw", not "bundled")
    assert "review_plan_shift" in drawn and drawn <= reads_tables
    assert not drawn & {"topic_selection", "topic_terms", "topic_prevalence_national"}


def test_a_topics_setting_reruns_only_topics_and_its_figures(copy):
    write_config(copy, {"topics": {"relevance_lambda": 0.5}})
    outcomes = run(copy)
    assert statuses(outcomes) == {
        "ingest": "up to date",
        "tokens": "up to date",
        "measures": "up to date",
        "topics": "ran",
        "figures": "ran",
    }
    cfg = config_mod.load(copy / "config.toml")
    drawn = figure_ids(outcomes[4])
    reads_topics = {
        i for i, s in REGISTRY.items() if any(t.startswith("topics/") for t in s.tables(cfg))
    }
    assert drawn and drawn <= reads_topics


def test_an_edited_report_reruns_every_stage(copy):
    report = copy / "raw" / "wikisource-national" / "national_2025.txt"
    lines = report.read_text(encoding="utf-8").split("\n")
    middle = len(lines) // 2 + next(
        i for i, line in enumerate(lines[len(lines) // 2 :]) if len(line) > 50
    )
    lines[middle] += "我们要坚定不移推进乡村振兴，建设数字中国。"  # a paragraph of the body
    report.write_text("\n".join(lines), encoding="utf-8")
    outcomes = run(copy)
    assert set(statuses(outcomes).values()) == {"ran"}, [o.line() for o in outcomes]
    assert outcomes[0].reasons == ("input raw/wikisource-national/national_2025.txt changed",)
    assert outcomes[1].reasons == ("input corpus/paragraphs.parquet changed",)


def test_a_touched_or_unread_file_reruns_ingest_only(copy):
    report = next((copy / "raw" / "wikisource-national").glob("*.txt"))
    os.utime(report, (1, 1))  # a new mtime, same bytes: nothing to do
    assert set(statuses(run(copy)).values()) == {"up to date"}
    with (copy / "raw" / "SOURCES.md").open("a", encoding="utf-8") as fh:
        fh.write("\nA note that ingest lists but does not read as a report.\n")
    outcomes = run(copy)
    # ingest reruns (an input changed), its report records the new file hash, but the
    # paragraphs and documents are the same bytes: nothing downstream reruns
    assert statuses(outcomes)["ingest"] == "ran"
    assert {s for s, v in statuses(outcomes).items() if v == "ran"} == {"ingest"}


def test_a_lexicon_edit_reruns_tokens_and_stops_where_the_tokens_are_the_same(copy):
    lexicon = copy / "lexicon.txt"
    lexicon.write_text(
        (ROOT / "data" / "lexicon" / "policy_terms.txt").read_text(encoding="utf-8")
        + "甲乙丙丁戊己庚辛\ttest\n",
        encoding="utf-8",
    )
    write_config(copy, {"tokens": {"lexicon": "lexicon.txt"}})
    outcomes = run(copy)
    assert statuses(outcomes)["tokens"] == "ran"
    assert any("lexicon.txt changed" in r or "[tokens] changed" in r for r in outcomes[1].reasons)
    # the new entry is in no report, so the token table is the same bytes and measures are up
    # to date; topics rerun, since their automatic labels prefer the lexicon's phrases
    assert outcomes[2].status == "up to date"
    assert outcomes[3].status == "ran"
    assert "input lexicon.txt added" in outcomes[3].reasons, outcomes[3].reasons


def test_code_identity_and_no_absolute_paths_in_the_manifest(copy):
    results = Results(copy / "results")
    text = results.manifest_path.read_text(encoding="utf-8")
    manifest = json.loads(text)
    assert str(copy) not in text and str(ROOT) not in text and str(Path.home()) + "/" not in text
    assert {"ingest", "tokens", "measures", "topics"} <= set(manifest["stages"])
    entry = manifest["outputs"]["tables/concept_panel.parquet"]
    assert entry["code"]["source_hash"] and entry["code"]["version"]
    if (ROOT / ".git").exists():
        assert entry["code"]["git"]
    assert "raw/SOURCES.md" not in entry["inputs"]  # measures' inputs only
    assert "tokens/tokens.parquet" in entry["inputs"]
    ingest = manifest["stages"]["ingest"]
    assert "data/gazetteer.csv" in ingest["inputs"] and "raw/SOURCES.md" in ingest["inputs"]
    for stage in ("ingest", "tokens", "measures", "topics", "figures"):
        stamp = results_of(config_mod.load(copy / "config.toml")).stamp(stage)
        assert not any(Path(k).is_absolute() for k in stamp.get("inputs", {}))


# ---------------------------------------------------------------------------------------------
# Kills and concurrent runs
# ---------------------------------------------------------------------------------------------
# Run the CLI in a subprocess whose stage writer pauses after each file, so that a kill lands
# while the stage folder is half written.
SLOW_WRITER = """
import sys, time
import analysis.results as r
original = r.StageWriter.path
def slow(self, name):
    time.sleep(0.25)
    return original(self, name)
r.StageWriter.path = slow
from analysis.cli import main
sys.exit(main(sys.argv[1:]))
"""


def cli(folder: Path, *args: str, slow: bool = False) -> subprocess.Popen:
    cmd = [sys.executable, "-c", SLOW_WRITER] if slow else [sys.executable, "-m", "analysis"]
    env = {**os.environ, "POLICYSHIFT_QUIET": "1"}
    return subprocess.Popen(
        [*cmd, *args, "--config", str(folder / "config.toml")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_when_writing(proc: subprocess.Popen, folder: Path, timeout: float = 300) -> list[int]:
    """SIGKILL ``proc`` once its temporary stage folder holds a file; return the pids of its
    children at that moment."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tmp = [p for p in folder.parent.glob(f".{folder.name}.tmp-*") if any(p.iterdir())]
        if tmp:
            children = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return children
        if proc.poll() is not None:
            raise AssertionError(f"finished before writing: {proc.communicate()}")
        time.sleep(0.02)
    raise AssertionError("the stage never started writing")


def complete(results: Results, stage: str) -> bool:
    """The stage folder holds exactly the files its stamp lists, with their sha256."""
    folder = results.stage_dir(stage)
    stamp = results.stamp(stage)
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    return (
        stamp is not None
        and files == {*stamp["outputs"], STAMP}
        and not stamps.output_reasons(stamp, folder)
    )


@pytest.mark.parametrize("stage", ["ingest", "measures", "topics", "figures"])
def test_a_killed_stage_leaves_the_previous_complete_folder(copy, stage):
    cfg = config_mod.load(copy / "config.toml")
    results = results_of(cfg)
    folder = results.stage_dir(stage)
    before = tree_digests(folder)
    children = kill_when_writing(cli(copy, stage, "--force", slow=True), folder)
    assert complete(results, stage) and tree_digests(folder) == before
    for pid in children:  # worker processes die with their parent
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).wait(timeout=20)  # raises TimeoutExpired if it lives on
        assert not psutil.pid_exists(pid)
    # the next run removes the leftovers and finds everything up to date
    assert set(statuses(run(copy)).values()) == {"up to date"}
    assert not list(folder.parent.glob(f".{folder.name}.*"))


def test_a_stage_killed_on_its_first_run_leaves_nothing_and_reruns_identically(copy, built):
    results = results_of(config_mod.load(copy / "config.toml"))
    shutil.rmtree(results.tables_dir)
    kill_when_writing(cli(copy, "measures", slow=True), results.tables_dir)
    assert not results.tables_dir.exists()
    proc = cli(copy, "measures")
    assert proc.wait() == 0, proc.communicate()
    assert tree_digests(results.tables_dir) == tree_digests(built / "results" / "tables")


def test_two_runs_on_one_folder_wait_for_each_other(copy, built):
    results = results_of(config_mod.load(copy / "config.toml"))
    first = cli(copy, "ingest", "--force", slow=True)
    time.sleep(1.0)
    second = cli(copy, "ingest", "--force")
    assert first.wait() == 0 and second.wait() == 0
    assert "waiting for another run" in second.communicate()[1]
    assert complete(results, "ingest")
    assert tree_digests(results.corpus_dir) == tree_digests(built / "results" / "corpus")


def test_two_stages_at_once_keep_both_manifest_entries(copy):
    results = results_of(config_mod.load(copy / "config.toml"))
    procs = [cli(copy, stage, "--force") for stage in ("measures", "topics")]
    assert [p.wait() for p in procs] == [0, 0]
    outputs = results.manifest()["outputs"]
    assert "tables/concept_panel.csv" in outputs and "topics/topics.csv" in outputs
    stamped = {
        f"{d}/{n}"
        for s, d in (("measures", "tables"), ("topics", "topics"))
        for n in results.stamp(s)["outputs"]
    }
    assert stamped <= set(outputs)
