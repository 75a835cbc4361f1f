"""Workload-level checks: why a Deployment, StatefulSet, DaemonSet, Job or CronJob has no pods,
fewer pods than it wants, or pods that fail. These sit above the pod level."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from kubectl_podwhy.rawjson import as_int
from kubectl_podwhy.report import Evidence, Finding, PodGroup, WorkloadView, pods_of
from kubectl_podwhy.rules.base import (
    K8S,
    Rule,
    Wait,
    damaged_finding,
    ev,
    field,
    finding,
    kubectl,
    recent,
)
from kubectl_podwhy.snapshot import Workload
from kubectl_podwhy.timeutil import format_time, parse_time
from kubectl_podwhy.workloads import rollout_status

WorkloadCheck = Callable[[WorkloadView, datetime], list[Finding]]

FAILED_CREATE = Rule(
    id="PW301", fail_fast="yes", name="failed-create", level="workload",
    title="The controller cannot create pods",
    why="The ReplicaSet, Job, StatefulSet or DaemonSet controller's pod creations are rejected by "
        "the API server: a ResourceQuota is exhausted, PodSecurity admission or a webhook denies "
        "the pod, its ServiceAccount does not exist, or a LimitRange forbids its resources.",
    fix="Read the FailedCreate message: raise or free the quota, make the pod spec meet the "
        "namespace's Pod Security level, create the ServiceAccount, or fix the webhook.",
    docs=f"{K8S}/concepts/policy/resource-quotas/")

PROGRESS_DEADLINE = Rule(
    id="PW302", fail_fast="yes", name="progress-deadline", level="workload",
    title="Rollout stuck: progress deadline exceeded",
    why="The Deployment's new ReplicaSet did not become available within "
        "progressDeadlineSeconds; the controller gave up reporting progress (it keeps trying).",
    fix="Fix what the new pods fail on (see their verdict), then roll out again, or roll back "
        "with kubectl rollout undo.",
    docs=f"{K8S}/concepts/workloads/controllers/deployment/#failed-deployment")

ROLLOUT_STALLED = Rule(
    id="PW303", name="rollout-stalled", level="workload",
    title="Rollout stalled: the new pods fail",
    why="The new ReplicaSet's pods are failing while the old ReplicaSet still serves traffic; "
        "the rollout cannot finish.",
    fix="Fix what the new pods fail on (see their verdict), or roll back with "
        "kubectl rollout undo.",
    docs=f"{K8S}/concepts/workloads/controllers/deployment/#rolling-back-a-deployment")

JOB_BACKOFF_LIMIT = Rule(
    id="PW304", fail_fast="yes", name="job-backoff-limit", level="workload",
    title="Job failed: backoff limit reached",
    why="The Job's pods failed more times than spec.backoffLimit allows; the Job is Failed and "
        "creates no more pods.",
    fix="Fix what its pods fail on (see their verdict or kubectl logs job/NAME), then re-run it.",
    docs=f"{K8S}/concepts/workloads/controllers/job/#pod-backoff-failure-policy")

JOB_DEADLINE = Rule(
    id="PW305", fail_fast="yes", name="job-deadline", level="workload",
    title="Job failed: active deadline exceeded",
    why="The Job ran longer than spec.activeDeadlineSeconds; its running pods were terminated.",
    fix="Raise activeDeadlineSeconds, or find out why the work is slower than expected.",
    docs=f"{K8S}/concepts/workloads/controllers/job/#job-termination-and-cleanup")

CRONJOB_SUSPENDED = Rule(
    id="PW306", name="cronjob-suspended", level="workload",
    title="CronJob is suspended",
    why="spec.suspend is true, so no Jobs are created for its schedule.",
    fix="kubectl patch cronjob NAME -p '{\"spec\":{\"suspend\":false}}' when it should run.",
    docs=f"{K8S}/concepts/workloads/controllers/cron-jobs/#schedule-suspension",
    severity="warning")

DAEMONSET_NO_NODES = Rule(
    id="PW307", name="daemonset-no-nodes", level="workload",
    title="DaemonSet fits no node",
    why="The DaemonSet wants to run on no node at all: its nodeSelector or node affinity matches "
        "no node, or every node carries a NoSchedule/NoExecute taint it does not tolerate. "
        "Nothing is down (kubectl rollout status reports it rolled out), so it is a warning.",
    fix="Fix the nodeSelector/affinity, label the nodes, or add tolerations. If it is meant "
        "for a node pool that is empty now (a GPU pool scaled to zero), nothing is wrong.",
    docs=f"{K8S}/concepts/workloads/controllers/daemonset/#running-pods-on-select-nodes",
    severity="warning")

SCALED_TO_ZERO = Rule(
    id="PW308", name="scaled-to-zero", level="workload",
    title="Scaled to zero",
    why="spec.replicas is 0: no pods are wanted (an autoscaler, a person, or a GitOps tool set "
        "it).",
    fix="kubectl scale --replicas=N when it should run.",
    docs=f"{K8S}/concepts/workloads/controllers/deployment/#scaling-a-deployment",
    severity="warning")

MISSING_PODS = Rule(
    id="PW309", name="missing-pods", level="workload",
    title="Fewer pods than desired",
    why="The workload has fewer pods than it wants and no controller error is on record: a "
        "StatefulSet waits for an earlier ordinal to become Ready, or pods are being replaced.",
    fix="Look at the first pod that is not Ready; for StatefulSets, ordinal N waits for N-1.",
    docs=f"{K8S}/concepts/workloads/controllers/statefulset/#deployment-and-scaling-guarantees",
    deadline="waiting while the pod it waits for is progressing, failing when that pod "
             "fails; with no pod under way, 5 minutes after the last pod was created")

ROLLOUT_IN_PROGRESS = Rule(
    id="PW310", name="rollout-in-progress", level="workload",
    title="Rollout in progress",
    why="The workload is rolling out, judged as kubectl rollout status does (observedGeneration, "
        "updated, ready and available replicas), or pods of its current revision are still "
        "starting, and none of them is failing.",
    fix="Nothing yet; kubectl podwhy shows what the new pods wait for. A paused Deployment "
        "(a warning) waits for kubectl rollout resume.",
    docs=f"{K8S}/concepts/workloads/controllers/deployment/#deployment-status",
    deadline="a Deployment's progressDeadlineSeconds (600 s by default) after its last "
             "progress (the controller then reports PW302); StatefulSets, DaemonSets and "
             "ReplicaSets have none of their own: their pods' deadlines apply")

JOB_RUNNING = Rule(
    id="PW311", name="job-running", level="workload",
    title="Job running",
    why="The Job (or the CronJob's newest Job) has not completed yet and none of its pods is "
        "failing.",
    fix="Nothing yet; kubectl podwhy job/NAME shows its pods.",
    docs=f"{K8S}/concepts/workloads/controllers/job/",
    severity="waiting",
    deadline="the Job's activeDeadlineSeconds when set (then PW305); none otherwise")

JOB_FAILED = Rule(
    id="PW312", fail_fast="yes", name="job-failed", level="workload",
    title="Job failed",
    why="The Job failed for a reason other than its backoff limit or deadline: its "
        "podFailurePolicy matched a failed pod (PodFailurePolicy), indexes failed "
        "(FailedIndexes, MaxFailedIndexesExceeded), or another reason the Job controller set.",
    fix="Read the Job's Failed condition and its failed pods; fix the cause and rerun the Job.",
    docs=f"{K8S}/concepts/workloads/controllers/job/#pod-failure-policy")

JOB_SUSPENDED = Rule(
    id="PW313", name="job-suspended", level="workload",
    title="Job suspended",
    why="spec.suspend is true: the Job controller runs no pod until it is resumed, or until a "
        "queue controller such as Kueue admits it (it suspends queued Jobs).",
    fix="Resume it (kubectl patch job NAME -p '{\"spec\":{\"suspend\":false}}') or look at "
        "its queue (Kueue: kubectl get workloads).",
    docs=f"{K8S}/concepts/workloads/controllers/job/#suspending-a-job",
    severity="waiting",
    deadline="none: it waits until resumed or admitted")

CRONJOB_NOT_SCHEDULING = Rule(
    id="PW314", name="cronjob-not-scheduling", level="workload",
    title="CronJob does not start Jobs on schedule",
    why="The CronJob controller missed its scheduled times (MissSchedule, TooManyMissedTimes: "
        "the controller was down, startingDeadlineSeconds is too short, clock skew) or cannot "
        "read its schedule or time zone, and no Job was scheduled since.",
    fix="Read the event; fix the schedule or timeZone, set or raise startingDeadlineSeconds, "
        "check the kube-controller-manager.",
    docs=f"{K8S}/concepts/workloads/controllers/cron-jobs/#cron-job-limitations")

WORKLOAD_DAMAGED = Rule(
    id="PW315", fail_fast="yes", name="workload-damaged", level="workload",
    title="The workload object is damaged",
    why="Fields podwhy reads hold another JSON type than the API gives them (a count that is a "
        "string, a null entry in a list, a time that is not RFC 3339), in the object or in "
        "its events: a hand-edited or broken export. They are read as absent, and podwhy will "
        "not call such a workload healthy (reported when no other error names a cause).",
    fix="Read the object as the API server has it (kubectl get KIND/NAME -o yaml); re-export "
        "it.",
    docs=f"{K8S}/reference/using-api/api-concepts/")

RULES: tuple[Rule, ...] = (
    FAILED_CREATE, PROGRESS_DEADLINE, ROLLOUT_STALLED, JOB_BACKOFF_LIMIT, JOB_DEADLINE,
    CRONJOB_SUSPENDED, DAEMONSET_NO_NODES, SCALED_TO_ZERO, MISSING_PODS, ROLLOUT_IN_PROGRESS,
    JOB_RUNNING, JOB_FAILED, JOB_SUSPENDED, CRONJOB_NOT_SCHEDULING, WORKLOAD_DAMAGED)


def group_text(g: PodGroup, total: int) -> str:
    """"4 of 5 pods: ImagePullBackOff on container app: image x not found"."""
    head = f"{g.count} of {total} pod{'s' if total != 1 else ''}"
    v = g.verdict
    if v is None:
        return f"{head}: healthy"
    kind = "" if v.container_type in (None, "app") else f"{v.container_type} "
    where = f" in {kind}container {v.container}" if v.container else ""
    summary = v.summary
    if g.count > 1 and any(e.from_log for e in v.evidence):
        # one pod's log stands for the group (crashlog reads one per group): say whose
        pod = g.reports[0].pod.name
        for said in ("; log: ", "; last log line: "):
            summary = summary.replace(said, f"{said[:-2]} of pod {pod}: ", 1)
    return f"{head}: {v.reason}{where}: {summary}"


def _cond_ev(w: Workload, type_: str) -> list[Evidence]:
    c = w.condition(type_)
    if c is None:
        return []
    return [field(f"{w.ref}.status.conditions[{type_}]",
                  f"{c.status} {c.reason}: {c.message}".strip())]


# --- FailedCreate -----------------------------------------------------------------------------

def _classify_failed_create(msg: str) -> tuple[str, str | None, str | None]:
    """(what denies the pod, how to fix it, where it is documented) for a FailedCreate."""
    low = msg.lower()
    m = re.search(r"exceeded quota: ([\w.-]+)(?:, requested: ([^,]+(?:,[^,]+)*?), used: ([^,]+),"
                  r" limited: ([^\s]+))?", msg)
    if m:
        text = f"ResourceQuota {m.group(1)} is exhausted"
        if m.group(2):
            text += f" (requested {m.group(2)}, used {m.group(3)}, limited {m.group(4)})"
        return (text, f"Raise ResourceQuota {m.group(1)} or free what it counts "
                      f"({kubectl('describe', 'resourcequota', m.group(1))}), or lower the "
                      "pods' requests.",
                f"{K8S}/concepts/policy/resource-quotas/")
    if "violates podsecurity" in low:
        level = re.search(r'PodSecurity "([^"]+)"', msg)
        detail = msg.split("violates PodSecurity", 1)[1]
        detail = detail.split(":", 1)[1].strip() if ":" in detail else ""
        text = (f"PodSecurity {level.group(1) if level else ''} admission denies the pod"
                + (f": {detail[:200]}" if detail else "")).replace("  ", " ")
        return (text, "Change the pod template to meet the namespace's Pod Security level "
                      "(the message lists what violates it), or relabel the namespace.",
                f"{K8S}/concepts/security/pod-security-admission/")
    m = re.search(r'admission webhook "([^"]+)" denied the request:?\s*(.*)', msg)
    if m:
        return (f"admission webhook {m.group(1)} denies the pod" + (
            f": {m.group(2)[:200]}" if m.group(2) else ""),
            f"Meet webhook {m.group(1)}'s policy (its message says what it wants), or fix the "
            "webhook.", f"{K8S}/reference/access-authn-authz/extensible-admission-controllers/")
    m = re.search(r'serviceaccount "([^"]+)" not found', msg)
    if m:
        return (f"its ServiceAccount {m.group(1)} does not exist",
                f"Create ServiceAccount {m.group(1)} in the namespace, or fix "
                "serviceAccountName in the pod template.",
                f"{K8S}/tasks/configure-pod-container/configure-service-account/")
    if "limitrange" in low or ("maximum " in low and "usage per" in low):
        return ("a LimitRange forbids its resources: "
                + msg.split("forbidden:", 1)[-1].strip()[:200],
                "Fit the pod's requests and limits into the namespace's LimitRange.",
                f"{K8S}/concepts/policy/limit-range/")
    return msg.split("forbidden:", 1)[-1].strip()[:240], None, None


def _failed_create_terminal(msg: str, hint: str | None) -> bool | None:
    """--wait: a denial (PodSecurity, a webhook, a missing ServiceAccount, a LimitRange) is
    terminal; an exhausted quota is the rule's default (terminal, unless pods in scope are
    leaving and free it: kubectl_podwhy.gate); anything else (an API error) may clear."""
    if "exceeded quota" in msg:
        return None
    return hint is not None


def check_failed_create(v: WorkloadView, now: datetime) -> list[Finding]:
    w = v.workload
    cond = w.condition("Progressing")
    if w.kind == "Deployment" and cond is not None and cond.status == "False" \
            and cond.reason == "ReplicaSetCreateError":
        # The Deployment controller cannot even create the new ReplicaSet (a webhook, a
        # quota on replicasets): its Progressing condition says so, and it is current.
        why, hint, docs = _classify_failed_create(cond.message)
        return [finding(FAILED_CREATE, "ReplicaSetCreateError",
                        f"cannot create its new ReplicaSet: {why}", detail=cond.message,
                        evidence=_cond_ev(w, "Progressing"), hint=hint, docs=docs,
                        terminal=_failed_create_terminal(cond.message, hint),
                        next_command=kubectl("describe", "deployment", w.name, "-n", w.namespace))]
    # The child that creates the pods first (a Deployment copies its new ReplicaSet's
    # ReplicaFailure condition): the newest child, then older ones, then the workload itself.
    for w in (*sorted(v.children, key=lambda c: c is not v.newest), v.workload):
        events = [e for e in w.events if e.reason == "FailedCreate" and recent(e, now)]
        cond = w.condition("ReplicaFailure")
        if not events and not (cond is not None and cond.status == "True"):
            continue
        msg = events[-1].message if events else (cond.message if cond else "")
        why, hint, docs = _classify_failed_create(msg)
        who = "" if w is v.workload else f" ({w.kind} {w.name})"
        summary = f"cannot create pods{who}: {why}"
        if w.desired is not None:
            summary += f"; {max(w.current, len(pods_of(v, w)))} of {w.desired} pods exist"
        elif w.stand_in:
            summary += (f"; the {w.kind} is known only from this recent event (it is not in "
                        "the input), so how many pods it has cannot be checked")
        evidence = [ev(e) for e in events[-1:]] + _cond_ev(w, "ReplicaFailure")
        # FailedCreate holds only while the controller lacks pods: an old event outlives
        # the cause (say, the ServiceAccount created a second later).
        return [finding(FAILED_CREATE, "FailedCreate", summary, detail=msg, evidence=evidence,
                        holds_while="workload-short", subject=w.key, hint=hint, docs=docs,
                        terminal=_failed_create_terminal(msg, hint),
                        next_command=kubectl("describe", w.kind.lower(), w.name, "-n",
                                             w.namespace))]
    return []


# --- Deployments ------------------------------------------------------------------------------

def _new_rs_problem(v: WorkloadView) -> tuple[str, int]:
    """(the grouped verdict of the newest ReplicaSet's failing pods, old pods still serving)."""
    newest = v.newest
    bad = [g for g in v.current_groups if g.state == "failing"]  # the newest's active pods
    new_text = group_text(bad[0], len(v.current_reports)) if bad and newest else ""
    old_ready = sum(o.workload.ready for o in v.owners if o.workload is not None
                    and o.workload.kind == "ReplicaSet"
                    and (newest is None or o.workload.uid != newest.uid))
    return new_text, old_ready


def check_progress_deadline(v: WorkloadView, now: datetime) -> list[Finding]:
    w = v.workload
    if w.kind != "Deployment":
        return []
    cond = w.condition("Progressing")
    if cond is None or cond.status != "False" or cond.reason != "ProgressDeadlineExceeded":
        return []
    new_text, old_ready = _new_rs_problem(v)
    summary = f"rollout stuck: {cond.message.rstrip('. ')}"
    if new_text:
        summary += f"; new pods: {new_text}"
    if old_ready:
        summary += f"; the old ReplicaSet still serves {old_ready} ready pod(s)"
    return [finding(PROGRESS_DEADLINE, "ProgressDeadlineExceeded", summary, detail=cond.message,
                    evidence=_cond_ev(w, "Progressing") + _cond_ev(w, "Available"),
                    next_command=kubectl("rollout", "history", f"deployment/{w.name}",
                                         "-n", w.namespace))]


def check_rollout_stalled(v: WorkloadView, now: datetime) -> list[Finding]:
    w = v.workload
    if w.kind != "Deployment" or len(v.children) < 2:
        return []
    new_text, old_ready = _new_rs_problem(v)
    newest = v.newest
    if not new_text or newest is None:
        return []
    summary = (f"rollout to ReplicaSet {newest.name} (revision {newest.revision or '?'}) is "
               f"stalled: {new_text}")
    if old_ready:
        summary += f"; the old ReplicaSet still serves {old_ready} ready pod(s)"
    return [finding(ROLLOUT_STALLED, "RolloutStalled", summary,
                    evidence=_cond_ev(w, "Progressing"),
                    next_command=kubectl("rollout", "undo", f"deployment/{w.name}",
                                         "-n", w.namespace))]


# --- Jobs and CronJobs -------------------------------------------------------------------------

def _job_failure(job: Workload, v: WorkloadView) -> list[Finding]:
    # FailureTarget (1.31+) comes first: the controller has decided the Job failed and is
    # terminating its pods; Failed follows once they are gone (KEP-3329).
    cond = next((c for c in (job.condition("Failed"), job.condition("FailureTarget"))
                 if c is not None and c.status == "True"), None)
    if cond is None:
        return []
    failing = [g for o in v.owners if o.workload is not None and o.workload.uid == job.uid
               for g in o.groups if g.state == "failing"]
    total = sum(o.pod_count for o in v.owners if o.workload is not None
                and o.workload.uid == job.uid)
    extra = f"; its pods: {group_text(failing[0], total)}" if failing else ""
    who = "" if job is v.workload else f"Job {job.name}: "
    evidence = _cond_ev(job, cond.type) + [ev(e) for e in job.events
                                           if e.reason in ("BackoffLimitExceeded",
                                                           "DeadlineExceeded")][-1:]
    if cond.reason == "BackoffLimitExceeded":
        limit = job.spec.get("backoffLimit", 6)
        return [finding(JOB_BACKOFF_LIMIT, "BackoffLimitExceeded",
                        f"{who}failed after reaching its backoff limit ({limit}){extra}",
                        detail=cond.message, evidence=evidence,
                        next_command=kubectl("logs", f"job/{job.name}", "-n", job.namespace))]
    if cond.reason == "DeadlineExceeded":
        limit = job.spec.get("activeDeadlineSeconds")
        return [finding(JOB_DEADLINE, "DeadlineExceeded",
                        f"{who}ran longer than its activeDeadlineSeconds ({limit}s){extra}",
                        detail=cond.message, evidence=evidence)]
    # PodFailurePolicy, FailedIndexes, MaxFailedIndexesExceeded, and reasons yet to come
    why = cond.reason or "Failed"
    return [finding(JOB_FAILED, why,
                    f"{who}failed ({why}" + (f": {cond.message}" if cond.message else "")
                    + f"){extra}", detail=cond.message, evidence=evidence,
                    next_command=kubectl("describe", "job", job.name, "-n", job.namespace))]


def check_job_failed(v: WorkloadView, now: datetime) -> list[Finding]:
    w = v.workload
    if w.kind == "Job":
        return _job_failure(w, v)
    if w.kind == "CronJob" and v.newest is not None and v.newest.kind == "Job":
        return _job_failure(v.newest, v)
    return []


#: what the CronJob controller records when it cannot start Jobs on schedule
#: (pkg/controller/cronjob/cronjob_controllerv2.go, utils.go)
_SCHEDULE_WARNINGS = frozenset({"MissSchedule", "TooManyMissedTimes", "UnparseableSchedule",
                                "InvalidSchedule", "UnknownTimeZone"})


def check_cronjob_schedule(v: WorkloadView, now: datetime) -> list[Finding]:
    """A CronJob whose controller misses its schedule or cannot parse it: no Job starts.
    A missed start counts only if no Job was scheduled after it (status.lastScheduleTime)."""
    w = v.workload
    if w.kind != "CronJob" or w.suspended:
        return []
    last_run = parse_time(w.status.get("lastScheduleTime"))
    events = [e for e in w.events if e.reason in _SCHEDULE_WARNINGS and recent(e, now)
              and not (e.reason in ("MissSchedule", "TooManyMissedTimes") and last_run
                       and e.last_seen and last_run > e.last_seen)]
    if not events:
        return []
    e = events[-1]
    ran = f"; its last Job was scheduled {format_time(last_run)}" if last_run else \
        "; no Job was ever scheduled"
    return [finding(CRONJOB_NOT_SCHEDULING, e.reason,
                    f"does not start Jobs on schedule: {e.message}{ran}", detail=e.message,
                    evidence=[ev(e), field(f"{w.ref}.status.lastScheduleTime",
                                           format_time(last_run) or "none")],
                    next_command=kubectl("describe", "cronjob", w.name, "-n", w.namespace))]


def check_cronjob_suspended(v: WorkloadView, now: datetime) -> list[Finding]:
    w = v.workload
    if w.kind != "CronJob" or not w.suspended:
        return []
    resume = kubectl("patch", "cronjob", w.name, "-n", w.namespace, "-p",
                     '{"spec":{"suspend":false}}')
    return [finding(CRONJOB_SUSPENDED, "Suspended",
                    f"suspended: no Jobs are created for its schedule "
                    f"{w.spec.get('schedule', '?')!r}",
                    evidence=[field(f"{w.ref}.spec.suspend", "true")],
                    hint=f"{resume} when it should run.")]


# --- DaemonSets, replicas ----------------------------------------------------------------------

def _tolerates(tolerations: list[dict[str, object]], key: str, value: str, effect: str) -> bool:
    for t in tolerations:
        if t.get("effect") not in (None, "", effect):
            continue
        if t.get("operator") == "Exists" and (not t.get("key") or t.get("key") == key):
            return True
        if t.get("key") == key and str(t.get("value") or "") == value:
            return True
    return False


def check_daemonset_no_nodes(v: WorkloadView, now: datetime) -> list[Finding]:
    w = v.workload
    if w.kind != "DaemonSet" or w.desired != 0 or w.status.get("observedGeneration") is None:
        return []
    tmpl = w.spec.get("template")
    pod_spec = tmpl.get("spec") if isinstance(tmpl, dict) else None
    pod_spec = pod_spec if isinstance(pod_spec, dict) else {}
    selector = pod_spec.get("nodeSelector")
    selector = selector if isinstance(selector, dict) else {}
    raw_tolerations = pod_spec.get("tolerations")
    tolerations = [t for t in (raw_tolerations if isinstance(raw_tolerations, list) else [])
                   if isinstance(t, dict)]
    nodes = list(v.nodes.values())
    why = "its nodeSelector, affinity or tolerations exclude every node"
    if nodes:
        match = [n for n in nodes if all(n.labels.get(k) == val for k, val in selector.items())]
        if selector and not match:
            sel = ", ".join(f"{k}={val}" for k, val in sorted(selector.items()))
            why = f"nodeSelector {sel} matches none of the {len(nodes)} nodes"
        else:
            tainted = [n for n in match if any(
                t.effect in ("NoSchedule", "NoExecute")
                and not _tolerates(tolerations, t.key, t.value, t.effect) for t in n.taints)]
            if match and len(tainted) == len(match):
                keys = sorted({t.key for n in tainted for t in n.taints})
                why = (f"all {len(match)} matching nodes carry taints it does not tolerate "
                       f"({', '.join(keys)})")
    return [finding(DAEMONSET_NO_NODES, "NoNodes", f"wants to run on 0 nodes: {why}",
                    evidence=[field(f"{w.ref}.status.desiredNumberScheduled", "0")])]


def check_scaled_to_zero(v: WorkloadView, now: datetime) -> list[Finding]:
    w = v.workload
    # A ReplicaSet with a controller (a Deployment's old revision) is scaled to 0 by it: that
    # is how a rollout ends, not a choice to point out.
    if w.kind in ("Deployment", "StatefulSet", "ReplicaSet") and w.desired == 0 and \
            not (w.kind == "ReplicaSet" and w.owner_uid):
        scale = kubectl("scale", w.ref, "-n", w.namespace, "--replicas=N")
        return [finding(SCALED_TO_ZERO, "ScaledToZero", "spec.replicas is 0: no pods are wanted",
                        evidence=[field(f"{w.ref}.spec.replicas", "0")],
                        hint=f"{scale} when it should run.")]
    return []


def check_missing_pods(v: WorkloadView, now: datetime) -> list[Finding]:
    w = v.workload
    if w.kind not in ("StatefulSet", "ReplicaSet", "DaemonSet") or not w.desired:
        return []
    active = v.current_reports
    have = len(active)
    if have >= w.desired:
        return []
    not_ready = sorted((r for r in active if r.state != "healthy"), key=lambda r: r.pod.name)
    summary = f"{have} of {w.desired} pods exist"
    if w.kind == "StatefulSet" and not_ready and \
            w.spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady":
        first = not_ready[0]
        summary += (f"; OrderedReady: the next pod waits for {first.pod.name}, which is not "
                    f"ready ({first.verdict.reason if first.verdict else '?'})")
    # Fewer pods is a fault when a pod it waits for fails; while that pod is still under way
    # the workload is progressing; with none under way the controller should create the next
    # pod within seconds: stuck after MISSING_POD_SECONDS from the last pod it created.
    evidence = [field(f"{w.ref}.status.replicas", str(w.current))]
    if any(r.state == "failing" for r in not_ready):
        return [finding(MISSING_PODS, "MissingPods", summary, evidence=evidence)]
    if not_ready:
        return [finding(MISSING_PODS, "MissingPods", summary, evidence=evidence,
                        severity="waiting")]
    created = [r.pod.created for r in active if r.pod.created is not None]
    wait = Wait(max(created) if created else w.created, MISSING_POD_SECONDS)
    summary += wait.says(now, stuck=f"; no new pod for {wait.how_long(now)}",
                         waiting=f"; the last pod was created {wait.how_long(now)} ago")
    return [finding(MISSING_PODS, "MissingPods", summary, evidence=evidence, wait=wait, now=now)]


#: a controller creates a missing pod within seconds once the ones before it are ready
MISSING_POD_SECONDS = 300


# --- progress: what a workload waits for -------------------------------------------------------

def _progress_since(v: WorkloadView) -> datetime | None:
    w = v.workload
    cond = w.condition("Progressing")
    if w.kind == "Deployment" and cond is not None:
        return cond.last_update or cond.last_transition or \
            (v.newest.created if v.newest else None) or w.created
    return (v.newest.created if v.newest is not None else None) or w.created


def check_rollout_progress(v: WorkloadView, now: datetime) -> list[Finding]:
    """A rollout under way (kubectl rollout status's view) or pods of the current revision
    still starting: progressing. A Deployment's own deadline is progressDeadlineSeconds
    (then the controller reports ProgressDeadlineExceeded: PW302)."""
    w = v.workload
    if w.kind in ("Job", "CronJob"):
        return []
    complete, message = rollout_status(w)
    starting = [g for g in v.current_groups if g.state == "progressing"]
    progressing = w.condition("Progressing")
    if progressing is not None and progressing.reason == "ProgressDeadlineExceeded":
        return []  # the controller gave up: PW302 says it
    if w.kind == "Deployment" and w.spec.get("paused") is True:
        # Paused on purpose: no progress is expected, and none is due (no deadline applies)
        return [finding(ROLLOUT_IN_PROGRESS, "DeploymentPaused",
                        f"rollout paused (spec.paused): {message}; its current pods decide "
                        "its state", severity="warning",
                        evidence=[field(f"{w.ref}.spec.paused", "true")],
                        next_command=kubectl("rollout", "resume", w.ref, "-n", w.namespace))]
    if complete and not starting:
        return []
    parts = [message] if not complete else []
    if starting:
        parts.append(f"new pods: {group_text(starting[0], len(v.current_reports))}")
    limit = as_int(w.spec.get("progressDeadlineSeconds"), 600) if w.kind == "Deployment" else None
    evidence = _cond_ev(w, "Progressing") + [field(
        f"{w.ref}.status", f"replicas={w.current} updated={w.updated} ready={w.ready} "
        f"available={w.available} desired={w.desired}")]
    wait = Wait(_progress_since(v), float(limit)) if limit else None
    head = "rollout in progress" if wait is None or not wait.stuck(now) else \
        f"rollout has made no progress for {wait.how_long(now)} (progressDeadlineSeconds {limit})"
    return [finding(ROLLOUT_IN_PROGRESS, "RolloutInProgress", f"{head}: " + "; ".join(parts),
                    evidence=evidence, severity=None if wait else "waiting", wait=wait, now=now,
                    next_command=kubectl("rollout", "status", w.ref, "-n", w.namespace))]


def check_job_running(v: WorkloadView, now: datetime) -> list[Finding]:
    """A Job (or a CronJob's newest Job) still running: progressing until it completes; its
    own deadline is activeDeadlineSeconds (then PW305)."""
    w = v.workload
    job = w if w.kind == "Job" else v.newest if w.kind == "CronJob" else None
    if job is None or job.kind != "Job":
        return []
    who = "" if job is w else f"Job {job.name}: "
    if job.suspended:
        cond = job.condition("Suspended")
        return [finding(JOB_SUSPENDED, "Suspended",
                        f"{who}suspended (spec.suspend): no pod runs until it is resumed or "
                        "admitted by its queue (Kueue)"
                        + (f", since {format_time(cond.last_transition)}"
                           if cond is not None and cond.last_transition else ""),
                        severity="waiting", evidence=[field(f"{job.ref}.spec.suspend", "true")],
                        next_command=kubectl("get", "job", job.name, "-n", job.namespace, "-o",
                                             "jsonpath={.status.conditions}"))]
    complete, message = rollout_status(job)
    if complete:
        return []
    limit = as_int(job.spec.get("activeDeadlineSeconds"))
    started = parse_time(job.status.get("startTime")) or job.created
    return [finding(JOB_RUNNING, "JobRunning", f"{who}{message}", severity="waiting",
                    wait=Wait(started, float(limit)) if limit else None,
                    evidence=[field(f"{job.ref}.status", message)],
                    next_command=kubectl("get", "pods", "-n", job.namespace, "-l",
                                         f"batch.kubernetes.io/job-name={job.name}"))]


def check_damaged(v: WorkloadView, now: datetime) -> list[Finding]:
    """Fields of the wrong type (in the object or its events) were read as absent: podwhy
    cannot call the workload healthy. The engine calls it only when no other error names a
    cause."""
    d = list(v.workload.damaged) + [f"{c.kind.lower()} {c.name or '?'}: {x}"
                                     for c in v.children for x in c.damaged]
    if not d:
        return []
    return [damaged_finding(WORKLOAD_DAMAGED, "the object", d,
                            kubectl("get", v.workload.ref, "-n", v.workload.namespace, "-o",
                                    "yaml"))]
