"""The rule chain, in order. The order IS the "pods first, then containers" logic.

Pod-level checks run first; then, unless a pod-level finding already explains the containers
(eviction, termination, a dead node), the container checks: the first unfinished regular init
container, the native sidecars, the app containers, and the ephemeral ones (information only).
"""
from __future__ import annotations

from datetime import datetime

from kubectl_podwhy.report import Finding
from kubectl_podwhy.rules import pod as p
from kubectl_podwhy.rules import workload as w
from kubectl_podwhy.rules.base import Check
from kubectl_podwhy.rules.container import diagnose, diagnose_ephemeral
from kubectl_podwhy.snapshot import PodSnapshot


def check_init_containers(pod: PodSnapshot, now: datetime) -> list[Finding]:
    # Not skipped when Initialized is True: init containers re-run after the sandbox is
    # recreated (a node reboot), and a crash there blocks the pod again.
    for c in pod.of_type("init"):
        t = c.state.terminated
        if c.state.kind == "terminated" and t is not None and t.exit_code == 0 and not t.signal:
            continue
        # Only the first unfinished init container matters: the others have not run yet.
        return diagnose(pod, c, now)
    return []


def check_sidecars(pod: PodSnapshot, now: datetime) -> list[Finding]:
    return [f for c in pod.of_type("sidecar") for f in diagnose(pod, c, now)]


def check_app_containers(pod: PodSnapshot, now: datetime) -> list[Finding]:
    return [f for c in pod.of_type("app") for f in diagnose(pod, c, now)]


def check_ephemeral_containers(pod: PodSnapshot, now: datetime) -> list[Finding]:
    return [f for c in pod.of_type("ephemeral") for f in diagnose_ephemeral(pod, c, now)]


#: 0. A status podwhy cannot read (null, malformed, impossible) ends the chain: PW190.
STATUS_CHECK: Check = p.check_status

POD_CHAIN: tuple[Check, ...] = (
    # A terminal reason or DisruptionTarget says why the pod is going away (eviction, the
    # taint manager, PodGC): that is the cause; being stuck in termination comes second.
    p.check_terminal,          # 1. terminal reasons   PW110-PW118
    p.check_terminating,       # 2. object lifecycle   PW101-PW104
    p.check_scheduling,        # 3. scheduling         PW120-PW131
    p.check_node,              # 4. node health        PW140-PW141
    p.check_pod_setup,         # 5. sandbox, DRA, volumes, not started  PW150-PW162
    p.check_readiness_gates,   # 9. readiness gates    PW170
)

CONTAINER_CHAIN: tuple[Check, ...] = (
    check_init_containers,     # 6. init containers, in order
    check_sidecars,            # 7. native sidecars
    check_app_containers,      # 8. app containers
    check_ephemeral_containers,  # 10. ephemeral (never the verdict)
)

#: 11. The last word, when the pod is not healthy and nothing above explains it (the engine
#: calls it only then): PW118 (Failed), PW191 (not ready).
FALLBACK: Check = p.check_unexplained
#: after the chain, when no error names a cause: fields of the wrong type forbid "healthy"
DAMAGED: Check = p.check_damaged
#: the same for a workload
WORKLOAD_DAMAGED: w.WorkloadCheck = w.check_damaged

#: Workload-level checks, above the pod level: run for workloads named as targets (or present
#: in -f input). Pod verdicts are grouped beneath them.
WORKLOAD_CHAIN: tuple[w.WorkloadCheck, ...] = (
    w.check_failed_create,       # PW301
    w.check_progress_deadline,   # PW302
    w.check_rollout_stalled,     # PW303
    w.check_job_failed,          # PW304, PW305
    w.check_cronjob_suspended,   # PW306
    w.check_cronjob_schedule,    # PW314
    w.check_daemonset_no_nodes,  # PW307
    w.check_scaled_to_zero,      # PW308
    w.check_missing_pods,        # PW309
)

#: What a workload waits for when no check above says anything (the engine runs them only
#: then): a rollout under way, a Job still running.
WORKLOAD_PROGRESS: tuple[w.WorkloadCheck, ...] = (
    w.check_rollout_progress,    # PW310 (waiting)
    w.check_job_running,         # PW311 (waiting)
)
