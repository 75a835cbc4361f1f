"""--wait's fail-fast decision (kubectl_podwhy.gate) on saved inputs: which failing verdicts
end a wait at once, which are tolerated up to --fail-after; and the README's table of it."""
from __future__ import annotations

from pathlib import Path

import pytest

from kubectl_podwhy.gate import Standing, standings
from kubectl_podwhy.rules.catalog import RULES
from kubectl_podwhy.rules.docs import fail_fast_table
from tests.fixturelib import FIXTURES, load_fixture, run_fixture

ROOT = Path(__file__).parent.parent


def judged(name: str, max_restarts: int = 2) -> list[Standing]:
    return standings(run_fixture(load_fixture(FIXTURES / name)), max_restarts)


def test_the_rules_that_fail_a_wait_at_once_are_exactly_these() -> None:
    assert {r.id for r in RULES if r.fail_fast == "yes"} == {
        "PW190", "PW110", "PW111", "PW112", "PW113", "PW114", "PW115", "PW116", "PW117",
        "PW118", "PW121", "PW122", "PW123", "PW124", "PW125", "PW126", "PW127", "PW128",
        "PW130",
        "PW201", "PW202", "PW206", "PW207", "PW210", "PW212", "PW224", "PW301", "PW302",
        "PW304", "PW305", "PW312", "PW315"}
    assert {r.id for r in RULES if r.fail_fast == "past-restarts"} == {
        "PW220", "PW221", "PW222", "PW230", "PW231", "PW240"}


@pytest.mark.parametrize(("fixture", "rule", "terminal"), [
    ("PW201-image-not-found.yaml", "PW201", True),
    ("PW203-registry-timeout.yaml", "PW203", False),
    ("PW232-readiness-failing.yaml", "PW232", False),
    ("PW123-node-selector.yaml", "PW123", True),
    ("PW121-insufficient-cpu.yaml", "PW121", True),
    ("PW210-missing-key.yaml", "PW210", True),
])
def test_a_failing_verdict_is_terminal_only_when_kubernetes_will_not_fix_it(
        fixture: str, rule: str, terminal: bool) -> None:
    failing = [s for s in judged(fixture) if s.state == "failing"]
    assert failing, fixture
    assert {(s.verdict.rule if s.verdict else "", s.terminal) for s in failing} == {
        (rule, terminal)}


def test_a_crash_loop_is_terminal_once_past_max_restarts() -> None:
    # restartCount 8
    assert [s.terminal for s in judged("PW221-crashloop-exit-1.yaml", 8)
            if s.key.startswith("pod/")] == [True]
    assert [s.terminal for s in judged("PW221-crashloop-exit-1.yaml", 9)
            if s.key.startswith("pod/")] == [False]


def test_an_unschedulable_pod_waiting_on_a_scale_up_is_not_failing() -> None:
    assert {s.state for s in judged("PW121-scale-up-triggered-waiting.yaml")} == {"progressing"}


def test_a_healthy_input_has_nothing_terminal() -> None:
    assert [(s.state, s.terminal) for s in judged("healthy-running-noise.yaml")] == [
        ("healthy", False)]


def test_the_readme_table_of_what_wait_fails_fast_on_is_current() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("<!-- fail-fast-table:start -->\n") + len("<!-- fail-fast-table:start -->\n")
    end = text.index("<!-- fail-fast-table:end -->")
    assert text[start:end] == fail_fast_table(), (
        "README's fail-fast table is stale: python -m kubectl_podwhy.rules.docs "
        "--fail-fast-table")


@pytest.mark.parametrize(("fixture", "terminal"), [
    ("live-wl-quota.yaml", True),
    ("live-wl-podsecurity.yaml", True),
])
def test_a_failed_create_denied_by_policy_or_quota_fails_a_wait_at_once(
        fixture: str, terminal: bool) -> None:
    failing = [s for s in judged(fixture) if s.state == "failing"]
    assert [(s.verdict.rule if s.verdict else "", s.terminal) for s in failing] == [
        ("PW301", terminal)]
