"""Reading fields out of backend documents (log events, Wazuh alerts) without trusting
them: dotted paths, bounded text, lenient times. Pure; shared by the sources."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

#: longest text kept from one field: buffers hold thousands of events and one log line
#: can be megabytes (the cut is marked, so nothing looks whole that is not)
MAX_FIELD_CHARS = 16_384


def get_path(doc: Mapping[str, Any], path: str) -> Any:
    """A field by its dotted name, as nested objects or as one flattened key (shippers
    write both). A `.keyword` sub-field is not in the source: its parent holds the value."""
    path = path.removesuffix(".keyword")
    if path in doc:
        return doc[path]
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def clip(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    """`text` cut to `limit` characters, with a marker saying how much was cut."""
    if len(text) > limit:
        return text[:limit] + f" … [cut {len(text) - limit:,} chars]"
    return text


def scalar_text(value: Any) -> str:
    """A scalar field as bounded text; objects and lists (no text field should hold
    them) and None are empty."""
    if isinstance(value, str):
        return clip(value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        try:
            return clip(str(value))
        except ValueError:  # an int too long for str() (> 4300 digits)
            return "⟨number too long⟩"
    return ""


def parse_time(value: Any) -> datetime | None:
    """A time as an aware UTC datetime, or None: ISO 8601 with `Z`, an offset (Wazuh's
    `+0000` without a colon too) or none (taken as UTC), or epoch milliseconds."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value / 1000.0, timezone.utc)
        if isinstance(value, str) and len(value) <= 64:  # "" fails to parse below
            text = value.strip()
            if text[-1:] == "z":  # fromisoformat reads "Z" (Python 3.11+), not "z"
                text = text[:-1] + "Z"
            parsed = datetime.fromisoformat(text)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.utc)
            return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    return None


# ------------------------------------------------- search answers (Elasticsearch, OpenSearch)


def buckets(agg: Any) -> list[Mapping[str, Any]]:
    """The bucket objects of one aggregation in a search answer; anything malformed
    (no list, items that are not objects) is left out."""
    raw = agg.get("buckets") if isinstance(agg, Mapping) else None
    return [b for b in raw if isinstance(b, Mapping)] if isinstance(raw, list) else []


def error_reason(body: Any) -> str | None:
    """An error answer's `type: reason` (`{"error": {"type", "reason"}}`, or the
    `{"error": "…"}` of older servers) in one line of at most 200 characters; None when
    the body is not such an answer."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(error, Mapping):
        text = f"{error.get('type', 'error')}: {error.get('reason', '')}"
    elif isinstance(error, str):
        text = error
    else:
        return None
    return " ".join(text.split())[:200]
