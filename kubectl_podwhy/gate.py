"""``--wait``'s decision: is a failing verdict terminal (Kubernetes will not fix it by itself,
so the wait ends at once), or may it clear by itself (tolerated up to --fail-after)?

Each rule says it in its row (:attr:`kubectl_podwhy.rules.base.Rule.fail_fast`); a finding
that knows better says it itself (:attr:`kubectl_podwhy.report.Finding.terminal`: a
FailedCreate by PodSecurity is terminal, one by an API timeout not). Two refinements here:

- "past-restarts" (crash loops, liveness/startup/postStart failures) is terminal once the
  container restarted ``max_restarts`` times: the kubelet restarts the first crash at once and
  then backs off 10 s, 20 s, ... (kubelet CrashLoopBackOff), so 2 restarts come about 10 s after
  the first crash, and an application that crashes while a dependency starts gets that long;
- a workload a one-shot run calls healthy whose new template is not rolled out (a paused
  Deployment, updateStrategy OnDelete) is still progressing for a gate (not_rolled_out);
- a stalled rollout (PW303) is as terminal as what its new pods fail on;
- capacity (an unschedulable pod, a FailedCreate by an exhausted ResourceQuota) is not terminal
  while a pod in scope is being deleted: a rolling update frees room as old pods leave (their
  grace period, 30 s by default), nor while a rollout's old pods still run (the controller
  scales them down as new pods become ready; a true deadlock ends at --fail-after).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from kubectl_podwhy.defaults import DEFAULT_MAX_RESTARTS as DEFAULT_MAX_RESTARTS  # noqa: PLC0414
from kubectl_podwhy.rawjson import as_dict, as_str
from kubectl_podwhy.report import Finding, PodReport, Report, State
from kubectl_podwhy.rules.catalog import RULES_BY_ID
from kubectl_podwhy.snapshot import PodSnapshot, Workload
from kubectl_podwhy.workloads import owner_standing

#: a rollout stalled on its new pods' failure (PW303)
ROLLOUT_STALLED = "PW303"

#: findings about room in the cluster or the namespace, which pods on their way out free
CAPACITY_RULES = frozenset({"PW121", "PW124", "PW125", "PW127", "PW128", "PW301"})


def is_terminal(f: Finding, pod: PodSnapshot | None,
                max_restarts: int = DEFAULT_MAX_RESTARTS, leaving: bool = False) -> bool:
    """Will Kubernetes leave this failing verdict as it is? Only an error can be; ``pod``:
    the pod the finding is about (None for a workload's own finding); ``leaving``: a pod in
    scope is being deleted (capacity may free up)."""
    if f.severity != "error":
        return False
    rule = RULES_BY_ID.get(f.rule)
    if f.terminal is not None:
        return f.terminal
    mode = rule.fail_fast if rule is not None else "no"
    if mode == "past-restarts":
        if pod is None or f.container is None:
            return False
        c = next((x for x in pod.containers
                  if x.name == f.container and x.type == f.container_type), None)
        return c is not None and c.restart_count >= max_restarts
    if mode == "yes" and f.rule in CAPACITY_RULES and leaving:
        return False
    return mode == "yes"


@dataclass(frozen=True)
class Standing:
    """Where one followed object stands: ``key`` as in Report.targets ("pod/NS/NAME",
    "Deployment/NS/NAME"); ``terminal`` only for a failing one."""

    key: str
    state: State
    verdict: Finding | None
    terminal: bool
    #: the finding that makes it terminal: the verdict, or a stalled rollout's new pods'
    cause: Finding | None = None
    #: a workload healthy to a one-shot run whose new template is not rolled out (paused,
    #: OnDelete): what a gate still waits for (not_rolled_out)
    pending: str | None = None


def not_rolled_out(w: Workload) -> str | None:
    """What a healthy-looking workload has not rolled out yet, for a gate: a paused
    Deployment whose template its updated replicas do not run (kubectl rollout status waits
    for them), a StatefulSet or DaemonSet with updateStrategy OnDelete whose pods still run
    an older revision (nothing rolls it out until they are deleted)."""
    desired = w.desired or 0
    if w.kind == "Deployment" and w.spec.get("paused") is True and w.updated < desired:
        return (f"paused (spec.paused): {w.updated} of {desired} replicas run the new "
                f"template; kubectl rollout resume deployment/{w.name} -n {w.namespace}")
    strategy = as_str(as_dict(w.spec.get("updateStrategy")).get("type"))
    if strategy == "OnDelete" and w.kind in ("StatefulSet", "DaemonSet"):
        update = as_str(w.status.get("updateRevision"))
        current = as_str(w.status.get("currentRevision"))
        if (w.kind == "StatefulSet" and update and update != current) or \
                (w.kind == "DaemonSet" and w.updated < desired):
            return (f"updateStrategy OnDelete: {w.updated} of {desired} pods run the new "
                    "template; the others change only when they are deleted")
    return None


def _pod_of(f: Finding | None, reports: tuple[PodReport, ...]) -> PodSnapshot | None:
    return next((r.pod for r in reports if r.verdict is f), None) if f is not None else None


def standings(report: Report, max_restarts: int = DEFAULT_MAX_RESTARTS) -> list[Standing]:
    """The objects the exit code is about (verdict.overall_state): the targets, else every
    pod not covered by a workload nor replaced, every workload and every owner group."""
    leaving = any(r.pod.deletion_timestamp is not None for r in report.pods)

    def stand(key: str, state: State, verdict: Finding | None, pod: PodSnapshot | None,
              room: bool = leaving) -> Standing:
        terminal = state == "failing" and verdict is not None and is_terminal(
            verdict, pod, max_restarts, room)
        return Standing(key, state, verdict, terminal, verdict if terminal else None)

    out: list[Standing] = []
    wanted = set(report.targets)
    covered = {r.pod.key for w in report.workloads for r in w.view.reports}
    for r in report.pods:
        key = f"pod/{r.pod.key}"
        if (key in wanted) if wanted else (r.pod.key not in covered | report.replaced):
            out.append(stand(key, r.state, r.verdict, r.pod))
    for w in report.workloads:
        key = w.view.workload.key
        if not wanted or key in wanted:
            # the old revision's pods still serve: the controller scales them down as new
            # pods become ready, which frees room (capacity is not terminal then)
            old_active = len(w.view.current_reports) < sum(
                1 for r in w.view.reports
                if not r.pod.terminal and r.pod.deletion_timestamp is None)
            st = stand(key, w.state, w.verdict, _pod_of(w.verdict, w.view.reports),
                       leaving or old_active)
            pending = not_rolled_out(w.view.workload) if st.state == "healthy" else None
            if pending is not None:
                st = replace(st, state="progressing", pending=pending)
            if st.state == "failing" and not st.terminal and w.verdict is not None \
                    and w.verdict.rule == ROLLOUT_STALLED:
                # a stalled rollout is as terminal as what its new pods fail on
                cause = next((g.verdict for g in w.view.current_groups
                              if g.state == "failing" and g.verdict is not None
                              and is_terminal(g.verdict, g.reports[0].pod, max_restarts,
                                              leaving or old_active)), None)
                st = replace(st, terminal=cause is not None, cause=cause)
            out.append(st)
    if not wanted:
        for o in report.owners:
            state, group = owner_standing(o, report.replaced)
            verdict = group.verdict if group is not None else None
            out.append(stand(f"{o.kind}/{o.namespace}/{o.name}", state, verdict,
                             _pod_of(verdict, group.reports) if group else None))
    return out
