"""Agreement statistics against published examples, and against the definition on random data."""

from __future__ import annotations

from fractions import Fraction
from itertools import permutations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certification.reviews.agreement import agreement, coincidences, krippendorff_alpha

_ = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: 4 observers × 12 units,
# values 1..5 with missing data. Published: nominal .743, ordinal .815, interval .849.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
]
# The computational example of the Wikipedia article "Krippendorff's alpha": 3 coders × 15 units.
# Published: nominal 0.691, interval 0.811.
WIKIPEDIA = [
    [_, _, _, _, _, 3, 4, 1, 2, 1, 1, 3, 3, _, 3],
    [1, _, 2, 1, 3, 3, 4, 3, _, _, _, _, _, _, _],
    [_, _, 2, 1, 3, 4, 4, _, 2, 1, 1, 3, 3, _, 4],
]


def units_of(observers):
    return [list(column) for column in zip(*observers, strict=True)]


@pytest.mark.parametrize(
    ("data", "level", "published"),
    [
        (KRIPPENDORFF_2011, "nominal", 0.743),
        (KRIPPENDORFF_2011, "ordinal", 0.815),
        (KRIPPENDORFF_2011, "interval", 0.849),
        (WIKIPEDIA, "nominal", 0.691),
        (WIKIPEDIA, "interval", 0.811),
    ],
)
def test_krippendorff_alpha_matches_the_published_examples(data, level, published):
    assert round(krippendorff_alpha(units_of(data), level), 3) == published


def test_the_coincidence_matrix_of_the_published_example_has_the_published_margins():
    # Krippendorff (2011) C: n = 40 pairable values (unit 12 has one), margins n_1..n_5 = 9, 13, 10, 5, 3.
    matrix = coincidences(
        [[v for v in u if v is not None] for u in units_of(KRIPPENDORFF_2011) if sum(v is not None for v in u) >= 2]
    )
    margins = {c: sum((n for (a, _b), n in matrix.items() if a == c), Fraction(0)) for c in range(1, 6)}
    assert margins == {1: 9, 2: 13, 3: 10, 4: 5, 5: 3}


def test_alpha_is_one_for_perfect_agreement_and_undefined_without_variation_or_pairs():
    assert krippendorff_alpha([[1, 1], [3, 3], [5, 5, 5]]) == 1.0
    assert krippendorff_alpha([[4, 4], [4, 4]]) is None, "a single value throughout: no variation"
    assert krippendorff_alpha([[4], [2, None]]) is None, "no unit has two values"
    with pytest.raises(ValueError):
        krippendorff_alpha([[1, 2]], "ratio-ish")


def test_alpha_is_negative_when_reviewers_systematically_disagree():
    assert krippendorff_alpha([[1, 5], [5, 1], [1, 5], [5, 1]]) < 0


def test_exact_agreement_and_mean_absolute_difference_on_a_worked_example():
    # Three applications: (4, 4) agree; (2, 5) differ by 3; (3, 3, 4) has pairs 3-3, 3-4, 3-4.
    result = agreement([[4, 4], [2, 5], [3, 3, 4], [5], [None, 2]])
    assert result.units == 3 and result.pairs == 5
    assert result.exact_agreement == pytest.approx(2 / 5)
    assert result.mean_absolute_difference == pytest.approx((0 + 3 + 0 + 1 + 1) / 5)
    empty = agreement([[3], [None, None]])
    assert (empty.units, empty.pairs, empty.exact_agreement, empty.alpha) == (0, 0, None, None)


def _alpha_by_pairs(units, level):
    """The definition again, from all ordered pairs of values (Krippendorff 2011, eq. for D_o and D_e):
    D_o = 1/n Σ_u 1/(m_u−1) Σ_{i≠j} δ²(v_ui, v_uj),  D_e = 1/(n(n−1)) Σ_{all value pairs i≠j} δ²(v_i, v_j)."""
    units = [[v for v in u if v is not None] for u in units]
    units = [u for u in units if len(u) >= 2]
    values = [v for u in units for v in u]
    n = len(values)
    if n == 0:
        return None
    counts = {c: values.count(c) for c in set(values)}

    def d2(c, k):
        if level == "nominal":
            return 0 if c == k else 1
        if level == "interval":
            return (c - k) ** 2
        low, high = sorted((c, k))
        return (sum(counts[g] for g in counts if low <= g <= high) - Fraction(counts[low] + counts[high], 2)) ** 2

    observed = sum(Fraction(sum(d2(a, b) for a, b in permutations(u, 2)), len(u) - 1) for u in units) / n
    expected = Fraction(sum(d2(a, b) for a, b in permutations(values, 2)), n * (n - 1))
    return None if expected == 0 else float(1 - observed / expected)


@settings(max_examples=200, deadline=None)
@given(
    units=st.lists(st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=1, max_size=4), max_size=10),
    level=st.sampled_from(("nominal", "ordinal", "interval")),
)
def test_alpha_equals_the_pairwise_definition_on_random_data(units, level):
    expected = _alpha_by_pairs(units, level)
    got = krippendorff_alpha(units, level)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, abs=1e-12)
