"""Docvar conditions (``level == 'province' and year >= 2013``): parsed, never evaluated.

The grammar is the one users write for pandas queries, and nothing more:

- operands: docvar names (``year``, ``place``), string and number literals, ``True``/``False``,
  and lists or tuples of literals (``['浙江省', '广东省']``), a leading ``-`` on a number;
- comparisons ``== != < <= > >=``, ``in [...]``, ``not in [...]``, chained as
  ``2003 <= year <= 2012``;
- ``and``, ``or``, ``not`` and parentheses.

A condition is read with :func:`ast.parse` and every node is checked against that whitelist by
:func:`parse` before anything looks at data. Anything else (a call, an attribute, an index,
arithmetic, ``lambda``, an f-string, ``:=``, a pandas ``@local`` or a ```backticked``` name, a
dunder name) is a :class:`ConditionError` naming the condition and the offending part, so a
condition from a config, the command line or a notebook can select documents but never run
code. Semantics follow pandas: a missing value satisfies only ``!=`` and ``not in``.
"""

from __future__ import annotations

import ast
import io
import itertools
import operator
import tokenize
from collections.abc import Callable
from dataclasses import dataclass
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

# What a node that is not allowed is called in an error message, by node type.
_FORBIDDEN: dict[type, str] = {
    ast.Call: "a function or method call",
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.BinOp: "arithmetic",
    ast.Lambda: "a lambda",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "an assignment (:=)",
    ast.IfExp: "an if-expression",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.Starred: "unpacking (*)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


class ConditionError(ValueError):
    """A condition that is not in the grammar, or names an unknown docvar; the message names
    the condition and the offending part (``what``)."""

    def __init__(self, condition: object, what: str) -> None:
        super().__init__(f"invalid condition {condition!r}: {what}")
        self.condition = condition
        self.what = what


@dataclass(frozen=True)
class Condition:
    """A condition that passed the whitelist: its text, its syntax tree and the docvar names
    it refers to (in order of first appearance)."""

    text: str
    tree: ast.expr
    names: tuple[str, ...]


def _outside_strings(condition: str) -> str | None:
    """The first ``@`` or backtick outside string literals (pandas-only syntax), as a message."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(condition).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None  # ast.parse reports the syntax error
    for tok in tokens:
        if tok.type == tokenize.OP and tok.string == "@":
            return "'@' (a pandas local variable) is not allowed; write the value itself"
        if tok.type == tokenize.ERRORTOKEN and tok.string == "`":
            return "backticks (```name```) are not allowed; docvar names need none"
    return None


def _check_literal(node: ast.AST, condition: str) -> None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float | bool):
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = node.operand
        if isinstance(inner, ast.Constant) and type(inner.value) in (int, float):
            return
    if isinstance(node, ast.List | ast.Tuple):
        for element in node.elts:
            if isinstance(element, ast.List | ast.Tuple):
                raise ConditionError(
                    condition, f"a nested list {ast.unparse(element)!r} is not allowed"
                )
            _check_literal(element, condition)
        return
    raise _forbidden(node, condition)


def _forbidden(node: ast.AST, condition: str) -> ConditionError:
    what = _FORBIDDEN.get(type(node), f"{type(node).__name__} syntax")
    if isinstance(node, ast.Constant):
        what = f"the literal {node.value!r}" if node.value is None else "this literal"
    return ConditionError(condition, f"{what} ({ast.unparse(node)!r}) is not allowed")


def _check_name(node: ast.Name, condition: str, names: list[str]) -> None:
    if node.id.startswith("__") or node.id.endswith("__"):
        raise ConditionError(condition, f"the dunder name {node.id!r} is not allowed")
    if node.id not in names:
        names.append(node.id)


def _check_operand(node: ast.AST, condition: str, names: list[str]) -> None:
    if isinstance(node, ast.Name):
        _check_name(node, condition, names)
    else:
        _check_literal(node, condition)


def _check(node: ast.AST, condition: str, names: list[str]) -> None:
    """Raise :class:`ConditionError` unless ``node`` is in the grammar; collect docvar names."""
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value, condition, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        _check(node.operand, condition, names)
    elif isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                if not isinstance(right, ast.List | ast.Tuple):
                    word = "in" if isinstance(op, ast.In) else "not in"
                    raise ConditionError(
                        condition, f"'{word}' needs a list on its right, not {ast.unparse(right)!r}"
                    )
            elif type(op) not in _COMPARE:
                word = "is" if isinstance(op, ast.Is | ast.IsNot) else type(op).__name__
                raise ConditionError(
                    condition, f"the comparison {word!r} is not allowed; use == or !="
                )
        for operand in operands:
            _check_operand(operand, condition, names)
        for left, right in itertools.pairwise(operands):
            if not isinstance(left, ast.Name) and not isinstance(right, ast.Name):
                raise ConditionError(
                    condition,
                    f"{ast.unparse(left)} vs {ast.unparse(right)} compares two literals; "
                    "a comparison needs a docvar on one side",
                )
    elif isinstance(node, ast.Name):
        _check_name(node, condition, names)
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return
    else:
        raise _forbidden(node, condition)


def parse(condition: str) -> Condition:
    """Check ``condition`` against the grammar (no data needed); raise :class:`ConditionError`
    naming the condition and the offending part if it is not in it."""
    if not isinstance(condition, str):
        raise ConditionError(condition, f"a condition is a string, not {type(condition).__name__}")
    text = condition.strip()
    if not text:
        raise ConditionError(condition, "empty condition")
    pandas_only = _outside_strings(text)
    if pandas_only:
        raise ConditionError(condition, pandas_only)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ConditionError(condition, f"not a condition ({exc.msg})") from None
    names: list[str] = []
    _check(tree.body, condition, names)
    return Condition(condition, tree.body, tuple(names))


def _value(node: ast.AST) -> Any:
    if isinstance(node, ast.List | ast.Tuple):
        return [_value(e) for e in node.elts]
    return ast.literal_eval(node)


def _operand(node: ast.AST, docvars: pd.DataFrame) -> Any:
    return docvars[node.id] if isinstance(node, ast.Name) else _value(node)


def _compare(op: ast.cmpop, left: Any, right: Any) -> pd.Series:
    if isinstance(op, ast.In | ast.NotIn):
        hit = left.isin(right) if isinstance(left, pd.Series) else pd.Series(left in right)
        return ~hit if isinstance(op, ast.NotIn) else hit
    return _COMPARE[type(op)](left, right)


def _mask(node: ast.AST, docvars: pd.DataFrame) -> pd.Series:
    if isinstance(node, ast.BoolOp):
        parts = [_mask(v, docvars) for v in node.values]
        combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
        out = parts[0]
        for part in parts[1:]:
            out = combine(out, part)
        return out
    if isinstance(node, ast.UnaryOp):  # not
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
    return pd.Series(bool(node.value), index=docvars.index)  # True / False


def select(docvars: pd.DataFrame, condition: str | Condition) -> np.ndarray:
    """Boolean mask (one per row of ``docvars``) of the rows that satisfy ``condition``.

    Raises :class:`ConditionError` (a ``ValueError``) naming the condition and the offending
    part when it is not in the grammar (see :func:`parse`), and naming the available docvars
    when it refers to an unknown one.
    """
    parsed = condition if isinstance(condition, Condition) else parse(condition)
    unknown = [n for n in parsed.names if n not in docvars.columns]
    if unknown:
        raise ConditionError(
            parsed.text, f"unknown docvar {unknown[0]!r}; docvars: {list(docvars.columns)}"
        )
    try:
        mask = _mask(parsed.tree, docvars)
    except TypeError as exc:  # e.g. year < 'x' on a numeric column
        raise ConditionError(parsed.text, f"cannot compare: {exc}") from None
    return mask.fillna(False).to_numpy(dtype=bool)
