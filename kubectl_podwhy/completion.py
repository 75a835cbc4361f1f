"""Shell completion: what each flag and argument offers, and the two ways shells ask for it.

- click's own mechanism, for ``kubectl-podwhy``: ``eval "$(_KUBECTL_PODWHY_COMPLETE=bash_source
  kubectl-podwhy)"`` (``zsh_source``, ``fish_source``) prints a script that asks again with
  ``bash_complete`` and friends.
- kubectl's, for ``kubectl podwhy``: kubectl (1.26 and later) runs ``kubectl_complete-podwhy``
  from PATH with the plugin's arguments, the word being completed last ("" for a new word),
  and reads one completion a line, ``value<TAB>description``, then ``:<directive>``
  (staging/src/k8s.io/kubectl/pkg/cmd/plugin/plugin_completion.go, pluginCompletion).

Flag names, ``-o`` and ``--color`` values come from click; this module adds file names for
``-f``, ``--kubeconfig`` and ``--dump``, rule IDs and names for ``--explain``, contexts from
the kubeconfig, and, read from the cluster (one LIST of one page, at most
COMPLETION_SECONDS, read-only), namespaces for ``-n`` and pod or ``TYPE/`` workload names for
targets. Completion never prints an error: what cannot be read is simply not offered.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import click

from kubectl_podwhy.kinds import ALIASES

if TYPE_CHECKING:  # click's completion module is imported only when a shell asks
    from click.shell_completion import CompletionItem

#: the environment variable click's completion scripts set (for the kubectl-podwhy command)
COMPLETE_VAR = "_KUBECTL_PODWHY_COMPLETE"
#: how long a completion may wait for the cluster (credentials and the request included)
COMPLETION_SECONDS = 5.0

# cobra's ShellCompDirective values (spf13/cobra completions.go): what the shell does after
DIRECTIVE_FILES = 0  # ShellCompDirectiveDefault: complete file names
DIRECTIVE_NO_FILES = 4  # ShellCompDirectiveNoFileComp: offer only the values given
DIRECTIVE_DIRS = 16  # ShellCompDirectiveFilterDirs: complete directory names


def _item(value: str, help: str | None = None, type: str = "plain") -> CompletionItem:
    from click.shell_completion import CompletionItem

    return CompletionItem(value, type=type, help=help)


def files(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """File names: the shell completes them itself."""
    return [_item(incomplete, type="file")]


def rules(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """--explain: rule IDs (PW221) and names (crashloop-exit) that start with ``incomplete``
    (any case), each with its title."""
    from kubectl_podwhy.rules.catalog import RULES

    low = incomplete.lower()
    return ([_item(r.id, r.title) for r in RULES if r.id.lower().startswith(low)]
            + [_item(r.name, r.title) for r in RULES if r.name.startswith(low)])


def contexts(ctx: click.Context, param: click.Parameter,
             incomplete: str) -> list[CompletionItem]:
    """--context: the kubeconfig's contexts."""
    from kubectl_podwhy.sources.cluster import context_names

    try:
        names = context_names(ctx.params.get("kubeconfig"))
    except Exception:  # completion never fails loudly
        return []
    return [_item(n) for n in names if n.startswith(incomplete) and n.isprintable()]


def namespaces(ctx: click.Context, param: click.Parameter,
               incomplete: str) -> list[CompletionItem]:
    """-n: the cluster's namespaces."""
    return [_item(n) for n in _names(ctx, "Namespace") if n.startswith(incomplete)]


def targets(ctx: click.Context, param: click.Parameter,
            incomplete: str) -> list[CompletionItem]:
    """Targets: pod names, or after ``TYPE/`` (deploy/, sts/, ...) that kind's names, in the
    namespace of -n (else the context's). Nothing with -f or -A (no cluster, no target)."""
    if ctx.params.get("filename") or ctx.params.get("all_namespaces"):
        return []
    typ, slash, prefix = incomplete.rpartition("/")
    kind = ALIASES.get(typ.lower()) if slash else "Pod"
    if kind is None:
        return []
    lead = f"{typ}/" if slash else ""
    return [_item(lead + n) for n in _names(ctx, kind) if n.startswith(prefix)]


def _names(ctx: click.Context, kind: str) -> list[str]:
    """The names of ``kind`` in the namespace the command line names, from the cluster of
    its --kubeconfig and --context; [] when they cannot be read within COMPLETION_SECONDS."""
    from kubectl_podwhy.sources import cluster

    try:
        src = cluster.open_source(ctx.params.get("kubeconfig"), ctx.params.get("context"),
                                  COMPLETION_SECONDS)
        names = src.names(kind, ctx.params.get("namespace") or src.default_namespace)
    except Exception:  # no kubeconfig, no cluster, forbidden, timed out: offer nothing
        return []
    # a name with a control character (the server's to choose) would reach the terminal or,
    # with a newline, split into a candidate of its own: it is not offered
    return [n for n in names if n.isprintable()]


def for_kubectl(items: Iterable[CompletionItem]) -> str:
    """Completions as kubectl's plugin completion reads them: ``value<TAB>help`` a line, then
    ``:<directive>``: file or directory names are left to the shell."""
    items = list(items)
    kinds = {i.type for i in items}
    if "file" in kinds:
        return f":{DIRECTIVE_FILES}\n"
    if "dir" in kinds:
        return f":{DIRECTIVE_DIRS}\n"
    # a value with a control character (a context name in a hand-written kubeconfig) would
    # break the one-a-line protocol or reach the terminal: it is not offered
    lines = [str(i.value) + (f"\t{' '.join(i.help.split())}" if i.help else "")
             for i in items if str(i.value).isprintable()]
    return "".join(f"{line}\n" for line in lines) + f":{DIRECTIVE_NO_FILES}\n"
