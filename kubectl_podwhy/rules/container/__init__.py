"""The container-level rule families (PW2xx), one module each: its rules' words beside its
checks. The chain (:mod:`kubectl_podwhy.rules.chain`) hands each container to them by its
state: waiting (images, create and start, crash), terminated (crash), running (crash, then
probes and running); ephemeral containers to their own family.
"""
from __future__ import annotations

#: the kubelet forgets a container's crash back-off after 2 x MaxContainerBackOff (5m): a
#: container that has run this long since its last restart is out of its crash loop
BACKOFF_RESET_SECONDS = 600
