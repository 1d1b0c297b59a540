"""Shared fixtures: the hand-built ARDs and study objects of the report tests."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from adam.ard import read_ard

FIXTURES = Path(__file__).parent / "fixtures"

MM3_OUTPUTS = [
    dict(id="t1", program="subseq", analysis_id="SUBSEQ-THERAPY", number="Table 1",
         title="Subsequent anti-myeloma therapies", population="SAF"),
    dict(id="fig1", program="consort", analysis_id="DISPOSITION", number="Figure 1",
         title="Patient disposition", population="ITT", safety_analysis_id="SAFETY-POPULATION"),
    dict(id="fig2", program="km", analysis_id="OS-PRIMARY", number="Figure 2",
         title="Kaplan-Meier plot of overall survival", population="ITT"),
    dict(id="fig3", program="forest", analysis_id="OS-SUBGROUP", number="Figure 3",
         title="Overall survival by subgroup", population="ITT", overall_analysis_id="OS-PRIMARY"),
    dict(id="fig4", program="km", analysis_id="TTNT", number="Figure 4", title="Time to next-line therapy",
         population="ITT"),
    dict(id="fig5", program="km", analysis_id="PFS2", number="Figure 5", title="PFS2", population="ITT"),
    dict(id="fig6", program="km", analysis_id="OS-NEXTLINE-PI", number="Figure 6",
         title="OS, next line including a PI", population="ITT"),
    dict(id="fig7", program="km", analysis_id="OS-NEXTLINE-NOPI", number="Figure 7",
         title="OS, next line without a PI", population="ITT"),
    dict(id="fs1", program="km", analysis_id="PFS", number="Figure S1", title="PFS", population="ITT"),
    dict(id="s1", program="baseline", analysis_id="BASELINE", number="Table S1",
         title="Baseline characteristics", population="ITT"),
    dict(id="s5", program="efficacy", number="Table S5", title="Efficacy summary", population="ITT",
         footnotes=["Study-level footnote from the spec."]),
]


def make_study(outputs, studyid="TOURMALINE-MM3", title="TOURMALINE-MM3: ixazomib vs placebo maintenance"):
    return types.SimpleNamespace(name=studyid.lower(), studyid=studyid, title=title,
                                 data_cutoff="2023-09-08", outputs=[dict(o) for o in outputs])


@pytest.fixture(scope="session")
def ard_mm3():
    return read_ard(FIXTURES / "ard_mm3.csv")


@pytest.fixture(scope="session")
def ard_pilot():
    return read_ard(FIXTURES / "ard_pilot.csv")


@pytest.fixture
def study_mm3():
    return make_study(MM3_OUTPUTS)


@pytest.fixture(scope="session")
def new_study():
    """``new_study(outputs, studyid=..., title=...)``: a study object for tests."""
    return make_study


@pytest.fixture(scope="session")
def mm3_specs():
    return {o["id"]: dict(o) for o in MM3_OUTPUTS}
