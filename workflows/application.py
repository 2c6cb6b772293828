"""The application lifecycle: states, events, who may fire them and their guards.

One module-level `Machine` (model=None) serves every application: nothing is stored per row, and the
state column is only ever changed here, through `fire`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from transitions import Machine, MachineError

from workflows.errors import Forbidden, GuardFailed, InvalidTransition
from workflows.messages import N_, Unmet

APPEAL_WINDOW = timedelta(days=30)


class State(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    CHANGES_REQUESTED = "changes_requested"
    PILOTED = "piloted"
    CERTIFIED = "certified"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"
    APPEALED = "appealed"


OPEN_STATES = frozenset(
    {State.DRAFT, State.SUBMITTED, State.UNDER_REVIEW, State.CHANGES_REQUESTED, State.PILOTED, State.APPEALED}
)
EDITABLE_STATES = frozenset({State.DRAFT, State.CHANGES_REQUESTED})
DECIDED_STATES = frozenset(
    {State.CERTIFIED, State.REJECTED, State.SUSPENDED, State.REVOKED, State.EXPIRED, State.APPEALED}
)

APPLICANT, REVIEWER, FACILITATOR, ADMIN, SYSTEM = "applicant", "reviewer", "facilitator", "admin", "system"


@dataclass(frozen=True)
class Actor:
    """Who fires an event. `id` is None only for the system's periodic tasks."""

    id: int | None
    role: str
    organization_id: int | None = None


@dataclass(frozen=True)
class Facts:
    """What the guards need to know about one application, gathered by the service layer."""

    state: State
    organization_id: int
    missing_self_assessment: tuple[str, ...] = ()
    essential_without_evidence: tuple[str, ...] = ()
    min_reviewers: int = 1
    accepted_assignments: int = 0  # accepted or submitted
    conflicted_assignments: int = 0
    pilot_round_in_progress: bool = False
    enrolled: bool = False
    pending_reviews: int = 0  # accepted, not yet submitted
    score_up_to_date: bool = False
    eligibility_problems: tuple[Unmet, ...] = ()
    flagged_not_updated: tuple[str, ...] = ()
    reviewer_ids: frozenset[int] = frozenset()
    decider_ids: frozenset[int] = frozenset()
    decided_at: datetime | None = None
    certificate_expired: bool = False
    # The fields above that were really gathered (None: all of them). Callers gather only what the events at
    # hand read (READS); a guard or who-rule asked to judge facts nobody gathered is a programming error.
    gathered: frozenset[str] | None = None

    def require(self, fields: frozenset[str], rule: Callable) -> None:
        if self.gathered is not None and not fields <= self.gathered:
            missing = ", ".join(sorted(fields - self.gathered))
            raise RuntimeError(f"{rule.__name__} reads facts that were not gathered: {missing}")


@dataclass(frozen=True)
class Request:
    """What the person firing the event said."""

    reason: str = ""
    indicators: tuple[str, ...] = ()
    now: datetime = field(default_factory=lambda: datetime.now().astimezone())


Guard = Callable[[Facts, Request], Unmet | None]
WhoRule = Callable[[Actor, Facts], str | None]


# --- guards (plain functions, also used by the UI to explain a disabled action) -----------------------


def reason_given(facts: Facts, req: Request) -> Unmet | None:
    if not req.reason.strip():
        return Unmet("reason_required", N_("A reason is required."))
    return None


def self_assessment_complete(facts: Facts, req: Request) -> Unmet | None:
    if facts.missing_self_assessment:
        return Unmet(
            "self_assessment_incomplete",
            N_("Self-assess these indicators (rating and explanation): %(codes)s"),
            {"codes": ", ".join(facts.missing_self_assessment)},
        )
    return None


def essential_evidence_present(facts: Facts, req: Request) -> Unmet | None:
    if facts.essential_without_evidence:
        return Unmet(
            "essential_evidence_missing",
            N_("Upload at least one evidence file for these essential indicators: %(codes)s"),
            {"codes": ", ".join(facts.essential_without_evidence)},
        )
    return None


def enough_reviewers(facts: Facts, req: Request) -> Unmet | None:
    if facts.accepted_assignments < facts.min_reviewers:
        return Unmet(
            "not_enough_reviewers",
            N_("At least %(needed)d reviewers must have accepted; %(have)d have."),
            {"needed": facts.min_reviewers, "have": facts.accepted_assignments},
        )
    return None


