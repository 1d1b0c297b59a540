"""Analyses of the twins land on the published report (shared/study/tourmaline.md):
every HR inside its published 95% CI, every median within 10% (NR stays NR), median
follow-up within 2 months. Endpoints are re-derived from the SDTM in endpoints.py."""

import math

import pytest

from .endpoints import (endpoint_frames, km_median_months, median_followup_months,
                                   stratified_hr, subjects)

NR = None
# (median ixazomib, median placebo, HR, lower, upper) typed from tourmaline.md
REPORT = {
    "tourmaline-mm3": {
        "OS": (NR, NR, 1.025, 0.789, 1.332), "PFS": (26.5, 21.3, 0.72, 0.58, 0.89),
        "TTNT": (33.1, 27.6, 0.849, 0.704, 1.022), "PFS2": (84.0, 80.4, 1.015, 0.795, 1.298),
        "OS-NEXTLINE-PI": (NR, 94.2, 0.794, 0.523, 1.206),
        "OS-NEXTLINE-NOPI": (74.9, 90.3, 1.310, 0.901, 1.904),
    },
    "tourmaline-mm4": {
        "OS": (64.8, 69.5, 1.090, 0.861, 1.381), "PFS": (17.4, 9.4, 0.66, 0.54, 0.80),
        "TTNT": (22.1, 16.5, 0.881, 0.734, 1.058), "PFS2": (51.3, 50.3, 0.984, 0.777, 1.246),
        "OS-NEXTLINE-PI": (64.7, 60.1, 1.177, 0.749, 1.849),
        "OS-NEXTLINE-NOPI": (57.1, 55.1, 0.928, 0.672, 1.283),
    },
}
FOLLOW_UP = {"tourmaline-mm3": (94.4, 94.5), "tourmaline-mm4": (57.2, 57.6)}
CASES = [(s, e) for s in REPORT for e in REPORT[s]]


@pytest.fixture(scope="module")
def frames(twins):
    return {s: endpoint_frames(subjects(sd)) for s, sd in twins.items()}


@pytest.mark.parametrize("study,endpoint", CASES)
def test_hr_inside_published_ci(frames, study, endpoint):
    hr, _, _ = stratified_hr(frames[study][endpoint])
    lo, hi = REPORT[study][endpoint][3:]
    assert lo <= hr <= hi, f"{study} {endpoint}: HR {hr:.3f} outside {lo}-{hi}"


@pytest.mark.parametrize("study,endpoint", CASES)
def test_medians_within_ten_percent(frames, study, endpoint):
    for arm, published in zip(("Ixazomib", "Placebo"), REPORT[study][endpoint][:2]):
        got = km_median_months(frames[study][endpoint], arm)
        if published is NR:
            assert math.isinf(got), f"{study} {endpoint} {arm}: median {got:.1f}, published NR"
        else:
            assert abs(got / published - 1) <= 0.10, f"{study} {endpoint} {arm}: {got:.1f} vs {published}"


@pytest.mark.parametrize("study", REPORT)
def test_median_follow_up(frames, study):
    for arm, published in zip(("Ixazomib", "Placebo"), FOLLOW_UP[study]):
        got = median_followup_months(frames[study]["OS"], arm)
        assert abs(got - published) <= 2.0, f"{study} {arm}: {got:.1f} vs {published}"
