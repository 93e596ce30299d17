"""The report page: what it shows, escaping, relative links, determinism, and the stage stamp.

Most tests work on a hand-made results folder (a few reports whose ids and places hold markup,
two figures, a skipped table); the last ones on a small build of the bundled corpus.
"""

from __future__ import annotations

import base64
import io as stdio
import json
import re
import urllib.parse
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from analysis import config as config_mod
from analysis import io
from analysis.pipeline import run_report
from analysis.report import build_report, compute_report
from analysis.report.parts import network_refs
from analysis.results import Results
from analysis.skips import Skip, skip_table

ROOT = Path(__file__).resolve().parents[2]
HOSTILE_ID = "<script>alert('id')</script>"
HOSTILE_PLACE = '<img src=x onerror="alert(1)">市'


def _png(colour: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> bytes:
    buf = stdio.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


def _stamp(stage: str, outputs: dict[str, str]) -> dict[str, object]:
    return {
        "stage": stage,
        "config": {},
        "config_hash": f"hash-{stage}",
        "code": {"version": "0.1.0", "source_hash": "0" * 64, "git": "abc1234"},
        "versions": {"python": "3.11", "pandas": "2.2"},
        "upstream": {},
        "inputs": {},
        "corpus_hash": "c0ffee",
        "seed": 7,
        "outputs": outputs,
    }


@pytest.fixture
def handmade(tmp_path) -> Results:
    """A results folder written by hand: 3 reports (one id and one place with markup), an
    ingest report, skips in two stages, two figures with a manifest, a keyness comparison."""
    res = Results(tmp_path / "res", figures=tmp_path / "res" / "figures")
    docs = pd.DataFrame(
        {
            "doc_id": [HOSTILE_ID, "national_2020", "hangzhou_2023"],
            "collection": ["mine", "bundled", "bundled"],
            "place": [HOSTILE_PLACE, "全国", "杭州市"],
            "level": ["prefecture", "national", "prefecture"],
            "year": [2024, 2020, 2023],
            "doc_type": ["speech", "work_report", "work_report"],
            "n_han": [1200, 20000, 15000],
            "n_paragraphs": [10, 80, 60],
            "truncated": [True, False, False],
            "abridged": [False, False, False],
            "masked_restored": [0, 3, 0],
            "masked_unresolved": [0, 1, 0],
            "numbers_deleted": [False, False, False],
            "duplicate_of": ["", "", ""],
            "place_source": ["inferred", "table", "table"],
            "year_source": ["missing", "table", "table"],
        }
    )
    io.write_parquet(docs, res.documents_path)
    report = pd.DataFrame(
        {
            "file": ["mine/<b>bold</b>.txt", "national/2020.txt", "local/x.txt", "notes.md"],
            "status": ["accepted", "accepted", "split into 2", "skipped"],
            "reason": ["", "", "", "not a .txt file"],
        }
    )
    io.write_csv(report, res.corpus_dir / "ingest_report.csv")
    io.write_json(res.corpus_dir / "stamp.json", _stamp("ingest", {"documents.parquet": "x"}))
    skips = [
        Skip(
            "measures",
            "keyness/zhejiang",
            "the target matches no report",
            "[[measures.comparisons]] id",
        ),
        Skip("measures", "year_series/mine/prefecture/speech", "fewer than 3 years (1)"),
    ]
    io.write_csv(skip_table(skips), res.tables_dir / "skipped.csv")
    io.write_csv(
        skip_table([Skip("figures", "concept_trends_national", "<no> national series")]),
        res.figures_dir / "skipped.csv",
    )
    for name, colour in (("corpus_overview", (200, 30, 30)), ("keyness_bars", (30, 30, 200))):
        (res.figures_dir / f"{name}.png").write_bytes(_png(colour))
        (res.figures_dir / f"{name}.pdf").write_bytes(b"%PDF-1.4\n")
    manifest = {
        "figures": {
            "keyness_bars": {"question": "Which terms <em>distinguish</em>?"},
            "corpus_overview": {"question": "Which reports?"},
        }
    }
    io.write_json(res.figures_dir / "manifest.json", manifest)
    index = pd.DataFrame({"comparison": ["mine_vs_rest"], "label": ["<i>mine</i>"]})
    io.write_csv(index, res.tables_dir / "keyness" / "index.csv")
    terms = pd.DataFrame(
        {
            "term": ["<script>", "发展", "改革"],
            "target_count": [5, 1, 9],
            "reference_count": [0, 20, 2],
            "g2": [12.5, 8.25, 3.0],
            "direction": ["target", "reference", "target"],
        }
    )
    io.write_csv(terms, res.tables_dir / "keyness" / "mine_vs_rest.csv")
    return res


@pytest.fixture
def cfg() -> config_mod.Config:
    return config_mod.load(ROOT / "params.toml")


def hrefs(page: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', page)


def test_every_figure_is_embedded_in_registry_order_with_its_pdf(handmade):
    page = compute_report(handmade)
    pngs = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    assert pngs == [
        base64.b64encode((handmade.figures_dir / f"{n}.png").read_bytes()).decode()
        for n in ("corpus_overview", "keyness_bars")  # the registry's order
    ]
    assert "Which terms &lt;em&gt;distinguish&lt;/em&gt;?" in page
    assert "../figures/keyness_bars.pdf" in hrefs(page)


def test_skips_of_every_stage_are_listed_with_setting_and_reason(handmade):
    page = compute_report(handmade)
    assert "measures: 2, figures: 1." in page
    assert "the target matches no report" in page
    assert "[[measures.comparisons]] id" in page
    assert "&lt;no&gt; national series" in page


def test_strings_from_data_are_text_never_markup(handmade):
    page = compute_report(handmade)
    for raw in (HOSTILE_ID, HOSTILE_PLACE, "<b>bold</b>", "<i>mine</i>", "<script>"):
        body = page.split("<body>", 1)[1]
        assert raw not in body
    assert "&lt;script&gt;alert(&#x27;id&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;市" in page
    assert "<script" not in page  # the page has no script at all


def test_corpus_table_flags_and_metadata_sources(handmade):
    page = compute_report(handmade)
    assert "3 reports." in page
    assert '<td class="flag">yes</td>' in page  # the truncated report
    # field x source tally (table, user, inferred, missing): year from the table twice, once missing
    sources = page.split('id="metadata-sources"')[1].split("</table>")[0]
    assert "<th>field</th><th>table</th><th>user</th><th>inferred</th><th>missing</th>" in sources
    cells = "".join(f'<td class="num">{n}</td>' for n in (2, 0, 0, 1))
    assert f"<td>year</td>{cells}" in sources
    assert "4 files: 2 accepted, 1 skipped, 1 split." in page


def test_links_are_relative_and_point_at_files(handmade):
    path = build_report(handmade, config_mod.load(ROOT / "params.toml"))
    page = path.read_text(encoding="utf-8")
    targets = [h for h in hrefs(page) if not h.startswith("#")]
    assert targets
    for target in targets:
        assert not target.startswith(("/", "file:", "http")), target
        assert (path.parent / urllib.parse.unquote(target)).is_file(), target


def test_no_absolute_path_and_the_same_bytes_twice(handmade, cfg, tmp_path):
    first = build_report(handmade, cfg).read_bytes()
    second = build_report(handmade, cfg).read_bytes()
    assert first == second
    text = first.decode("utf-8")
    for absolute in (str(tmp_path), str(tmp_path.resolve()), str(ROOT)):
        assert absolute not in text


def test_an_empty_results_folder_gives_a_page_saying_what_is_absent(tmp_path, cfg):
    res = Results(tmp_path / "empty")
    page = build_report(res, cfg).read_text(encoding="utf-8")
    assert "corpus/documents.parquet is absent" in page
    assert "No stage skipped an analysis." in page
    assert "No figures in figures." in page
    assert "topics/ldavis.html is absent" in page


def test_a_table_lacking_a_column_is_named_not_fatal(handmade):
    io.write_csv(pd.DataFrame({"x": [1]}), handmade.tables_dir / "keyness" / "index.csv")
    page = compute_report(handmade)
    assert "Keyness comparisons cannot be shown: &#x27;comparison&#x27;" in page


def test_network_references_are_found():
    page = '<script src="https://cdn.example.org/d3.js"></script><a href="#x">x</a>'
    page += "<link href='//fonts.example.com/a.css'><img src=data:image/png;base64,AA>"
    assert network_refs(page) == ["//fonts.example.com/a.css", "https://cdn.example.org/d3.js"]
    assert network_refs('<script>var d = "inline";</script>') == []


def test_stage_is_stamped_rerun_on_a_changed_input_and_in_the_manifest(handmade, cfg):
    assert run_report(cfg, handmade).status == "ran"
    assert run_report(cfg, handmade).status == "up to date"
    stamp = handmade.stamp("report")
    assert "tables/skipped.csv" in stamp["upstream"]
    assert "figures/keyness_bars.png" in stamp["upstream"]
    io.write_csv(skip_table([]), handmade.tables_dir / "skipped.csv")
    outcome = run_report(cfg, handmade)
    assert outcome.status == "ran"
    assert outcome.reasons == ("input tables/skipped.csv changed",)
    assert "No stage skipped" not in (handmade.root / "report" / "index.html").read_text()
    manifest = handmade.manifest()
    assert manifest["outputs"]["report/index.html"]["stage"] == "report"
    assert json.dumps(manifest).count(str(handmade.root)) == 0


# -- the real corpus ---------------------------------------------------------------------------
def test_the_bundled_build_shows_every_report_figure_and_comparison(built):
    _, results = built
    page = (results.root / "report" / "index.html").read_text(encoding="utf-8")
    docs = results.documents()
    assert len(docs) == 143
    reports = page.split('id="reports"')[1].split("</table>")[0]
    assert reports.count("<tr>") == 1 + len(docs)  # header + one row per report
    for doc_id in docs["doc_id"]:
        assert f"<td>{doc_id}</td>" in reports
    figures = sorted(p.stem for p in results.figures_dir.glob("*.png"))
    assert figures
    for fig_id in figures:
        assert f'id="fig-{fig_id}"' in page
    assert page.count("data:image/png;base64,") == len(figures)
    index = results.table("tables/keyness/index.csv")
    for comp in index["comparison"]:
        assert f'id="keyness-{comp}"' in page
    assert "../topics/ldavis.html" in hrefs(page)
    assert f"corpus {results.corpus_hash()}" in page
