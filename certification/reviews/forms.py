from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, DecimalField, IntegerField, RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from certification.forms import FlaskForm


class AssignForm(FlaskForm):
    reviewer_id = IntegerField(_l("Reviewer"), validators=[InputRequired()])
    due_on = DateField(_l("Due on"), validators=[Optional()])


class AcceptForm(FlaskForm):
    no_conflict = BooleanField(_l("I declare that I have no conflict of interest with this organisation."))


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=5000)])
    conflict = BooleanField(_l("I have a conflict of interest"))


class ScoreForm(FlaskForm):
    score = RadioField(_l("Score"), validators=[InputRequired(message=_l("Choose a score."))], choices=[])
    comment = TextAreaField(_l("Comment"), validators=[DataRequired(message=_l("A comment is required.")),
                                                       Length(max=5000)])  # fmt: skip


class ModerationForm(FlaskForm):
    score = DecimalField(_l("Moderated score"), validators=[InputRequired()])
    justification = TextAreaField(_l("Justification"), validators=[DataRequired(), Length(max=5000)])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=5000)])
    replacement_id = IntegerField(_l("Replacement reviewer"), validators=[Optional()])
    due_on = DateField(_l("Due on"), validators=[Optional()])


class DueDateForm(FlaskForm):
    due_on = DateField(_l("Due on"), validators=[InputRequired()])
