"""The rule catalog: every rule's stable ID, level, title and user-facing docs.

IDs are never reused. Pod-level rules live in PW1xx, container-level rules in PW2xx,
workload-level rules (Deployments, Jobs, ...; above the pod level) in PW3xx. The order
of the chain itself is defined in :mod:`kubectl_podwhy.rules.chain`; this module only describes.
"""
from __future__ import annotations

from dataclasses import dataclass

from kubectl_podwhy.report import Level, Severity

K8S = "https://kubernetes.io/docs"
SCALE_UP_DEADLINE = ("none: failing at once; waiting for up to 15 minutes while the cluster "
                     "autoscaler reports a scale-up for the pod (TriggeredScaleUp)")


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    level: Level
    severity: Severity
    title: str
    why: str
    fix: str
    docs: str
    #: for rules about a waiting state: how long it may wait (severity "waiting") before it
    #: counts as stuck (the rule's severity); "" for rules without a waiting phase
    deadline: str = ""


def _r(id: str, name: str, level: Level, title: str, why: str, fix: str, docs: str,
       severity: Severity = "error", deadline: str = "") -> Rule:
    return Rule(id, name, level, severity, title, why, fix, docs, deadline)


RULES: tuple[Rule, ...] = (
    # --- object lifecycle -----------------------------------------------------------------
    _r("PW101", "terminating-finalizers", "pod", "Stuck terminating: finalizers block deletion",
       "The pod was deleted but metadata.finalizers is not empty; the API server keeps the object "
       "until every finalizer is removed by the controller that owns it.",
       "Find the controller that owns the finalizer and make it finish; as a last resort remove "
       "the finalizer with kubectl patch (the controller's cleanup will not run).",
       f"{K8S}/concepts/overview/working-with-objects/finalizers/"),
    _r("PW102", "terminating-node-lost", "pod", "Stuck terminating: its node is unreachable",
       "The pod was deleted, but the kubelet on its node is not reporting, so nobody can confirm "
       "that the containers stopped; the object stays until the node comes back or is removed.",
       "Recover the node, or delete the Node object (PodGC then removes its pods), or taint it "
       "node.kubernetes.io/out-of-service=nodeshutdown:NoExecute. Force deletion "
       "(--grace-period=0 --force) is unsafe for StatefulSets.",
       f"{K8S}/concepts/cluster-administration/node-shutdown/#non-graceful-node-shutdown"),
    _r("PW103", "terminating-stuck", "pod", "Stuck terminating past its grace period",
       "The pod was deleted longer ago than its grace period allows and still exists: a preStop "
       "hook hangs, the runtime failed to kill it, or a volume does not unmount.",
       "Read the pod's events (FailedKillPod, FailedPreStopHook) and the kubelet log on the node; "
       "check the container runtime on that node.",
       f"{K8S}/concepts/workloads/pods/pod-lifecycle/#pod-termination"),
    _r("PW104", "terminating", "pod", "Being deleted (within its grace period)",
       "The pod has a deletionTimestamp and is shutting down; readiness and container states "
       "during termination are not failures.",
       "Nothing, unless it is still there 30 s after its grace period (PW101-PW103 then say "
       "why).",
       f"{K8S}/concepts/workloads/pods/pod-lifecycle/#pod-termination", severity="waiting",
       deadline="its grace period (deletionGracePeriodSeconds) and 30 s more for the kubelet's "
                "kill and the finalizers' controllers; past it, PW101-PW103 say why it is "
                "stuck"),
    # --- terminal pod reasons -------------------------------------------------------------
    _r("PW110", "evicted", "pod", "Evicted by the kubelet",
       "The kubelet evicted the pod: either the node ran low on memory, disk or PIDs (it evicts "
       "the pods using most above their requests first), or the pod broke a limit of its own: "
       "a container's ephemeral-storage limit, the sum of its containers' limits, or an "
       "emptyDir sizeLimit (then the node was fine). The summary says which. The containers may "
       "show exit 137 or ContainerStatusUnknown: that is the eviction, not an application error.",
       "For node pressure: set memory requests close to real usage (or Guaranteed QoS), and "
       "ephemeral-storage requests and limits for disk; for a limit of the pod's own, raise that "
       "limit or write less. Delete the Failed pod when done.",
       f"{K8S}/concepts/scheduling-eviction/node-pressure-eviction/"),
    _r("PW111", "preempted", "pod", "Preempted for a higher-priority pod",
       "The scheduler (or the kubelet, for critical pods) removed this pod to make room for a pod "
       "with a higher priority.",
       "Give the workload a PriorityClass that matches its importance, or add capacity.",
       f"{K8S}/concepts/scheduling-eviction/pod-priority-preemption/"),
    _r("PW112", "taint-manager-eviction", "pod", "Deleted by the taint manager (NoExecute taint)",
       "Its node got a NoExecute taint (typically not-ready or unreachable) that the pod does not "
       "tolerate, or its tolerationSeconds ran out.",
       "Fix the node; tolerate the taint for longer if the workload should ride out node blips.",
       f"{K8S}/concepts/scheduling-eviction/taint-and-toleration/#taint-based-evictions"),
    _r("PW113", "pod-gc", "pod", "Removed by pod garbage collection",
       "PodGC force-deleted the pod, usually because its node no longer exists.",
       "Nothing to fix on the pod; find out why the node went away.",
       f"{K8S}/concepts/workloads/pods/pod-lifecycle/#pod-garbage-collection"),
    _r("PW114", "api-eviction", "pod", "Evicted through the Eviction API",
       "A voluntary disruption: kubectl drain, the descheduler, the cluster autoscaler or the VPA "
       "updater evicted the pod.",
       "Expected during maintenance; protect availability with a PodDisruptionBudget.",
       f"{K8S}/concepts/scheduling-eviction/api-eviction/",
       deadline="while the evicted pod shuts down: its grace period and 30 s more"),
    _r("PW115", "node-shutdown", "pod", "Terminated by a node shutdown",
       "The kubelet stopped the pod because the node was shutting down (spot reclaim, reboot). "
       "Exit codes 137 and 143 here are the shutdown, not OOM.",
       "A controller (ReplicaSet, StatefulSet, DaemonSet, Job) recreates the pod elsewhere; "
       "a pod without one must be recreated by hand. Delete the Failed pod.",
       f"{K8S}/concepts/cluster-administration/node-shutdown/"),
    _r("PW116", "deadline-exceeded", "pod", "activeDeadlineSeconds exceeded",
       "The pod ran longer than spec.activeDeadlineSeconds and the kubelet killed it.",
       "Raise activeDeadlineSeconds, or find out why the work is slower than expected.",
       f"{K8S}/reference/kubernetes-api/workload-resources/pod-v1/#lifecycle"),
    _r("PW117", "admission-rejected", "pod", "Rejected by the kubelet at admission",
       "The scheduler bound the pod but the kubelet refused to run it (not enough resources on "
       "the node, node labels changed, a device plugin failed, a feature the node lacks).",
       "Check the node against the pod spec: allocatable, labels, device plugins, features. A "
       "controller replaces the pod; a pod without one must be recreated by hand.",
       f"{K8S}/concepts/workloads/pods/pod-lifecycle/#pod-phase"),
    _r("PW118", "pod-failed", "pod", "Pod failed with a pod-level reason",
       "The pod phase is Failed and status.reason names a cause outside the containers.",
       "Read status.message and the pod's events.",
       f"{K8S}/concepts/workloads/pods/pod-lifecycle/#pod-phase"),
    # --- scheduling -----------------------------------------------------------------------
    _r("PW120", "scheduling-gated", "pod", "Scheduling is blocked by scheduling gates",
       "spec.schedulingGates is not empty; the scheduler ignores the pod until every gate is "
       "removed, normally by the controller that added it (for example Kueue).",
       "Check the controller that owns the gate; remove the gate when it is safe.",
       f"{K8S}/concepts/scheduling-eviction/pod-scheduling-readiness/",
       deadline="5 minutes after the pod was created; a gate removed by its controller "
                "(Kueue admitting the workload) normally goes within seconds"),
    _r("PW121", "unschedulable-resources", "pod", "Unschedulable: not enough resources",
       "No node has enough free allocatable cpu, memory, pods or extended resources for the "
       "pod's requests (capacity may exist in total but not on one node).",
       "Lower the requests, free capacity, or add nodes.",
       f"{K8S}/concepts/configuration/manage-resources-containers/",
       deadline=SCALE_UP_DEADLINE),
    _r("PW122", "unschedulable-taints", "pod", "Unschedulable: untolerated node taints",
       "The nodes carry taints the pod does not tolerate. If the taint is not-ready, unreachable "
       "or a pressure taint, the nodes are the problem, not the pod.",
       "Add a toleration, or fix the tainted nodes.",
       f"{K8S}/concepts/scheduling-eviction/taint-and-toleration/",
       deadline=SCALE_UP_DEADLINE),
    _r("PW123", "unschedulable-affinity", "pod", "Unschedulable: node selector or affinity",
       "No node has the labels that the pod's nodeSelector or required node affinity asks for, "
       "or spec.nodeName names a node that does not exist.",
       "Fix the selector or affinity, or label the nodes it should run on.",
       f"{K8S}/concepts/scheduling-eviction/assign-pod-node/",
       deadline=SCALE_UP_DEADLINE),
    _r("PW124", "unschedulable-host-ports", "pod", "Unschedulable: host port already in use",
       "The pod asks for a hostPort that every candidate node already gives to another pod.",
       "Drop the hostPort (use a Service), or add nodes; one such pod fits per node.",
       f"{K8S}/concepts/configuration/overview/#services",
       deadline=SCALE_UP_DEADLINE),
    _r("PW125", "unschedulable-topology", "pod",
       "Unschedulable: pod affinity, anti-affinity or topology spread",
       "Inter-pod (anti-)affinity or topologySpreadConstraints leave no eligible node, often "
       "because there are more replicas than distinct topology domains.",
       "Relax the constraint (preferred instead of required, larger maxSkew, "
       "whenUnsatisfiable: ScheduleAnyway) or add nodes in new domains.",
       f"{K8S}/concepts/scheduling-eviction/topology-spread-constraints/",
       deadline=SCALE_UP_DEADLINE),
    _r("PW126", "unschedulable-volumes", "pod", "Unschedulable: volume or PVC problem",
       "A PersistentVolumeClaim the pod uses is missing, not bound, or bound to a volume no node "
       "can reach (zone or node affinity, attach limits).",
       "Create the claim, check its StorageClass and provisioner (kubectl describe pvc), or make "
       "the volume's zone match the nodes.",
       f"{K8S}/concepts/storage/persistent-volumes/",
       deadline=SCALE_UP_DEADLINE),
    _r("PW127", "unschedulable-cordoned", "pod", "Unschedulable: nodes are cordoned",
       "The nodes that could run the pod are marked unschedulable (kubectl cordon or drain).",
       "Uncordon the nodes when maintenance is over, or add nodes.",
       f"{K8S}/concepts/architecture/nodes/#manual-node-administration",
       deadline=SCALE_UP_DEADLINE),
    _r("PW128", "unschedulable", "pod", "Unschedulable",
       "The scheduler found no node for the pod (no nodes, or a reason podwhy does not classify).",
       "Read the FailedScheduling message; check that the cluster has ready nodes.",
       f"{K8S}/concepts/scheduling-eviction/kube-scheduler/",
       deadline=SCALE_UP_DEADLINE),
    _r("PW129", "scheduler-error", "pod", "The scheduler failed on this pod",
       "The scheduler hit an internal error (for example an affinity it cannot parse) instead of "
       "a normal fit failure.",
       "Read the message and the scheduler's logs; check the pod's affinity syntax.",
       f"{K8S}/concepts/scheduling-eviction/kube-scheduler/"),
    _r("PW130", "no-scheduler", "pod", "No scheduler is picking the pod up",
       "The pod is Pending without any scheduling attempt recorded; its spec.schedulerName names "
       "a scheduler that is not running (or the default scheduler is down).",
       "Start the scheduler the pod names, or remove spec.schedulerName.",
       f"{K8S}/tasks/extend-kubernetes/configure-multiple-schedulers/",
       deadline="2 minutes after the pod was created for the default-scheduler, 1 minute for "
                "others (a scheduler tries a new pod within milliseconds)"),
    _r("PW131", "preemption-pending", "pod", "Waiting for preemption victims to leave",
       "The scheduler nominated a node and is evicting lower-priority pods there; the pod binds "
       "when they are gone (their grace period applies).",
       "Usually transient; if it lasts, check the victims' termination.",
       f"{K8S}/concepts/scheduling-eviction/pod-priority-preemption/",
       deadline="5 minutes (victims leave within their grace period, 30 s by default)"),
    # --- node -----------------------------------------------------------------------------
    _r("PW140", "node-not-ready", "pod", "Its node is NotReady or unreachable",
       "The pod's node stopped reporting Ready (kubelet down, runtime down, network partition). "
       "The pod still says Running but nothing observes it; after tolerationSeconds it is evicted.",
       "Fix the node (kubelet, container runtime, network); kubectl describe node shows the "
       "condition message.",
       f"{K8S}/reference/node/node-status/#condition"),
    _r("PW141", "node-missing", "pod", "Its node no longer exists",
       "spec.nodeName names a Node object that is gone; PodGC will mark the pod Failed and "
       "delete it.",
       "Let the controller recreate the pod; find out why the node was removed.",
       f"{K8S}/concepts/workloads/pods/pod-lifecycle/#pod-garbage-collection"),
    # --- sandbox and network --------------------------------------------------------------
    _r("PW150", "sandbox-failed", "pod", "The pod sandbox cannot be created",
       "The container runtime failed to create the pod sandbox: usually the CNI plugin (IP "
       "address exhaustion, plugin missing or failing), a missing RuntimeClass handler, or the "
       "pause image. This is a node or network problem, not the application's.",
       "Check the CNI DaemonSet on that node and the runtime's logs; the error names the plugin. "
       "When the runtime's init process was OOM-killed, raise the memory limit named.",
       f"{K8S}/concepts/extend-kubernetes/compute-storage-net/network-plugins/"),
    _r("PW151", "network-not-ready", "pod", "The node's network plugin is not ready",
       "The container runtime reports NetworkReady=false on the node: the CNI plugin is not "
       "installed or not initialised there.",
       "Check the CNI DaemonSet's pod on that node.",
       f"{K8S}/concepts/extend-kubernetes/compute-storage-net/network-plugins/"),
    _r("PW152", "dra-prepare-failed", "pod",
       "Dynamic resources (DRA) cannot be prepared on the node",
       "The kubelet cannot prepare a ResourceClaim the pod uses (FailedPrepareDynamicResources): "
       "the claim's DRA driver is not registered on the node (its kubelet plugin is not "
       "running) or the driver's NodePrepareResources call fails. The containers wait in "
       "ContainerCreating.",
       "Check the DRA driver's kubelet plugin (its DaemonSet pod) on that node and its logs; "
       "kubectl get resourceclaims shows the claim's allocation.",
       f"{K8S}/concepts/scheduling-eviction/dynamic-resource-allocation/"),
    _r("PW153", "pod-not-started", "pod", "Scheduled, but its containers have not started",
       "The pod is bound to a node but its containers are not created (ContainerCreating or "
       "PodInitializing, the sandbox not ready) and no error event is on record: the kubelet is "
       "still pulling images or mounting volumes, or it is stuck without a trace (a hung CSI "
       "driver, CNI plugin or container runtime; events also expire after about an hour).",
       "On that node, read the kubelet log (journalctl -u kubelet) and the runtime's (crictl "
       "pods, crictl ps -a); check the CSI and CNI pods there.",
       f"{K8S}/concepts/workloads/pods/pod-lifecycle/#container-state-waiting",
       deadline="10 minutes after the pod was scheduled (image pulls included)"),
    # --- volumes --------------------------------------------------------------------------
    _r("PW160", "mount-failed", "pod", "A volume cannot be mounted",
       "The kubelet cannot set up one of the pod's volumes: the ConfigMap, Secret or claim it "
       "refers to is missing, a key is missing, or the storage backend fails.",
       "Create the missing object or key in the pod's namespace (or mark the volume "
       "optional: true), or fix the storage backend named in the message.",
       f"{K8S}/concepts/storage/volumes/"),
    _r("PW161", "attach-failed", "pod", "A volume cannot be attached to the node",
       "The attach/detach controller or CSI driver failed to attach the volume to the node.",
       "Check the CSI controller and the cloud disk named in the message.",
       f"{K8S}/concepts/storage/persistent-volumes/"),
    _r("PW162", "multi-attach", "pod", "Multi-Attach: the volume is in use on another node",
       "A ReadWriteOnce volume is still attached to another node, typically for the old pod of a "
       "rolling update.",
       "Use strategy: Recreate for workloads with RWO volumes, or wait for (or remove) the pod "
       "that still holds it.",
       f"{K8S}/concepts/storage/persistent-volumes/#access-modes"),
    # --- readiness gates ------------------------------------------------------------------
    _r("PW170", "readiness-gates", "pod", "A readiness gate is not satisfied",
       "All containers are ready but a condition named in spec.readinessGates is missing or not "
       "True; an external controller (a load balancer controller, for example) owns it.",
       "Check the controller that sets the condition, not the application.",
       f"{K8S}/concepts/workloads/pods/pod-lifecycle/#pod-readiness-gate",
       deadline="5 minutes after its containers became ready"),
    # --- status podwhy cannot read, and what nothing else explains ------------------------
    _r("PW190", "status-unreadable", "pod", "The pod's status cannot be read",
       "The pod's status is null, malformed or impossible (no phase, phase Unknown, phase "
       "Running without container statuses), or fields podwhy reads hold another JSON type "
       "than the API gives them (read as absent; reason WrongFieldTypes, reported when no "
       "other error names a cause): a damaged object or a broken export. podwhy will not call "
       "such a pod healthy.",
       "Read the object as the API server has it (kubectl get pod -o yaml); re-export it.",
       f"{K8S}/concepts/workloads/pods/pod-lifecycle/#pod-phase"),
    _r("PW191", "pod-not-ready", "pod", "Not ready, and no rule names why",
       "The pod is not Ready and no container, condition or event podwhy knows explains it; "
       "the Ready condition's reason and message are shown.",
       "kubectl describe pod; read the conditions and the containers' states.",
       f"{K8S}/concepts/workloads/pods/pod-lifecycle/#pod-conditions",
       deadline="5 minutes after the Ready condition last changed"),
    # --- images ---------------------------------------------------------------------------
    _r("PW201", "image-not-found", "container", "Image not found",
       "The registry has no such repository or tag (a typo, a tag never pushed, a wrong platform).",
       "Fix the image name or tag, or push the image.",
       f"{K8S}/concepts/containers/images/"),
    _r("PW202", "image-pull-unauthorized", "container", "Image pull not authorized",
       "The registry refused the pull: credentials are missing or wrong, or the repository is "
       "private (registries also say this for repositories that do not exist).",
       "Add or fix imagePullSecrets in the pod's namespace (or the service account's).",
       f"{K8S}/tasks/configure-pod-container/pull-image-private-registry/"),
    _r("PW203", "registry-unreachable", "container", "Registry unreachable",
       "The node cannot reach the registry: DNS, connection refused, timeout, proxy or TLS "
       "certificate errors.",
       "Check the node's DNS, egress, proxy and the registry's certificate.",
       f"{K8S}/concepts/containers/images/"),
    _r("PW204", "image-pull-rate-limited", "container", "Registry rate limit reached",
       "The registry answered 429 Too Many Requests.",
       "Authenticate pulls, use a pull-through mirror, or pin images to a digest already cached.",
       f"{K8S}/concepts/containers/images/"),
    _r("PW205", "image-pull-failed", "container", "Image pull failing",
       "The image cannot be pulled and the exact error is no longer in the status or events "
       "(or it is not one podwhy classifies).",
       "Run the pull by hand on the node (crictl pull) or read the kubelet log.",
       f"{K8S}/concepts/containers/images/"),
    _r("PW206", "invalid-image-name", "container", "Invalid image name",
       "The image reference in the pod spec cannot be parsed (bad characters, upper case, a "
       "stray space or scheme).",
       "Fix the image string (registry/repository:tag or @sha256:digest, lower case).",
       f"{K8S}/concepts/containers/images/#image-names"),
    _r("PW207", "image-never-pull", "container", "Image not on the node and pull policy is Never",
       "imagePullPolicy: Never and the image is not present on the node.",
       "Load the image onto the node (kind load, minikube image load) or change the policy.",
       f"{K8S}/concepts/containers/images/#image-pull-policy"),
    # --- create and start -----------------------------------------------------------------
    _r("PW210", "config-error", "container", "Container configuration error",
       "The kubelet cannot build the container's configuration: a Secret or ConfigMap referenced "
       "by env/envFrom is missing, a key is missing, or runAsNonRoot cannot be verified.",
       "Create the object or key in the pod's namespace (or mark the reference optional), or set "
       "runAsUser / fix the image's USER.",
       f"{K8S}/concepts/configuration/secret/"),
    _r("PW211", "create-error", "container", "The runtime cannot create the container",
       "The container runtime's CreateContainer failed (a bad mount or device, a name conflict, "
       "or a slow runtime on the node: context deadline exceeded).",
       "Read the message; a timeout points at the node's runtime, anything else at the spec.",
       f"{K8S}/tasks/debug/debug-application/debug-pods/"),
    _r("PW212", "start-error", "container", "The container cannot start",
       "The runtime created the container but could not start its process: the command or "
       "entrypoint is missing, not executable, built for another architecture, or a mount, "
       "seccomp or AppArmor setting blocks it.",
       "Fix command/args or the image's entrypoint; the message names the binary.",
       f"{K8S}/tasks/debug/debug-application/debug-pods/"),
    _r("PW213", "waiting-unknown", "container", "Waiting for a reason podwhy does not know",
       "The container is waiting with a reason outside the kubelet's known ones (a newer "
       "kubelet, another runtime, a custom status writer); podwhy shows it with its message "
       "rather than calling the pod healthy.",
       "Read the reason and message (kubectl describe pod) and the node's kubelet log.",
       f"{K8S}/concepts/workloads/pods/pod-lifecycle/#container-state-waiting"),
    _r("PW214", "container-creating", "container", "Container being created",
       "The pod is set up but this container is not created yet (ContainerCreating or "
       "PodInitializing): its image is being pulled or the runtime is creating it. No error "
       "is on record.",
       "If it lasts: kubectl describe pod for Pulling events; check the registry's speed and "
       "the container runtime on the node.",
       f"{K8S}/concepts/workloads/pods/pod-lifecycle/#container-state-waiting",
       deadline="10 minutes after the containers before it finished (or the pod started); "
                "an image pull on record (a Pulling event, no Pulled or Failed after it): 30 "
                "minutes from that event (the kubelet sets no limit; containerd cancels a pull "
                "without progress for 5 minutes, which shows as ErrImagePull)"),
    # --- crashes --------------------------------------------------------------------------
    _r("PW220", "crashloop-oomkilled", "container", "Crash loop: killed for running out of memory",
       "The container exceeded its memory limit (or the node ran out of memory) and the kernel "
       "killed it; the kubelet keeps restarting it with back-off.",
       "Raise resources.limits.memory to what the process needs, or fix the leak.",
       f"{K8S}/tasks/configure-pod-container/assign-memory-resource/"),
    _r("PW221", "crashloop-exit", "container",
       "Crash loop: the process keeps exiting with an error",
       "The process exits with a non-zero code (or is killed by a signal) soon after it starts.",
       "Read the previous run's logs (kubectl logs --previous); the exit code hints at the cause.",
       f"{K8S}/concepts/workloads/pods/pod-lifecycle/#container-restarts"),
    _r("PW222", "crashloop-completed", "container", "Crash loop: the process exits successfully",
       "The process exits with code 0 but restartPolicy is Always, so the kubelet restarts it: "
       "a one-shot command in a Deployment, or a daemon that forks into the background.",
       "Run one-shot work as a Job, or keep the main process in the foreground.",
       f"{K8S}/concepts/workloads/pods/pod-lifecycle/#restart-policy"),
    _r("PW224", "container-failed", "container", "The container failed and will not be restarted",
       "The container exited non-zero under restartPolicy Never or OnFailure (the pod or Job "
       "attempt failed).",
       "Read its logs (kubectl logs -c NAME); the exit code hints at the cause.",
       f"{K8S}/tasks/debug/debug-application/determine-reason-pod-failure/"),
    # --- probes and hooks -----------------------------------------------------------------
    _r("PW230", "liveness-probe", "container", "Liveness probe failing",
       "The liveness probe fails, so the kubelet kills and restarts the container.",
       "Check that the endpoint answers within timeoutSeconds; give slow starts a startupProbe; "
       "never make liveness depend on other services.",
       f"{K8S}/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/"),
    _r("PW231", "startup-probe", "container", "Startup probe failing",
       "The startup probe has not succeeded; the container is restarted when it runs out of "
       "attempts, and (for a sidecar) the containers after it do not start.",
       "Raise failureThreshold x periodSeconds to cover the real start time, or fix the endpoint.",
       f"{K8S}/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
       deadline="the probe's own budget (initialDelaySeconds + failureThreshold x "
                "periodSeconds): the kubelet restarts the container then"),
    _r("PW232", "readiness-probe", "container", "Readiness probe failing",
       "The container runs but its readiness probe fails, so the pod gets no Service traffic.",
       "Check the probe's endpoint and the dependencies it checks; kubectl logs shows why.",
       f"{K8S}/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
       deadline="after the container started: the startup probe's budget, then the readiness "
                "probe's initialDelaySeconds + failureThreshold x periodSeconds, plus 30 s"),
    _r("PW233", "not-ready", "container", "Container running but not ready",
       "The container is running but not ready and no probe failure is on record (events may "
       "have expired).",
       "Describe the pod and check the readiness probe and the application's logs.",
       f"{K8S}/concepts/workloads/pods/pod-lifecycle/#container-probes",
       deadline="as PW232 with a readiness probe; without one, 2 minutes after it started"),
    _r("PW240", "poststart-hook", "container", "postStart hook failing",
       "The container's postStart hook failed, so the kubelet killed the container. The error is "
       "deliberately kept out of events (it may hold secrets): it is in the kubelet log.",
       "Fix the lifecycle.postStart command; test it with kubectl exec.",
       f"{K8S}/concepts/containers/container-lifecycle-hooks/"),
    _r("PW241", "prestop-hook", "container", "preStop hook failing",
       "The container's preStop hook failed when the pod was stopped.",
       "Fix the lifecycle.preStop command.",
       f"{K8S}/concepts/containers/container-lifecycle-hooks/", severity="warning"),
    # --- init containers, history, ephemeral ----------------------------------------------
    _r("PW250", "init-stuck", "container", "Init container running for a long time",
       "An init container has been running for a long time, so the app containers wait "
       "(Init:N/M); it typically waits for a dependency that never comes.",
       "Read its logs (kubectl logs -c NAME) to see what it waits for. If it is meant to keep "
       "running beside the app (a proxy, an agent), make it a native sidecar: restartPolicy: "
       "Always on the init container (Kubernetes 1.29+).",
       f"{K8S}/concepts/workloads/pods/init-containers/",
       deadline="10 minutes after it started"),
    _r("PW260", "recent-restart", "container", "Restarted recently, now running",
       "The container is running again, but its previous run ended in an error or OOM kill "
       "within the last hour.",
       "Check kubectl logs --previous before the evidence is gone.",
       f"{K8S}/concepts/workloads/pods/pod-lifecycle/#container-restarts", severity="warning"),
    _r("PW270", "ephemeral-container", "container", "Ephemeral (debug) container problem",
       "A kubectl debug container failed; this never affects the pod's health.",
       "Fix the debug image or --target and run kubectl debug again.",
       f"{K8S}/concepts/workloads/pods/ephemeral-containers/", severity="warning"),
)

