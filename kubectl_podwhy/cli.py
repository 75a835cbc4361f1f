"""``kubectl podwhy``: parse flags like kubectl, call the pieces, print, exit. Nothing else."""
from __future__ import annotations

import gc
import os
import re
import sys
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

import click

from kubectl_podwhy import __version__, completion
from kubectl_podwhy.defaults import DEFAULT_LOG_LINES, DEFAULT_MAX_RESTARTS, OUTPUT_FORMATS
from kubectl_podwhy.errors import ExitCode, PodwhyError, UsageError
from kubectl_podwhy.selector import parse_selector
from kubectl_podwhy.targets import Target, check_namespace, parse_targets
from kubectl_podwhy.timeutil import parse_time

# Start-up time is most of a one-pod run, so the CLI imports at module level only what every
# run needs (click, flag parsing). The engine and the renderers are imported in the functions
# that use them: --help, --version and a usage error never load them, -f never loads the
# cluster source (the kubernetes client), and only --wait / --watch load kubectl_podwhy.follow.
if TYPE_CHECKING:
    from kubectl_podwhy.sources import Source

PROG = "kubectl podwhy"

EPILOG = """\b
Examples:
  # Why is this pod not working?
  kubectl podwhy checkout-7f9c6d5b8-x2x9q -n shop

\b
  # A workload: its pods found through owner references, grouped by verdict
  kubectl podwhy deploy/web -n shop
  kubectl podwhy sts/db cronjob/nightly-report job/migrate-42

\b
  # The namespace that is on fire, or everything (healthy pods are counted, not listed)
  kubectl podwhy -n shop
  kubectl podwhy -A -l app.kubernetes.io/part-of=checkout

\b
  # Every pod in the current namespace, as JSON for a script
  kubectl podwhy -o json

\b
  # Offline: diagnose saved objects (kubectl get pod,events -o yaml > incident.yaml)
  kubectl podwhy -f incident.yaml

\b
  # Health check: exit 0 healthy, 1 failing, 5 progressing (not ready yet, no fault
  # found), 2 usage/input, 3 cluster, 4 not found
  kubectl podwhy web-0 -o json > /dev/null || echo "web-0 is not healthy"

\b
  # A crash loop: the crashed run's last 30 log lines with the verdict (0: none)
  kubectl podwhy web-0 --log-lines 30

\b
  # CD gate: wait for the rollout, fail fast with the cause (exit 0 / 1)
  kubectl apply -f k8s/ && kubectl podwhy deploy/web job/migrate -n shop --wait --timeout 10m

\b
  # During an incident: a line whenever a pod's or workload's state or verdict changes
  kubectl podwhy -n shop --watch

\b
  # The rules, and one rule's documentation
  kubectl podwhy --list-rules
  kubectl podwhy --explain PW220

\b
  # Shell completion for kubectl-podwhy (zsh_source, fish_source likewise); for
  # kubectl podwhy, kubectl 1.26+ runs kubectl_complete-podwhy, installed alongside
  eval "$(_KUBECTL_PODWHY_COMPLETE=bash_source kubectl-podwhy)"
"""


#: the longest error line; input quoted in a message (a 1 MB key, a tag) is cut in the middle
MAX_ERROR_CHARS = 400


def fail(message: str, code: ExitCode, own: bool = False) -> NoReturn:
    """One error line and exit ``code``. The message is sanitised (it may quote input),
    unless it is podwhy's ``own`` fixed text: Ctrl-C may come while the renderer that
    sanitises is still being imported, and its one line must not need that import."""
    if not own:
        from kubectl_podwhy.render import sanitize

        message = sanitize(message, single_line=True, limit=MAX_ERROR_CHARS)
    click.echo(f"error: {message}", err=True)
    sys.exit(int(code))


MAX_TIMEOUT_SECONDS = 24 * 3600
#: --log-lines at most (the kubelet serves any tail; a verdict is no place for more)
MAX_LOG_LINES = 1000


