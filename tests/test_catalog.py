"""Keep the rule catalog honest: IDs, docs, fixture coverage, generated docs current."""
from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from pathlib import Path
from types import ModuleType

from kubectl_podwhy.rules import chain, workload
from kubectl_podwhy.rules import container as container_rules
from kubectl_podwhy.rules import pod as pod_rules
from kubectl_podwhy.rules.base import Rule
from kubectl_podwhy.rules.catalog import RULES
from kubectl_podwhy.rules.chain import RULE_FAMILIES
from kubectl_podwhy.rules.docs import render_markdown
from tests import test_rules_live_only
from tests.fixturelib import fixture_paths, load_fixture

ROOT = Path(__file__).parent.parent


def test_rule_ids_are_unique_ordered_and_in_their_level_range() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    # the chain's order: family by family, each family's IDs ascending, levels grouped
    assert ids == [r.id for family in RULE_FAMILIES for r in family]
    for family in RULE_FAMILIES:
        assert [r.id for r in family] == sorted(r.id for r in family)
    levels = ["pod", "container", "workload"]
    assert [r.level for r in RULES] == sorted((r.level for r in RULES), key=levels.index)
    for r in RULES:
        assert re.fullmatch(r"PW[123]\d\d", r.id), r.id
        level = {"1": "pod", "2": "container", "3": "workload"}[r.id[2]]
        assert r.level == level, r.id
    assert len({r.name for r in RULES}) == len(RULES)


def family_modules() -> list[ModuleType]:
    """Every family module: each under rules/pod/ and rules/container/, and rules/workload.py."""
    return [*(importlib.import_module(f"{pkg.__name__}.{info.name}")
              for pkg in (pod_rules, container_rules)
              for info in pkgutil.iter_modules(pkg.__path__)), workload]


def test_every_family_is_in_the_chain_order_once_and_in_the_order_the_chain_runs() -> None:
    modules = family_modules()
    listed = [next(mod for mod in modules if mod.RULES is family) for family in RULE_FAMILIES]
    assert sorted(mod.__name__ for mod in listed) == sorted(mod.__name__ for mod in modules)
    run = [sys.modules[check.__module__] for check in (chain.STATUS_CHECK, *chain.POD_CHAIN)]
    assert [mod for mod in listed if mod in run] == run


def test_each_family_lists_the_rules_it_defines_under_their_names() -> None:
    """A Rule row is a constant named after the rule (crashloop-exit: CRASHLOOP_EXIT) in its
    family's RULES, of the family's one level; one defined and not listed is caught."""
    defined: set[Rule] = set()
    for mod in family_modules():
        assert len({r.level for r in mod.RULES}) == 1, mod.__name__
        for r in mod.RULES:
            assert getattr(mod, r.name.upper().replace("-", "_")) is r, r.id
        defined |= {v for v in vars(mod).values() if isinstance(v, Rule)}
    assert defined == set(RULES)


def test_every_rule_has_why_fix_and_a_kubernetes_docs_link() -> None:
    for r in RULES:
        assert r.title, r.id
        assert len(r.why) > 40, r.id
        assert len(r.fix) > 20, r.id
        assert r.docs.startswith("https://kubernetes.io/docs/"), r.id


def test_every_rule_has_a_fixture_asserting_it() -> None:
    covered: set[str] = set(test_rules_live_only.COVERED)
    for path in fixture_paths():
        for pod in load_fixture(path).pods:
            if pod.get("verdict"):
                covered.add(pod["verdict"]["rule"])
            covered.update(pod.get("findings") or [])
        for wl in load_fixture(path).expectation.get("workloads") or []:
            if wl.get("verdict"):
                covered.add(wl["verdict"]["rule"])
            covered.update(wl.get("findings") or [])
    missing = [r.id for r in RULES if r.id not in covered]
    assert not missing, f"rules without a fixture: {missing}"


def test_generated_rule_catalog_doc_is_current() -> None:
    doc = (ROOT / "docs" / "rules.md").read_text()
    assert doc == render_markdown(), "docs/rules.md is stale: run `make docs`"
