"""Auto-assign for a pilot round: fill every submitted application up to `min_reviewers`.

The planning is a pure function (`plan_assignments`) over plain dataclasses, so a property-based test
can drive it without a database. It is a min-cost max-flow:

    source --(missing)--> application --(1, preference)--> reviewer --(1 per free seat, load cost)--> sink

- Hard constraints are the graph itself: an application → reviewer arc exists only when the reviewer is
  active, has expertise in the seal's area, has no conflict of interest with the organisation (affiliation
  open or ended < 24 months ago, or declared by the reviewer) and is not already on the application; a
  reviewer has one sink arc per free seat (capacity − current active assignments). No plan can break them.
- Maximum flow first: as many missing seats as any valid assignment could fill are filled.
- Then load balance: the k-th new assignment of a reviewer whose load is L costs W·(L + k), a convex cost,
  so the cheapest maximum flow minimises Σ load²; W is larger than any sum of preference costs along a
  residual cycle, so no country/language preference can ever buy an extra unit of imbalance. Consequence
  (tested): no assigned reviewer could hand the seat to another eligible reviewer with free capacity whose
  final load is 2 or more below its own.
- Then preference: country match, then language match (the ranking of `reviews.queries.suggestions`).
- Deterministic: inputs are sorted by id and ties are broken by node order.

`certification.reviews.services.auto_assign` gathers the inputs from the database (`reviews.queries`) and,
with `apply=True`, writes the invitations in one transaction; this module needs neither Flask nor a database.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from dataclasses import dataclass, field

from workflows.messages import N_

# Reasons an application stays short of reviewers, as codes with their English message (msgid).
UNFILLED_REASONS = {
    "no_expertise": N_("No active reviewer has expertise in this seal's area."),
    "already_assigned": N_("Every reviewer with this expertise is already assigned to it or was withdrawn/declined."),
    "conflict": N_("The remaining reviewers with this expertise have a conflict of interest with the organisation."),
    "too_few": N_("Too few reviewers with this expertise and no conflict of interest."),
    "capacity": N_("The eligible reviewers are at capacity."),
}


@dataclass(frozen=True)
class Candidate:
    """A reviewer as the planner sees them. `conflicts`: organisation ids they may not review."""

    id: int
    capacity: int
    load: int
    areas: frozenset[str]
    countries: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    active: bool = True
    conflicts: frozenset[int] = frozenset()

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.load)


@dataclass(frozen=True)
class Need:
    """An application short of reviewers. `excluded`: reviewers it already has or had (never re-invited)."""

    application_id: int
    organization_id: int
    area: str
    country: str
    language: str
    missing: int
    excluded: frozenset[int] = frozenset()


@dataclass
class AutoAssignPlan:
    """`assigned`: [{application_id, reviewer_id}]; `unfilled`: [{application_id, missing, reason, code}]."""

    assigned: list[dict] = field(default_factory=list)
    unfilled: list[dict] = field(default_factory=list)
    applied: bool = False

    @property
    def digest(self) -> str:
        """Fingerprint of the plan: applying checks that it is still the plan that was previewed."""
        payload = json.dumps({"assigned": self.assigned, "unfilled": self.unfilled}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        return {"assigned": list(self.assigned), "unfilled": list(self.unfilled)}


def eligible(candidate: Candidate, need: Need) -> bool:
    """The hard constraints, except capacity (which the flow's sink arcs enforce)."""
    return (
        candidate.active
        and need.area in candidate.areas
        and need.organization_id not in candidate.conflicts
        and candidate.id not in need.excluded
    )


def preference(candidate: Candidate, need: Need) -> int:
    """0 best … 3 worst: country match counts before language match."""
    return 2 * (need.country not in candidate.countries) + (need.language not in candidate.languages)


def unfilled_code(need: Need, candidates: list[Candidate]) -> str:
    """Why `need` could not be filled, from the most basic cause to capacity."""
    experts = [c for c in candidates if c.active and need.area in c.areas]
    if not experts:
        return "no_expertise"
    fresh = [c for c in experts if c.id not in need.excluded]
    if not fresh:
        return "already_assigned"
    free_of_conflict = [c for c in fresh if need.organization_id not in c.conflicts]
    if not free_of_conflict:
        return "conflict"
    if len(free_of_conflict) < need.missing:
        return "too_few"
    return "capacity"


class _Graph:
    """A small residual graph for successive-shortest-path min-cost flow (Dijkstra with potentials)."""

    def __init__(self, size: int):
        self.adjacent: list[list[int]] = [[] for _ in range(size)]
        self.to: list[int] = []
        self.capacity: list[int] = []
        self.cost: list[int] = []

    def add(self, u: int, v: int, capacity: int, cost: int) -> int:
        self.adjacent[u].append(len(self.to))
        self.to.append(v), self.capacity.append(capacity), self.cost.append(cost)
        self.adjacent[v].append(len(self.to))
        self.to.append(u), self.capacity.append(0), self.cost.append(-cost)
        return len(self.to) - 2

    def min_cost_max_flow(self, source: int, sink: int) -> None:
        size = len(self.adjacent)
        potential = [0] * size  # every initial cost is >= 0, so zero potentials are valid
        while True:
            dist: list[int | None] = [None] * size
            via = [-1] * size
            dist[source] = 0
            heap = [(0, source)]
            while heap:
                d, u = heapq.heappop(heap)
                if d != dist[u]:
                    continue
                for edge in self.adjacent[u]:
                    if self.capacity[edge] <= 0:
                        continue
                    v = self.to[edge]
                    nd = d + self.cost[edge] + potential[u] - potential[v]
                    if dist[v] is None or nd < dist[v]:
                        dist[v], via[v] = nd, edge
                        heapq.heappush(heap, (nd, v))
            if dist[sink] is None:
                return
            for node in range(size):
                if dist[node] is not None:
                    potential[node] += dist[node]
            # Push one unit: every augmenting path here has bottleneck 1 (the reviewer arcs).
            node = sink
            while node != source:
                edge = via[node]
                self.capacity[edge] -= 1
                self.capacity[edge ^ 1] += 1
                node = self.to[edge ^ 1]


def plan_assignments(needs: list[Need], candidates: list[Candidate]) -> AutoAssignPlan:
    """The assignment plan for `needs`; pure and deterministic (see the module docstring)."""
    needs = sorted((n for n in needs if n.missing > 0), key=lambda n: n.application_id)
    candidates = sorted(candidates, key=lambda c: c.id)
    source, sink = 0, 1
    app_node = {n.application_id: 2 + i for i, n in enumerate(needs)}
    reviewer_node = {c.id: 2 + len(needs) + j for j, c in enumerate(candidates)}
    graph = _Graph(2 + len(needs) + len(candidates))
    load_weight = 6 * max(1, min(len(needs), len(candidates))) + 1
    for need in needs:
        graph.add(source, app_node[need.application_id], need.missing, 0)
    pair_edges: list[tuple[int, int, int]] = []
    for need in needs:
        for candidate in candidates:
            if candidate.free and eligible(candidate, need):
                edge = graph.add(app_node[need.application_id], reviewer_node[candidate.id], 1,
                                 preference(candidate, need))  # fmt: skip
                pair_edges.append((need.application_id, candidate.id, edge))
    for candidate in candidates:
        for k in range(candidate.free):
            graph.add(reviewer_node[candidate.id], sink, 1, load_weight * (candidate.load + k))
    graph.min_cost_max_flow(source, sink)

    assigned = [{"application_id": a, "reviewer_id": r} for a, r, edge in pair_edges if graph.capacity[edge] == 0]
    filled: dict[int, int] = {}
    for pair in assigned:
        filled[pair["application_id"]] = filled.get(pair["application_id"], 0) + 1
    unfilled = []
    for need in needs:
        missing = need.missing - filled.get(need.application_id, 0)
        if missing > 0:
            code = unfilled_code(need, candidates)
            unfilled.append({"application_id": need.application_id, "missing": missing,
                             "reason": UNFILLED_REASONS[code], "code": code})  # fmt: skip
    return AutoAssignPlan(assigned=assigned, unfilled=unfilled)
