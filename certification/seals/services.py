"""Writes on standards: loading the YAML seals, the status lifecycle, consultation comments and pilot
calibration. A published (or retired) version is frozen: every write here refuses to change it, and
`certification.seals.models` refuses it again at flush time whatever the code path."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from certification.accounts.policies import is_staff
from certification.applications.models import Application
from certification.errors import (
    ConcurrentUpdate,
    Forbidden,
    GuardFailed,
    NotEditable,
    NotFound,
    StateConflict,
    ValidationFailed,
)
from certification.extensions import db
from certification.outbox.services import commit, rollback
from certification.rescoring.services import queue_rescore
from certification.reviews.queries import score_inputs
from certification.seals import policies, queries
from certification.seals.models import (
    Area,
    Calibration,
    CommentStatus,
    Dimension,
    Indicator,
    IndicatorComment,
    Standard,
    StandardHistory,
    StandardStatus,
)
from certification.types import utcnow
from standards.loader import SEALS_DIR, load_directory, load_translations
from standards.scoring import ScoreResult, ScoringRules, compute_score
from standards.spec import TRANSLATION_LOCALES, StandardSpec, TranslationSpec
from workflows.messages import N_, Unmet

MAX_TEXT = 5000
FROZEN_MESSAGE = N_("This version is published and frozen: any change needs a new version.")


class PublishedVersionChanged(Exception):
    """A published standard's file was edited: that needs a new version, not an edit."""


@dataclass
class LoadReport:
    created: list[str]
    unchanged: list[str]
    translated: list[str] = field(default_factory=list)  # "GEN 1.0 fr": an overlay stored or replaced


