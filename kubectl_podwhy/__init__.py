"""kubectl-podwhy: why is this pod not working? Pods first, then containers."""
from __future__ import annotations

__version__ = "0.1.0"
