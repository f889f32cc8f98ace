"""ruamel nodes -> plain Python values, with every problem located.

The slow path of :mod:`config.source`: it runs for files with errors or with
constructs only ruamel reads our way, and reports all duplicate keys,
unsupported tags, non-string keys and alias bombs of a file at once.
"""

from __future__ import annotations

from typing import Any

from finopsmetrics_cli.config import codes
from finopsmetrics_cli.errors import Diagnostic, Location

MAX_EXPANDED_NODES = 2_000_000


class NodeConverter:
    """ruamel nodes -> plain Python, reporting every duplicate key, bad tag,
    non-string key and alias bomb, each at its position."""

    def __init__(self, display: str) -> None:
        from ruamel.yaml import YAML

        self.display = display
        self.constructor = YAML(typ="safe", pure=True).constructor
        self.diagnostics: list[Diagnostic] = []
        self.sizes: dict[int, int] = {}

    def loc(self, node: Any) -> Location:
        return Location(self.display, node.start_mark.line + 1, node.start_mark.column + 1)

    def convert_root(self, root: Any) -> Any:
        total = self._size(root)
        if total > MAX_EXPANDED_NODES:
            self.diagnostics.append(
                codes.diag(
                    "E013",
                    f"aliases expand this document to {total:,} nodes,"
                    f" over the {MAX_EXPANDED_NODES:,} limit",
                    self.loc(self._biggest_alias(root) or root),
                )
            )
            return None
        return self.convert(root)

    def _size(self, node: Any) -> int:
        """Expanded size of a node; memoised per node so shared (aliased) nodes cost once."""
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        key = id(node)
        if key in self.sizes:
            return self.sizes[key]
        self.sizes[key] = 1  # breaks cycles (recursive aliases)
        size = 1
        if isinstance(node, MappingNode):
            size += sum(self._size(k) + self._size(v) for k, v in node.value)
        elif isinstance(node, SequenceNode):
            size += sum(self._size(v) for v in node.value)
        self.sizes[key] = size
        return size

    def _biggest_alias(self, root: Any) -> Any:
        """The aliased node (reached more than once) with the biggest expansion."""
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        seen: set[int] = set()
        best: Any = None
        stack = [root]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                if best is None or self.sizes.get(id(node), 0) > self.sizes.get(id(best), 0):
                    best = node
                continue
            seen.add(id(node))
            if isinstance(node, MappingNode):
                stack.extend(v for pair in reversed(node.value) for v in reversed(pair))
            elif isinstance(node, SequenceNode):
                stack.extend(reversed(node.value))
        return best

    def convert(self, node: Any) -> Any:
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        if isinstance(node, MappingNode):
            return self._mapping(node)
        if isinstance(node, SequenceNode):
            if node.tag not in ("tag:yaml.org,2002:seq",):
                self._bad_tag(node)
            return [self.convert(v) for v in node.value]
        return self._scalar(node)

    def _mapping(self, node: Any) -> dict[str, Any]:
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        if node.tag != "tag:yaml.org,2002:map":
            self._bad_tag(node)
        out: dict[str, Any] = {}
        first: dict[str, Any] = {}
        merges: list[Any] = []
        for k, v in node.value:
            if k.tag == "tag:yaml.org,2002:merge":
                merges.extend(v.value if isinstance(v, SequenceNode) else [v])
                continue
            key = self.convert(k)
            if not isinstance(key, str):
                self.diagnostics.append(
                    codes.diag(
                        "E017",
                        f"mapping keys must be strings, got {type(key).__name__} {key!r}",
                        self.loc(k),
                        hint='quote the key, e.g. "1": ...',
                    )
                )
                continue
            if key in first:
                self.diagnostics.append(
                    codes.diag(
                        "E012",
                        f"duplicate key {key!r}"
                        f" (first defined at line {first[key].start_mark.line + 1})",
                        self.loc(k),
                        hint="remove one of them or merge their contents",
                    )
                )
                continue
            first[key] = k
            out[key] = self.convert(v)
        if not merges:
            return out
        merged: dict[str, Any] = {}
        for src in merges:
            if not isinstance(src, MappingNode):
                self.diagnostics.append(
                    codes.diag(
                        "E010",
                        "merge key '<<' needs a mapping or a list of mappings",
                        self.loc(src),
                    )
                )
                continue
            for key, value in self._mapping(src).items():
                merged.setdefault(key, value)  # earlier sources win, as YAML's merge spec says
        merged.update(out)  # explicit keys win over merged ones
        return merged

    def _scalar(self, node: Any) -> Any:
        c = self.constructor
        tag = node.tag
        try:
            if tag == "tag:yaml.org,2002:str":
                return node.value
            if tag == "tag:yaml.org,2002:int":
                return c.construct_yaml_int(node)
            if tag == "tag:yaml.org,2002:float":
                return c.construct_yaml_float(node)
            if tag == "tag:yaml.org,2002:bool":
                return c.construct_yaml_bool(node)
            if tag == "tag:yaml.org,2002:null":
                return None
            if tag == "tag:yaml.org,2002:timestamp":
                return node.value  # timestamps stay text; date fields parse them
        except Exception as exc:  # noqa: BLE001
            self.diagnostics.append(
                codes.diag(
                    "E010",
                    f"invalid {tag.rsplit(':', 1)[-1]} value {node.value!r}: {exc}",
                    self.loc(node),
                )
            )
            return None
        self._bad_tag(node)
        return node.value

    def _bad_tag(self, node: Any) -> None:
        self.diagnostics.append(
            codes.diag(
                "E016",
                f"unsupported YAML tag {node.tag!r}",
                self.loc(node),
                hint="remove the tag; values are plain strings, numbers, booleans, lists"
                " and mappings",
            )
        )
