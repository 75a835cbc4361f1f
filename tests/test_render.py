"""The renderers, on hand-built reports (no rule runs): the exact text people and scripts see
for each state."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import yaml

from kubectl_podwhy.render import (
    RenderOptions,
    render_json,
    render_table,
    render_wide,
    render_yaml,
)
from kubectl_podwhy.report import (
    Evidence,
    Finding,
    OwnerView,
    PodGroup,
    PodReport,
    Report,
    State,
    WorkloadReport,
    WorkloadView,
)
from kubectl_podwhy.snapshot import Gathered, PodSnapshot, Workload, build_snapshots
from tests import podfactory as pf

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)
PLAIN = RenderOptions(color=False, show_healthy=False)
COLOUR = RenderOptions(color=True, show_healthy=False)


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
                     findings=(verdict,) if verdict else (),
                     ready=(1, 1) if state == "healthy" else (0, 1))


def test_a_progressing_pod_says_what_it_waits_for_since_when_and_its_deadline() -> None:
    r = report("web-1", "u1", "progressing", waiting_finding(), status="ContainerCreating")
    text = render_table(Report(pods=(r,), as_of=NOW, as_of_basis="inferred"), PLAIN)
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
    text = render_table(Report(pods=pods, as_of=NOW), PLAIN)
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
    doc = json.loads(render_json(Report(pods=pods, as_of=NOW, as_of_basis="capture"), PLAIN))
    assert (doc["asOf"], doc["asOfBasis"], doc["state"]) == (
        "2026-11-21T10:00:00Z", "capture", "progressing")
    assert doc["counts"]["pods"] == {"healthy": 1, "progressing": 1, "failing": 0}
    assert [(i["pod"]["name"], i["state"], i["healthy"]) for i in doc["items"]] == [
        ("a", "healthy", True), ("b", "progressing", False)]
    v = doc["items"][1]["verdict"]
    assert (v["severity"], v["since"], v["deadline"]) == (
        "waiting", "2026-11-21T09:57:00Z", "2026-11-21T10:07:00Z")


def test_json_and_yaml_carry_the_next_command_the_table_shows() -> None:
    pods = (report("a", "u1", "failing", error_finding(), "CrashLoopBackOff"),
            report("b", "u2", "progressing", waiting_finding(), "ContainerCreating"))
    result = Report(pods=pods, as_of=NOW)
    doc = json.loads(render_json(result, PLAIN))
    assert [i["verdict"]["nextCommand"] for i in doc["items"]] == [
        None, "kubectl describe node node-1"]
    assert yaml.safe_load(render_yaml(result, PLAIN)) == doc
    one = render_table(Report(pods=pods[1:], as_of=NOW), PLAIN)
    assert "\nNext:      kubectl describe node node-1\n" in one


def test_a_stuck_wait_is_labelled_stuck_with_its_passed_deadline() -> None:
    f = Finding(rule="PW153", level="pod", severity="error", reason="ContainerCreating",
                summary="stuck", detail="", hint="h", docs="https://kubernetes.io/docs/x/",
                since=NOW - timedelta(minutes=42), deadline=NOW - timedelta(minutes=32))
    text = render_table(Report(pods=(report("web-1", "u1", "failing", f),), as_of=NOW), PLAIN)
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
    text = render_table(result, PLAIN)
    assert text.endswith(
        "2 pods: 1 failing, 0 progressing, 1 healthy (not listed; --show-healthy lists them)\n"
        "2 workloads: 1 failing, 0 progressing, 1 healthy (2 known from their pods' owner "
        "references)\n")
    doc = json.loads(render_json(result, PLAIN))
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
    text = render_table(Report(pods=(), workloads=(w,), as_of=NOW), PLAIN)
    assert text.startswith(
        "ReplicaSet shop/web-1  0/2 ready  (failing)\n"
        "  PW309 MissingPods: 0 of 2 pods exist\n"
        "    Fix:     Read its logs.\n"
        "    Docs:    https://kubernetes.io/docs/y/\n"
        "  PW301 FailedCreate [warning]: cannot create pods (history: it has all its pods now)\n"
        "    Fix:     Read its logs.\n"
        "    Docs:    https://kubernetes.io/docs/y/\n"
        "  (no pods)\n")


# --- exact text of every renderer on hand-built reports -----------------------------------------
# Written against the renderers as they were before they shared their column list and finding
# block: the refactor must keep every byte.

def warning_finding() -> Finding:
    return Finding(
        rule="PW240", level="container", severity="warning", reason="Restarted",
        summary="container app restarted 2 times (last exit 137)",
        detail="OOMKilled\nlimit 128Mi", hint="Raise its memory limit.",
        docs="https://kubernetes.io/docs/z/", container="app", container_type="app",
        evidence=(Evidence("status.containerStatuses[app].restartCount", "2"),))


def failing_pod() -> PodReport:
    """A crashing pod with a note, a multi-line message, an event seen 4 times, a next
    command, and a second finding."""
    f = replace(error_finding(), detail="panic: config missing\n  at main.go:12",
                next_command="kubectl logs -n shop web-1 -c app --previous")
    pod = replace(snap("web-1", "u1"), notes=("events could not be read: forbidden",))
    return PodReport(pod=pod, status="CrashLoopBackOff", state="failing", verdict=f,
                     findings=(f, warning_finding()))


def warned_pod(name: str = "web-2", uid: str = "u2") -> PodReport:
    return PodReport(pod=snap(name, uid), status="Running", state="healthy", verdict=None,
                     findings=(warning_finding(),), ready=(1, 1), restarts=2,
                     last_restart=NOW - timedelta(minutes=30))


def unscheduled_pod() -> PodReport:
    f = Finding(rule="PW101", level="pod", severity="waiting", reason="Unschedulable",
                summary="no node fits: 0/3 nodes are available: 3 Insufficient cpu",
                detail="", hint="Free or add cpu.", docs="https://kubernetes.io/docs/s/",
                evidence=(Evidence("event:FailedScheduling",
                                   "0/3 nodes are available: 3 Insufficient cpu.", 3,
                                   "2026-11-21T09:58:00Z"),),
                since=NOW - timedelta(minutes=5), deadline=NOW + timedelta(minutes=10))
    pod = replace(snap("db-0", "u4"), node_name="", phase="Pending")
    return PodReport(pod=pod, status="Pending", state="progressing", verdict=f, findings=(f,),
                     ready=(0, 1))


def many_pods() -> Report:
    """Pods of every state, one unscheduled, two crashing ones of one owner with an outlier,
    read from two captures."""
    crash_a = replace(report("api-7f9-aaaaa", "u1", "failing", error_finding(),
                             "CrashLoopBackOff"), restarts=7, last_restart=NOW - timedelta(
                                 minutes=2, seconds=30))
    crash_b = replace(report("api-7f9-bbbbb", "u2", "failing", error_finding(),
                             "CrashLoopBackOff"), restarts=12, last_restart=NOW - timedelta(
                                 hours=50))
    crash_b = replace(crash_b, pod=replace(crash_b.pod, created=NOW - timedelta(days=3)))
    ok = report("api-7f9-ccccc", "u3", "healthy", None)
    pending = unscheduled_pod()
    owners = (OwnerView("ReplicaSet", "shop", "api-7f9", "", None,
                        (PodGroup(crash_a.verdict, (crash_a, crash_b)), PodGroup(None, (ok,)))),)
    return Report(pods=(ok, crash_a, pending, warned_pod(), crash_b), owners=owners,
                  as_of=NOW, as_of_basis="capture",
                  as_of_earliest=NOW - timedelta(hours=1))


def workload(kind: str = "Deployment", name: str = "web", *, desired: int | None = 3,
             ready: int = 1, available: int = 1, current: int = 0,
             stand_in: bool = False) -> Workload:
    return Workload(kind=kind, namespace="shop", name=name, uid=f"{name}-uid", created=None,
                    owner_uid="", conditions={}, events=(), desired=desired, ready=ready,
                    available=available, updated=1, current=current, revision="",
                    suspended=False, generation=1, stand_in=stand_in, spec={}, status={})


def deployment_report() -> WorkloadReport:
    """A Deployment whose new ReplicaSet has seven crashing pods and one healthy one, with a
    current fault that has a message and a next command, and a warning from its history."""
    wl = workload()
    rs = workload("ReplicaSet", "web-5d8", desired=8)
    crashing = tuple(report(f"web-5d8-{i}", f"c{i}", "failing", error_finding(),
                            "CrashLoopBackOff") for i in range(7))
    ok = report("web-5d8-ok", "ok", "healthy", None)
    groups = (PodGroup(crashing[0].verdict, crashing), PodGroup(None, (ok,)))
    owners = (OwnerView("ReplicaSet", "shop", "web-5d8", "revision 2, new", rs, groups),)
    fault = replace(error_finding(), rule="PW310", level="workload", reason="ProgressDeadline",
                    summary="the rollout made no progress for 10m",
                    detail="ReplicaSet web-5d8 has timed out progressing.",
                    container=None, container_type=None, evidence=(),
                    next_command="kubectl rollout status -n shop deployment/web")
    history = replace(warning_finding(), level="workload", container=None,
                      container_type=None)
    view = WorkloadView(workload=wl, children=(rs,), newest=rs, owners=owners,
                        reports=crashing + (ok,), nodes={})
    return WorkloadReport(view=view, state="failing", verdict=fault,
                          findings=(history, fault))


def job_report() -> WorkloadReport:
    ok = report("etl-1-x", "j1", "healthy", None, "Completed")
    wl = workload("Job", "etl-1", desired=2, ready=0, available=1, current=1)
    owners = (OwnerView("Job", "shop", "etl-1", "", wl, (PodGroup(None, (ok,)),)),)
    view = WorkloadView(workload=wl, children=(), newest=None, owners=owners, reports=(ok,),
                        nodes={})
    return WorkloadReport(view=view, state="healthy", verdict=None, findings=())


def stand_in_report() -> WorkloadReport:
    wl = workload("StatefulSet", "db", desired=None, stand_in=True)
    view = WorkloadView(workload=wl, children=(), newest=None, owners=(), reports=(), nodes={})
    return WorkloadReport(view=view, state="progressing", verdict=None, findings=())


def hostile_pod() -> PodReport:
    """Names and texts an attacker controls: escape sequences, bidi overrides, newlines."""
    f = replace(error_finding(), reason="Err\nor", container="app\x1b[2J",
                summary="crash \x1b]52;c;ZXZpbA==\x07 \u202eenil\u202c",
                detail="line one\x1b[31m\nline two\u2066", hint="Fix\x1b[0m it",
                evidence=(Evidence("event:Back\x1bOff", "msg\x07\u200b", 2),),
                next_command="kubectl logs\nrm -rf /")
    pod = replace(snap("web-1", "u1"), name="web\x1b[2J-1", node_name="node\u202e1")
    return PodReport(pod=pod, status="Crash\x9bLoop", state="failing", verdict=f,
                     findings=(f,), ready=(0, 1))


def colour_pod() -> PodReport:
    """A pod stuck past its deadline, with a note, another error and a warning."""
    stuck = Finding(rule="PW153", level="pod", severity="error", reason="ContainerCreating",
                    summary="stuck setting the pod up", detail="", hint="h",
                    docs="https://kubernetes.io/docs/x/", since=NOW - timedelta(minutes=42),
                    deadline=NOW - timedelta(minutes=32))
    pod = replace(snap("web-3", "u3"), notes=("node node-1 could not be read",))
    return PodReport(pod=pod, status="ContainerCreating", state="failing", verdict=stuck,
                     findings=(stuck, error_finding(), warning_finding()))


def workloads_report() -> Report:
    """A failing Deployment, a StatefulSet known only from its events, a healthy Job."""
    d = deployment_report()
    return Report(pods=d.view.reports, workloads=(d, job_report(), stand_in_report()),
                  as_of=NOW)


def one_report() -> Report:
    """A waiting pod named on the command line, and a Job."""
    pod = report("web-1", "u1", "progressing", waiting_finding(), status="ContainerCreating")
    return Report(pods=(pod,), workloads=(job_report(),), as_of=NOW, as_of_basis="flag",
                  targets=("pod/shop/web-1",))


def test_a_failing_pod_shows_its_row_then_verdict_message_evidence_fix_next_and_others() -> None:
    result = Report(pods=(failing_pod(),), as_of=NOW, as_of_basis="flag")
    assert render_table(result, PLAIN) == (
        "NAMESPACE    NAME    STATUS            STATE    LEVEL      CONTAINER    REASON    "
        "SUMMARY\n"
        "shop         web-1   CrashLoopBackOff  failing  container  app          Error     "
        "container app keeps crashing\n"
        "\n"
        "Pod:       shop/web-1 on node node-1\n"
        "Status:    CrashLoopBackOff (phase Running)\n"
        "State:     failing\n"
        "Note:      events could not be read: forbidden\n"
        "Verdict:   PW221 Error (container level, app container app)\n"
        "           container app keeps crashing\n"
        "Message:   panic: config missing\n"
        "             at main.go:12\n"
        "Evidence:\n"
        "  - event:BackOff (x4, last 60s ago): Back-off restarting failed container\n"
        "Fix:       Read its logs.\n"
        "Docs:      https://kubernetes.io/docs/y/\n"
        "Next:      kubectl logs -n shop web-1 -c app --previous\n"
        "Also found:\n"
        "  - PW240 Restarted [warning]: container app restarted 2 times (last exit 137)\n"
        "As of:     2026-11-21T10:00:00Z (set with --now)\n")


def test_wide_adds_ready_restarts_age_rule_and_node_to_a_pods_row_and_keeps_its_block(
        ) -> None:
    result = Report(pods=(unscheduled_pod(),), as_of=NOW)
    assert render_wide(result, PLAIN) == (
        "NAMESPACE    NAME    READY    STATUS    RESTARTS    AGE    STATE        RULE    LEVEL    "
        "CONTAINER    REASON         NODE    SUMMARY\n"
        "shop         db-0    0/1      Pending   0           60m    progressing  PW101   pod      "
        "-            Unschedulable  <none>  no node fits: 0/3 nodes are available: 3 "
        "Insufficient cpu\n"
        "\n"
        "Pod:       shop/db-0 (not scheduled)\n"
        "Status:    Pending (phase Pending)\n"
        "State:     progressing\n"
        "Verdict:   PW101 Unschedulable (pod level)\n"
        "           no node fits: 0/3 nodes are available: 3 Insufficient cpu\n"
        "Waiting:   since 2026-11-21T09:55:00Z (5m ago); stuck after 2026-11-21T10:10:00Z (in "
        "10m)\n"
        "Evidence:\n"
        "  - event:FailedScheduling (x3, last 2m ago): 0/3 nodes are available: 3 Insufficient "
        "cpu.\n"
        "Fix:       Free or add cpu.\n"
        "Docs:      https://kubernetes.io/docs/s/\n")


def test_a_healthy_pod_with_warnings_lists_each_warning_with_message_evidence_and_fix() -> None:
    result = Report(pods=(warned_pod(),), as_of=NOW)
    assert render_table(result, PLAIN) == (
        "NAMESPACE    NAME    STATUS    STATE    LEVEL      CONTAINER    REASON     SUMMARY\n"
        "shop         web-2   Running   healthy  container  app          Restarted  healthy; "
        "warning: container app restarted 2 times (last exit 137)\n"
        "\n"
        "Pod:       shop/web-2 on node node-1\n"
        "Status:    Running (phase Running)\n"
        "State:     healthy\n"
        "Verdict:   healthy (with warnings)\n"
        "Warnings:\n"
        "  - PW240 Restarted [warning]: container app restarted 2 times (last exit 137)\n"
        "  Message:   OOMKilled\n"
        "           limit 128Mi\n"
        "  Evidence:\n"
        "    - status.containerStatuses[app].restartCount: 2\n"
        "  Fix:       Raise its memory limit.\n"
        "  Docs:      https://kubernetes.io/docs/z/\n")


def test_many_pods_table_lists_unhealthy_and_warned_counts_states_and_groups_by_owner() -> None:
    assert render_table(many_pods(), PLAIN) == (
        "NAMESPACE    NAME           STATUS            STATE        LEVEL      CONTAINER    "
        "REASON         SUMMARY\n"
        "shop         api-7f9-aaaaa  CrashLoopBackOff  failing      container  app          "
        "Error          container app keeps crashing\n"
        "shop         api-7f9-bbbbb  CrashLoopBackOff  failing      container  app          "
        "Error          container app keeps crashing\n"
        "shop         db-0           Pending           progressing  pod        -            "
        "Unschedulable  no node fits: 0/3 nodes are available: 3 Insufficient cpu\n"
        "shop         web-2          Running           healthy      container  app          "
        "Restarted      healthy; warning: container app restarted 2 times (last exit 137)\n"
        "\n"
        "5 pods: 2 failing, 1 progressing, 2 healthy (1 with warnings; not listed; --show-healthy "
        "lists them)\n"
        "1 workload: 1 failing, 0 progressing, 0 healthy (1 known from their pods' owner "
        "references)\n"
        "\n"
        "Pods with the same verdict, by owner:\n"
        "  ReplicaSet shop/api-7f9: 2 of 3 pods: Error in container app: container app keeps "
        "crashing; outliers: api-7f9-ccccc (healthy)\n"
        "\n"
        "As of:     each capture's own time, 2026-11-21T09:00:00Z to 2026-11-21T10:00:00Z "
        "(recorded by --dump)\n")


def test_many_pods_wide_adds_kubectls_ready_restarts_age_and_show_healthy_lists_all(
        ) -> None:
    result = replace(many_pods(), owners=(), as_of_basis="clock")
    assert render_wide(result, RenderOptions(show_healthy=True)) == (
        "NAMESPACE    NAME           READY    STATUS            RESTARTS       AGE    STATE        "
        "RULE    LEVEL      CONTAINER    REASON         NODE    SUMMARY\n"
        "shop         api-7f9-aaaaa  0/1      CrashLoopBackOff  7 (2m30s ago)  60m    failing      "
        "PW221   container  app          Error          node-1  container app keeps crashing\n"
        "shop         api-7f9-bbbbb  0/1      CrashLoopBackOff  12 (2d2h ago)  3d     failing      "
        "PW221   container  app          Error          node-1  container app keeps crashing\n"
        "shop         db-0           0/1      Pending           0              60m    progressing  "
        "PW101   pod        -            Unschedulable  <none>  no node fits: 0/3 nodes are "
        "available: 3 Insufficient cpu\n"
        "shop         web-2          1/1      Running           2 (30m ago)    60m    healthy      "
        "PW240   container  app          Restarted      node-1  healthy; warning: container app "
        "restarted 2 times (last exit 137)\n"
        "shop         api-7f9-ccccc  1/1      Running           0              60m    healthy      "
        "-       -          -            -              node-1  healthy\n"
        "\n"
        "5 pods: 2 failing, 1 progressing, 2 healthy (1 with warnings)\n")


def test_wide_ages_are_measured_at_the_reports_reference_time_not_the_clock() -> None:
    restarted = replace(report("web-1", "u1", "healthy", None), restarts=1,
                        last_restart=NOW - timedelta(seconds=90))
    unknown = report("web-2", "u2", "healthy", None)
    unknown = replace(unknown, pod=replace(unknown.pod, created=None))
    result = Report(pods=(restarted, unknown), as_of=NOW + timedelta(days=2))
    assert render_wide(result, RenderOptions(show_healthy=True)).splitlines()[:3] == [
        "NAMESPACE    NAME    READY    STATUS    RESTARTS    AGE        STATE    RULE    LEVEL    "
        "CONTAINER    REASON    NODE    SUMMARY",
        "shop         web-1   1/1      Running   1 (2d ago)  2d1h       healthy  -       -        "
        "-            -         node-1  healthy",
        "shop         web-2   1/1      Running   0           <unknown>  healthy  -       -        "
        "-            -         node-1  healthy"]


NO_HEADERS = RenderOptions(no_headers=True)


def test_no_headers_prints_only_the_listed_pods_rows_like_kubectl_get() -> None:
    """No header, pod block, counts, groups or reference time: what a script reads line by
    line (kubectl get --no-headers prints only rows)."""
    assert render_table(many_pods(), NO_HEADERS) == (
        "shop  api-7f9-aaaaa  CrashLoopBackOff  failing      container  app  Error          "
        "container app keeps crashing\n"
        "shop  api-7f9-bbbbb  CrashLoopBackOff  failing      container  app  Error          "
        "container app keeps crashing\n"
        "shop  db-0           Pending           progressing  pod        -    Unschedulable  "
        "no node fits: 0/3 nodes are available: 3 Insufficient cpu\n"
        "shop  web-2          Running           healthy      container  app  Restarted      "
        "healthy; warning: container app restarted 2 times (last exit 137)\n")
    everyone = render_wide(many_pods(), replace(NO_HEADERS, show_healthy=True)).splitlines()
    assert [line.split()[1] for line in everyone] == [
        "api-7f9-aaaaa", "api-7f9-bbbbb", "db-0", "web-2", "api-7f9-ccccc"]
    assert everyone[0].split()[2:5] == ["0/1", "CrashLoopBackOff", "7"]


def test_no_headers_gives_a_single_pod_its_row_alone_even_healthy_and_drops_the_wait() -> None:
    assert render_wide(Report(pods=(unscheduled_pod(),), as_of=NOW), NO_HEADERS) == (
        "shop  db-0  0/1  Pending  0  60m  progressing  PW101  pod  -  Unschedulable  <none>  "
        "no node fits: 0/3 nodes are available: 3 Insufficient cpu\n")
    healthy = Report(pods=(report("web-4", "u4", "healthy", None),), as_of=NOW)
    assert render_table(healthy, NO_HEADERS) == (
        "shop  web-4  Running  healthy  -  -  -  healthy\n")
    assert render_table(replace(healthy, wait=waited("healthy", "ok").wait), NO_HEADERS) == \
        render_table(healthy, NO_HEADERS)
    nothing_listed = Report(pods=(report("a", "u1", "healthy", None),
                                  report("b", "u2", "healthy", None)), as_of=NOW)
    assert render_table(nothing_listed, NO_HEADERS) == ""


def test_no_headers_changes_nothing_in_json_and_yaml_as_in_kubectl() -> None:
    assert render_json(many_pods(), NO_HEADERS) == render_json(many_pods(), PLAIN)
    assert render_yaml(many_pods(), NO_HEADERS) == render_yaml(many_pods(), PLAIN)


def test_colour_paints_a_single_pods_status_state_note_verdict_and_severities_exactly() -> None:
    result = Report(pods=(colour_pod(),), as_of=NOW)
    assert render_table(result, COLOUR) == (
        "NAMESPACE    NAME    STATUS             STATE    LEVEL    CONTAINER    "
        "REASON             SUMMARY\n"
        "shop         web-3   \x1b[31mContainerCreating\x1b[0m  \x1b[31mfailing\x1b[0m  pod      "
        "-            ContainerCreating  stuck setting the pod up\n"
        "\n"
        "Pod:       shop/web-3 on node node-1\n"
        "Status:    ContainerCreating (phase Running)\n"
        "State:     \x1b[31mfailing\x1b[0m\n"
        "\x1b[33mNote:      node node-1 could not be read\x1b[0m\n"
        "Verdict:   \x1b[31m\x1b[1mPW153 ContainerCreating\x1b[0m (pod level)\n"
        "           stuck setting the pod up\n"
        "Stuck:     since 2026-11-21T09:18:00Z (42m ago); its deadline passed at "
        "2026-11-21T09:28:00Z\n"
        "Fix:       h\n"
        "Docs:      https://kubernetes.io/docs/x/\n"
        "Also found:\n"
        "  - PW221 Error [\x1b[31merror\x1b[0m]: container app keeps crashing\n"
        "  - PW240 Restarted [\x1b[33mwarning\x1b[0m]: container app restarted 2 times (last exit "
        "137)\n")


def test_colour_paints_a_healthy_pods_state_and_verdict_green() -> None:
    result = Report(pods=(report("web-4", "u4", "healthy", None),), as_of=NOW)
    assert render_table(result, COLOUR) == (
        "NAMESPACE    NAME    STATUS    STATE    LEVEL    CONTAINER    REASON    SUMMARY\n"
        "shop         web-4   \x1b[32mRunning\x1b[0m   \x1b[32mhealthy\x1b[0m  -        "
        "-            -         healthy\n"
        "\n"
        "Pod:       shop/web-4 on node node-1\n"
        "Status:    Running (phase Running)\n"
        "State:     \x1b[32mhealthy\x1b[0m\n"
        "Verdict:   \x1b[32mhealthy\x1b[0m\n")


def test_colour_in_a_pod_list_paints_only_the_status_and_state_cells() -> None:
    result = Report(pods=(warned_pod(), unscheduled_pod(), failing_pod()), as_of=NOW)
    assert render_table(result, COLOUR) == (
        "NAMESPACE    NAME    STATUS            STATE        LEVEL      CONTAINER    "
        "REASON         SUMMARY\n"
        "shop         web-1   \x1b[31mCrashLoopBackOff\x1b[0m  \x1b[31mfailing\x1b[0m      "
        "container  app          Error          container app keeps crashing\n"
        "shop         db-0    \x1b[33mPending\x1b[0m           \x1b[33mprogressing\x1b[0m  "
        "pod        -            Unschedulable  no node fits: 0/3 nodes are available: 3 "
        "Insufficient cpu\n"
        "shop         web-2   \x1b[32mRunning\x1b[0m           \x1b[32mhealthy\x1b[0m      "
        "container  app          Restarted      healthy; warning: container app restarted 2 times "
        "(last exit 137)\n"
        "\n"
        "3 pods: 1 failing, 1 progressing, 1 healthy (1 with warnings)\n")


def test_workload_blocks_show_counts_current_fault_first_history_owners_and_pod_groups() -> None:
    assert render_table(workloads_report(), PLAIN) == (
        "Deployment shop/web  1/3 ready  (failing)\n"
        "  PW310 ProgressDeadline: the rollout made no progress for 10m\n"
        "    Message: ReplicaSet web-5d8 has timed out progressing.\n"
        "    Fix:     Read its logs.\n"
        "    Docs:    https://kubernetes.io/docs/y/\n"
        "    Next:    kubectl rollout status -n shop deployment/web\n"
        "  PW240 Restarted [warning]: container app restarted 2 times (last exit 137)\n"
        "    Message: OOMKilled limit 128Mi\n"
        "    Fix:     Raise its memory limit.\n"
        "    Docs:    https://kubernetes.io/docs/z/\n"
        "  └─ ReplicaSet web-5d8 (revision 2, new): 8 pods\n"
        "       7 of 8 pods: Error in container app: container app keeps crashing\n"
        "         web-5d8-0, web-5d8-1, web-5d8-2, web-5d8-3, web-5d8-4, web-5d8-5, ... (1 more)\n"
        "       1 of 8 pods: healthy\n"
        "         web-5d8-ok\n"
        "\n"
        "StatefulSet shop/db  0 pods (not in the input: known from its events)  (progressing)\n"
        "  (no pods)\n"
        "\n"
        "Job shop/etl-1  1/2 completed, 1 active  (healthy)\n"
        "  └─ 1 pod\n"
        "       1 of 1 pod: healthy\n"
        "         etl-1-x\n"
        "\n"
        "NAMESPACE    NAME       STATUS            STATE    LEVEL      CONTAINER    REASON    "
        "SUMMARY\n"
        "shop         web-5d8-0  CrashLoopBackOff  failing  container  app          Error     "
        "container app keeps crashing\n"
        "shop         web-5d8-1  CrashLoopBackOff  failing  container  app          Error     "
        "container app keeps crashing\n"
        "shop         web-5d8-2  CrashLoopBackOff  failing  container  app          Error     "
        "container app keeps crashing\n"
        "shop         web-5d8-3  CrashLoopBackOff  failing  container  app          Error     "
        "container app keeps crashing\n"
        "shop         web-5d8-4  CrashLoopBackOff  failing  container  app          Error     "
        "container app keeps crashing\n"
        "shop         web-5d8-5  CrashLoopBackOff  failing  container  app          Error     "
        "container app keeps crashing\n"
        "shop         web-5d8-6  CrashLoopBackOff  failing  container  app          Error     "
        "container app keeps crashing\n"
        "\n"
        "8 pods: 7 failing, 0 progressing, 1 healthy (not listed; --show-healthy lists them)\n"
        "3 workloads: 1 failing, 1 progressing, 1 healthy\n")


def test_colour_paints_a_workload_blocks_head_state_findings_and_groups_exactly() -> None:
    result = Report(pods=(), workloads=(deployment_report(),), as_of=NOW)
    assert render_table(result, COLOUR) == (
        "\x1b[1mDeployment shop/web  1/3 ready\x1b[0m  (\x1b[31mfailing\x1b[0m)\n"
        "  \x1b[31mPW310 ProgressDeadline\x1b[0m: the rollout made no progress for 10m\n"
        "    Message: ReplicaSet web-5d8 has timed out progressing.\n"
        "    Fix:     Read its logs.\n"
        "    Docs:    https://kubernetes.io/docs/y/\n"
        "    Next:    kubectl rollout status -n shop deployment/web\n"
        "  \x1b[33mPW240 Restarted\x1b[0m [warning]: container app restarted 2 times (last exit "
        "137)\n"
        "    Message: OOMKilled limit 128Mi\n"
        "    Fix:     Raise its memory limit.\n"
        "    Docs:    https://kubernetes.io/docs/z/\n"
        "  └─ ReplicaSet web-5d8 (revision 2, new): 8 pods\n"
        "       \x1b[31m7 of 8 pods: Error in container app: container app keeps crashing\x1b[0m\n"
        "         web-5d8-0, web-5d8-1, web-5d8-2, web-5d8-3, web-5d8-4, web-5d8-5, ... (1 more)\n"
        "       \x1b[32m1 of 8 pods: healthy\x1b[0m\n"
        "         web-5d8-ok\n"
        "\n"
        "0 pods: 0 failing, 0 progressing, 0 healthy\n"
        "1 workload: 1 failing, 0 progressing, 0 healthy\n")


def test_hostile_names_and_texts_in_a_pods_row_and_block_are_shown_escaped() -> None:
    result = Report(pods=(hostile_pod(),), as_of=NOW)
    assert render_table(result, PLAIN) == (
        "NAMESPACE    NAME            STATUS         STATE    LEVEL      CONTAINER     REASON    "
        "SUMMARY\n"
        'shop         "web\\x1b[2J-1"  Crash\\x9bLoop  failing  container  "app\\x1b[2J"  Err '
        "or    crash \\x1b]52;c;ZXZpbA==\\x07 \\u202eenil\\u202c\n"
        "\n"
        'Pod:       shop/"web\\x1b[2J-1" on node "node\\u202e1"\n'
        "Status:    Crash\\x9bLoop (phase Running)\n"
        "State:     failing\n"
        'Verdict:   PW221 Err or (container level, app container "app\\x1b[2J")\n'
        "           crash \\x1b]52;c;ZXZpbA==\\x07 \\u202eenil\\u202c\n"
        "Message:   line one\\x1b[31m\n"
        "           line two\\u2066\n"
        "Evidence:\n"
        "  - event:Back\\x1bOff (x2): msg\\x07\\u200b\n"
        "Fix:       Fix\\x1b[0m it\n"
        "Docs:      https://kubernetes.io/docs/y/\n"
        "Next:      kubectl logs rm -rf /\n")


def test_hostile_names_and_texts_in_the_wide_pod_list_are_shown_escaped() -> None:
    result = Report(pods=(hostile_pod(), warned_pod()), as_of=NOW)
    assert render_wide(result, PLAIN) == (
        "NAMESPACE    NAME            READY    STATUS         RESTARTS     AGE    STATE    RULE    "
        "LEVEL      CONTAINER     REASON     NODE           SUMMARY\n"
        'shop         "web\\x1b[2J-1"  0/1      Crash\\x9bLoop  0            60m    failing  '
        'PW221   container  "app\\x1b[2J"  Err or     "node\\u202e1"  crash '
        '\\x1b]52;c;ZXZpbA==\\x07 \\u202eenil\\u202c\n'
        "shop         web-2           1/1      Running        2 (30m ago)  60m    healthy  PW240   "
        "container  app           Restarted  node-1         healthy; warning: container app "
        "restarted 2 times (last exit 137)\n"
        "\n"
        "2 pods: 1 failing, 0 progressing, 1 healthy (1 with warnings)\n")


def test_a_finding_gives_the_same_fix_docs_and_next_in_a_pods_block_and_a_workloads() -> None:
    f = replace(error_finding(), hint="Raise the limit\x1b[2J.", next_command="kubectl top\npod")
    pod = PodReport(pod=snap("web-1", "u1"), status="Error", state="failing", verdict=f,
                    findings=(f,))
    wl = WorkloadView(workload=workload(), children=(), newest=None, owners=(), reports=(),
                      nodes={})
    block = WorkloadReport(view=wl, state="failing", verdict=f, findings=(f,))
    pod_text = render_table(Report(pods=(pod,), as_of=NOW), PLAIN)
    workload_text = render_table(Report(pods=(), workloads=(block,), as_of=NOW), PLAIN)
    assert ("Fix:       Raise the limit\\x1b[2J.\n"
            "Docs:      https://kubernetes.io/docs/y/\n"
            "Next:      kubectl top pod\n") in pod_text
    assert ("    Fix:     Raise the limit\\x1b[2J.\n"
            "    Docs:    https://kubernetes.io/docs/y/\n"
            "    Next:    kubectl top pod\n") in workload_text


ONE_REPORT_JSON = """\
{
  "apiVersion": "podwhy/v1",
  "kind": "Report",
  "asOf": "2026-11-21T10:00:00Z",
  "asOfBasis": "flag",
  "state": "progressing",
  "counts": {
    "pods": {
      "healthy": 0,
      "progressing": 1,
      "failing": 0
    },
    "workloads": {
      "healthy": 1,
      "progressing": 0,
      "failing": 0
    }
  },
  "items": [
    {
      "pod": {
        "namespace": "shop",
        "name": "web-1",
        "uid": "u1",
        "node": "node-1",
        "phase": "Running",
        "status": "ContainerCreating"
      },
      "state": "progressing",
      "healthy": false,
      "verdict": {
        "rule": "PW153",
        "level": "pod",
        "severity": "waiting",
        "reason": "ContainerCreating",
        "container": null,
        "containerType": null,
        "summary": "waiting for 3m for the kubelet on node node-1 to set the pod up",
        "detail": "",
        "hint": "Check the kubelet.",
        "docs": "https://kubernetes.io/docs/x/",
        "nextCommand": "kubectl describe node node-1",
        "since": "2026-11-21T09:57:00Z",
        "deadline": "2026-11-21T10:07:00Z",
        "evidence": [
          {
            "source": "status.conditions[PodReadyToStartContainers]",
            "text": "False",
            "count": null,
            "lastSeen": null
          }
        ]
      },
      "findings": [
        {
          "rule": "PW153",
          "level": "pod",
          "severity": "waiting",
          "reason": "ContainerCreating",
          "container": null,
          "containerType": null,
          "summary": "waiting for 3m for the kubelet on node node-1 to set the pod up",
          "detail": "",
          "hint": "Check the kubelet.",
          "docs": "https://kubernetes.io/docs/x/",
          "nextCommand": "kubectl describe node node-1",
          "since": "2026-11-21T09:57:00Z",
          "deadline": "2026-11-21T10:07:00Z",
          "evidence": [
            {
              "source": "status.conditions[PodReadyToStartContainers]",
              "text": "False",
              "count": null,
              "lastSeen": null
            }
          ]
        }
      ]
    }
  ],
  "workloads": [
    {
      "kind": "Job",
      "namespace": "shop",
      "name": "etl-1",
      "uid": "etl-1-uid",
      "replicas": {
        "desired": 2,
        "ready": 0,
        "available": 1,
        "updated": 1,
        "pods": 1
      },
      "state": "healthy",
      "healthy": true,
      "verdict": null,
      "findings": [],
      "groups": [
        {
          "count": 1,
          "of": 1,
          "state": "healthy",
          "pods": [
            "shop/etl-1-x"
          ],
          "verdict": null,
          "text": "1 of 1 pod: healthy"
        }
      ],
      "owners": [
        {
          "kind": "Job",
          "name": "etl-1",
          "note": "",
          "pods": 1,
          "groups": [
            {
              "count": 1,
              "of": 1,
              "state": "healthy",
              "pods": [
                "shop/etl-1-x"
              ],
              "verdict": null,
              "text": "1 of 1 pod: healthy"
            }
          ]
        }
      ]
    }
  ]
}
"""

ONE_REPORT_YAML = """\
apiVersion: podwhy/v1
kind: Report
asOf: '2026-11-21T10:00:00Z'
asOfBasis: flag
state: progressing
counts:
  pods:
    healthy: 0
    progressing: 1
    failing: 0
  workloads:
    healthy: 1
    progressing: 0
    failing: 0
