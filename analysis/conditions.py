"""Docvar conditions (``level == 'province' and year >= 2013``): parsed, never evaluated.

A condition is read with :func:`ast.parse` and only these forms are accepted: docvar names,
literals (strings, numbers, ``True``/``False``, lists or tuples of them), comparisons
(``== != < <= > >=``, ``in``, ``not in``, chained as ``2003 <= year <= 2012``), and ``and``,
``or``, ``not`` with parentheses. Anything else (a call, an attribute, an index, arithmetic) is a
:class:`ValueError` naming the condition, so a condition from a config or the command line can
select documents but never run code. Semantics follow pandas: a missing value satisfies only
``!=`` and ``not in``.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


def _literal(node: ast.AST) -> Any:
    """A literal operand, or raise ``ValueError``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float | bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _literal(node.operand)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return -value
    if isinstance(node, ast.List | ast.Tuple):
        return [_literal(e) for e in node.elts]
    raise ValueError(f"not a docvar name or a literal: {ast.unparse(node)!r}")


def _operand(node: ast.AST, docvars: pd.DataFrame) -> Any:
    if isinstance(node, ast.Name):
        if node.id not in docvars.columns:
            raise ValueError(f"unknown docvar {node.id!r}")
        return docvars[node.id]
    return _literal(node)


def _compare(op: ast.cmpop, left: Any, right: Any) -> pd.Series:
    if isinstance(op, ast.In | ast.NotIn):
        if not isinstance(left, pd.Series) or not isinstance(right, list):
            raise ValueError("'in' needs a docvar on the left and a list on the right")
        hit = left.isin(right)
        return ~hit if isinstance(op, ast.NotIn) else hit
    if type(op) not in _COMPARE:
        raise ValueError(f"comparison {type(op).__name__} is not allowed")
    if not isinstance(left, pd.Series) and not isinstance(right, pd.Series):
        raise ValueError("a comparison needs a docvar on one side")
    return _COMPARE[type(op)](left, right)


def _mask(node: ast.AST, docvars: pd.DataFrame) -> pd.Series:
    if isinstance(node, ast.BoolOp):
        parts = [_mask(v, docvars) for v in node.values]
        combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
        out = parts[0]
        for part in parts[1:]:
            out = combine(out, part)
        return out
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ~_mask(node.operand, docvars)
    if isinstance(node, ast.Compare):
        out = pd.Series(True, index=docvars.index)
        left = _operand(node.left, docvars)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _operand(comparator, docvars)
            out &= _compare(op, left, right).fillna(False).astype(bool)
            left = right
        return out
    if isinstance(node, ast.Name):
        return _operand(node, docvars).fillna(False).astype(bool)
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return pd.Series(node.value, index=docvars.index)
    raise ValueError(f"not allowed in a condition: {ast.unparse(node)!r}")


def select(docvars: pd.DataFrame, condition: str) -> np.ndarray:
    """Boolean mask (one per row of ``docvars``) of the rows that satisfy ``condition``.

    Raises ``ValueError`` naming the condition and the available docvars when it cannot be
    parsed, uses a form that is not allowed, or names an unknown docvar.
    """
    try:
        tree = ast.parse(condition.strip(), mode="eval")
        mask = _mask(tree.body, docvars)
    except (SyntaxError, ValueError, TypeError) as exc:
        reason = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        raise ValueError(
            f"cannot evaluate condition {condition!r}: {reason}; docvars: {list(docvars.columns)}"
        ) from exc
    return mask.fillna(False).to_numpy(dtype=bool)
