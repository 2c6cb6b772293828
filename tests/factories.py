"""Test data built through the service layer, so tests exercise the same rules as the product."""

from __future__ import annotations

import io
import itertools

from sqlalchemy import select

from certification.accounts.models import Affiliation, AffiliationKind, User
from certification.accounts.services import create_user
from certification.extensions import db
from certification.organizations.services import create_organization
from certification.seals.models import Standard
from certification.seals.queries import indicators_of

PASSWORD = "correct horse battery"
_seq = itertools.count(1)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def organization(name: str | None = None, country: str = "PE"):
    return create_organization(name=name or f"Financiera Rural {next(_seq)}", country=country)


def user(role: str, *, organization_id: int | None = None, **profile) -> User:
    n = next(_seq)
    return create_user(email=f"{role}{n}@example.org", name=f"{role.title()} {n}", role=role, password=PASSWORD,
                       organization_id=organization_id, **profile)  # fmt: skip


def applicant(org=None) -> User:
    org = org or organization()
    return user("applicant", organization_id=org.id)


def reviewer(area: str = "gender", capacity: int = 3, countries=("PE",)) -> User:
    return user("reviewer", areas=[area], countries=list(countries), languages=["es"], max_active_assignments=capacity)


def affiliation(reviewer_user: User, org, kind: str = "consultant", since=None, until=None) -> Affiliation:
    from datetime import date

    row = Affiliation(user_id=reviewer_user.id, organization_id=org.id, kind=AffiliationKind(kind),
                      since=since or date(2015, 1, 1), until=until)  # fmt: skip
    db.session.add(row)
    db.session.commit()
    return row


def standard(area: str = "gender") -> Standard:
    return db.session.scalar(select(Standard).where(Standard.area == area).order_by(Standard.id))


def indicators(std: Standard):
    return indicators_of(std.id)


def pdf_stream() -> io.BytesIO:
    return io.BytesIO(PDF)


# --- Lifecycle builders and database probes (used by the integration, security and permission tests) ----


def fast_password_hashing(monkeypatch) -> None:
    """Hash test passwords with a cheap KDF: the product's scrypt cost proves nothing in these tests."""
    from werkzeug.security import generate_password_hash

    monkeypatch.setattr(
        "certification.accounts.services.generate_password_hash",
        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1000"),
    )


def release_session() -> None:
    """End the test's own session (the `app` fixture's context) so that the cleanup may TRUNCATE on
    PostgreSQL: an idle transaction holding a read lock would block it forever."""
    db.session.rollback()
    db.session.remove()


def database_rows() -> dict[str, list[tuple]]:
    """Every row of every table, read on a separate connection (what other sessions committed)."""
    import sqlalchemy as sa

    rows: dict[str, list[tuple]] = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*order))]
    return rows


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


class Walk:
    """One application taken along its lifecycle through the services, with the people involved."""

    def __init__(self, area: str = "gender", country: str = "PE", org=None, facilitator=None):
        from certification.applications.services import create_application

        self.std = standard(area)
        self.org = org or organization(country=country)
        self.applicant = applicant(self.org)
        self.facilitator = facilitator or user("facilitator")
        self.indicators = indicators(self.std)
        self.application = create_application(self.applicant, self.std.id)
        self.id = self.application.id
        self.reviewers: list[User] = []
        self.assignment_ids: list[int] = []
        self.round_id: int | None = None
        self.evidence_id: int | None = None

    @property
    def essential(self) -> list[str]:
        return [i.code for i in self.indicators if i.essential]

    def state(self) -> str:
        from certification.applications.models import Application

        db.session.expire_all()
        return db.session.get(Application, self.id).state.value

    def fire(self, who, event: str, reason: str = "", indicators=()):
        from certification.applications.services import fire_event

        return fire_event(who, self.id, event, reason, indicators)

    def self_assess(self, rating_for=lambda i: i.scale_max):
        from certification.applications.services import save_self_assessment

        for ind in self.indicators:
            save_self_assessment(self.applicant, self.id, ind.code, rating_for(ind), f"Política sobre {ind.code}.")
        return self

    def upload_evidence(self):
        from certification.evidence.services import upload

        self.evidence_id = upload(self.applicant, self.id, pdf_stream(), "política.pdf", self.essential).id
        return self

    def submit(self):
        self.self_assess().upload_evidence()
        self.fire(self.applicant, "submit")
        return self

    def assign(self, count: int | None = None, accept: bool = True, people=()):
        from datetime import date, timedelta

        from certification.reviews.services import accept_assignment, assign_reviewer

        people = list(people)
        for _ in range(count or len(people) or self.std.min_reviewers):
            rev = people.pop(0) if people else reviewer(self.std.area.value, capacity=50, countries=(self.org.country,))
            assignment = assign_reviewer(self.facilitator, self.id, rev.id, date.today() + timedelta(days=14))
            if accept:
                accept_assignment(rev, assignment.id, True)
            self.reviewers.append(rev)
            self.assignment_ids.append(assignment.id)
        return self

    def start_review(self, people=()):
        self.submit().assign(people=people)
        self.fire(self.facilitator, "start_review")
        return self

    def open_round(self, capacity: int = 5):
        from datetime import date, timedelta

        from certification.pilots.services import change_status, create_round, enrol

        today = date.today()
        pilot_round = create_round(
            self.facilitator, name=f"Piloto {next(_seq)}", country=self.org.country, area=self.std.area.value,
            opens_on=today, closes_on=today + timedelta(days=90), capacity=capacity,
        )  # fmt: skip
        self.round_id = pilot_round.id
        change_status(self.facilitator, self.round_id, "open")
        enrol(self.facilitator, self.round_id, self.id)
        return self

    def score(self, score_for=lambda i: i.scale_max):
        from certification.reviews.services import save_score, submit_review

        for rev, assignment_id in zip(self.reviewers, self.assignment_ids, strict=True):
            for ind in self.indicators:
                save_score(rev, assignment_id, ind.code, score_for(ind), f"Verificado {ind.code} en actas.")
            submit_review(rev, assignment_id)
        return self

    def pilot(self, score_for=lambda i: i.scale_max, people=()):
        from certification.pilots.services import change_status

        self.start_review(people).open_round()
        change_status(self.facilitator, self.round_id, "in_progress")
        self.score(score_for)
        self.fire(self.facilitator, "complete_pilot")
        return self

    def certify(self):
        self.pilot()
        self.fire(self.facilitator, "certify")
        return self

    def reject(self):
        self.start_review()
        self.fire(self.facilitator, "reject", "No cumple los mínimos.")
        return self


