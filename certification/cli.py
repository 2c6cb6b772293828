"""Command-line interface: `flask --app app standards|users|demo|reminders|scores|notifications|lifecycle-diagram`.

Each command parses its options, calls one service function per unit of work and turns domain errors
into a message on stderr and exit status 1 — never a traceback.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from certification.accounts import links
from certification.accounts.models import Role, User
from certification.accounts.services import change_password, create_user, end_all_sessions
from certification.api.services import revoke_tokens_of
from certification.applications.models import Application
from certification.demo import DEMO_PASSWORD, LOGINS, load_demo
from certification.errors import DomainError, Duplicate, NotFound, ValidationFailed
from certification.evidence import operations as evidence_operations
from certification.evidence.storage import LocalStorage, S3Storage, storage
from certification.extensions import db
from certification.notifications.services import send_digests
from certification.ops import checks as ops_checks
from certification.ops import health
from certification.outbox import services as outbox_services
from certification.outbox.services import relay
from certification.record_checks import verify
from certification.reminders.services import sweep
from certification.rescoring.services import run_job, start_rescore
from certification.reviews.services import recalculate_score
from certification.seals.models import Area
from certification.seals.services import PublishedVersionChanged, load_standards
from certification.validation import normalise_email
from config.settings import LANGUAGES
from standards.loader import SEALS_DIR, StandardFileError
from workflows.application import mermaid

standards_cli = AppGroup("standards", help="Seal standards declared in standards/*.yaml.")
users_cli = AppGroup("users", help="People who use Sello.")
reminders_cli = AppGroup("reminders", help="The periodic reminder sweep.")
scores_cli = AppGroup("scores", help="Score snapshots (the formula: standards/scoring.py).")
history_cli = AppGroup("history", help="The tamper-evident decision records.")
notifications_cli = AppGroup("notifications", help="Notifications and their e-mails.")
evidence_cli = AppGroup("evidence", help="The evidence store: verify it, move it into a bucket.")
config_cli = AppGroup("config", help="The configuration in force.")
outbox_cli = AppGroup("outbox", help="Background work waiting in the outbox.")


def fail(*lines: str) -> NoReturn:
    """Print `lines` to stderr and stop with exit status 1."""
    for line in lines:
        click.echo(line, err=True)
    raise click.exceptions.Exit(1)


@standards_cli.command("load")
@click.option(
    "--dir",
    "directory",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="Folder of seal YAML files (default: the shipped standards/).",
)
def load_standards_command(directory: str | None) -> None:
    """Validate and load every seal file; loading twice changes nothing."""

    try:
        report = load_standards(directory or SEALS_DIR)
    except StandardFileError as exc:
        fail(f"Nothing loaded: {len(exc.problems)} problem(s) in the standard files.",
             *(f"  {problem}" for problem in exc.problems))  # fmt: skip
    except PublishedVersionChanged as exc:
        fail(f"Nothing loaded: {exc}")
    for label in report.created:
        click.echo(f"created    {label}")
    for label in report.unchanged:
        click.echo(f"unchanged  {label}")
    for label in report.translated:
        click.echo(f"translated {label}")
    click.echo(f"{len(report.created)} created, {len(report.unchanged)} unchanged, "
               f"{len(report.translated)} translation(s) stored.")  # fmt: skip


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line: the trailing newline of `echo … |` or a here-string is not part of the password.
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Full name as shown in the app.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--organization", "organization_id", type=int, default=None, help="Organisation id (applicants).")
@click.option("--locale", type=click.Choice(list(LANGUAGES)), default="es", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--area", "areas", multiple=True, type=click.Choice([a.value for a in Area]),
              help="Reviewer expertise (repeatable).")  # fmt: skip
@click.option("--country", "countries", multiple=True, help="Reviewer country, ISO 3166 alpha-2 (repeatable).")
@click.option("--language", "languages", multiple=True, type=click.Choice(["es", "en", "pt", "fr"]),
              help="Reviewer working language (repeatable).")  # fmt: skip
@click.option("--capacity", type=click.IntRange(1, 100), default=3, show_default=True,
              help="Reviewer's maximum active assignments.")  # fmt: skip
def create_user_command(email, name, role, organization_id, locale, password_stdin, areas, countries,
                        languages, capacity) -> None:  # fmt: skip
    """Create a user. Without --password-stdin the password is asked for twice, hidden."""

    password = _read_password(password_stdin)
    try:
        user = create_user(
            email=email, name=name, role=role, password=password, organization_id=organization_id,
            areas=areas, countries=countries, languages=languages, max_active_assignments=capacity,
            locale=locale,
        )  # fmt: skip
    except ValidationFailed as exc:
        fail("User not created:", *(f"  {field}: {' '.join(msgs)}" for field, msgs in exc.fields.items()))
    except Duplicate as exc:
        fail(f"User not created: {exc.message}")
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@users_cli.command("revoke-tokens")
@click.argument("email")
def revoke_tokens_command(email) -> None:
    """Revoke every API token of a user (a lost laptop, a leaked script): they stop working at once."""

    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        fail(f"No user with the e-mail {email}.")
    click.echo(f"Revoked {revoke_tokens_of(user.id)} API token(s) of {user.email}.")


def _user_or_fail(email: str):
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        fail(f"No user with the e-mail {email}.")
    return user


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def set_password_command(email, password_stdin) -> None:
    """Give a user a new password; every session and API token of theirs ends."""

    user = _user_or_fail(email)
    try:
        change_password(user, _read_password(password_stdin))
    except ValidationFailed as exc:
        fail("Password not changed:", *(f"  {field}: {' '.join(msgs)}" for field, msgs in exc.fields.items()))
    click.echo(f"Password of {user.email} changed; every session and API token of theirs has ended.")


@users_cli.command("password-link")
@click.argument("email")
@click.option(
    "--invitation", is_flag=True, help="An invitation link (INVITATION_DAYS) instead of a reset (PASSWORD_RESET_HOURS)."
)
def password_link_command(email, invitation) -> None:
    """Print a single-use link with which the user sets a new password (when no mail can reach them)."""
    user = _user_or_fail(email)
    if not user.active:
        fail(f"{user.email} is deactivated; reactivate them first.")
    click.echo(links.link_for(user, links.INVITATION if invitation else links.RESET))


@users_cli.command("end-sessions")
@click.argument("email")
def end_sessions_command(email) -> None:
    """Log a user out everywhere: every browser session and API token of theirs ends at once."""
    user = _user_or_fail(email)
    revoked = end_all_sessions(user, "ended from the command line")
    click.echo(f"Ended every session of {user.email} and revoked {revoked} API token(s).")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the standards and realistic demo data (once; does nothing if the demo admin exists)."""

    try:
        report = load_demo()
    except StandardFileError as exc:
        fail("Demo not loaded: the standard files are invalid.", *(f"  {p}" for p in exc.problems))
    except (PublishedVersionChanged, DomainError) as exc:
        fail(f"Demo not loaded: {exc}")
    if report is None:
        click.echo("Demo data is already loaded; nothing changed.")
    else:
        click.echo(report.summary())
    click.echo("")
    click.echo(f"Open {current_app.config['PUBLIC_BASE_URL']}/ and log in as (password: {DEMO_PASSWORD}):")
    for email, role, what in LOGINS:
        click.echo(f"  {email:<32} {role:<12} {what}")