def parse_timeout(text: str, flag: str = "--request-timeout") -> float | None:
    """A kubectl duration (--request-timeout, --timeout): 0 (none), a number of seconds, or
    1h2m3s / 500ms; seconds, None for none; UsageError otherwise."""
    t = text.strip()
    if t == "0" or text == "":
        return None
    if re.fullmatch(r"\d+(\.\d+)?", t):
        t += "s"
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", t)
    if not parts or "".join(n + u for n, u in parts) != t:
        raise UsageError(f"invalid {flag} {text!r}: use e.g. 30s, 1m or 0 for none")
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    seconds = sum(float(n) * scale[u] for n, u in parts)
    if seconds > MAX_TIMEOUT_SECONDS:  # the socket layer overflows far above this
        raise UsageError(f"invalid {flag} {text!r}: at most 24h (or 0 for none)")
    return seconds or None


def rules_text(output: str, explain: str | None) -> str:
    """--list-rules and --explain in the -o format: text for table/wide; for json and yaml
    one rule's document, or a kubectl-style List of them."""
    from kubectl_podwhy.rules.docs import rule_docs, rules_document, rules_listing

    if output not in ("json", "yaml"):
        return rule_docs(explain) if explain is not None else rules_listing()
    from kubectl_podwhy.render import API_VERSION

    doc = rules_document(explain, API_VERSION)
    if output == "json":
        import json

        return json.dumps(doc, indent=2) + "\n"
    from kubectl_podwhy.yamlout import dump_yaml

    text: str = dump_yaml(doc, width=120)
    return text


