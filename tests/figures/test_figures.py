"""Figures: deterministic bytes, the CJK font embedded, missing glyphs fail, manifest, --only.

Most tests draw from a small synthetic results folder written here with the columns of the table
contract (Chinese terms and place names included), at a low dpi to stay fast. The corpus
overview is also drawn from the session's real ingest of the bundled corpus.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from matplotlib import font_manager, ft2font
from matplotlib.figure import Figure

from analysis import io
from analysis.config import Config
from analysis.figures import REGISTRY, FigureError, build_figures, fonts, make_figure
from analysis.figures.fonts import check_strings, missing_chars, resolve_font
from analysis.figures.render import figure_texts, render
from analysis.figures.style import figure_style
from analysis.figures.topics_common import read_topics
from analysis.skips import Skip, skips_of

EXT_B = "\U00020000"  # 𠀀, CJK Extension B: not in Noto Sans CJK SC (checked in a test)
CONCEPTS = pd.DataFrame(
    {
        "concept": ["new_energy", "rural", "epidemic"],
        "label_en": ["New energy", "Rural development", "Epidemic"],
        "label_zh": ["新能源", "乡村发展", "疫情防控"],
        "n_terms": [5, 7, 3],
        "description": ["", "", ""],
    }
)
DOCS = pd.DataFrame(
    [
        # doc_id, place, level, province, region, year, n_chars
        ("national_1958", "全国", "national", "", "", 1958, 20000),
        ("national_1978", "全国", "national", "", "", 1978, 25000),
        ("national_1979", "全国", "national", "", "", 1979, 24000),
        ("national_2020", "全国", "national", "", "", 2020, 11000),
        ("national_2021", "全国", "national", "", "", 2021, 17000),
        ("zhejiang_2025", "浙江省", "province", "浙江省", "east", 2025, 18000),
        ("zhejiang_2026", "浙江省", "province", "浙江省", "east", 2026, 19000),
        ("gansu_2025", "甘肃省", "province", "甘肃省", "west", 2025, 16000),
        ("gansu_2026", "甘肃省", "province", "甘肃省", "west", 2026, 17000),
        ("jiaxing_2023", "嘉兴市", "prefecture", "浙江省", "east", 2023, 15000),
        ("haining_2023", "海宁市", "county-level", "浙江省", "east", 2023, 7000),
        # a city series and two districts (a 换届 year with two reports, a gap, a 管委会 report)
        ("shenzhen_2020", "深圳市", "prefecture", "广东省", "east", 2020, 20000),
        ("shenzhen_2021", "深圳市", "prefecture", "广东省", "east", 2021, 21000),
        ("shenzhen_2025", "深圳市", "prefecture", "广东省", "east", 2025, 22000),
        ("futian_2020", "福田区", "county-level", "广东省", "east", 2020, 9000),
        ("futian_2021", "福田区", "county-level", "广东省", "east", 2021, 8000),
        ("futian_2021_2", "福田区", "county-level", "广东省", "east", 2021, 10000),
        ("futian_2023", "福田区", "county-level", "广东省", "east", 2023, 9500),
        ("dapeng_2020", "大鹏新区", "county-level", "广东省", "east", 2020, 8000),
        ("dapeng_2021", "大鹏新区", "county-level", "广东省", "east", 2021, 8500),
        ("dapeng_2022", "大鹏新区", "county-level", "广东省", "east", 2022, 9000),
    ],
    columns=["doc_id", "place", "level", "province", "region", "year", "n_chars"],
)
TERMS = [
    "新能源汽车",
    "乡村振兴",
    "高质量发展",
    "数字经济",
    "疫情防控",
    "共同富裕",
    "碳达峰",
    "营商环境",
]
PREFECTURES = {"浙江省": "嘉兴市", "广东省": "深圳市"}  # the local places' prefecture, by province
FAST_DPI = 40


def _documents() -> pd.DataFrame:
    docs = DOCS.copy()
    docs["year"] = docs["year"].astype("Int64")
    local = docs["level"].isin(["prefecture", "county-level"])
    docs["prefecture"] = np.where(local, docs["province"].map(PREFECTURES), "")
    docs["doc_type"] = np.where(docs["place"] == "大鹏新区", "committee_report", "work_report")
    docs["collection"] = "bundled"
    flags = {"truncated": False, "abridged": False, "numbers_deleted": False}
    for col, value in flags.items():
        docs[col] = value
    docs.loc[docs["doc_id"] == "haining_2023", "truncated"] = True
    for col in ("masked_restored", "masked_unresolved", "number_gaps", "t2s_converted"):
        docs[col] = 0
    docs.loc[docs["doc_id"] == "national_1958", "t2s_converted"] = 1
    docs["duplicate_of"] = None
    docs["known_issues"] = np.where(docs["level"] == "national", "wiki_footer", "web_chrome")
    docs["text"] = "政府工作报告"
    docs["n_paragraphs"] = 2
    return docs


def _paragraphs() -> pd.DataFrame:
    """Two paragraphs per report (review, plan) with a few dictionary terms."""
    docs = _documents()
    rows = []
    for d in docs.itertuples():
        for i, (section, text) in enumerate(
            (("review", "过去一年，新能源汽车产量增长，乡村振兴取得进展。"),
             ("plan", "今年要发展数字经济，推进高质量发展和乡村振兴。"))
        ):  # fmt: skip
            rows.append({"doc_id": d.doc_id, "paragraph": i, "section": section, "text": text})
    paragraphs = pd.DataFrame(rows)
    docvars = docs.drop(columns=["text", "n_chars", "n_paragraphs"])
    return paragraphs.merge(docvars, on="doc_id")


def _panel(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    docs = _documents()
    for doc in docs.itertuples():
        for section, share in (("all", 1.0), ("review", 0.4), ("plan", 0.6)):
            chars = int(doc.n_chars * share)
            for c in CONCEPTS.itertuples():
                count = int(rng.poisson(chars / 10_000 * 8))
                if c.concept == "epidemic" and doc.year < 2020:
                    count = 0
                rate = count / chars * 1e4
                rows.append(
                    {
                        **{k: getattr(doc, k) for k in ("doc_id", "place", "level", "province")},
                        "prefecture": doc.prefecture,
                        "region": doc.region,
                        "year": doc.year,
                        "doc_type": doc.doc_type,
                        "collection": doc.collection,
                        "section": section,
                        "concept": c.concept,
                        "label_en": c.label_en,
                        "label_zh": c.label_zh,
                        "count": count,
                        "chars": chars,
                        "tokens": chars // 4,
                        "n_paragraphs": 40,
                        "rate": rate,
                        "ci_low": rate * 0.6,
                        "ci_high": rate * 1.5,
                    }
                )
    panel = pd.DataFrame(rows)
    panel["year"] = panel["year"].astype("Int64")
    return panel


def _shift(panel: pd.DataFrame) -> pd.DataFrame:
    groups = {
        "all": panel,
        "national": panel[panel["level"] == "national"],
        "province": panel[panel["level"] == "province"],
        "local": panel[panel["level"].isin(["prefecture", "county-level"])],
    }
    rows = []
    for group, d in groups.items():
        for (section, concept), g in d[d["section"].isin(["review", "plan"])].groupby(
            ["section", "concept"]
        ):
            rate = g["count"].sum() / g["chars"].sum() * 1e4
            label = CONCEPTS.set_index("concept").loc[concept]
            rows.append(
                (group, section, concept, label["label_en"], label["label_zh"],
                 g["count"].sum(), g["chars"].sum(), rate, rate * 0.8, rate * 1.2)
            )  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["group", "section", "concept", "label_en", "label_zh", "count", "chars", "rate",
                 "ci_low", "ci_high"],
    )  # fmt: skip


def _diff(shift: pd.DataFrame) -> pd.DataFrame:
    """The paired plan-minus-review table of the synthetic shift (intervals around the
    difference, one of them including 0)."""
    wide = shift.pivot_table(
        index=["group", "concept", "label_en", "label_zh"],
        columns="section",
        values=["count", "chars", "rate"],
    )
    out = pd.DataFrame(
        {
            "n_reports": 3,
            "review_count": wide[("count", "review")],
            "review_chars": wide[("chars", "review")],
            "plan_count": wide[("count", "plan")],
            "plan_chars": wide[("chars", "plan")],
            "review_rate": wide[("rate", "review")],
            "plan_rate": wide[("rate", "plan")],
        }
    ).reset_index()
    out["diff"] = out["plan_rate"] - out["review_rate"]
    spread = out["diff"].abs().clip(lower=0.5)
    out["diff_ci_low"], out["diff_ci_high"] = out["diff"] - 0.5 * spread, out["diff"] + 1.5 * spread
    out["zero_in_ci"] = (out["diff_ci_low"] <= 0) & (out["diff_ci_high"] >= 0)
    return out


def _keyness(rng: np.random.Generator, terms: list[str]) -> pd.DataFrame:
    n = len(terms)
    g2 = np.sort(rng.uniform(1, 80, n))[::-1]
    return pd.DataFrame(
        {
            "term": terms,
            "target_count": rng.integers(5, 50, n),
            "reference_count": rng.integers(5, 50, n),
            "target_total": 1000,
            "reference_total": 1200,
            "g2": g2,
            "chi2": g2,
            "p": 0.001,
            "p_chi2": 0.001,
            "q": np.where(g2 > 10, 0.01, 0.2),
            "log_ratio": rng.normal(0, 1, n),
            "direction": ["target", "reference"] * (n // 2),
            "robust": g2 > 20,
        }
    )


def _year_series(panel: pd.DataFrame) -> pd.DataFrame:
    """The year-series table of the synthetic panel: the national level series, the place series
    of 浙江省 (with an extra 2024 row so that it has 3 years) and 深圳市 (2020, 2021, 2025)."""
    whole = panel[panel["section"] == "all"]
    parts = []
    nat = whole[whole["level"] == "national"].assign(
        series="bundled/national/work_report", kind="level", place=""
    )
    parts.append(nat)
    zj = whole[whole["place"] == "浙江省"]
    zj = pd.concat([zj, zj[zj["year"] == 2025].assign(year=2024)], ignore_index=True)
    parts.append(zj.assign(series="bundled/place=浙江省/work_report", kind="place"))
    sz = whole[whole["place"] == "深圳市"]
    parts.append(sz.assign(series="bundled/place=深圳市/work_report", kind="place"))
    prov = whole[whole["level"] == "province"]
    prov = pd.concat([prov, prov[prov["year"] == 2025].assign(year=2024)], ignore_index=True)
    parts.append(prov.assign(series="bundled/province/work_report", kind="level", place=""))
    rows = pd.concat(parts, ignore_index=True)
    keys = ["series", "kind", "collection", "level", "place", "doc_type", "year", "concept",
            "label_en", "label_zh"]  # fmt: skip
    out = rows.groupby(keys, sort=True).agg(
        n_reports=("doc_id", "nunique"), count=("count", "sum"), chars=("chars", "sum")
    )
    out = out.reset_index()
    out["rate"] = out["count"] / out["chars"] * 1e4
    out["ci_low"], out["ci_high"] = out["rate"] * 0.7, out["rate"] * 1.4
    return out[[*keys[:7], "n_reports", *keys[7:], "count", "chars", "rate", "ci_low", "ci_high"]]


def write_synthetic_results(root: Path, *, seed: int = 7) -> Path:
    """Every table the figures read, tiny, under ``root`` (the results folder); returns it."""
    rng = np.random.default_rng(seed)
    (root / "corpus").mkdir(parents=True)
    (root / "corpus" / "corpus_hash.txt").write_text("synthetic0000000\n")
    io.write_parquet(_documents(), root / "corpus" / "documents.parquet")
    io.write_parquet(_paragraphs(), root / "corpus" / "paragraphs.parquet")
    report = pd.DataFrame({"file": ["synthetic.txt"], "status": ["accepted"], "reason": [""]})
    io.write_csv(report, root / "corpus" / "ingest_report.csv")
    tables = root / "tables"
    panel = _panel(rng)
    io.write_parquet(panel, tables / "concept_panel.parquet")
    io.write_csv(CONCEPTS, tables / "concepts.csv")
    io.write_csv(_shift(panel), tables / "concept_section_shift.csv")
    io.write_csv(_diff(_shift(panel)), tables / "concept_section_diff.csv")
    io.write_csv(_year_series(panel), tables / "year_series.csv")
    whole = panel[panel["section"] == "all"]
    term_panel = pd.DataFrame(
        [(d, t, c, int(rng.integers(1, 9))) for d in whole["doc_id"].unique()
         for t, c in (("新能源汽车", "new_energy"), ("乡村振兴", "rural"))],
        columns=["doc_id", "term", "concept", "count"],
    )  # fmt: skip
    io.write_csv(term_panel, tables / "term_panel.csv")
    tfidf = pd.DataFrame(
        [
            ("place", place, rank + 1, term, 0.5 / (rank + 1), 10 - rank)
            for place in ("嘉兴市", "海宁市", "浙江省")
            for rank, term in enumerate(TERMS[:5])
        ],
        columns=["scope", "group", "rank", "term", "score", "count"],
    )
    tfidf["robust"] = tfidf["rank"] != 2
    io.write_csv(tfidf, tables / "tfidf_top_terms.csv")
    comparisons = Config().figures.keyness_comparisons
    index = pd.DataFrame(
        {
            "comparison": comparisons,
            "label": [f"组A {c} vs 组B" for c in comparisons],
            "target": "year == 2026",
            "reference": "year == 2025",
            "unit": "report",
            "n_target_docs": 2,
            "n_reference_docs": 2,
            "target_total": 1000,
            "reference_total": 1200,
        }
    )
    io.write_csv(index, tables / "keyness" / "index.csv")
    for c in comparisons:
        io.write_csv(_keyness(rng, TERMS), tables / "keyness" / f"{c}.csv")
    counts = pd.DataFrame(
        [
            (docvar, group, term, int(rng.integers(5, 200)))
            for docvar, groups in (
                ("region", ("east", "central", "west", "northeast")),
                ("level", ("national", "province", "prefecture", "county-level")),
            )
            for group in groups
            for term in TERMS
        ],
        columns=["docvar", "group", "term", "count"],
    )
    io.write_csv(counts, tables / "group_term_counts.csv")
    topics_dir = root / "topics"
    k_values, seeds = (3, 4, 5), (1, 2)
    selection = pd.DataFrame(
        [
            (k, s, rng.uniform(0.3, 0.6), rng.uniform(-0.1, 0.1), rng.uniform(-3, -1),
             rng.uniform(500, 900), rng.uniform(0.5, 1), rng.uniform(0.5, 1), 1.0)
            for k in k_values
            for s in seeds
        ],
        columns=["k", "seed", "c_v", "c_npmi", "u_mass", "perplexity", "diversity",
                 "exclusivity", "fit_seconds"],
    )  # fmt: skip
    io.write_csv(selection, topics_dir / "model_selection.csv")
    io.write_json(topics_dir / "selection.json", {"k": 3, "rule": "max mean c_v", "override": None})
    k = 3
    io.write_csv(
        pd.DataFrame(
            {
                "topic": range(k),
                "label_en": ["Energy", "Countryside", "Epidemic"],
                "label_zh": ["能源", "乡村", "疫情"],
                "top_terms": [" ".join(TERMS[i : i + 3]) for i in range(k)],
                "frex_terms": [" ".join(TERMS[i : i + 3]) for i in range(k)],
                "stability": [0.9, 0.8, 0.4],
                "stable": [True, True, False],
                "prevalence": [0.5, 0.3, 0.2],
            }
        ),
        topics_dir / "topics.csv",
    )
    io.write_csv(
        pd.DataFrame(
            [
                (t, r + 1, term, 0.1 / (r + 1), 0.5, 0.5)
                for t in range(k)
                for r, term in enumerate(TERMS)
            ],
            columns=["topic", "rank", "term", "prob", "frex", "relevance"],
        ),
        topics_dir / "topic_terms.csv",
    )
    groups = [("region", g) for g in ("east", "west")] + [
        ("level", g) for g in ("national", "province", "prefecture")
    ]
    io.write_csv(
        pd.DataFrame(
            [(d, g, t, m, m * 0.8, m * 1.2, 3) for d, g in groups for t in range(k)
             for m in [rng.uniform(0.1, 0.5)]],
            columns=["docvar", "group", "topic", "mean", "ci_low", "ci_high", "n_docs"],
        ),
        topics_dir / "prevalence_groups.csv",
    )  # fmt: skip
    io.write_csv(
        pd.DataFrame(
            [(y, t, m, m * 0.8, m * 1.2, 1) for y in (1958, 1978, 1979, 2020, 2021) for t in range(k)
             for m in [rng.uniform(0.1, 0.5)]],
            columns=["year", "topic", "mean", "ci_low", "ci_high", "n_docs"],
        ),
        topics_dir / "prevalence_national_years.csv",
    )  # fmt: skip
    return root


@pytest.fixture(scope="module")
def fast_cfg(cfg) -> Config:
    """The repo config at a low dpi and with small word clouds (fast)."""
    figures = dataclasses.replace(cfg.figures, dpi=FAST_DPI, wordcloud_size=(120, 80))
    return dataclasses.replace(cfg, figures=figures)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    return write_synthetic_results(tmp_path_factory.mktemp("synthetic") / "results")


@pytest.fixture(scope="module")
def built(fast_cfg, synthetic, tmp_path_factory) -> tuple[Path, list[Path]]:
    """Every registered figure built once from the synthetic tables."""
    out = tmp_path_factory.mktemp("figures")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        built = build_figures(fast_cfg, results=synthetic, out=out)
    glyph = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert glyph == []
    assert built.failed == () and built.skipped == ()
    return out, list(built.written)


def _hashes(out: Path) -> dict[str, str]:
    return {
        p.name: io.sha256_file(p) for p in sorted(out.iterdir()) if p.suffix in (".png", ".pdf")
    }


def test_every_figure_is_written_as_png_and_pdf(built):
    out, written = built
    expected = {f"{i}.{ext}" for i in REGISTRY for ext in ("png", "pdf")}
    assert {p.name for p in written} == expected | {"manifest.json"}
    assert written[-1] == out / "manifest.json"
    for name in expected:
        data = (out / name).read_bytes()
        assert data[:4] == (b"\x89PNG" if name.endswith(".png") else b"%PDF")


def test_rebuild_gives_identical_bytes(built, fast_cfg, synthetic, tmp_path):
    """A second build, in one process instead of a pool of workers, gives the same bytes."""
    out, _ = built
    assert fast_cfg.figures.workers != 1
    serial = dataclasses.replace(fast_cfg.figures, workers=1)
    build_figures(dataclasses.replace(fast_cfg, figures=serial), results=synthetic, out=tmp_path)
    first, second = _hashes(out), _hashes(tmp_path)
    assert len(first) == 2 * len(REGISTRY)
    assert first == second
    first_manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    second_manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    for entry in (*first_manifest["figures"].values(), *second_manifest["figures"].values()):
        entry.pop("config_hash")  # the config hash covers `workers` too
    assert first_manifest["figures"] == second_manifest["figures"]


def test_pdf_has_no_dates_and_png_no_software_stamp(built):
    out, _ = built
    pdf = (out / "keyness_bars.pdf").read_bytes()
    assert b"/CreationDate" not in pdf and b"/ModDate" not in pdf
    assert b"/Creator (policyshift)" in pdf
    assert b"Software" not in (out / "keyness_bars.png").read_bytes()[:4096]


def test_pdf_embeds_the_cjk_font(fast_cfg, tmp_path):
    font = resolve_font(fast_cfg)
    with figure_style(font):
        fig = Figure(figsize=(3, 2))
        ax = fig.subplots()
        ax.bar(["新能源", "乡村振兴"], [3, 5])
        ax.set_title("汉字 render check")
        data = render(fig, font, dpi=FAST_DPI)
    psname = ft2font.FT2Font(str(font.path)).postscript_name
    pdf = data["pdf"]
    assert f"+{psname}".encode() in pdf  # a subset (ABCDEF+Name) of the CJK font
    assert b"/FontFile2" in pdf or b"/FontFile3" in pdf  # the font program itself is embedded
    assert "新能源" in figure_texts(fig)


def test_the_shipped_font_lacks_the_test_character(fast_cfg):
    font = resolve_font(fast_cfg)
    assert missing_chars(f"新能源{EXT_B}", font) == [EXT_B]
    assert missing_chars("乡村振兴 Rural − 1978", font) == []


def test_missing_glyph_fails_the_figure_naming_the_char(fast_cfg, synthetic, tmp_path):
    results = tmp_path / "results"
    shutil.copytree(synthetic, results)
    path = results / "tables" / "keyness" / "review_vs_plan.csv"
    table = pd.read_csv(path)
    table.loc[0, "term"] = f"新{EXT_B}"
    io.write_csv(table, path)
    out = tmp_path / "out"
    built = build_figures(fast_cfg, results=results, out=out, only=["keyness_bars"])
    ((fig_id, error),) = built.failed
    assert fig_id == "keyness_bars" and re.search(r"missing glyph.*U\+20000", error)
    assert built.drawn == () and not (out / "keyness_bars.png").exists()
    log = (out / "errors.log").read_text(encoding="utf-8")
    assert log.startswith(f"== keyness_bars: {error}\nTraceback")
    assert "analysis/figures/render.py" in log and str(ROOT) not in log  # no machine paths


def test_check_strings_names_string_and_char(fast_cfg):
    font = resolve_font(fast_cfg)
    check_strings(["新能源", "Rural (乡村)"], font)
    with pytest.raises(FigureError, match=r"'\\U0001f600'|U\+1F600.*'ok 😀'"):
        check_strings(["fine", "ok 😀"], font)


def test_word_cloud_terms_are_checked_against_the_font(fast_cfg, synthetic, tmp_path):
    results = tmp_path / "results"
    (results / "tables").mkdir(parents=True)
    counts = pd.read_csv(synthetic / "tables" / "group_term_counts.csv")
    counts.loc[0, "term"] = f"稀{EXT_B}"
    io.write_csv(counts, results / "tables" / "group_term_counts.csv")
    built = build_figures(
        fast_cfg, results=results, out=tmp_path / "out", only=["wordclouds_region"]
    )
    ((fig_id, error),) = built.failed
    assert fig_id == "wordclouds_region" and "U+20000" in error


def test_manifest_lists_inputs_and_outputs_with_their_sha256(built, synthetic, fast_cfg):
    out, _ = built
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["figures"]) == set(REGISTRY)
    assert set(manifest["configs"]) == {fast_cfg.hash()}
    for fig_id, entry in manifest["figures"].items():
        assert entry["inputs"], fig_id
        assert set(entry["inputs"]) == set(REGISTRY[fig_id].present_tables(fast_cfg, synthetic))
        assert set(REGISTRY[fig_id].tables(fast_cfg)) <= set(entry["inputs"])
        for rel, sha in entry["inputs"].items():
            assert sha == io.sha256_file(synthetic / rel)
        assert entry["outputs"] == {
            f"{fig_id}.{ext}": io.sha256_file(out / f"{fig_id}.{ext}") for ext in ("png", "pdf")
        }
        assert entry["config_hash"] == fast_cfg.hash()
        assert entry["corpus_hash"] == "synthetic0000000"
        assert entry["settings"]["dpi"] == FAST_DPI
        assert entry["versions"]["matplotlib"]
        assert entry["font"]["sha256"] == io.sha256_file(resolve_font(fast_cfg).path)
    assert manifest["figures"]["wordclouds_region"]["seed"] == fast_cfg.seed
    assert manifest["figures"]["keyness_bars"]["settings"]["keyness_terms"] == 12
    assert "tables/keyness/review_vs_plan.csv" in manifest["figures"]["keyness_bars"]["inputs"]


def test_only_rebuilds_one_figure_and_keeps_the_other_entries(built, fast_cfg, synthetic, tmp_path):
    out, _ = built
    for p in out.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    before = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    cfg2 = dataclasses.replace(
        fast_cfg, figures=dataclasses.replace(fast_cfg.figures, keyness_terms=3)
    )
    written = build_figures(cfg2, results=synthetic, out=tmp_path, only=["keyness_bars"]).written
    assert [p.name for p in written] == ["keyness_bars.png", "keyness_bars.pdf", "manifest.json"]
    after = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert set(after["figures"]) == set(REGISTRY)
    for fig_id in REGISTRY:
        if fig_id != "keyness_bars":
            assert after["figures"][fig_id] == before["figures"][fig_id]
    entry = after["figures"]["keyness_bars"]
    assert entry["config_hash"] == cfg2.hash() != fast_cfg.hash()
    assert entry["settings"]["keyness_terms"] == 3
    assert set(after["configs"]) == {fast_cfg.hash(), cfg2.hash()}
    assert entry["outputs"]["keyness_bars.png"] == io.sha256_file(tmp_path / "keyness_bars.png")
    assert (
        entry["outputs"]["keyness_bars.png"]
        != before["figures"]["keyness_bars"]["outputs"]["keyness_bars.png"]
    )
    assert io.sha256_file(tmp_path / "corpus_overview.png") == io.sha256_file(
        out / "corpus_overview.png"
    )


def test_unknown_id_is_an_error(fast_cfg, synthetic, tmp_path):
    with pytest.raises(FigureError, match=r"unknown figure id\(s\) \['no_such_figure'\]"):
        build_figures(fast_cfg, results=synthetic, out=tmp_path, only=["no_such_figure"])
    assert not any(tmp_path.iterdir())


def test_missing_input_table_skips_the_figure_naming_it(fast_cfg, synthetic, tmp_path):
    results = tmp_path / "results"
    (results / "tables").mkdir(parents=True)
    (results / "tables" / "concepts.csv").write_bytes(
        (synthetic / "tables" / "concepts.csv").read_bytes()
    )
    out = tmp_path / "out"
    built = build_figures(fast_cfg, results=results, out=out, only=["review_plan_shift"])
    assert built.failed == () and built.drawn == ()
    assert built.skipped == (
        Skip(
            "figures",
            "review_plan_shift",
            "input table(s) tables/concept_section_diff.csv absent (not written by the "
            "measures stage for this corpus)",
        ),
    )
    assert skips_of(pd.read_csv(out / "skipped.csv", dtype=str)) == list(built.skipped)
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["figures"] == {}
    again = build_figures(fast_cfg, results=results, out=out, only=["review_plan_shift"])
    assert again.written == () and again.skipped == built.skipped  # the skip is up to date


def test_missing_column_is_an_error_naming_table_and_column(fast_cfg, synthetic, tmp_path):
    results = tmp_path / "results"
    (results / "tables").mkdir(parents=True)
    diff = pd.read_csv(synthetic / "tables" / "concept_section_diff.csv")
    io.write_csv(diff.drop(columns="diff_ci_high"), results / "tables" / "concept_section_diff.csv")
    built = build_figures(
        fast_cfg, results=results, out=tmp_path / "out", only=["review_plan_shift"]
    )
    ((fig_id, error),) = built.failed
    assert fig_id == "review_plan_shift"
    assert re.search(r"concept_section_diff.csv lacks column\(s\) \['diff_ci_high'\]", error)


def _with_font(cfg: Config, font: str) -> Config:
    return dataclasses.replace(cfg, figures=dataclasses.replace(cfg.figures, font=font))


@pytest.fixture
def font_list():
    """matplotlib's font list, restored (with its lookup cache cleared) after the test."""
    manager = font_manager.fontManager
    saved = list(manager.ttflist)
    yield manager.ttflist
    manager.ttflist[:] = saved
    manager._findfont_cached.cache_clear()


