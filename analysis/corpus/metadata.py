"""Curated metadata tables (``data/metadata.csv`` and user CSVs): loading, checking, matching."""

from __future__ import annotations

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
)
LEVELS = {"national", "province", "prefecture", "county-level"}
REGIONS = {"east", "central", "west", "northeast", ""}
DOC_TYPES = {"work_report", "plan_proposal", "other"}


class MetadataError(ValueError):
    """A metadata CSV that cannot be used; the message names the file, row and reason."""


def read_metadata(path: str | Path) -> pd.DataFrame:
    """Read and check a metadata CSV: needs ``source_file``; ``part`` defaults to 1.

    Checks value sets of ``level``, ``region`` and ``doc_type``, integer years and unique
    ``(source_file, part)`` and ``doc_id``; raises :class:`MetadataError` naming file and row.
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
    checks = (("level", LEVELS | {""}), ("region", REGIONS), ("doc_type", DOC_TYPES | {""}))
    for col, allowed in checks:
        if col in df.columns:
            bad = df[~df[col].isin(allowed)]
            if len(bad):
                row = bad.index[0] + 2
                raise MetadataError(
                    f"{path}, row {row}: {col}={bad[col].iloc[0]!r} not one of {sorted(allowed)}"
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
        if ids.duplicated().any():
            raise MetadataError(f"{path}: duplicate doc_id {ids[ids.duplicated()].iloc[0]!r}")
    df["part"] = df["part"].astype(int)
    return df


def match_row(table: pd.DataFrame, source_file: str, part: int) -> dict[str, str | None] | None:
    """Row of ``table`` for ``(source_file, part)``: by relative path, else by unique basename.

    Every column of the table is returned; an empty cell is ``None`` (the table says "none",
    which overrides inference).
    """
    hit = table[(table["source_file"] == source_file) & (table["part"] == part)]
    if hit.empty:
        base = Path(source_file).name
        names = table["source_file"].map(lambda s: Path(s).name)
        hit = table[(names == base) & (table["part"] == part)]
        if len(table[names == base]["source_file"].unique()) > 1:
            return None
    if hit.empty:
        return None
    return {k: (v if v != "" else None) for k, v in hit.iloc[0].to_dict().items()}
