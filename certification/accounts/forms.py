from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from certification.forms import FlaskForm


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


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


# Self-service: everyone's account page, and the set-password pages reached from a mailed link.
class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])


class LocaleForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=[("es", "Español"), ("en", "English"), ("fr", "Français")])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])


ROLE_CHOICES = [("applicant", _l("applicant")), ("reviewer", _l("reviewer")), ("facilitator", _l("facilitator")),
                ("admin", _l("admin"))]  # fmt: skip
LOCALE_CHOICES = [("es", "Español"), ("en", "English"), ("fr", "Français")]


def _optional_int(value):
    return int(value) if value not in (None, "") and str(value).isdigit() and int(value) <= 2**31 - 1 else None


class InviteForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    organization_id = SelectField(_l("Organisation"), coerce=_optional_int, validate_choice=False)
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    organization_id = SelectField(_l("Organisation (applicants)"), coerce=_optional_int, validate_choice=False)


class PersonOrganizationForm(FlaskForm):
    organization_id = SelectField(_l("Organisation"), coerce=_optional_int, validate_choice=False)


class OrganizationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    country = SelectField(_l("Country"), validate_choice=False)
    legal_form = StringField(_l("Legal form"), validators=[Optional(), Length(max=120)])
    network = StringField(_l("Network"), validators=[Optional(), Length(max=120)])