@pytest.fixture
def installed_copy(fast_cfg, tmp_path, font_list):
    """A copy of the shipped Noto Sans CJK SC that matplotlib's font manager lists first, as if
    installed on the system (same family name, another file)."""
    copy = tmp_path / "system-fonts" / "NotoSansCJKsc-Regular.otf"
    copy.parent.mkdir()
    shutil.copyfile(resolve_font(fast_cfg).path, copy)
    font_list.insert(0, font_manager.ttfFontProperty(ft2font.FT2Font(str(copy))))
    font_manager.fontManager._findfont_cached.cache_clear()  # lookups so far were without it
    return copy


def _matplotlib_file(family: str) -> Path:
    return Path(font_manager.findfont(font_manager.FontProperties(family=[family])))


def test_default_font_is_the_pinned_mplfonts_file(fast_cfg):
    assert fast_cfg.figures.font == ""
    font = resolve_font(fast_cfg)
    assert font.source == "mplfonts"
    assert (font.path.parent.parent.name, font.path.parent.name) == ("mplfonts", "fonts")
    assert (font.path.name, font.name) == ("NotoSansCJKsc-Regular.otf", "Noto Sans CJK SC")
    assert io.sha256_file(font.path) == fonts.MPLFONTS_SHA256
    assert fonts.MPLFONTS_SHA256 == (
        "1652500938055a232cfbfa321de6ebaadfc5635dd9f75e369bc991d14a6512dd"
    )
    assert _matplotlib_file(font.name) == font.path


