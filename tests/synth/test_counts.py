"""Published counts of tourmaline.md reproduced exactly by the synthetic SDTM.

Every expected number below is typed from shared/study/tourmaline.md, not taken from the
generator's profile, so a wrong profile fails here too."""

import pandas as pd
import pytest

STUDIES = ("tourmaline-mm3", "tourmaline-mm4")
ARMS = ("Ixazomib", "Placebo")

PUBLISHED = {
    "tourmaline-mm3": {
        "itt": (395, 261), "safety": (394, 259), "deaths": (144, 93), "never_treated": (2, 1),
        "discontinued": (194, 151), "pd_pct": (74, 80), "ae_pct": (13, 5),
        "mrd_tested": (357, 228), "mrd_pos": (225, 139), "mrd_neg": (117, 75),
        "median_age": (58, 60), "high_risk_pct": (15, 21), "npm_pct": (7, 8), "npm_heme_pct": (2, 3),
        "table1": {"ANY": (288, 190), "CORTICOSTEROID": (263, 169), "IMID": (255, 161),
                   "PROTEASOME INHIBITOR": (182, 141), "ANTI-CD38 ANTIBODY": (138, 74),
                   "ALKYLATING AGENT": (105, 71)},
    },
    "tourmaline-mm4": {
        "itt": (425, 281), "safety": (426, 276), "deaths": (184, 115),
        "discontinued": (307, 226), "pd_pct": (69, 84), "ae_pct": (17, 7),
        "mrd_tested": (213, 151), "mrd_pos": (169, 125), "mrd_neg": (44, 26),
        "median_age": (72, 73), "high_risk_pct": (17, 17), "npm_pct": (8, 8), "frail_pct": (24, 24),
        "on_study_deaths": (11, 6),
        "table1": {"ANY": (308, 198), "CORTICOSTEROID": (286, 184), "IMID": (257, 168),
                   "PROTEASOME INHIBITOR": (143, 99), "ANTI-CD38 ANTIBODY": (109, 73),
                   "ALKYLATING AGENT": (99, 58)},
    },
}


def per_arm(series: pd.Series) -> tuple:
    return tuple(int(series.get(a, 0)) for a in ARMS)


def dm_of(twins, study):
    return twins[study]["dm"].frame.set_index("USUBJID")


@pytest.mark.parametrize("study", STUDIES)
def test_itt_safety_and_never_treated(twins, study):
    pub = PUBLISHED[study]
    dm = dm_of(twins, study)
    assert per_arm(dm["ARM"].value_counts()) == pub["itt"]
    assert per_arm(dm.loc[dm.ACTARMCD != "NOTTRT", "ACTARM"].value_counts()) == pub["safety"]
    exposed = set(twins[study]["ex"].frame.USUBJID)
    assert exposed == set(dm.index[dm.ACTARMCD != "NOTTRT"])
    if "never_treated" in pub:
        assert per_arm(dm.loc[dm.ACTARMCD == "NOTTRT", "ARM"].value_counts()) == pub["never_treated"]
    # placebo-randomized subjects who received ixazomib carry it in ACTARM and EX
    switched = dm.index[(dm.ARM == "Placebo") & (dm.ACTARM == "Ixazomib")]
    assert len(switched) >= 1
    ex = twins[study]["ex"].frame
    assert set(ex.loc[ex.USUBJID.isin(switched), "EXTRT"]) == {"IXAZOMIB"}


@pytest.mark.parametrize("study", STUDIES)
def test_deaths_per_arm(twins, study):
    dm = dm_of(twins, study)
    assert per_arm(dm.loc[dm.DTHFL == "Y", "ARM"].value_counts()) == PUBLISHED[study]["deaths"]
    ds = twins[study]["ds"].frame
    dead_ds = set(ds.loc[ds.DSDECOD == "DEATH", "USUBJID"])
    assert dead_ds == set(dm.index[dm.DTHFL == "Y"])
    assert dm.loc[dm.DTHFL == "Y", "DTHDTC"].notna().all()
    assert dm.loc[dm.DTHFL != "Y", "DTHDTC"].isna().all()


@pytest.mark.parametrize("study", STUDIES)
def test_table1_every_cell(twins, study):
    sd = twins[study]
    dm = dm_of(twins, study)
    saf = dm[dm.ACTARMCD != "NOTTRT"]
    cm = sd["cm"].frame
    sub = cm[(cm.CMCAT == "SUBSEQUENT ANTI-MYELOMA THERAPY") & cm.USUBJID.isin(saf.index)]
    any_ = sub.drop_duplicates("USUBJID").USUBJID.map(saf.ACTARM)
    assert per_arm(any_.value_counts()) == PUBLISHED[study]["table1"]["ANY"]
    for klass, expected in PUBLISHED[study]["table1"].items():
        if klass == "ANY":
            continue
        got = sub[sub.CMCLAS == klass].drop_duplicates("USUBJID").USUBJID.map(saf.ACTARM)
        assert per_arm(got.value_counts()) == expected, klass


