"""The in-memory shape of a seal (standard) once its YAML file has been validated.

Everything is a frozen dataclass: a loaded standard is a value, never edited in place. The database
copy (certification side) is built from these objects; scoring works from `ScoringRules`, which is
derived from a `StandardSpec` or from a stored snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

AREAS: tuple[str, ...] = ("gender", "poverty", "rural")

# Lifecycle of a standard version. The YAML `status` is the one the loader puts a
# version in when it is first loaded.
STATUSES: tuple[str, ...] = ("draft", "consultation", "pilot", "published", "retired")

LOCALES: tuple[str, ...] = ("es", "en")

# Languages a version may gain after it is written, from an overlay file
# standards/translations/<language>/<CODE>-<version>.yaml. A translation is not normative content: it
# is not part of the version's digest and may be added to a published (frozen) version.
TRANSLATION_LOCALES: tuple[str, ...] = ("fr",)

# Languages a version needs before it may be published: the normative two plus every overlay language.
PUBLICATION_LOCALES: tuple[str, ...] = (*LOCALES, *TRANSLATION_LOCALES)


@dataclass(frozen=True)
class Text:
    """A user-facing text in both product languages. Spanish is the working group's language."""

    es: str
    en: str

    def get(self, locale: str | None) -> str:
        """The text in `locale` ("en", "en_US", "es-PE"...); anything not English falls back to Spanish."""
        if locale and locale[:2].lower() == "en" and self.en:
            return self.en
        return self.es


@dataclass(frozen=True)
class IndicatorTranslation:
    text: str
    guidance: str
    descriptors: dict[int, str] = field(hash=False)


@dataclass(frozen=True)
class TranslationSpec:
    """One version's texts in one overlay language, keyed by code; validated against the version."""

    code: str
    version: str
    locale: str
    title: str
    description: str
    levels: dict[str, str] = field(hash=False)  # level code → name
    dimensions: dict[str, str] = field(hash=False)  # dimension code → title
    indicators: dict[str, IndicatorTranslation] = field(hash=False)
    source: str

    def as_stored(self) -> dict:
        """The standard-level part as kept in `standards.translations[locale]`."""
        return {"title": self.title, "description": self.description, "levels": dict(self.levels)}


# Kinds of evidence a reviewer may expect for an indicator, with their labels. The keys are stored
# in the YAML files and the database, so they never change; labels may be reworded.
EVIDENCE_KINDS: dict[str, Text] = {
    "policy": Text(es="Política aprobada", en="Approved policy"),
    "procedure_manual": Text(es="Manual de procedimientos", en="Procedure manual"),
    "board_minutes": Text(es="Actas de directorio", en="Board minutes"),
    "strategic_plan": Text(es="Plan estratégico", en="Strategic plan"),
    "mis_report": Text(es="Reporte del SIG", en="MIS report"),
    "client_data_extract": Text(es="Extracto de datos de clientes", en="Client data extract"),
    "portfolio_report": Text(es="Reporte de cartera", en="Portfolio report"),
    "interview_notes": Text(es="Notas de entrevistas", en="Interview notes"),
    "field_visit_report": Text(es="Informe de visita de campo", en="Field visit report"),
    "training_records": Text(es="Registros de capacitación", en="Training records"),
    "product_documentation": Text(es="Documentación de productos", en="Product documentation"),
    "survey_results": Text(es="Resultados de encuestas", en="Survey results"),
    "financial_statements": Text(es="Estados financieros", en="Financial statements"),
    "hr_records": Text(es="Registros de recursos humanos", en="HR records"),
    "complaints_log": Text(es="Registro de quejas y reclamos", en="Complaints log"),
}


# The evidence labels in the overlay languages (the keys above never change).
EVIDENCE_KINDS_TRANSLATED: dict[str, dict[str, str]] = {
    "fr": {
        "policy": "Politique approuvée",
        "procedure_manual": "Manuel de procédures",
        "board_minutes": "Procès-verbaux du conseil d'administration",
        "strategic_plan": "Plan stratégique",
        "mis_report": "Rapport du SIG",
        "client_data_extract": "Extrait des données clients",
        "portfolio_report": "Rapport de portefeuille",
        "interview_notes": "Notes d'entretiens",
        "field_visit_report": "Rapport de visite de terrain",
        "training_records": "Registres de formation",
        "product_documentation": "Documentation des produits",
        "survey_results": "Résultats d'enquêtes",
        "financial_statements": "États financiers",
        "hr_records": "Dossiers des ressources humaines",
        "complaints_log": "Registre des plaintes et réclamations",
    },
}


def evidence_label(kind: str, locale: str | None) -> str:
    """The label of an evidence kind in `locale`; the key itself for an unknown kind."""
    language = (locale or "es")[:2].lower()
    translated = EVIDENCE_KINDS_TRANSLATED.get(language, {})
    if kind in translated:
        return translated[kind]
    return EVIDENCE_KINDS[kind].get(locale) if kind in EVIDENCE_KINDS else kind


@dataclass(frozen=True)
class Level:
    """A certification level (bronze, silver, gold): reached when the overall score >= `minimum`."""

    code: str
    minimum: float
    name: Text


@dataclass(frozen=True)
class Settings:
    """Thresholds of one standard version. `pass_threshold` is the YAML `pass` (a Python keyword)."""

    pass_threshold: float
    dimension_minimum: float
    essential_minimum: float
    levels: tuple[Level, ...]
    validity_months: int
    min_reviewers: int
    disagreement_gap: float


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    weight: float
    essential: bool
    allows_na: bool
    text: Text
    guidance: Text
    scale_min: int
    scale_max: int
    # One rubric descriptor per integer in [scale_min, scale_max]. A dict is not hashable, so it is
    # left out of the hash (it is still compared).
    descriptors: dict[int, Text] = field(hash=False)
    evidence: tuple[str, ...]
    framework: str

    def descriptor(self, score: int) -> Text:
        return self.descriptors[score]


@dataclass(frozen=True)
class DimensionSpec:
    code: str
    weight: float
    title: Text
    indicators: tuple[IndicatorSpec, ...]


@dataclass(frozen=True)
class StandardSpec:
    code: str
    area: str
    version: str
    status: str
    title: Text
    description: Text
    settings: Settings
    dimensions: tuple[DimensionSpec, ...]
    source: str  # the YAML file it came from (file name only, so it is the same on every machine)

    def indicators(self) -> Iterator[IndicatorSpec]:
        """Every indicator, in dimension order then file order."""
        for dimension in self.dimensions:
            yield from dimension.indicators

    def indicator(self, code: str) -> IndicatorSpec:
        """The indicator with `code`; KeyError if there is none."""
        for indicator in self.indicators():
            if indicator.code == code:
                return indicator
        raise KeyError(code)