def test_default_font_wins_over_an_installed_font_of_its_family(fast_cfg, installed_copy):
    assert _matplotlib_file("Noto Sans CJK SC") == installed_copy  # listed first, wins a tie
    font = resolve_font(fast_cfg)
    assert font.source == "mplfonts" and font.path != installed_copy
    assert _matplotlib_file(font.name) == font.path  # so the figure bytes do not depend on it


def test_default_font_with_another_sha256_is_an_error(fast_cfg, monkeypatch):
    actual = io.sha256_file(resolve_font(fast_cfg).path)
    monkeypatch.setattr(fonts, "MPLFONTS_SHA256", "0" * 64)
    with pytest.raises(FigureError) as err:
        resolve_font(fast_cfg)
    message = str(err.value)
    assert "NotoSansCJKsc-Regular.otf" in message
    assert f"sha256 {actual}, expected {'0' * 64}" in message
    assert "set [figures] font" in message


def test_configured_font_file_is_used_unpinned_and_must_exist(fast_cfg, tmp_path, font_list):
    shipped = resolve_font(fast_cfg)
    tampered = tmp_path / "tampered.otf"
    tampered.write_bytes(shipped.path.read_bytes() + b"\0" * 16)  # other bytes, same font
    font = resolve_font(_with_font(fast_cfg, str(tampered)))
    assert (font.source, font.path, font.name) == ("config", tampered, "Noto Sans CJK SC")
    assert io.sha256_file(font.path) != fonts.MPLFONTS_SHA256
    assert _matplotlib_file(font.name) == tampered  # wins over the shipped file of its family
    with pytest.raises(FigureError, match=r"no such font file fonts/none.otf"):
        resolve_font(_with_font(fast_cfg, "fonts/none.otf"))


