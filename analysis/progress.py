"""Progress bars that show on a terminal and stay quiet in CI and logs."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm  # plain bars: notebooks and terminals alike, no widget warning

T = TypeVar("T")


def enabled() -> bool:
    """True when stderr is a terminal and neither ``CI`` nor ``POLICYSHIFT_QUIET`` is set."""
    if os.environ.get("CI") or os.environ.get("POLICYSHIFT_QUIET"):
        return False
    return sys.stderr.isatty()


def progress(items: Iterable[T], desc: str, total: int | None = None) -> Iterator[T]:
    """Wrap ``items`` in a tqdm bar labelled ``desc`` when :func:`enabled`, else pass through."""
    if not enabled():
        yield from items
        return
    yield from tqdm(items, desc=desc, total=total, leave=False, dynamic_ncols=True)
