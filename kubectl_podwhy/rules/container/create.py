"""Create and start: a container the kubelet cannot configure, create or start, one being
created, and one waiting for a reason podwhy does not know (PW210-PW214)."""
from __future__ import annotations

from datetime import datetime

from kubectl_podwhy.report import Finding
from kubectl_podwhy.rules import messages as m
from kubectl_podwhy.rules.base import (
    K8S,
    Rule,
    Wait,
    completed,
    container_events,
    describe_cmd,
    ev,
    finding,
    newest,
    term_evidence,
    waiting_evidence,
    where,
)
from kubectl_podwhy.rules.pod.setup import not_started
from kubectl_podwhy.snapshot import Container, Event, PodSnapshot

CONFIG_ERROR = Rule(
    id="PW210", fail_fast="yes", name="config-error", level="container",
    title="Container configuration error",
    why="The kubelet cannot build the container's configuration: a Secret or ConfigMap referenced "
        "by env/envFrom is missing, a key is missing, or runAsNonRoot cannot be verified.",
    fix="Create the object or key in the pod's namespace (or mark the reference optional), or set "
        "runAsUser / fix the image's USER.",
    docs=f"{K8S}/concepts/configuration/secret/")

CREATE_ERROR = Rule(
    id="PW211", name="create-error", level="container",
    title="The runtime cannot create the container",
    why="The container runtime's CreateContainer failed (a bad mount or device, a name conflict, "
        "or a slow runtime on the node: context deadline exceeded).",
    fix="Read the message; a timeout points at the node's runtime, anything else at the spec.",
    docs=f"{K8S}/tasks/debug/debug-application/debug-pods/")

START_ERROR = Rule(
    id="PW212", fail_fast="yes", name="start-error", level="container",
    title="The container cannot start",
    why="The runtime created the container but could not start its process: the command or "
        "entrypoint is missing, not executable, built for another architecture, or a mount, "
        "seccomp or AppArmor setting blocks it.",
    fix="Fix command/args or the image's entrypoint; the message names the binary.",
    docs=f"{K8S}/tasks/debug/debug-application/debug-pods/")

WAITING_UNKNOWN = Rule(
    id="PW213", name="waiting-unknown", level="container",
    title="Waiting for a reason podwhy does not know",
    why="The container is waiting with a reason outside the kubelet's known ones (a newer "
        "kubelet, another runtime, a custom status writer); podwhy shows it with its message "
        "rather than calling the pod healthy.",
    fix="Read the reason and message (kubectl describe pod) and the node's kubelet log.",
    docs=f"{K8S}/concepts/workloads/pods/pod-lifecycle/#container-state-waiting")

CONTAINER_CREATING = Rule(
    id="PW214", name="container-creating", level="container",
    title="Container being created",
    why="The pod is set up but this container is not created yet (ContainerCreating or "
        "PodInitializing): its image is being pulled or the runtime is creating it. No error "
        "is on record.",
    fix="If it lasts: kubectl describe pod for Pulling events; check the registry's speed and "
        "the container runtime on the node.",
    docs=f"{K8S}/concepts/workloads/pods/pod-lifecycle/#container-state-waiting",
    deadline="10 minutes after the containers before it finished (or the pod started); "
             "an image pull on record (a Pulling event, no Pulled or Failed after it): 30 "
             "minutes from that event (the kubelet sets no limit; containerd cancels a pull "
             "without progress for 5 minutes, which shows as ErrImagePull)")

RULES: tuple[Rule, ...] = (CONFIG_ERROR, CREATE_ERROR, START_ERROR, WAITING_UNKNOWN,
                          CONTAINER_CREATING)

