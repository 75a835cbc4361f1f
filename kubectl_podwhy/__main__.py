"""``python -m kubectl_podwhy``: the same command as ``kubectl podwhy``."""
from __future__ import annotations

from kubectl_podwhy.cli import main

if __name__ == "__main__":
    main()
