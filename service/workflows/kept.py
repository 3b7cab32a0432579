"""Figures worked out from the store, kept until what they were worked out from changes.

A kept value names the tables it is read from, as (partition, table) pairs, and a key for
anything else it depends on (a department's members, the settings, other kept values). It is
worked out again when the store's generation of one of its tables moved or its key is not
equal to the one it was worked out for. The store gives a table a new generation on every
change in memory, on the reload after a failed commit and when it reads a file another
process wrote, so a writer never has to say what it changed: every write path, present and
future, is seen. Values are worked out under the store's lock, so they are never mixed from
before and after a change.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from service.storage.store import Store

T = TypeVar("T")
Tables = Sequence[tuple[str, str]]


class Kept:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._values: dict[Hashable, tuple[tuple[int, ...], Any, Any]] = {}

    def value(self, name: Hashable, tables: Tables, key: Any, compute: Callable[[], T]) -> T:
        """The value kept under `name`, worked out by `compute()` when it is missing or stale."""
        with self.store.locked():
            generations = tuple(self.store.generation(partition, table) for partition, table in tables)
            found = self._values.get(name)
            if found is not None and found[0] == generations and found[1] == key:
                return found[2]  # type: ignore[no-any-return]
            value = compute()
            self._values[name] = (generations, key, value)
            return value

    def __len__(self) -> int:
        """How many values are kept."""
        return len(self._values)

    def clear(self) -> None:
        """Let every kept value go (each is worked out again when next asked for)."""
        with self.store.locked():
            self._values.clear()

    def of_year(self, name: Hashable, key: Any, compute: Callable[[], T]) -> T:
        """A value read from every partition of the year (those on disk, whichever they are): worked
        out again after any change to the year's store, or when `key` is not the one it was for."""
        return self.value(name, (), (self.store.changes, key), compute)


class Same:
    """A key made of objects compared by identity: equal only to a `Same` of the very same
    objects (a kept value worked out from other kept values is stale once any is replaced)."""

    __slots__ = ("objects",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, *objects: object) -> None:
        self.objects = objects

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Same) and len(other.objects) == len(self.objects)
                and all(a is b for a, b in zip(self.objects, other.objects, strict=True)))
