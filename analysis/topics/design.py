"""The design matrix of the prevalence regressions
(:func:`~analysis.topics.prevalence.estimate_effects`): an intercept, numeric covariates as
columns, categorical ones as dummies against a reference level, and a rank check that names the
collinear columns; and the docvar helpers the prevalence tables share (missing values)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

#: Level given to a missing categorical covariate with ``missing="level"``.
MISSING_LEVEL = "none"
INTERCEPT = "(Intercept)"


def is_missing(values: pd.Series) -> np.ndarray:
    """True where ``values`` is NA or a blank string."""
    missing = values.isna().to_numpy(dtype=bool)
    if not pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        text = values.astype("string").str.strip()
        missing = missing | text.eq("").fillna(True).to_numpy(dtype=bool)
    return missing


def column(docvars: pd.DataFrame, name: str) -> pd.Series:
    """``docvars[name]`` with a 0..n-1 index; KeyError naming the column when absent."""
    if name not in docvars.columns:
        raise KeyError(f"docvars has no column {name!r}")
    return docvars[name].reset_index(drop=True)


@dataclass(frozen=True)
class Design:
    """Design matrix (rows kept x P) with term names and the reference of each term."""

    X: np.ndarray
    terms: list[str]
    references: list[str]
    keep: np.ndarray  # (D,) bool: rows used


def build_design(
    docvars: pd.DataFrame,
    covariates: Sequence[str],
    *,
    missing: Literal["drop", "level"],
    reference: Mapping[str, str],
    categorical: Sequence[str],
    center: bool,
) -> Design:
    """Intercept, then each covariate in order: a numeric one linearly, a categorical one as
    dummies of its non-reference levels (sorted)."""
    if len(covariates) == 0:
        raise ValueError("covariates is empty")
    if len(set(covariates)) != len(covariates):
        raise ValueError(f"covariates repeat a name: {list(covariates)}")
    columns = {name: column(docvars, name) for name in covariates}
    numeric = {
        name
        for name, col in columns.items()
        if name not in categorical
        and pd.api.types.is_numeric_dtype(col)
        and not pd.api.types.is_bool_dtype(col)
    }
    keep = np.ones(len(docvars), dtype=bool)
    levels: dict[str, pd.Series] = {}
    for name, col in columns.items():
        miss = is_missing(col)
        if name in numeric or missing == "drop":
            keep = keep & ~miss
        if name not in numeric:
            levels[name] = col.astype("string").str.strip().mask(miss, MISSING_LEVEL)
    if not keep.any():
        raise ValueError(f"no document has all of {list(covariates)}")

    blocks: list[np.ndarray] = [np.ones((int(keep.sum()), 1))]
    terms, refs = [INTERCEPT], [""]
    baseline: list[str] = []
    for name in covariates:
        if name in numeric:
            x = columns[name][keep].to_numpy(dtype=np.float64)
            if np.ptp(x) == 0:
                raise ValueError(f"covariate {name!r} is constant ({x[0]:g}) on the rows used")
            centre = float(x.mean()) if center else 0.0
            blocks.append((x - centre)[:, None])
            terms.append(name)
            refs.append("")
            baseline.append(f"{name}={centre:g}")
            continue
        values = levels[name][keep]
        counts = values.value_counts(sort=False)
        if len(counts) < 2:
            raise ValueError(f"covariate {name!r} has a single level {counts.index[0]!r}")
        ref = reference.get(name)
        if ref is None:  # most frequent level; ties go to the first in sorted order
            ref = sorted(counts.index, key=lambda lv: (-counts[lv], lv))[0]
        elif ref not in counts.index:
            raise ValueError(
                f"reference level {ref!r} of {name!r} not among {sorted(counts.index)}"
            )
        others = sorted(lv for lv in counts.index if lv != ref)
        blocks.append((values.to_numpy()[:, None] == np.array(others)[None, :]).astype(float))
        terms += [f"{name}={lv}" for lv in others]
        refs += [ref] * len(others)
        baseline.append(f"{name}={ref}")
    refs[0] = "; ".join(baseline)
    X = np.hstack(blocks)
    check_rank(X, terms)
    return Design(X, terms, refs, keep)


def check_rank(X: np.ndarray, terms: list[str]) -> None:
    """Raise ValueError naming the first columns that are linear combinations of earlier ones."""
    n, p = X.shape
    if n <= p:
        raise ValueError(f"{n} documents for {p} coefficients: too few documents")
    if np.linalg.matrix_rank(X) == p:
        return
    dependent: list[str] = []
    kept: list[int] = []
    for j in range(p):
        if np.linalg.matrix_rank(X[:, [*kept, j]]) == len(kept) + 1:
            kept.append(j)
        else:
            dependent.append(terms[j])
    verb = "is a linear combination" if len(dependent) == 1 else "are linear combinations"
    raise ValueError(
        f"design matrix is rank deficient: {', '.join(map(repr, dependent))} {verb} of earlier "
        "columns (e.g. a missing level that coincides with another covariate's level); drop a "
        "covariate or use missing='drop'"
    )