@reminders_cli.command("sweep")
def sweep_command() -> None:
    """Run the periodic sweep once — the beat job, by hand: due reminders (each at most once), expiry of
    certificates, revocation after 6 months of suspension; then relay outbox rows not yet sent."""

    report = sweep()
    relayed = relay()
    click.echo(f"{report.sent} reminder(s) sent ({report.due} due), {report.events} certificate(s) expired or "
               f"revoked, {relayed} background task(s) relayed, in {report.seconds:.2f} s.")  # fmt: skip


@scores_cli.command("recalculate")
@click.option("--application", "application_id", type=int, default=None, help="One application id.")
@click.option("--standard", "standard_id", type=int, default=None, help="Every application of a standard id.")
def recalculate_command(application_id: int | None, standard_id: int | None) -> None:
    """Recompute score snapshots (all applications if no option is given); unchanged inputs add nothing.

    With --standard, a re-scoring job runs here with its progress, and its report lists the applications
    whose eligibility or level changed (the same job the pilot calibration starts).
    """

    if application_id is not None and standard_id is not None:
        fail("Give --application or --standard, not both.")
    if standard_id is not None:
        try:
            job = start_rescore(standard_id, requested_by_id=None, reason="flask scores recalculate")
        except NotFound:
            fail(f"No standard with id {standard_id}.")
        shown: list[int] = []

        def progress(j) -> None:
            shown.append(j.done)
            click.echo(f"[{j.done}/{j.total}]")

        # With a broker the job is queued and runs here (a worker taking it meanwhile shares the chunks);
        # without one it already ran in process when start_rescore committed.
        job = run_job(job.id, on_chunk=progress)
        if not shown or shown[-1] != job.done:
            click.echo(f"[{job.done}/{job.total}]")
        changed = (job.report or {}).get("changed", [])
        for row in changed:
            before, after = row["before"], row["after"]
            click.echo(f"changed  application {row['application_id']} ({row['organization']}): "
                       f"{before['level'] or '-'}/{'eligible' if before['eligible'] else 'not eligible'} -> "
                       f"{after['level'] or '-'}/{'eligible' if after['eligible'] else 'not eligible'}")  # fmt: skip
        click.echo(f"{job.total} application(s) recalculated (job {job.id}), {len(changed)} changed outcome.")
        return
    query = select(Application.id).order_by(Application.id)
    if application_id is not None:
        query = query.where(Application.id == application_id)
    ids = list(db.session.scalars(query))
    if application_id is not None and not ids:
        fail(f"No application with id {application_id}.")
    for done, app_id in enumerate(ids, start=1):
        snapshot = recalculate_score(app_id)
        if snapshot is None or snapshot.overall is None:
            outcome = "no score yet"
        else:
            verdict = "eligible" if snapshot.eligible else "not eligible"
            outcome = f"{snapshot.overall:.2f} {snapshot.level or '-'} ({verdict})"
        click.echo(f"[{done}/{len(ids)}] application {app_id}: {outcome}")
    click.echo(f"{len(ids)} application(s) recalculated.")


