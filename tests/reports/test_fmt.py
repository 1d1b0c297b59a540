"""Number formatting: SAS-style rounding, NR/NE, p-values, days -> months."""

import math

from reports import fmt


def test_fixed_rounds_half_away_from_zero_like_sas():
    # Python's round() gives 2.67 and 0.12 here (binary floats, half-to-even)
    assert fmt.fixed(2.675, 2) == "2.68"
    assert fmt.fixed(0.125, 2) == "0.13"
    assert fmt.fixed(100 * 288 / 394, 1) == "73.1"
    assert fmt.fixed(-0.05, 1) == "-0.1"
    assert fmt.fixed(math.nan, 1) == "NE"


def test_n_pct_and_counts():
    assert fmt.n_pct(288, 100 * 288 / 394) == "288 (73.1)"
    assert fmt.n_pct(138, 100 * 138 / 394) == "138 (35.0)"
    assert fmt.count(math.nan) == ""


def test_p_values():
    assert fmt.p_value(0.85) == "0.850"
    assert fmt.p_value(0.0004) == "<0.001"
    assert fmt.p_value(0.001) == "0.001"
    assert fmt.p_value(math.nan) == ""


def test_median_in_months_with_not_reached_and_not_estimable():
    assert fmt.months(30.4375) == 1.0
    assert fmt.median_ci_months(26.5 * 30.4375, 22.0 * 30.4375, math.nan) == "26.5 (22.0, NE)"
    assert fmt.median_ci_months(math.nan, math.nan, math.nan) == "NR"
    assert fmt.median_ci_months(None, 80.0 * 30.4375, None) == "NR (80.0, NE)"
    assert fmt.median_ci_months(45.0, None, None, unit="days") == "45.0 (NE, NE)"


def test_hazard_ratio_and_header():
    assert fmt.hr_ci(1.025, 0.789, 1.332) == "1.025 (0.789, 1.332)"
    assert fmt.hr_ci(math.nan, math.nan, math.nan) == "NE"
    assert fmt.header_n("Placebo", 259.0) == "Placebo (N=259)"
