"""The pharmaverse-onco program against an independent reference: the rules of the
admiral ADSL template and the admiralonco ADRS/ADTTE templates written out subject by
subject in plain Python below (no adamant building block), compared cell for cell on
the shipped SDTM and on a different RS of the same shape (a subset of the subjects)."""

import calendar
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from adam.examples import example_folder
from adam.io import read_sdtm
from derivations.studies import pharmaverse_onco as program

WORST = {"NE": 1, "CR": 2, "PR": 3, "SD": 4, "NON-CR/NON-PD": 5, "PD": 6}
VALID = {"CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING"}


@pytest.fixture(scope="module")
def sdtm():
    return {k: v.frame for k, v in read_sdtm(example_folder("pharmaverse-onco/sdtm")).items()}


def _date(text, last=False):
    """A --DTC date; partial dates to the first day/month (``last``: the last day)."""
    if not isinstance(text, str) or len(text) < 4:
        return None
    y = int(text[:4])
    if len(text) >= 10 and text[8:10].isdigit():
        return date(y, int(text[5:7]), int(text[8:10]))
    if len(text) >= 7 and text[5:7].isdigit():
        m = int(text[5:7])
        return date(y, m, calendar.monthrange(y, m)[1] if last else 1)
    return date(y, 12, 31) if last else date(y, 1, 1)


