"""The pod-level rule families (PW1xx), one module each: its rules' words beside its checks.

The order they run in is the chain in :mod:`kubectl_podwhy.rules.chain`.
"""
