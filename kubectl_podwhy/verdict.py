"""The engine: run the chain over a pod and decide its verdict and health.

Pods first: the first error-severity pod-level finding is the verdict; container symptoms it
explains are not causes. Otherwise the first error-severity container finding wins (init
containers in order, then sidecars, then app containers). A pod is healthy when it has no
error-severity finding at all; warnings are reported but do not make it unhealthy.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from kubectl_podwhy.errors import ExitCode
from kubectl_podwhy.finding import Finding, PodReport
from kubectl_podwhy.rules.chain import CONTAINER_CHAIN, POD_CHAIN, WORKLOAD_CHAIN
from kubectl_podwhy.snapshot import Gathered, PodSnapshot, build_snapshots
from kubectl_podwhy.status import kubectl_status
from kubectl_podwhy.workloads import (
    OwnerView,
    WorkloadReport,
    WorkloadView,
    build_views,
    owner_groups,
)


@dataclass(frozen=True)
class Report:
    """Everything one run found: pods, the workloads above them, pods grouped by owner."""

    pods: tuple[PodReport, ...]
    workloads: tuple[WorkloadReport, ...] = ()
    #: namespace-wide runs: pods grouped by their controller ownerReference
    owners: tuple[OwnerView, ...] = ()


def run_chain(pod: PodSnapshot, now: datetime) -> list[Finding]:
    findings: list[Finding] = []
    for check in POD_CHAIN:
        findings += check(pod, now)
    explained = any(f.explains_containers for f in findings)
    # A Succeeded pod is done: sidecars killed at the end of a Job (137/143) are not failures.
    if not explained and pod.phase != "Succeeded":
        for check in CONTAINER_CHAIN:
            findings += check(pod, now)
    return findings


def decide(findings: Sequence[Finding]) -> Finding | None:
    errors = [f for f in findings if f.severity == "error"]
    for level in ("pod", "container"):
        for f in errors:
            if f.level == level:
                return f
    return None


def diagnose_pod(pod: PodSnapshot, now: datetime) -> PodReport:
    findings = run_chain(pod, now)
    verdict = decide(findings)
    return PodReport(pod=pod, status=kubectl_status(dict(pod.raw)), healthy=verdict is None,
                     verdict=verdict, findings=tuple(findings))


def diagnose_all(pods: Iterable[PodSnapshot], now: datetime) -> list[PodReport]:
    return [diagnose_pod(p, now) for p in pods]


def diagnose_workload(view: WorkloadView, now: datetime) -> WorkloadReport:
    """Workload findings first (a controller error explains missing pods); else the verdict
    of its largest group of failing pods."""
    findings: list[Finding] = []
    for check in WORKLOAD_CHAIN:
        findings += check(view, now)
    errors = [f for f in findings if f.severity == "error"]
    verdict = errors[0] if errors else None
    if verdict is None:
        failing = [g for g in view.groups if g.verdict is not None]
        verdict = failing[0].verdict if failing else None
    healthy = not errors and all(r.healthy for r in view.reports)
    return WorkloadReport(view=view, healthy=healthy, verdict=verdict, findings=tuple(findings))


def exit_code(reports: Sequence[PodReport],
              workloads: Sequence[WorkloadReport] = ()) -> ExitCode:
    ok = all(r.healthy for r in reports) and all(w.healthy for w in workloads)
    return ExitCode.HEALTHY if ok else ExitCode.PROBLEM


def assemble(g: Gathered, workload_targets: Sequence[tuple[str, str, str]] | None,
             now: datetime) -> Report:
    """Diagnose every pod in the bundle, then the workloads above them."""
    pods = diagnose_all(build_snapshots(g), now)
    views = build_views(g, pods, workload_targets) if g.workloads else []
    return Report(pods=tuple(pods),
                  workloads=tuple(diagnose_workload(v, now) for v in views),
                  owners=tuple(owner_groups(pods)) if not views and len(pods) > 1 else ())