@notifications_cli.command("digest")
def digest_command() -> None:
    """Send the daily digest now — the beat job, by hand: one e-mail per person with the notifications of
    the kinds they chose to get as a digest (each goes into one digest only); then relay the outbox."""

    sent = send_digests()
    relayed = relay()
    click.echo(f"{sent} digest mail(s) written, {relayed} background task(s) relayed.")


@click.command("lifecycle-diagram")
def lifecycle_diagram_command() -> None:
    """Print the application lifecycle as a mermaid stateDiagram (pasted into README.md)."""
    click.echo(mermaid())


@history_cli.command("verify")
@with_appcontext
def history_verify_command() -> None:
    """Walk every record chain; exit 1 naming the first broken row of each broken chain."""

    result = verify(db.session)
    db.session.rollback()
    if not result.intact:
        fail(
            f"BROKEN: {len(result.breaks)} chain(s) of {result.chains} ({result.rows} rows)",
            *(f"  {b.describe()}" for b in result.breaks),
        )
    click.echo(f"intact: {result.chains} chains, {result.rows} rows")


@evidence_cli.command("verify")
def evidence_verify_command() -> None:
    """Read every evidence file back and compare its size and SHA-256 with its row; exit 1 on any difference."""
    report = evidence_operations.verify(storage())
    db.session.rollback()
    if report.problems:
        fail(f"BROKEN: {len(report.problems)} of {report.checked} evidence file(s)",
             *(f"  {p}" for p in report.problems))  # fmt: skip
    click.echo(f"intact: {report.checked} evidence file(s) in the {storage().describe()}")
    store = storage()
    if isinstance(store, S3Storage) and (pending := store.pending_uploads()):
        # Left by a node killed mid-upload (a refused upload aborts its own): the bucket's lifecycle rule
        # AbortIncompleteMultipartUpload removes them; they hold no evidence row.
        click.echo(f"note: {len(pending)} unfinished multipart upload(s) in the bucket, from interrupted uploads")


@evidence_cli.command("migrate-to-bucket")
@click.option("--from-dir", "from_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="The local evidence directory (default: EVIDENCE_DIR).")  # fmt: skip
def evidence_migrate_command(from_dir: str | None) -> None:
    """Copy every evidence file from the local directory into the configured bucket (EVIDENCE_STORAGE=s3),
    under the same key, and read each one back to check its SHA-256. Running it again copies only what is
    missing. Local files are left in place: remove them once the app serves from the bucket."""
    config = current_app.config
    if config.get("EVIDENCE_STORAGE") != "s3":
        fail("EVIDENCE_STORAGE is not s3: set it and the EVIDENCE_S3_* settings to the bucket first.")
    source, target = LocalStorage(from_dir or config["EVIDENCE_DIR"]), storage()
    report = evidence_operations.migrate(source, target)
    db.session.rollback()
    click.echo(f"{report.checked} evidence file(s): {report.copied} copied and verified, "
               f"{report.checked - report.copied - len(report.problems)} already in the bucket")  # fmt: skip
    if report.problems:
        fail(f"NOT MOVED: {len(report.problems)} file(s)", *(f"  {p}" for p in report.problems))


@config_cli.command("check")
@click.option("--production", is_flag=True, help="Exit 1 when a setting is not fit for several web nodes.")
def config_check_command(production: bool) -> None:
    """Show the configuration in force (no secret), check that each service answers, and list what a
    production with several web nodes would need changed."""
    config = current_app.config
    lines, problems = ops_checks.configuration_report(config)
    for line in lines:
        click.echo(line)
    results = health.readiness(config, db.engine)
    for name, result in results.items():
        click.echo(f"{name + ' answers':<20}{result}")
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)
    failed = [name for name, result in results.items() if result != "ok"]
    if failed or (production and problems):
        fail(f"NOT READY: {', '.join(failed) or 'settings above'}")


@outbox_cli.command("status")
def outbox_status_command() -> None:
    """Pending and failed background messages, and how long the oldest pending one has waited."""
    state = ops_checks.outbox_state(db.session)
    db.session.rollback()
    click.echo(f"pending  {state.pending}")
    click.echo(f"failed   {state.failed}")
    click.echo(f"done     {state.done}")
    click.echo(f"oldest pending waited {ops_checks.age(state.oldest_pending)}")
    for message in outbox_services.failed_messages(10):
        click.echo(f"  failed #{message.id} {message.task} after {message.attempts} attempt(s): "
                   f"{(message.last_error or '').splitlines()[-1:] or ''}")  # fmt: skip


def register_cli(app: Flask) -> None:
    for command in (
        evidence_cli,
        config_cli,
        outbox_cli,
        history_cli,
        standards_cli,
        users_cli,
        demo_command,
        reminders_cli,
        scores_cli,
        notifications_cli,
        lifecycle_diagram_command,
    ):
        app.cli.add_command(command)