def reference(sdtm):
    dm, ds, ex, ae, lb, rs, tu = (sdtm[k] for k in ("dm", "ds", "ex", "ae", "lb", "rs", "tu"))
    subjects = {}
    for r in dm.itertuples():
        subjects[r.USUBJID] = s = {"TRT01P": r.ARM, "TRT01A": r.ACTARM}
        dosed = ex[(ex.USUBJID == r.USUBJID) & ((ex.EXDOSE > 0) | ((ex.EXDOSE == 0)
                                                                   & ex.EXTRT.str.contains("PLACEBO")))]
        starts = [_date(x) for x in dosed.EXSTDTC if isinstance(x, str) and len(x) >= 10]
        ends = [_date(x) for x in dosed.EXENDTC if isinstance(x, str) and len(x) >= 10]
        s["TRTSDT"], s["TRTEDT"] = min(starts, default=None), max(ends, default=None)
        s["SAFFL"] = "Y" if len(dosed) else "N"
        mine = ds[ds.USUBJID == r.USUBJID]
        rand = mine[mine.DSDECOD == "RANDOMIZED"]
        s["RANDDT"] = _date(rand.DSSTDTC.iloc[0]) if len(rand) else None
        disp = mine[mine.DSCAT == "DISPOSITION EVENT"]
        eos = disp[disp.DSDECOD != "SCREEN FAILURE"]
        s["EOSDT"] = _date(eos.DSSTDTC.iloc[0]) if len(eos) else None
        d = disp.DSDECOD.iloc[0] if len(disp) else None
        s["EOSSTT"] = ("ONGOING" if d is None else "COMPLETED" if d == "COMPLETED"
                       else None if d == "SCREEN FAILURE" else "DISCONTINUED")
        s["DTHDT"] = _date(r.DTHDTC)
        alive = [_date(x) for x in list(ae.loc[ae.USUBJID == r.USUBJID, "AESTDTC"])
                 + list(ae.loc[ae.USUBJID == r.USUBJID, "AEENDTC"]) + list(lb.loc[lb.USUBJID == r.USUBJID, "LBDTC"])]
        alive = [a for a in alive + [s["TRTEDT"]] if a is not None]
        s["LSTALVDT"] = max(alive, default=None)
    adrs = {}
    ovr_flags = {}
    inv = rs[(rs.RSEVAL == "INVESTIGATOR") & (rs.RSTESTCD == "OVRLRESP")]
    for usubjid, s in subjects.items():
        recs = [(_date(x.RSDTC, last=True), x.RSSEQ, x.RSSTRESC) for x in inv[inv.USUBJID == usubjid].itertuples()]
        rand = s["RANDDT"]
        valid = [r for r in recs if r[2] in VALID and r[0] is not None and rand is not None and r[0] >= rand]
        anl01 = {}
        for r in valid:
            key = r[0]
            if key not in anl01 or (WORST.get(r[2], 0), r[1]) >= (WORST.get(anl01[key][2], 0), anl01[key][1]):
                anl01[key] = r
        by_time = sorted(recs, key=lambda r: (r[0] is None, r[0] or date.max, r[1]))
        first_pd = next((i for i, r in enumerate(by_time) if r[2] == "PD"), None)
        anl02 = {r[1] for i, r in enumerate(by_time) if first_pd is None or i <= first_pd}
        for r in recs:
            ovr_flags[(usubjid, r[1])] = ("Y" if anl01.get(r[0]) == r else None, "Y" if r[1] in anl02 else None)
        ovr = sorted((r for r in anl01.values() if r[1] in anl02), key=lambda r: r[0])
        out = adrs[usubjid] = {}
        anl = sorted(anl01.values(), key=lambda r: (r[0], r[1]))
        pds = [r for r in anl if r[2] == "PD"]
        out["PD"] = ("Y", pds[0][0]) if pds else ("N", None)
        out["LSTA"] = (anl[-1][2], anl[-1][0]) if anl else (None, None)
        out["DEATH"] = ("Y", s["DTHDT"]) if s["DTHDT"] else ("N", None)
        late = [r for r in ovr if rand is not None and r[0] >= rand + timedelta(days=42)]
        resp = [r for r in ovr if r[2] in ("CR", "PR")]
        out["RSP"] = ("Y", resp[0][0]) if resp else ("N", None)
        cb = sorted([r[0] for r in resp] + [r[0] for r in late if r[2] in ("CR", "PR", "SD", "NON-CR/NON-PD")])
        out["CB"] = ("Y", cb[0]) if cb else ("N", None)

        def confirmed(i, level):
            good = ("CR",) if level == "CR" else ("CR", "PR")
            for j in range(i + 1, len(ovr)):
                if ovr[j][2] in good and ovr[j][0] >= ovr[i][0] + timedelta(days=28):
                    joined = [r[2] for r in ovr[i + 1:j + 1]]
                    dates = ovr[i + 1:j + 1]
                    ok = all(v in good + ("NE",) for v in joined) and joined.count("NE") <= 1
                    if level == "PR" and ok and "CR" in joined and "PR" in joined:
                        ok = min(r[0] for r in dates if r[2] == "CR") > max(r[0] for r in dates if r[2] == "PR")
                    return ok
            return False

        conf = {lv: [ovr[i][0] for i in range(len(ovr)) if ovr[i][2] == lv and confirmed(i, lv)] for lv in ("CR", "PR")}
        crsp = sorted(conf["CR"] + conf["PR"])
        out["CRSP"] = ("Y", crsp[0]) if crsp else ("N", None)
        ccb = sorted(crsp + [r[0] for r in late if r[2] in ("CR", "PR", "SD", "NON-CR/NON-PD")])
        out["CCB"] = ("Y", ccb[0]) if ccb else ("N", None)
        tail = [("SD", [r[0] for r in late if r[2] in ("CR", "PR", "SD")]),
                ("NON-CR/NON-PD", [r[0] for r in late if r[2] == "NON-CR/NON-PD"]),
                ("PD", [r[0] for r in ovr if r[2] == "PD"]),
                ("NE", [r[0] for r in ovr if r[2] in ("SD", "NON-CR/NON-PD", "NE")])]
        for name, levels in (("BOR", [("CR", [r[0] for r in ovr if r[2] == "CR"]),
                                      ("PR", [r[0] for r in ovr if r[2] == "PR"])]),
                             ("CBOR", [("CR", conf["CR"]), ("PR", conf["PR"])])):
            out[name] = next(((v, min(d)) for v, d in levels + tail if d), ("MISSING", None))
            out[name[:-3] + "BCP" if name == "CBOR" else "BCP"] = \
                ("Y", out[name][1]) if out[name][0] in ("CR", "PR") else ("N", None)
        has_target = ((tu.USUBJID == usubjid) & (tu.TUEVAL == "INVESTIGATOR") & (tu.TUSTRESC == "TARGET")
                      & (tu.VISIT == program.MDIS_VISIT)).any()
        out["MDIS"] = ("Y" if has_target else "N", None)
    adtte = {}
    for usubjid, s in subjects.items():
        a, rand = adrs[usubjid], s["RANDDT"]
        death = [(s["DTHDT"], "Death", "ADRS", "ADT")] if s["DTHDT"] else []
        pd_ = [(a["PD"][1], "Disease Progression", "ADRS", "ADT")] if a["PD"][0] == "Y" else []
        lasta = [(a["LSTA"][1], "Last Tumor Assessment", "ADRS", "ADT")] if a["LSTA"][1] else []
        randc = [(rand, "Randomization", "ADSL", "RANDDT")] if rand else []
        alive = [(s["LSTALVDT"], "Alive", "ADSL", "LSTALVDT")] if s["LSTALVDT"] else []
        starts = {"OS": rand, "PFS": rand, "RSD": a["RSP"][1] if a["RSP"][0] == "Y" else None}
        for paramcd, events, censors in (("OS", death, alive + randc), ("PFS", pd_ + death, lasta + randc),
                                         ("RSD", pd_ + death, lasta)):
            if paramcd == "RSD" and starts["RSD"] is None:
                continue
            if events:
                adt, desc, dom, var = min(events, key=lambda e: e[0])   # ties: the event listed first
                cnsr = 0
            elif censors:
                adt, desc, dom, var = max(reversed(censors), key=lambda e: e[0])  # ties: listed last
                cnsr = 1
            else:
                continue
            start = starts[paramcd]
            adt = max(adt, start) if start else adt
            aval = (adt - start).days + 1 if start else None
            cnsdtdsc = None if cnsr == 0 else "Alive During Study" if desc == "Alive" else desc
            adtte[(usubjid, paramcd)] = (adt, start, aval, cnsr, desc, cnsdtdsc, dom, var)
    return subjects, adrs, ovr_flags, adtte