CREATE_REASONS = frozenset({"CreateContainerError", "PreCreateHookError", "PreStartHookError"})
START_REASONS = frozenset({"StartError", "ContainerCannotRun"})
#: the waiting reasons of a container the kubelet cannot configure, create or start
FAILURE_REASONS = CREATE_REASONS | {"CreateContainerConfigError", "RunContainerError"}
#: the waiting reasons of a container that is being created (kubelet: ContainerCreating
#: while the image is pulled and the container created; PodInitializing behind init ones)
STARTING_REASONS = frozenset({"ContainerCreating", "PodInitializing"})
#: how long a container may take to be created (image pull included) before it is stuck
CREATE_SECONDS = 600
#: how long an image pull in progress may last (a Pulling event and no Pulled or Failed
#: after it) before it is stuck. The kubelet sets no limit of its own; containerd cancels a
#: pull that makes no progress for 5 minutes (image_pull_progress_timeout), which surfaces as
#: ErrImagePull, so a pull still on is moving, and a multi-gigabyte image may take this long.
PULL_SECONDS = 1800


def check_failure(pod: PodSnapshot, c: Container) -> list[Finding]:
    """A container waiting with one of FAILURE_REASONS."""
    r, msg = c.state.reason, c.state.message
    failed = [waiting_evidence(c)] + [ev(e) for e in container_events(pod, c, "Failed")[-1:]]
    if r == "CreateContainerConfigError":
        kind, obj = m.parse_config_error(msg)
        what = {
            "secret": f"secret {obj} not found",
            "configmap": f"configmap {obj} not found",
            "secret-key": f"key {obj} not found",
            "configmap-key": f"key {obj} not found",
            "run-as-non-root": "runAsNonRoot is set but the image runs as root "
                               "(or a non-numeric user)",
            "target-container": f"target container {obj} not found",
        }.get(kind, msg)
        hint = None
        if kind in ("secret", "configmap"):
            hint = (f"Create {kind} {obj} in namespace {pod.namespace} (or fix the name in "
                    "env/envFrom, or mark the reference optional: true).")
        elif kind.endswith("-key"):
            hint = "Add the missing key to the object, or fix the key name in the pod spec."
        # A message podwhy does not classify may be the kubelet's own trouble ("failed to
        # sync secret cache: timed out waiting for the condition"), which clears by itself.
        return [finding(CONFIG_ERROR, r, f"{where(c)} cannot be configured: {what}",
                        detail=msg, evidence=failed, container=c, hint=hint,
                        terminal=False if kind == "other" else None)]
    if r in CREATE_REASONS:
        slow = "deadline exceeded" in msg.lower()
        summary = f"runtime cannot create {where(c)}: {msg[:200] or r}"
        hint = ("The container runtime on the node is slow or stuck: check it (crictl, "
                "containerd logs) before the spec." if slow else None)
        return [finding(CREATE_ERROR, r, summary, detail=msg, evidence=failed, container=c,
                        hint=hint)]
    # RunContainerError
    known = m.start_failure(msg)
    why = known or msg[:200] or r
    last = c.last_state.terminated
    evidence = failed[:1]
    if last is not None:
        evidence.append(term_evidence(c, last, last=True))
    # Only a command that is missing or cannot run stays so; other start failures (exit 128
    # with another message) can be transient (Shopify/krane#694).
    return [finding(START_ERROR, r, f"{where(c)} cannot start: {why}", detail=msg,
                    evidence=evidence + failed[1:], container=c,
                    terminal=None if known else False)]


def check_unknown_reason(pod: PodSnapshot, c: Container) -> list[Finding]:
    """A reason podwhy does not know (a newer kubelet, another runtime): say so, with its
    message; a container waiting for an unknown reason is never healthy."""
    r, msg = c.state.reason, c.state.message
    warnings = [x for x in container_events(pod, c) if x.type == "Warning"]
    return [finding(WAITING_UNKNOWN, r, f"{where(c)} is waiting: {r}"
                    + (f": {msg[:200]}" if msg else "")
                    + " (a waiting reason podwhy does not know)", detail=msg,
                    evidence=[waiting_evidence(c)] + [ev(e) for e in warnings[-1:]],
                    container=c, next_command=describe_cmd(pod))]


