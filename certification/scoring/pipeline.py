"""One scoring pipeline for one application and for a whole standard (design.md §4).

`recalculate_score` (after a review, a moderation, a resubmission) and the bulk re-scoring job
(`certification.rescoring`) both call `rescore_applications`: the same set-based input query, the same
digest, the same exact arithmetic and the same snapshot writer, so one application scored alone and the
same application scored in a batch of 10,000 get byte-identical snapshots.

Per call, whatever the number of applications: one query for the inputs (reviewers' scores, moderations
and self-ratings together), one for the latest snapshots, and one multi-row INSERT for the new snapshots.
Inputs are read with SQLAlchemy Core (no ORM objects), the formula runs on integers
(`certification.scoring.engine`, checked against `standards.scoring`), and JSON is serialised once per
value: the inputs text that feeds the digest is the text stored, and the rules text is shared by the batch.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import func, select, union_all
from sqlalchemy.dialects import postgresql

from certification.applications.models import SelfAssessment
from certification.extensions import db
from certification.reviews.models import Assignment, AssignmentStatus, Moderation, ReviewScore, ScoreSnapshot
from certification.scoring.engine import CompiledRules, score_json, self_assessment_json
from certification.seals.models import Indicator
from certification.types import utcnow
from standards.scoring import ScoringRules

_COMPACT = {"sort_keys": True, "separators": (",", ":")}
_REVIEWER, _MODERATED, _SELF = 0, 1, 2

_scores = ReviewScore.__table__.c
_assignments = Assignment.__table__.c
_moderations = Moderation.__table__.c
_ratings = SelfAssessment.__table__.c
_indicators = Indicator.__table__.c
_snapshots = ScoreSnapshot.__table__


class _SerialisedJSON(sa.types.TypeDecorator):
    """A JSON column whose value is already JSON text: the digest needs that text anyway, and the rules
    text is the same for every snapshot of a batch, so neither is serialised twice."""

    impl = sa.JSON
    cache_ok = True

    def bind_processor(self, dialect):
        return None


_SNAPSHOT_COLUMNS = {
    "application_id": sa.Integer,
    "inputs_digest": sa.Text,
    "inputs": _SerialisedJSON,
    "rules": _SerialisedJSON,
    "result": _SerialisedJSON,
    "self_result": _SerialisedJSON,
    "overall": sa.Float,
    "level": sa.Text,
    "eligible": sa.Boolean,
    "computed_at": ScoreSnapshot.__table__.c.computed_at.type,
}
_snapshot_table = sa.table(
    "score_snapshots",
    *(sa.column(name, type_) for name, type_ in _SNAPSHOT_COLUMNS.items()),
    sa.column("open_disagreements", sa.Integer),
)
# The indicators of a result with a reviewer disagreement and no moderation (ScoreSnapshot.open_disagreements).
OPEN_DISAGREEMENTS_PATH = "$.indicators.* ? (@.disagreement == true && @.moderated == false)"
# SQLite (and any dialect): SQLAlchemy batches the rows into one INSERT ... VALUES (...), (...) when the
# statement has RETURNING ("insertmanyvalues"); without it the driver would run one INSERT per row.
_snapshot_insert = sa.insert(_snapshot_table).returning(sa.column("id"))
# PostgreSQL: the rows travel as ONE JSON parameter read by json_to_recordset, and the batch's rules as
# another. The driver would otherwise rewrite a query of thousands of placeholders (or escape every quote of
# every JSON value inside a text array) for each chunk; the values are JSON text already.
_snapshot_insert_postgresql = sa.text("""
    INSERT INTO score_snapshots (application_id, inputs_digest, inputs, rules, result, self_result, overall, level,
                                 eligible, computed_at, open_disagreements)
    SELECT r.application_id, r.inputs_digest, r.inputs, CAST(:rules AS JSON), r.result, r.self_result, r.overall,
           r.level, r.eligible, :computed_at,
           jsonb_array_length(jsonb_path_query_array(CAST(r.result AS JSONB), CAST(:open_path AS JSONPATH)))
    FROM json_to_recordset(CAST(:rows AS JSON)) AS r(application_id integer, inputs_digest text, inputs json,
                                                     result json, self_result json, overall double precision,
                                                     level text, eligible boolean)
