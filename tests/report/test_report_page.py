"""The report page: what it shows, escaping, relative links, determinism, and the stage stamp.

Most tests work on a hand-made results folder (a few reports whose ids and places hold markup,
two figures, a skipped table); the last ones on a small build of the bundled corpus.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from pathlib import Path

import pandas as pd
import pytest

from analysis import config as config_mod
from analysis import io
from analysis.pipeline import run_report
from analysis.report import build_report, compute_report
from analysis.report.parts import network_refs
from analysis.results import Results
from analysis.skips import skip_table

ROOT = Path(__file__).resolve().parents[2]


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


def test_strings_from_data_are_text_never_markup(handmade, hostile):
    page = compute_report(handmade)
    for raw in (*hostile, "<b>bold</b>", "<i>mine</i>", "<script>"):
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
    assert len(docs) == 312
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
