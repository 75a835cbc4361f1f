"""What the user asked about: pods and workloads named like kubectl names them.

``web-0``, ``pod/web-0``, ``deploy/web``, ``deployments.apps/web``, ``sts/db``, ``ds/agent``,
``rs/web-7d9c``, ``job/backup``, ``cronjob/report`` (and every alias kubectl accepts).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from kubectl_podwhy.errors import UsageError
from kubectl_podwhy.kinds import ALIASES

_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")


@dataclass(frozen=True)
class Target:
    kind: str  # Pod or one of WORKLOAD_KINDS
    name: str

    @property
    def is_pod(self) -> bool:
        return self.kind == "Pod"

    def __str__(self) -> str:
        return f"{self.kind.lower()}/{self.name}"


#: a namespace name: a DNS-1123 label (k8s.io/apimachinery validation.IsDNS1123Label)
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def check_namespace(namespace: str, source: str = "-n") -> str:
    """``namespace`` if it can name a namespace (a DNS-1123 label, at most 63 characters),
    else UsageError: it goes into request paths, so "x/secrets?" must never reach one."""
    if not _NAMESPACE.fullmatch(namespace) or len(namespace) > 63:
        raise UsageError(f"invalid namespace {namespace!r} ({source}): a namespace is at most "
                         "63 lowercase letters, digits and '-', starting and ending with a "
                         "letter or digit")
    return namespace


def parse_targets(args: tuple[str, ...] | list[str]) -> list[Target]:
    """Parse ``NAME`` (a pod) or ``TYPE/NAME``; several may be given."""
    out: dict[Target, None] = {}  # in order, each once
    for arg in args:
        kind = "Pod"
        name = arg
        if "/" in arg:
            typ, _, name = arg.partition("/")
            found = ALIASES.get(typ.lower())
            if found is None:
                raise UsageError(f"unsupported target type {typ!r} in {arg!r}: use a pod name, "
                                 "pod/NAME, deploy/NAME, sts/NAME, ds/NAME, rs/NAME, job/NAME "
                                 "or cronjob/NAME")
            kind = found
        if not name or not _NAME.fullmatch(name) or len(name) > 253:
            raise UsageError(f"invalid name {name!r} in {arg!r}")
        out[Target(kind, name)] = None
    return list(out)