""").bindparams(sa.bindparam("computed_at", type_=_SNAPSHOT_COLUMNS["computed_at"]))


def _json_row(row: dict) -> str:
    overall = "null" if row["overall"] is None else repr(row["overall"])
    level = "null" if row["level"] is None else json.dumps(row["level"])
    return (f'{{"application_id":{row["application_id"]},"inputs_digest":"{row["inputs_digest"]}",'
            f'"inputs":{row["inputs"]},"result":{row["result"]},"self_result":{row["self_result"]},'
            f'"overall":{overall},"level":{level},"eligible":{"true" if row["eligible"] else "false"}}}')  # fmt: skip


def write_snapshots(rows: list[dict]) -> None:
    """Insert score snapshots in ONE statement. Every row has every key of `_SNAPSHOT_COLUMNS` (None
    included) and its JSON values as JSON text; one batch shares its rules and its time."""
    if not rows:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_snapshot_insert_postgresql, {
            "rows": "[" + ",".join(_json_row(row) for row in rows) + "]",
            "rules": rows[0]["rules"],
            "computed_at": rows[0]["computed_at"],
            "open_path": OPEN_DISAGREEMENTS_PATH,
        })  # fmt: skip
    else:
        rows = [{**row, "open_disagreements": open_disagreements(json.loads(row["result"]))} for row in rows]
        db.session.execute(_snapshot_insert, rows).all()


def open_disagreements(result: dict) -> int:
    """How many indicators of a snapshot's result show a reviewer disagreement that nobody has moderated."""
    return sum(1 for i in result.get("indicators", {}).values() if i["disagreement"] and not i["moderated"])


def _among(column, ids: list[int]):
    """`column IN ids`; on PostgreSQL `= ANY(one array parameter)`, one placeholder however many ids, so the
    statement text (and the driver's parsing of it) is the same for every chunk."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam("ids", ids, type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(ids)


def _null(type_):
    return sa.cast(sa.null(), type_)


def _input_rows(application_ids: list[int]):
    """(application id, kind, indicator code, integer value, moderated value) rows, in the order the inputs
    are built: reviewers' scores by code then reviewer, moderations by code then age (the latest wins)."""
    reviewer = (
        select(_assignments.application_id, sa.literal(_REVIEWER).label("kind"), _indicators.code,
               _scores.score.label("value"), _null(sa.Float).label("moderated"),
               _assignments.reviewer_id.label("k1"), _assignments.id.label("k2"))
        .select_from(ReviewScore.__table__.join(Assignment.__table__, _scores.assignment_id == _assignments.id)
                     .join(Indicator.__table__, _indicators.id == _scores.indicator_id))
        .where(_among(_assignments.application_id, application_ids), _assignments.status == AssignmentStatus.SUBMITTED)
    )  # fmt: skip
    moderated = (
        select(_moderations.application_id, sa.literal(_MODERATED), _indicators.code, _null(sa.Integer),
               _moderations.score, _moderations.id, sa.literal(0))
        .select_from(Moderation.__table__.join(Indicator.__table__, _indicators.id == _moderations.indicator_id))
        .where(_among(_moderations.application_id, application_ids))
    )  # fmt: skip
    ratings = (
        select(_ratings.application_id, sa.literal(_SELF), _indicators.code, _ratings.rating, _null(sa.Float),
               sa.literal(0), sa.literal(0))
        .select_from(SelfAssessment.__table__.join(Indicator.__table__, _indicators.id == _ratings.indicator_id))
        .where(_among(_ratings.application_id, application_ids))
    )  # fmt: skip
    query = union_all(reviewer, moderated, ratings)
    columns = query.selected_columns
    ordered = query.order_by(columns[0], columns[1], columns[2], columns[5], columns[6])
    result = db.session.execute(ordered)
    # Plain ints, floats and strings need no result processing: the driver's tuples as they come (building
    # a Row for each of the ~50 rows an application has costs as much as fetching them).
    rows = result.cursor.fetchall()
    result.close()
    return rows


