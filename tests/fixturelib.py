"""Loading fixture files: kubectl-style objects plus an Expectation document in one file."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from kubectl_podwhy.cli import select_input
from kubectl_podwhy.finding import Finding, PodReport
from kubectl_podwhy.snapshot import build_snapshots
from kubectl_podwhy.sources import files
from kubectl_podwhy.targets import parse_targets
from kubectl_podwhy.timeutil import parse_time
from kubectl_podwhy.verdict import Report, assemble, diagnose_all
from kubectl_podwhy.workloads import WorkloadReport

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).parent.parent / "examples"


@dataclass
class Fixture:
    path: Path
    expectation: dict[str, Any]
    now: datetime

    @property
    def pods(self) -> list[dict[str, Any]]:
        return list(self.expectation.get("pods") or [])


def fixture_paths() -> list[Path]:
    return sorted(FIXTURES.glob("*.yaml"))


def load_fixture(path: Path) -> Fixture:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    exp = next(d for d in docs if d.get("kind") == "Expectation")
    now = parse_time(str(exp.get("now")))
    assert now is not None, f"{path.name}: Expectation needs a valid 'now'"
    return Fixture(path, exp, now)


def diagnose_files(paths: list[Path], now: datetime) -> dict[str, PodReport]:
    g = files.load([str(p) for p in paths])
    return {r.pod.key: r for r in diagnose_all(build_snapshots(g), now)}


def run_fixture(fx: Fixture) -> Report:
    """What `kubectl podwhy -f FILE [targets]` computes for a fixture."""
    g = files.load([str(fx.path)])
    targets = parse_targets(list(fx.expectation.get("targets") or []))
    keys = select_input(g, targets, fx.expectation.get("namespace"), None)
    return assemble(g, keys, fx.now)


def _assert_verdict(got: Finding | None, want: dict[str, Any] | None, keys: tuple[str, ...],
                    ctx: str) -> None:
    """The verdict is None when expected so; else its ``keys`` are exactly the expected ones
    and its summary or detail mentions every expected fact."""
    if want is None:
        assert got is None, ctx
        return
    assert got is not None, ctx
    fields = {"rule": got.rule, "level": got.level, "reason": got.reason,
              "container": got.container, "containerType": got.container_type}
    assert {k: fields[k] for k in keys} == {k: want.get(k) for k in keys}, ctx
    text = (got.summary + "\n" + got.detail).lower()
    for needle in want.get("mentions") or []:
        assert str(needle).lower() in text, f"{ctx}: verdict should mention {needle!r}"


def assert_workload(w: WorkloadReport, want: dict[str, Any], where: str) -> None:
    ctx = f"{where}: findings={[f.rule for f in w.findings]} verdict={w.verdict}"
    assert w.healthy is bool(want["healthy"]), f"{ctx}: healthy"
    _assert_verdict(w.verdict, want.get("verdict"), ("rule", "level", "reason"), ctx)
    if "findings" in want:
        assert [f.rule for f in w.findings] == list(want["findings"]), ctx
    if "groups" in want:
        got_groups = [(g.count, g.verdict.rule if g.verdict else None) for g in w.view.groups]
        assert got_groups == [(x["count"], x["rule"]) for x in want["groups"]], ctx


def assert_report(r: PodReport, want: dict[str, Any], where: str) -> None:
    """Assert one pod's report matches an expectation entry exactly."""
    got_rules = [f.rule for f in r.findings]
    ctx = f"{where}: findings={got_rules} verdict={r.verdict}"
    if "status" in want:
        assert r.status == want["status"], f"{ctx}: STATUS"
    assert r.healthy is bool(want["healthy"]), f"{ctx}: healthy"
    _assert_verdict(r.verdict, want.get("verdict"),
                    ("rule", "level", "reason", "container", "containerType"), ctx)
    if "findings" in want:
        assert got_rules == list(want["findings"]), ctx
