"""The command line's defaults and choices, in a module that imports nothing.

The CLI declares its options (``--help``, ``--version``, shell completion, a usage error)
before it imports the engine: these constants are all the declarations need, so those runs
load only click and the CLI. The engine modules take their defaults from here too.
"""
from __future__ import annotations

#: -o's choices: the keys of kubectl_podwhy.render.RENDERERS (a test keeps them equal)
OUTPUT_FORMATS = ("json", "table", "wide", "yaml")
#: lines of a crashed container's log shown by default (--log-lines)
DEFAULT_LOG_LINES = 10
#: --max-restarts' default
DEFAULT_MAX_RESTARTS = 2
