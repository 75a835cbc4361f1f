"""The rule chain, in order. The order IS the "pods first, then containers" logic, and it is
the only order: the catalog, ``--list-rules`` and docs/rules.md list the rules family by
family as RULE_FAMILIES below gives them.

The engine (:mod:`kubectl_podwhy.verdict`) runs, for a pod: STATUS_CHECK (a status that
cannot be read ends the chain); POD_CHAIN; then, unless a pod-level finding already explains
the containers (eviction, termination, a dead node), CONTAINER_CHAIN: the first unfinished
regular init container, the native sidecars, the app containers, and the ephemeral ones
(information only); then FALLBACK when nothing explains a pod that is not healthy, and
DAMAGED when no error names a cause. For a workload: WORKLOAD_CHAIN, WORKLOAD_PROGRESS when
it says nothing, WORKLOAD_DAMAGED.
"""
from __future__ import annotations

from datetime import datetime

from kubectl_podwhy.report import Finding
from kubectl_podwhy.rules import workload as w
from kubectl_podwhy.rules.base import Check, Rule, completed
from kubectl_podwhy.rules.container import crash, create, ephemeral, images, running
from kubectl_podwhy.rules.pod import (
    lifecycle,
    node,
    readiness,
    scheduling,
    setup,
    status,
    terminal,
)
from kubectl_podwhy.snapshot import Container, PodSnapshot

#: A status podwhy cannot read (null, malformed, impossible) ends the chain.
STATUS_CHECK: Check = status.check_status

POD_CHAIN: tuple[Check, ...] = (
    # A terminal reason or DisruptionTarget says why the pod is going away (eviction, the
    # taint manager, PodGC): that is the cause; being stuck in termination comes second.
    terminal.check_terminal,
    lifecycle.check_terminating,
    scheduling.check_scheduling,
    node.check_node,
    setup.check_pod_setup,
    readiness.check_readiness_gates,
)


def diagnose(pod: PodSnapshot, c: Container, now: datetime) -> list[Finding]:
    """One container, handed to the families by its state."""
    st = c.state
    if st.kind == "waiting":
        return _waiting(pod, c, now)
    if st.kind == "terminated" and st.terminated is not None:
        return crash.check_terminated(pod, c, now, st.terminated)
    if st.kind == "running":
        return crash.check_running(pod, c, now) or running.check_running(pod, c, now)
    return []


def _waiting(pod: PodSnapshot, c: Container, now: datetime) -> list[Finding]:
    r = c.state.reason
    if r in images.WAITING_REASONS:
        return images.check_waiting(pod, c)
    if r in create.FAILURE_REASONS:
        return create.check_failure(pod, c)
    if r in running.WAITING_REASONS:
        return running.check_waiting(pod, c)
    if r in crash.WAITING_REASONS:
        return crash.check_waiting(pod, c, now)
    if r in create.STARTING_REASONS or not r:
        return create.check_starting(pod, c, now)
    return create.check_unknown_reason(pod, c)


def check_init_containers(pod: PodSnapshot, now: datetime) -> list[Finding]:
    # Not skipped when Initialized is True: init containers re-run after the sandbox is
    # recreated (a node reboot), and a crash there blocks the pod again.
    for c in pod.of_type("init"):
        if completed(c):
            continue
        # Only the first unfinished init container matters: the others have not run yet.
        return diagnose(pod, c, now)
    return []


def check_sidecars(pod: PodSnapshot, now: datetime) -> list[Finding]:
    return [f for c in pod.of_type("sidecar") for f in diagnose(pod, c, now)]


def check_app_containers(pod: PodSnapshot, now: datetime) -> list[Finding]:
    return [f for c in pod.of_type("app") for f in diagnose(pod, c, now)]


def check_ephemeral_containers(pod: PodSnapshot, now: datetime) -> list[Finding]:
    return [f for c in pod.of_type("ephemeral")
            for f in ephemeral.check_container(pod, c, now)]


CONTAINER_CHAIN: tuple[Check, ...] = (
    check_init_containers,
    check_sidecars,
    check_app_containers,
    check_ephemeral_containers,  # never the verdict
)

#: The last word, when the pod is not healthy and nothing above explains it (the engine
#: calls it only then): pod-failed (phase Failed) or pod-not-ready.
FALLBACK: Check = status.check_unexplained
#: after the chain, when no error names a cause: fields of the wrong type forbid "healthy"
DAMAGED: Check = status.check_damaged
#: the same for a workload
WORKLOAD_DAMAGED: w.WorkloadCheck = w.check_damaged

#: Workload-level checks, above the pod level: run for workloads named as targets (or present
#: in -f input). Pod verdicts are grouped beneath them.
WORKLOAD_CHAIN: tuple[w.WorkloadCheck, ...] = (
    w.check_failed_create,
    w.check_progress_deadline,
    w.check_rollout_stalled,
    w.check_job_failed,
    w.check_cronjob_suspended,
    w.check_cronjob_schedule,
    w.check_daemonset_no_nodes,
    w.check_scaled_to_zero,
    w.check_missing_pods,
)

#: What a workload waits for when no check above says anything (the engine runs them only
#: then): a rollout under way, a Job still running.
WORKLOAD_PROGRESS: tuple[w.WorkloadCheck, ...] = (
    w.check_rollout_progress,
    w.check_job_running,
)

#: Every rule, family by family, in the order the chain above first consults the families:
#: the status family (STATUS_CHECK opens the chain; its FALLBACK and DAMAGED close it), the
#: POD_CHAIN families, the container families in a container's course (its image, its
#: creation and start, a crash, running; then ephemeral containers), and the workload rules.
#: A family lists its own rules (its RULES); the catalog assembles them from here.
RULE_FAMILIES: tuple[tuple[Rule, ...], ...] = (
    status.RULES,
    terminal.RULES,
    lifecycle.RULES,
    scheduling.RULES,
    node.RULES,
    setup.RULES,
    readiness.RULES,
    images.RULES,
    create.RULES,
    crash.RULES,
    running.RULES,
    ephemeral.RULES,
    w.RULES,
)
