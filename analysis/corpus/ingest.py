"""The corpus stage: raw files -> documents and paragraphs with metadata (docvars).

:func:`ingest` reads every file under the given paths, decodes and cleans it, splits
compilations into reports, restores masked characters, attaches metadata (from the curated
table, a user CSV, or inference, recording which per field), splits reports into labelled
paragraphs and writes, atomically, under ``<results>/corpus/``:

- ``documents.parquet`` / ``.csv``: one row per report (docvars first, then source, flags,
  counts, clean text);
- ``paragraphs.parquet``: ``doc_id, paragraph, section, text`` plus docvars;
- ``ingest_report.csv`` / ``.md``: every input file, accepted / split into N / rejected / skipped
  with the reason, and what each cleaning rule removed;
- ``cleaning.csv`` (characters removed per report and rule), ``restorations.csv`` (every masked
  character with its restoration and confidence).

A bad file never stops the rest. :func:`load_corpus` reads the saved tables back.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import io, stamps
from analysis.config import Config
from analysis.corpus import clean, reference, restore, sections, split, walk
from analysis.corpus.decode import Decoded, DecodeError, decode_report
from analysis.corpus.infer import infer_metadata, load_gazetteer, place_fields
from analysis.corpus.metadata import (
    DOCVARS,
    FIELDS,
    TEMPLATE,
    TEMPLATE_COLUMNS,
    MetadataError,
    check_metadata,
    find_row,
    metadata_template,
    metadata_warnings,
    read_metadata,
    row_values,
    unknown_columns,
)
from analysis.corpus.report import render_report
from analysis.progress import progress
from analysis.results import Results

GAZETTEER = "data/gazetteer.csv"
ABRIDGED_RE = re.compile(r"摘登|[(（]摘要[)）]|摘编")


@dataclass
class _Report:
    """A report being assembled (internal)."""

    source_file: str
    part: int
    title: str
    page: str
    text: str
    source_sha256: str
    encoding: str
    t2s_converted: int
    t2s_found: str
    glossary: str = ""
    rules: Counter[str] = field(default_factory=Counter)
    paragraphs: list[str] = field(default_factory=list)
    meta: dict[str, object] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)
    confidence: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Corpus:
    """Result of :func:`compute_corpus`: the tables :func:`write_corpus` writes, as DataFrames.

    ``report`` has one row per input file, ``rules`` one per report and cleaning rule (what it
    removed), ``restorations`` one per masked character, ``metadata_template`` one per report
    whose year or place is missing or uncertain (:func:`~analysis.corpus.metadata.metadata_template`).
    """

    documents: pd.DataFrame
    paragraphs: pd.DataFrame
    report: pd.DataFrame
    restorations: pd.DataFrame
    corpus_hash: str
    rules: pd.DataFrame = field(default_factory=pd.DataFrame)
    metadata_template: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        """``documents, paragraphs = corpus`` (as :func:`load_corpus` returned before)."""
        return iter((self.documents, self.paragraphs))


class IngestFailed(RuntimeError):
    """Raised by ``strict`` ingest when any input was rejected or skipped, or a metadata table
    has unknown columns or rows that match no report."""


class NoReports(IngestFailed):
    """No report was accepted from the inputs (the ingest report is written all the same)."""


def discover(paths: list[Path]) -> list[tuple[Path, str]]:
    """Every file under ``paths`` that ingest reads as ``(path, name relative to the given
    root)``, sorted (the paths it skips or rejects unread are left out; see :func:`_discover`)."""
    return [(e.path, e.name) for e, _ in _discover(paths) if not e.status]


def _discover(paths: list[Path]) -> list[tuple[walk.Entry, Path]]:
    """Every path under ``paths`` as ``(entry, root)`` (:func:`analysis.corpus.walk.walk`:
    files to read, and unreadable, looping, dangling or non-``.txt`` paths with the reason),
    sorted; an entry's ``name`` is relative to the root, or to the bundled ``data/raw`` for its
    files (so that a part of the bundled corpus, e.g. ``data/raw/local``, keeps the names
    ``data/metadata.csv`` describes)."""
    bundled = reference.bundled_raw()
    found: list[tuple[walk.Entry, Path]] = []
    for root in paths:
        # the root's place inside data/raw ("local", "" for data/raw itself), else None
        prefix = (
            Path(os.path.realpath(root)).relative_to(bundled) if _inside(root, bundled) else None
        )
        entries = walk.walk(root)
        if prefix is not None and root.is_dir():
            entries = [replace(e, name=_under(prefix, e.name)) for e in entries]
        elif prefix is not None:  # a bundled file given by itself
            entries = [replace(e, name=prefix.as_posix()) for e in entries]
        found += [(e, root) for e in entries]
    return found


def _under(prefix: Path, name: str) -> str:
    """``name`` (a folder's ends with ``/``) inside ``prefix``, POSIX."""
    return (prefix / name).as_posix() + ("/" if name.endswith("/") else "")


BUNDLED = "bundled"
_COLLECTION_RE = re.compile(r"[^\w.-]+")


def _inside(path: Path, folder: Path) -> bool:
    resolved = Path(os.path.realpath(path))  # realpath: a symlink loop is no error
    return resolved == folder or folder in resolved.parents


def collection_name(root: Path, name: str | None = None) -> str:
    """The ``collection`` docvar of the files under input ``root``.

    ``name`` (``--collection``) if given; else ``bundled`` for anything inside the repository's
    ``data/raw`` folder (the bundled corpus, whichever part of it is read); else the name of the
    input folder (for a single file: of its parent folder). Characters other than letters,
    digits, ``_ . -`` become ``_``.
    """
    if name is None:
        if _inside(root, reference.bundled_raw()):
            return BUNDLED
        resolved = Path(os.path.realpath(root))
        name = (resolved if root.is_dir() else resolved.parent).name
    clean_name = _COLLECTION_RE.sub("_", name).strip("._-")
    return clean_name or "user"


# The curated table of the bundled corpus: its rows describe bundled files only.
BUNDLED_METADATA = (Path(__file__).resolve().parents[2] / "data" / "metadata.csv").resolve()


def source_name(rel: str, collection: str) -> str:
    """The ``source_file`` of a file at ``rel`` in its input folder: ``rel`` in the bundled
    corpus (today's values), ``<collection>/<rel>`` elsewhere, so names from different input
    folders never collide."""
    return rel if collection == BUNDLED else f"{collection}/{rel}"


def collection_slug(collection: str) -> str:
    """ASCII prefix of the generated ``doc_id`` of a non-bundled collection (lower-case letters,
    digits and ``_``; a short hash of the name when it has no ASCII letter or digit)."""
    slug = re.sub(r"[^0-9a-z]+", "_", collection.lower()).strip("_")
    return slug or "c" + hashlib.sha1(collection.encode()).hexdigest()[:8]


STAGE_CODE = ("corpus", "io.py", "results.py", "stamps.py")


def ingest_sources(
    paths: list[str | Path] | None, config: Config, metadata: list[str | Path] | None
) -> tuple[list[Path], list[Path], Path]:
    """The roots, metadata tables and gazetteer an ingest reads (defaults from ``config``)."""
    cfg = config.ingest
    roots = [config.path(p) for p in (paths or [cfg.raw])]
    meta_paths = [config.path(p) for p in ([cfg.metadata] if metadata is None else metadata)]
    return roots, meta_paths, config.path(GAZETTEER)


def plan_ingest(
    paths: list[str | Path] | None = None,
    *,
    config: Config,
    metadata: list[str | Path] | None = None,
    collection: str | None = None,
) -> dict[str, Any]:
    """The stamp an ingest of ``paths`` would write: every file it reads (raw files, metadata
    tables, gazetteer) with its sha256, the ``[ingest]`` settings, ``collection`` and the code."""
    roots, meta_paths, gazetteer = ingest_sources(paths, config, metadata)
    found = _discover(roots)
    files = [e.path for e, _ in found if walk.is_listed_file(e)]
    inputs = stamps.file_digests([*files, *meta_paths, gazetteer], config.root)
    # any other path (unreadable, a dangling link, a loop) by what ingest says of it
    inputs.update(
        {
            f"{_shown(e.path, config.root)}\t{e.name}": e.reason
            for e, _ in found
            if not walk.is_listed_file(e)
        }
    )
    inputs.update(reference.reference_digests(config))
    values = stamps.config_values(config, ["ingest"])
    values["collections"] = [collection_name(root, collection) for root in roots]
    return stamps.make_stamp("ingest", config=values, code=STAGE_CODE, inputs=inputs)


def ingest(
    paths: list[str | Path] | None = None,
    *,
    config: Config,
    metadata: list[str | Path] | None = None,
    results: str | Path | Results | None = None,
    strict: bool = False,
    collection: str | None = None,
    strict_metadata: bool = False,
) -> Corpus:
    """Ingest raw report files and write the corpus tables (see module docstring).

    ``paths`` default to ``config.ingest.raw``; ``metadata`` CSVs default to
    ``[config.ingest.metadata]`` (later CSVs override earlier ones; every CSV overrides
    inference); pass ``metadata=[]`` to rely on inference alone. ``results`` defaults to
    ``config.results``. With ``strict``, any rejected or skipped input (or a metadata table
    warning) raises :class:`IngestFailed` after the tables are written; with no report accepted
    at all, :class:`NoReports` is raised after writing, strict or not. Reports without a reliable year or place are warned about on stderr
    and listed in ``corpus/metadata_template.csv``; with ``strict_metadata`` they raise
    :class:`~analysis.corpus.metadata.MetadataIncomplete` instead, before anything is written.
    """
    if not isinstance(results, Results):
        results = Results(config.path(results or config.results))
    check_metadata_paths(ingest_sources(paths, config, metadata)[1], results)
    stamp = plan_ingest(paths, config=config, metadata=metadata, collection=collection)
    corpus = compute_corpus(
        paths,
        config=config,
        metadata=metadata,
        collection=collection,
        strict_metadata=strict_metadata,
        cache_dir=reference_cache(results),
    )
    write_corpus(corpus, results, config, stamp=stamp)
    warn_metadata(corpus, results, config, metadata)
    check_accepted(corpus.report, results)
    if strict:
        check_rejections(corpus.report)
    return corpus


def check_metadata_paths(meta_paths: list[Path], results: Results) -> None:
    """A metadata table inside the results' corpus folder would be replaced by the ingest that
    reads it (and a filled template lost): raise :class:`MetadataError` naming it."""
    corpus_dir = results.corpus_dir.resolve()
    for p in meta_paths:
        if corpus_dir in p.resolve().parents:
            raise MetadataError(
                f"{p}: a metadata table inside {results.corpus_dir} is replaced by the ingest "
                "that reads it; copy it elsewhere (e.g. my_metadata.csv) and pass that"
            )


def warn_metadata(
    corpus: Corpus, results: Results, config: Config, metadata: list[str | Path] | None
) -> None:
    """Print a warning line per report of ``corpus.metadata_template`` on stderr, and how to
    pass the filled template back."""
    import sys

    bundled = bool((corpus.documents.get("collection", pd.Series()) == BUNDLED).any())
    lines = metadata_warnings(
        corpus.metadata_template,
        where=str(results.corpus_dir / TEMPLATE),
        bundled_table=bundled and metadata is None,
    )
    for line in lines:
        print(line, file=sys.stderr)
    warned = corpus.report[corpus.report["status"] == WARNING]
    for f, reason in zip(warned["file"], warned["reason"], strict=True):
        print(f"warning: metadata table {f}: {reason}", file=sys.stderr)


def check_rejections(report: pd.DataFrame) -> None:
    """Raise :class:`IngestFailed` naming every input of an ingest report that was rejected or
    skipped and every metadata table warning (folder notes, status ``notes``, are neither)."""
    failed = report["status"].isin([walk.REJECTED, walk.SKIPPED, WARNING])
    if failed.any():
        bad = report[failed]
        raise IngestFailed(
            "; ".join(
                f"{f}: {s} ({r})"
                for f, s, r in zip(bad["file"], bad["status"], bad["reason"], strict=True)
            )
        )


def check_metadata_tables(report: pd.DataFrame) -> None:
    """Raise :class:`MetadataError` naming every metadata table warning of an ingest report
    (unknown columns, rows that match no report), for ``strict_metadata``."""
    bad = report[report["status"] == WARNING]
    if len(bad):
        lines = [f"{f}: {r}" for f, r in zip(bad["file"], bad["reason"], strict=True)]
        raise MetadataError("metadata tables (--strict-metadata): " + "; ".join(lines))


def check_accepted(report: pd.DataFrame, results: Results) -> None:
    """Raise :class:`NoReports` (one line) when no input of ``report`` gave a report."""
    if not (pd.to_numeric(report["reports"], errors="coerce").fillna(0) > 0).any():
        counts = report["status"].value_counts()
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        raise NoReports(
            f"no report accepted from {len(report)} input path(s) ({summary or 'none found'}); "
            f"the reasons are in {results.corpus_dir / 'ingest_report.md'}"
        )


def compute_corpus(
    paths: list[str | Path] | None = None,
    *,
    config: Config,
    metadata: list[str | Path] | None = None,
    collection: str | None = None,
    strict_metadata: bool = False,
    cache_dir: Path | None = None,
) -> Corpus:
    """Read, clean, split and label every file under ``paths`` (nothing is written but the
    cache of the restoration reference in ``cache_dir``, see :func:`reference_cache`).

    Every report gets the ``collection`` docvar of its input root (:func:`collection_name`;
    ``collection`` names them all). The ``source_file`` of a report outside the bundled
    corpus is ``<collection>/<path relative to its input folder>``; bundled ones keep their
    path relative to the folder given. ``strict_metadata`` raises
    :class:`~analysis.corpus.metadata.MetadataIncomplete` when a report has no reliable year or
    place (see :func:`~analysis.corpus.metadata.metadata_template`)."""
    cfg = config.ingest
    roots, meta_paths, gazetteer_path = ingest_sources(paths, config, metadata)
    default_meta = config.path(cfg.metadata).resolve()
    tables = [
        (
            read_metadata(p),
            "table" if p.resolve() == default_meta else "user",
            BUNDLED if p.resolve() == BUNDLED_METADATA else None,
        )
        for p in meta_paths
    ]
    gazetteer = load_gazetteer(gazetteer_path)

    files = _discover(roots)
    collections = {root: collection_name(root, collection) for root in roots}
    names = [source_name(e.name, collections[root]) for e, root in files]
    # of identical files, the one a metadata table lists is kept, else the first by path: the
    # listed ones are read first
    listed = [
        _listed(n, collections[root], tables) for n, (_, root) in zip(names, files, strict=True)
    ]
    order = sorted(range(len(files)), key=lambda i: (not listed[i], i))
    rows: list[dict[str, object]] = [{} for _ in files]
    read: list[list[_Report]] = [[] for _ in files]
    seen_sha: dict[str, int] = {}
    for i in progress(order, "ingest: read", total=len(files)):
        (entry, root), rel, path = files[i], names[i], files[i][0].path
        row = rows[i]
        row.update(file=rel, collection=collections[root], status="", reports=0, reason="")
        if entry.status:
            row.update(status=entry.status, reason=entry.reason)
            continue
        too_big = _too_big(path, cfg.max_file_bytes)
        if too_big:
            row.update(status="rejected", bytes=path.stat().st_size, reason=too_big)
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            row.update(status="rejected", reason=f"unreadable: {exc.strerror}")
            continue
        sha = io.sha256_bytes(data)
        row.update(bytes=len(data), sha256=sha)
        if sha in seen_sha:
            row.update(
                status="rejected", reason=_duplicate_file_reason(names, listed, seen_sha[sha])
            )
            continue
        seen_sha[sha] = i
        try:
            # handed over in a list that _read_text empties, and the bytes dropped, so that no
            # earlier copy of a large file outlives the step that replaces it
            handed = [_decode(data, row)]
        except DecodeError as exc:
            row.update(status="rejected", reason=str(exc))
            continue
        del data
        parts = _read_text(handed, rel, sha, config, row)
        io.release_memory()
        if not parts:
            continue
        for part in parts:
            part.meta["collection"] = collections[root]
        read[i] = parts
        row.update(
            status="accepted" if len(parts) == 1 else f"split into {len(parts)}", reports=len(parts)
        )
    report_rows = rows
    reports = [rep for parts in read for rep in parts]

    restorations = _restore(reports, config, cache_dir=cache_dir)
    io.release_memory()
    used: set[tuple[int, int]] = set()
    for rep in reports:
        _attach_metadata(rep, tables, gazetteer, used)
        rep.page = ""  # read by inference only
    notes = [
        {"file": _shown(p, config.root), "collection": "", "status": WARNING, "reports": 0}
        | {"reason": note, "doc_ids": ""}
        for p, note in _metadata_notes(meta_paths, [t for t, _, _ in tables], used, files)
    ]
    if strict_metadata:
        check_metadata_tables(pd.DataFrame(notes, columns=["file", "status", "reason"]))
    _assign_ids(reports)
    documents, paragraphs = _tables(reports, restorations, config)
    for rep in reports:
        rep.paragraphs = []  # held by the tables from here on
    io.release_memory()
    template = metadata_template(documents)
    if strict_metadata:
        check_metadata(template)
    _flag_duplicates(documents, cfg.duplicate_overlap)
    for row in report_rows:
        mine = (documents["source_file"] == row["file"]) & (
            documents["collection"] == row["collection"]
        )
        row["doc_ids"] = " ".join(documents.loc[mine, "doc_id"])
        row["reason"] = row["reason"] or _duplicate_reason(documents[mine])

    # integers, empty for a file not read
    report = _integer_counts(pd.DataFrame([*report_rows, *notes]), ("bytes", *DECODE_COUNTS))
    rules = _rule_table(reports, documents)
    corpus_hash = _corpus_hash(report, [*meta_paths, gazetteer_path], config)
    return Corpus(documents, paragraphs, report, restorations, corpus_hash, rules, template)


WARNING = "warning"  # status of an ingest report row on a metadata table


def _metadata_notes(
    meta_paths: list[Path],
    tables: list[pd.DataFrame],
    used: set[tuple[int, int]],
    files: list[tuple[walk.Entry, Path]],
) -> list[tuple[Path, str]]:
    """``(table path, problem)`` for each metadata table with columns ingest does not read or
    rows that match no report. A row of the bundled table counts only when its file lies under
    a folder that was read (``files``: the paths discovered), so reading ``data/raw/local`` alone
    does not report the rows of the other bundled folders."""
    read = {e.name for e, _ in files}
    folders = {n for n in read if n.endswith("/")} | {
        str(Path(n).parent) + "/" for n in read if not n.endswith("/")
    }
    out: list[tuple[Path, str]] = []
    for k, (path, table) in enumerate(zip(meta_paths, tables, strict=True)):
        extra = unknown_columns(table)
        if extra:
            out.append((path, f"unknown column(s) {', '.join(extra)} (misspelt? ignored)"))
        bundled = path.resolve() == BUNDLED_METADATA
        missed = [
            f"{r.source_file}" + (f" part {r.part}" if r.part != 1 else "")
            for at, r in zip(table.index, table.itertuples(), strict=True)
            if (k, at) not in used
            and (not bundled or str(Path(r.source_file).parent) + "/" in folders)
        ]
        if missed:
            shown = ", ".join(missed[:3]) + (
                f" and {len(missed) - 3} more" if len(missed) > 3 else ""
            )
            out.append((path, f"{len(missed)} row(s) match no report ingested: {shown}"))
    return out


def _shown(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when inside it (POSIX), else as it is."""
    try:
        return Path(os.path.abspath(path)).relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _listed(name: str, collection: str, tables: list[tuple[pd.DataFrame, str, str | None]]) -> bool:
    """Whether a metadata table has a row for the file ``name`` (its ``source_file``) by its
    path (not by base name alone)."""
    relative = name.removeprefix(f"{collection}/") if collection != BUNDLED else None
    return any(
        (scope is None or scope == collection) and table["source_file"].isin({name, relative}).any()
        for table, _, scope in tables
    )


def _duplicate_file_reason(names: list[str], listed: list[bool], kept: int) -> str:
    """The reason of a file whose bytes equal those of file ``kept`` (which is kept)."""
    why = "; it is listed in a metadata table" if listed[kept] else ""
    return f"duplicate of {names[kept]} (identical bytes{why})"


def _too_big(path: Path, max_bytes: int) -> str:
    """The rejection reason of a file larger than ``max_bytes`` (from its size on disk, without
    reading it), or ``""``."""
    try:
        size = path.stat().st_size
    except OSError:
        return ""  # reported by the read that follows
    if size <= max_bytes:
        return ""
    return (
        f"larger than max_file_bytes ({size} bytes > {max_bytes}); "
        "split it or raise [ingest] max_file_bytes"
    )


# byte and character counts of decoding in the ingest report (missing for undecoded files)
DECODE_COUNTS = (
    "truncated_bytes",
    "control_chars_removed",
    "mojibake_repaired",
    "invalid_sequences_removed",
)


def _integer_counts(report: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """``report`` with ``columns`` (those present) as nullable integers, not floats."""
    return report.astype({c: "Int64" for c in columns if c in report.columns})


def _read_file(data: bytes, rel: str, sha: str, config: Config, row: dict) -> list[_Report]:
    """Decode, normalize and clean one file; split it into reports (may reject parts)."""
    return _read_text([_decode(data, row)], rel, sha, config, row)


def _decode(data: bytes, row: dict) -> Decoded:
    """:func:`decode_report` of a file's bytes, its counts put in the report ``row``."""
    try:
        decoded = decode_report(data)
    except DecodeError as exc:
        row.update(exc.columns)
        raise
    row.update(decoded.columns())
    if decoded.note():
        row["reason"] = decoded.note()
    return decoded


def _read_text(
    handed: list[Decoded], rel: str, sha: str, config: Config, row: dict
) -> list[_Report]:
    """Normalize and clean one decoded file (``handed``, a list of one :class:`Decoded` that
    is emptied, so that its text is freed as soon as normalizing has replaced it); split it
    into reports (may reject parts)."""
    cfg = config.ingest
    decoded = handed.pop()
    text, encoding, decode_rules = decoded.text, decoded.encoding, decoded.rules
    del decoded
    text, norm_counts = clean.normalize(text)
    text, n_t2s, found = clean.to_simplified(text, min_chars=cfg.t2s_min_chars)
    page = text
    text, crawler_title, header_counts = clean.strip_crawler_header(text)
    text, page_counts, _removed = clean.clean_page(text)
    page_counts.update(header_counts)
    text, copies = split.drop_repeated_copies(text)
    if copies:
        page_counts["repeated_copy"] += len(copies.replace("\n", ""))
    n_han = clean.count_han(text)
    if n_han < cfg.min_han_chars:
        row.update(status="rejected", reason=f"no Chinese text ({n_han} Han characters)")
        return []
    parts = split.split_reports(text, min_han=cfg.min_han_chars)
    del text
    parts.reverse()  # consumed from the end, so that each part's text is freed once used
    out = []
    for k in range(1, len(parts) + 1):
        part = parts.pop()
        # a report without a title line of its own takes the crawler's title of the page
        title = part.title or (crawler_title if k == 1 else "")
        rep = _Report(rel, k, title, page, part.text, sha, encoding, n_t2s, found)
        if k == 1:
            rep.rules.update(decode_rules)
            rep.rules.update(norm_counts)
            rep.rules.update(page_counts)
        rep.text, toc = split.strip_toc(rep.text)
        if toc:
            rep.rules["table_of_contents"] += len(toc.replace("\n", ""))
        rep.text, rep.glossary = split.split_glossary(rep.text)
        if rep.glossary:
            rep.rules["glossary_kept_apart"] += len(rep.glossary.replace("\n", ""))
        rep.paragraphs, para_counts = split.build_paragraphs(
            rep.text, long_line_chars=cfg.long_line_chars
        )
        rep.rules.update(para_counts)
        rep.text = ""  # the paragraphs are the report from here on
        out.append(rep)
    return out


#: A folder for the cache of restoration's reference texts shared by every results folder
#: (else each results folder keeps its own under ``.cache/``).
CACHE_ENV = "POLICYSHIFT_CACHE"


def reference_cache(results: Results) -> Path:
    """Where ingest caches the cleaned reference texts of restoration: ``$POLICYSHIFT_CACHE/
    restore_reference`` when set (one cache for many results folders; the cache key says what
    it was made from, so sharing it is safe), else under ``results``. Never an output."""
    shared = os.environ.get(CACHE_ENV)
    if shared:
        return Path(shared) / "restore_reference"
    return results.path(".cache/restore_reference")


def _reference_reader(config: Config) -> reference.Reader:
    """Clean and split a reference file exactly as ingest does; its report texts."""

    def read(data: bytes, rel: str) -> list[str]:
        try:
            parts = _read_file(data, rel, io.sha256_bytes(data), config, {})
        except DecodeError:
            return []
        return ["\n".join(r.paragraphs) for r in parts]

    return read


def _restore(reports: list[_Report], config: Config, *, cache_dir: Path | None) -> pd.DataFrame:
    """Restore masked characters in every report from n-gram statistics of the reports of its
    collection and of the reference texts (:mod:`analysis.corpus.reference`, read only when a
    mask exists), so that adding a user's folder never changes a bundled report's restoration."""
    cfg = config.ingest
    rows: list[dict[str, object]] = []
    masked = [r for r in reports if any(restore.masked_offsets(p) for p in r.paragraphs)]
    if not masked:
        return pd.DataFrame(
            columns=[
                "source_file",
                "part",
                "paragraph",
                "offset",
                "char",
                "confidence",
                "runner_up",
                "context",
            ]
        )
    members: dict[object, list[_Report]] = {}
    for rep in reports:
        members.setdefault(rep.meta["collection"], []).append(rep)
    masked_in = {r.meta["collection"] for r in masked}
    shas = {c: {r.source_sha256 for r in members[c]} for c in masked_in}
    in_all = set.intersection(*shas.values())  # reference files no index needs
    ref = reference.load_reference(
        config, _reference_reader(config), cache_dir=cache_dir, skip_sha256=in_all
    )
    indexes = {}
    copies: dict[int, list[str]] = {}  # id of a masked report -> its text and its copies
    for c in sorted(masked_in, key=str):
        texts = ["\n".join(r.paragraphs) for r in members[c]]
        mine = ["\n".join(r.paragraphs) for r in masked if r.meta["collection"] == c]
        # sorted: the same texts give the same index whichever of them are corpus or reference
        usable = reference.usable_reference(ref, shas[c], mine)
        indexes[c] = restore.NgramIndex(sorted([*texts, *usable]))
        copies.update(_own_copies([r for r in masked if r.meta["collection"] == c], members[c]))
    for rep in progress(masked, "ingest: restore masked characters"):
        text = "\n".join(rep.paragraphs)
        new, recs = restore.restore_masks(
            text,
            indexes[rep.meta["collection"]],
            min_confidence=cfg.mask_min_confidence,
            context=cfg.mask_context,
            min_count=cfg.mask_min_count,
            own=restore.NgramIndex(copies[id(rep)]),
        )
        rep.paragraphs = new.split("\n")
        starts = [0]
        for p in rep.paragraphs[:-1]:
            starts.append(starts[-1] + len(p) + 1)
        for r in recs:
            para = max(i for i, s in enumerate(starts) if s <= r.offset)
            rows.append(
                {
                    "source_file": rep.source_file,
                    "collection": rep.meta["collection"],
                    "part": rep.part,
                    "paragraph": para,
                    "offset": r.offset - starts[para],
                    "char": r.char,
                    "confidence": round(r.confidence, 4),
                    "runner_up": r.runner_up,
                    "context": r.context,
                }
            )
    return pd.DataFrame(rows)


def _own_copies(masked: list[_Report], members: list[_Report]) -> dict[int, list[str]]:
    """For each masked report (by ``id``), its text and the text of every other report of its
    collection (``members``) that is a copy of it (:func:`~analysis.corpus.reference.same_report`):
    the part of the collection's index whose counts never support its restoration."""
    texts = ["\n".join(r.paragraphs) for r in members]
    sentences = [split.sentences(t) for t in texts]
    out = {}
    for rep in masked:
        mine = split.sentences("\n".join(rep.paragraphs))
        same = [
            t
            for r, t, s in zip(members, texts, sentences, strict=True)
            if r is not rep and reference.same_report(mine, s)
        ]
        out[id(rep)] = ["\n".join(rep.paragraphs), *same]
    return out


def _attach_metadata(
    rep: _Report,
    tables: list[tuple[pd.DataFrame, str, str | None]],
    gazetteer,
    used: set[tuple[int, int]],
) -> None:
    """Fill ``rep.meta``: inference first, then each CSV in order overrides field by field.

    ``tables`` are ``(table, label, collection)``: a table with a collection (the bundled
    ``data/metadata.csv``) applies to that collection's files only. A table value for ``place``
    or ``level`` replaces the ``province, prefecture, region`` (and ``level``) of the old place
    with the gazetteer's for the new place, or leaves them missing. A row matched by the file's
    base name alone (written for a file of another folder) labels its fields ``<label> by file
    name`` (e.g. ``user by file name``) and says which row in the evidence. Every ``(table
    number, row)`` matched is added to ``used``."""
    collection = str(rep.meta.get("collection", ""))
    inferred = infer_metadata(
        rep.page if rep.part == 1 else "",
        "\n".join(rep.paragraphs),
        rep.title,
        gazetteer,
        file_name=rep.source_file,
    )
    for f, inf in inferred.items():
        rep.meta[f] = inf.value
        rep.sources[f] = "inferred"
        rep.evidence[f] = inf.evidence
        rep.confidence[f] = inf.confidence
    prefix = f"{collection}/"
    relative = rep.source_file.removeprefix(prefix) if collection != BUNDLED else None
    for k, (table, label, scope) in enumerate(tables):
        if scope is not None and scope != collection:
            continue
        at, how = find_row(table, rep.source_file, rep.part, relative=relative)
        if at is None:
            continue
        used.add((k, at))
        row = row_values(table, at)
        given = {f for f in (*FIELDS, "doc_id", "notes", "known_issues") if f in row}
        if given & {"place", "level"}:
            _replace_place_fields(rep, row, given, label, gazetteer)
        for f in given:
            value = row[f]
            rep.meta[f] = int(value) if f == "year" and value is not None else value
            rep.sources[f] = label if how == "path" else f"{label} by file name"
            rep.evidence.pop(f, None)
            rep.confidence.pop(f, None)
            if how == "name":
                rep.evidence[f] = f"row of {row['source_file']} (same file name)"
        if row.get("doc_id") is None:
            rep.meta.pop("doc_id", None)


def _replace_place_fields(
    rep: _Report, row: dict[str, str | None], given: set[str], label: str, gazetteer
) -> None:
    """Drop the place-derived fields a table row does not give, then fill them from the
    gazetteer row of the row's place (when its level agrees with a level the row gives)."""
    place = row["place"] if "place" in given else rep.meta.get("place")
    derived = place_fields(str(place) if place else None, gazetteer)
    if "level" in given and derived.get("level") != row["level"]:
        derived = {}
    for f in ("level", "province", "prefecture", "region"):
        if f in given:
            continue
        for d in (rep.meta, rep.sources, rep.evidence, rep.confidence):
            d.pop(f, None)
        if f in derived:
            rep.meta[f] = derived[f]
            rep.sources[f] = "inferred"
            rep.evidence[f] = f"gazetteer row of {place} ({label} place)"
            rep.confidence[f] = "high"


def _assign_ids(reports: list[_Report]) -> None:
    """Give reports without a curated ``doc_id`` a stable ASCII id from the file name, starting
    with a letter (``doc_`` is put before one that would not) and unique (``_x`` appended).

    Outside the bundled corpus the id is ``<collection slug>__<file stem>`` (bundled ids never
    hold ``__``), so it does not depend on what else is ingested; a stem that loses non-ASCII
    characters gets a short hash of the file name. A ``doc_id`` that two metadata rows give to
    different reports raises :class:`MetadataError`."""
    # a user folder named like a part of data/raw ("local") may repeat a bundled file name
    per_file = Counter((r.meta.get("collection"), r.source_file) for r in reports)
    given: dict[str, str] = {}
    for r in reports:
        if "doc_id" in r.meta:
            doc_id, where = str(r.meta["doc_id"]), f"{r.source_file} part {r.part}"
            if doc_id in given:
                raise MetadataError(
                    f"doc_id {doc_id!r} is given to two reports ({given[doc_id]} and {where}); "
                    "give each its own doc_id in the metadata table"
                )
            given[doc_id] = where
    used = set(given)
    for r in reports:
        if "doc_id" in r.meta:
            continue
        collection = str(r.meta.get("collection") or BUNDLED)
        rel = Path(r.source_file.removeprefix(f"{collection}/")).with_suffix("").as_posix()
        stem = re.sub(r"[^0-9a-z]+", "_", rel.lower()).strip("_")
        if not rel.isascii():
            stem = f"{stem}_{hashlib.sha1(rel.encode()).hexdigest()[:6]}".strip("_")
        base = stem or "doc"
        if collection != BUNDLED:
            base = f"{collection_slug(collection)}__{base}"
        if not re.match(r"[a-z]", base):  # letters first: a file named 2025.txt is doc_2025
            base = f"doc_{base}"
        doc_id = (
            f"{base}_p{r.part:02d}"
            if per_file[(r.meta.get("collection"), r.source_file)] > 1
            else base
        )
        while doc_id in used:
            doc_id += "_x"
        used.add(doc_id)
        r.meta["doc_id"] = doc_id
        r.sources["doc_id"] = "inferred"


def _tables(
    reports: list[_Report], restorations: pd.DataFrame, config: Config
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``documents`` (one row per report) and ``paragraphs`` (one per paragraph); with no
    report, empty tables with the same columns."""
    para_columns = ["doc_id", "paragraph", "section", "text", *DOCVARS[1:]]
    docs: list[dict[str, Any]] = []
    # column lists, not a dict per paragraph (a large compilation has hundreds of thousands)
    paras: dict[str, list[Any]] = {c: [] for c in para_columns}
    for rep in reports:
        doc = _document(rep, restorations, config)
        docs.append(doc)
        n = len(rep.paragraphs)
        paras["paragraph"] += range(n)
        paras["section"] += doc.pop("_sections")
        paras["text"] += rep.paragraphs
        for k in DOCVARS:
            paras[k] += [doc[k]] * n
    empty = _document(_Report("", 1, "", "", "", "", "", 0, ""), restorations, config)
    del empty["_sections"]
    documents = pd.DataFrame(docs, columns=list(empty))
    documents["year"] = documents["year"].astype("Int64")
    paragraphs = pd.DataFrame(paras, columns=para_columns)
    paragraphs["year"] = paragraphs["year"].astype("Int64")
    return documents, paragraphs


def _document(rep: _Report, restorations: pd.DataFrame, config: Config) -> dict[str, Any]:
    """The ``documents`` row of ``rep`` (with its paragraphs' section labels as ``_sections``)."""
    cfg = config.ingest
    m = rep.meta
    text = "\n".join(rep.paragraphs)
    year = m.get("year")
    labels = sections.label_sections(rep.paragraphs, year if isinstance(year, int) else None)
    if not restorations.empty:
        mine = restorations[
            (restorations["source_file"] == rep.source_file)
            & (restorations["collection"] == m.get("collection"))
            & (restorations["part"] == rep.part)
        ]
    else:
        mine = restorations
    gaps = clean.find_number_gaps(text)
    known = str(m.get("known_issues") or "").split(";")
    # truncated: the text is incomplete, at its end or (truncated_start) at its start
    starts_late = split.is_truncated_start(rep.paragraphs) or "truncated_start" in known
    ends_early = split.is_truncated(rep.paragraphs) or "truncated" in known
    doc = {k: m.get(k) for k in DOCVARS}
    doc.update(
        {
            "date": m.get("date"),
            "doc_type_note": m.get("doc_type_note"),
            "speaker": m.get("speaker"),
            "speaker_title": m.get("speaker_title"),
            "session": m.get("session"),
            "title": rep.title or None,
            "source_file": rep.source_file,
            "part": rep.part,
            "source_sha256": rep.source_sha256,
            "encoding": rep.encoding,
            "t2s_converted": rep.t2s_converted,
            "traditional_chars_found": rep.t2s_found,
            "n_chars": sum(len(p) for p in rep.paragraphs),
            "n_han": clean.count_han(text),
            "n_paragraphs": len(rep.paragraphs),
            "truncated": ends_early or starts_late,
            "truncated_start": starts_late,
            "abridged": bool(ABRIDGED_RE.search(rep.title + "\n" + text[:300]))
            or "abridged" in known,
            "masked_restored": int((mine["char"] != restore.MASK).sum()) if len(mine) else 0,
            "masked_unresolved": int((mine["char"] == restore.MASK).sum()) if len(mine) else 0,
            "number_gaps": len(gaps),
            "numbers_deleted": len(gaps) >= cfg.numbers_deleted_min,
            "duplicate_of": None,
            "known_issues": m.get("known_issues"),
            "notes": m.get("notes"),
        }
    )
    for f in (*FIELDS, "doc_id"):
        doc[f"{f}_source"] = rep.sources.get(f, "missing")
    doc["inference_evidence"] = json.dumps(rep.evidence, ensure_ascii=False, sort_keys=True)
    doc["inference_confidence"] = json.dumps(rep.confidence, sort_keys=True)
    doc["glossary_text"] = rep.glossary or None
    doc["text"] = text
    doc["_sections"] = labels
    return doc


def _flag_duplicates(documents: pd.DataFrame, threshold: float) -> None:
    """Set ``duplicate_of`` when most of a report's sentences occur in an earlier report."""
    seen: dict[str, str] = {}
    for i, row in documents.iterrows():
        sents = split.sentences(row["text"])
        if not sents:
            continue
        hits = Counter(seen[s] for s in sents if s in seen)
        if hits:
            other, n = hits.most_common(1)[0]
            if n / len(sents) >= threshold:
                documents.at[i, "duplicate_of"] = other
        for s in sents:
            seen.setdefault(s, row["doc_id"])


def _duplicate_reason(documents: pd.DataFrame) -> str:
    """The ingest report's note on a file (its ``documents`` rows) holding reports flagged
    ``duplicate_of``, or ``""``."""
    mine = documents[documents["duplicate_of"].notna()]
    if mine.empty:
        return ""
    pairs = ", ".join(
        f"{d} duplicate_of {o}" for d, o in zip(mine["doc_id"], mine["duplicate_of"], strict=True)
    )
    return f"{pairs}: excluded from tokens onward ([tokens] keep_duplicates = true keeps it)"


def _rule_table(reports: list[_Report], documents: pd.DataFrame) -> pd.DataFrame:
    rows = [
        {"doc_id": d, "source_file": r.source_file, "rule": rule, "chars": n}
        for r, d in zip(reports, documents["doc_id"], strict=True)
        for rule, n in sorted(r.rules.items())
    ]
    return pd.DataFrame(rows, columns=["doc_id", "source_file", "rule", "chars"])


# [ingest] settings that name inputs: what they name is hashed by content instead
_INPUT_SETTINGS = ("raw", "metadata")


def _corpus_hash(report: pd.DataFrame, meta_paths: list[Path], config: Config) -> str:
    """16 hex digits of sha256 over every input file (collection, name, sha256 and status), the
    metadata tables and gazetteer (``meta_paths``) and every ``[ingest]`` setting that changes
    the output (all but the paths of the inputs, whose content is hashed)."""
    h = hashlib.sha256()
    rows = report.astype(object).where(report.notna(), "")
    shas = rows["sha256"] if "sha256" in rows else [""] * len(rows)
    keys = zip(rows["collection"], rows["file"], shas, rows["status"], strict=True)
    for c, f, s, st in sorted(keys, key=lambda k: tuple(map(str, k))):
        h.update(f"{c}\t{f}\t{s}\t{st}\n".encode())
    for p in meta_paths:
        h.update(io.sha256_file(p).encode())
    settings = stamps.config_values(config, ["ingest"])["ingest"]
    kept = {k: v for k, v in settings.items() if k not in _INPUT_SETTINGS}
    h.update(json.dumps(kept, sort_keys=True, ensure_ascii=False, default=str).encode())
    return h.hexdigest()[:16]


def write_corpus(corpus: Corpus, results: Results, config: Config, *, stamp: dict) -> None:
    """Write the corpus tables and the ingest report as one folder, ``stamp`` last."""
    with results.write_stage("ingest") as out:
        out.parquet(corpus.documents, "documents.parquet")
        out.csv(corpus.documents, "documents.csv")
        out.parquet(corpus.paragraphs, "paragraphs.parquet")
        out.csv(corpus.report, "ingest_report.csv")
        out.csv(corpus.rules, "cleaning.csv")
        out.csv(corpus.restorations, "restorations.csv")
        out.text(
            render_report(
                corpus.documents,
                corpus.report,
                corpus.rules,
                corpus.restorations,
                corpus.metadata_template,
            ),
            "ingest_report.md",
        )
        out.text(corpus.corpus_hash + "\n", "corpus_hash.txt")
        if len(corpus.metadata_template):
            out.csv(corpus.metadata_template, TEMPLATE)
        out.stamp = {**stamp, "corpus_hash": corpus.corpus_hash}


def load_corpus(results: str | Path | Results) -> Corpus:
    """The :class:`Corpus` that :func:`ingest` wrote under ``results`` (the same kind of object
    it returns). It unpacks as ``documents, paragraphs = load_corpus(results)``."""
    results = results if isinstance(results, Results) else Results(results)
    if not results.documents_path.exists():
        raise FileNotFoundError(
            f"{results.corpus_dir}: no corpus here; run `policyshift ingest` first"
        )
    return Corpus(
        documents=results.documents(),
        paragraphs=results.paragraphs(),
        report=results.table("corpus/ingest_report.csv"),
        restorations=results.table("corpus/restorations.csv"),
        corpus_hash=results.corpus_hash(),
        rules=results.table("corpus/cleaning.csv"),
        metadata_template=results.table(f"corpus/{TEMPLATE}")
        if (results.corpus_dir / TEMPLATE).is_file()
        else pd.DataFrame(columns=list(TEMPLATE_COLUMNS)),
    )
