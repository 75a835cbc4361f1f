"""Writing YAML: what ``-o yaml``, ``--dump FILE.yaml`` and ``--explain -o yaml`` print."""
from __future__ import annotations

from typing import Any


def dump_yaml(doc: Any, stream: Any = None, **kw: Any) -> Any:
    """YAML as kubectl writes it: the C emitter when PyYAML has it, and never an anchor or
    alias (a reader that refuses them, as podwhy -f does, reads it back). Text that is not
    valid Unicode (a lone surrogate from JSON's "\\ud800") makes libyaml's emitter fail; the
    pure-Python emitter then writes it as the escape "\\uD800", which reads back the same.
    ``stream``, when given, must be seekable (it is rewritten from the start then)."""
    import yaml  # imported when needed: start-up time matters for a CLI

    def dumper(base: Any) -> Any:
        class Dumper(base):  # type: ignore[misc]
            def ignore_aliases(self, data: Any) -> bool:
                return True
        return Dumper

    try:
        return yaml.dump(doc, stream, Dumper=dumper(getattr(yaml, "CSafeDumper",
                                                             yaml.SafeDumper)),
                         sort_keys=False, **kw)
    except UnicodeEncodeError:
        if stream is not None:
            stream.seek(0)
            stream.truncate()
        return yaml.dump(doc, stream, Dumper=dumper(yaml.SafeDumper), sort_keys=False, **kw)
