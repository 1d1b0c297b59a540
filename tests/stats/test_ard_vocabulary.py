"""Every ``stats()`` maps onto ARD rows with the vocabulary of shared/spec/ard.md."""

import numpy as np
import pytest

from adam.ard import STAT_NAMES, ard_frame, ard_rows
from adam.stats import (KaplanMeier, cox_treatment, logrank_test, median_followup, ph_test,
                        rmst, subgroup_analysis)
from stats_reference import dataset

LUNG = dataset("lung")
ARM = np.where(LUNG["sex"] == 2, "Female", "Male")


@pytest.mark.smoke
def test_stats_keys_are_ard_stat_names():
    km = KaplanMeier().fit(LUNG["time"], LUNG["status"])
    assert set(km.stats()) <= STAT_NAMES["km"]
    assert set(km.stats_at(365.25)) <= STAT_NAMES["km"]
    assert set(logrank_test(LUNG["time"], LUNG["status"], ARM).stats()) == STAT_NAMES["logrank"]
    assert set(cox_treatment(LUNG["time"], LUNG["status"], ARM, ref="Male").stats()) == \
        STAT_NAMES["cox"] - {"p_interaction"}  # the interaction p comes from subgroup_analysis
    assert set(ph_test(cox_treatment(LUNG["time"], LUNG["status"], ARM, ref="Male")).stats()) == \
        STAT_NAMES["zph"]
    assert set(median_followup(LUNG["time"], LUNG["status"]).stats()) == STAT_NAMES["revkm"]
    assert set(rmst(LUNG["time"], LUNG["status"], 365.25)) == STAT_NAMES["rmst"]
    sub = subgroup_analysis(LUNG["time"], LUNG["status"], ARM, LUNG["agegrp"], ref="Male")
    assert set(sub.level_stats("<60")) <= STAT_NAMES["cox"]
    assert set(sub.stats()) == {"p_interaction"} <= STAT_NAMES["cox"]  # method cox, subgroup empty


@pytest.mark.smoke
def test_not_reached_median_becomes_an_empty_ard_value():
    small = dataset("small_curves")
    d = small[small["curve"] == "not_reached"]
    rows = ard_rows(KaplanMeier().fit(d["time"], d["status"]).stats(), study="S",
                    analysis_id="OS-PRIMARY", method="km", group_var="TRT01P", group="A")
    frame = ard_frame(rows).set_index("stat_name")["stat_value"]
    assert np.isnan(frame["median"]) and frame["n"] == 10
