#!/usr/bin/env python3
"""Where does one ``kubectl podwhy`` run spend its time and memory? (used by bench.py --profile)

Runs the real CLI (``kubectl_podwhy.cli.main``) in this process with timers wrapped around the
main steps, and prints one JSON object::

    python benchmarks/stages.py -A -o json        # KUBECONFIG from the environment
    python benchmarks/stages.py POD -n NS          # table output

Measured: interpreter start-up (exec until this script's first line); importing the CLI
(click, flag parsing); importing the cluster source (the modules of the ``kubernetes`` client
it uses, urllib3); importing the engine (rules, render); the lazy imports of generated
``kubernetes.client.*Api`` classes (with their pydantic models) if ``ClusterSource`` uses any;
then inside ``cli.main``: ``open_source`` (kubeconfig),
``ClusterSource.gather`` (split into the request call, ``RawApi.call_api``: send a request,
wait for the response headers; ``json.loads``; each helper function of the cluster module, e.g.
slimming; and gather's own rest: reading the bodies, paging), snapshot building, the rules,
rendering and writing the output; and the cyclic garbage collector's pauses during
``cli.main``. Each step has ``total_s`` (inclusive) and ``self_s`` (minus the wrapped steps it
called), plus the RSS and peak RSS after it. Steps the CLI no longer has are skipped. Nothing
in the product is changed on disk.
"""
from __future__ import annotations

import time

T_START = time.perf_counter()

import gc  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from types import ModuleType, SimpleNamespace  # noqa: E402
from typing import Any  # noqa: E402