@pytest.mark.parametrize("study", STUDIES)
def test_discontinuations_and_reasons(twins, study):
    pub = PUBLISHED[study]
    dm = dm_of(twins, study)
    ds = twins[study]["ds"].frame
    eot = ds[ds.DSSCAT == "END OF TREATMENT"].set_index("USUBJID")
    assert eot.index.is_unique and set(eot.index) == set(dm.index)   # the never dosed: why
    eot = eot[eot.index.isin(dm.index[dm.ACTARMCD != "NOTTRT"])].assign(arm=dm.ARM)
    disc = eot[eot.DSDECOD != "COMPLETED"]
    assert per_arm(disc.arm.value_counts()) == pub["discontinued"]
    for reason, key in (("PROGRESSIVE DISEASE", "pd_pct"), ("ADVERSE EVENT", "ae_pct")):
        n = per_arm(disc[disc.DSDECOD == reason].arm.value_counts())
        pct = tuple(round(100 * k / d) for k, d in zip(n, pub["discontinued"]))
        assert pct == pub[key], reason
    assert set(disc.DSDECOD) == {"PROGRESSIVE DISEASE", "ADVERSE EVENT", "WITHDRAWAL BY SUBJECT", "OTHER"}
    assert (eot.loc[eot.DSDECOD == "COMPLETED", "DSTERM"] == "COMPLETED 26 CYCLES").all()


@pytest.mark.parametrize("study", STUDIES)
def test_mrd_counts(twins, study):
    pub = PUBLISHED[study]
    dm = dm_of(twins, study)
    lb = twins[study]["lb"].frame
    mrd = lb[lb.LBTESTCD == "MRD"].assign(arm=lambda d: d.USUBJID.map(dm.ARM))
    assert mrd.USUBJID.is_unique
    assert per_arm(mrd.arm.value_counts()) == pub["mrd_tested"]
    assert per_arm(mrd[mrd.LBORRES == "POSITIVE"].arm.value_counts()) == pub["mrd_pos"]
    assert per_arm(mrd[mrd.LBORRES == "NEGATIVE"].arm.value_counts()) == pub["mrd_neg"]


@pytest.mark.parametrize("study", STUDIES)
def test_age_high_risk_frailty(twins, study):
    pub = PUBLISHED[study]
    dm = dm_of(twins, study)
    assert tuple(dm.groupby("ARM").AGE.median()[list(ARMS)]) == pub["median_age"]
    lb = twins[study]["lb"].frame
    cyto = lb[lb.LBCAT == "CYTOGENETICS"]
    high = set(cyto.loc[cyto.LBORRES == "POSITIVE", "USUBJID"])
    n_high = per_arm(dm.loc[dm.index.isin(high), "ARM"].value_counts())
    assert tuple(round(100 * k / n) for k, n in zip(n_high, pub["itt"])) == pub["high_risk_pct"]
    if "frail_pct" in pub:
        rs = twins[study]["rs"].frame
        frail = set(rs.loc[(rs.RSTESTCD == "FRAILTY") & (rs.RSORRES == "FRAIL"), "USUBJID"])
        n_frail = per_arm(dm.loc[dm.index.isin(frail), "ARM"].value_counts())
        assert tuple(round(100 * k / n) for k, n in zip(n_frail, pub["itt"])) == pub["frail_pct"]


@pytest.mark.parametrize("study", STUDIES)
def test_new_primary_malignancies(twins, study):
    pub = PUBLISHED[study]
    dm = dm_of(twins, study)
    ae = twins[study]["ae"].frame
    npm = ae[ae.AECAT == "NEW PRIMARY MALIGNANCY"]
    n_any = per_arm(dm.loc[dm.index.isin(set(npm.USUBJID)), "ACTARM"].value_counts())
    assert tuple(round(100 * k / n) for k, n in zip(n_any, pub["safety"])) == pub["npm_pct"]
    heme = set(npm.loc[npm.AESCAT == "HEMATOLOGIC", "USUBJID"])
    n_heme = per_arm(dm.loc[dm.index.isin(heme), "ACTARM"].value_counts())
    pct = [100 * k / n for k, n in zip(n_heme, pub["safety"])]
    if "npm_heme_pct" in pub:
        assert tuple(round(p) for p in pct) == pub["npm_heme_pct"]
    else:  # MM4: "<1%"
        assert all(0 < p < 1 for p in pct)


def test_mm4_on_study_deaths(twins):
    dm = dm_of(twins, "tourmaline-mm4")
    ae = twins["tourmaline-mm4"]["ae"].frame
    fatal = set(ae.loc[ae.AEOUT == "FATAL", "USUBJID"])
    deaths = per_arm(dm.loc[dm.index.isin(fatal), "ACTARM"].value_counts())
    assert deaths == PUBLISHED["tourmaline-mm4"]["on_study_deaths"]


@pytest.mark.parametrize("study", STUDIES)
def test_randomization_permuted_blocks_within_strata(twins, study):
    """In enrollment order, every complete block of 5 within a stratum is 3 ixazomib : 2 placebo."""
    sd = twins[study]
    dm = sd["dm"].frame.sort_values("SUBJID")
    strata = sd["suppdm"].frame.pivot(index="USUBJID", columns="QNAM", values="QVAL").agg("|".join, axis=1)
    frame = pd.DataFrame({"stratum": dm.USUBJID.map(strata).to_numpy(),
                          "ixa": (dm.ARM == "Ixazomib").to_numpy()})
    frame["block"] = frame.groupby("stratum").cumcount() // 5
    size = frame.groupby(["stratum", "block"]).ixa.agg(["size", "sum"])
    full = size[size["size"] == 5]
    assert len(full) > 50
    assert (full["sum"] == 3).all()
    partial = size[size["size"] < 5]
    assert ((partial["sum"] <= 3) & (partial["size"] - partial["sum"] <= 2)).all()