items:
- pod:
    namespace: shop
    name: web-1
    uid: u1
    node: node-1
    phase: Running
    status: ContainerCreating
  state: progressing
  healthy: false
  verdict:
    rule: PW153
    level: pod
    severity: waiting
    reason: ContainerCreating
    container: null
    containerType: null
    summary: waiting for 3m for the kubelet on node node-1 to set the pod up
    detail: ''
    hint: Check the kubelet.
    docs: https://kubernetes.io/docs/x/
    nextCommand: kubectl describe node node-1
    since: '2026-11-21T09:57:00Z'
    deadline: '2026-11-21T10:07:00Z'
    evidence:
    - source: status.conditions[PodReadyToStartContainers]
      text: 'False'
      count: null
      lastSeen: null
  findings:
  - rule: PW153
    level: pod
    severity: waiting
    reason: ContainerCreating
    container: null
    containerType: null
    summary: waiting for 3m for the kubelet on node node-1 to set the pod up
    detail: ''
    hint: Check the kubelet.
    docs: https://kubernetes.io/docs/x/
    nextCommand: kubectl describe node node-1
    since: '2026-11-21T09:57:00Z'
    deadline: '2026-11-21T10:07:00Z'
    evidence:
    - source: status.conditions[PodReadyToStartContainers]
      text: 'False'
      count: null
      lastSeen: null