@click.command(name=PROG, epilog=EPILOG,
               context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("targets", nargs=-1, metavar="[POD | TYPE/NAME ...]",
                shell_complete=completion.targets)
@click.option("-n", "--namespace", help="Namespace (default: the context's, else default).",
              shell_complete=completion.namespaces)
@click.option("-A", "--all-namespaces", is_flag=True, help="Diagnose pods in every namespace.")
@click.option("-l", "--selector", help="Only pods matching this label selector (app=web,tier!=db).")
@click.option("--show-healthy", is_flag=True,
              help="List healthy pods too when diagnosing many pods (they are counted anyway).")
@click.option("--context", help="The kubeconfig context to use.",
              shell_complete=completion.contexts)
@click.option("--kubeconfig", help="Path to the kubeconfig file.",
              shell_complete=completion.files)
@click.option("--request-timeout", default="30s", show_default=True,
              help="Time to wait for each API request (0: no limit).")
@click.option("-o", "--output", type=click.Choice(sorted(OUTPUT_FORMATS)), default="table",
              show_default=True, help="Output format.")
@click.option("--no-headers", is_flag=True,
              help="Table and wide output: print the pod rows only (no header, workloads, "
                   "counts or pod block), like kubectl get --no-headers; ignored for json and "
                   "yaml.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour output (auto: on a terminal, unless NO_COLOR).")
@click.option("-f", "--filename", multiple=True, shell_complete=completion.files,
              help="Read objects from a file or directory (- for stdin) instead of a cluster.")
@click.option("--dump", metavar="FILE", shell_complete=completion.files,
              help="Write what a live run gathered as a kubectl List (.json or .yaml).")
@click.option("--log-lines", type=click.IntRange(0, MAX_LOG_LINES), default=DEFAULT_LOG_LINES,
              show_default=True, metavar="N",
              help="Lines of a crashed container's log shown with its verdict (read through "
                   "pods/log, one log per group of pods with the same verdict); 0: none.")
@click.option("--list-rules", is_flag=True, help="List every rule, one per line, and exit.")
@click.option("--explain", metavar="ID", shell_complete=completion.rules,
              help="Print a rule's documentation (by ID or name) and exit.")
@click.option("--debug", is_flag=True,
              help="Show the traceback of an internal error (also PODWHY_DEBUG=1).")
@click.option("--now", metavar="TIME",
              help="Reference time for ages and deadlines, RFC 3339 (default: the current "
                   "time; with -f, when a --dump was taken, else the latest moment the input "
                   "proves had passed).")
@click.option("--wait", "wait_", is_flag=True,
              help="Follow the targets (through watches) until every one is healthy (exit 0), "
                   "one fails in a way Kubernetes will not fix by itself (exit 1 at once), one "
                   "has failed for --fail-after (exit 1), or --timeout passes (exit 1).")
@click.option("-w", "--watch", "watch_", is_flag=True,
              help="Print a line whenever a pod's or workload's state or verdict changes, "
                   "until interrupted (exit 0) or --timeout.")
@click.option("--timeout", metavar="DURATION",
              help="How long --wait waits (default 5m; 0: no limit), or --watch watches "
                   "(default: until interrupted).")
@click.option("--fail-after", metavar="DURATION",
              help="--wait: how long a failing verdict that may clear by itself is tolerated "
                   "(default 2m; 0: none).")
@click.option("--max-restarts", type=click.IntRange(0, 1_000_000), metavar="N",
              help="--wait: a crash loop (or liveness, startup, postStart failure) is "
                   "terminal once its container restarted N times (default 2).")
@click.version_option(__version__, prog_name="kubectl-podwhy")
def command(targets: tuple[str, ...], namespace: str | None, all_namespaces: bool,
            selector: str | None, show_healthy: bool, context: str | None,
            kubeconfig: str | None, request_timeout: str, output: str, no_headers: bool,
            color: str, filename: tuple[str, ...], dump: str | None, log_lines: int,
            list_rules: bool,
            explain: str | None, now: str | None, debug: bool, wait_: bool, watch_: bool,
            timeout: str | None, fail_after: str | None, max_restarts: int | None) -> None:
    """Why is this pod not working? Names the cause (pod level first, then containers),
    the container, the evidence and the fix.

    Each pod and workload is healthy, progressing (not ready yet, no fault found: the
    verdict says what it waits for, since when, and when it counts as stuck) or failing.

    Exit codes: 0 every target healthy, 1 at least one failing, 5 none failing but at least
    one progressing, 2 usage error, unusable input or output that cannot be written,
    3 cannot reach or authenticate to the cluster, 4 a named pod or workload (or its
    namespace) does not exist, or -l matches nothing, 70 podwhy itself failed (a bug;
    --debug shows it), 130 interrupted. With --wait: 0 every target healthy, 1 one failing
    (at once if Kubernetes will not fix it by itself, else after --fail-after) or --timeout
    passed; a missing target is waited for. --watch: 0 on Ctrl-C.
    """
    if list_rules or explain is not None:
        if wait_ or watch_:
            raise UsageError("--list-rules and --explain cannot be combined with --wait or "
                             "--watch")
        write(rules_text(output, explain), color=False)
        return
    wanted = parse_targets(targets)
    if namespace is not None:
        check_namespace(namespace)  # before any I/O; it goes into request paths
    if all_namespaces and wanted:
        raise UsageError("a pod or workload name cannot be combined with --all-namespaces")
    if selector:
        parse_selector(selector)  # a bad selector is a usage error, before any I/O
    flag_now = None
    if now:
        flag_now = parse_time(now) if re.match(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d", now) else None
        if flag_now is None:
            raise UsageError(f"invalid --now {now!r}: use RFC 3339 in the years 2 to 8999, "
                             "e.g. 2026-11-21T10:00:00Z")
    request_seconds = parse_timeout(request_timeout)  # a bad value is an error with -f too
    if filename and dump:
        raise UsageError("--dump records a live run; it cannot be combined with -f")
    use_color = color == "always" or (color == "auto" and sys.stdout is not None
                                      and sys.stdout.isatty()
                                      and not os.environ.get("NO_COLOR"))
    if wait_ or watch_:
        follow_run(FollowFlags(wait_, watch_, timeout, fail_after, max_restarts),
                   wanted, namespace, all_namespaces, selector, show_healthy, kubeconfig,
                   context, request_seconds, output, use_color, filename, dump, now,
                   log_lines, no_headers)
    for flag, given in (("--timeout", timeout), ("--fail-after", fail_after),
                        ("--max-restarts", max_restarts)):
        if given is not None:
            raise UsageError(f"{flag} needs --wait" + (" or --watch" if flag == "--timeout"
                                                       else ""))
    from datetime import datetime, timezone

    from kubectl_podwhy.render import RENDERERS, RenderOptions, sanitize
    from kubectl_podwhy.snapshot import reference
    from kubectl_podwhy.verdict import assemble, exit_code

    clock = datetime.now(timezone.utc)
    src: Source
    if filename:
        from kubectl_podwhy.sources.files import FileSource

        src = FileSource(filename)
    else:
        from kubectl_podwhy.sources import cluster

        _quiet_library_logs()
        src = cluster.open_source(kubeconfig, context, request_seconds, lean=not dump)
    g = src.gather(namespace, wanted, all_namespaces, selector)
    ref, basis, warning = reference(g, flag_now, clock)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    if g.nothing_found:
        click.echo(g.nothing_found, err=True)
    result = assemble(g, g.workload_targets, ref, basis=basis, pod_targets=g.pod_targets,
                      log_lines=log_lines, read_logs=src.read_logs)
    if dump:  # after the verdicts: with the logs they read
        from kubectl_podwhy.sources.files import write_dump

        write_dump(dump, g, ref)
    notes = sorted({n for r in result.pods for n in r.pod.notes} | set(g.notes.get("", [])))
    for n in notes:
        click.echo(f"warning: {sanitize(n, single_line=True)}", err=True)
    text = RENDERERS[output](result, RenderOptions(color=use_color, show_healthy=show_healthy,
                                                   no_headers=no_headers))
    code = int(exit_code(result))
    _VERDICT_CODE[0] = code  # the exit code still holds if the reader stops early (| head)
    write(text, color=use_color)
    sys.exit(code)


@dataclass(frozen=True)
class FollowFlags:
    wait: bool
    watch: bool
    timeout: str | None
    fail_after: str | None
    max_restarts: int | None


def follow_run(flags: FollowFlags, wanted: list[Target], namespace: str | None,
               all_namespaces: bool, selector: str | None, show_healthy: bool,
               kubeconfig: str | None, context: str | None, request_seconds: float | None,
               output: str, use_color: bool, filename: tuple[str, ...], dump: str | None,
               now: str | None, log_lines: int = 0, no_headers: bool = False) -> NoReturn:
    """--wait and --watch: follow the cluster through watches (kubectl_podwhy.follow)."""
    if filename:
        raise UsageError("--wait and --watch follow a cluster; they cannot be combined with -f")
    if flags.wait and flags.watch:
        raise UsageError("--wait and --watch cannot be combined: --wait ends with a verdict, "
                         "--watch reports changes until interrupted")
    for flag, given in (("--dump", dump), ("--now", now)):
        if given:
            raise UsageError(f"{flag} cannot be combined with --wait or --watch")
    if flags.watch:
        for flag, val in (("--fail-after", flags.fail_after),
                          ("--max-restarts", flags.max_restarts)):
            if val is not None:
                raise UsageError(f"{flag} needs --wait")
    for flag, text in (("--timeout", flags.timeout), ("--fail-after", flags.fail_after)):
        if text is not None and not (text.strip() and text.isascii()):
            raise UsageError(f"invalid {flag} {text!r}: use e.g. 30s, 5m, or 0 for none")
    from kubectl_podwhy import follow
    from kubectl_podwhy.render import RENDERERS, RenderOptions, change_line, sanitize

    limit = parse_timeout(flags.timeout, "--timeout") if flags.timeout is not None else (
        None if flags.watch else follow.DEFAULT_TIMEOUT_SECONDS)
    fail_after = follow.DEFAULT_FAIL_AFTER_SECONDS
    if flags.fail_after is not None:
        fail_after = parse_timeout(flags.fail_after, "--fail-after") or 0.0
    max_restarts = flags.max_restarts if flags.max_restarts is not None \
        else DEFAULT_MAX_RESTARTS
    from kubectl_podwhy.sources import watching

    _quiet_library_logs()
    src = watching.open_following(kubeconfig, context, request_seconds)
    ns = namespace if namespace is not None else check_namespace(
        src.default_namespace, "the kubeconfig context's namespace")
    req = follow.Request(ns, tuple(wanted), all_namespaces, selector)
    gc.enable()  # a long run: its garbage must be collected (main disables the collector)
    if flags.watch:
        try:
            follow.watch(src, req, lambda c: write(change_line(c, output, use_color),
                                                   use_color),
                         show_healthy=show_healthy, timeout=limit)
        except KeyboardInterrupt:
            pass  # the way to end a watch
        except BrokenPipeError:
            # the reader went away (| head): a watch ends there, with success (click would
            # turn the broken pipe into exit 1 before main sees it)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(int(ExitCode.HEALTHY))
    board = follow.StatusBoard(sys.stderr) if sys.stderr is not None and \
        sys.stderr.isatty() else None
    try:
        tick = follow.TICK_SECONDS if board is not None else follow.IDLE_SECONDS
        result = follow.wait(src, req, follow.WaitOptions(limit, fail_after, max_restarts, tick,
                                                          log_lines),
                             status=board.show if board else None)
    finally:
        if board is not None:
            board.clear()
    wait = result.wait
    assert wait is not None
    notes = sorted({n for r in result.pods for n in r.pod.notes} | set(wait.notes))
    for n in notes:
        click.echo(f"warning: {sanitize(n, single_line=True)}", err=True)
    text = RENDERERS[output](result, RenderOptions(color=use_color, show_healthy=show_healthy,
                                                   no_headers=no_headers))
    code = int(ExitCode.HEALTHY if wait.outcome == "healthy" else ExitCode.PROBLEM)
    _VERDICT_CODE[0] = code
    write(text, color=use_color)
    sys.exit(code)


def write(text: str, color: bool) -> None:
    """Print to stdout; UsageError (exit 2) when it cannot be written (closed, a full disk),
    never an internal error. A reader that went away (| head) is BrokenPipeError, for main."""
    if sys.stdout is None:
        raise UsageError("cannot write the output: standard output is closed")
    try:
        # click strips ANSI codes when stdout is not a terminal unless told otherwise
        click.echo(text, nl=False, color=color)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise UsageError(f"cannot write the output: {exc.strerror or exc}") from None


_VERDICT_CODE = [0]  # --list-rules, --explain: no verdict, success


_VALUED_SHORT = frozenset({"-n", "-l", "-o", "-f"})
_BOOL_FLAGS = frozenset({"-A", "--all-namespaces", "--show-healthy", "--list-rules", "--debug",
                         "--wait", "-w", "--watch", "--no-headers"})
_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})


