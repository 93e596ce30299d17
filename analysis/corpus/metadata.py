"""Metadata tables (``data/metadata.csv`` and user CSVs): loading, checking, matching; and the
template of reports whose year or place needs a person (``corpus/metadata_template.csv``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

DOCVARS = (
    "doc_id",
    "place",
    "level",
    "province",
    "prefecture",
    "region",
    "year",
    "doc_type",
    "collection",
)
FIELDS = (
    "place",
    "level",
    "province",
    "prefecture",
    "region",
    "year",
    "date",
    "doc_type",
    "doc_type_note",
    "speaker",
    "speaker_title",
    "session",
)
LEVELS = {"national", "province", "prefecture", "county-level"}
REGIONS = {"east", "central", "west", "northeast", ""}
# The bundled document types; a user table may name any identifier (DOC_TYPE_RE).
# committee_report: the work report of a new-district management committee (管委会), which has
# no people's congress of its own (大鹏新区; 坪山新区 and 光明新区 before they became districts).
DOC_TYPES = {"work_report", "committee_report", "plan_proposal", "other"}
# session: which congress session of a 换届 (new term) year a report was delivered to:
# term_end = the outgoing congress's last session, term_start = the new congress's first;
# empty = not recorded (an ordinary annual session).
SESSIONS = {"", "term_end", "term_start"}
DOC_TYPE_RE = re.compile(r"[a-z][a-z0-9_]*")
# Fields whose absence or weak inference puts a report in the metadata template.
NEEDED = ("year", "place")
TEMPLATE = "metadata_template.csv"
TEMPLATE_COLUMNS = ("source_file", "part", "doc_id", *FIELDS, "issue")
# Every column a metadata table may have (``title``: the curated title, not read by ingest;
# ``issue``: the template's note, ignored).
KNOWN_COLUMNS = frozenset({*TEMPLATE_COLUMNS, "title", "notes", "known_issues"})


class MetadataError(ValueError):
    """A metadata CSV that cannot be used; the message names the file, row and reason."""


class MetadataIncomplete(MetadataError):
    """``strict_metadata`` ingest found reports without a reliable year or place (one line each)."""


def read_metadata(path: str | Path) -> pd.DataFrame:
    """Read and check a metadata CSV: needs ``source_file``; ``part`` defaults to 1.

    Checks value sets of ``level`` and ``region``, that ``doc_type`` is an identifier
    (``[a-z][a-z0-9_]*``: the bundled ``work_report, plan_proposal, other`` or a user's own, e.g.
    ``party_congress``), integer years and unique ``(source_file, part)`` and ``doc_id``; raises
    :class:`MetadataError` naming file and row.
    """
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, comment=None)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise MetadataError(f"{path}: cannot read metadata CSV: {exc}") from exc
    if "source_file" not in df.columns:
        raise MetadataError(f"{path}: needs a 'source_file' column (has {list(df.columns)})")
    if "part" not in df.columns:
        df["part"] = "1"
    df["part"] = df["part"].replace("", "1")
    checks = (("level", LEVELS | {""}), ("region", REGIONS), ("session", SESSIONS))
    for col, allowed in checks:
        if col in df.columns:
            bad = df[~df[col].isin(allowed)]
            if len(bad):
                row = bad.index[0] + 2
                raise MetadataError(
                    f"{path}, row {row}: {col}={bad[col].iloc[0]!r} not one of {sorted(allowed)}"
                )
    if "doc_type" in df.columns:
        bad = df[
            (df["doc_type"] != "") & ~df["doc_type"].map(lambda v: bool(DOC_TYPE_RE.fullmatch(v)))
        ]
        if len(bad):
            raise MetadataError(
                f"{path}, row {bad.index[0] + 2}: doc_type={bad['doc_type'].iloc[0]!r} is not an "
                "identifier (lower-case letters, digits and _, starting with a letter; the bundled "
                f"types are {', '.join(sorted(DOC_TYPES))})"
            )
    for col in ("year", "part"):
        if col in df.columns:
            bad = df[(df[col] != "") & ~df[col].str.fullmatch(r"\d+")]
            if len(bad):
                raise MetadataError(
                    f"{path}, row {bad.index[0] + 2}: {col}={bad[col].iloc[0]!r} is not an integer"
                )
    dup = df.duplicated(["source_file", "part"], keep=False)
    if dup.any():
        raise MetadataError(
            f"{path}: duplicate (source_file, part) rows: "
            f"{df.loc[dup, ['source_file', 'part']].values.tolist()[:3]}"
        )
    if "doc_id" in df.columns:
        ids = df.loc[df["doc_id"] != "", "doc_id"]
        bad = ids[~ids.str.match(r"[A-Za-z]")]
        if len(bad):
            raise MetadataError(
                f"{path}, row {bad.index[0] + 2}: doc_id={bad.iloc[0]!r} does not start with a "
                "letter (doc_ids are used as names in tables and code)"
            )
        if ids.duplicated().any():
            raise MetadataError(f"{path}: duplicate doc_id {ids[ids.duplicated()].iloc[0]!r}")
    df["part"] = df["part"].astype(int)
    return df


def match_row(
    table: pd.DataFrame, source_file: str, part: int, *, relative: str | None = None
) -> dict[str, str | None] | None:
    """Row of ``table`` for ``(source_file, part)``: by ``source_file``, else by ``relative``
    (the path relative to the file's own input folder, for a ``<collection>/`` name), else by
    unique basename (see :func:`find_row`).

    Every column of the table is returned; an empty cell is ``None`` (the table says "none",
    which overrides inference).
    """
    at, _ = find_row(table, source_file, part, relative=relative)
    return None if at is None else row_values(table, at)


def find_row(
    table: pd.DataFrame, source_file: str, part: int, *, relative: str | None = None
) -> tuple[int | None, str]:
    """Index label of the row of ``table`` for ``(source_file, part)`` and how it matched:
    ``"path"`` (``source_file`` or ``relative``) or ``"name"`` (the base name alone, when only
    one file of the table has it: a row written for a file of another folder); ``(None, "")``
    when no row matches."""
    hit = table[(table["source_file"] == source_file) & (table["part"] == part)]
    if hit.empty and relative is not None:
        hit = table[(table["source_file"] == relative) & (table["part"] == part)]
    if not hit.empty:
        return hit.index[0], "path"
    base = Path(source_file).name
    names = table["source_file"].map(lambda s: Path(s).name)
    hit = table[(names == base) & (table["part"] == part)]
    if hit.empty or len(table[names == base]["source_file"].unique()) > 1:
        return None, ""
    return hit.index[0], "name"


def row_values(table: pd.DataFrame, at: int) -> dict[str, str | None]:
    """Every column of row ``at`` of ``table``; an empty cell is ``None``."""
    return {k: (v if v != "" else None) for k, v in table.loc[at].to_dict().items()}


def unknown_columns(table: pd.DataFrame) -> list[str]:
    """The columns of a metadata table that ingest does not read (a misspelt field, say)."""
    return [c for c in table.columns if c not in KNOWN_COLUMNS]


def metadata_template(documents: pd.DataFrame) -> pd.DataFrame:
    """One row per report whose ``year`` or ``place`` is missing or inferred with low confidence.

    Columns :data:`TEMPLATE_COLUMNS`: ``source_file, part, doc_id``, every metadata field with
    its current value (empty when unknown), and ``issue`` saying what to check. Filled in and
    passed back with ``--metadata``, it overrides inference; ``issue`` is ignored.
    """
    rows = []
    for d in documents.to_dict("records"):
        confidence = json.loads(d.get("inference_confidence") or "{}")
        evidence = json.loads(d.get("inference_evidence") or "{}")
        issues = []
        for f in NEEDED:
            if pd.isna(d.get(f)) or d.get(f) == "":
                issues.append(f"{f} missing")
            elif d.get(f"{f}_source") == "inferred" and confidence.get(f) == "low":
                issues.append(f"{f} {d[f]} uncertain ({evidence.get(f, '')})")
        if issues:
            row = {c: d.get(c) for c in TEMPLATE_COLUMNS[:-1]}
            rows.append({**row, "issue": "; ".join(issues)})
    out = pd.DataFrame(rows, columns=list(TEMPLATE_COLUMNS))
    out["year"] = out["year"].astype("Int64")
    return out


def metadata_warnings(
    template: pd.DataFrame, *, where: str, bundled_table: bool = False, limit: int = 10
) -> list[str]:
    """Console lines for the rows of :func:`metadata_template`: one per report (at most
    ``limit``, then a count line) and how to pass the filled template back. ``where`` is the
    template's path as the user should read it; ``bundled_table`` says to repeat the default
    table (``--metadata`` replaces it)."""
    if template.empty:
        return []
    lines = [
        f"warning: {r.source_file}" + (f" (part {r.part})" if r.part != 1 else "") + f": {r.issue}"
        for r in template.head(limit).itertuples()
    ]
    if len(template) > limit:
        lines.append(f"warning: ... and {len(template) - limit} more report(s)")
    again = "--metadata data/metadata.csv " if bundled_table else ""
    lines.append(
        f"metadata: {len(template)} report(s) need a year or place: copy {where} out of the "
        f"results folder, fill it in and pass it back: policyshift run PATHS {again}--metadata "
        "FILE (or policyshift ingest PATHS ... --metadata FILE)"
    )
    return lines


def check_metadata(template: pd.DataFrame) -> None:
    """Raise :class:`MetadataIncomplete` (one line per report) if ``template`` has rows."""
    if len(template):
        lines = [
            f"{r.source_file}" + (f" (part {r.part})" if r.part != 1 else "") + f": {r.issue}"
            for r in template.itertuples()
        ]
        raise MetadataIncomplete(
            f"{len(template)} report(s) lack a reliable year or place (--strict-metadata); give "
            "them in a --metadata table (run without --strict-metadata to get "
            f"corpus/{TEMPLATE}):\n" + "\n".join(lines)
        )