workloads:
- kind: Job
  namespace: shop
  name: etl-1
  uid: etl-1-uid
  replicas:
    desired: 2
    ready: 0
    available: 1
    updated: 1
    pods: 1
  state: healthy
  healthy: true
  verdict: null
  findings: []
  groups:
  - count: 1
    of: 1
    state: healthy
    pods:
    - shop/etl-1-x
    verdict: null
    text: '1 of 1 pod: healthy'
  owners:
  - kind: Job
    name: etl-1
    note: ''
    pods: 1
    groups:
    - count: 1
      of: 1
      state: healthy
      pods:
      - shop/etl-1-x
      verdict: null
      text: '1 of 1 pod: healthy'
"""


def test_json_writes_one_reports_whole_document_with_pods_workloads_and_counts() -> None:
    assert render_json(one_report(), PLAIN) == ONE_REPORT_JSON


def test_yaml_writes_the_same_document_as_json_in_kubectl_style_yaml() -> None:
    assert render_yaml(one_report(), PLAIN) == ONE_REPORT_YAML


# --- --wait and --watch -----------------------------------------------------------------------

def waited(outcome: str, reason: str, waiting: tuple[str, ...] = ()) -> Report:
    from kubectl_podwhy.report import WaitSummary

    w = WaitSummary(outcome=outcome, started=NOW, elapsed=75.4,  # type: ignore[arg-type]
                    reason=reason, waiting_for=waiting)
    return replace(one_report(), wait=w)


def test_a_wait_that_failed_ends_the_table_with_why_and_what_else_is_not_healthy() -> None:
    r = waited("failing", "Deployment/shop/web is failing and Kubernetes will not fix it by "
               "itself: PW201 ErrImagePull: image x not found",
               ("pod/shop/db-0: progressing: PW153 ContainerCreating: waiting",))
    text = render_table(r, PLAIN)
    assert text == render_table(one_report(), PLAIN) + (
        "\n--wait: failing after 75s: Deployment/shop/web is failing and Kubernetes will not "
        "fix it by itself: PW201 ErrImagePull: image x not found\n"
        "Not healthy either:\n"
        "  pod/shop/db-0: progressing: PW153 ContainerCreating: waiting\n")


def test_a_wait_that_timed_out_lists_what_it_still_waited_for_in_colour() -> None:
    r = waited("timeout", "still waiting for a", ("a", "b\x1b[2J"))
    text = render_table(r, COLOUR).split("\n\n")[-1]
    assert text == ("\x1b[33m--wait: timed out after 75s\x1b[0m: still waiting for a\n"
                    "Still waiting for:\n"
                    "  b\\x1b[2J\n")


def test_a_wait_with_nothing_found_prints_only_its_ending() -> None:
    from kubectl_podwhy.report import WaitSummary

    w = WaitSummary(outcome="timeout", started=NOW, elapsed=3.0,
                    reason="still waiting for x", waiting_for=("x (waited for it)",))
    assert render_table(Report(pods=(), as_of=NOW, wait=w), PLAIN) == (
        "--wait: timed out after 3s: still waiting for x\n")


def test_json_carries_the_wait_block_once() -> None:
    doc = json.loads(render_json(waited("healthy", "every target is healthy"), PLAIN))
    assert doc["wait"] == {"outcome": "healthy", "startedAt": "2026-11-21T10:00:00Z",
                           "elapsedSeconds": 75.4, "reason": "every target is healthy",
                           "waitingFor": []}


def test_a_watch_change_is_one_line_in_text_and_one_json_object_per_line() -> None:
    from kubectl_podwhy.render import change_line
    from kubectl_podwhy.report import Change

    c = Change(at=NOW, object="pod/shop/web-1", old="progressing", new="failing",
               verdict=error_finding())
    assert change_line(c, "table", False) == (
        "2026-11-21T10:00:00Z  pod/shop/web-1  progressing -> failing  PW221 Error: container "
        "app keeps crashing\n")
    assert change_line(c, "table", True) == (
        "2026-11-21T10:00:00Z  pod/shop/web-1  progressing -> \x1b[31mfailing\x1b[0m  PW221 "
        "Error: container app keeps crashing\n")
    first = Change(at=NOW, object="pod/shop/web-1", old=None, new="deleted", verdict=None)
    assert change_line(first, "wide", False) == "2026-11-21T10:00:00Z  pod/shop/web-1  - -> " \
                                                "deleted\n"
    doc = json.loads(change_line(c, "json", False))
    assert (doc["time"], doc["object"], doc["from"], doc["to"], doc["verdict"]["rule"]) == (
        "2026-11-21T10:00:00Z", "pod/shop/web-1", "progressing", "failing", "PW221")
    assert change_line(first, "yaml", False).startswith("---\ntime: '2026-11-21T10:00:00Z'\n")


def test_invisible_format_characters_are_escaped_like_control_characters() -> None:
    from kubectl_podwhy.render import sanitize

    text = "a\u00adb\u034fc\ufe0fd\U000e0041e\u2061f"
    assert sanitize(text, single_line=True) == \
        "a\\xadb\\u034fc\\ufe0fd\\U000e0041e\\u2061f"


# --- crash logs (kubectl_podwhy.crashlog) -------------------------------------------------------

def logged_pod(lines: tuple[str, ...], text: str) -> PodReport:
    """A crashing pod whose verdict carries the last lines of its previous log."""
    f = replace(error_finding(),
                summary=f"container app keeps crashing; log: {text}",
                next_command="kubectl logs web-1 -n shop -c app --previous",
                evidence=(*error_finding().evidence,
                          Evidence("logs:previous", text, lines=lines)))
    return PodReport(pod=snap("web-1", "u1"), status="CrashLoopBackOff", state="failing",
                     verdict=f, findings=(f,))


def test_a_crash_verdict_shows_its_logs_last_lines_below_the_evidence_each_behind_a_bar() -> None:
    lines = ("connecting to db:5432", 'FATAL: password authentication failed for user "app"')
    result = Report(pods=(logged_pod(lines, lines[1]),), as_of=NOW, as_of_basis="flag")
    text = render_table(result, PLAIN)
    assert text.split("\n\n", 1)[1] == (
        "Pod:       shop/web-1 on node node-1\n"
        "Status:    CrashLoopBackOff (phase Running)\n"
        "State:     failing\n"
        "Verdict:   PW221 Error (container level, app container app)\n"
        '           container app keeps crashing; log: FATAL: password authentication failed '
        'for user "app"\n'
        "Evidence:\n"
        "  - event:BackOff (x4, last 60s ago): Back-off restarting failed container\n"
        '  - logs:previous: FATAL: password authentication failed for user "app"\n'
        "Logs:      previous run of app, last 2 lines:\n"
        "           | connecting to db:5432\n"
        '           | FATAL: password authentication failed for user "app"\n'
        "Fix:       Read its logs.\n"
        "Docs:      https://kubernetes.io/docs/y/\n"
        "Next:      kubectl logs web-1 -n shop -c app --previous\n"
        "As of:     2026-11-21T10:00:00Z (set with --now)\n")


def test_escape_sequences_in_a_log_are_shown_escaped_and_long_lines_cut() -> None:
    lines = ("\x1b]52;c;ZXZpbA==\x07clipboard", "\x1b[2J\x1b[Hcleared\u202eevil", "x" * 1000)
    text = render_table(Report(pods=(logged_pod(lines, lines[1]),), as_of=NOW,
                               as_of_basis="flag"), PLAIN)
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert "\x07" not in text
    assert "           | \\x1b]52;c;ZXZpbA==\\x07clipboard\n" in text
    assert "           | \\x1b[2J\\x1b[Hcleared\\u202eevil\n" in text
    assert "x" * 225 + "...(715 characters left out)..." + "x" * 60 + "\n" in text


def test_json_gives_a_log_evidence_item_its_lines_and_other_items_none() -> None:
    lines = ("a", "FATAL: b")
    doc = json.loads(render_json(Report(pods=(logged_pod(lines, "FATAL: b"),), as_of=NOW),
                                 PLAIN))
    evidence = doc["items"][0]["verdict"]["evidence"]
    assert evidence == [
        {"source": "event:BackOff", "text": "Back-off restarting failed container",
         "count": 4, "lastSeen": "2026-11-21T09:59:00Z"},
        {"source": "logs:previous", "text": "FATAL: b", "count": None, "lastSeen": None,
         "lines": ["a", "FATAL: b"]}]


def test_a_log_that_was_read_and_is_empty_says_so() -> None:
    f = replace(error_finding(), evidence=(Evidence("logs:previous", "the log is empty"),))
    r = PodReport(pod=snap("web-1", "u1"), status="CrashLoopBackOff", state="failing",
                  verdict=f, findings=(f,))
    text = render_table(Report(pods=(r,), as_of=NOW, as_of_basis="flag"), PLAIN)
    assert ("  - logs:previous: the log is empty\n"
            "Logs:      previous run of app: the log is empty\n") in text
    doc = json.loads(render_json(Report(pods=(r,), as_of=NOW), PLAIN))
    assert doc["items"][0]["verdict"]["evidence"] == [
        {"source": "logs:previous", "text": "the log is empty", "count": None,
         "lastSeen": None, "lines": []}]


def test_colours_in_a_log_are_left_off_the_logs_block() -> None:
    lines = ("\x1b[31mERROR\x1b[0m boom",)
    text = render_table(Report(pods=(logged_pod(lines, "ERROR boom"),), as_of=NOW,
                               as_of_basis="flag"), PLAIN)
    assert "           | ERROR boom\n" in text
