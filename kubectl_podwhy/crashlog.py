"""The crash in its own words: which container logs a run reads, and what it makes of them.

A verdict about a container that terminated (a crash loop, a failed attempt under
restartPolicy Never or OnFailure, an init container or sidecar crash, a liveness kill, a
postStart failure) names the log that tells why in ``Finding.log_source``: "previous" (the
crashed run; ``kubectl logs --previous``) or "current" (a terminated container that was not
restarted). The run reads that log once per verdict group (:func:`log_requests`: the first pod
of each owner's group of pods sharing a verdict), and :func:`attach_logs` puts its last lines
into the verdict as evidence (source ``logs:previous`` / ``logs:current``) and lifts the line
that tells the most (:func:`telling_line`) into the summary.

Pure: the reading is the source's (kubectl_podwhy.sources), the showing the renderer's.
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace

from kubectl_podwhy.defaults import DEFAULT_LOG_LINES as DEFAULT_LOG_LINES  # noqa: PLC0414
from kubectl_podwhy.rawjson import controller_uid
from kubectl_podwhy.report import STATES, Evidence, PodReport, group_key
from kubectl_podwhy.snapshot import ContainerLog, LogKey, LogRequest, object_key

#: lines asked for (tailLines) at least: more than are shown, so that the telling line is
#: found above a stack trace (a Go crash dumps every goroutine) or the shutdown lines that
#: follow it; what is judged does not depend on --log-lines below this
FETCH_LINES = 200
#: bytes asked for at most per log (limitBytes); a source reads a few times this at most,
#: whatever a server sends (sources.cluster.MAX_LOG_BYTES)
LIMIT_BYTES = 64 * 1024
#: logs read per run at most: one per verdict group, the failing groups first
MAX_LOG_REQUESTS = 20
#: the longest log line kept (a log line may be megabytes: the middle is left out)
MAX_LINE_CHARS = 2000
#: the longest log line lifted into a summary
SUMMARY_CHARS = 200
#: how a summary quotes the telling line, or the last line when no line names a cause
LIFTED = "log"
LAST_LINE = "last log line"
#: the text of the evidence of a log that was read and is empty
EMPTY_LOG = "the log is empty"


def tail_lines(shown: int) -> int:
    """The ``tailLines`` to ask for when ``shown`` lines are shown."""
    return max(shown, FETCH_LINES)


def log_requests(reports: Sequence[PodReport], shown: int, have: Collection[LogKey] = (),
                 limit: int = MAX_LOG_REQUESTS) -> list[LogRequest]:
    """The logs worth reading for ``reports``: for each verdict that names a log
    (Finding.log_source), one per group of pods with the same controller and the same
    verdict (rule, reason, container): its first pod, the one that group's line shows;
    asking for tail_lines(``shown``) lines.
    Failing groups first; at most ``limit``; none already in ``have``. A 5,000-pod
    namespace of one crashing Deployment reads one log, not 5,000."""
    seen: set[tuple[str, tuple[int, str, str, str]]] = set()
    out: list[LogRequest] = []
    for r in sorted(reports, key=lambda r: STATES.index(r.state)):  # stable: order kept
        v = r.verdict
        if v is None or v.log_source is None or v.container is None or r.healthy:
            continue
        group = (controller_uid(r.pod.raw) or r.pod.key, group_key(r))
        if group in seen:
            continue
        seen.add(group)
        req = LogRequest(r.pod.namespace, r.pod.name, object_key(r.pod.raw), v.container,
                         v.log_source == "previous", tail_lines(shown))
        if req.key not in have:
            out.append(req)
        if len(out) >= limit:
            break
    return out


def attach_logs(reports: Iterable[PodReport], logs: Mapping[LogKey, ContainerLog],
                shown: int) -> list[PodReport]:
    """``reports`` with the log each verdict names attached, when ``logs`` holds it:
    :func:`with_log`. ``shown`` 0 attaches nothing."""
    if not logs or shown <= 0:
        return list(reports)
    out = []
    for r in reports:
        v = r.verdict
        log = None if v is None or v.log_source is None or v.container is None else \
            logs.get((object_key(r.pod.raw), v.container, v.log_source == "previous"))
        out.append(r if log is None else with_log(r, log, shown))
    return out


def with_log(r: PodReport, log: ContainerLog, shown: int) -> PodReport:
    """The report with its verdict's log as evidence (the last ``shown`` lines; the telling
    line as its text) and the telling line in the summary ("...; log: FATAL password
    authentication failed"), unless the summary or the termination message says it
    already (terminationMessagePolicy FallbackToLogsOnError copies the log's end there).
    An empty log is evidence too ("the log is empty"), without a summary line."""
    v = r.verdict
    if v is None:
        return r
    # the tail a run asks for at most, however many lines a server or a file holds
    lines = tuple(_cut(line, MAX_LINE_CHARS) for line in log.lines[-tail_lines(shown):])
    found = _telling(lines)
    which = "previous" if log.request.previous else "current"
    summary = v.summary
    if found is None:  # read, and empty: worth knowing (it crashed without a word)
        evidence = Evidence(source=f"logs:{which}", text=EMPTY_LOG)
    else:
        line, tier = found
        evidence = Evidence(source=f"logs:{which}", text=_cut(line, SUMMARY_CHARS),
                            lines=lines[-shown:])
        if line not in v.summary and line not in v.detail:
            # a line that names no cause is only the last one, and says so
            summary += f"; {LIFTED if tier else LAST_LINE}: {_cut(line, SUMMARY_CHARS)}"
    new = replace(v, summary=summary, evidence=(*v.evidence, evidence))
    return replace(r, verdict=new,
                   findings=tuple(new if f is v else f for f in r.findings))


# --- the telling line -------------------------------------------------------------------------

# The patterns that judge a log's lines are compiled on first use (_judges): a few ms of
# start-up that runs without a crash log to judge do not need.

#: what a line says, strongest first: the headline of a crash (a Go panic, a Java root
#: cause); a fatal error or a named cause; an error or exception line; a generic failure word.
#: A warning is no cause: it ranks with plain lines.
_TIERS: tuple[tuple[int, str, int], ...] = (  # (tier, pattern, flags)
    (5, r"^panic:|^fatal error:|^Caused by:", 0),
    (4, r"\bpanic:|\bfatal\b|\bcritical\b|\bemerg(ency)?\b|segmentation fault"
        r"|\bSIGSEGV\b|out of memory|permission denied|address already in use|EADDRINUSE"
        r"|connection refused|ECONNREFUSED|authentication failed|access denied"
        r"|no such file or directory|no such host|unknown host|could not resolve", re.I),
    (3, r"^[\w.$]*(Error|Exception)\b|^[Ee]rror\b|\b(ERROR|ERR|FATAL|Exception)\b"
        r"|^E\d{4} |\blevel=(error|fatal)\b", 0),
    (2, r"\b(error|exception|failed|failure|unable to|cannot|can't|could not|refused|denied"
        r"|unauthorized|forbidden|invalid|missing|not found|timed out|timeout|killed"
        r"|abort(ed|ing)?)\b", re.I),
)
#: lines that name an error but only point elsewhere (npm's boilerplate around the real one)
_BOILERPLATE = r"^npm (ERR!|error) |^npm notice "
#: stack frames and their markers: never the telling line (the line above or below is)
_FRAME = (r"^(\s|Traceback \(most recent call last\)|goroutine \d+ \[|\.\.\. \d+ "
          r"more|During handling of the above exception|The above exception"
          r"|created by |\S+\.go:\d+( \+0x[0-9a-f]+)?$"
          r"|[\w./*()-]+\(((0x[0-9a-f]+|\{[^}]*\}|\.\.\.)(, )?)*\)$)")
#: a log level that says the line is routine
_ROUTINE = (r"\blevel=(info|debug|trace)\b|\"level\":\s*\"(info|debug|trace)\""
            r"|^\S*\s*\[?(INFO|DEBUG|TRACE)\]?\b|\s\[?(INFO|DEBUG|TRACE)\]?\s"
            r"|^(info|debug|trace): ")
#: a leading timestamp (RFC 3339, or date and time with a space; Python's logging writes a
#: comma before the milliseconds), left off a lifted line
_STAMP = (r"^\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d([.,]\d+)?(Z|[+-]\d\d:?\d\d)?"
          r"( UTC)?\]?\s+")


@functools.cache
def _judges() -> tuple[tuple[tuple[int, re.Pattern[str]], ...], re.Pattern[str],
                       re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(tiers, boilerplate, frame, routine, stamp), compiled."""
    return (tuple((tier, re.compile(p, flags)) for tier, p, flags in _TIERS),
            re.compile(_BOILERPLATE), re.compile(_FRAME), re.compile(_ROUTINE),
            re.compile(_STAMP))
#: colour (SGR) sequences, which many loggers write: left off before a line is judged
SGR = re.compile(r"\x1b\[[0-9;]*m")


def telling_line(lines: Sequence[str]) -> str | None:
    """The line of a log's end that tells the most about why the container ended, as it is
    shown (colours and a leading timestamp left off; a JSON log line as
    ``level: msg: error``): the last line of the strongest kind (a panic or a Java root
    cause, a fatal error or a named cause such as "permission denied" or "address already
    in use", then error and exception lines, then generic failure words; npm's pointers to
    its debug log and routine INFO lines only as a last resort; a stack frame never), else
    the last line that is neither blank nor a stack frame. None for a log with nothing but
    blank lines."""
    found = _telling(lines)
    return found[0] if found is not None else None


def _telling(lines: Sequence[str]) -> tuple[str, int] | None:
    """telling_line and the strength of its kind (0: no line named a cause; the last)."""
    if not lines:  # an empty log (no need for the patterns)
        return None
    best: tuple[str, int] | None = None
    last = frame = None
    tiers, boilerplate, frame_line, routine, _ = _judges()
    for raw in lines:
        plain = SGR.sub("", raw)
        text = _readable(plain)
        if not text:
            continue
        if frame_line.match(plain):
            frame = text
            continue
        last = text
        tier = next((t for t, pattern in tiers if pattern.search(text)), 0)
        if tier and (routine.search(plain) or boilerplate.match(text)):
            tier = 1
        if tier and (best is None or tier >= best[1]):
            best = (text, tier)
    if best is not None:
        return best
    if last is not None or frame is not None:
        return (last or frame or "", 0)
    return None


def _readable(line: str) -> str:
    """A log line as a person reads it: a JSON object's level, message and error; the rest
    without a leading timestamp; no surrounding whitespace."""
    text = line.strip()
    if text.startswith("{") and text.endswith("}"):
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError):
            doc = None
        if isinstance(doc, dict):
            parts = [doc.get(k) for k in ("level", "severity", "msg", "message", "error",
                                          "err", "exception")]
            said = [str(p).strip() for p in parts if isinstance(p, (str, int, float))
                    and str(p).strip()]
            if said:
                return ": ".join(said)
    return _judges()[4].sub("", text)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head, tail = text[:limit * 3 // 4], text[-(limit // 5):]
    return f"{head}...({len(text) - len(head) - len(tail)} characters left out)...{tail}"
