"""Checks on a request's decoded JSON before GraphQL sees it, in one iterative walk.

Recursion is what an attacker nests against: a body of a few hundred bytes of `[` made the
old recursive checks (and graphql-core's coercion behind them) exceed Python's recursion limit.
So the walk keeps its own stack and stops at the first problem.
"""

from __future__ import annotations

import re

# Deep enough for any real variables (an input object holding lists of input objects is 4-6
# levels); shallow enough that nothing downstream recurses near Python's limit.
MAX_JSON_DEPTH = 32

_BAD_CHARACTER = re.compile(r"[\x00\ud800-\udfff]")
# The same characters written as GraphQL string escapes inside the query text.
_BAD_ESCAPE = re.compile(r"\\u(?:0000|\{0+\}|[dD][89a-fA-F][0-9a-fA-F]{2})")
# A surrogate pair written as two escapes is one valid character (an emoji, say).
_ESCAPED_PAIR = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}")

TOO_DEEP = f"JSON nested more than {MAX_JSON_DEPTH} levels deep"
UNSTORABLE = "text must not contain NUL characters or unpaired surrogates"


def _unstorable_text(text: str) -> bool:
    return bool(_BAD_CHARACTER.search(text) or _BAD_ESCAPE.search(_ESCAPED_PAIR.sub("", text)))


def json_depth_problem(value: object, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """What is wrong with the nesting of a decoded JSON value, or None."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                return TOO_DEEP
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


def unstorable_text_problem(value: object) -> str | None:
    """Whether any string in the value (keys included) holds a NUL or a lone surrogate, raw
    or, in a query, escaped: PostgreSQL text cannot hold NUL and UTF-8 cannot hold a lone
    surrogate, so it is refused once here rather than deep in whichever query stores it."""
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _unstorable_text(item):
                return UNSTORABLE
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None
