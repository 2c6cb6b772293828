"""Demo data: the working group, real-sounding MFIs of the region and applications in several states.

Everything goes through the service functions, exactly as the UI would: no `state` is set by hand, so
the history, the guards, the outbox and the score snapshots are those of a real run. The figures in the
self-assessments follow the seeds (ALAC's UNICAs in Cajamarca, FINCA Perú's IMAGE gender pilot); they are
illustrative, and no personal contact detail from the seeds is used.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from certification.accounts.models import Affiliation, AffiliationKind, User
from certification.accounts.services import create_user
from certification.applications.models import Application
from certification.applications.services import create_application, fire_event, save_self_assessment
from certification.evidence.services import upload
from certification.extensions import db
from certification.organizations.models import Organization
from certification.organizations.services import create_organization
from certification.outbox.services import commit
from certification.pilots.services import change_status, create_round, enrol
from certification.reviews.services import (
    accept_assignment,
    assign_reviewer,
    moderate,
    recalculate_score,
    save_score,
    submit_review,
)
from certification.seals.models import Area, Indicator, Standard, StandardStatus
from certification.seals.queries import indicators_of
from certification.seals.services import load_standards
from certification.types import utcnow
from standards.spec import EVIDENCE_KINDS

DEMO_PASSWORD = "sello-demo-2026"  # noqa: S105 - documented in README; demo data only
ADMIN_EMAIL = "admin@sello.example"
FACILITATOR_EMAIL = "facilitadora@sello.example"

# (key, name, ISO country, legal form, network)
ORGANIZATIONS = [
    (
        "alac",
        "Asociación Los Andes de Cajamarca (ALAC)",
        "PE",
        "Asociación civil sin fines de lucro",
        "COPEME",
    ),
    ("finca", "FINCA Perú", "PE", "Asociación civil (ONG de microfinanzas)", "COPEME"),
    ("espoir", "Fundación Espoir", "EC", "Fundación sin fines de lucro", "RFR"),
    ("promujer", "Pro Mujer Nicaragua", "NI", "Asociación sin fines de lucro", "REDCAMIF"),
    ("pilarh", "PILARH OPDF", "HN", "Organización privada de desarrollo financiero", "REDCAMIF"),
    ("crezcamos", "Crezcamos S.A.", "CO", "Sociedad anónima microfinanciera", "Asomicrofinanzas"),
]

# (key, e-mail, name, areas, countries, languages, capacity, locale)
REVIEWERS = [
    ("lucia", "lucia.paredes@sello.example", "Lucía Paredes", ["gender", "poverty"], ["PE", "BO", "EC"],
     ["es", "en"], 4, "en"),
    ("martin", "martin.herrera@sello.example", "Martín Herrera", ["gender", "rural"], ["PE", "CO", "EC"],
     ["es"], 3, "es"),
    ("carmen", "carmen.solis@sello.example", "Carmen Solís", ["gender", "poverty", "rural"],
     ["NI", "HN", "EC", "PE"], ["es", "en"], 3, "es"),
]  # fmt: skip

# (e-mail, role, what to try) — printed by `flask --app app demo` and listed in README.md.
LOGINS = [
    (ADMIN_EMAIL, "admin", "users, organisations, standards, everything"),
    (FACILITATOR_EMAIL, "facilitator", "pilot rounds, assignments, decisions"),
    ("lucia.paredes@sello.example", "reviewer", "reviewed FINCA Perú; scoring ALAC (English UI)"),
    ("martin.herrera@sello.example", "reviewer", "reviewed FINCA Perú; invited to Fundación Espoir"),
    ("carmen.solis@sello.example", "reviewer", "scoring ALAC; board member of Fundación Espoir (conflict)"),
    ("finca@sello.example", "applicant", "FINCA Perú — certified, gender seal"),
    ("alac@sello.example", "applicant", "ALAC — under review, poverty seal"),
    ("espoir@sello.example", "applicant", "Fundación Espoir — submitted, gender seal"),
    ("promujer@sello.example", "applicant", "Pro Mujer Nicaragua — draft, gender seal"),
    ("pilarh@sello.example", "applicant", "PILARH — no application yet"),
    ("crezcamos@sello.example", "applicant", "Crezcamos — no application yet"),
]

# Self-assessments: (rating, "Explique su respuesta"), modelled on the seeds. None = N/A.
FINCA_GENDER = {
    "GEN.A.1": (
        5,
        "Nuestra misión es generar soluciones integrales e innovadoras para la inclusión social y el "
        "desarrollo pleno de las mujeres y comunidades de menores recursos. El plan estratégico fija "
        "metas anuales de alcance a mujeres rurales y el directorio revisa su avance cada trimestre.",
    ),
    "GEN.A.2": (
        4,
        "La no discriminación por sexo está en el reglamento de crédito y en el reglamento interno de"
        " trabajo; no se exige el aval del cónyuge. Auditoría interna la verifica en la muestra anual"
        " de expedientes, aunque el personal nuevo recibe la inducción recién a los tres meses.",
    ),
    "GEN.A.3": (
        4,
        "La gerencia general y la mayoría de las gerencias de línea están a cargo de mujeres; en el "
        "directorio las mujeres son la mitad de los miembros.",
    ),
    "GEN.A.4": (
        4,
        "La retención anual de colaboradoras es similar a la de colaboradores. En el piloto el "
        "personal de campo eran promotores varones; la réplica incorporó promotoras mujeres.",
    ),
    "GEN.B.1": (
        5,
        "Trabajamos con la metodología de bancos comunales desde 1993: las socias son la gran mayoría"
        " de las prestatarias activas en Ayacucho, Huancavelica, Apurímac y Lima (SIG, último "
        "trimestre).",
    ),
    "GEN.B.2": (
        5,
        "Las nuevas prestatarias de los últimos 12 meses son en su gran mayoría mujeres de zonas "
        "rurales andinas y de zonas periurbanas de Lima Metropolitana.",
    ),
    "GEN.B.3": (
        3,
        "En banca comunal los montos promedio de mujeres y hombres son parecidos; en el crédito "
        "individual el monto de las mujeres es menor y lo estamos analizando con el área de riesgos.",
    ),
    "GEN.B.4": (
        4,
        "La retención se mide por ciclo de banco comunal. Analizamos qué pasa con las socias que no "
        "tienen un buen desempeño financiero, uno de los retos que identificó la prueba piloto.",
    ),
    "GEN.B.5": (
        3,
        "El SIG calcula cada mes la cartera en riesgo mayor a 30 días por sexo y la gerencia revisa "
        "las diferencias; todavía no se presenta al directorio.",
    ),
    "GEN.C.1": (
        4,
        "Además del crédito de banca comunal ofrecemos ahorro y microseguros, diseñados a partir de "
        "grupos focales con socias sobre su disponibilidad de tiempo y sus necesidades de cuidado.",
    ),
    "GEN.C.2": (
        5,
        "Adaptamos el modelo IMAGE al contexto rural andino: capacitación grupal en las reuniones de "
        "los bancos comunales durante 8 meses (setiembre 2014 a abril 2015) con 1,001 mujeres, 705 de"
        " ellas en 4 o más de las 7 sesiones; 6 talleres de 4 días formaron a 145 lideresas y hubo "
        "398 actividades de movilización comunitaria con 10,875 personas. Derivamos los casos a los "
        "Centros Emergencia Mujer.",
    ),
    "GEN.C.3": (
        5,
        "La garantía es solidaria, del grupo del banco comunal; no se pide firma del cónyuge ni garantía real.",
    ),
    "GEN.C.4": (
        3,
        "Hay buzón en cada reunión y una línea gratuita; los reclamos se registran con el sexo de "
        "quien reclama, pero el análisis por sexo se hace una vez al año.",
    ),
    "GEN.D.1": (
        4,
        "El SIG registra el sexo de cada socia y socio; los reportes mensuales de alcance, cartera y "
        "mora salen desagregados y se presentan al comité de gerencia.",
    ),
    "GEN.D.2": (
        5,
        "La evaluación de impacto del piloto tuvo línea de base (agosto 2014), de seguimiento (agosto"
        " 2015) y final (agosto 2016), con medidas de autoconfianza, toma de decisiones y violencia "
        "experimentada por las socias.",
    ),
    "GEN.D.3": (
        4,
        "Promotores y capacitadoras se forman con el Manual de Formadoras y el Manual de Género y "
        "Violencia adaptados de IMAGE; falta un módulo de inducción para el personal administrativo.",
    ),
}

ALAC_POVERTY = {
    "POV.A.1": (
        4,
        "El programa IDESOL busca desarrollar capacidades empresariales en familias rurales en "
        "situación de pobreza y pobreza extrema de Cajamarca, Celendín, San Miguel, Santa Cruz, "
        "Hualgayoc y San Marcos, con metas anuales de UNICAs constituidas y de familias socias.",
    ),
    "POV.A.2": (
        4,
        "Llegamos a caseríos donde la pobreza está entre 43 y 55% (promedio nacional 30.8%); las "
        "familias tienen un ingreso promedio de S/ 220 al mes. Los gestores de UNICAs se identifican "
        "en asambleas comunales, tras un proceso de promoción y sensibilización.",
    ),
    "POV.A.3": (
        3,
        "El comité del programa revisa cada mes el capital social, los préstamos y la mora de las "
        "UNICAs; el análisis de la pobreza de los socios aún no llega al directorio.",
    ),
    "POV.B.1": (
        3,
        "Aplicamos una ficha socioeconómica al ingreso de cada familia; estamos incorporando el PPI "
        "con el apoyo de COPEME.",
    ),
    "POV.B.2": (
        3,
        "Los monitores que aplican la ficha están capacitados y la supervisión se hace en las visitas"
        " periódicas de constatación de avances físico-financieros.",
    ),
    "POV.B.3": (
        2,
        "Seguimos cada año el capital en acciones por socio (S/ 525 en promedio) y el destino de los "
        "préstamos, pero aún no volvemos a medir la pobreza con la misma herramienta.",
    ),
    "POV.B.4": (
        2,
        "La deserción se analiza en la asamblea anual de reparto de utilidades; todavía no se cruza "
        "con el nivel de pobreza de los socios.",
    ),
    "POV.C.1": (
        4,
        "Las familias socias son en su mayoría agricultoras de autoconsumo: el 84% de los productores"
        " de la zona tiene menos de 10 ha.",
    ),
    "POV.C.2": (
        5,
        "En promedio cada familia accede a préstamos por S/ 675 al año, muy por debajo del ingreso "
        "nacional per cápita.",
    ),
    "POV.C.3": (
        None,
        "Aún no tenemos re-mediciones de pobreza con una herramienta validada: no aplica en este ciclo.",
    ),
    "POV.D.1": (
        5,
        "Las UNICAs (10 a 30 familias de un mismo caserío) dan préstamos pequeños con cuotas acordes "
        "a la campaña agrícola; el capital proviene del ahorro de los socios, sin capital semilla.",
    ),
    "POV.D.2": (
        4,
        "El comité de crédito y la asamblea evalúan a cada solicitante y piden garantías; la "
        "morosidad es de 0.65% y se recupera antes del reparto anual de utilidades.",
    ),
    "POV.D.3": (
        4,
        "Las condiciones se explican en asamblea; la capacitación en matemática financiera permite "
        "que socios analfabetos entiendan los costos de sus créditos.",
    ),
    "POV.D.4": (
        5,
        "Cada UNICA funciona en su caserío y se reúne en asamblea mensual: nadie necesita viajar a una agencia.",
    ),
}

ESPOIR_GENDER = {
    "GEN.A": (
        4,
        "El plan estratégico incluye metas de alcance a mujeres emprendedoras de la Costa y la "
        "Sierra, aprobadas por el directorio y revisadas en su sesión semestral.",
    ),
    "GEN.B": (
        4,
        "El SIG produce los indicadores de alcance y retención por sexo; las mujeres son la mayoría "
        "de las socias de banca comunal.",
    ),
    "GEN.C": (
        3,
        "Los productos de banca comunal incluyen educación en salud y negocios; el enfoque de género "
        "está en revisión con las asesoras de campo.",
    ),
    "GEN.D": (
        4,
        "Los reportes desagregados por sexo llegan a la gerencia cada mes y al directorio cada semestre.",
    ),
}

PROMUJER_GENDER = {
    "GEN.A.1": (
        4,
        "La misión se centra en las mujeres de bajos ingresos y el plan estratégico 2025-2027 fija "
        "metas de alcance y de salud por sucursal.",
    ),
    "GEN.A.2": (
        3,
        "La política de no discriminación está aprobada; falta el procedimiento de supervisión.",
    ),
}

# Reviewer scores for FINCA Perú's gender application: (Lucía, Martín). Martín's 2 on GEN.B.5 is a
# disagreement (gap ≥ 2) that the facilitator moderates.
FINCA_SCORES = {
    "GEN.A.1": (5, 4), "GEN.A.2": (4, 4), "GEN.A.3": (4, 3), "GEN.A.4": (4, 4), "GEN.B.1": (5, 5),
    "GEN.B.2": (5, 4), "GEN.B.3": (3, 3), "GEN.B.4": (4, 4), "GEN.B.5": (4, 2), "GEN.C.1": (4, 4),
    "GEN.C.2": (5, 5), "GEN.C.3": (4, 4), "GEN.C.4": (3, 3), "GEN.D.1": (4, 4), "GEN.D.2": (5, 4),
    "GEN.D.3": (4, 4),
}  # fmt: skip


@dataclass
class DemoReport:
    standards_created: list[str] = field(default_factory=list)
    applications: list[tuple[str, str, str]] = field(default_factory=list)  # (organisation, seal, state)

    def summary(self) -> str:
        lines = [f"Standards loaded: {', '.join(self.standards_created) or 'already there'}."]
        lines += [f"  {org:<45} {seal:<4} {state}" for org, seal, state in self.applications]
        return "Demo data loaded.\n" + "\n".join(lines)


def load_demo() -> DemoReport | None:
    """Load the standards and the demo data; None (and no change) if the demo admin already exists.

    The admin is created last, so a run that failed half-way can be completed by running it again.
    """
    if _user_by_email(ADMIN_EMAIL) is not None:
        return None
    report = DemoReport(standards_created=load_standards().created)
    orgs = {key: _organization(name, country, legal, network) for key, name, country, legal, network in ORGANIZATIONS}
    applicants = {
        key: _user(
            f"{key}@sello.example",
            f"Equipo de desempeño social — {org.name}",
            "applicant",
            organization_id=org.id,
        )  # fmt: skip
        for key, org in orgs.items()
    }
    facilitator = _user(FACILITATOR_EMAIL, "Elena Rojas", "facilitator")
    reviewers = {
        key: _user(
            email,
            name,
            "reviewer",
            areas=areas,
            countries=countries,
            languages=languages,
            max_active_assignments=capacity,
            locale=locale,
        )  # fmt: skip
        for key, email, name, areas, countries, languages, capacity, locale in REVIEWERS
    }
    _affiliation(reviewers["carmen"], orgs["espoir"], AffiliationKind.BOARD, date(2021, 3, 1))

    gender, poverty = _standard(Area.GENDER), _standard(Area.POVERTY)
    today = utcnow().date()
    if gender is not None:
        _certified(facilitator, applicants["finca"], reviewers["lucia"], reviewers["martin"], gender, today)
        _submitted(facilitator, applicants["espoir"], reviewers["martin"], gender, today)
        _draft(applicants["promujer"], gender, PROMUJER_GENDER)
    if poverty is not None:
        _under_review(facilitator, applicants["alac"], reviewers["lucia"], reviewers["carmen"], poverty, today)
    _user(ADMIN_EMAIL, "Equipo de administración", "admin", locale="en")

    for application, org_name, seal in db.session.execute(
        select(Application, Organization.name, Standard.code)
        .join(Organization, Application.organization_id == Organization.id)
        .join(Standard, Application.standard_id == Standard.id)
        .order_by(Application.id)
    ):
        report.applications.append((org_name, seal, application.state.value))
    return report


# --- the four scenarios --------------------------------------------------------------------------------


def _certified(facilitator, applicant, first, second, standard, today: date) -> None:
    """FINCA Perú, gender: the whole path to a certificate, through a pilot round in Peru."""
    if _has_application(applicant):
        return
    application = create_application(applicant, standard.id)
    indicators = indicators_of(standard.id)
    _self_assess(applicant, application.id, indicators, FINCA_GENDER)
    evidence = _upload_evidence(applicant, application.id, indicators, "FINCA Perú", essential_only=False)
    fire_event(applicant, application.id, "submit")

    pilot = create_round(
        facilitator, name="Piloto Sello de Equidad de Género — Perú", country="PE", area="gender",
        opens_on=today - timedelta(days=60), closes_on=today + timedelta(days=120), capacity=3,
        budget_note="Tres IMF, según los fondos disponibles; visitas de campo en Ayacucho y Lima.",
    )  # fmt: skip
    change_status(facilitator, pilot.id, "open")
    enrol(facilitator, pilot.id, application.id)
    change_status(facilitator, pilot.id, "in_progress")

    assignments = _assign_and_accept(facilitator, application.id, (first, second), today)
    fire_event(facilitator, application.id, "start_review")
    for position, (reviewer, assignment_id) in enumerate(assignments):
        for indicator in indicators:
            score = FINCA_SCORES.get(indicator.code, (4, 4))[position]
            comment = _review_comment(indicator, score, position)
            save_score(reviewer, assignment_id, indicator.code, score, comment, evidence.get(indicator.code, []))
        submit_review(reviewer, assignment_id)
    disputed = next((i for i in indicators if i.code == "GEN.B.5"), None)
    if disputed is not None:
        justification = (
            "Los revisores difieren en dos niveles. El reporte de cartera muestra la PAR>30 por sexo "
            "cada mes y la gerencia la analiza, pero no llega al directorio: corresponde el nivel 3."
        )
        moderate(facilitator, application.id, disputed.code, 3, justification)
    # After commit the outbox already re-scored (in process, or on the worker): this call is idempotent and
    # makes sure the snapshot is current even when the worker has not run yet.
    recalculate_score(application.id)
    fire_event(facilitator, application.id, "complete_pilot")
    fire_event(facilitator, application.id, "certify", "Elegible según las reglas del sello tras el piloto.")


def _under_review(facilitator, applicant, first, second, standard, today: date) -> None:
    """ALAC, poverty: submitted with evidence, two reviewers accepted, scoring half-way."""
    if _has_application(applicant):
        return
    application = create_application(applicant, standard.id)
    indicators = indicators_of(standard.id)
    _self_assess(applicant, application.id, indicators, ALAC_POVERTY)
    evidence = _upload_evidence(applicant, application.id, indicators, "ALAC", essential_only=True)
    fire_event(applicant, application.id, "submit")

    pilot = create_round(
        facilitator, name="Piloto Sello de Pobreza — Perú", country="PE", area="poverty",
        opens_on=today - timedelta(days=20), closes_on=today + timedelta(days=150), capacity=4,
        budget_note="Cuatro IMF con financiamiento de la red; se suman otras si hay fondos.",
    )  # fmt: skip
    change_status(facilitator, pilot.id, "open")
    enrol(facilitator, pilot.id, application.id)

    assignments = _assign_and_accept(facilitator, application.id, (first, second), today)
    fire_event(facilitator, application.id, "start_review")
    # The first reviewer is half-way through the indicators, the second has just started.
    for position, (reviewer, assignment_id) in enumerate(assignments):
        for indicator in indicators[: len(indicators) // 2 if position == 0 else 3]:
            score = max(indicator.scale_min, min(indicator.scale_max, 4 - position))
            comment = _review_comment(indicator, score, position)
            save_score(reviewer, assignment_id, indicator.code, score, comment, evidence.get(indicator.code, []))


def _submitted(facilitator, applicant, reviewer, standard, today: date) -> None:
    """Fundación Espoir, gender: complete and submitted; one reviewer invited, not answered yet; the
    Ecuador round that it could join is still planned."""
    if _has_application(applicant):
        return
    application = create_application(applicant, standard.id)
    indicators = indicators_of(standard.id)
    by_dimension = {i.code: ESPOIR_GENDER.get(i.code.rsplit(".", 1)[0]) for i in indicators}
    _self_assess(applicant, application.id, indicators, {k: v for k, v in by_dimension.items() if v})
    _upload_evidence(applicant, application.id, indicators, "Fundación Espoir", essential_only=True)
    fire_event(applicant, application.id, "submit")
    assign_reviewer(facilitator, application.id, reviewer.id, today + timedelta(days=21))
    # Planned, not open yet: the facilitator can open it and enrol this application from the UI.
    create_round(
        facilitator, name="Piloto Sello de Equidad de Género — Ecuador", country="EC", area="gender",
        opens_on=today + timedelta(days=14), closes_on=today + timedelta(days=200), capacity=2,
        budget_note="Dos IMF de la RFR si se confirma el financiamiento.",
    )  # fmt: skip


def _draft(applicant, standard, answers: dict) -> None:
    """Pro Mujer Nicaragua, gender: a draft with the first indicators self-assessed."""
    if _has_application(applicant):
        return
    application = create_application(applicant, standard.id)
    indicators = [i for i in indicators_of(standard.id) if i.code in answers]
    _self_assess(applicant, application.id, indicators, answers)


# --- building blocks ---------------------------------------------------------------------------------------


def _self_assess(applicant, application_id: int, indicators: list[Indicator], answers: dict) -> None:
    for indicator in indicators:
        middle = indicator.scale_min + (indicator.scale_max - indicator.scale_min) // 2
        rating, explanation = answers.get(indicator.code) or (
            middle,
            f"Práctica documentada y aplicada en cada agencia; evidencia: {_evidence_source(indicator)}.",
        )
        if rating is None and not indicator.allows_na:
            rating = middle
        save_self_assessment(applicant, application_id, indicator.code, rating, explanation)


def _upload_evidence(applicant, application_id: int, indicators: list[Indicator], org_label: str,
                     *, essential_only: bool) -> dict[str, list[int]]:  # fmt: skip
    """One PDF per kind of evidence, linked to the indicators that expect it first; {code: [evidence ids]}."""
    by_kind: dict[str, list[Indicator]] = {}
    for indicator in indicators:
        if essential_only and not indicator.essential:
            continue
        kind = indicator.evidence_kinds[0] if indicator.evidence_kinds else "policy"
        by_kind.setdefault(kind, []).append(indicator)
    cited: dict[str, list[int]] = {}
    for kind, linked in by_kind.items():
        title = f"{_kind_label(kind)} — {org_label}"
        lines = [f"Indicadores: {', '.join(i.code for i in linked)}", ""]
        for indicator in linked:
            lines += textwrap.wrap(f"{indicator.code}: {indicator.text_es}", 95) + [""]
        lines.append("Documento de demostración generado por Sello; cifras ilustrativas.")
        evidence = upload(applicant, application_id, io.BytesIO(_pdf(title, lines)), f"{title}.pdf",
                          [i.code for i in linked], f"{_kind_label(kind)} ({org_label}).")  # fmt: skip
        for indicator in linked:
            cited.setdefault(indicator.code, []).append(evidence.id)
    return cited


def _assign_and_accept(facilitator, application_id: int, reviewers, today: date) -> list[tuple[User, int]]:
    out = []
    for reviewer in reviewers:
        assignment = assign_reviewer(facilitator, application_id, reviewer.id, today + timedelta(days=30))
        accept_assignment(reviewer, assignment.id, no_conflict=True)
        out.append((reviewer, assignment.id))
    return out


def _review_comment(indicator: Indicator, score: int, position: int) -> str:
    source = _evidence_source(indicator)
    how = "entrevista con la gerencia" if position == 0 else "visita de campo a dos grupos de clientes"
    return f"Nivel {score}: {indicator.descriptor(score, 'es')} Fuentes: {source}; {how}."


def _evidence_source(indicator: Indicator) -> str:
    """The label of the first kind of evidence the indicator expects."""
    return _kind_label(indicator.evidence_kinds[0]) if indicator.evidence_kinds else "documentos adjuntos"


def _kind_label(kind: str) -> str:
    label = EVIDENCE_KINDS.get(kind)
    return label.es if label else kind.replace("_", " ").capitalize()


def _standard(area: Area) -> Standard | None:
    """The newest published version of the area's seal, else the newest one in pilot."""
    return db.session.scalar(
        select(Standard)
        .where(Standard.area == area, Standard.status.in_((StandardStatus.PUBLISHED, StandardStatus.PILOT)))
        .order_by((Standard.status == StandardStatus.PUBLISHED).desc(), Standard.id.desc())
        .limit(1)
    )


