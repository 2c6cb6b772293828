from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from certification.forms import FlaskForm


class RoundForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    country = StringField(_l("Country (ISO code)"), validators=[DataRequired(), Length(min=2, max=2)])
    area = SelectField(_l("Area"), choices=[("gender", _l("Gender")), ("poverty", _l("Poverty")),
                                            ("rural", _l("Rural development"))])  # fmt: skip
    opens_on = DateField(_l("Opens on"), validators=[InputRequired()])
    closes_on = DateField(_l("Closes on"), validators=[InputRequired()])
    capacity = IntegerField(_l("Capacity (MFIs)"), validators=[InputRequired(), NumberRange(min=1, max=10000)])
    budget_note = TextAreaField(_l("Budget note"), validators=[Optional(), Length(max=5000)])


class EnrolForm(FlaskForm):
    application_id = IntegerField(_l("Application"), validators=[InputRequired()])
