"""The AI GYM log indices as the stand-in should hold them (SPEC §8): the index
template's mapping, where the exact-value fields are keywords."""

from __future__ import annotations

from elasticsearch import Elasticsearch

MAPPING = {
    "properties": {
        "timestamp": {"type": "date"},
        "level": {"type": "keyword"},
        "service": {"type": "keyword"},
        "component": {"type": "keyword"},
        "trace_id": {"type": "keyword"},
        "correlation_id": {"type": "keyword"},
        "message": {"type": "text"},
        "error": {"properties": {"name": {"type": "keyword"}, "message": {"type": "text"}, "stack": {"type": "text"}}},
    }
}
#: one day's error and general indices
INDICES = ("aigym-errors-2026.11.28", "aigym-logs-2026.11.28")


def create_log_indices(url: str, names: tuple[str, ...] = INDICES) -> None:
    """Create the indices with the template's mapping through the real client."""
    client = Elasticsearch(url)
    try:
        for name in names:
            client.indices.create(index=name, mappings=MAPPING)
    finally:
        client.close()
