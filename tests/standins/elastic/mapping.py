"""Mappings and indices: field types, explicit and dynamic mapping, and documents
parsed against the mapping into the values queries, sorts and aggregations read."""

from __future__ import annotations

import base64
import itertools
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .dates import _DEFAULT_FORMATS, _date_formats, _parse_date_text, _parse_iso
from .errors import _DocError, _cause, _error, _parsing, _unsupported
from .faces import _Face
from .text import _analyze, _as_text


_LONG_MAX = 2**63 - 1
_LONG_MIN = -(2**63)

_KINDS = {
    "text": "text",
    "keyword": "keyword",
    "date": "date",
    "long": "long",
    "integer": "long",
    "short": "long",
    "byte": "long",
    "double": "double",
    "float": "double",
    "half_float": "double",
    "boolean": "boolean",
}
_TYPE_PARAMS = {
    "text": set(),
    "keyword": {"ignore_above"},
    "date": {"format"},
    "long": set(),
    "double": set(),
    "boolean": set(),
}


@dataclass
class _Field:
    """A searchable field: a mapped leaf, or a multi-field such as ``level.keyword``."""

    name: str
    type: str
    source: str
    """The dotted path of the value in _source (the parent's for a multi-field)."""
    ignore_above: int | None = None
    formats: tuple[str, ...] = _DEFAULT_FORMATS
    subfields: list[_Field] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return _KINDS[self.type]

    def mapping(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"type": self.type}
        if self.ignore_above is not None:
            spec["ignore_above"] = self.ignore_above
        if self.formats != _DEFAULT_FORMATS:
            spec["format"] = "||".join(self.formats)
        if self.subfields:
            spec["fields"] = {f.name.rsplit(".", 1)[1]: f.mapping() for f in self.subfields}
        return spec


@dataclass
class _Doc:
    """A stored document and its indexed values."""

    id: str
    source: dict[str, Any]
    seq: int
    version: int
    values: dict[str, list[Any]]
    """Field name -> indexed values: tokens for text, millis for dates, and so on."""
    positions: dict[str, dict[str, list[int]]]
    """Text field -> token -> positions, for phrases."""
    present: set[str]
    """Fields with a value (an empty string counts, as in ES)."""


