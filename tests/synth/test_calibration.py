"""Analyses of the twins land on the published report (shared/study/tourmaline.md):
every HR inside its published 95% CI, every median within 10% (NR stays NR), median
follow-up within 2 months. Endpoints are re-derived from the SDTM in endpoints.py."""

import math

import pytest

from adam.synth.calibration import PUBLISHED

from .endpoints import endpoint_frames, km_median_months, median_followup_months, stratified_hr, subjects

# the report's numbers: adam.synth.calibration.PUBLISHED (typed from tourmaline.md, apart
# from the generator's profile); endpoint_frames names OS "OS" where the ARD says OS-PRIMARY
ANALYSIS = {"OS": "OS-PRIMARY"}
REPORT = {s: {e: PUBLISHED[s].results[ANALYSIS.get(e, e)]
              for e in ("OS", "PFS", "TTNT", "PFS2", "OS-NEXTLINE-PI", "OS-NEXTLINE-NOPI")}
          for s in PUBLISHED}
CASES = [(s, e) for s in REPORT for e in REPORT[s]]


@pytest.fixture(scope="module")
def frames(twins):
    return {s: endpoint_frames(subjects(sd)) for s, sd in twins.items()}


@pytest.mark.parametrize("study,endpoint", CASES)
def test_hr_inside_published_ci(frames, study, endpoint):
    hr, _, _ = stratified_hr(frames[study][endpoint])
    lo, hi = REPORT[study][endpoint].lcl, REPORT[study][endpoint].ucl
    assert lo <= hr <= hi, f"{study} {endpoint}: HR {hr:.3f} outside {lo}-{hi}"


@pytest.mark.parametrize("study,endpoint", CASES)
def test_medians_within_ten_percent(frames, study, endpoint):
    for arm, published in zip(("Ixazomib", "Placebo"), REPORT[study][endpoint].median):
        got = km_median_months(frames[study][endpoint], arm)
        if published is None:
            assert math.isinf(got), f"{study} {endpoint} {arm}: median {got:.1f}, published NR"
        else:
            assert abs(got / published - 1) <= 0.10, f"{study} {endpoint} {arm}: {got:.1f} vs {published}"


@pytest.mark.parametrize("study", REPORT)
def test_median_follow_up(frames, study):
    for arm, published in zip(("Ixazomib", "Placebo"), PUBLISHED[study].followup):
        got = median_followup_months(frames[study]["OS"], arm)
        assert abs(got - published) <= 2.0, f"{study} {arm}: {got:.1f} vs {published}"