ROLES = ("anonymous", "member", "outsider", "assigned", "unassigned", "facilitator", "admin")


class World:
    """One of everything the web pages show, with a person for each role of the permission matrix.

    - `member` is staff of `org`; `outsider` of `other_org` (which has its own draft application).
    - `assigned` reviews `app` (under review, accepted), `sub` (submitted, invited) and `pil` (piloted,
      submitted, scored too low to certify); `unassigned` is a reviewer of none of them.
    - `other` is `other_org`'s draft, with a registry certificate row (for the public registry and verify pages).
    """

    def __init__(self):
        from certification.notifications.models import MailMessage, Notification
        from certification.rescoring.services import start_rescore
        from certification.reviewers.services import declare_conflict
        from certification.seals.services import add_comment

        areas = ["gender", "poverty", "rural"]
        self.facilitator = user("facilitator")
        self.admin = user("admin")
        self.org, self.other_org = organization(country="PE"), organization(country="PE")
        self.member, self.outsider = applicant(self.org), applicant(self.other_org)
        self.assigned = user("reviewer", areas=areas, countries=["PE"], languages=["es"], max_active_assignments=50)
        self.second = user("reviewer", areas=areas, countries=["PE"], languages=["es"], max_active_assignments=50)
        self.unassigned = user("reviewer", areas=areas, countries=["PE"], languages=["es"], max_active_assignments=50)
        pair = (self.assigned, self.second)

        app = Walk("gender", org=self.org, facilitator=self.facilitator)
        app.start_review(people=pair)
        app.open_round()
        self.app, self.round_id, self.evidence_id = app, app.round_id, app.evidence_id
        self.assignment_id = app.assignment_ids[0]
        self.sub = (
            Walk("poverty", org=self.org, facilitator=self.facilitator).submit().assign(accept=False, people=pair[:1])
        )
        self.pil = Walk("rural", org=self.org, facilitator=self.facilitator).pilot(lambda i: i.scale_min, people=pair)
        self.other = Walk("gender", org=self.other_org, facilitator=self.facilitator)
        self.verification_code = registry_certificate(self.other.id).verification_code
        self.std = app.std
        self.consultation = db.session.scalar(select(Standard).where(Standard.status == "consultation"))
        self.code = app.indicators[0].code
        self.comment_id = add_comment(self.member, self.consultation.id, self.code, "Precisar 'mujeres rurales'.").id
        self.job_id = start_rescore(self.std.id, requested_by_id=self.facilitator.id, reason="Prueba").id
        self.conflict_id = declare_conflict(self.unassigned, self.other_org.id, "Fui asesor de su directorio.").id
        self.affiliation_id = affiliation(self.unassigned, self.other_org, "auditor").id
        self.notification_id = db.session.scalar(
            select(Notification.id).where(Notification.user_id == self.facilitator.id).order_by(Notification.id)
        )
        from certification.notifications.services import notify
        from certification.outbox.services import commit

        notify([self.member.id], "pilot_round_closing", {"round": "Piloto PE", "closes_on": "2026-12-31"}, link="/")
        commit()
        self.mail_id = db.session.scalar(select(MailMessage.id).order_by(MailMessage.id))
        self.people = {
            "member": self.member, "outsider": self.outsider, "assigned": self.assigned,
            "unassigned": self.unassigned, "facilitator": self.facilitator, "admin": self.admin,
        }  # fmt: skip

    def new_affiliation(self) -> int:
        return affiliation(self.unassigned, self.other_org, "consultant").id

    def new_declared_conflict(self) -> int:
        from certification.reviewers.services import declare_conflict

        return declare_conflict(self.unassigned, organization(country="PE").id, "Parentesco con la gerencia.").id

    def new_invitation(self) -> int:
        """An invited assignment on `app` of a fresh reviewer (to be withdrawn)."""
        from certification.reviews.services import assign_reviewer

        fresh = reviewer("gender", capacity=5)
        return assign_reviewer(self.facilitator, self.app.id, fresh.id).id


def registry_certificate(application_id: int):
    """A valid certificate row for `application_id`, for list pages that only read certificates (the
    certification path that really issues them is covered by the lifecycle tests)."""
    import secrets
    from datetime import date, timedelta

    from certification.applications.models import Application
    from certification.certificates.models import Certificate, CertificateStatus

    application = db.session.get(Application, application_id)
    n = next(_seq)
    row = Certificate(
        application_id=application.id, organization_id=application.organization_id,
        standard_id=application.standard_id, number=f"GEN-PE-2026-{n:04d}", verification_code=secrets.token_urlsafe(18),
        level="silver", overall=72.5, issued_on=date.today(), expires_on=date.today() + timedelta(days=3 * 365),
        status=CertificateStatus.VALID,
    )  # fmt: skip
    db.session.add(row)
    db.session.commit()
    return row