def _startup_offset() -> float:
    """Seconds between this process's exec and T_START (interpreter + site start-up)."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        age_now = uptime - start_ticks / os.sysconf("SC_CLK_TCK")
        return max(0.0, age_now - (time.perf_counter() - T_START))
    except (OSError, ValueError, IndexError):
        return 0.0


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def peak_mb() -> float:
    """VmHWM: the peak RSS of this process's own address space (ru_maxrss would include the
    parent's size when the parent vforked us)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Timers:
    """Inclusive and self time per label, with a stack for nesting."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self._stack: list[list[float]] = []  # [start, child time]
        self._labels: list[str] = []

    def gc_pause(self, seconds: float) -> None:
        """A garbage collection pause, charged to the innermost running step (its self_s
        includes it; gc_s says how much of it was GC)."""
        label = self._labels[-1] if self._labels else "(outside the wrapped steps)"
        r = self.row(label)
        r["gc_s"] = r.get("gc_s", 0.0) + seconds

    def row(self, label: str) -> dict[str, Any]:
        if label not in self.rows:
            self.rows[label] = {"stage": label, "calls": 0, "total_s": 0.0, "self_s": 0.0}
            self.order.append(label)
        return self.rows[label]

    def add(self, label: str, seconds: float, **extra: Any) -> None:
        r = self.row(label)
        r["calls"] += 1
        r["total_s"] += seconds
        r["self_s"] += seconds
        r.update(extra, rss_mb=round(rss_mb(), 1), peak_rss_mb=round(peak_mb(), 1))

    def wrap(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        if getattr(fn, "_bench_wrapped", False):
            return fn

        def wrapper(*a: Any, **kw: Any) -> Any:
            self._stack.append([time.perf_counter(), 0.0])
            self._labels.append(label)
            try:
                return fn(*a, **kw)
            finally:
                start, child = self._stack.pop()
                self._labels.pop()
                took = time.perf_counter() - start
                if self._stack:
                    self._stack[-1][1] += took
                r = self.row(label)
                r["calls"] += 1
                r["total_s"] += took
                r["self_s"] += took - child
                r["rss_mb"] = round(rss_mb(), 1)
                r["peak_rss_mb"] = round(peak_mb(), 1)

        wrapper._bench_wrapped = True  # type: ignore[attr-defined]
        return wrapper

    def result(self) -> list[dict[str, Any]]:
        out = []
        for label in self.order:
            r = dict(self.rows[label])
            r["total_s"] = round(r["total_s"], 4)
            r["self_s"] = round(r["self_s"], 4)
            if "gc_s" in r:
                r["gc_s"] = round(r["gc_s"], 4)
            out.append(r)
        return out


def patch_everywhere(targets: dict[int, tuple[str, Callable[..., Any]]],
                     timers: Timers) -> list[str]:
    """Replace every module-level reference to a target function inside kubectl_podwhy."""
    patched: set[str] = set()
    wrappers = {key: timers.wrap(label, fn) for key, (label, fn) in targets.items()}
    for name, mod in list(sys.modules.items()):
        if not isinstance(mod, ModuleType) or not name.startswith("kubectl_podwhy"):
            continue
        for attr, value in list(vars(mod).items()):
            w = wrappers.get(id(value))
            if w is not None:
                setattr(mod, attr, w)
                patched.add(targets[id(value)][0])
    return sorted(patched)


def main() -> int:
    startup = _startup_offset()
    argv = sys.argv[1:]
    out_path = os.environ.get("STAGES_OUT", os.devnull)
    timers = Timers()

    t = time.perf_counter()
    from kubectl_podwhy import cli

    timers.add("import kubectl_podwhy.cli (click, flag parsing)", time.perf_counter() - t)
    t = time.perf_counter()
    from kubectl_podwhy.sources import cluster

    timers.add("import kubectl_podwhy.sources.cluster (the kubernetes client's modules, urllib3, "
               "yaml, snapshot)", time.perf_counter() - t)
    # The generated API classes ClusterSource.__init__ may instantiate are imported lazily by
    # the client (kubernetes.client.__getattr__), each with its group's pydantic models.
    api_classes = sorted(set(re.findall(r"\bclient\.(\w+Api)\b", inspect.getsource(cluster))))
    client_mod = sys.modules.get("kubernetes.client")
    if api_classes and client_mod is not None:
        t = time.perf_counter()
        for name in api_classes:
            getattr(client_mod, name)
        timers.add(f"import kubernetes.client.{{{','.join(api_classes)}}} (lazy, in "
                   "ClusterSource.__init__; pydantic models)", time.perf_counter() - t)
    # Import whatever else the CLI imports when it runs, so that its functions can be wrapped.
    t = time.perf_counter()
    for extra in ("kubectl_podwhy.snapshot", "kubectl_podwhy.verdict", "kubectl_podwhy.render"):
        __import__(extra)
    timers.add("import the engine (kubectl_podwhy.verdict: rules, crashlog; render)",
               time.perf_counter() - t)

    # JSON decoding of API responses inside the cluster source
    decoded = {"bytes": 0}
    real_loads = json.loads
    loads_timed = timers.wrap("gather: json.loads of API responses", real_loads)

    def counting_loads(data: Any, *a: Any, **kw: Any) -> Any:
        decoded["bytes"] += len(data)
        return loads_timed(data, *a, **kw)

    setattr(cluster, "json", SimpleNamespace(  # noqa: B010
        loads=counting_loads, dumps=json.dumps, JSONDecodeError=json.JSONDecodeError))

    targets: dict[int, tuple[str, Callable[..., Any]]] = {}

    def want(mod_name: str, attr: str, label: str) -> None:
        mod = sys.modules.get(mod_name)
        fn = getattr(mod, attr, None) if mod is not None else None
        if callable(fn):
            targets[id(fn)] = (label, fn)

    want("kubectl_podwhy.sources.cluster", "open_source",
         "open_source (kubeconfig, RawApi)")
    # the CLI imports these when it runs: patched where it finds them
    want("kubectl_podwhy.verdict", "assemble", "assemble (snapshots + rules + workloads)")
    want("kubectl_podwhy.snapshot", "build_snapshots", "build_snapshots")
    want("kubectl_podwhy.verdict", "diagnose_all", "diagnose_all (rules)")
    want("kubectl_podwhy.sources.files", "write_dump", "write_dump")
    patched = patch_everywhere(targets, timers)
    # Inside gather: the cluster source's own helpers (slimming, shaping...) and the client's
    # request call (sending the request and reading the response headers).
    for name, fn in list(vars(cluster).items()):
        if (inspect.isfunction(fn) and fn.__module__ == cluster.__name__
                and name not in ("open_source",) and id(fn) not in targets):
            setattr(cluster, name, timers.wrap(f"gather: cluster.{name}", fn))
    api_class = getattr(cluster, "RawApi", None) or getattr(cluster, "ApiClient", None)
    if api_class is not None and hasattr(api_class, "call_api"):
        api_class.call_api = timers.wrap(
            f"gather: {api_class.__name__}.call_api (send request, wait for the response "
            "headers)", api_class.call_api)
    src_cls = getattr(cluster, "ClusterSource", None)
    if src_cls is not None and hasattr(src_cls, "gather"):
        src_cls.gather = timers.wrap("gather (self: reading response bodies, paging, the rest)",
                                     src_cls.gather)
        patched.append("gather")
    renderers = getattr(sys.modules.get("kubectl_podwhy.render"), "RENDERERS", None)
    if isinstance(renderers, dict):
        for key in list(renderers):
            renderers[key] = timers.wrap(f"render -o {key}", renderers[key])
        patched.append("RENDERERS")
    click = getattr(cli, "click", None)
    if click is not None:
        click.echo = timers.wrap("click.echo (write output)", click.echo)

    gc_count = [0, 0, 0]
    gc_secs = [0.0, 0.0, 0.0]
    gc_start = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_start[0] = time.perf_counter()
        else:
            gen = info["generation"]
            gc_count[gen] += 1
            took = time.perf_counter() - gc_start[0]
            gc_secs[gen] += took
            timers.gc_pause(took)

    gc.callbacks.append(on_gc)
    exit_code: int | str | None = 0
    t_main = time.perf_counter()
    with open(out_path, "w", encoding="utf-8") as fh:
        real_stdout = sys.stdout
        sys.stdout = fh
        try:
            cli.main(argv)
        except SystemExit as exc:
            exit_code = exc.code
        finally:
            sys.stdout = real_stdout
    main_s = time.perf_counter() - t_main
    top = sum(r["self_s"] for label, r in timers.rows.items() if not label.startswith("import"))
    timers.add("cli.main: everything not wrapped (click parsing, notes, ...)", main_s - top)
    total = time.perf_counter() - T_START
    print(json.dumps({
        "argv": argv, "exit_code": exit_code, "wrapped": patched,
        "interpreter_startup_s": round(startup, 4), "total_s": round(total + startup, 4),
        "in_process_s": round(total, 4), "cli_main_s": round(main_s, 4),
        "response_bytes": decoded["bytes"], "peak_rss_mb": round(peak_mb(), 1),
        "gc_during_cli_main": {"collections_by_generation": gc_count,
                               "s_by_generation": [round(x, 4) for x in gc_secs],
                               "total_s": round(sum(gc_secs), 4)},
        "stages": timers.result()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
