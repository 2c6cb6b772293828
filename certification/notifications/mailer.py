"""Flask-Mail with a timeout on every SMTP connection, so a hung mail server cannot hold a worker."""

from __future__ import annotations

import smtplib

import flask_mail
from flask import Flask

SMTP_TIMEOUT_SECONDS = 15

mail = flask_mail.Mail()


class TimedConnection(flask_mail.Connection):
    """Flask-Mail's connection, opened with a socket timeout (Flask-Mail 0.10 has none)."""

    def configure_host(self) -> smtplib.SMTP:
        cls = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = cls(self.mail.server, self.mail.port, timeout=SMTP_TIMEOUT_SECONDS)
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def init_app(app: Flask) -> None:
    mail.init_app(app)


def send(app: Flask, message: flask_mail.Message) -> bool:
    """Send one message; False when sending is suppressed (no MAIL_SERVER configured)."""
    state = app.extensions["mail"]
    with TimedConnection(state) as connection:
        connection.send(message)
    return not state.suppress
