"""In-memory object store of one emulator: a collection per object type, JSON-shaped records.

Records are the provider's own JSON shapes (dicts), so `/_emulator/state` shows exactly what a
client would read. Everything runs on one event loop and no method awaits, so no locks.
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Any

Record = dict[str, Any]
KeyOf = Callable[[Record], str | None]


class Collection:
    """Records of one type by id, with an id sequence and optional lookup indexes.

    `indexes` maps an index name to a function giving a record's key (or None to leave it
    out); `find(name, key)` answers from the index instead of scanning every record. `groups`
    does the same for keys many records share (a company's domain): `find_all(name, key)`.
    """

    def __init__(
        self,
        name: str,
        *,
        first_id: int = 1,
        indexes: dict[str, KeyOf] | None = None,
        groups: dict[str, KeyOf] | None = None,
    ):
        self.name = name
        self._first_id = first_id
        self._next_id = first_id
        self._records: dict[str, Record] = {}
        self._key_of = dict(indexes or {})
        self._index: dict[str, dict[str, str]] = {name: {} for name in self._key_of}
        self._group_of = dict(groups or {})
        self._groups: dict[str, dict[str, set[str]]] = {name: {} for name in self._group_of}
        # The keys each record was indexed under, so a record mutated in place unindexes right.
        self._keys: dict[str, dict[str, str]] = {}
        self._group_keys: dict[str, dict[str, str]] = {}

    def new_id(self) -> int:
        value = self._next_id
        self._next_id += 1
        return value

    def put(self, record_id: str, record: Record) -> Record:
        """Insert or replace; indexes follow the record's current keys."""
        self._unindex(record_id)
        self._records[record_id] = record
        keys = {}
        for index, key_of in self._key_of.items():
            key = key_of(record)
            if key is not None:
                self._index[index][key] = record_id
                keys[index] = key
        self._keys[record_id] = keys
        grouped = {}
        for group, key_of in self._group_of.items():
            key = key_of(record)
            if key is not None:
                self._groups[group].setdefault(key, set()).add(record_id)
                grouped[group] = key
        self._group_keys[record_id] = grouped
        return record

    def reindex(self, record_id: str) -> None:
        """Call after mutating a stored record in place."""
        self.put(record_id, self._records[record_id])

    def get(self, record_id: str) -> Record | None:
        return self._records.get(record_id)

    def find(self, index: str, key: str) -> Record | None:
        record_id = self._index[index].get(key)
        return None if record_id is None else self._records.get(record_id)

    def find_all(self, group: str, key: str) -> list[Record]:
        """The records whose `group` key is `key`, in id order."""
        ids = sorted(self._groups[group].get(key, ()), key=_id_order)
        return [self._records[i] for i in ids]

    def remove(self, record_id: str) -> Record | None:
        self._unindex(record_id)
        return self._records.pop(record_id, None)

    def values(self) -> list[Record]:
        return list(self._records.values())

    def __iter__(self) -> Iterator[Record]:
        return iter(list(self._records.values()))

    def __len__(self) -> int:
        return len(self._records)

    def clear(self) -> None:
        self._records.clear()
        self._next_id = self._first_id
        for index in self._index.values():
            index.clear()
        for groups in self._groups.values():
            groups.clear()
        self._keys.clear()
        self._group_keys.clear()

    def _unindex(self, record_id: str) -> None:
        for index, key in self._keys.pop(record_id, {}).items():
            if self._index[index].get(key) == record_id:
                del self._index[index][key]
        for group, key in self._group_keys.pop(record_id, {}).items():
            members = self._groups[group].get(key)
            if members is not None:
                members.discard(record_id)
                if not members:
                    del self._groups[group][key]


def _id_order(record_id: str) -> tuple[int, str]:
    """Numeric ids in number order, others after them by text."""
    return (int(record_id), "") if record_id.isdigit() else (1 << 62, record_id)


class Store:
    """The collections of one emulator, created up front so `state` lists every type."""

    def __init__(self, collections: Iterable[Collection]):
        self._collections = {c.name: c for c in collections}

    def __getitem__(self, name: str) -> Collection:
        return self._collections[name]

    def names(self) -> list[str]:
        return list(self._collections)

    def snapshot(self) -> dict[str, list[Record]]:
        return {name: c.values() for name, c in self._collections.items()}

    def counts(self) -> dict[str, int]:
        return {name: len(c) for name, c in self._collections.items()}

    def clear(self) -> None:
        for collection in self._collections.values():
            collection.clear()
