"""Applying a change a reviewer's device made offline: once per idempotency key, through the same
`save_score` as the scoring screen (so the same rules, the same errors), never over a newer score."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from certification.errors import ValidationFailed
from certification.extensions import db
from certification.offline import queries
from certification.offline.models import OfflineChange
from certification.reviews import services as reviews
from certification.reviews.models import ReviewScore
from certification.types import utcnow
from workflows.messages import N_


@dataclass
class Applied:
    row: ReviewScore | None
    version: int
    replayed: bool


def _replay(user, key: str, assignment_id: int, code: str) -> Applied | None:
    earlier = queries.receipt(user.id, key)
    if earlier is None:
        return None
    if earlier.assignment_id != assignment_id or earlier.indicator_code != code:
        raise ValidationFailed({"key": [N_("This idempotency key was already used for another change.")]})
    return Applied(row=None, version=earlier.version, replayed=True)


def apply_change(user, assignment_id: int, *, key: str, code: str, score, comment: str, evidence_ids=(),
                 base_version: int) -> Applied:  # fmt: skip
    """Apply one offline change, or answer its first outcome again if this key was applied already.

    `base_version` is the score's version the device started from (0: unscored); a score saved meanwhile
    raises ConcurrentUpdate with the current row, so the reviewer chooses between the two.
    """
    replayed = _replay(user, key, assignment_id, code)
    if replayed is not None:
        return replayed

    def keep_receipt(row: ReviewScore) -> None:
        db.session.add(OfflineChange(reviewer_id=user.id, key=key, assignment_id=assignment_id, indicator_code=code,
                                     version=row.version, applied_at=utcnow()))  # fmt: skip

    try:
        row = reviews.save_score(user, assignment_id, code, score, comment, evidence_ids,
                                 expected_version=base_version, on_saved=keep_receipt)  # fmt: skip
    except IntegrityError:  # the same key sent twice at once: the other request applied it
        db.session.rollback()
        replayed = _replay(user, key, assignment_id, code)
        if replayed is None:
            raise
        return replayed
    return Applied(row=row, version=row.version, replayed=False)
