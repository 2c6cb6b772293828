from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from certification.forms import FlaskForm


# Reviewer profiles: countries and languages are chosen from lists named in the reader's language (the views
# fill the choices); a comma-separated "PE, BO" posted by a script is still read (split_codes).
class ReviewerProfileForm(FlaskForm):
    areas = SelectMultipleField(_l("Areas of expertise"), choices=[("gender", _l("Gender")), ("poverty", _l("Poverty")),
                                                                   ("rural", _l("Rural development"))])  # fmt: skip
    countries = SelectMultipleField(_l("Countries"), validate_choice=False)
    languages = SelectMultipleField(_l("Languages"), validate_choice=False)
    max_active_assignments = IntegerField(_l("Capacity (active assignments)"),
                                          validators=[InputRequired(), NumberRange(min=0, max=50)])  # fmt: skip
    active = BooleanField(_l("Active"))


class AffiliationForm(FlaskForm):
    organization_id = IntegerField(_l("Organisation"), validators=[InputRequired()])
    kind = SelectField(_l("Kind"), choices=[("employee", _l("employee")), ("board", _l("board")),
                                            ("consultant", _l("consultant")), ("auditor", _l("auditor")),
                                            ("funder", _l("funder"))])  # fmt: skip
    since = DateField(_l("Since"), validators=[InputRequired()])
    until = DateField(_l("Until"), validators=[Optional()])


class EndAffiliationForm(FlaskForm):
    until = DateField(_l("Until"), validators=[InputRequired()])


class LanguagesForm(FlaskForm):
    languages = SelectMultipleField(_l("Languages"), validate_choice=False)


class DeclareConflictForm(FlaskForm):
    organization_id = IntegerField(_l("Organisation"), validators=[InputRequired()])
    reason = TextAreaField(_l("What is the conflict?"), validators=[DataRequired(), Length(max=5000)])


def split_codes(values) -> list[str]:
    """["PE", "bo;CL"] or "PE, bo" -> ["PE", "bo", "CL"] (the service validates and normalises them)."""
    values = [values] if isinstance(values, str) else values or []
    return [part.strip() for value in values[:300] for part in str(value)[:400].replace(";", ",").split(",")
            if part.strip()]  # fmt: skip
