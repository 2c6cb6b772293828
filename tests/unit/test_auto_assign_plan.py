"""The auto-assign planner (pure): hard constraints on random inputs, maximal fill, balanced load, determinism."""

from __future__ import annotations

import random
from collections import Counter, deque

from hypothesis import given, settings
from hypothesis import strategies as st

from certification.reviews.auto_assign import UNFILLED_REASONS, Candidate, Need, plan_assignments

AREAS = ("gender", "poverty")
COUNTRIES = ("PE", "BO")
LANGUAGES = ("es", "qu")
ORGS = (1, 2, 3, 4)


def candidates_strategy():
    return st.lists(
        st.builds(
            Candidate,
            id=st.integers(1, 12),
            capacity=st.integers(0, 5),
            load=st.integers(0, 3),
            areas=st.frozensets(st.sampled_from(AREAS), min_size=1),
            countries=st.frozensets(st.sampled_from(COUNTRIES)),
            languages=st.frozensets(st.sampled_from(LANGUAGES)),
            active=st.sampled_from((True, True, True, False)),
            conflicts=st.frozensets(st.sampled_from(ORGS), max_size=2),
        ),
        max_size=8,
        unique_by=lambda c: c.id,
    )


def needs_strategy():
    return st.lists(
        st.builds(
            Need,
            application_id=st.integers(100, 140),
            organization_id=st.sampled_from(ORGS),
            area=st.sampled_from(AREAS),
            country=st.sampled_from(COUNTRIES),
            language=st.sampled_from(LANGUAGES),
            missing=st.integers(0, 3),
            excluded=st.frozensets(st.integers(1, 12), max_size=2),
        ),
        max_size=8,
        unique_by=lambda n: n.application_id,
    )


def independently_eligible(c: Candidate, n: Need) -> bool:
    """The assignment rules written out again: active, expertise, no conflict with the organisation, not already
    on it."""
    if not c.active:
        return False
    if n.area not in c.areas:
        return False
    if n.organization_id in c.conflicts:
        return False
    return c.id not in n.excluded


def max_fill(needs: list[Need], candidates: list[Candidate]) -> int:
    """Edmonds–Karp on the same network, written independently: the most seats any valid plan fills."""
    nodes = ["s", "t"] + [("a", n.application_id) for n in needs] + [("r", c.id) for c in candidates]
    cap: dict = {u: {} for u in nodes}

    def arc(u, v, c):
        cap[u][v] = cap[u].get(v, 0) + c
        cap[v].setdefault(u, 0)

    for n in needs:
        arc("s", ("a", n.application_id), max(0, n.missing))
        for c in candidates:
            if independently_eligible(c, n):
                arc(("a", n.application_id), ("r", c.id), 1)
    for c in candidates:
        arc(("r", c.id), "t", max(0, c.capacity - c.load))
    flow = 0
    while True:
        parent = {"s": None}
        queue = deque(["s"])
        while queue and "t" not in parent:
            u = queue.popleft()
            for v, c in cap[u].items():
                if c > 0 and v not in parent:
                    parent[v] = u
                    queue.append(v)
        if "t" not in parent:
            return flow
        v = "t"
        while parent[v] is not None:
            u = parent[v]
            cap[u][v] -= 1
            cap[v][u] += 1
            v = u
        flow += 1


def final_loads(plan, candidates):
    extra = Counter(p["reviewer_id"] for p in plan.assigned)
    return {c.id: c.load + extra[c.id] for c in candidates}


@settings(max_examples=300, deadline=None)
@given(needs=needs_strategy(), candidates=candidates_strategy())
def test_auto_assign_never_breaks_a_hard_constraint_on_random_inputs(needs, candidates):
    plan = plan_assignments(needs, candidates)
    by_id = {c.id: c for c in candidates}
    need_of = {n.application_id: n for n in needs}
    pairs = [(p["application_id"], p["reviewer_id"]) for p in plan.assigned]
    assert len(pairs) == len(set(pairs)), "a reviewer is never assigned twice to one application"
    for application_id, reviewer_id in pairs:
        assert independently_eligible(by_id[reviewer_id], need_of[application_id]), (application_id, reviewer_id)
    per_reviewer = Counter(r for _a, r in pairs)
    for reviewer_id, count in per_reviewer.items():
        c = by_id[reviewer_id]
        assert c.load + count <= c.capacity, "capacity is a hard constraint"
    per_application = Counter(a for a, _r in pairs)
    for application_id, count in per_application.items():
        assert count <= need_of[application_id].missing, "never more reviewers than missing"


@settings(max_examples=300, deadline=None)
@given(needs=needs_strategy(), candidates=candidates_strategy())
def test_auto_assign_fills_as_many_seats_as_any_valid_plan_could(needs, candidates):
    plan = plan_assignments(needs, candidates)
    assert len(plan.assigned) == max_fill(needs, candidates)
    total_missing = sum(n.missing for n in needs)
    assert sum(u["missing"] for u in plan.unfilled) == total_missing - len(plan.assigned)


