"""Inter-reviewer agreement (pure, no database): which indicators reviewers read the same way.

A *unit* is one application's indicator; its *values* are the integer scores of the reviewers who
submitted (N/A left out). Only units with at least two values are pairable; the others are ignored.

- Exact agreement = the share of reviewer pairs, within a unit, who gave the same score (with two
  reviewers per application: the share of applications where they agree). Pooled over units.
- Mean absolute difference = the mean of |a − b| over those same pairs.
- Krippendorff's alpha (Krippendorff, K. (2011). *Computing Krippendorff's Alpha-Reliability*. Annenberg
  School for Communication, University of Pennsylvania, https://repository.upenn.edu/asc_papers/43;
  Hayes, A. F. & Krippendorff, K. (2007). Communication Methods and Measures 1(1), 77–89):

      coincidences   o_ck = Σ_u  (number of ordered pairs (c, k) of values in unit u) / (m_u − 1)
      marginals      n_c  = Σ_k o_ck,    n = Σ_c n_c      (m_u: number of values in unit u)
      alpha          α    = 1 − (n − 1) · Σ_c Σ_k o_ck δ²_ck  /  Σ_c Σ_k n_c n_k δ²_ck

  with the difference function δ² of the level of measurement:
      nominal   δ²_ck = 0 if c = k else 1
      ordinal   δ²_ck = (Σ_{g=c..k} n_g − (n_c + n_k) / 2)²       (c ≤ k; the rubric levels are ordinal)
      interval  δ²_ck = (c − k)²

  α = 1 is perfect agreement, 0 is agreement no better than chance, < 0 systematic disagreement. It is
  undefined (None here) with no pairable unit or when every pairable value is the same (no variation).

Arithmetic is exact (fractions) and converted to float at the end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

LEVELS = ("nominal", "ordinal", "interval")


def pairable(units: Iterable[Sequence[int | None]]) -> list[list[int]]:
    """The units with at least two non-missing values, missing values (None) dropped."""
    out = []
    for unit in units:
        values = [v for v in unit if v is not None]
        if len(values) >= 2:
            out.append(values)
    return out


def coincidences(units: list[list[int]]) -> dict[tuple[int, int], Fraction]:
    """The coincidence matrix o_ck (only non-zero cells) of pairable units."""
    matrix: Counter = Counter()
    for values in units:
        weight = Fraction(1, len(values) - 1)
        for i, c in enumerate(values):
            for j, k in enumerate(values):
                if i != j:
                    matrix[(c, k)] += weight
    return dict(matrix)


def _delta2(level: str, c: int, k: int, marginals: dict[int, Fraction], ordered: list[int]) -> Fraction:
    if level == "nominal":
        return Fraction(0 if c == k else 1)
    if level == "interval":
        return Fraction((c - k) ** 2)
    low, high = min(c, k), max(c, k)
    between = sum((marginals[g] for g in ordered if low <= g <= high), Fraction(0))
    return (between - (marginals[low] + marginals[high]) / 2) ** 2


def krippendorff_alpha(units: Iterable[Sequence[int | None]], level: str = "ordinal") -> float | None:
    """Krippendorff's alpha of the reliability data `units` (one sequence of values per unit, None = missing).

    None when undefined (no pairable unit, or a single value throughout). See the module docstring.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level of measurement {level!r}")
    data = pairable(units)
    matrix = coincidences(data)
    marginals: Counter = Counter()
    for (c, _k), count in matrix.items():
        marginals[c] += count
    n = sum(marginals.values(), Fraction(0))
    ordered = sorted(marginals)
    if len(ordered) < 2:
        return None
    observed = sum((count * _delta2(level, c, k, marginals, ordered) for (c, k), count in matrix.items()), Fraction(0))
    expected = sum(
        (marginals[c] * marginals[k] * _delta2(level, c, k, marginals, ordered) for c in ordered for k in ordered),
        Fraction(0),
    )
    if expected == 0:
        return None
    return float(1 - (n - 1) * observed / expected)


@dataclass(frozen=True)
class Agreement:
    """Agreement figures for one indicator (or a pool of indicators); None where undefined."""

    units: int  # pairable units (applications with >= 2 reviewer scores)
    pairs: int
    exact_agreement: float | None  # 0..1
    mean_absolute_difference: float | None
    alpha: float | None  # Krippendorff's alpha, ordinal

    def to_dict(self) -> dict:
        return {
            "units": self.units,
            "pairs": self.pairs,
            "exact_agreement": self.exact_agreement,
            "mean_absolute_difference": self.mean_absolute_difference,
            "alpha": self.alpha,
        }


def agreement(units: Iterable[Sequence[int | None]]) -> Agreement:
    """Exact agreement, mean absolute difference and ordinal alpha of `units`."""
    data = pairable(units)
    pairs = [(a, b) for values in data for a, b in combinations(values, 2)]
    if not pairs:
        return Agreement(units=0, pairs=0, exact_agreement=None, mean_absolute_difference=None, alpha=None)
    same = sum(1 for a, b in pairs if a == b)
    distance = sum(abs(a - b) for a, b in pairs)
    return Agreement(
        units=len(data),
        pairs=len(pairs),
        exact_agreement=float(Fraction(same, len(pairs))),
        mean_absolute_difference=float(Fraction(distance, len(pairs))),
        alpha=krippendorff_alpha(data, "ordinal"),
    )