WORKLOAD_RULES: tuple[Rule, ...] = (
    _r("PW301", "failed-create", "workload", "The controller cannot create pods",
       "The ReplicaSet, Job, StatefulSet or DaemonSet controller's pod creations are rejected by "
       "the API server: a ResourceQuota is exhausted, PodSecurity admission or a webhook denies "
       "the pod, its ServiceAccount does not exist, or a LimitRange forbids its resources.",
       "Read the FailedCreate message: raise or free the quota, make the pod spec meet the "
       "namespace's Pod Security level, create the ServiceAccount, or fix the webhook.",
       f"{K8S}/concepts/policy/resource-quotas/"),
    _r("PW302", "progress-deadline", "workload", "Rollout stuck: progress deadline exceeded",
       "The Deployment's new ReplicaSet did not become available within "
       "progressDeadlineSeconds; the controller gave up reporting progress (it keeps trying).",
       "Fix what the new pods fail on (see their verdict), then roll out again, or roll back "
       "with kubectl rollout undo.",
       f"{K8S}/concepts/workloads/controllers/deployment/#failed-deployment"),
    _r("PW303", "rollout-stalled", "workload", "Rollout stalled: the new pods fail",
       "The new ReplicaSet's pods are failing while the old ReplicaSet still serves traffic; "
       "the rollout cannot finish.",
       "Fix what the new pods fail on (see their verdict), or roll back with "
       "kubectl rollout undo.",
       f"{K8S}/concepts/workloads/controllers/deployment/#rolling-back-a-deployment"),
    _r("PW304", "job-backoff-limit", "workload", "Job failed: backoff limit reached",
       "The Job's pods failed more times than spec.backoffLimit allows; the Job is Failed and "
       "creates no more pods.",
       "Fix what its pods fail on (see their verdict or kubectl logs job/NAME), then re-run it.",
       f"{K8S}/concepts/workloads/controllers/job/#pod-backoff-failure-policy"),
    _r("PW305", "job-deadline", "workload", "Job failed: active deadline exceeded",
       "The Job ran longer than spec.activeDeadlineSeconds; its running pods were terminated.",
       "Raise activeDeadlineSeconds, or find out why the work is slower than expected.",
       f"{K8S}/concepts/workloads/controllers/job/#job-termination-and-cleanup"),
    _r("PW306", "cronjob-suspended", "workload", "CronJob is suspended",
       "spec.suspend is true, so no Jobs are created for its schedule.",
       "kubectl patch cronjob NAME -p '{\"spec\":{\"suspend\":false}}' when it should run.",
       f"{K8S}/concepts/workloads/controllers/cron-jobs/#schedule-suspension",
       severity="warning"),
    _r("PW307", "daemonset-no-nodes", "workload", "DaemonSet fits no node",
       "The DaemonSet wants to run on no node at all: its nodeSelector or node affinity matches "
       "no node, or every node carries a NoSchedule/NoExecute taint it does not tolerate. "
       "Nothing is down (kubectl rollout status reports it rolled out), so it is a warning.",
       "Fix the nodeSelector/affinity, label the nodes, or add tolerations. If it is meant "
       "for a node pool that is empty now (a GPU pool scaled to zero), nothing is wrong.",
       f"{K8S}/concepts/workloads/controllers/daemonset/#running-pods-on-select-nodes",
       severity="warning"),
    _r("PW308", "scaled-to-zero", "workload", "Scaled to zero",
       "spec.replicas is 0: no pods are wanted (an autoscaler, a person, or a GitOps tool set it).",
       "kubectl scale --replicas=N when it should run.",
       f"{K8S}/concepts/workloads/controllers/deployment/#scaling-a-deployment",
       severity="warning"),
    _r("PW309", "missing-pods", "workload", "Fewer pods than desired",
       "The workload has fewer pods than it wants and no controller error is on record: a "
       "StatefulSet waits for an earlier ordinal to become Ready, or pods are being replaced.",
       "Look at the first pod that is not Ready; for StatefulSets, ordinal N waits for N-1.",
       f"{K8S}/concepts/workloads/controllers/statefulset/#deployment-and-scaling-guarantees",
       deadline="waiting while the pod it waits for is progressing, failing when that pod "
                "fails; with no pod under way, 5 minutes after the last pod was created"),
    _r("PW310", "rollout-in-progress", "workload", "Rollout in progress",
       "The workload is rolling out, judged as kubectl rollout status does (observedGeneration, "
       "updated, ready and available replicas), or pods of its current revision are still "
       "starting, and none of them is failing.",
       "Nothing yet; kubectl podwhy shows what the new pods wait for. A paused Deployment "
       "(a warning) waits for kubectl rollout resume.",
       f"{K8S}/concepts/workloads/controllers/deployment/#deployment-status",
       deadline="a Deployment's progressDeadlineSeconds (600 s by default) after its last "
                "progress (the controller then reports PW302); StatefulSets, DaemonSets and "
                "ReplicaSets have none of their own: their pods' deadlines apply"),
    _r("PW311", "job-running", "workload", "Job running",
       "The Job (or the CronJob's newest Job) has not completed yet and none of its pods is "
       "failing.",
       "Nothing yet; kubectl podwhy job/NAME shows its pods.",
       f"{K8S}/concepts/workloads/controllers/job/",
       severity="waiting",
       deadline="the Job's activeDeadlineSeconds when set (then PW305); none otherwise"),
    _r("PW312", "job-failed", "workload", "Job failed",
       "The Job failed for a reason other than its backoff limit or deadline: its "
       "podFailurePolicy matched a failed pod (PodFailurePolicy), indexes failed "
       "(FailedIndexes, MaxFailedIndexesExceeded), or another reason the Job controller set.",
       "Read the Job's Failed condition and its failed pods; fix the cause and rerun the Job.",
       f"{K8S}/concepts/workloads/controllers/job/#pod-failure-policy"),
    _r("PW313", "job-suspended", "workload", "Job suspended",
       "spec.suspend is true: the Job controller runs no pod until it is resumed, or until a "
       "queue controller such as Kueue admits it (it suspends queued Jobs).",
       "Resume it (kubectl patch job NAME -p '{\"spec\":{\"suspend\":false}}') or look at "
       "its queue (Kueue: kubectl get workloads).",
       f"{K8S}/concepts/workloads/controllers/job/#suspending-a-job",
       severity="waiting",
       deadline="none: it waits until resumed or admitted"),
    _r("PW314", "cronjob-not-scheduling", "workload", "CronJob does not start Jobs on schedule",
       "The CronJob controller missed its scheduled times (MissSchedule, TooManyMissedTimes: "
       "the controller was down, startingDeadlineSeconds is too short, clock skew) or cannot "
       "read its schedule or time zone, and no Job was scheduled since.",
       "Read the event; fix the schedule or timeZone, set or raise startingDeadlineSeconds, "
       "check the kube-controller-manager.",
       f"{K8S}/concepts/workloads/controllers/cron-jobs/#cron-job-limitations"),
    _r("PW315", "workload-damaged", "workload", "The workload object is damaged",
       "Fields podwhy reads hold another JSON type than the API gives them (a count that is a "
       "string, a null entry in a list, a time that is not RFC 3339), in the object or in "
       "its events: a hand-edited or broken export. They are read as absent, and podwhy will "
       "not call such a workload healthy (reported when no other error names a cause).",
       "Read the object as the API server has it (kubectl get KIND/NAME -o yaml); re-export "
       "it.",
       f"{K8S}/reference/using-api/api-concepts/"),
)

RULES = (*RULES, *WORKLOAD_RULES)

RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}


def rule(rule_id: str) -> Rule:
    return RULES_BY_ID[rule_id]
