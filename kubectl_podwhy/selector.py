"""Label selectors as kubectl takes them (-l), matched locally for -f input.

``app=web``, ``app==web``, ``tier!=db``, ``canary``, ``!canary``, ``env in (prod,staging)``,
``env notin (dev)``; requirements are ANDed with commas.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from kubectl_podwhy.errors import UsageError

Requirement = Callable[[Mapping[str, str]], bool]
_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_VALUE = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"


def _split(selector: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts]


def _requirement(text: str) -> Requirement:
    m = re.fullmatch(rf"({_KEY})\s+(in|notin)\s+\(([^)]*)\)", text)
    if m:
        key, op = m.group(1), m.group(3)
        values = {v.strip() for v in m.group(4).split(",") if v.strip()}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    m = re.fullmatch(rf"({_KEY})\s*(==|=|!=)\s*({_VALUE})", text)
    if m:
        key, op, value = m.group(1), m.group(3), m.group(4)
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    m = re.fullmatch(rf"(!?)\s*({_KEY})", text)
    if m:
        neg, key = m.group(1) == "!", m.group(2)
        return lambda labels: (key in labels) != neg
    raise UsageError(f"invalid label selector requirement {text!r}")


def parse_selector(selector: str) -> Callable[[Mapping[str, str]], bool]:
    reqs = [_requirement(p) for p in _split(selector) if p]
    if not reqs:
        raise UsageError(f"invalid label selector {selector!r}")
    return lambda labels: all(r(labels) for r in reqs)