@settings(max_examples=300, deadline=None)
@given(needs=needs_strategy(), candidates=candidates_strategy())
def test_auto_assign_balances_load_no_seat_could_move_to_a_reviewer_two_below(needs, candidates):
    plan = plan_assignments(needs, candidates)
    loads = final_loads(plan, candidates)
    assigned = {(p["application_id"], p["reviewer_id"]) for p in plan.assigned}
    need_of = {n.application_id: n for n in needs}
    for application_id, reviewer_id in assigned:
        for other in candidates:
            if (application_id, other.id) in assigned or other.id == reviewer_id:
                continue
            if not independently_eligible(other, need_of[application_id]) or loads[other.id] >= other.capacity:
                continue
            assert loads[other.id] >= loads[reviewer_id] - 1, (
                f"seat of application {application_id} could move from reviewer {reviewer_id} "
                f"(load {loads[reviewer_id]}) to {other.id} (load {loads[other.id]})"
            )


@settings(max_examples=300, deadline=None)
@given(needs=needs_strategy(), candidates=candidates_strategy())
def test_an_unfilled_application_has_no_eligible_reviewer_with_a_free_seat_left(needs, candidates):
    plan = plan_assignments(needs, candidates)
    loads = final_loads(plan, candidates)
    assigned = {(p["application_id"], p["reviewer_id"]) for p in plan.assigned}
    need_of = {n.application_id: n for n in needs}
    for gap in plan.unfilled:
        assert gap["missing"] > 0 and gap["reason"] == UNFILLED_REASONS[gap["code"]]
        need = need_of[gap["application_id"]]
        for c in candidates:
            if independently_eligible(c, need) and (need.application_id, c.id) not in assigned:
                assert loads[c.id] >= c.capacity, f"reviewer {c.id} could still fill {need.application_id}"


@settings(max_examples=100, deadline=None)
@given(needs=needs_strategy(), candidates=candidates_strategy(), seed=st.integers(0, 1000))
def test_auto_assign_is_deterministic_whatever_the_input_order(needs, candidates, seed):
    shuffled_needs, shuffled_candidates = list(needs), list(candidates)
    rng = random.Random(seed)
    rng.shuffle(shuffled_needs)
    rng.shuffle(shuffled_candidates)
    first = plan_assignments(needs, candidates)
    again = plan_assignments(shuffled_needs, shuffled_candidates)
    assert first.assigned == again.assigned and first.unfilled == again.unfilled
    assert first.digest == again.digest


def _reviewer(i, load=0, capacity=10, countries=("PE",), languages=("es",), conflicts=()):
    return Candidate(
        id=i,
        capacity=capacity,
        load=load,
        areas=frozenset({"gender"}),
        countries=frozenset(countries),
        languages=frozenset(languages),
        conflicts=frozenset(conflicts),
    )


def _need(i, missing=2, org=1, country="PE", language="es", excluded=()):
    return Need(
        application_id=i,
        organization_id=org,
        area="gender",
        country=country,
        language=language,
        missing=missing,
        excluded=frozenset(excluded),
    )


def test_auto_assign_spreads_new_work_evenly_over_idle_reviewers():
    plan = plan_assignments([_need(i) for i in range(1, 5)], [_reviewer(i) for i in range(10, 14)])
    assert len(plan.assigned) == 8 and not plan.unfilled
    assert sorted(Counter(p["reviewer_id"] for p in plan.assigned).values()) == [2, 2, 2, 2]


def test_auto_assign_gives_new_work_to_the_least_loaded_reviewers_first():
    reviewers = [_reviewer(1, load=3), _reviewer(2, load=0), _reviewer(3, load=1)]
    plan = plan_assignments([_need(50, missing=1), _need(51, missing=1), _need(52, missing=1)], reviewers)
    assert len(plan.assigned) == 3
    loads = final_loads(plan, reviewers)
    assert loads == {1: 3, 2: 2, 3: 2}, "the busy reviewer gets nothing; the idle one catches up first"


def test_with_equal_load_a_reviewer_of_the_country_and_language_is_preferred():
    reviewers = [
        _reviewer(1, countries=("BO",), languages=("qu",)),
        _reviewer(2, countries=("BO",)),
        _reviewer(3, countries=("PE",), languages=("qu",)),
        _reviewer(4),
    ]
    plan = plan_assignments([_need(7, missing=1)], reviewers)
    assert plan.assigned == [{"application_id": 7, "reviewer_id": 4}]
    plan = plan_assignments([_need(7, missing=1)], reviewers[:3])
    assert plan.assigned == [{"application_id": 7, "reviewer_id": 3}], "country counts before language"


def test_auto_assign_reports_each_unfilled_application_with_its_cause():
    needs = [
        Need(1, organization_id=1, area="rural", country="PE", language="es", missing=2),
        _need(2, org=9),
        _need(3, excluded=(1, 2)),
        _need(4, missing=3),
        _need(5, missing=1),
    ]
    reviewers = [_reviewer(1, conflicts=(9,), capacity=1), _reviewer(2, conflicts=(9,), capacity=1)]
    plan = plan_assignments(needs, reviewers)
    codes = {u["application_id"]: (u["code"], u["missing"]) for u in plan.unfilled}
    assert codes[1] == ("no_expertise", 2)
    assert codes[2] == ("conflict", 2)
    assert codes[3] == ("already_assigned", 2)
    assert codes[4][0] == "too_few"
    assert len(plan.assigned) == 2, "the two free seats are used"
    assert {u["code"] for u in plan.unfilled} <= set(UNFILLED_REASONS)


def test_a_plan_for_nothing_to_fill_is_empty():
    plan = plan_assignments([_need(1, missing=0)], [_reviewer(1)])
    assert plan.assigned == [] and plan.unfilled == []
