"""Pod set-up on its node: the sandbox and network, DRA claims, volumes, and containers not
started yet with no failure on record (PW150-PW162)."""
from __future__ import annotations

import re
from datetime import datetime

from kubectl_podwhy.report import Evidence, Finding
from kubectl_podwhy.rules import messages as m
from kubectl_podwhy.rules.base import (
    K8S,
    Rule,
    Wait,
    describe_cmd,
    ev,
    field,
    finding,
    kubectl,
    recent,
    where,
)
from kubectl_podwhy.snapshot import PodSnapshot, parse_quantity

SANDBOX_FAILED = Rule(
    id="PW150", name="sandbox-failed", level="pod",
    title="The pod sandbox cannot be created",
    why="The container runtime failed to create the pod sandbox: usually the CNI plugin (IP "
        "address exhaustion, plugin missing or failing), a missing RuntimeClass handler, or the "
        "pause image. This is a node or network problem, not the application's.",
    fix="Check the CNI DaemonSet on that node and the runtime's logs; the error names the plugin. "
        "When the runtime's init process was OOM-killed, raise the memory limit named.",
    docs=f"{K8S}/concepts/extend-kubernetes/compute-storage-net/network-plugins/")

NETWORK_NOT_READY = Rule(
    id="PW151", name="network-not-ready", level="pod",
    title="The node's network plugin is not ready",
    why="The container runtime reports NetworkReady=false on the node: the CNI plugin is not "
        "installed or not initialised there.",
    fix="Check the CNI DaemonSet's pod on that node.",
    docs=f"{K8S}/concepts/extend-kubernetes/compute-storage-net/network-plugins/")

DRA_PREPARE_FAILED = Rule(
    id="PW152", name="dra-prepare-failed", level="pod",
    title="Dynamic resources (DRA) cannot be prepared on the node",
    why="The kubelet cannot prepare a ResourceClaim the pod uses (FailedPrepareDynamicResources): "
        "the claim's DRA driver is not registered on the node (its kubelet plugin is not "
        "running) or the driver's NodePrepareResources call fails. The containers wait in "
        "ContainerCreating.",
    fix="Check the DRA driver's kubelet plugin (its DaemonSet pod) on that node and its logs; "
        "kubectl get resourceclaims shows the claim's allocation.",
    docs=f"{K8S}/concepts/scheduling-eviction/dynamic-resource-allocation/")

POD_NOT_STARTED = Rule(
    id="PW153", name="pod-not-started", level="pod",
    title="Scheduled, but its containers have not started",
    why="The pod is bound to a node but its containers are not created (ContainerCreating or "
        "PodInitializing, the sandbox not ready) and no error event is on record: the kubelet is "
        "still pulling images or mounting volumes, or it is stuck without a trace (a hung CSI "
        "driver, CNI plugin or container runtime; events also expire after about an hour).",
    fix="On that node, read the kubelet log (journalctl -u kubelet) and the runtime's (crictl "
        "pods, crictl ps -a); check the CSI and CNI pods there.",
    docs=f"{K8S}/concepts/workloads/pods/pod-lifecycle/#container-state-waiting",
    deadline="10 minutes after the pod was scheduled (image pulls included)")

MOUNT_FAILED = Rule(
    id="PW160", name="mount-failed", level="pod",
    title="A volume cannot be mounted",
    why="The kubelet cannot set up one of the pod's volumes: the ConfigMap, Secret or claim it "
        "refers to is missing, a key is missing, or the storage backend fails.",
    fix="Create the missing object or key in the pod's namespace (or mark the volume "
        "optional: true), or fix the storage backend named in the message.",
    docs=f"{K8S}/concepts/storage/volumes/")

ATTACH_FAILED = Rule(
    id="PW161", name="attach-failed", level="pod",
    title="A volume cannot be attached to the node",
    why="The attach/detach controller or CSI driver failed to attach the volume to the node.",
    fix="Check the CSI controller and the cloud disk named in the message.",
    docs=f"{K8S}/concepts/storage/persistent-volumes/")

MULTI_ATTACH = Rule(
    id="PW162", name="multi-attach", level="pod",
    title="Multi-Attach: the volume is in use on another node",
    why="A ReadWriteOnce volume is still attached to another node, typically for the old pod of a "
        "rolling update.",
    fix="Use strategy: Recreate for workloads with RWO volumes, or wait for (or remove) the pod "
        "that still holds it.",
    docs=f"{K8S}/concepts/storage/persistent-volumes/#access-modes")

