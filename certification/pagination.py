"""One page of a list in a constant number of queries, for the UI and the API alike; a whole list in chunks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select

from certification.extensions import db


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def paginate(query, order_by, page: int, per_page: int, *, options=()) -> Page:
    """One page of `query` and its total: two queries (plus one per eager-loaded collection)."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.options(*options).order_by(*order_by).limit(per_page).offset((page - 1) * per_page))
    return Page(items=list(rows.unique()), page=page, per_page=per_page, total=total)


def keyset_chunks(query, key, size: int) -> Iterator[list]:
    """The rows of `query`, ordered by `key` (a unique increasing column such as an id, selected by the query),
    `size` at a time. Each chunk starts after the last key of the one before (keyset: no growing offset), so
    every chunk costs the same however far into the list it is."""
    query = query.order_by(key).limit(size)
    after = 0
    while True:
        rows = db.session.execute(query.where(key > after)).all()
        if not rows:
            return
        yield rows
        after = rows[-1]._mapping[key]
