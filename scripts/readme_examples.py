#!/usr/bin/env python3
"""The README's example output, generated from the bundled examples and checked current.

Every fenced block in README.md that starts with a ``$ kubectl podwhy ...`` line is an
example: a command with ``-f`` (saved objects, no cluster) is followed by exactly what the
tool prints for it today, produced by running it (no colour, as in a pipe). A block that needs
a live cluster cannot be generated; it must follow the line ``<!-- readme-examples: live -->``
so that it is skipped on purpose, never by accident.

    python scripts/readme_examples.py --check   # exit 1, naming each stale block
    python scripts/readme_examples.py --write   # rewrite the stale blocks in place

``make docs`` runs ``--write``; tests/test_readme.py runs the check.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
#: the command that regenerates the blocks, as messages name it
REGENERATE = "make docs (or: python scripts/readme_examples.py --write)"
#: the line before a block that shows a live cluster's output (not generated)
LIVE = "<!-- readme-examples: live -->"
_BLOCK = re.compile(r"^```\n\$ (kubectl podwhy[^\n]*)\n(.*?)^```$", re.S | re.M)


@dataclass(frozen=True)
class Example:
    """One example block: its command (``kubectl podwhy ...``), the output shown under it,
    where that output sits in the README (``start``, ``end``: offsets), and whether it is
    marked as a live cluster's output."""

    command: str
    shown: str
    start: int
    end: int
    live: bool

    @property
    def offline(self) -> bool:
        """Generated: it reads saved objects (``-f``), never a cluster."""
        args = shlex.split(self.command)[2:]
        return any(a in ("-f", "--filename") or a.startswith(("-f=", "--filename="))
                   for a in args)


def examples(text: str) -> list[Example]:
    """The example blocks of ``text``, in order."""
    out = []
    for m in _BLOCK.finditer(text):
        before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        out.append(Example(m.group(1), m.group(2), m.start(2), m.end(2), before == LIVE))
    return out


def output_of(command: str) -> str:
    """What ``command`` prints on stdout, run from the repository's root as a script would
    (no terminal: no colour; no kubeconfig: a ``-f`` run never needs one)."""
    env = {**{k: v for k, v in os.environ.items() if k != "NO_COLOR"},
           "KUBECONFIG": "/dev/null"}
    r = subprocess.run([sys.executable, "-m", "kubectl_podwhy", *shlex.split(command)[2:]],
                       capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
                       check=False)
    if r.returncode not in (0, 1, 5):  # a verdict; anything else is no example
        raise SystemExit(f"`{command}` failed with exit code {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def problems(text: str) -> list[str]:
    """One line per block of ``text`` that is neither generated nor marked live (empty when
    every block is one or the other)."""
    return [f"README.md: `$ {e.command}` reads no -f file and is not marked live: give it "
            f"-f, or put {LIVE} on the line before its block"
            for e in examples(text) if not e.offline and not e.live]


def regenerate(text: str) -> tuple[str, list[str]]:
    """``text`` with every generated block's output replaced by what the tool prints now, and
    one message per block that changed (naming its command and how to regenerate it)."""
    stale, parts, at = [], [], 0
    for e in examples(text):
        if not e.offline:
            continue
        now = output_of(e.command)
        if now != e.shown:
            stale.append(f"README.md: the output of `$ {e.command}` is not what the tool "
                         f"prints now: run {REGENERATE}")
        parts += [text[at:e.start], now]
        at = e.end
    return "".join(parts) + text[at:], stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="exit 1 when a block is stale")
    mode.add_argument("--write", action="store_true", help="rewrite the stale blocks")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    unmarked = problems(text)
    new, stale = regenerate(text)
    for line in unmarked + ([] if args.write else stale):
        print(line, file=sys.stderr)
    if args.write and new != text:
        README.write_text(new, encoding="utf-8")
        print(f"README.md: {len(stale)} example block(s) regenerated", file=sys.stderr)
    return 1 if unmarked or (stale and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
