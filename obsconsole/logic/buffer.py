"""A bounded, de-duplicating event buffer, newest first (the error stream's memory)."""

from __future__ import annotations

from typing import Generic, Hashable, Iterable, Protocol, TypeVar


class _Event(Protocol):
    @property
    def id(self) -> Hashable: ...

    @property
    def timestamp(self) -> object: ...


E = TypeVar("E", bound=_Event)


class EventBuffer(Generic[E]):
    """Keeps at most `capacity` events by id; `items()` is newest first.

    Merging a fetch never duplicates an event already held, and the oldest events fall
    out first, so memory is bounded whatever the backend sends.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.capacity = capacity
        self._by_id: dict[Hashable, E] = {}
        self._ordered: list[E] = []
        #: events dropped because the buffer was full
        self.dropped = 0

    def merge(self, events: Iterable[E]) -> int:
        """Add events not yet held; returns how many were new."""
        # an id repeated within one batch is new once (its first version is kept)
        new: dict[Hashable, E] = {}
        for e in events:
            if e.id not in self._by_id and e.id not in new:
                new[e.id] = e
        if not new:
            return 0
        self._by_id.update(new)
        merged = sorted(
            list(self._by_id.values()), key=lambda e: (e.timestamp, str(e.id)), reverse=True
        )
        if len(merged) > self.capacity:
            for e in merged[self.capacity :]:
                del self._by_id[e.id]
            self.dropped += len(merged) - self.capacity
            merged = merged[: self.capacity]
        self._ordered = merged
        return len(new)

    def items(self) -> list[E]:
        return self._ordered

    def get(self, event_id: Hashable) -> E | None:
        return self._by_id.get(event_id)

    def __len__(self) -> int:
        return len(self._ordered)