def kubectl_style(args: list[str]) -> list[str]:
    """Flag spellings kubectl (spf13/pflag) accepts and click does not: ``-o=json`` (a short
    flag with ``=``) and ``--all-namespaces=true|false`` (a boolean flag with a value).
    Arguments after ``--`` are left alone."""
    out: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--":
            return out + args[i:]
        flag, eq, value = arg.partition("=")
        if eq and flag in _VALUED_SHORT:
            out += [flag, value]
        elif eq and flag in _BOOL_FLAGS:
            if value not in _TRUE | _FALSE:
                raise UsageError(f"invalid value {value!r} for {flag}: use true or false")
            if value in _TRUE:
                out.append(flag)
        else:
            out.append(arg)
    return out


def main(argv: list[str] | None = None) -> NoReturn:
    # Parsing large LISTs allocates millions of containers; the cyclic collector would rescan
    # them over and over (measured: 30% of a 5,000-pod run, growing faster than linearly).
    # The data are trees freed by reference counting, and the process is short-lived.
    gc.disable()
    # No Python warnings from libraries (urllib3's InsecureRequestWarning on every request
    # to a server with insecure-skip-tls-verify, which kubectl accepts silently): two raw
    # lines with a file path each, nothing the user can act on.
    if not _debug():
        warnings.simplefilter("ignore")
    instruction = os.environ.get(completion.COMPLETE_VAR)
    if instruction:  # a completion script asks (see kubectl_podwhy.completion)
        from click.shell_completion import shell_complete

        try:
            code = shell_complete(command, {}, "kubectl-podwhy", completion.COMPLETE_VAR,
                                  instruction)
        except Exception:  # COMP_WORDS/COMP_CWORD missing or garbled: offer nothing, quietly
            code = 0
        sys.exit(code)
    try:
        command.main(args=kubectl_style(sys.argv[1:] if argv is None else argv),
                     prog_name=PROG, standalone_mode=False)
    except click.exceptions.Exit as exc:  # --help, --version
        sys.exit(exc.exit_code)
    except click.ClickException as exc:  # bad flags: one line, exit 2
        fail(exc.format_message(), ExitCode.USAGE)
    except click.exceptions.Abort:  # click's name for Ctrl-C (KeyboardInterrupt)
        fail("interrupted", ExitCode.INTERRUPTED, own=True)
    except PodwhyError as exc:
        fail(exc.message, exc.exit_code)
    except KeyboardInterrupt:
        fail("interrupted", ExitCode.INTERRUPTED, own=True)
    except BrokenPipeError:
        # the reader went away (| head): the verdict's code, never 0 for a failing pod; and
        # no second error when Python flushes stdout on the way out
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(_VERDICT_CODE[0])
    except (RecursionError, MemoryError) as exc:
        _internal(exc, "the input is too large or too deeply nested to diagnose")
    except Exception as exc:  # the last resort: a bug must not look like a verdict
        _internal(exc, "")
    sys.exit(0)


