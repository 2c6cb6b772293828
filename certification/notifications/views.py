"""Notification list with the unread count, each person's notification settings (also through the signed
one-click link of every e-mail, without logging in), and the admins' mail outbox with a retry button."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from certification.accounts.models import Role
from certification.errors import ValidationFailed
from certification.notifications import queries, services
from certification.notifications.messages import render, title
from certification.notifications.models import Delivery, MailStatus
from certification.ui import page_arg, run

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def _unread():
    def unread_notifications() -> int:
        if not current_user or not current_user.is_authenticated:
            return 0
        return queries.unread_count(current_user.id)

    return {"unread_notifications": unread_notifications}


@bp.get("/notifications")
@login_required
def index():
    unread = request.args.get("unread") in ("1", "true")
    page = queries.notifications_page(current_user.id, page_arg(), per_page=25, unread=unread)
    return render_template("notifications/index.html", page=page, unread_only=unread,
                           text=lambda n: render(n.kind, n.params, _), title=lambda n: title(n.kind, _))  # fmt: skip


DELIVERY_LABELS = {
    Delivery.EMAIL.value: _l("E-mail now"),
    Delivery.DIGEST.value: _l("Daily digest"),
    Delivery.IN_APP.value: _l("In the app only"),
}


@bp.get("/notifications/settings")
@login_required
def settings():
    return render_template("notifications/settings.html", choices=services.preferences_of(current_user),
                           labels=DELIVERY_LABELS, title=lambda kind: title(kind, _))  # fmt: skip


@bp.post("/notifications/settings")
@login_required
def save_settings():
    kinds = services.preferences_of(current_user)
    choices = {kind: request.form.get(kind, "") for kind in kinds if kind in request.form}
    return run(lambda: services.set_preferences(current_user, choices), success=_("Notification settings saved."),
               back=url_for("notifications.settings"), then=lambda _p: url_for("notifications.settings"))  # fmt: skip


@bp.get("/notifications/settings/link/<token>")
def settings_link(token: str):
    """The one-click link of an e-mail: shows what it changes and asks to confirm (a GET changes nothing)."""
    try:
        user, kind = services.read_preference_token(token)
    except services.LinkRefused as exc:
        return render_template("notifications/link_refused.html", message=_(exc.message)), 400
    current = services.preferences_of(user)[kind]
    return render_template("notifications/settings_link.html", token=token, kind_title=title(kind, _),
                           current=current, labels=DELIVERY_LABELS, person=user)  # fmt: skip


@bp.post("/notifications/settings/link/<token>")
def settings_link_confirm(token: str):
    delivery = request.form.get("delivery", "")
    try:
        user, kind = services.set_preference_by_link(token, delivery)
    except services.LinkRefused as exc:
        return render_template("notifications/link_refused.html", message=_(exc.message)), 400
    except ValidationFailed:
        flash(_("Choose e-mail now, daily digest or in-app only."), "error")
        return redirect(url_for("notifications.settings_link", token=token), code=303)
    flash(_("Saved: %(kind)s — %(delivery)s.", kind=title(kind, _), delivery=DELIVERY_LABELS[delivery]), "success")
    return redirect(url_for("notifications.settings_link", token=token), code=303)


def _link_of(notification) -> str:
    link = notification.link or ""
    return link if link.startswith("/") and not link.startswith("//") else url_for("notifications.index")


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    """Mark as read and open what the notification is about."""
    return run(lambda: services.mark_read(current_user, notification_id), back=url_for("notifications.index"),
               then=_link_of)  # fmt: skip


@bp.post("/notifications/read-all")
@login_required
def read_all():
    return run(lambda: services.mark_all_read(current_user), success=_("All notifications marked as read."),
               back=url_for("notifications.index"), then=lambda _n: url_for("notifications.index"))  # fmt: skip


def _admin_only() -> None:
    if current_user.role != Role.ADMIN:
        abort(404)


@bp.get("/admin/mail")
@login_required
def mail_outbox():
    _admin_only()
    wanted = request.args.get("status", "")
    status = MailStatus(wanted) if wanted in {s.value for s in MailStatus} else None
    page = queries.mails_page(status, page_arg(), per_page=25)
    return render_template("notifications/mail_outbox.html", page=page, status=status, counts=queries.mail_counts(),
                           statuses=list(MailStatus))  # fmt: skip


@bp.post("/admin/mail/<int:mail_id>/retry")
@login_required
def retry(mail_id: int):
    _admin_only()
    return run(lambda: services.retry_mail(current_user, mail_id), success=_("The mail will be sent again."),
               back=url_for("notifications.mail_outbox", status="failed"))  # fmt: skip


@bp.get("/notifications/unread.json")
@login_required
def unread_json():
    return {"unread": queries.unread_count(current_user.id)}, 200, {"Cache-Control": "no-store"}
