"""Offline scoring over the API: what a device may keep, and the changes it made offline.

The offline scoring screen calls these with the reviewer's web session (and CSRF token); other clients with
a bearer token. Every change goes through the same `save_score` as the online scoring screen.
"""

from __future__ import annotations

from functools import partial

from certification.api import schemas as s
from certification.api.errors import ApiError, api_locale
from certification.api.openapi import ID, operation
from certification.api.views import bp
from certification.errors import ConcurrentUpdate, NotFound
from certification.offline import queries
from certification.offline import services as offline

op = partial(operation, bp)
ASSIGNMENT = f"/assignments/<{ID}:assignment_id>"


def _summary(assignment) -> dict:
    application = assignment.application
    return dict(id=assignment.id, application_id=application.id, reference=application.reference or "",
                organization=application.organization.name, standard_code=application.standard.code,
                standard_version=application.standard.version, due_on=assignment.due_on,
                editable=queries.editable(assignment))  # fmt: skip


@op("GET", "/offline/assignments", returns=s.OfflineAssignmentList, browser=True, tag="offline")
def offline_assignments(user):
    """The assignments your device may keep offline

    Your accepted assignments. A device removes what it holds of any other (submitted, withdrawn, declined).
    """
    return s.OfflineAssignmentList(items=[s.OfflineAssignmentSummary(**_summary(a))
                                          for a in queries.offline_assignments(user.id)])  # fmt: skip


@op("GET", "/offline" + ASSIGNMENT, returns=s.OfflineAssignment, errors=(404,), browser=True, tag="offline")
def offline_assignment(user, assignment_id: int):
    """One accepted assignment with everything its scoring needs offline

    Indicators with their rubric and scoring rules, the MFI's self-assessment, the evidence files' metadata
    (their content: GET /api/v1/evidence/{id}/content) and your saved scores with their versions.
    """
    assignment = queries.offline_assignment(user.id, assignment_id)
    if assignment is None:
        raise NotFound("assignment")
    return s.OfflineAssignment.model_validate(queries.package(assignment, api_locale()))


@op("POST", "/offline" + ASSIGNMENT + "/changes", body=s.OfflineChangeIn, returns=s.OfflineChangeOut,
    errors=(403, 404, 409), browser=True, tag="offline")  # fmt: skip
def offline_change(user, assignment_id: int, body: s.OfflineChangeIn):
    """Sync one change made offline

    Send a device's changes one at a time, in the order they were made. A key already applied answers its
    first outcome with `replayed: true` and changes nothing. A score saved since `base_version` answers 409
    `concurrent_update` with the server's score in `details.current`: nothing is overwritten. Validation and
    the other errors are those of PUT /assignments/{id}/scores/{code}.
    """
    try:
        applied = offline.apply_change(user, assignment_id, key=body.key, code=body.indicator_code, score=body.score,
                                       comment=body.comment, evidence_ids=body.evidence_ids,
                                       base_version=body.base_version)  # fmt: skip
    except ConcurrentUpdate as exc:
        row = getattr(exc, "current", None)
        current = None if row is None else s.ScoreState.model_validate(row).model_dump(mode="json")
        raise ApiError(409, "concurrent_update", exc.message, {"current": current}) from None
    return s.OfflineChangeOut(key=body.key, indicator_code=body.indicator_code, version=applied.version,
                              replayed=applied.replayed)  # fmt: skip
