"""What a stage did not do, and why: :class:`Skip` records, one table per stage.

An analysis that does not apply to the corpus at hand (a comparison whose condition matches no
document, a docvar with one value, a year series with fewer than three years, a figure whose
input is absent) is skipped, never crashed on. Each stage writes its skips as ``skipped.csv`` in
its folder (columns :data:`SKIP_COLUMNS`); :meth:`analysis.results.Results.skipped` reads them
all back for the run summary and the report page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

SKIP_COLUMNS = ("stage", "analysis", "setting", "reason")
SKIPPED_FILE = "skipped.csv"


@dataclass(frozen=True)
class Skip:
    """One analysis a stage skipped.

    ``analysis`` names the output that is absent (``keyness/provinces_2026_vs_2025``, figure
    ``national_trend``); ``setting`` is the config key that asked for it (``""`` for a derived
    default); ``reason`` says why in words a user can act on.
    """

    stage: str
    analysis: str
    reason: str
    setting: str = ""

    def line(self) -> str:
        """``measures: skipped keyness/x ([[measures.comparisons]] id = "x"): reason``."""
        where = f" ({self.setting})" if self.setting else ""
        return f"{self.stage}: skipped {self.analysis}{where}: {self.reason}"


def skip_table(skips: Iterable[Skip]) -> pd.DataFrame:
    """The skips as a table with columns :data:`SKIP_COLUMNS` (in the given order)."""
    rows = [{c: getattr(s, c) for c in SKIP_COLUMNS} for s in skips]
    return pd.DataFrame(rows, columns=list(SKIP_COLUMNS))


def skips_of(table: pd.DataFrame) -> list[Skip]:
    """The :class:`Skip` records of a table written by :func:`skip_table`."""
    return [
        Skip(stage=r.stage, analysis=r.analysis, reason=r.reason, setting=r.setting or "")
        for r in table.fillna("").itertuples(index=False)
    ]
