"""How the API shows each object: database rows (and the score snapshot) → the answer models of `schemas`."""

from __future__ import annotations

from flask_babel import gettext

from certification.api import schemas as s
from certification.applications.queries import ApplicationView
from certification.certificates.documents import pdf_path, public_url


def user(row) -> s.UserOut:
    return s.UserOut.model_validate(row)


def organization(row) -> s.OrganizationOut:
    return s.OrganizationOut.model_validate(row)


def affiliation(row) -> s.AffiliationOut:
    return s.AffiliationOut.model_validate(row)


def standard_summary(row, locale: str) -> s.StandardSummary:
    return s.StandardSummary(id=row.id, code=row.code, area=row.area, version=row.version, status=row.status.value,
                             title=row.title(locale))  # fmt: skip


def standard(tree, locale: str) -> s.StandardOut:
    """A standard loaded with its dimensions and indicators (seals.queries.standard_tree)."""
    settings = s.StandardSettings(
        pass_threshold=tree.pass_threshold, dimension_minimum=tree.dimension_minimum,
        essential_minimum=tree.essential_minimum, validity_months=tree.validity_months,
        min_reviewers=tree.min_reviewers, disagreement_gap=tree.disagreement_gap,
        levels=[s.LevelOut(code=lv["code"], minimum=lv["minimum"], name=tree.level_name(lv["code"], locale))
                for lv in tree.levels],
    )  # fmt: skip
    dimensions = [
        s.DimensionOut(
            code=d.code,
            weight=d.weight,
            title=d.title(locale),
            indicators=[
                s.IndicatorOut(
                    code=i.code,
                    weight=i.weight,
                    essential=i.essential,
                    scale_min=i.scale_min,
                    scale_max=i.scale_max,
                    allows_na=i.allows_na,
                    text=i.text(locale),
                )
                for i in d.indicators
            ],
        )  # fmt: skip
        for d in tree.dimensions
    ]
    summary = standard_summary(tree, locale).model_dump()
    description = tree.description(locale)
    return s.StandardOut(**summary, description=description, settings=settings, dimensions=dimensions)


def _summary_fields(row) -> dict:
    return {
        "id": row.id, "reference": row.reference, "state": row.state, "organization_id": row.organization_id,
        "standard_id": row.standard_id, "pilot_round_id": row.pilot_round_id, "created_at": row.created_at,
        "updated_at": row.updated_at,
    }  # fmt: skip


def application_summary(row) -> s.ApplicationSummary:
    return s.ApplicationSummary(**_summary_fields(row))


def application(view: ApplicationView) -> s.ApplicationOut:
    """The application with the events its viewer may fire now (applications.queries.ApplicationView: who may
    fire, not the guards, which this answer does not show)."""
    row, certificate = view.application, view.certificate
    return s.ApplicationOut(
        **_summary_fields(row),
        allowed_events=view.allowed_events,
        flagged_indicators=list(row.flagged_indicators or []),
        decided_at=row.decided_at,
        previous_certificate_id=row.previous_certificate_id,
        certificate=None if certificate is None else s.CertificateRef(
            number=certificate.number, code=certificate.verification_code, status=certificate.status.value),
    )  # fmt: skip


def self_assessment(row, code: str) -> s.SelfAssessmentOut:
    return s.SelfAssessmentOut(indicator=code, rating=row.rating, explanation=row.explanation,
                               updated_at=row.updated_at)  # fmt: skip


def evidence(row) -> s.EvidenceOut:
    """Evidence with its indicators loaded."""
    return s.EvidenceOut(
        id=row.id, filename=row.filename, size=row.size, sha256=row.sha256, content_type=row.content_type,
        indicators=[i.code for i in row.indicators], description=row.description, uploaded_at=row.uploaded_at,
        uploaded_by_id=row.uploaded_by_id,
    )  # fmt: skip


def history(row) -> s.HistoryOut:
    return s.HistoryOut(event=row.event, from_state=row.from_state, to_state=row.to_state, actor_id=row.actor_id,
                        reason=row.reason, at=row.at, hash=row.hash, prev_hash=row.prev_hash)  # fmt: skip