class _Index:
    """One index: its mapping (explicit and dynamic) and its documents."""

    def __init__(self, name: str, face: _Face, body: Any = None) -> None:
        self.name = name
        self.uuid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        self.face = face
        self.created = int(time.time() * 1000)
        self.fields: dict[str, _Field] = {}
        self.objects: set[str] = set()
        self.dynamic: bool | str = True
        self.shards, self.replicas = 1, 1
        self.docs: dict[str, _Doc] = {}
        self._seq = itertools.count()
        if body is not None:
            self._configure(body)

    # ------------------------------------------------------------- explicit mapping

    def _configure(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise _parsing("request body is required to be an object")
        for key, value in body.items():
            if key == "mappings":
                self._apply_mappings(value)
            elif key == "settings":
                self._apply_settings(value)
            else:
                raise _unsupported(f"index creation option [{key}]")

    def _apply_settings(self, settings: Any) -> None:
        flat: dict[str, Any] = {}
        for key, value in (settings or {}).items():
            if key == "index" and isinstance(value, dict):
                flat.update(value)
            else:
                flat[key.removeprefix("index.")] = value
        for key, value in flat.items():
            if key == "number_of_shards":
                self.shards = int(value)
            elif key == "number_of_replicas":
                self.replicas = int(value)
            else:
                raise _unsupported(f"index setting [index.{key}]")

    def _apply_mappings(self, mappings: Any) -> None:
        if not isinstance(mappings, dict):
            raise _error(
                400,
                "mapper_parsing_exception",
                "Failed to parse mapping: mappings must be an object",
            )
        for key, value in mappings.items():
            if key == "properties":
                self._add_properties(value, "")
            elif key == "dynamic":
                dynamic = {"true": True, "false": False, "strict": "strict"}.get(_as_text(value))
                if dynamic is None:
                    raise _unsupported(f"dynamic mapping [{value}]")
                self.dynamic = dynamic
            else:
                raise _unsupported(f"mapping option [{key}]")

    def _add_properties(self, properties: Any, prefix: str) -> None:
        if not isinstance(properties, dict):
            raise _error(
                400,
                "mapper_parsing_exception",
                f"Expected map for property [properties] on field [{prefix.rstrip('.') or '_doc'}]",
            )
        for name, spec in properties.items():
            path = prefix + name
            if not isinstance(spec, dict):
                raise _error(
                    400,
                    "mapper_parsing_exception",
                    f"Expected map for property [{name}] but got a {type(spec).__name__}",
                )
            if spec.get("type", "object") == "object":
                if set(spec) - {"type", "properties"}:
                    raise _unsupported(
                        f"object mapping parameters {sorted(set(spec) - {'type', 'properties'})} on [{path}]"
                    )
                self.objects.add(path)
                self._add_properties(spec.get("properties", {}), path + ".")
            else:
                self._register(self._field_from_spec(path, path, spec, top=True))

    def _field_from_spec(self, name: str, source: str, spec: dict[str, Any], *, top: bool) -> _Field:
        type_ = spec.get("type")
        if type_ not in _KINDS:
            raise _unsupported(f"field type [{type_}] (field [{name}])")
        allowed = {"type"} | _TYPE_PARAMS[_KINDS[type_]] | ({"fields"} if top else set())
        for param in spec:
            if param not in allowed:
                raise _unsupported(f"mapping parameter [{param}] on field [{name}]")
        made = _Field(name, type_, source)
        if "ignore_above" in spec:
            made.ignore_above = int(spec["ignore_above"])
        if "format" in spec:
            made.formats = _date_formats(spec["format"])
        for sub, sub_spec in (spec.get("fields") or {}).items():
            made.subfields.append(self._field_from_spec(f"{name}.{sub}", source, sub_spec, top=False))
        return made

    def _register(self, made: _Field) -> None:
        self.fields[made.name] = made
        for sub in made.subfields:
            self.fields[sub.name] = sub

    def mapping(self) -> dict[str, Any]:
        """The mapping as GET /{index} shows it."""
        properties: dict[str, Any] = {}

        def node(path: str) -> dict[str, Any]:
            children = properties
            for part in path.split(".")[:-1]:
                children = children.setdefault(part, {}).setdefault("properties", {})
            return children

        for path in sorted(self.objects):
            node(path).setdefault(path.rsplit(".", 1)[-1], {}).setdefault("properties", {})
        for made in self.fields.values():
            if made.source == made.name:
                node(made.name)[made.name.rsplit(".", 1)[-1]] = made.mapping()
        mapping: dict[str, Any] = {"properties": properties}
        if self.dynamic is not True:
            mapping["dynamic"] = _as_text(self.dynamic)
        return mapping

    # ------------------------------------------------------------------- documents

    def parse_document(self, doc_id: str, source: Any) -> tuple[_Doc, dict[str, _Field], set[str]]:
        """Index ``source`` against the mapping; returns the document and the dynamic
        mapping additions to commit with it. Raises _DocError."""
        if not isinstance(source, dict):
            raise _DocError(
                self.face.doc_error_type,
                "failed to parse, document is empty" if not source else "Malformed content, must start with an object",
            )
        new_fields: dict[str, _Field] = {}
        new_objects: set[str] = set()
        values: dict[str, list[Any]] = {}
        positions: dict[str, dict[str, list[int]]] = {}
        present: set[str] = set()
        next_position: dict[str, int] = {}

        def lookup(path: str) -> _Field | None:
            return self.fields.get(path) or new_fields.get(path)

        def refuse_new(path: str) -> None:
            parent, _, leaf = path.rpartition(".")
            raise _DocError(
                "strict_dynamic_mapping_exception",
                f"mapping set to strict, dynamic introduction of [{leaf}] within [{parent or '_doc'}] is not allowed",
            )

        def enter_object(path: str, value: Any) -> None:
            parts = path.split(".")
            for end in range(1, len(parts) + 1):
                prefix = ".".join(parts[:end])
                existing = lookup(prefix)
                if existing is not None:
                    raise _DocError(
                        self.face.doc_error_type,
                        f"failed to parse field [{prefix}] of type [{existing.type}] in document "
                        f"with id '{doc_id}'. Preview of field's value: '{_preview(value)}'",
                    )
                if prefix not in self.objects and prefix not in new_objects:
                    if self.dynamic == "strict":
                        refuse_new(prefix)
                    new_objects.add(prefix)

        def leaf(path: str, value: Any) -> None:
            if "." in path:
                enter_object(path.rsplit(".", 1)[0], {path.rsplit(".", 1)[1]: value})
            if path in self.objects or path in new_objects:
                raise _DocError(
                    self.face.doc_error_type,
                    f"object mapping for [{path}] tried to parse field [{path}] as object, but found a concrete value",
                )
            target = lookup(path)
            if target is None:
                if self.dynamic == "strict":
                    refuse_new(path)
                if self.dynamic is False:
                    return
                target = _dynamic_field(path, value)
                new_fields[target.name] = target
            for each in (target, *target.subfields):
                index_value(each, value)

        def index_value(target: _Field, value: Any) -> None:
            converted = _convert(target, value, doc_id, self.face.doc_error_type)
            kind, name = target.kind, target.name
            if kind == "keyword" and target.ignore_above is not None and len(converted) > target.ignore_above:
                return
            present.add(name)
            if kind == "text":
                tokens = _analyze(converted)
                start = next_position.get(name, 0)
                table = positions.setdefault(name, {})
                for offset, token in enumerate(tokens):
                    table.setdefault(token, []).append(start + offset)
                next_position[name] = start + len(tokens) + 100  # position_increment_gap
                values.setdefault(name, []).extend(tokens)
            else:
                values.setdefault(name, []).append(converted)

        def walk(value: Any, path: str) -> None:
            if isinstance(value, dict):
                if path:
                    enter_object(path, value)
                for key, child in value.items():
                    if not key.strip(" ."):
                        raise _DocError(self.face.doc_error_type, "field name cannot be an empty string")
                    walk(child, f"{path}.{key}" if path else key)
            elif isinstance(value, list):
                for child in value:
                    walk(child, path)
            elif value is not None:
                leaf(path, value)

        walk(source, "")
        doc = _Doc(doc_id, source, 0, 1, values, positions, present)
        return doc, new_fields, new_objects

    def store(self, doc: _Doc, new_fields: dict[str, _Field], new_objects: set[str]) -> _Doc:
        """Commit a parsed document (a re-indexed id moves to the end, as in Lucene)."""
        for made in new_fields.values():
            self._register(made)
        self.objects |= new_objects
        previous = self.docs.pop(doc.id, None)
        doc.version = previous.version + 1 if previous else 1
        doc.seq = next(self._seq)
        self.docs[doc.id] = doc
        return doc

    def delete(self, doc_id: str) -> tuple[_Doc | None, int]:
        """Remove a document; returns it (None when absent) and the operation's _seq_no."""
        return self.docs.pop(doc_id, None), next(self._seq)


def _dynamic_field(path: str, value: Any) -> _Field:
    """ES's dynamic mapping for a new field, from its first value."""
    if isinstance(value, bool):
        return _Field(path, "boolean", path)
    if isinstance(value, int):
        return _Field(path, "long", path)
    if isinstance(value, float):
        return _Field(path, "float", path)
    text = _as_text(value)
    # ES only tries its date formats on strings with two ':', '-' or '/' ("2024" stays text)
    if any(text.count(mark) > 1 for mark in ":-/"):
        try:
            _parse_iso(text, round_up=False)
        except ValueError:
            pass
        else:
            return _Field(path, "date", path)
    keyword = _Field(f"{path}.keyword", "keyword", path, ignore_above=256)
    return _Field(path, "text", path, subfields=[keyword])


def _preview(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_preview(v)}" for k, v in value.items()) + "}"
    return _as_text(value)