def _digest(spec: StandardSpec) -> str:
    def encode(obj):
        if hasattr(obj, "__dataclass_fields__"):
            return {k: encode(getattr(obj, k)) for k in obj.__dataclass_fields__}
        if isinstance(obj, dict):
            return {str(k): encode(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [encode(v) for v in obj]
        return obj

    return hashlib.sha256(json.dumps(encode(spec), sort_keys=True).encode()).hexdigest()


def _build(spec: StandardSpec, digest: str) -> Standard:
    s = spec.settings
    standard = Standard(
        code=spec.code, area=Area(spec.area), version=spec.version, status=StandardStatus(spec.status),
        title_es=spec.title.es, title_en=spec.title.en,
        description_es=spec.description.es, description_en=spec.description.en,
        pass_threshold=s.pass_threshold, dimension_minimum=s.dimension_minimum,
        essential_minimum=s.essential_minimum,
        levels=[{"code": lv.code, "minimum": lv.minimum, "name": {"es": lv.name.es, "en": lv.name.en}}
                for lv in s.levels],
        validity_months=s.validity_months, min_reviewers=s.min_reviewers,
        disagreement_gap=s.disagreement_gap, source_sha256=digest,
    )  # fmt: skip
    db.session.add(standard)
    db.session.flush()
    for d_pos, d in enumerate(spec.dimensions):
        dimension = Dimension(
            standard_id=standard.id, code=d.code, position=d_pos, weight=d.weight,
            title_es=d.title.es, title_en=d.title.en,
        )  # fmt: skip
        db.session.add(dimension)
        db.session.flush()
        db.session.add_all(
            Indicator(
                standard_id=standard.id,
                dimension_id=dimension.id,
                code=i.code,
                position=i_pos,
                weight=i.weight,
                essential=i.essential,
                allows_na=i.allows_na,
                scale_min=i.scale_min,
                scale_max=i.scale_max,
                text_es=i.text.es,
                text_en=i.text.en,
                guidance_es=i.guidance.es,
                guidance_en=i.guidance.en,
                descriptors={str(k): {"es": v.es, "en": v.en} for k, v in i.descriptors.items()},
                evidence_kinds=list(i.evidence),
                framework=i.framework,
            )  # fmt: skip
            for i_pos, i in enumerate(d.indicators)
        )
    return standard


def _with(translations: dict | None, locale: str, entry: dict) -> dict:
    return {**(translations or {}), locale: entry}


def _store_translation(standard: Standard, translation: TranslationSpec) -> bool:
    """Put an overlay's texts on the version's rows; False when they are already there. Only the
    `translations` columns are written: they are outside the digest and the frozen rule."""
    locale = translation.locale
    dimensions = db.session.scalars(select(Dimension).where(Dimension.standard_id == standard.id)).all()
    indicators = db.session.scalars(select(Indicator).where(Indicator.standard_id == standard.id)).all()
    wanted_standard = translation.as_stored()
    wanted_dimensions = {d.code: {"title": translation.dimensions[d.code]} for d in dimensions}
    wanted_indicators = {
        i.code: {
            "text": translation.indicators[i.code].text,
            "guidance": translation.indicators[i.code].guidance,
            "descriptors": {str(k): v for k, v in translation.indicators[i.code].descriptors.items()},
        }
        for i in indicators
    }
    changed = False
    if (standard.translations or {}).get(locale) != wanted_standard:
        standard.translations = _with(standard.translations, locale, wanted_standard)
        changed = True
    for row, wanted in [(d, wanted_dimensions[d.code]) for d in dimensions] + [
        (i, wanted_indicators[i.code]) for i in indicators
    ]:
        if (row.translations or {}).get(locale) != wanted:
            row.translations = _with(row.translations, locale, wanted)
            changed = True
    return changed


def load_standards(directory: str | Path = SEALS_DIR) -> LoadReport:
    """Validate every YAML file in `directory` and every overlay translation under `directory`/translations/,
    then add the versions not yet loaded and store the translations, all in one transaction.

    Nothing half-loaded: every file is validated before anything is written, and any failure while
    writing rolls the whole load back. Raises standards.loader.StandardFileError for a bad file, and
    PublishedVersionChanged when a loaded version's file now says something else. A translation is not
    part of a version's digest, so it may be added to (or corrected on) a published version.
    """
    specs = load_directory(directory)
    translations = load_translations(directory, specs)
    report = LoadReport(created=[], unchanged=[])
    try:
        for spec in specs:
            digest = _digest(spec)
            label = f"{spec.code} {spec.version}"
            existing = db.session.scalar(
                select(Standard).where(Standard.code == spec.code, Standard.version == spec.version)
            )
            if existing is None:
                _build(spec, digest)
                report.created.append(label)
            elif existing.source_sha256 == digest:
                report.unchanged.append(label)
            else:
                raise PublishedVersionChanged(
                    f"{spec.source}: {label} is already loaded and its content changed; "
                    "give the file a new version instead of editing a loaded one."
                )
        for translation in translations:
            standard = db.session.scalar(
                select(Standard).where(Standard.code == translation.code, Standard.version == translation.version)
            )
            if _store_translation(standard, translation):
                report.translated.append(f"{translation.code} {translation.version} {translation.locale}")
        commit()
    except Exception:
        rollback()
        raise
    return report


# --- lifecycle: draft → consultation → pilot → published → retired -----------------------------------------


def change_status(user, standard_id: int, status: str, reason: str) -> Standard:
    """Move a version one step along its lifecycle (admins only), with a history row in the same commit.

    Leaving consultation needs every comment resolved. Raises NotFound, Forbidden, ValidationFailed,
    StateConflict (not the next step) or GuardFailed (open comments).
    """
    standard = queries.get_visible(user, standard_id, for_update=True)
    if not policies.may_change_status(user):
        raise Forbidden(N_("Only an administrator may change a standard's status."))
    errors: dict[str, list[str]] = {}
    try:
        target = StandardStatus(status)
    except ValueError:
        target = None
        errors["status"] = [N_("Choose consultation, pilot, published or retired.")]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [N_("A reason is required.")]
    elif len(reason) > MAX_TEXT:
        errors["reason"] = [N_("At most 5000 characters.")]
    if errors:
        raise ValidationFailed(errors)
    if target not in policies.STATUS_STEPS[standard.status]:
        raise StateConflict(N_("This step is not possible from the standard's current status."))
    if target == StandardStatus.PUBLISHED:
        _require_translations(standard)
    if standard.status == StandardStatus.CONSULTATION:
        open_count = queries.comment_counts(standard.id).get(CommentStatus.OPEN.value, 0)
        if open_count:
            message = N_("Resolve the %(n)d open consultation comment(s) first.")
            raise GuardFailed("change_status", [Unmet("open_comments", message, {"n": open_count})])
    db.session.add(StandardHistory(standard_id=standard.id, from_status=standard.status, to_status=target,
                                   actor_id=user.id, reason=reason))  # fmt: skip
    standard.status = target
    try:
        commit()
    except IntegrityError as exc:  # a concurrent change took this chain position (no row locks on SQLite)
        raise ConcurrentUpdate(N_("Someone else changed this standard at the same time; reload it.")) from exc
    return standard


def missing_translations(standard: Standard) -> dict[str, list[str]]:
    """Per overlay language, the codes of the version without a text in it ("title" for the version's own
    texts). Spanish and English are complete by construction (the loader refuses a file without them)."""
    dimensions = db.session.scalars(select(Dimension).where(Dimension.standard_id == standard.id)).all()
    indicators = db.session.scalars(
        select(Indicator).where(Indicator.standard_id == standard.id).order_by(Indicator.position)
    ).all()
    missing: dict[str, list[str]] = {}
    for locale in TRANSLATION_LOCALES:
        entry = (standard.translations or {}).get(locale) or {}
        codes = [] if entry.get("title") and entry.get("description") else [standard.code]
        codes += [d.code for d in sorted(dimensions, key=lambda d: d.position)
                  if not ((d.translations or {}).get(locale) or {}).get("title")]  # fmt: skip
        codes += [i.code for i in indicators if not ((i.translations or {}).get(locale) or {}).get("text")]
        if codes:
            missing[locale] = codes
    return missing


def _require_translations(standard: Standard) -> None:
    """A version is published in every product language: es and en in its file, fr from its overlay."""
    missing = missing_translations(standard)
    if missing.get("fr"):
        codes = missing["fr"]
        shown = ", ".join(codes[:5])
        message = N_(
            "The French translation is missing for %(codes)s (%(n)d in all): add "
            "standards/translations/fr/%(file)s and load the standards before publishing."
        )
        params = {"n": len(codes), "codes": shown + (", …" if len(codes) > 5 else ""),
                  "file": f"{standard.code}-{standard.version}.yaml"}  # fmt: skip
        raise GuardFailed("change_status", [Unmet("translation_fr", message, params)])


# --- consultation ----------------------------------------------------------------------------------------------


def _text(value, name: str, errors: dict, *, required: bool) -> str:
    value = (value or "").strip() if isinstance(value, str | type(None)) else None
    if value is None:
        errors[name] = [N_("Give a text.")]
        return ""
    if required and not value:
        errors[name] = [N_("This field is required.")]
    elif len(value) > MAX_TEXT:
        errors[name] = [N_("At most 5000 characters.")]
    return value


def add_comment(user, standard_id: int, indicator_code: str, body: str, proposed_text: str = "") -> IndicatorComment:
    """A logged-in person comments on one indicator of a version in consultation, optionally proposing
    a rewording. Raises NotFound, NotEditable (not in consultation) or ValidationFailed."""
    if not getattr(user, "is_authenticated", False):
        raise Forbidden(N_("Log in to comment."))
    # Locked like a status change, so no comment slips in while an admin closes the consultation.
    standard = queries.get_visible(user, standard_id, for_update=True)
    if policies.is_frozen(standard):
        raise NotEditable(FROZEN_MESSAGE)
    if not policies.may_comment(user, standard):
        raise NotEditable(N_("Comments are taken only while the standard is in consultation."))
    errors: dict[str, list[str]] = {}
    body = _text(body, "comment", errors, required=True)
    proposed_text = _text(proposed_text, "proposed_text", errors, required=False)
    indicator = db.session.scalar(
        select(Indicator).where(Indicator.standard_id == standard.id, Indicator.code == str(indicator_code))
    )
    if indicator is None:
        errors["indicator"] = [N_("Unknown indicator.")]
    if errors:
        raise ValidationFailed(errors)
    comment = IndicatorComment(standard_id=standard.id, indicator_id=indicator.id, author_id=user.id, body=body,
                               proposed_text=proposed_text)  # fmt: skip
    db.session.add(comment)
    commit()
    return comment


RESOLUTIONS = (CommentStatus.ACCEPTED, CommentStatus.REJECTED, CommentStatus.ANSWERED)


def resolve_comment(user, comment_id: int, resolution: str, response: str) -> IndicatorComment:
    """A facilitator or admin answers a comment and marks it accepted, rejected or answered (a resolved
    comment may be re-resolved while the consultation lasts). Raises NotFound, Forbidden, NotEditable
    or ValidationFailed."""
    comment = None
    if 0 < comment_id <= queries.MAX_ID:
        comment = db.session.scalar(select(IndicatorComment).where(IndicatorComment.id == comment_id).with_for_update())
    if comment is None:
        raise NotFound("comment")
    standard = queries.get_visible(user, comment.standard_id)
    if not is_staff(user):
        raise Forbidden(N_("Only a facilitator may resolve consultation comments."))
    if policies.is_frozen(standard):
        raise NotEditable(FROZEN_MESSAGE)
    if not policies.may_resolve(user, standard):
        raise NotEditable(N_("Comments are resolved while the standard is in consultation."))
    errors: dict[str, list[str]] = {}
    try:
        status = CommentStatus(resolution)
    except ValueError:
        status = None
    if status not in RESOLUTIONS:
        errors["resolution"] = [N_("Choose accepted, rejected or answered.")]
    response = _text(response, "response", errors, required=True)
    if errors:
        raise ValidationFailed(errors)
    comment.status, comment.response = status, response
    comment.resolved_by_id, comment.resolved_at = user.id, utcnow()
    commit()
    return comment


# --- pilot calibration ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalibrationProposal:
    """Weights and thresholds a facilitator proposes for a version in pilot (every value, not a delta)."""

    pass_threshold: float
    dimension_minimum: float
    essential_minimum: float
    levels: dict[str, float]  # level code → minimum, in the standard's order
    dimensions: dict[str, float]  # dimension code → weight
    indicators: dict[str, float]  # indicator code → weight

    def as_form(self) -> dict[str, str]:
        """The proposal as calibration form fields (the preview page carries it to the save)."""
        fields = {"pass": self.pass_threshold, "dimension_minimum": self.dimension_minimum,
                  "essential_minimum": self.essential_minimum}  # fmt: skip
        fields.update({f"level-{code}": value for code, value in self.levels.items()})
        fields.update({f"dimension-{code}": value for code, value in self.dimensions.items()})
        fields.update({f"indicator-{code}": value for code, value in self.indicators.items()})
        return {key: repr(float(value)) for key, value in fields.items()}


def current_proposal(tree: Standard) -> CalibrationProposal:
    """The values in force, as a proposal (what the calibration form starts from)."""
    return CalibrationProposal(
        pass_threshold=tree.pass_threshold,
        dimension_minimum=tree.dimension_minimum,
        essential_minimum=tree.essential_minimum,
        levels={level["code"]: level["minimum"] for level in tree.levels},
        dimensions={d.code: d.weight for d in tree.dimensions},
        indicators={i.code: i.weight for d in tree.dimensions for i in d.indicators},
    )


def _number(raw, current: float) -> float | None:
    """A form value as a finite float; a missing value keeps `current`; None when it is not a number."""
    if raw is None:
        return current
    try:
        value = float(str(raw).strip().replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


MAX_WEIGHT = 1000


def parse_calibration(tree: Standard, form: Mapping[str, str]) -> CalibrationProposal:
    """Read a calibration form: `pass`, `dimension_minimum`, `essential_minimum`, `level-<code>`,
    `dimension-<code>`, `indicator-<code>`; a field left out keeps its value. Raises ValidationFailed with
    every problem (weights > 0, thresholds 0–100, levels ascending, essential minimum within the scale)."""
    current = current_proposal(tree)
    errors: dict[str, list[str]] = {}

    def read(key: str, now: float, *, low: float = 0, high: float = 100, positive: bool = False) -> float:
        value = _number(form.get(key), now)
        if value is None:
            errors[key] = [N_("Give a number.")]
            return now
        if positive and not 0 < value <= MAX_WEIGHT:
            errors[key] = [N_("A weight must be greater than 0 and at most 1000.")]
        elif not positive and not low <= value <= high:
            errors[key] = [N_("Give a number from 0 to 100.")]
        return value

    pass_threshold = read("pass", current.pass_threshold)
    dimension_minimum = read("dimension_minimum", current.dimension_minimum)
    essentials = [i for d in tree.dimensions for i in d.indicators if i.essential]
    low = max((i.scale_min for i in essentials), default=0)
    high = min((i.scale_max for i in essentials), default=100)
    essential_minimum = _number(form.get("essential_minimum"), current.essential_minimum)
    if essential_minimum is None or not low <= essential_minimum <= high:
        errors["essential_minimum"] = [N_("The essential minimum must lie within the essential indicators' scale.")]
        essential_minimum = current.essential_minimum
    levels = {code: read(f"level-{code}", now) for code, now in current.levels.items()}
    minimums = list(levels.values())
    if any(b <= a for a, b in zip(minimums, minimums[1:], strict=False)):
        errors["levels"] = [N_("Each level's minimum must be higher than the one before.")]
    dimensions = {code: read(f"dimension-{code}", now, positive=True) for code, now in current.dimensions.items()}
    indicators = {code: read(f"indicator-{code}", now, positive=True) for code, now in current.indicators.items()}
    if errors:
        raise ValidationFailed(errors)
    return CalibrationProposal(pass_threshold, dimension_minimum, essential_minimum, levels, dimensions, indicators)


def proposal_changes(tree: Standard, proposal: CalibrationProposal) -> list[dict]:
    """Every value the proposal changes: {target, code, field, old, new}."""
    current = current_proposal(tree)
    changes = []
    for name in ("pass_threshold", "dimension_minimum", "essential_minimum"):
        old, new = getattr(current, name), getattr(proposal, name)
        if old != new:
            changes.append({"target": "settings", "code": "", "field": name, "old": old, "new": new})
    for target, old_map, new_map in (
        ("level", current.levels, proposal.levels),
        ("dimension", current.dimensions, proposal.dimensions),
        ("indicator", current.indicators, proposal.indicators),
    ):
        field_name = "minimum" if target == "level" else "weight"
        for code, old in old_map.items():
            if new_map.get(code, old) != old:
                changes.append({"target": target, "code": code, "field": field_name, "old": old,
                                "new": new_map[code]})  # fmt: skip
    return changes


def rules_with(tree: Standard, proposal: CalibrationProposal) -> ScoringRules:
    """The scoring rules of `tree` with the proposal's weights and thresholds."""
    rules = queries.scoring_rules(tree)
    data = rules.to_dict()
    data["pass_threshold"] = proposal.pass_threshold
    data["dimension_minimum"] = proposal.dimension_minimum
    data["essential_minimum"] = proposal.essential_minimum
    data["levels"] = [{"code": lv["code"], "minimum": proposal.levels[lv["code"]]} for lv in data["levels"]]
    for item in data["dimensions"]:
        item["weight"] = proposal.dimensions[item["code"]]
    for item in data["indicators"]:
        item["weight"] = proposal.indicators[item["code"]]
    return ScoringRules.from_dict(data)


def rules_token(tree: Standard) -> str:
    """A fingerprint of the rules in force: saving a calibration previewed on other rules is refused."""
    payload = json.dumps(queries.scoring_rules(tree).to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _outcome(result: ScoreResult) -> dict:
    return {"overall": result.overall, "level": result.level, "eligible": result.eligible}


@dataclass
class PreviewRow:
    application_id: int
    reference: str | None
    organization: str
    before: dict
    after: dict

    @property
    def changed(self) -> bool:
        return (self.before["eligible"], self.before["level"]) != (self.after["eligible"], self.after["level"])


@dataclass
class CalibrationPreview:
    standard: Standard
    proposal: CalibrationProposal
    changes: list[dict]
    rows: list[PreviewRow]
    token: str
    scored: int = 0
    outcome_changes: list[PreviewRow] = field(default_factory=list)


def _calibratable(user, standard_id: int, *, for_update: bool = False) -> Standard:
    standard = queries.get_visible(user, standard_id, for_update=for_update)
    if not is_staff(user):
        raise Forbidden(N_("Only a facilitator or an administrator may calibrate a standard."))
    if policies.is_frozen(standard):
        raise NotEditable(FROZEN_MESSAGE)
    if not policies.may_calibrate(user, standard):
        raise NotEditable(N_("Weights and thresholds can be calibrated only while the standard is in pilot."))
    return standard


def preview_calibration(user, standard_id: int, proposal: CalibrationProposal) -> CalibrationPreview:
    """What saving `proposal` would do to every application on the version: each one is scored with the
    rules in force and with the proposed ones, from the inputs the re-score will read (reviewers' scores
    and moderations). Changes nothing."""
    _calibratable(user, standard_id)
    tree = queries.standard_tree(standard_id)
    proposal = parse_calibration(tree, proposal.as_form())
    current_rules, proposed_rules = queries.scoring_rules(tree), rules_with(tree, proposal)

    applications = db.session.scalars(
        select(Application)
        .where(Application.standard_id == standard_id)
        .options(joinedload(Application.organization))
        .order_by(Application.id)
    )
    rows, scored = [], 0
    for application in applications:
        inputs = score_inputs(application)
        before = compute_score(current_rules, inputs["reviewer_scores"], inputs["moderated"])
        after = compute_score(proposed_rules, inputs["reviewer_scores"], inputs["moderated"])
        scored += before.overall is not None
        rows.append(PreviewRow(application.id, application.reference, application.organization.name,
                               _outcome(before), _outcome(after)))  # fmt: skip
    return CalibrationPreview(
        standard=tree, proposal=proposal, changes=proposal_changes(tree, proposal), rows=rows,
        token=rules_token(tree), scored=scored, outcome_changes=[row for row in rows if row.changed],
    )  # fmt: skip


def calibrate(user, standard_id: int, proposal: CalibrationProposal, reason: str, token: str) -> Calibration:
    """Save a previewed calibration of a version in pilot: the new values, an audit row with every old
    and new value, and the re-scoring of every application on the version, in one transaction (the
    re-scoring itself runs after the commit, in the background). `token` is the preview's rules_token:
    if the rules changed since the preview, nothing is saved (ConcurrentUpdate)."""
    standard = _calibratable(user, standard_id, for_update=True)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [N_("A reason is required.")]})
    if len(reason) > MAX_TEXT:
        raise ValidationFailed({"reason": [N_("At most 5000 characters.")]})
    tree = queries.standard_tree(standard.id)
    if token != rules_token(tree):
        raise ConcurrentUpdate(N_("The weights or thresholds changed since your preview; preview again."))
    proposal = parse_calibration(tree, proposal.as_form())  # the same checks, whoever built the proposal
    changes = proposal_changes(tree, proposal)
    if not changes:
        raise ValidationFailed({"calibration": [N_("Nothing changed: adjust a weight or a threshold.")]})
    rules_with(tree, proposal)  # the scoring engine accepts the new rules before anything is written
    tree.pass_threshold = proposal.pass_threshold
    tree.dimension_minimum = proposal.dimension_minimum
    tree.essential_minimum = proposal.essential_minimum
    tree.levels = [{**level, "minimum": proposal.levels[level["code"]]} for level in tree.levels]
    for dimension in tree.dimensions:
        dimension.weight = proposal.dimensions[dimension.code]
        for indicator in dimension.indicators:
            indicator.weight = proposal.indicators[indicator.code]

    try:
        job = queue_rescore(standard.id, requested_by_id=user.id, reason=reason)
        # Written once, complete: the record is append-only.
        calibration = Calibration(standard_id=standard.id, actor_id=user.id, reason=reason, changes=changes,
                                  rescore_job_id=job.id)  # fmt: skip
        db.session.add(calibration)
        commit()  # the calibration, the job and its outbox row together
    except IntegrityError as exc:  # a concurrent calibration took this chain position (no row locks on SQLite)
        rollback()
        raise ConcurrentUpdate(N_("The weights or thresholds changed since your preview; preview again.")) from exc
    except Exception:
        rollback()
        raise
    return calibration