def score(snapshot) -> s.ScoreOut:
    """The §4 result of a score snapshot, dimensions and indicators in the standard's order."""
    result = snapshot.result
    dimension_order = [d["code"] for d in snapshot.rules.get("dimensions", [])]
    indicator_order = [i["code"] for i in snapshot.rules.get("indicators", [])]
    dimensions = result.get("dimensions", {})
    indicators = result.get("indicators", {})
    return s.ScoreOut(
        overall=result.get("overall"), level=result.get("level"), eligible=bool(result.get("eligible")),
        dimensions=[s.DimensionScore(code=code, score=dimensions[code]) for code in dimension_order
                    if code in dimensions],
        indicators=[s.IndicatorScore(code=code, consensus=indicators[code]["consensus"],
                                     disagreement=indicators[code]["disagreement"],
                                     moderated=indicators[code]["moderated"])
                    for code in indicator_order if code in indicators],
        essential_failures=list(result.get("essential_failures", [])),
        self_assessment=s.SelfAssessmentScore(overall=(snapshot.self_result or {}).get("overall")),
        computed_at=snapshot.computed_at,
    )  # fmt: skip


def assignment(row, context: tuple[str, str, str, str]) -> s.AssignmentOut:
    """An assignment with what its invitation shows (applications.queries.invitation_context), never the content."""
    organization, country, standard_code, standard_version = context
    return s.AssignmentOut.model_validate(
        {
            **{name: getattr(row, name) for name in s.AssignmentOut.model_fields if hasattr(row, name)},
            "organization": organization, "country": country,
            "standard_code": standard_code, "standard_version": standard_version,
        }
    )  # fmt: skip


def review_score(row, code: str) -> s.ReviewScoreOut:
    return s.ReviewScoreOut(indicator=code, score=row.score, comment=row.comment,
                            evidence_ids=list(row.evidence_ids or []), updated_at=row.updated_at)  # fmt: skip


def moderation(row, code: str) -> s.ModerationOut:
    return s.ModerationOut(indicator=code, score=row.score, justification=row.justification,
                           moderator_id=row.moderator_id, at=row.at)  # fmt: skip


def pilot_round(row, counts: dict[str, int]) -> s.PilotRoundOut:
    return s.PilotRoundOut(
        id=row.id, name=row.name, country=row.country, area=row.area, opens_on=row.opens_on, closes_on=row.closes_on,
        capacity=row.capacity, budget_note=row.budget_note, status=row.status.value, counts_by_state=counts,
    )  # fmt: skip


def auto_assign_plan(plan) -> s.AutoAssignOut:
    return s.AutoAssignOut(
        assigned=[s.PlannedAssignment(**pair) for pair in plan.assigned],
        unfilled=[s.UnfilledApplication(application_id=u["application_id"], missing=u["missing"], code=u["code"],
                                        reason=gettext(u["reason"])) for u in plan.unfilled],
    )  # fmt: skip


def registry_entry(certificate) -> s.RegistryEntry:
    """A valid certificate with its organisation and standard loaded."""
    return s.RegistryEntry(
        code=certificate.verification_code, number=certificate.number, organization=certificate.organization.name,
        country=certificate.organization.country, area=certificate.standard.area, level=certificate.level,
        issued_on=certificate.issued_on, expires_on=certificate.expires_on,
    )  # fmt: skip


def certificate(row) -> s.CertificateOut:
    return s.CertificateOut(
        number=row.number, status=row.status.value, organization=row.organization.name, area=row.standard.area,
        level=row.level, issued_on=row.issued_on, expires_on=row.expires_on, decision_hash=row.decision_hash,
        pdf_url=public_url(pdf_path(row)),
    )  # fmt: skip


def page(model: type, result, item) -> object:
    """A `…Page` answer from an applications.queries.Page and the item representation."""
    return model(items=[item(row) for row in result.items], page=result.page, per_page=result.per_page,
                 total=result.total)  # fmt: skip
