"""Reading the word lists that shape segmentation: the policy lexicon and stopword lists.

All lists are UTF-8 text, one entry per line; blank lines and lines starting with ``#`` are
comments. Pure readers with no caching, so a changed file is always seen.
"""

from __future__ import annotations

from pathlib import Path


def _entries(path: str | Path) -> list[str]:
    """Non-empty, non-comment lines of ``path`` with surrounding whitespace stripped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [s for line in lines if (s := line.strip()) and not s.startswith("#")]


def read_lexicon(path: str | Path) -> dict[str, str]:
    """Policy lexicon ``term<TAB>category`` -> ``{term: category}`` in file order.

    A line without a tab gets the category ``""``. A duplicate term raises ``ValueError``
    (it would make the category ambiguous).
    """
    lexicon: dict[str, str] = {}
    for line in _entries(path):
        term, _, category = line.partition("\t")
        term = term.strip()
        if term in lexicon:
            raise ValueError(f"{path}: duplicate lexicon entry {term!r}")
        lexicon[term] = category.strip()
    return lexicon


def read_wordlist(path: str | Path) -> list[str]:
    """Stopword-style list: one word per line (first whitespace-separated field), file order."""
    return [line.split()[0] for line in _entries(path)]


def jieba_dict_path() -> Path:
    """Path of jieba's bundled main dictionary ``dict.txt`` (shared by both engines)."""
    import jieba

    return Path(jieba.__file__).resolve().parent / "dict.txt"
