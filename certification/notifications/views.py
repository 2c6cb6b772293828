"""Notification list with the unread count, and the admins' mail outbox with a retry button."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certification.accounts.models import Role
from certification.notifications import queries, services
from certification.notifications.messages import render
from certification.notifications.models import MailStatus
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
    page = queries.notifications_page(current_user.id, page_arg(), per_page=25)
    return render_template("notifications/index.html", page=page, text=lambda n: render(n.kind, n.params, _))


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
