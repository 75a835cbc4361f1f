"""``python -m kubectl_podwhy`` and the ``kubectl-podwhy`` command: the same entry point.

Importing the command takes tens of milliseconds (the engine is imported when it runs); a
Ctrl-C during it is one line and exit 130 too, as everywhere else (never a traceback).
"""
from __future__ import annotations

import gc
import sys
from typing import NoReturn


def main() -> NoReturn:
    # cli.main turns the cyclic garbage collector off (it says why); turned off here already,
    # it does not rescan the objects the imports create either (1% of a one-pod run)
    gc.disable()
    try:
        from kubectl_podwhy.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.exit(130)
    run()


if __name__ == "__main__":
    main()
