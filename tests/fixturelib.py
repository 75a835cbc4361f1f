"""Loading fixture files: kubectl-style objects plus an Expectation document in one file."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from kubectl_podwhy.crashlog import DEFAULT_LOG_LINES
from kubectl_podwhy.report import Finding, PodReport, Report, WorkloadReport
from kubectl_podwhy.snapshot import build_snapshots, reference_time
from kubectl_podwhy.sources import files
from kubectl_podwhy.targets import parse_targets
from kubectl_podwhy.timeutil import parse_time
from kubectl_podwhy.verdict import assemble, diagnose_all

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).parent.parent / "examples"


@dataclass
class Fixture:
    path: Path
    expectation: dict[str, Any]
    #: the reference time; None: judged as `kubectl podwhy -f` judges it (the capture time,
    #: else the latest moment the input proves had passed)
    now: datetime | None

    @property
    def pods(self) -> list[dict[str, Any]]:
        return list(self.expectation.get("pods") or [])


def fixture_paths() -> list[Path]:
    return sorted(FIXTURES.glob("*.yaml"))


def load_fixture(path: Path) -> Fixture:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    exp = next(d for d in docs if d.get("kind") == "Expectation")
    now = parse_time(str(exp["now"])) if "now" in exp else None
    assert now is not None or "now" not in exp, f"{path.name}: 'now' is not a valid time"
    return Fixture(path, exp, now)


def diagnose_files(paths: list[Path], now: datetime) -> dict[str, PodReport]:
    g = files.load([str(p) for p in paths])
    return {r.pod.key: r for r in diagnose_all(build_snapshots(g), now)}


def run_fixture(fx: Fixture) -> Report:
    """What `kubectl podwhy -f FILE [targets]` computes for a fixture."""
    targets = parse_targets(list(fx.expectation.get("targets") or []))
    g = files.FileSource([str(fx.path)]).gather(fx.expectation.get("namespace"), targets)
    now, basis = (fx.now, "flag") if fx.now else reference_time(g)
    assert now is not None, f"{fx.path.name}: no 'now' and no timestamp in the input"
    return assemble(g, g.workload_targets, now, basis=basis, pod_targets=g.pod_targets,
                    log_lines=DEFAULT_LOG_LINES)


def _assert_verdict(got: Finding | None, want: dict[str, Any] | None, keys: tuple[str, ...],
                    ctx: str) -> None:
    """The verdict is None when expected so; else its ``keys`` are exactly the expected ones
    and its summary or detail mentions every expected fact."""
    if want is None:
        assert got is None, ctx
        return
    assert got is not None, ctx
    fields = {"rule": got.rule, "level": got.level, "reason": got.reason,
              "container": got.container, "containerType": got.container_type,
              "severity": got.severity}
    assert {k: fields[k] for k in keys} == {k: want.get(k) for k in keys}, ctx
    if "severity" in want:
        assert got.severity == want["severity"], f"{ctx}: severity"
    text = (got.summary + "\n" + got.detail).lower()
    for needle in want.get("mentions") or []:
        assert str(needle).lower() in text, f"{ctx}: verdict should mention {needle!r}"
    said = (got.summary + "\n" + got.hint).lower()
    for needle in want.get("forbid") or []:
        assert not re.search(str(needle), said, re.I), f"{ctx}: verdict must not say {needle!r}"


def assert_workload(w: WorkloadReport, want: dict[str, Any], where: str) -> None:
    ctx = f"{where}: findings={[f.rule for f in w.findings]} verdict={w.verdict}"
    assert w.healthy is bool(want["healthy"]), f"{ctx}: healthy"
    assert w.state == want["state"], f"{ctx}: state"
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
    assert r.state == want["state"], f"{ctx}: state"
    _assert_verdict(r.verdict, want.get("verdict"),
                    ("rule", "level", "reason", "container", "containerType"), ctx)
    if "findings" in want:
        assert got_rules == list(want["findings"]), ctx