def test_family_name_resolves_via_the_font_manager(fast_cfg, installed_copy):
    resolve_font(fast_cfg)  # the shipped file of the same family is registered: not "system"
    font = resolve_font(_with_font(fast_cfg, "noto sans CJK SC"))
    assert (font.source, font.path, font.name) == ("system", installed_copy, "Noto Sans CJK SC")
    assert _matplotlib_file(font.name) == installed_copy


def test_family_name_of_a_really_installed_cjk_font(fast_cfg):
    installed = [
        e for e in font_manager.fontManager.ttflist
        if e.name == "Noto Sans CJK SC" and e.index == 0 and Path(e.fname) not in fonts._added
    ]  # fmt: skip
    if not installed:
        pytest.skip(
            "no system Noto Sans CJK SC installed (`fc-list :lang=zh` is empty here); "
            "test_family_name_resolves_via_the_font_manager covers the lookup with a copy"
        )
    font = resolve_font(_with_font(fast_cfg, "Noto Sans CJK SC"))
    assert font.source == "system" and font.path in {Path(e.fname) for e in installed}


def test_unknown_family_name_is_an_error_naming_it(fast_cfg):
    with pytest.raises(FigureError, match=r"no installed font has the family 'No Such Sans SC'"):
        resolve_font(_with_font(fast_cfg, "No Such Sans SC"))