def _has_application(applicant: User) -> bool:
    query = select(Application.id).where(Application.organization_id == applicant.organization_id)
    return db.session.scalar(query.limit(1)) is not None


def _user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _user(email: str, name: str, role: str, **profile) -> User:
    return _user_by_email(email) or create_user(email=email, name=name, role=role, password=DEMO_PASSWORD, **profile)


def _organization(name: str, country: str, legal_form: str, network: str) -> Organization:
    existing = db.session.scalar(select(Organization).where(Organization.name == name))
    return existing or create_organization(name=name, country=country, legal_form=legal_form, network=network)


def _affiliation(user: User, organization: Organization, kind: AffiliationKind, since: date) -> None:
    # No service writes affiliations yet (they are part of the reviewer profile the admin edits).
    exists = db.session.scalar(
        select(Affiliation.id).where(Affiliation.user_id == user.id, Affiliation.organization_id == organization.id)
    )
    if exists is None:
        db.session.add(Affiliation(user_id=user.id, organization_id=organization.id, kind=kind, since=since))
        commit()


def _pdf(title: str, lines: list[str]) -> bytes:
    """A small valid one-page PDF 1.4 with the title and the lines in Helvetica (WinAnsi encoding)."""

    def literal(text: str) -> str:
        return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"

    ops = ["BT", "/F1 15 Tf", "50 790 Td", f"{literal(title)} Tj", "/F1 10 Tf", "0 -26 Td"]
    for line in lines[:50]:
        ops += [f"{literal(line)} Tj", "0 -14 Td"]
    ops.append("ET")
    content = "\n".join(ops).encode("cp1252", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
