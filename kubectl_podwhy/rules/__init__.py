"""The rule chain: pure functions from a pod snapshot to findings."""
