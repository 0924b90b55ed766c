"""A strict view of results.json for the report: a missing key fails here, not as "–".

Why: the report read results.json with ``.get(key, default)`` everywhere, so a renamed or
dropped key turned silently into a dash in print. The view follows the results schema
(``pipeline/results.schema.json``, which every results.json is validated against when it
is assembled): a key the schema *requires* must be there (``view["counts"]``), and
``view.get(key)`` gives a default only for a key the schema marks optional (an optional
block such as ``trends``, or a key inside one). Asking for a key the schema does not know
at all is an error too, so a typo or a rename in the report fails its tests. Values
inside are views again (objects) or lists of views; numbers, strings, booleans and None
(a value the schema allows to be null, such as a median not reached) come back as they
are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA = Path(__file__).resolve().parents[1] / "results.schema.json"


class MissingResult(KeyError):
    """results.json lacks a key the report needs (or the report asks for an unknown key)."""

    def __str__(self) -> str:
        return str(self.args[0])


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def _resolve(node: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """Follow $ref and pick the object branch of anyOf/oneOf (null allowed beside it)."""
    seen = 0
    while node is not None and seen < 20:
        if not isinstance(node, Mapping):  # the schema `true`: anything goes
            return None
        seen += 1
        if "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/$defs/"):
                return None
            node = schema()["$defs"][ref.removeprefix("#/$defs/")]
            continue
        for key in ("anyOf", "oneOf", "allOf"):
            if key in node:
                branches = [_resolve(b) for b in node[key]]
                objects = [b for b in branches if b is not None and (
                    "properties" in b or "additionalProperties" in b or "items" in b)]
                return objects[0] if objects else (branches[0] if branches else None)
        return node
    return node


class View(Mapping[str, Any]):
    """One object of results.json with the schema node that describes it."""

    def __init__(self, data: Mapping[str, Any], node: Mapping[str, Any] | None = None,
                 path: str = "results") -> None:
        self._data = data
        self._node = _resolve(node if node is not None else schema())
        self._path = path

    def _child(self, key: str) -> tuple[Mapping[str, Any] | None, bool]:
        """(schema node of key, whether the schema requires it). A key the schema does
        not name is accepted when the data has it (the schema allows extra keys, such as
        one column per budget) and an error when it does not (a typo or a rename)."""
        node = self._node
        if node is None:
            return None, False
        properties = node.get("properties") or {}
        if key in properties:
            return properties[key], key in (node.get("required") or ())
        extra = node.get("additionalProperties")
        if isinstance(extra, Mapping):
            return extra, False
        if extra is False or (properties and key not in self._data):
            raise MissingResult(f"{self._path}.{key}: geen veld van results.json volgens het "
                                "schema (pipeline/results.schema.json)")
        return None, False

    def _wrap(self, value: Any, node: Mapping[str, Any] | None, path: str) -> Any:
        node = _resolve(node)
        if isinstance(value, Mapping):
            return View(value, node or {}, path)
        if isinstance(value, list):
            items = _resolve(node.get("items")) if isinstance(node, Mapping) else None
            return [self._wrap(v, items, f"{path}[]") for v in value]
        return value

    def __getitem__(self, key: str) -> Any:
        node, _ = self._child(key)
        if key not in self._data:
            raise MissingResult(f"results.json mist {self._path}.{key}")
        return self._wrap(self._data[key], node, f"{self._path}.{key}")

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        """The value of an optional key, or ``default`` when it is absent; a required key
        must be present (else MissingResult), whatever the default."""
        node, required = self._child(key)
        if key in self._data:
            return self._wrap(self._data[key], node, f"{self._path}.{key}")
        if required:
            raise MissingResult(f"results.json mist {self._path}.{key}")
        return default

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    @property
    def raw(self) -> Mapping[str, Any]:
        return self._data