def inputs_of(application_ids: Iterable[int]) -> dict[int, dict]:
    """application id → what the §4 formula reads for it, JSON-ready:
    {"reviewer_scores": {code: [score or None, ...]}, "moderated": {code: score}, "self_ratings": {code: rating}}.
    One query, whatever the number of applications."""
    application_ids = list(application_ids)
    inputs = {i: {"reviewer_scores": {}, "moderated": {}, "self_ratings": {}} for i in application_ids}
    if not application_ids:
        return inputs
    for application_id, kind, code, value, moderated_score, _, _ in _input_rows(application_ids):
        app_inputs = inputs[application_id]
        if kind == _REVIEWER:
            scores = app_inputs["reviewer_scores"]
            if code in scores:
                scores[code].append(value)
            else:
                scores[code] = [value]
        elif kind == _MODERATED:
            app_inputs["moderated"][code] = moderated_score
        else:
            app_inputs["self_ratings"][code] = value
    return inputs


def digest(inputs: dict, rules: dict) -> str:
    """The snapshot's inputs digest: equal digests mean a recompute would give the same snapshot."""
    return _digest(json.dumps(inputs, **_COMPACT), json.dumps(rules, **_COMPACT))


def _digest(inputs_json: str, rules_json: str) -> str:
    # The text json.dumps({"inputs": ..., "rules": ...}, sort_keys=True) gives, built from its two halves.
    return hashlib.sha256(f'{{"inputs":{inputs_json},"rules":{rules_json}}}'.encode()).hexdigest()


def latest_outcomes(application_ids: list[int]) -> dict[int, tuple]:
    """application id → (digest, overall, level, eligible) of its latest snapshot, in one query."""
    latest_ids = (
        select(func.max(_snapshots.c.id))
        .where(_among(_snapshots.c.application_id, application_ids))
        .group_by(_snapshots.c.application_id)
    )
    rows = db.session.execute(
        select(_snapshots.c.application_id, _snapshots.c.inputs_digest, _snapshots.c.overall, _snapshots.c.level,
               _snapshots.c.eligible).where(_snapshots.c.id.in_(latest_ids))
    )  # fmt: skip
    return {row[0]: tuple(row[1:]) for row in rows}


def outcome(overall, level, eligible) -> dict:
    return {"overall": overall, "level": level, "eligible": bool(eligible)}


class Batch:
    """The rules of one standard version, compiled and serialised once for every application scored."""

    def __init__(self, rules: ScoringRules) -> None:
        self.rules = rules
        self.rules_dict = rules.to_dict()
        self.rules_json = json.dumps(self.rules_dict, **_COMPACT)
        self.compiled = CompiledRules(rules)


def rescore_applications(
    application_ids: list[int], batch: Batch | ScoringRules
) -> dict[int, tuple[dict | None, dict]]:
    """Recompute the §4 score of applications of one standard version with `batch`'s rules.

    Writes one snapshot per application whose inputs or rules changed since its latest snapshot, all in
    one INSERT, and none for the others — so running it twice adds nothing (a pure recompute). Returns
    application id → (outcome before, or None if never scored; outcome after). Does not commit.
    """
    if not isinstance(batch, Batch):
        batch = Batch(batch)
    inputs = inputs_of(application_ids)
    latest = latest_outcomes(application_ids)
    compiled, rules_json = batch.compiled, batch.rules_json
    now = utcnow()
    new_rows: list[dict] = []
    outcomes: dict[int, tuple[dict | None, dict]] = {}
    for application_id in application_ids:
        app_inputs = inputs[application_id]
        previous = latest.get(application_id)
        before = outcome(*previous[1:]) if previous else None  # never scored: no outcome to change
        inputs_json = json.dumps(app_inputs, **_COMPACT)
        app_digest = _digest(inputs_json, rules_json)
        if previous is not None and previous[0] == app_digest:
            outcomes[application_id] = (before, before)
            continue
        result, overall, level, eligible = score_json(compiled, app_inputs["reviewer_scores"], app_inputs["moderated"])
        # Every row carries every key (None included), so the rows form one multi-row INSERT.
        new_rows.append(
            {
                "application_id": application_id,
                "inputs_digest": app_digest,
                "inputs": inputs_json,
                "rules": rules_json,
                "result": result,
                "self_result": self_assessment_json(compiled, app_inputs["self_ratings"])[0],
                "overall": overall,
                "level": level,
                "eligible": eligible,
                "computed_at": now,
            }  # fmt: skip
        )
        outcomes[application_id] = (before, outcome(overall, level, eligible))
    write_snapshots(new_rows)
    return outcomes