RULES: tuple[Rule, ...] = (SANDBOX_FAILED, NETWORK_NOT_READY, DRA_PREPARE_FAILED, POD_NOT_STARTED,
                          MOUNT_FAILED, ATTACH_FAILED, MULTI_ATTACH)

#: the waiting reasons of containers behind the pod's set-up (or an init container)
SETUP_REASONS = frozenset({"ContainerCreating", "PodInitializing", ""})


def not_started(pod: PodSnapshot) -> bool:
    """True while the pod's containers wait for the pod-level setup (sandbox, volumes)."""
    if not pod.node_name or pod.terminal or pod.deletion_timestamp is not None:
        return False
    regular = pod.of_type("init", "sidecar", "app")
    # A container waiting for a reason of its own (an image pull, its config) means the
    # kubelet got past the pod's set-up: that container is the cause, not the pod.
    if any(c.state.kind == "waiting" and c.state.reason not in SETUP_REASONS
           for c in regular):
        return False
    prtsc = pod.condition("PodReadyToStartContainers")
    if prtsc is not None and prtsc.status == "False":
        return True
    # The kubelet pulls images after it mounted the volumes and made the sandbox (SyncPod):
    # with a Pulling event on record, what remains is the containers' own.
    if pod.events_with("Pulling"):
        return False
    if not any(c.has_status for c in regular):
        return True
    if any(c.state.kind in ("running", "terminated") or c.last_state.kind == "terminated"
           for c in regular):
        return False
    return any(c.state.kind == "waiting" and c.state.reason in SETUP_REASONS
               for c in regular)


#: how long the kubelet may take to set a scheduled pod up (sandbox, volumes, DRA claims,
#: image pulls: containers wait in ContainerCreating meanwhile) before podwhy calls it stuck
POD_SETUP_SECONDS = 600


def check_pod_setup(pod: PodSnapshot, now: datetime) -> list[Finding]:
    """Bound to a node, containers not started: the sandbox, DRA claims and volumes first
    (their events name the cause); without a failure on record, the pod waits for the
    kubelet until POD_SETUP_SECONDS, then it is stuck."""
    if not not_started(pod):
        return []
    prtsc = pod.condition("PodReadyToStartContainers")
    if prtsc is not None and prtsc.status == "True":
        # The sandbox exists, and the kubelet mounts volumes and prepares DRA claims before it
        # creates the sandbox (kubelet.go SyncPod, kuberuntime_manager.go SyncPod): their
        # failure events are history; the containers are being created.
        found = []
    else:
        found = _sandbox(pod) + _dynamic_resources(pod, now) + _volumes(pod)
    return found or [_not_started(pod, now)]


def _sandbox(pod: PodSnapshot) -> list[Finding]:
    net = pod.events_with("NetworkNotReady")
    if net:
        e = net[-1]
        return [finding(NETWORK_NOT_READY, "NetworkNotReady",
                        f"the network plugin on node {pod.node_name} is not ready",
                        detail=e.message, evidence=[ev(e)],
                        next_command=kubectl("get", "pods", "-A", "-o", "wide", "--field-selector",
                                             f"spec.nodeName={pod.node_name}"))]
    sb = pod.events_with("FailedCreatePodSandBox")
    if not sb:
        return []
    e = sb[-1]
    text = m.strip_combined(e.message)
    low = text.lower()
    hint = None
    if "oom-killed" in low or "oom killed" in low or "out of memory" in low:
        # runc's "container init was OOM-killed (memory limit too low?)": the cgroup limit
        # is too small for the runtime to even start the pod's processes.
        limited = sorted((c for c in pod.of_type("init", "sidecar", "app") if c.memory_limit),
                         key=lambda c: parse_quantity(c.memory_limit or "") or 0.0)
        if limited:
            c = limited[0]
            why = (f"the runtime's init process was OOM-killed: memory limit "
                   f"{c.memory_limit} of {where(c)} is too low to start it")
            hint = (f"Raise resources.limits.memory of {where(c)} (now {c.memory_limit}): "
                    "the runtime needs several MiB just to start a container.")
        else:
            why = "the runtime's init process was OOM-killed (a memory limit is too low)"
            hint = "Raise the pod's memory limits (or the LimitRange default that sets them)."
    elif "no ip addresses available" in low or ("ipam" in low and "exhaust" in low):
        why = "the CNI plugin has no IP addresses left (IPAM exhausted)"
    elif "runtimehandler" in low or "runtime handler" in low or "no runtime for" in low:
        why = "the RuntimeClass handler is not configured on the node"
    elif "sandbox image" in low or ("pause" in low and "pull" in low):
        why = "the node cannot pull the pause (sandbox) image"
    elif "failed to find plugin" in low or ("cni" in low and "not initialized" in low):
        why = "a CNI plugin binary or config is missing on the node"
    else:
        plugin = re.search(r'plugin type="([^"]+)"', text)
        why = (f"the CNI plugin {plugin.group(1)} failed" if plugin
               else "the container runtime could not create it")
    return [finding(SANDBOX_FAILED, "FailedCreatePodSandBox",
                    f"cannot create the pod sandbox on node {pod.node_name}: {why}",
                    detail=text, evidence=[ev(x) for x in sb[-2:]], hint=hint)]


