"""The engine: run the chain over a pod and decide its verdict and health.

Pods first: the first error-severity pod-level finding is the verdict; container symptoms it
explains are not causes. Otherwise the first error-severity container finding wins (init
containers in order, then sidecars, then app containers). A pod is healthy when it has no
error-severity finding at all; warnings are reported but do not make it unhealthy.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from kubectl_podwhy.errors import ExitCode
from kubectl_podwhy.finding import Finding, PodReport
from kubectl_podwhy.rules.chain import CONTAINER_CHAIN, POD_CHAIN
from kubectl_podwhy.snapshot import PodSnapshot
from kubectl_podwhy.status import kubectl_status


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


def exit_code(reports: Sequence[PodReport]) -> ExitCode:
    return ExitCode.HEALTHY if all(r.healthy for r in reports) else ExitCode.PROBLEM