def _d(x):
    return None if pd.isna(x) else pd.Timestamp(x).date()


def _v(x):
    return None if x is None or (not isinstance(x, str) and pd.isna(x)) else x


def compare(sdtm):
    datasets, findings = program.derive(sdtm)
    subjects, adrs, ovr_flags, adtte = reference(sdtm)
    adsl = datasets["adsl"].frame.set_index("USUBJID")
    assert sorted(adsl.index) == sorted(subjects)
    for usubjid, s in subjects.items():
        row = adsl.loc[usubjid]
        for var in ("TRTSDT", "TRTEDT", "RANDDT", "EOSDT", "DTHDT", "LSTALVDT"):
            assert _d(row[var]) == s[var], (usubjid, var)
        for var in ("TRT01P", "TRT01A", "SAFFL", "EOSSTT"):
            assert _v(row[var]) == s[var], (usubjid, var)
    frame = datasets["adrs"].frame
    params = frame[frame.PARAMCD != "OVR"]
    assert not params.duplicated(["USUBJID", "PARAMCD"]).any()
    got = {(r.USUBJID, r.PARAMCD): (_v(r.AVALC), _d(r.ADT)) for r in params.itertuples()}
    want = {(u, p): v for u, d in adrs.items() for p, v in d.items()}
    assert got.keys() == want.keys()
    diff = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
    assert not diff, list(diff.items())[:5]
    assert (params.ANL01FL == "Y").all()
    ovr = frame[frame.PARAMCD == "OVR"]
    got = {(r.USUBJID, r.RSSEQ): (_v(r.ANL01FL), _v(r.ANL02FL)) for r in ovr.itertuples()}
    assert got == ovr_flags
    tte = datasets["adtte"].frame
    got = {(r.USUBJID, r.PARAMCD): (_d(r.ADT), _d(r.STARTDT), None if pd.isna(r.AVAL) else r.AVAL, r.CNSR,
                                    r.EVNTDESC, _v(r.CNSDTDSC), r.SRCDOM, r.SRCVAR) for r in tte.itertuples()}
    assert got == adtte
    # SRCSEQ points at the ADRS record the date came from
    seq = frame.set_index(["USUBJID", "ASEQ"])
    for r in tte[tte.SRCDOM == "ADRS"].itertuples():
        assert seq.loc[(r.USUBJID, r.SRCSEQ), "ADT"] == r.ADT
    assert tte[tte.SRCDOM == "ADSL"].SRCSEQ.isna().all()
    assert not [f for f in findings if f.severity == "error"]
    return datasets


def test_pharmaverse_onco_equals_the_template_rules(sdtm):
    datasets = compare(sdtm)
    counts = datasets["adrs"].frame.query("PARAMCD == 'CBOR'").AVALC.value_counts().to_dict()
    assert sum(counts.values()) == 306 and counts["CR"] > 0 and counts["PR"] > 0


def test_another_rs_of_the_same_shape(sdtm):
    """Every third subject of the responders and half of the others: another trial's RS."""
    keep = set(sdtm["dm"].USUBJID.iloc[::2]) | set(sdtm["rs"].USUBJID.drop_duplicates().iloc[::3])
    subset = {k: v[v.USUBJID.isin(keep)].reset_index(drop=True) for k, v in sdtm.items()}
    compare(subset)
