"""The tokens stage and its content-addressed cache (``<results>/tokens/tokens.parquet``).

The cache key covers the tokenizer fingerprint (lexicon, stoplists, settings, engine version),
every paragraph text in order and the carried docvars, so any change to them re-segments; a rerun
of the stage for any other reason (its code changed) reuses the cached table.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import stamps
from analysis.config import Config, EngineConfig, TokenConfig
from analysis.io import sha256_file, write_parquet, write_text
from analysis.results import Results
from analysis.skips import SKIPPED_FILE, Skip, skip_table
from analysis.tokens.segment import TOKEN_COLUMNS, Tokenizer

TOKENS_FILE = "tokens.parquet"
KEY_FILE = "tokens.key"
DROPPED_FILE = "dropped_reports.csv"
DROPPED_COLUMNS = ["doc_id", "source_file", "part", "duplicate_of", "paragraphs", "reason"]
STAGE_CODE = ("tokens", "io.py", "results.py", "stamps.py")


def corpus_key(paragraphs: pd.DataFrame, fingerprint: str) -> str:
    """Cache key: sha256 of the tokenizer fingerprint, every paragraph text in order, and the
    carried columns (so an edited docvar also invalidates the cache)."""
    h = hashlib.sha256(fingerprint.encode())
    for text in paragraphs["text"]:
        h.update(text.encode("utf-8"))
        h.update(b"\x1e")
    carried = [c for c in paragraphs.columns if c != "text"]
    h.update(json.dumps(carried, ensure_ascii=False).encode())
    if carried:
        hashed = pd.util.hash_pandas_object(paragraphs[carried], index=False)
        h.update(hashed.to_numpy().tobytes())
    return h.hexdigest()


def select_paragraphs(
    paragraphs: pd.DataFrame, documents: pd.DataFrame, *, keep_duplicates: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The paragraphs the tokens stage segments, and the reports it leaves out with the reason.

    Reports with ``duplicate_of`` set (most of their sentences occur in an earlier report:
    the same report in two files, or a copy in one page) are excluded from tokens onward, so
    from every downstream table, unless ``keep_duplicates``. Returns the kept paragraphs (same
    columns, order kept) and one row per excluded report (:data:`DROPPED_COLUMNS`).
    """
    dup = documents[documents["duplicate_of"].notna()] if not keep_duplicates else documents[:0]
    drop = set(dup["doc_id"])
    n_par = paragraphs["doc_id"].value_counts()
    dropped = pd.DataFrame(
        {
            "doc_id": dup["doc_id"],
            "source_file": dup["source_file"],
            "part": dup["part"],
            "duplicate_of": dup["duplicate_of"],
            "paragraphs": [int(n_par.get(d, 0)) for d in dup["doc_id"]],
            "reason": [
                f"near-duplicate of {d}: excluded from tokens onward "
                "([tokens] keep_duplicates = true keeps it)"
                for d in dup["duplicate_of"]
            ],
        },
        columns=DROPPED_COLUMNS,
    ).reset_index(drop=True)
    kept = paragraphs[~paragraphs["doc_id"].isin(drop)] if drop else paragraphs
    return kept.reset_index(drop=True), dropped