def _convert(target: _Field, value: Any, doc_id: str, error_type: str) -> Any:
    """A _source value as the field indexes it; raises _DocError when it does not fit."""
    kind = target.kind

    def fail(cause: dict[str, Any]) -> _DocError:
        return _DocError(
            error_type,
            f"failed to parse field [{target.name}] of type [{target.type}] in document with "
            f"id '{doc_id}'. Preview of field's value: '{_preview(value)}'",
            cause,
        )

    if kind in ("text", "keyword"):
        return _as_text(value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if value in ("true", "false", ""):
            return value == "true"
        raise fail(
            _cause(
                "illegal_argument_exception",
                f"Failed to parse value [{_as_text(value)}] as only [true] or [false] are allowed.",
            )
        )
    if isinstance(value, bool):
        token = "VALUE_TRUE" if value else "VALUE_FALSE"
        reason = f"Current token ({token}) not numeric, can not use numeric value accessors"
        raise fail(_cause("illegal_argument_exception", reason))
    if kind == "date":
        try:
            if isinstance(value, (int, float)) and "epoch_millis" in target.formats:
                return int(value)
            return _parse_date_text(_as_text(value), target.formats, round_up=False)
        except ValueError:
            fmt = "||".join(target.formats)
            raise fail(
                _cause(
                    "illegal_argument_exception",
                    f"failed to parse date field [{_as_text(value)}] with format [{fmt}]",
                )
            ) from None
    try:
        number = float(value) if isinstance(value, str) else value
    except ValueError:
        raise fail(_cause("number_format_exception", f'For input string: "{value}"')) from None
    if not math.isfinite(number):
        raise fail(
            _cause(
                "illegal_argument_exception",
                f"[{kind}] supports only finite values, but got [{value}]",
            )
        )
    if kind == "long":
        number = int(number)
        if not _LONG_MIN <= number <= _LONG_MAX:
            raise fail(_cause("illegal_argument_exception", f"Value [{value}] is out of range for a long"))
        return number
    return float(number)