_DRA_DRIVER = re.compile(r"(?:DRA driver|for driver|plugin name|driver) \"?([\w.-]+\.[\w.-]+)")
_DRA_CLAIM = re.compile(r"(?:ResourceClaim|resource claim|for claim|claim) \"?"
                        r"([\w.-]+/)?([\w.-]+)")


def _dynamic_resources(pod: PodSnapshot, now: datetime) -> list[Finding]:
    """FailedPrepareDynamicResources (KEP-4381 DRA): the kubelet could not prepare a
    ResourceClaim through its driver (pkg/kubelet/cm/dra/manager.go)."""
    evs = [e for e in pod.events_with("FailedPrepareDynamicResources") if recent(e, now)]
    if not evs:
        return []
    e = evs[-1]
    text = m.strip_combined(e.message)
    driver = _DRA_DRIVER.search(text)
    claim_m = _DRA_CLAIM.search(text)
    claim = claim_m.group(2) if claim_m else None
    if claim is None and len(pod.resource_claims) == 1:
        ref, name = next(iter(pod.resource_claims.items()))
        claim = name or ref
    what = f"ResourceClaim {claim}" if claim else "its ResourceClaims"
    if driver and ("not registered" in text or "not found in the list" in text):
        why = (f"DRA driver {driver.group(1)} is not registered on node {pod.node_name} "
               "(its kubelet plugin is not running there)")
        hint = (f"Start (or fix) the kubelet plugin of DRA driver {driver.group(1)} on node "
                f"{pod.node_name}: its DaemonSet pod there must be running.")
    else:
        why = text.removeprefix("Failed to prepare dynamic resources: ")[:200]
        hint = None
    claims = ", ".join(f"{ref} -> {name or '?'}" for ref, name in
                       sorted(pod.resource_claims.items()))
    evidence = [ev(e)]
    if claims:
        evidence.append(field("status.resourceClaimStatuses", claims))
    return [finding(DRA_PREPARE_FAILED, "FailedPrepareDynamicResources",
                    f"the kubelet cannot prepare {what} (dynamic resource allocation) for "
                    f"the pod: {why}", detail=text, evidence=evidence, hint=hint,
                    next_command=kubectl("get", "resourceclaims", "-n", pod.namespace))]


