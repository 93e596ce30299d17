"""Stamps rebuild exactly what changed, and say why (the build: tests/pipeline_build.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pipeline_build import (  # noqa: F401 (fixtures)
    ROOT,
    STAGES,
    built,
    copy,
    figure_ids,
    run,
    statuses,
    write_config,
)

from analysis import config as config_mod
from analysis.figures import REGISTRY
from analysis.pipeline import results_of
from analysis.results import Results


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
