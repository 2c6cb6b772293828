from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, RadioField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from certification.forms import FlaskForm

NA = "na"


class NewApplicationForm(FlaskForm):
    standard_id = IntegerField(_l("Seal"), validators=[InputRequired()])


class SelfAssessmentForm(FlaskForm):
    rating = RadioField(_l("Rating"), validators=[InputRequired(message=_l("Choose a rating."))], choices=[])
    explanation = TextAreaField(
        _l("Explain your answer"), validators=[DataRequired(message=_l("Explain your answer.")), Length(max=5000)]
    )


class EventForm(FlaskForm):
    event = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=5000)])
    indicators = SelectMultipleField(_l("Indicators to remediate"), choices=[], validate_choice=False)