def test_family_only_in_a_later_face_of_a_collection_is_an_error(fast_cfg, font_list):
    entry = font_manager.ttfFontProperty(ft2font.FT2Font(str(resolve_font(fast_cfg).path)))
    font_list.append(
        dataclasses.replace(
            entry, fname="/usr/share/fonts/NotoSansCJK.ttc", name="Collected Sans SC", index=2
        )
    )
    with pytest.raises(FigureError, match=r"'Collected Sans SC' is installed only as a later face"):
        resolve_font(_with_font(fast_cfg, "Collected Sans SC"))


def test_corpus_overview_from_the_real_corpus(ingested, results_dir, fast_cfg):
    fig = make_figure("corpus_overview", results=results_dir, cfg=fast_cfg)
    texts = figure_texts(fig)
    assert "Corpus: 312 reports from 71 places" in texts
    assert "53 reports" in texts and "73 reports" in texts  # national, provincial (timeline)
    assert {"浙江省", "广西壮族自治区", "黑龙江省"} <= set(texts)  # province bar labels
    assert "truncated (text incomplete)" in texts
    assert fig._repr_png_()[:4] == b"\x89PNG"  # shows itself in Jupyter without pyplot


def test_topic_labels_use_the_chinese_label_when_english_is_the_default(tmp_path):
    topics = pd.DataFrame(
        {
            "topic": [1, 0],
            "label_en": ["Topic 1", "Rural revitalisation"],
            "label_zh": ["就业/建设/发展", "乡村振兴"],
            "stable": [False, True],
        }
    )
    io.write_csv(topics, tmp_path / "topics" / "topics.csv")
    labels = read_topics(tmp_path)["label"].tolist()
    assert labels == ["T0 Rural revitalisation (乡村振兴)", "T1 就业/建设/发展 *"]


