"""The one table of the kinds podwhy reads as targets: their names on the command line, API
group and version, REST resource (plural), and the owner kind between a workload and its pods.

Names and short names as ``kubectl api-resources`` lists them (the apps/v1 and batch/v1
discovery documents); owner chains as the controllers build them (Deployment -> ReplicaSet ->
Pod, CronJob -> Job -> Pod; the others own their pods directly).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """One kind: ``name`` (Deployment), ``group`` ("" for core), ``version``, ``plural`` (the
    REST resource), ``short`` names, and ``child``: the kind it owns that owns the pods, or
    None when it owns its pods directly (or is the Pod)."""

    name: str
    group: str
    version: str
    plural: str
    short: tuple[str, ...] = ()
    child: str | None = None

    @property
    def api_version(self) -> str:
        """``apps/v1``, ``batch/v1``; ``v1`` for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str, name: str = "") -> str:
        """The REST path of the collection in ``namespace``, or of one object in it: e.g.
        ``/apis/apps/v1/namespaces/shop/deployments/web``."""
        root = f"/apis/{self.api_version}" if self.group else f"/api/{self.version}"
        return f"{root}/namespaces/{namespace}/{self.plural}" + (f"/{name}" if name else "")

    def path_all(self) -> str:
        """The REST path of the collection across all namespaces: ``/apis/apps/v1/deployments``."""
        root = f"/apis/{self.api_version}" if self.group else f"/api/{self.version}"
        return f"{root}/{self.plural}"

    @property
    def aliases(self) -> tuple[str, ...]:
        """Every spelling kubectl accepts before ``/NAME``, lower case: singular, plural and
        short names, each also as ``NAME.GROUP`` and ``NAME.VERSION.GROUP``."""
        bare = (self.name.lower(), self.plural, *self.short)
        if not self.group:
            return bare
        return (*bare, *(f"{n}.{self.group}" for n in bare),
                *(f"{n}.{self.version}.{self.group}" for n in bare))


POD = Kind("Pod", "", "v1", "pods", ("po",))
KINDS: dict[str, Kind] = {k.name: k for k in (
    POD,
    Kind("Deployment", "apps", "v1", "deployments", ("deploy",), child="ReplicaSet"),
    Kind("StatefulSet", "apps", "v1", "statefulsets", ("sts",)),
    Kind("DaemonSet", "apps", "v1", "daemonsets", ("ds",)),
    Kind("ReplicaSet", "apps", "v1", "replicasets", ("rs",)),
    Kind("Job", "batch", "v1", "jobs"),
    Kind("CronJob", "batch", "v1", "cronjobs", ("cj",), child="Job"),
)}

#: the workload kinds podwhy diagnoses above their pods, in the order help texts name them
WORKLOAD_KINDS: tuple[str, ...] = tuple(k for k in KINDS if k != POD.name)

#: kubectl's spellings (deploy, deployments.apps, sts.v1.apps, ...) -> the kind's name
ALIASES: dict[str, str] = {a: k.name for k in KINDS.values() for a in k.aliases}
