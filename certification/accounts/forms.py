from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional

from certification.forms import FlaskForm


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


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
