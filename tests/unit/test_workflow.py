"""The application lifecycle as pure Python: no app, no database.

The design's table is written out again here, independently of `workflows.application.EVENTS`, so a change
of the product's table that the design does not make fails these tests.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from datetime import UTC, datetime, timedelta

import pytest

from workflows import application as wf
from workflows.application import EVENTS, MACHINE, Actor, Facts, Request, State, fire, mermaid
from workflows.errors import Forbidden, GuardFailed, InvalidTransition
from workflows.messages import Unmet

APPLICANT, STAFF, SYSTEM = "applicant", "staff", "system"
OPEN_FOR_WITHDRAWAL = {"draft", "submitted", "under_review", "changes_requested", "piloted"}

# event -> (sources, destination, who), as the lifecycle table of the README says
DESIGN = {
    "submit": ({"draft"}, "submitted", APPLICANT),
    "return_to_applicant": ({"submitted"}, "changes_requested", STAFF),
    "start_review": ({"submitted"}, "under_review", STAFF),
    "request_changes": ({"under_review"}, "changes_requested", STAFF),
    "resubmit": ({"changes_requested"}, "under_review", APPLICANT),
    "complete_pilot": ({"under_review"}, "piloted", STAFF),
    "certify": ({"piloted"}, "certified", STAFF),
    "reject": ({"under_review", "piloted"}, "rejected", STAFF),
    "withdraw": (OPEN_FOR_WITHDRAWAL, "withdrawn", APPLICANT),
    "suspend": ({"certified"}, "suspended", STAFF),
    "reinstate": ({"suspended"}, "certified", STAFF),
    "revoke": ({"certified", "suspended"}, "revoked", STAFF),
    "expire": ({"certified"}, "expired", SYSTEM),
    "appeal": ({"rejected"}, "appealed", APPLICANT),
    "uphold": ({"appealed"}, "rejected", STAFF),
    "overturn": ({"appealed"}, "piloted", STAFF),
}

ORG, OTHER_ORG = 10, 20
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MEMBER = Actor(id=1, role="applicant", organization_id=ORG)
OUTSIDER = Actor(id=2, role="applicant", organization_id=OTHER_ORG)
FACILITATOR = Actor(id=3, role="facilitator")
ADMIN = Actor(id=4, role="admin")
REVIEWER = Actor(id=5, role="reviewer")
SYSTEM_ACTOR = Actor(id=None, role="system")
ACTOR_FOR = {APPLICANT: MEMBER, STAFF: FACILITATOR, SYSTEM: SYSTEM_ACTOR}


def ready(state: str | State, **changes) -> Facts:
    """Facts under which every guard of every event holds."""
    facts = Facts(
        state=State(state),
        organization_id=ORG,
        min_reviewers=2,
        accepted_assignments=2,
        pilot_round_in_progress=True,
        enrolled=True,
        score_up_to_date=True,
        decided_at=NOW - timedelta(days=3),
        certificate_expired=True,
        reviewer_ids=frozenset({REVIEWER.id}),
    )
    return dataclasses.replace(facts, **changes)


FULL_REQUEST = Request(reason="Motivo documentado en acta.", indicators=("GEN-1",), now=NOW)


def may(actor: Actor, who: str) -> bool:
    if who == APPLICANT:
        return actor.role == "applicant" and actor.organization_id == ORG
    if who == STAFF:
        return actor.role in ("facilitator", "admin")
    return actor.role == "system"


# --- the table ------------------------------------------------------------------------------------------


def test_the_event_table_is_the_one_of_the_design():
    product = {name: ({s.value for s in e.sources}, e.dest.value) for name, e in EVENTS.items()}
    assert product == {name: (sources, dest) for name, (sources, dest, _who) in DESIGN.items()}


@pytest.mark.parametrize("state", [s.value for s in State])
@pytest.mark.parametrize("event", sorted(DESIGN))
def test_fire_moves_to_the_table_destination_or_refuses_with_the_allowed_events(state, event):
    sources, dest, who = DESIGN[event]
    actor = ACTOR_FOR[who]
    if state in sources:
        transition = fire(event, actor, ready(state), FULL_REQUEST)
        assert (transition.event, transition.from_state, transition.to_state) == (event, State(state), State(dest))
        return
    with pytest.raises(InvalidTransition) as caught:
        fire(event, actor, ready(state), FULL_REQUEST)
    expected = {name for name, (srcs, _d, w) in DESIGN.items() if state in srcs and may(actor, w)}
    if actor is SYSTEM_ACTOR:
        expected |= {"revoke"} if state in DESIGN["revoke"][0] else set()
    assert set(caught.value.allowed) == expected
    assert (caught.value.state, caught.value.event, caught.value.code) == (state, event, "invalid_transition")


def test_an_unknown_event_is_an_invalid_transition_listing_what_is_allowed():
    with pytest.raises(InvalidTransition) as caught:
        fire("teleport", FACILITATOR, ready("submitted"), FULL_REQUEST)
    assert caught.value.allowed == ["return_to_applicant", "start_review"]


@pytest.mark.parametrize("actor", [FACILITATOR, ADMIN])
def test_staff_and_admin_may_fire_every_facilitator_event(actor):
    for name, (sources, dest, who) in DESIGN.items():
        if who != STAFF:
            continue
        for state in sources:
            assert fire(name, actor, ready(state), FULL_REQUEST).to_state == State(dest)


def test_allowed_events_depend_on_the_state_and_the_person():
    facts = ready("under_review")
    assert wf.allowed_events(FACILITATOR, facts) == ["request_changes", "complete_pilot", "reject"]
    assert wf.allowed_events(MEMBER, facts) == ["withdraw"]
    assert wf.allowed_events(OUTSIDER, facts) == []
    assert wf.allowed_events(REVIEWER, facts) == []


# --- guards ---------------------------------------------------------------------------------------------


def codes(exc: GuardFailed) -> list[str]:
    return [u.code for u in exc.unmet]


GUARD_CASES = [
    # (event, actor, facts, request, expected unmet codes in order, words each message must contain)
    (
        "submit", MEMBER,
        ready("draft", missing_self_assessment=("GEN-1", "GEN-4"), essential_without_evidence=("GEN-2",)),
        FULL_REQUEST, ["self_assessment_incomplete", "essential_evidence_missing"], [("GEN-1, GEN-4",), ("GEN-2",)],
    ),
    ("submit", MEMBER, ready("draft", missing_self_assessment=("GEN-3",)), FULL_REQUEST,
     ["self_assessment_incomplete"], [("GEN-3",)]),
    ("submit", MEMBER, ready("draft", essential_without_evidence=("GEN-7",)), FULL_REQUEST,
     ["essential_evidence_missing"], [("GEN-7",)]),
    ("return_to_applicant", FACILITATOR, ready("submitted"), Request(reason="   ", now=NOW),
     ["reason_required"], [("reason",)]),
    (
        "start_review", FACILITATOR, ready("submitted", accepted_assignments=1, conflicted_assignments=1),
        FULL_REQUEST, ["not_enough_reviewers", "reviewer_conflict"], [("2", "1"), ("1", "conflict")],
    ),
    ("request_changes", FACILITATOR, ready("under_review"), Request(now=NOW),
     ["reason_required", "indicators_required"], [("reason",), ("indicators",)]),
    ("resubmit", MEMBER, ready("changes_requested", flagged_not_updated=("GEN-5", "GEN-6")), FULL_REQUEST,
     ["flagged_not_updated"], [("GEN-5, GEN-6",)]),
    (
        "complete_pilot", FACILITATOR,
        ready("under_review", enrolled=False, pending_reviews=2, score_up_to_date=False), FULL_REQUEST,
        ["not_enrolled", "reviews_pending", "score_stale"], [("pilot round",), ("2",), ("recalculated",)],
    ),
    ("complete_pilot", FACILITATOR, ready("under_review", pilot_round_in_progress=False), FULL_REQUEST,
     ["round_not_in_progress"], [("not in progress",)]),
    ("complete_pilot", FACILITATOR, ready("under_review", accepted_assignments=0), FULL_REQUEST,
     ["no_reviews"], [("No review",)]),
    (
        "certify", FACILITATOR,
        ready("piloted", score_up_to_date=False,
              eligibility_problems=(Unmet("overall_below_pass", "overall score below the pass threshold"),
                                    Unmet("essential_failure", "essential indicator %(code)s low", {"code": "G-2"}))),
        FULL_REQUEST, ["score_stale", "not_eligible"], [("recalculated",), ("below the pass threshold", "G-2")],
    ),
    ("reject", FACILITATOR, ready("piloted"), Request(now=NOW), ["reason_required"], [("reason",)]),
    ("withdraw", MEMBER, ready("draft"), Request(now=NOW), ["reason_required"], [("reason",)]),
    ("suspend", FACILITATOR, ready("certified"), Request(now=NOW), ["reason_required"], [("reason",)]),
    ("reinstate", FACILITATOR, ready("suspended"), Request(now=NOW), ["reason_required"], [("reason",)]),
    ("revoke", FACILITATOR, ready("suspended"), Request(now=NOW), ["reason_required"], [("reason",)]),
    ("expire", SYSTEM_ACTOR, ready("certified", certificate_expired=False), FULL_REQUEST, ["not_expired"],
     [("not expired",)]),
    (
        "appeal", MEMBER, ready("rejected", decided_at=NOW - timedelta(days=31)), Request(now=NOW),
        ["reason_required", "appeal_window_closed"], [("reason",), ("30 days",)],
    ),
    ("uphold", FACILITATOR, ready("appealed"), Request(now=NOW), ["reason_required"], [("reason",)]),
    ("overturn", FACILITATOR, ready("appealed"), Request(now=NOW), ["reason_required"], [("reason",)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("event", "actor", "facts", "req", "expected", "words"),
    GUARD_CASES,
    ids=[f"{case[0]}-{'+'.join(case[4])}" for case in GUARD_CASES],
)
def test_a_failed_guard_names_each_unmet_condition_once(event, actor, facts, req, expected, words):
    with pytest.raises(GuardFailed) as caught:
        fire(event, actor, facts, req)
    assert caught.value.event == event and caught.value.code == "guard_failed"
    assert codes(caught.value) == expected
    for unmet, needed in zip(caught.value.unmet, words, strict=True):
        text = unmet.render()
        for word in needed:
            assert word in text, (unmet.code, text)
        assert text in str(caught.value)


def test_every_guard_of_the_table_has_a_failing_case_above():
    failing: dict[str, set[str]] = {}
    for event, _actor, facts, req, _codes, _words in GUARD_CASES:
        failing.setdefault(event, set()).update(g.__name__ for g in EVENTS[event].guards if g(facts, req))
    for name, spec in EVENTS.items():
        assert {g.__name__ for g in spec.guards} == failing.get(name, set()), name
        for guard in spec.guards:
            assert guard(ready(next(iter(spec.sources))), FULL_REQUEST) is None, (name, guard.__name__)


def test_the_ui_shows_guard_messages_without_firing():
    facts = ready("draft", missing_self_assessment=("GEN-9",))
    assert [u.code for u in wf.unmet_guards("submit", facts, FULL_REQUEST)] == ["self_assessment_incomplete"]
    assert wf.unmet_guards("submit", ready("draft"), FULL_REQUEST) == []


def test_the_appeal_window_is_thirty_days_from_the_decision():
    req = Request(reason="Nueva evidencia.", now=NOW)
    on_the_last_day = ready("rejected", decided_at=NOW - timedelta(days=30))
    assert fire("appeal", MEMBER, on_the_last_day, req).to_state == State.APPEALED
    one_second_late = ready("rejected", decided_at=NOW - timedelta(days=30, seconds=1))
    with pytest.raises(GuardFailed) as caught:
        fire("appeal", MEMBER, one_second_late, req)
    assert codes(caught.value) == ["appeal_window_closed"]
    with pytest.raises(GuardFailed):
        fire("appeal", MEMBER, ready("rejected", decided_at=None), req)


# --- who ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "state", "actor", "facts_changes", "fragment"),
    [
        ("submit", "draft", OUTSIDER, {}, "applicant organisation"),
        ("withdraw", "submitted", OUTSIDER, {}, "applicant organisation"),
        ("appeal", "rejected", OUTSIDER, {}, "applicant organisation"),
        ("submit", "draft", FACILITATOR, {}, "applicant organisation"),
        ("start_review", "submitted", MEMBER, {}, "facilitator"),
        ("start_review", "submitted", REVIEWER, {}, "facilitator"),
        ("certify", "piloted", REVIEWER, {}, "facilitator"),
        ("certify", "piloted", MEMBER, {}, "facilitator"),
        ("certify", "piloted", FACILITATOR, {"reviewer_ids": frozenset({FACILITATOR.id})}, "reviewer"),
        ("reject", "piloted", FACILITATOR, {"reviewer_ids": frozenset({FACILITATOR.id})}, "reviewer"),
        ("reject", "under_review", ADMIN, {"reviewer_ids": frozenset({ADMIN.id})}, "reviewer"),
        ("uphold", "appealed", FACILITATOR, {"decider_ids": frozenset({FACILITATOR.id})}, "decision"),
        ("overturn", "appealed", ADMIN, {"decider_ids": frozenset({ADMIN.id})}, "decision"),
        ("uphold", "appealed", FACILITATOR, {"reviewer_ids": frozenset({FACILITATOR.id})}, "reviewer"),
        ("expire", "certified", FACILITATOR, {}, "system"),
        ("suspend", "certified", REVIEWER, {}, "facilitator"),
    ],
)
def test_the_wrong_person_is_forbidden_even_when_every_guard_holds(event, state, actor, facts_changes, fragment):
    with pytest.raises(Forbidden) as caught:
        fire(event, actor, ready(state, **facts_changes), FULL_REQUEST)
    assert fragment in caught.value.message
    assert caught.value.code == "forbidden"


def test_a_forbidden_person_is_refused_before_the_guards_are_looked_at():
    facts = ready("draft", missing_self_assessment=("GEN-1",))
    with pytest.raises(Forbidden):
        fire("submit", OUTSIDER, facts, FULL_REQUEST)


def test_the_system_may_expire_and_revoke_but_nothing_else():
    assert fire("expire", SYSTEM_ACTOR, ready("certified"), FULL_REQUEST).to_state == State.EXPIRED
    assert fire("revoke", SYSTEM_ACTOR, ready("suspended"), FULL_REQUEST).to_state == State.REVOKED
    with pytest.raises(Forbidden):
        fire("suspend", SYSTEM_ACTOR, ready("certified"), FULL_REQUEST)


# --- the machine ----------------------------------------------------------------------------------------


def test_the_machine_is_built_once_without_models_or_automatic_transitions():
    assert MACHINE.models == []
    assert MACHINE.auto_transitions is False
    assert set(MACHINE.events) == set(DESIGN)
    assert not any(name.startswith("to_") for name in MACHINE.events)
    assert "to_certified" not in MACHINE.events
    fire("submit", MEMBER, ready("draft"), FULL_REQUEST)
    fire("certify", FACILITATOR, ready("piloted"), FULL_REQUEST)
    assert MACHINE.models == [], "firing an event must not attach a model to the shared machine"


def test_the_machine_refuses_a_transition_whose_guards_fail_even_when_triggered_directly():
    target = wf._Target(State.DRAFT)
    facts = ready("draft", missing_self_assessment=("GEN-1",))
    assert MACHINE.events["submit"].trigger(target, facts=facts, request=FULL_REQUEST) is False
    assert target.state == State.DRAFT


def test_every_state_is_reachable_from_draft():
    edges: dict[str, set[str]] = {}
    for name, event in MACHINE.events.items():
        for source, transitions in event.transitions.items():
            for transition in transitions:
                edges.setdefault(State[source].value, set()).add(State[transition.dest].value)
        assert name in DESIGN
    seen, queue = {"draft"}, deque(["draft"])
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    assert seen == {s.value for s in State}


def test_the_mermaid_diagram_has_every_event_and_edge():
    diagram = mermaid()
    assert diagram.startswith("stateDiagram-v2")
    for name, (sources, dest, _who) in DESIGN.items():
        for source in sources:
            assert f"{source} --> {dest}: {name}" in diagram
    assert "[*] --> draft" in diagram


# --- what each rule reads: who first, then only the facts of the events at hand -----------------------------


def test_every_guard_and_who_rule_declares_the_facts_it_reads():
    fields = {f.name for f in dataclasses.fields(Facts)}
    for spec in EVENTS.values():
        for rule in (spec.who, *spec.guards):
            assert rule in wf.READS, (spec.name, rule.__name__)
            assert wf.READS[rule] <= fields, (spec.name, rule.__name__)


def test_each_guard_judged_with_only_its_declared_facts_gives_the_same_answer():
    """Facts nobody gathered keep their defaults; a rule that read one would answer differently here."""
    for event, actor, facts, req, _codes, _words in GUARD_CASES:
        needed = wf.who_reads([event]) | wf.guard_reads([event])
        values = {"organization_id": -1, **{name: getattr(facts, name) for name in needed}}
        partial = Facts(state=facts.state, **values, gathered=needed | {"organization_id"})
        assert wf.unmet_guards(event, partial, req) == wf.unmet_guards(event, facts, req), event
        assert wf.who_problem(event, actor, partial) == wf.who_problem(event, actor, facts), event


def test_a_rule_asked_about_facts_nobody_gathered_refuses_to_answer():
    facts = Facts(state=State.PILOTED, organization_id=ORG, gathered=frozenset({"organization_id"}))
    with pytest.raises(RuntimeError, match="reviewer_ids"):
        wf.allowed_events(FACILITATOR, facts)
    with pytest.raises(RuntimeError, match="score_up_to_date"):
        wf.unmet_guards("certify", facts, FULL_REQUEST)


def test_listing_the_allowed_events_reads_only_who_may_fire_them():
    assert wf.who_reads(wf.events_from(State.DRAFT)) == {"organization_id"}
    assert wf.who_reads(wf.events_from(State.PILOTED)) == {"organization_id", "reviewer_ids"}
    assert wf.who_reads(wf.events_from(State.APPEALED)) == {"reviewer_ids", "decider_ids"}


def test_a_blocked_action_is_explained_by_the_application_not_by_what_the_person_has_yet_to_say():
    facts = ready("under_review", pending_reviews=1)
    unmet = wf.unmet_conditions("complete_pilot", facts, NOW)
    assert [u.code for u in unmet] == ["reviews_pending"]
    # reason and indicators are asked when firing: they never block the action shown on the page
    assert wf.unmet_conditions("request_changes", facts, NOW) == []
    assert [u.code for u in wf.unmet_guards("request_changes", facts, Request(now=NOW))] == [
        "reason_required",
        "indicators_required",
    ]