def _quiet_library_logs() -> None:
    """Libraries that log to the root logger (the kubernetes client, urllib3) must not print
    stray "ERROR:root:" lines: the cluster source turns what they log into its one error line.
    Called before a cluster source is opened (runs that read files never import logging)."""
    import logging

    logging.getLogger().addHandler(logging.NullHandler())


def _debug() -> bool:
    return "--debug" in sys.argv[1:] or os.environ.get("PODWHY_DEBUG", "") not in ("", "0")


def _internal(exc: BaseException, why: str) -> NoReturn:
    """One line and exit 70 (never 1, which a health check reads as a failing pod); the
    traceback with --debug or PODWHY_DEBUG=1."""
    if _debug():
        raise exc
    # an exception's text may quote a request header: credentials never reach the screen
    text = _SECRET.sub(r"\1 <redacted>", f"{type(exc).__name__}: {exc}")
    fail(f"internal error: {why or text}; please report it "
         "(rerun with --debug for the traceback)", ExitCode.INTERNAL)


_SECRET = re.compile(r"(Bearer|Basic|token|password)[\s:=\"']+[^\s'\"]+", re.IGNORECASE)


def kubectl_complete(argv: list[str] | None = None) -> NoReturn:
    """``kubectl_complete-podwhy ARG ... WORD``: kubectl's plugin completion (kubectl 1.26+
    runs it for ``kubectl podwhy ARG ... WORD<TAB>``; see kubectl_podwhy.completion). Prints
    the completions of WORD after ARGs, and exits 0 whatever happens: a completion that
    fails offers nothing, never an error on the user's prompt."""
    args = list(sys.argv[1:] if argv is None else argv)
    incomplete = args.pop() if args else ""
    _quiet_library_logs()
    warnings.simplefilter("ignore")
    try:
        from click.shell_completion import ShellComplete

        items = ShellComplete(command, {}, PROG, completion.COMPLETE_VAR).get_completions(
            kubectl_style(args), incomplete)
        click.echo(completion.for_kubectl(items), nl=False)
    except Exception:  # -A=maybe, or a bug: nothing to offer
        click.echo(f":{completion.DIRECTIVE_NO_FILES}")
    sys.exit(0)
