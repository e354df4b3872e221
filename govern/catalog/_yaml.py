"""YAML loading that remembers where things are, so contract errors can name file:line.

Mappings load as `LocatedMap` (a dict with the line of the mapping and of each key) and
sequences as `LocatedList` (a list with the line of each item). Duplicate keys, which PyYAML
would silently let the last one win, are errors. libyaml parses when PyYAML has it (the nodes
carry the same line marks), the pure-Python parser otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from govern.errors import InputError


class LocatedMap(dict):
    """A YAML mapping with 1-based line numbers: `line` for itself, `key_lines[key]` per key."""

    line: int = 1
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        """Line of `key` if present, else of the mapping itself."""
        return self.key_lines.get(key, self.line)


class LocatedList(list):
    """A YAML sequence with 1-based line numbers: `line` for itself, `item_lines[i]` per item."""

    line: int = 1
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    """SafeLoader building LocatedMap/LocatedList; `display` names the file in errors.

    Pure Python: used to word syntax errors (its messages say more than libyaml's).
    """

    display: str = "<yaml>"


class _FastLoader(getattr(yaml, "CSafeLoader", _Loader)):  # type: ignore[misc]
    """The same with libyaml's parser when PyYAML has it (10-20x faster; same line marks)."""

    display: str = "<yaml>"


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocatedMap:
    loader.flatten_mapping(node)
    result = LocatedMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            seen = key in result
        except TypeError:
            raise InputError(
                f"{loader.display}:{line}: a mapping key must be a plain value",
                hint="write keys as plain words, e.g. `topic: account`",
            ) from None
        if seen:
            raise InputError(
                f"{loader.display}:{line}: duplicate key {key!r} (first at line {result.key_lines[key]})",
                hint="remove one of them; YAML would otherwise keep only the last",
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


for _cls in (_Loader, _FastLoader):
    _cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path, display: str) -> Any:
    """Parse one YAML file; InputError naming `display`:line:col if it cannot be read or parsed."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{display}: file not found", hint="create it or check --root") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{display}: cannot read: {error}", hint="it must be a UTF-8 text file") from None
    return load_yaml_text(text, display)


def load_yaml_text(text: str, display: str) -> Any:
    """Parse YAML text read from `display`; InputError naming `display`:line:col on a syntax error."""
    fast = _FastLoader(text)
    fast.display = display
    try:
        return fast.get_single_data()
    except yaml.YAMLError:
        return _slow_load(text, display)  # rare: let the pure parser word the error
    finally:
        fast.dispose()


def _slow_load(text: str, display: str) -> Any:
    """Parse with the pure-Python loader; InputError naming `display`:line:col on a syntax error."""
    loader = _Loader(text)
    loader.display = display
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{display}:{mark.line + 1}:{mark.column + 1}" if mark else display
        problem = error.problem or error.context or "syntax error"
        raise InputError(f"{where}: invalid YAML: {problem}", hint="fix the YAML syntax") from None
    except yaml.YAMLError as error:
        raise InputError(
            f"{display}: invalid YAML: {error}".splitlines()[0], hint="fix the YAML syntax"
        ) from None
    finally:
        loader.dispose()
