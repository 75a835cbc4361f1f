"""Exit codes and the errors that map to them: defined once, here, and documented in README.

Scripts and health checks depend on these numbers; never renumber them.
"""
from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    HEALTHY = 0      # every target (or every pod and workload in scope) is healthy
    PROBLEM = 1      # at least one is failing: a fault the current state corroborates
    USAGE = 2        # bad flags, unusable input (a malformed file), output that cannot be written
    CLUSTER = 3      # cannot reach or authenticate to the cluster
    NOT_FOUND = 4    # a named pod or workload (or its namespace) does not exist
    PROGRESSING = 5  # none failing, at least one progressing: not ready yet, no fault found
    INTERNAL = 70    # podwhy itself failed (a bug): sysexits' EX_SOFTWARE, never a verdict
    INTERRUPTED = 130  # Ctrl-C (SIGINT): the shells' 128 + 2


class PodwhyError(Exception):
    """An expected failure: printed as one line on stderr, never as a traceback."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(PodwhyError):
    exit_code = ExitCode.USAGE


class InputError(PodwhyError):
    """A file or stdin that cannot be used (malformed, unreadable, no pods)."""

    exit_code = ExitCode.USAGE


class ClusterError(PodwhyError):
    """No usable kubeconfig, connection refused, TLS failure, timeout, 401, 403."""

    exit_code = ExitCode.CLUSTER


class NotFoundError(PodwhyError):
    exit_code = ExitCode.NOT_FOUND
