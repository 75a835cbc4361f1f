"""The rule catalog: every rule, assembled from the families' own rows in the chain's order.

IDs are never reused. Pod-level rules live in PW1xx, container-level rules in PW2xx,
workload-level rules (Deployments, Jobs, ...; above the pod level) in PW3xx. Each family
module (:mod:`kubectl_podwhy.rules.pod`, :mod:`kubectl_podwhy.rules.container`,
:mod:`kubectl_podwhy.rules.workload`) defines its rules beside its checks and lists them in
its RULES; :data:`kubectl_podwhy.rules.chain.RULE_FAMILIES` gives the families' order.
"""
from __future__ import annotations

from collections import Counter

from kubectl_podwhy.rules.base import Rule
from kubectl_podwhy.rules.chain import RULE_FAMILIES

RULES: tuple[Rule, ...] = tuple(r for family in RULE_FAMILIES for r in family)


def _unique(rules: tuple[Rule, ...]) -> dict[str, Rule]:
    """RULES by ID; ValueError when two rules share an ID or a name."""
    for what, values in (("ID", [r.id for r in rules]), ("name", [r.name for r in rules])):
        twice = sorted(v for v, n in Counter(values).items() if n > 1)
        if twice:
            raise ValueError(f"rule {what}s used twice: {', '.join(twice)}")
    return {r.id: r for r in rules}


RULES_BY_ID: dict[str, Rule] = _unique(RULES)