def tokens_input(config: Config, results: Results) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`select_paragraphs` on the corpus tables of ``results`` with ``config``'s
    ``[tokens] keep_duplicates``."""
    documents = results.documents(columns=["doc_id", "source_file", "part", "duplicate_of"])
    return select_paragraphs(
        results.paragraphs(), documents, keep_duplicates=config.tokens.keep_duplicates
    )


DUPLICATES_KEY = "corpus/documents.parquet#duplicate_of"


def duplicates_digest(results: Results) -> str:
    """sha256 of the ``doc_id, duplicate_of`` pairs of the corpus (the part of the documents
    table the tokens stage reads), ``"missing"`` without a corpus."""
    if not results.documents_path.is_file():
        return "missing"
    docs = results.documents(columns=["doc_id", "duplicate_of"])
    pairs = sorted((str(d), str(o)) for d, o in docs.itertuples(index=False) if pd.notna(o))
    return hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode()).hexdigest()


def read_cached(cache_dir: Path, key: str) -> pd.DataFrame | None:
    """The token table cached in ``cache_dir`` if its key is ``key`` and its bytes are intact."""
    key_path, tokens_path = cache_dir / KEY_FILE, cache_dir / TOKENS_FILE
    if not (key_path.exists() and tokens_path.exists()):
        return None
    try:
        stored = json.loads(key_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None
    if stored.get("key") != key or stored.get("sha256") != sha256_file(tokens_path):
        return None
    import pyarrow.parquet as pq

    table = pq.read_table(tokens_path)
    df = table.drop_columns(["tokens"]).to_pandas()
    df.insert(TOKEN_COLUMNS.index("tokens"), "tokens", table.column("tokens").to_pylist())
    return df


def compute_tokens(
    paragraphs: pd.DataFrame,
    *,
    config: TokenConfig,
    root: str | Path,
    cache_dir: str | Path | None = None,
    tokenizer: Tokenizer | None = None,
    engine: EngineConfig | None = None,
) -> tuple[pd.DataFrame, str]:
    """Tokenize every paragraph (or read the cache in ``cache_dir``); nothing is written.

    Parameters
    ----------
    paragraphs : DataFrame, one row per paragraph
        Columns ``doc_id, paragraph, section, text`` plus any docvars.
    config, root : tokenizer settings and the repo root its paths are relative to.
    cache_dir : folder of a previous ``tokens.parquet`` and its sidecar ``tokens.key`` (JSON: the
        key of :func:`corpus_key` and the sha256 of the parquet file). When the key matches, the
        cached table is read and nothing is segmented.
    tokenizer : optional prebuilt Tokenizer (must match ``config``); built when omitted.
    engine : where the chunks of paragraphs are segmented (``[engine]``; default: this machine's
        ``config.workers`` processes); the tokens are the same.

    Returns
    -------
    tokens : DataFrame, same rows and order as ``paragraphs``
        ``doc_id, paragraph, section, tokens`` (list[str]) then the docvars; ``text`` is dropped.
        Paragraphs left with no tokens are kept (empty list) so docvars stay aligned.
    key : str
        The cache key of the table.
    """
    tokenizer = tokenizer if tokenizer is not None else Tokenizer(config, root)
    if tokenizer.config != config:
        raise ValueError("tokenizer.config differs from config")
    key = corpus_key(paragraphs, tokenizer.fingerprint())
    cached = read_cached(Path(cache_dir), key) if cache_dir is not None else None
    if cached is not None:
        return cached, key
    tokens = tokenizer.tokenize_many(paragraphs["text"].tolist(), engine=engine)
    docvars = [c for c in paragraphs.columns if c not in (*TOKEN_COLUMNS, "text")]
    out = paragraphs[["doc_id", "paragraph", "section"]].reset_index(drop=True)
    out["tokens"] = tokens
    out = pd.concat([out, paragraphs[docvars].reset_index(drop=True)], axis=1)
    return out, key


def _write_cache(tokens: pd.DataFrame, key: str, tokens_path: Path, key_path: Path) -> None:
    write_parquet(tokens, tokens_path)
    sidecar = {"key": key, "sha256": sha256_file(tokens_path), "rows": len(tokens)}
    write_text(key_path, json.dumps(sidecar, indent=2, sort_keys=True) + "\n")


def plan_tokens(config: Config, results: Results) -> dict[str, Any]:
    """The stamp a tokens run would write: the paragraphs table, lexicon and stoplists with
    their sha256, the ``[tokens]`` settings and the code."""
    cfg = config.tokens
    files = [config.path(cfg.lexicon), *(config.path(p) for p in cfg.stopwords)]
    return stamps.make_stamp(
        "tokens",
        config=stamps.config_values(config, ["tokens"]),
        code=STAGE_CODE,
        upstream={
            **stamps.file_digests([results.paragraphs_path], results.root),
            DUPLICATES_KEY: duplicates_digest(results),
        },
        inputs=stamps.file_digests(files, config.root),
        corpus_hash=results.corpus_hash(),
    )


def write_tokens(
    tokens: pd.DataFrame,
    key: str,
    results: Results,
    *,
    stamp: dict[str, Any],
    dropped: pd.DataFrame | None = None,
) -> list[Path]:
    """Write ``tokens/tokens.parquet`` and its cache key as the stage folder, ``stamp`` last,
    with the reports left out (``dropped_reports.csv``, also as ``skipped.csv`` records)."""
    dropped = pd.DataFrame(columns=DROPPED_COLUMNS) if dropped is None else dropped
    skips = [
        Skip("tokens", f"report {d}", reason, "[tokens] keep_duplicates")
        for d, reason in zip(dropped["doc_id"], dropped["reason"], strict=True)
    ]
    with results.write_stage("tokens", reads=["ingest"]) as out:
        _write_cache(tokens, key, out.path(TOKENS_FILE), out.path(KEY_FILE))
        out.csv(dropped, DROPPED_FILE)
        out.csv(skip_table(skips), SKIPPED_FILE)
        out.stamp = stamp
    return out.final_paths()


def build_tokens(
    paragraphs: pd.DataFrame,
    *,
    config: TokenConfig,
    root: str | Path,
    cache_dir: str | Path,
    tokenizer: Tokenizer | None = None,
    engine: EngineConfig | None = None,
) -> pd.DataFrame:
    """:func:`compute_tokens`, then the table and its key written to ``cache_dir`` (a plain
    cache folder outside the stage flow, e.g. for a benchmark or a test); returns the table."""
    cache_dir = Path(cache_dir)
    tokens, key = compute_tokens(
        paragraphs,
        config=config,
        root=root,
        cache_dir=cache_dir,
        tokenizer=tokenizer,
        engine=engine,
    )
    if read_cached(cache_dir, key) is None:
        _write_cache(tokens, key, cache_dir / TOKENS_FILE, cache_dir / KEY_FILE)
    return tokens
