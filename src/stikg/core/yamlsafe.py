"""Safe YAML for the catalog and the registry: plain data only.

``yaml.safe_load`` already refuses ``!!python/…`` tags, but it expands aliases without limit
(an "alias bomb" of a few lines can take minutes and gigabytes) and its errors carry no file
name. Our files need neither anchors, aliases nor custom tags, so this module rejects them up
front, from the event stream, with the file and line.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from stikg.core.errors import StikgError

_STANDARD_TAG_PREFIX = "tag:yaml.org,2002:"
_PLAIN_TAGS = {f"{_STANDARD_TAG_PREFIX}{t}" for t in
               ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")}


def compose(text: str, file: str | Path, error: type[StikgError] = StikgError) -> yaml.Node | None:
    """The YAML node tree of ``text``; anchors, aliases and non-standard tags are refused."""
    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        for event in yaml.parse(text, Loader=loader_cls):
            line = event.start_mark.line + 1 if event.start_mark else None
            if isinstance(event, yaml.AliasEvent):
                raise error("YAML aliases (*name) are not allowed here", file, line)
            anchor = getattr(event, "anchor", None)
            if anchor:
                raise error(f"YAML anchors (&{anchor}) are not allowed here", file, line)
            tag = getattr(event, "tag", None)
            if tag and tag not in _PLAIN_TAGS and tag != "!":
                raise error(f"YAML tag {tag!r} is not allowed here (plain data only)", file, line)
        return yaml.compose(text, Loader=loader_cls)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise error(f"invalid YAML: {reason}", file, mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {exc}", file) from None
