"""The rows one publish has just written, as the search documents can read them without the database.

``app.services.publish.write_prepared`` upserts a ``Flattened`` and detaches the children its
parents no longer list. Afterwards the database holds, for every row of the batch, the batch's
value of each field the row gives (all of them for a row it inserted: a field left out is
NULL; a row that existed keeps the fields left out). And a parent that owns an array (an owner
record claims all of its arrays, a shared record the ones it lists; a new parent has no other
children) has exactly the children whose link column in the batch names it: any other child was
detached. So ``app.search.documents`` takes from here what these two rules settle, and selects
from the database only the rest (an organisation or location that came without the service, a
field an updated shared record left out).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from types import SimpleNamespace
from typing import Any

from schema.flatten import Flattened, OwnedKey

Row = dict[str, Any]


class PublishedRows:
    """The rows of one ``write_prepared`` and which of them existed before it."""

    def __init__(self, out: Flattened | None = None, existed: dict[str, set[str]] | None = None):
        self.rows: dict[str, dict[str, Row]] = out.rows if out is not None else {}
        self.owned = out.owned if out is not None else {}
        self.existed = existed or {}
        self._claimed: dict[OwnedKey, set[str]] = defaultdict(set)
        for (_table, claimed), ids in (out.claims.items() if out is not None else ()):
            for key in claimed:
                self._claimed[key].update(ids)
        self._by_link: dict[tuple[str, str], dict[Any, list[Row]]] = {}

    def row(self, table: str, row_id: str, columns: Sequence[str]) -> SimpleNamespace | None:
        """A row (its fields as attributes, ``columns`` among them) as the database now holds it, if
        the batch settles those columns: it inserted the row (a field left out is NULL) or gives them all."""
        rows = self.rows.get(table)
        row = None if rows is None else rows.get(row_id)
        if row is None:
            return None
        missing = [column for column in columns if column not in row]
        if not missing:
            return SimpleNamespace(**row)
        if row_id in self.existed.get(table, ()):
            return None
        return SimpleNamespace(**row, **dict.fromkeys(missing))

    def rows_of(self, table: str, row_ids: Iterable[str],
                columns: Sequence[str]) -> tuple[list[Any], list[str]]:
        """``row`` for each of ``row_ids``: the rows the batch settles (their ``extend`` takes a select's
        rows too), and the ids it does not (read those)."""
        found: list[Any] = []
        unsettled: list[str] = []
        for row_id in row_ids:
            row = self.row(table, row_id, columns)
            if row is None:
                unsettled.append(row_id)
            else:
                found.append(row)
        return found, unsettled

    def children(self, key: OwnedKey, parent_ids: Iterable[str],
                 columns: Sequence[str]) -> tuple[list[SimpleNamespace], set[str]]:
        """The rows of ``key``'s child table linked to ``parent_ids`` (with ``columns``), for the
        parents whose children the batch settles; and the parents it does not (read those)."""
        table, link, parent_table = key
        parents = self.rows.get(parent_table, {})
        existed = self.existed.get(parent_table, set())
        listed = self.owned.get(key, {})
        claimed = self._claimed.get(key, set())
        found: list[SimpleNamespace] = []
        unsettled: set[str] = set()
        for parent_id in parent_ids:
            if parent_id not in parents or (parent_id in existed and parent_id not in listed
                                            and parent_id not in claimed):
                unsettled.add(parent_id)
                continue
            rows = []
            for child in self._linked(table, link).get(parent_id, ()):
                row = self.row(table, child["id"], columns)
                if row is None:
                    break
                rows.append(row)
            else:
                found.extend(rows)
                continue
            unsettled.add(parent_id)
        return found, unsettled

    def _linked(self, table: str, link: str) -> dict[Any, list[Row]]:
        """The batch's rows of ``table`` by their value of ``link`` (made once per publish)."""
        index = self._by_link.get((table, link))
        if index is None:
            index = self._by_link[table, link] = defaultdict(list)
            for row in self.rows.get(table, {}).values():
                value = row.get(link)
                if value is not None:
                    index[value].append(row)
        return index
