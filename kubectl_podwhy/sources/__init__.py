"""Where pods and the objects around them come from: the cluster, or files.

Both sources answer two questions the same way (:class:`Source`): the raw objects a run
diagnoses, narrowed to what was asked, with the targets resolved in the bundle; and the logs
of the crashed containers its verdicts name.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from kubectl_podwhy.snapshot import Gathered, LogRequest
from kubectl_podwhy.targets import Target


class Source(Protocol):
    def gather(self, namespace: str | None, targets: Sequence[Target] = (),
               all_namespaces: bool = False, selector: str | None = None) -> Gathered:
        """The pods, their events, and the workloads, nodes and claims around them, for
        ``targets`` (pods and workloads; none: every pod) in ``namespace`` (None: the
        source's default) or every namespace, narrowed by the label ``selector``.
        ``Gathered.pod_targets`` / ``workload_targets`` name the targets as found.

        Raises NotFoundError (a named object, or anything matching ``selector``, is not
        there), InputError (unusable files) or ClusterError (the cluster cannot answer)."""
        ...

    def read_logs(self, g: Gathered, requests: Sequence[LogRequest]) -> None:
        """Add the container logs ``requests`` name to ``g.logs`` (what cannot be read: a
        one-line note in ``g.notes[""]``, never an error). The cluster reads pods/log; files
        hold only what a --dump recorded, loaded by gather."""
        ...