def no_conflicted_reviewer(facts: Facts, req: Request) -> Unmet | None:
    if facts.conflicted_assignments:
        return Unmet(
            "reviewer_conflict",
            N_("%(count)d assigned reviewer(s) declared a conflict of interest; replace them."),
            {"count": facts.conflicted_assignments},
        )
    return None


def indicators_listed(facts: Facts, req: Request) -> Unmet | None:
    if not req.indicators:
        return Unmet("indicators_required", N_("List the indicators the applicant must remediate."))
    return None


def flagged_indicators_updated(facts: Facts, req: Request) -> Unmet | None:
    if facts.flagged_not_updated:
        return Unmet(
            "flagged_not_updated",
            N_("Update these indicators flagged in the change request: %(codes)s"),
            {"codes": ", ".join(facts.flagged_not_updated)},
        )
    return None


def in_running_pilot_round(facts: Facts, req: Request) -> Unmet | None:
    if not facts.enrolled:
        return Unmet("not_enrolled", N_("Enrol the application in a pilot round."))
    if not facts.pilot_round_in_progress:
        return Unmet("round_not_in_progress", N_("The application's pilot round is not in progress."))
    return None


def reviews_submitted(facts: Facts, req: Request) -> Unmet | None:
    if facts.pending_reviews:
        return Unmet(
            "reviews_pending",
            N_("%(count)d accepted review(s) not submitted yet."),
            {"count": facts.pending_reviews},
        )
    if facts.accepted_assignments == 0:
        return Unmet("no_reviews", N_("No review has been submitted."))
    return None


def score_up_to_date(facts: Facts, req: Request) -> Unmet | None:
    if not facts.score_up_to_date:
        return Unmet("score_stale", N_("The score is being recalculated; try again in a moment."))
    return None


def eligible(facts: Facts, req: Request) -> Unmet | None:
    if facts.eligibility_problems:
        return Unmet(
            "not_eligible",
            N_("Not eligible: %(problems)s"),
            {"problems": "; ".join(p.render() for p in facts.eligibility_problems)},
        )
    return None


def within_appeal_window(facts: Facts, req: Request) -> Unmet | None:
    if facts.decided_at is None or req.now - facts.decided_at > APPEAL_WINDOW:
        return Unmet("appeal_window_closed", N_("Appeals are possible within 30 days of the decision."))
    return None


def certificate_expired(facts: Facts, req: Request) -> Unmet | None:
    if not facts.certificate_expired:
        return Unmet("not_expired", N_("The certificate has not expired yet."))
    return None


# --- who may fire (a failure is 403, not a guard) ---------------------------------------------------------


def member_of_applicant(actor: Actor, facts: Facts) -> str | None:
    if actor.role != APPLICANT or actor.organization_id != facts.organization_id:
        return N_("Only the applicant organisation's staff may do this.")
    return None


def facilitator(actor: Actor, facts: Facts) -> str | None:
    if actor.role not in (FACILITATOR, ADMIN):
        return N_("Only a facilitator may do this.")
    return None


def independent_decider(actor: Actor, facts: Facts) -> str | None:
    if actor.role not in (FACILITATOR, ADMIN):
        return N_("Only a facilitator or an administrator may decide.")
    if actor.id in facts.reviewer_ids:
        return N_("A reviewer of this application cannot take its decision.")
    return None


def independent_appeal_judge(actor: Actor, facts: Facts) -> str | None:
    problem = independent_decider(actor, facts)
    if problem:
        return problem
    if actor.id in facts.decider_ids:
        return N_("Whoever took the decision cannot judge its appeal.")
    return None


def system(actor: Actor, facts: Facts) -> str | None:
    return None if actor.role == SYSTEM else N_("Only the system may do this.")