def test_topic_selection_names_the_exclusivity_it_draws(fast_cfg, synthetic):
    topics = dataclasses.replace(fast_cfg.topics, coherence_top_n=7)
    fig = make_figure(
        "topic_selection", results=synthetic, cfg=dataclasses.replace(fast_cfg, topics=topics)
    )
    texts = figure_texts(fig)
    assert "exclusivity of the top-7 terms (higher is better)" in texts
    assert not any(
        "FREX" in t for t in texts
    )  # the column is not FREX (analysis.topics.exclusivity)


def test_keyness_and_tfidf_figures_draw_robust_terms_only_and_say_so(fast_cfg, synthetic, tmp_path):
    results = tmp_path / "results"
    shutil.copytree(synthetic, results)
    comparisons = fast_cfg.figures.keyness_comparisons
    for c in comparisons:  # one robust term, in the first comparison only
        path = results / "tables" / "keyness" / f"{c}.csv"
        table = pd.read_csv(path)
        io.write_csv(table.assign(robust=(table["term"] == TERMS[0]) & (c == comparisons[0])), path)
    texts = figure_texts(make_figure("keyness_bars", results=results, cfg=fast_cfg))
    assert any("robust terms only" in t for t in texts)
    assert texts.count("no robust term on either side") == len(comparisons) - 1
    assert TERMS[0] in texts and not set(TERMS[1:]) & set(texts)
    tfidf = figure_texts(make_figure("tfidf_places", results=results, cfg=fast_cfg))
    assert any("robust terms only" in t for t in tfidf)
    assert TERMS[0] in tfidf and TERMS[1] not in tfidf  # rank 2 is not robust in the table
    every = dataclasses.replace(
        fast_cfg, figures=dataclasses.replace(fast_cfg.figures, robust_only=False)
    )
    texts = figure_texts(make_figure("keyness_bars", results=results, cfg=every))
    assert not any("robust terms only" in t for t in texts) and set(TERMS[1:]) & set(texts)
    assert TERMS[1] in figure_texts(make_figure("tfidf_places", results=results, cfg=every))
