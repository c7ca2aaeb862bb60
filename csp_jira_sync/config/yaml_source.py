"""YAML loading that remembers where every value came from, so errors can name file and line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from csp_jira_sync.errors import ConfigError


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file plus the node tree that knows each value's line."""

    path: Path
    data: Any
    root: yaml.Node | None

    def line_of(self, location: Sequence[int | str]) -> int | None:
        """The 1-based line of the value at `location` (keys and list indexes), or its closest parent."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for step in location:
            if isinstance(node, yaml.MappingNode):
                found = next(
                    (
                        v
                        for k, v in node.value
                        if isinstance(k, yaml.ScalarNode) and k.value == step
                    ),
                    None,
                )
                if found is None:
                    break
                node = found
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                if step >= len(node.value):
                    break
                node = node.value[step]
            else:
                break
            line = node.start_mark.line + 1
        return line


def load_yaml(path: Path) -> YamlDocument:
    """Read and parse one YAML file; syntax errors become a ConfigError naming file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc.strerror}).") from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(f"{where}: not valid YAML: {exc.problem}.") from exc
    return YamlDocument(path=path, data=data, root=root)