# The Facts fields each guard and who-rule reads ("state" is always known). The service gathers only these
# for the events it judges, after the person passed the who-rule: who first, then the guards' facts.
READS: dict[Callable, frozenset[str]] = {
    reason_given: frozenset(),
    self_assessment_complete: frozenset({"missing_self_assessment"}),
    essential_evidence_present: frozenset({"essential_without_evidence"}),
    enough_reviewers: frozenset({"min_reviewers", "accepted_assignments"}),
    no_conflicted_reviewer: frozenset({"conflicted_assignments"}),
    indicators_listed: frozenset(),
    flagged_indicators_updated: frozenset({"flagged_not_updated"}),
    in_running_pilot_round: frozenset({"enrolled", "pilot_round_in_progress"}),
    reviews_submitted: frozenset({"pending_reviews", "accepted_assignments"}),
    score_up_to_date: frozenset({"score_up_to_date"}),
    eligible: frozenset({"eligibility_problems"}),
    within_appeal_window: frozenset({"decided_at"}),
    certificate_expired: frozenset({"certificate_expired"}),
    member_of_applicant: frozenset({"organization_id"}),
    facilitator: frozenset(),
    independent_decider: frozenset({"reviewer_ids"}),
    independent_appeal_judge: frozenset({"reviewer_ids", "decider_ids"}),
    system: frozenset(),
}

# Guards on what the person says when firing (asked in the event's form), not on the application itself.
ASKED_GUARDS = frozenset({reason_given, indicators_listed})


@dataclass(frozen=True)
class EventSpec:
    name: str
    sources: tuple[State, ...]
    dest: State
    who: WhoRule
    guards: tuple[Guard, ...] = ()
    label: str = ""


S = State
EVENTS: dict[str, EventSpec] = {
    e.name: e
    for e in (
        EventSpec("submit", (S.DRAFT,), S.SUBMITTED, member_of_applicant,
                  (self_assessment_complete, essential_evidence_present), N_("Submit")),
        EventSpec("return_to_applicant", (S.SUBMITTED,), S.CHANGES_REQUESTED, facilitator,
                  (reason_given,), N_("Return to applicant")),
        EventSpec("start_review", (S.SUBMITTED,), S.UNDER_REVIEW, facilitator,
                  (enough_reviewers, no_conflicted_reviewer), N_("Start review")),
        EventSpec("request_changes", (S.UNDER_REVIEW,), S.CHANGES_REQUESTED, facilitator,
                  (reason_given, indicators_listed), N_("Request changes")),
        EventSpec("resubmit", (S.CHANGES_REQUESTED,), S.UNDER_REVIEW, member_of_applicant,
                  (flagged_indicators_updated,), N_("Resubmit")),
        EventSpec("complete_pilot", (S.UNDER_REVIEW,), S.PILOTED, facilitator,
                  (in_running_pilot_round, reviews_submitted, score_up_to_date), N_("Complete pilot")),
        EventSpec("certify", (S.PILOTED,), S.CERTIFIED, independent_decider,
                  (score_up_to_date, eligible), N_("Certify")),
        EventSpec("reject", (S.UNDER_REVIEW, S.PILOTED), S.REJECTED, independent_decider,
                  (reason_given,), N_("Reject")),
        EventSpec("withdraw", (S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.CHANGES_REQUESTED, S.PILOTED),
                  S.WITHDRAWN, member_of_applicant, (reason_given,), N_("Withdraw")),
        EventSpec("suspend", (S.CERTIFIED,), S.SUSPENDED, facilitator, (reason_given,), N_("Suspend")),
        EventSpec("reinstate", (S.SUSPENDED,), S.CERTIFIED, facilitator, (reason_given,), N_("Reinstate")),
        EventSpec("revoke", (S.CERTIFIED, S.SUSPENDED), S.REVOKED, facilitator, (reason_given,),
                  N_("Revoke")),
        EventSpec("expire", (S.CERTIFIED,), S.EXPIRED, system, (certificate_expired,), N_("Expire")),
        EventSpec("appeal", (S.REJECTED,), S.APPEALED, member_of_applicant,
                  (reason_given, within_appeal_window), N_("Appeal")),
        EventSpec("uphold", (S.APPEALED,), S.REJECTED, independent_appeal_judge, (reason_given,),
                  N_("Uphold the rejection")),
        EventSpec("overturn", (S.APPEALED,), S.PILOTED, independent_appeal_judge, (reason_given,),
                  N_("Overturn the rejection")),
    )
}  # fmt: skip

# Events whose "who" also covers the system's periodic sweep (the automatic revocation after suspension).
SYSTEM_MAY_FIRE = frozenset({"expire", "revoke"})


