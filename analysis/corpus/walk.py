"""Every path under the input roots, each with what ingest does with it (read, skip, reject).

:func:`walk` lists the files of a root folder in sorted order, following symlinked folders once:
a folder is read only the first time its ``(st_dev, st_ino)`` is met, so a symlink loop or a
second link to a folder ends as a ``skipped`` entry instead of an endless walk. Unreadable folders
and files, dangling symlinks and files that are not ``.txt`` are entries too, with the reason, so
that the ingest report accounts for every path.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

SKIPPED, REJECTED = "skipped", "rejected"
# Notes that document a folder of reports (data/raw/SOURCES.md, <folder>/SOURCE.md): not read, like
# every non-.txt file, but with a status of their own (``notes``), so that ``--strict`` fails
# exactly on what was skipped or rejected.
NOTES_STATUS = "notes"
NOTES = frozenset({"source.md", "sources.md", "readme.md"})
NOTES_REASON = "folder notes, not a report"
NOT_TXT = "not a .txt file"


def is_listed_file(entry: Entry) -> bool:
    """A regular, readable file: read as a report (no status), or listed but not read (folder
    notes, another file type). Its bytes identify an ingest's inputs either way."""
    return not entry.status or entry.status == NOTES_STATUS or entry.reason == NOT_TXT


@dataclass(frozen=True)
class Entry:
    """One path found under a root: ``name`` is relative to the root (POSIX; a folder ends with
    ``/``); ``status`` is ``""`` for a file to read, else ``skipped``, ``rejected`` or ``notes``
    (folder notes) with the ``reason``."""

    path: Path
    name: str
    status: str = ""
    reason: str = ""


def walk(root: Path) -> list[Entry]:
    """Every path under ``root`` (a folder, a file, or a path that does not exist), sorted by
    name within each folder."""
    if not os.path.lexists(root):
        return [Entry(root, root.name, REJECTED, "file not found")]
    problem = _target_problem(root)
    if problem:
        return [Entry(root, root.name, *problem)]
    if not root.is_dir():
        return [_file_entry(root, root.name)]
    out: list[Entry] = []
    st = root.stat()
    _walk(root, "", {(st.st_dev, st.st_ino): "the input folder"}, [(st.st_dev, st.st_ino)], out)
    return out


def _walk(
    folder: Path,
    rel: str,
    seen: dict[tuple[int, int], str],
    ancestors: list[tuple[int, int]],
    out: list[Entry],
) -> None:
    """Append the entries of ``folder`` (at ``rel`` under the root) to ``out``; ``seen`` maps
    every folder read so far to its name, ``ancestors`` are the folders being read."""
    try:
        with os.scandir(folder) as it:
            names = sorted(e.name for e in it)
    except OSError as exc:
        out.append(Entry(folder, rel or "./", REJECTED, f"unreadable folder: {_why(exc)}"))
        return
    for name in names:
        path, sub = folder / name, f"{rel}{name}"
        problem = _target_problem(path)
        if problem:
            out.append(Entry(path, sub, *problem))
        elif path.is_dir():
            st = path.stat()
            key = (st.st_dev, st.st_ino)
            if key in ancestors:
                out.append(Entry(path, f"{sub}/", SKIPPED, f"symlink loop (to {seen[key]})"))
            elif key in seen:
                out.append(Entry(path, f"{sub}/", SKIPPED, f"folder already read as {seen[key]}"))
            else:
                seen[key] = f"{sub}/"
                _walk(path, f"{sub}/", seen, [*ancestors, key], out)
        else:
            out.append(_file_entry(path, sub))


def _target_problem(path: Path) -> tuple[str, str] | None:
    """``(status, reason)`` when ``path`` is a symlink whose target cannot be reached."""
    if not path.is_symlink():
        return None
    try:
        path.stat()
    except FileNotFoundError:
        return REJECTED, f"dangling symlink (to {os.readlink(path)}, which does not exist)"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return SKIPPED, "symlink loop (the link resolves to itself)"
        return REJECTED, f"unreadable symlink target: {_why(exc)}"
    return None


def _file_entry(path: Path, name: str) -> Entry:
    """A file to read, or skipped (not a regular file, not ``.txt``), or rejected (unreadable)."""
    if not path.is_file():
        return Entry(path, name, SKIPPED, "not a regular file")
    if path.suffix.lower() != ".txt":
        if path.name.lower() in NOTES:
            return Entry(path, name, NOTES_STATUS, NOTES_REASON)
        return Entry(path, name, SKIPPED, NOT_TXT)
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        return Entry(path, name, REJECTED, f"unreadable: {_why(exc)}")
    return Entry(path, name)


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)