def _volumes(pod: PodSnapshot) -> list[Finding]:
    attach = pod.events_with("FailedAttachVolume")
    multi = [e for e in attach if "Multi-Attach" in e.message]
    if multi:
        e = multi[-1]
        vol = re.search(r'volume "([^"]+)"', e.message)
        users = re.search(r"used by pod\(s\) (.+)$", e.message)
        summary = f"volume {vol.group(1) if vol else '?'} is still attached to another node"
        if users:
            summary += f" (used by pod(s) {users.group(1).strip()})"
        return [finding(MULTI_ATTACH, "FailedAttachVolume", summary, detail=e.message,
                        evidence=[ev(e)])]
    if attach:
        e = attach[-1]
        vol = re.search(r'volume "([^"]+)"', e.message)
        return [finding(ATTACH_FAILED, "FailedAttachVolume",
                        f"cannot attach volume {vol.group(1) if vol else '?'} to node "
                        f"{pod.node_name}", detail=e.message, evidence=[ev(e)])]
    mounts = pod.events_with("FailedMount", "FailedMapVolume")
    if not mounts:
        return []
    parsed = [(e, m.parse_mount(e.message)) for e in mounts]
    specific = [(e, p) for e, p in parsed if p.specific]
    e, p = (specific or parsed)[-1]
    if p.kind in ("configmap", "secret", "persistentvolumeclaim"):
        summary = (f"volume {p.volume or '?'} cannot mount: {p.kind} {p.object} not found in "
                   f"namespace {pod.namespace}")
        hint = (f"Create the {p.kind} {p.object} in namespace {pod.namespace}, fix the name in "
                f"the pod spec, or mark the volume optional: true.")
    elif p.kind == "key":
        summary = f"volume {p.volume or '?'} cannot mount: key {p.object} is missing"
        hint = f"Add the key {p.object} or fix the items list of volume {p.volume}."
    elif p.kind == "timeout":
        summary = (f"volume {p.volume or '?'} is not mounted yet (timed out); no more specific "
                   "error is on record")
        hint = None
    else:
        summary = f"volume {p.volume or '?'} cannot mount: " + m.strip_combined(e.message)[:160]
        hint = None
    evidence = [ev(e)] + [ev(x) for x, _ in parsed if x is not e][-1:]
    # The kubelet retries the mount, but a ConfigMap, Secret, claim or key that does not
    # exist appears only when someone creates it; a timeout or a storage error may clear.
    missing = p.kind in ("configmap", "secret", "persistentvolumeclaim", "key")
    return [finding(MOUNT_FAILED, e.reason, summary, detail=m.strip_combined(e.message),
                    evidence=evidence, hint=hint, next_command=describe_cmd(pod),
                    terminal=True if missing else None)]


def _setup_since(pod: PodSnapshot) -> datetime | None:
    """Since when the kubelet has been setting the pod up: it was scheduled, or its sandbox
    was lost (PodReadyToStartContainers went False: a node reboot recreates it)."""
    cond = pod.condition("PodScheduled")
    when = cond.last_transition if cond is not None and cond.status == "True" else None
    since = when or pod.start_time or pod.created
    prtsc = pod.condition("PodReadyToStartContainers")
    lost = prtsc.last_transition if prtsc is not None and prtsc.status == "False" else None
    return max(since, lost) if since is not None and lost is not None else since or lost


def _not_started(pod: PodSnapshot, now: datetime) -> Finding:
    """No failure on record, containers not started: the kubelet is still at it, or stuck
    without a trace (a hung CSI driver, CNI plugin or runtime leaves no event; events expire
    after about an hour)."""
    node = pod.node_name
    wait = Wait(_setup_since(pod), POD_SETUP_SECONDS)
    regular = pod.of_type("init", "sidecar", "app")
    waiting = sorted({c.state.reason for c in regular if c.state.kind == "waiting"
                      and c.state.reason})
    reason = waiting[0] if len(waiting) == 1 else "ContainerCreating"
    prtsc = pod.condition("PodReadyToStartContainers")
    evidence: list[Evidence] = []
    if prtsc is not None and prtsc.status == "False":
        what = "the pod sandbox is not ready (PodReadyToStartContainers False)"
        evidence.append(field("status.conditions[PodReadyToStartContainers]", "False"))
    elif waiting:
        what = f"its containers are {'/'.join(waiting)}"
    else:
        what = "no container has a status yet"
    for c in regular:
        if c.state.kind == "waiting":
            evidence.append(field(f"{c.status_path}.state.waiting", c.state.reason or "-"))
            break
    summary = wait.says(
        now, stuck=f"stuck: its containers have not started on node {node} "
                   f"{wait.for_how_long(now)}: {what}, and no error event is on record "
                   "(events expire after about 1h); look at the kubelet and the container "
                   f"runtime on node {node}",
        waiting=f"waiting {wait.for_how_long(now)} for the kubelet on node {node} to set the "
                f"pod up (sandbox, volumes, image pulls): {what}; not started yet, stuck "
                f"after {wait.budget()}")
    return finding(POD_NOT_STARTED, reason, summary, evidence=evidence, wait=wait, now=now,
                   next_command=kubectl("describe", "node", node))
