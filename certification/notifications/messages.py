"""The in-app text of each notification kind: English msgids with parameters, translated when shown."""

from __future__ import annotations

from workflows.messages import N_

TEXTS = {
    "invited_unanswered": N_("You were invited to review %(application)s on %(invited_on)s and have not answered yet."),
    "review_due_soon": N_("Your review of %(application)s is due on %(due_on)s."),
    "review_overdue": N_("Your review of %(application)s was due on %(due_on)s and is overdue."),
    "review_overdue_escalated": N_(
        "The review of %(application)s by %(reviewer)s was due on %(due_on)s and is still not submitted."
    ),
    "change_request_pending": N_(
        "Changes to %(application)s were requested on %(requested_on)s and are still pending."
    ),
    "pilot_round_closing": N_("The pilot round %(round)s closes on %(closes_on)s."),
    "certificate_expiring": N_("Certificate %(number)s expires on %(expires_on)s."),
    "suspension_ending": N_(
        "The suspension of certificate %(number)s ends on %(ends_on)s; it is then revoked unless reinstated."
    ),
    "records_broken": N_("Decision records were changed outside Sello: %(count)s broken chain(s); first: %(first)s"),
    "rescore_finished": N_("Re-scoring finished: %(changed)s of %(total)s applications changed outcome."),
}


def render(kind: str, params: dict, gettext) -> str:
    """The notification's text in the current language (an unknown kind shows its name, never fails)."""
    text = TEXTS.get(kind)
    if text is None:
        return kind
    try:
        return gettext(text) % params
    except (KeyError, TypeError, ValueError):
        return gettext(text)