def unmet_guards(event: str, facts: Facts, req: Request) -> list[Unmet]:
    """Every guard of `event` that does not hold, in the table's order."""
    out = []
    for guard in EVENTS[event].guards:
        facts.require(READS[guard], guard)
        if (unmet := guard(facts, req)) is not None:
            out.append(unmet)
    return out


def unmet_conditions(event: str, facts: Facts, now: datetime) -> list[Unmet]:
    """The guards of `event` on the application itself that do not hold now: why the action is blocked,
    before anyone has said anything (the reason and indicators asked when firing are not judged)."""
    req = Request(now=now)
    out = []
    for guard in EVENTS[event].guards:
        if guard in ASKED_GUARDS:
            continue
        facts.require(READS[guard], guard)
        if (unmet := guard(facts, req)) is not None:
            out.append(unmet)
    return out


def who_reads(events) -> frozenset[str]:
    """The Facts fields the who-rules of `events` read."""
    return frozenset().union(*(READS[EVENTS[name].who] for name in events))


def guard_reads(events) -> frozenset[str]:
    """The Facts fields the guards of `events` read."""
    return frozenset().union(*(READS[g] for name in events for g in EVENTS[name].guards))


def _guards_hold(event_data) -> bool:
    # Defence in depth: the machine itself refuses a transition whose guards fail.
    return not unmet_guards(event_data.event.name, event_data.kwargs["facts"], event_data.kwargs["request"])


MACHINE = Machine(
    model=None,
    states=State,
    transitions=[
        {"trigger": e.name, "source": list(e.sources), "dest": e.dest, "conditions": [_guards_hold]}
        for e in EVENTS.values()
    ],
    initial=None,
    auto_transitions=False,
    send_event=True,
    model_attribute="state",
)


def events_from(state: State) -> list[str]:
    """Event names defined from `state`, in table order."""
    return [e.name for e in EVENTS.values() if state in e.sources]


def who_problem(event: str, actor: Actor, facts: Facts) -> str | None:
    if actor.role == SYSTEM and event in SYSTEM_MAY_FIRE:
        return None
    rule = EVENTS[event].who
    facts.require(READS[rule], rule)
    return rule(actor, facts)


def allowed_events(actor: Actor, facts: Facts) -> list[str]:
    """Events this actor may fire from the current state (guards may still fail)."""
    return [name for name in events_from(facts.state) if who_problem(name, actor, facts) is None]


class _Target:
    """The object the machine moves: only a `state` attribute."""

    def __init__(self, state: State):
        self.state = state


@dataclass(frozen=True)
class Transition:
    event: str
    from_state: State
    to_state: State


def fire(event: str, actor: Actor, facts: Facts, req: Request) -> Transition:
    """Check state, who and guards for `event`; return the transition to record.

    Raises InvalidTransition (unknown event or wrong state), Forbidden (wrong person), GuardFailed.
    """
    spec = EVENTS.get(event)
    if spec is None or facts.state not in spec.sources:
        raise InvalidTransition(facts.state.value, event, allowed_events(actor, facts))
    problem = who_problem(event, actor, facts)
    if problem:
        raise Forbidden(problem)
    unmet = unmet_guards(event, facts, req)
    if unmet:
        raise GuardFailed(event, unmet)
    target = _Target(facts.state)
    try:
        done = MACHINE.events[event].trigger(target, facts=facts, request=req)
    except MachineError as exc:  # pragma: no cover - the checks above make this unreachable
        raise InvalidTransition(facts.state.value, event, allowed_events(actor, facts)) from exc
    if not done:  # pragma: no cover - guards were evaluated just above
        raise GuardFailed(event, unmet_guards(event, facts, req))
    return Transition(event, facts.state, State(target.state))


def mermaid() -> str:
    """The lifecycle as a mermaid `stateDiagram-v2`, generated from EVENTS (README and admin page)."""
    lines = ["stateDiagram-v2", "    [*] --> draft"]
    for spec in EVENTS.values():
        for source in spec.sources:
            lines.append(f"    {source.value} --> {spec.dest.value}: {spec.name}")
    for final in (State.WITHDRAWN, State.REVOKED, State.EXPIRED):
        lines.append(f"    {final.value} --> [*]")
    return "\n".join(lines)
