"""The renderers, on hand-built reports (no rule runs): the exact text people and scripts see
for each state."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from kubectl_podwhy.render import render_json, render_table
from kubectl_podwhy.report import Evidence, Finding, PodReport, Report, State
from kubectl_podwhy.snapshot import Gathered, PodSnapshot, build_snapshots
from tests import podfactory as pf

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)


def snap(name: str, uid: str) -> PodSnapshot:
    return build_snapshots(Gathered(pods=[pf.pod(name, "shop", uid)]))[0]


def waiting_finding() -> Finding:
    return Finding(
        rule="PW153", level="pod", severity="waiting", reason="ContainerCreating",
        summary="waiting for 3m for the kubelet on node node-1 to set the pod up",
        detail="", hint="Check the kubelet.", docs="https://kubernetes.io/docs/x/",
        evidence=(Evidence("status.conditions[PodReadyToStartContainers]", "False"),),
        next_command="kubectl describe node node-1",
        since=NOW - timedelta(minutes=3), deadline=NOW + timedelta(minutes=7))


def error_finding() -> Finding:
    return Finding(
        rule="PW221", level="container", severity="error", reason="Error",
        summary="container app keeps crashing", detail="", hint="Read its logs.",
        docs="https://kubernetes.io/docs/y/", container="app", container_type="app",
        evidence=(Evidence("event:BackOff", "Back-off restarting failed container", 4,
                           "2026-11-21T09:59:00Z"),))


def report(name: str, uid: str, state: State, verdict: Finding | None,
           status: str = "Running") -> PodReport:
    return PodReport(pod=snap(name, uid), status=status, state=state, verdict=verdict,
                     findings=(verdict,) if verdict else ())


def test_a_progressing_pod_says_what_it_waits_for_since_when_and_its_deadline() -> None:
    r = report("web-1", "u1", "progressing", waiting_finding(), status="ContainerCreating")
    text = render_table(Report(pods=(r,), as_of=NOW, as_of_basis="inferred"), NOW, False,
                        False)
    assert text == (
        "NAMESPACE    NAME    STATUS             STATE        LEVEL    CONTAINER    REASON"
        "             SUMMARY\n"
        "shop         web-1   ContainerCreating  progressing  pod      -            "
        "ContainerCreating  waiting for 3m for the kubelet on node node-1 to set the pod up\n"
        "\n"
        "Pod:       shop/web-1 on node node-1\n"
        "Status:    ContainerCreating (phase Running)\n"
        "State:     progressing\n"
        "Verdict:   PW153 ContainerCreating (pod level)\n"
        "           waiting for 3m for the kubelet on node node-1 to set the pod up\n"
        "Waiting:   since 2026-11-21T09:57:00Z (3m ago); stuck after 2026-11-21T10:07:00Z "
        "(in 7m)\n"
        "Evidence:\n"
        "  - status.conditions[PodReadyToStartContainers]: False\n"
        "Fix:       Check the kubelet.\n"
        "Docs:      https://kubernetes.io/docs/x/\n"
        "Next:      kubectl describe node node-1\n"
        "As of:     2026-11-21T10:00:00Z (capture time unknown: the latest moment the input "
        "shows; ages may be longer)\n")


def test_many_pods_list_failing_then_progressing_and_count_the_three_states() -> None:
    pods = (report("a-healthy", "u1", "healthy", None),
            report("b-waits", "u2", "progressing", waiting_finding(), "ContainerCreating"),
            report("c-crash", "u3", "failing", error_finding(), "CrashLoopBackOff"))
    text = render_table(Report(pods=pods, as_of=NOW), NOW, False, False)
    assert text == (
        "NAMESPACE    NAME     STATUS             STATE        LEVEL      CONTAINER    REASON"
        "             SUMMARY\n"
        "shop         c-crash  CrashLoopBackOff   failing      container  app          Error"
        "              container app keeps crashing\n"
        "shop         b-waits  ContainerCreating  progressing  pod        -            "
        "ContainerCreating  waiting for 3m for the kubelet on node node-1 to set the pod up\n"
        "\n"
        "3 pods: 1 failing, 1 progressing, 1 healthy (not listed; --show-healthy lists them)\n")


def test_json_reports_states_counts_and_the_reference_time() -> None:
    pods = (report("a", "u1", "healthy", None),
            report("b", "u2", "progressing", waiting_finding(), "ContainerCreating"))
    doc = json.loads(render_json(Report(pods=pods, as_of=NOW, as_of_basis="capture"), NOW,
                                 False, False))
    assert (doc["asOf"], doc["asOfBasis"], doc["state"]) == (
        "2026-11-21T10:00:00Z", "capture", "progressing")
    assert doc["counts"]["pods"] == {"healthy": 1, "progressing": 1, "failing": 0}
    assert [(i["pod"]["name"], i["state"], i["healthy"]) for i in doc["items"]] == [
        ("a", "healthy", True), ("b", "progressing", False)]
    v = doc["items"][1]["verdict"]
    assert (v["severity"], v["since"], v["deadline"]) == (
        "waiting", "2026-11-21T09:57:00Z", "2026-11-21T10:07:00Z")


def test_a_stuck_wait_is_labelled_stuck_with_its_passed_deadline() -> None:
    f = Finding(rule="PW153", level="pod", severity="error", reason="ContainerCreating",
                summary="stuck", detail="", hint="h", docs="https://kubernetes.io/docs/x/",
                since=NOW - timedelta(minutes=42), deadline=NOW - timedelta(minutes=32))
    text = render_table(Report(pods=(report("web-1", "u1", "failing", f),), as_of=NOW), NOW,
                        False, False)
    assert ("Stuck:     since 2026-11-21T09:18:00Z (42m ago); its deadline passed at "
            "2026-11-21T09:28:00Z\n") in text
    assert "Waiting:" not in text


def test_the_table_counts_owners_known_from_pods_as_workloads_like_json_does() -> None:
    from kubectl_podwhy.report import OwnerView, PodGroup

    crash = report("job-1-abcde", "u1", "failing", error_finding(), "Error")
    ok = report("web-1-fghij", "u2", "healthy", None)
    owners = (OwnerView("Job", "shop", "job-1", "", None, (PodGroup(crash.verdict, (crash,)),)),
              OwnerView("ReplicaSet", "shop", "web-1", "", None, (PodGroup(None, (ok,)),)))
    result = Report(pods=(crash, ok), as_of=NOW, owners=owners)
    text = render_table(result, NOW, False, False)
    assert text.endswith(
        "2 pods: 1 failing, 0 progressing, 1 healthy (not listed; --show-healthy lists them)\n"
        "2 workloads: 1 failing, 0 progressing, 1 healthy (2 known from their pods' owner "
        "references)\n")
    doc = json.loads(render_json(result, NOW, False, False))
    assert doc["counts"]["workloads"] == {"healthy": 1, "progressing": 0, "failing": 1}


def test_a_workload_block_puts_the_current_fault_first_and_marks_history_as_a_warning() -> None:
    from dataclasses import replace

    from kubectl_podwhy.report import WorkloadReport, WorkloadView
    from kubectl_podwhy.snapshot import Workload

    wl = Workload(kind="ReplicaSet", namespace="shop", name="web-1", uid="rs1", created=None,
                  owner_uid="", conditions={}, events=(), desired=2, ready=0, available=0,
                  updated=0, current=0, revision="", suspended=False, generation=1,
                  stand_in=False, spec={}, status={})
    history = replace(error_finding(), rule="PW301", reason="FailedCreate", severity="warning",
                      summary="cannot create pods (history: it has all its pods now)",
                      container=None, container_type=None, evidence=())
    now_wrong = replace(error_finding(), rule="PW309", reason="MissingPods",
                        summary="0 of 2 pods exist", container=None, container_type=None,
                        evidence=())
    view = WorkloadView(workload=wl, children=(), newest=None, owners=(), reports=(), nodes={})
    w = WorkloadReport(view=view, state="failing", verdict=now_wrong,
                       findings=(history, now_wrong))
    text = render_table(Report(pods=(), workloads=(w,), as_of=NOW), NOW, False, False)
    assert text.startswith(
        "ReplicaSet shop/web-1  0/2 ready  (failing)\n"
        "  PW309 MissingPods: 0 of 2 pods exist\n"
        "    Fix:     Read its logs.\n"
        "    Docs:    https://kubernetes.io/docs/y/\n"
        "  PW301 FailedCreate [warning]: cannot create pods (history: it has all its pods now)\n"
        "    Fix:     Read its logs.\n"
        "    Docs:    https://kubernetes.io/docs/y/\n"
        "  (no pods)\n")
