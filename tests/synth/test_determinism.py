"""Same seed -> identical datasets; another seed -> different data; n_subjects keeps
the published proportions."""

import pandas as pd
import pytest

from adam.synth import synthesize


def test_same_seed_identical(mm3):
    again = synthesize("tourmaline-mm3")
    for key, ds in mm3.items():
        pd.testing.assert_frame_equal(ds.frame, again[key].frame, check_exact=True)
        assert [v.label for v in ds.variables] == [v.label for v in again[key].variables]


def test_other_seed_differs(mm3):
    other = synthesize("tourmaline-mm3", seed=7)
    assert not other["dm"].frame.equals(mm3["dm"].frame)
    assert not other["rs"].frame.equals(mm3["rs"].frame)
    # exact-by-construction counts do not depend on the seed
    assert other["dm"].frame.ARM.value_counts().to_dict() == mm3["dm"].frame.ARM.value_counts().to_dict()
    assert (other["dm"].frame.DTHFL == "Y").sum() == (mm3["dm"].frame.DTHFL == "Y").sum()


@pytest.fixture(scope="module")
def mm4_x3():
    return synthesize("tourmaline-mm4", n_subjects=3 * 706, seed=3)


def test_scaling_keeps_proportions(mm4_x3):
    """At 3x N the published shares (tourmaline.md) hold to within half a percentage point."""
    dm = mm4_x3["dm"].frame.set_index("USUBJID")
    assert len(dm) == 2118
    n = dm.ARM.value_counts()
    assert abs(n["Ixazomib"] / len(dm) - 425 / 706) < 0.005
    deaths = dm[dm.DTHFL == "Y"].ARM.value_counts()
    assert abs(deaths["Ixazomib"] / n["Ixazomib"] - 184 / 425) < 0.005
    assert abs(deaths["Placebo"] / n["Placebo"] - 115 / 281) < 0.005
    saf = dm[dm.ACTARMCD != "NOTTRT"]
    cm = mm4_x3["cm"].frame
    sub = cm[(cm.CMCAT == "SUBSEQUENT ANTI-MYELOMA THERAPY") & cm.USUBJID.isin(saf.index)]
    for klass, pub in (("PROTEASOME INHIBITOR", (143 / 426, 99 / 276)),
                       ("ANTI-CD38 ANTIBODY", (109 / 426, 73 / 276))):
        got = sub[sub.CMCLAS == klass].drop_duplicates("USUBJID").USUBJID.map(saf.ACTARM).value_counts()
        n_saf = saf.ACTARM.value_counts()
        assert abs(got["Ixazomib"] / n_saf["Ixazomib"] - pub[0]) < 0.005
        assert abs(got["Placebo"] / n_saf["Placebo"] - pub[1]) < 0.005
    lb = mm4_x3["lb"].frame
    mrd = lb[lb.LBTESTCD == "MRD"].USUBJID.map(dm.ARM).value_counts()
    assert abs(mrd["Placebo"] / n["Placebo"] - 151 / 281) < 0.005