def check_starting(pod: PodSnapshot, c: Container, now: datetime) -> list[Finding]:
    """ContainerCreating / PodInitializing after the pod's own setup: an image pull or the
    runtime creating the container. While the pod is not started at all, or an earlier init
    container still runs, the pod-level or init container's finding says it instead."""
    if not_started(pod) or c.type == "ephemeral":
        return []
    # Init containers and sidecars start one after another, the app containers after all of
    # them (KEP-753): one that is not done (or, a sidecar, not started) holds up the rest.
    before = [x for x in pod.containers if x.type in ("init", "sidecar")]
    before = before[:before.index(c)] if c in before else before
    if any((x.type == "init" and not completed(x)) or (x.type == "sidecar" and not x.started)
           for x in before):
        return []
    r = c.state.reason or "Waiting"
    waiting_ev = waiting_evidence(c)
    pull = _pull_in_progress(pod, c)
    if pull is not None:
        # pkg/kubelet/images/image_manager.go: "Pulling image" is recorded before the pull
        # (queued behind others with serializeImagePulls), then "Pulled" or "Failed".
        wait = Wait(pull.last_seen, PULL_SECONDS)
        summary = wait.says(
            now, stuck=f"the image pull of {where(c)} has run {wait.for_how_long(now)} with "
                       "no Pulled or Failed event: look at the registry's speed and the "
                       f"node {pod.node_name}'s disk and network",
            waiting=f"{where(c)} is pulling its image {wait.for_how_long(now)} ({pull.message})"
                    f"; stuck after {wait.budget()}")
        return [finding(CONTAINER_CREATING, r, summary, evidence=[ev(pull), waiting_ev],
                        container=c, wait=wait, now=now, next_command=describe_cmd(pod))]
    wait = Wait(_started_from(pod, c), CREATE_SECONDS)
    summary = wait.says(
        now, stuck=f"{where(c)} has not started {wait.for_how_long(now)} ({r}) and no error "
                   "is on record: look at the image pull and the container runtime on node "
                   f"{pod.node_name}",
        waiting=f"{where(c)} is being created {wait.for_how_long(now)} ({r}: pulling its "
                f"image or starting it); stuck after {wait.budget()}")
    return [finding(CONTAINER_CREATING, r, summary, evidence=[waiting_ev], container=c,
                    wait=wait, now=now, next_command=describe_cmd(pod))]


def _started_from(pod: PodSnapshot, c: Container) -> datetime | None:
    """When this container could start being created: after the init containers before it
    finished (or the sidecars before it started), its own last run ended, or the sandbox
    was (re)created (a node reboot), else when the pod started."""
    prtsc = pod.condition("PodReadyToStartContainers")
    last = c.last_state.terminated
    times = [pod.start_time or pod.created,
             prtsc.last_transition if prtsc is not None and prtsc.status == "True" else None,
             last.finished_at if last is not None else None]
    for other in pod.containers:
        if other is c or other.type == "ephemeral":
            break
        t = other.state.terminated
        if other.type == "init" and t is not None and t.finished_at is not None:
            times.append(t.finished_at)
        elif other.type == "sidecar" and other.state.started_at is not None:
            times.append(other.state.started_at)
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _pull_in_progress(pod: PodSnapshot, c: Container) -> Event | None:
    """The container's newest Pulling event when no Pulled, Failed or BackOff event came at
    or after it: its image is being pulled (or waits for its turn to be)."""
    pulling = newest(container_events(pod, c, "Pulling"))
    if pulling is None or pulling.last_seen is None:
        return None
    after = [e for e in container_events(pod, c, "Pulled", "Failed", "BackOff", "Created",
                                         "Started")
             if e.last_seen is not None and e.last_seen >= pulling.last_seen]
    return None if after else pulling
