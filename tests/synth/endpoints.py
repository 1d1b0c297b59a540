"""Endpoints computed straight from the synthetic SDTM with pandas + lifelines.

An independent, deliberately plain re-derivation of the rules documented in
:mod:`adam.synth` (used only by the calibration tests): partial dates are imputed to the
first day of their period; every endpoint is censored at the last known alive date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter

MONTH = 30.4375


def to_date(dtc: pd.Series) -> pd.Series:
    """ISO 8601 date text (possibly 'YYYY' or 'YYYY-MM') -> datetime, first day imputed."""
    s = dtc.astype("string")
    s = s.where(s.str.len() != 4, s + "-01-01").where(s.str.len() != 7, s + "-01")
    return pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")


def subjects(sd: dict) -> pd.DataFrame:
    """One row per randomized subject with the dates the endpoints need."""
    dm = sd["dm"].frame.set_index("USUBJID")
    out = pd.DataFrame(index=dm.index)
    out["arm"] = dm["ARM"]
    out["actarm"] = dm["ACTARM"]
    supp = sd["suppdm"].frame.pivot(index="USUBJID", columns="QNAM", values="QVAL")
    out["strata"] = supp.astype(str).agg("|".join, axis=1)
    ds = sd["ds"].frame
    rand = ds[ds.DSDECOD == "RANDOMIZED"].set_index("USUBJID")["DSSTDTC"]
    out["rand"] = to_date(rand)
    out["death"] = to_date(dm["DTHDTC"])
    death_ds = ds[ds.DSDECOD == "DEATH"].set_index("USUBJID")["DSTERM"]
    out["death_pd"] = death_ds.reindex(out.index).eq("DEATH DUE TO PROGRESSIVE DISEASE")
    ss = sd["ss"].frame
    alive = ss[ss.SSORRES == "ALIVE"].set_index("USUBJID")["SSDTC"]
    out["last_alive"] = to_date(alive.reindex(out.index)).fillna(out["death"])
    rs = sd["rs"].frame
    pd_rec = rs[(rs.RSTESTCD == "OVRLRESP") & (rs.RSORRES == "PD")]
    on = pd_rec[pd_rec.RSCAT == "ON-STUDY DISEASE ASSESSMENT"]
    nxt = pd_rec[pd_rec.RSCAT == "PROGRESSION ON NEXT-LINE THERAPY"]
    out["pd"] = to_date(on.groupby("USUBJID")["RSDTC"].min().reindex(out.index))
    out["pd2"] = to_date(nxt.groupby("USUBJID")["RSDTC"].min().reindex(out.index))
    cm = sd["cm"].frame
    line1 = cm[(cm.CMCAT == "SUBSEQUENT ANTI-MYELOMA THERAPY") & (cm.CMGRPID == "LINE 1")].copy()
    line1["start"] = to_date(line1["CMSTDTC"])
    out["nl"] = line1.groupby("USUBJID")["start"].min().reindex(out.index)
    pi = line1.assign(pi=line1.CMCLAS == "PROTEASOME INHIBITOR").groupby("USUBJID")["pi"].any()
    out["nlpi"] = pi.reindex(out.index)
    return out


def _tte(t: pd.DataFrame, event_date: pd.Series, event: pd.Series) -> pd.DataFrame:
    end = event_date.where(event, t["last_alive"])
    return pd.DataFrame({"days": (end - t["rand"]).dt.days + 1, "event": event.astype(int),
                         "arm": t["arm"], "strata": t["strata"]})


def endpoint_frames(t: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Time-to-event frames (days, event, arm, strata) of the published analyses."""
    dead = t["death"].notna()
    os_ = _tte(t, t["death"], dead)
    pfs_date = t[["pd", "death"]].min(axis=1)
    pfs = _tte(t, pfs_date, pfs_date.notna())
    pd_death = t["death"].where(dead & t["death_pd"])
    tt_date = t["nl"].fillna(pd_death)
    ttnt = _tte(t, tt_date, tt_date.notna())
    p2_date = t[["pd2", "death"]].min(axis=1)
    pfs2 = _tte(t, p2_date, p2_date.notna())
    has_nl = t["nl"].notna()
    return {"OS": os_, "PFS": pfs, "TTNT": ttnt, "PFS2": pfs2,
            "OS-NEXTLINE-PI": os_[has_nl & (t["nlpi"] == True)],  # noqa: E712
            "OS-NEXTLINE-NOPI": os_[has_nl & (t["nlpi"] == False)]}  # noqa: E712


def km_median_months(frame: pd.DataFrame, arm: str) -> float:
    """KM median (months; inf when not reached)."""
    d = frame[frame["arm"] == arm]
    km = KaplanMeierFitter().fit(d["days"] / MONTH, d["event"])
    return float(km.median_survival_time_)


def stratified_hr(frame: pd.DataFrame) -> tuple[float, float, float]:
    """Cox HR (Ixazomib vs Placebo) with 95% CI, stratified by the randomization strata."""
    d = pd.DataFrame({"t": frame["days"], "e": frame["event"],
                      "x": (frame["arm"] == "Ixazomib").astype(int), "s": frame["strata"]})
    cph = CoxPHFitter().fit(d, "t", "e", strata=["s"])
    lo, hi = np.exp(cph.confidence_intervals_.values[0])
    return float(np.exp(cph.params_["x"])), float(lo), float(hi)


def median_followup_months(os_frame: pd.DataFrame, arm: str) -> float:
    """Reverse Kaplan-Meier median follow-up (months)."""
    d = os_frame[os_frame["arm"] == arm]
    km = KaplanMeierFitter().fit(d["days"] / MONTH, 1 - d["event"])
    return float(km.median_survival_time_)
