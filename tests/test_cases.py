"""Cases podwhy once got wrong (tests/cases/<group>/NAME.json|yaml with NAME.expect.json),
run exactly as a user would: ``KUBECONFIG=/dev/null kubectl-podwhy -f FILE -o json``.

The expectation format (shared with the team's case collection):

- ``level``: pod | container | none (healthy); ``container``: the culprit container or null;
- ``reasons``: at least one appears in the verdict's reason, summary or detail;
- ``progressing_ok``: exit 5 (progressing) is right as well as 1; ``state``: the exact state;
- ``mentions``: all appear in the summary or hint; ``forbid``: regular expressions that
  must match neither (a wrong claim);
- ``workloads_clean``: no workload in the report carries an error finding;
- ``run_with``: extra arguments (``--now``).

Exit code: 0 for ``none``, else 1 (or 5 where ``progressing_ok``).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CASES = Path(__file__).parent / "cases"
ROOT = Path(__file__).parent.parent


def case_paths() -> list[Path]:
    """Inputs with an expected verdict beside them (tests/cases/issue-6 holds hostile inputs
    without one: tests/test_hostile.py runs those)."""
    return sorted(p for p in CASES.rglob("*") if p.suffix in (".json", ".yaml", ".yml")
                  and not p.name.endswith(".expect.json")
                  and p.with_name(p.stem + ".expect.json").is_file())


def run_case(path: Path, extra: list[str]) -> tuple[int, dict[str, Any], str]:
    env = {**{k: v for k, v in os.environ.items() if k != "NO_COLOR"},
           "KUBECONFIG": "/dev/null"}
    r = subprocess.run([sys.executable, "-m", "kubectl_podwhy", "-f", str(path), "-o", "json",
                        *extra], capture_output=True, text=True, env=env, cwd=ROOT,
                       timeout=60, check=False)
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, json.loads(r.stdout), r.stderr


@pytest.mark.parametrize("path", case_paths(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_case_gives_its_expected_verdict_and_exit_code(path: Path) -> None:
    want = json.loads(path.with_name(path.stem + ".expect.json").read_text())
    code, doc, err = run_case(path, list(want.get("run_with") or []))
    item = doc["items"][0]
    v = item["verdict"]
    ctx = f"{path.name}: exit {code}, verdict {v and (v['rule'], v['summary'])}; {err}"
    if want["level"] == "none":
        assert code == 0, ctx
        assert v is None, ctx
        assert item["state"] == "healthy", ctx
    else:
        assert code in ((1, 5) if want.get("progressing_ok") else (1,)), ctx
        assert v is not None, ctx
        assert v["level"] == want["level"], ctx
        assert v["container"] == want.get("container"), ctx
        text = " ".join((v["reason"], v["summary"], v["detail"])).lower()
        reasons = [str(x).lower() for x in want.get("reasons") or []]
        assert not reasons or any(x in text for x in reasons), ctx
        said = (v["summary"] + "\n" + v["hint"]).lower()
        for needle in want.get("mentions") or []:
            assert str(needle).lower() in said, f"{ctx}: should mention {needle!r}"
        for pattern in want.get("forbid") or []:
            assert not re.search(pattern, v["summary"] + "\n" + v["hint"]), \
                f"{ctx}: must not say {pattern!r}"
    if "state" in want:
        assert item["state"] == want["state"], ctx
    if want.get("workloads_clean"):
        for w in doc["workloads"]:
            assert not [f for f in w["findings"] if f["severity"] == "error"], ctx
            assert w["state"] == "healthy", ctx
