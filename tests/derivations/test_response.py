"""Response criteria as data (derivations.response) and admiralonco's predefined
sources (derivations.sources), on hand-made subjects."""

import pandas as pd

from derivations.events import derive_extreme_event
from derivations import sources
from derivations.response import IMWG, RECIST11, response_events

KEYS = ["STUDYID", "USUBJID"]


def ovr(rows, randdt="2020-01-01"):
    f = pd.DataFrame(rows, columns=["USUBJID", "ADT", "AVALC"]).assign(STUDYID="S")
    f["ADT"] = pd.to_datetime(f["ADT"])
    f["RANDDT"] = pd.Timestamp(randdt)
    return f


def best(events, data, adsl, order=("event_nr", "ADT")):
    out = derive_extreme_event(None, KEYS, events, list(order), "first", {"ovr": data, "adsl": adsl}, "event_nr")
    return out.set_index("USUBJID")["AVALC"].to_dict()


def test_recist_confirmed_pr_needs_no_pr_after_cr():
    data = ovr([("1", "2020-02-01", "PR"), ("1", "2020-02-15", "CR"), ("1", "2020-03-10", "PR"),   # PR after CR
                ("2", "2020-02-01", "PR"), ("2", "2020-02-15", "PR"), ("2", "2020-03-10", "CR"),   # confirmed PR
                ("3", "2020-02-01", "CR"), ("3", "2020-02-10", "NE"), ("3", "2020-02-20", "NE"),
                ("3", "2020-03-10", "CR")])                                                          # two NE
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "2", "3", "4"], "RANDDT": pd.Timestamp("2020-01-01")})
    ev = response_events(RECIST11)
    # 1: PR 02-01 joined up to the PR of 03-10 (>= 28 days): CR 02-15 then PR 03-10, a PR
    #    after a CR -> not confirmed; the CR of 02-15 has no CR 28 days later; SD from day 42
    #    (02-12): the CR of 02-15 -> SD
    # 2: PR 02-01 confirmed by CR 03-10 (PR 02-15 before the CR) -> PR
    # 3: the CRs 37 days apart with two NE between -> not confirmed -> SD (CR at >= day 42)
    assert best(ev["cbor"], data, adsl) == {"1": "SD", "2": "PR", "3": "SD", "4": "MISSING"}
    assert best(ev["bor"], data, adsl) == {"1": "CR", "2": "CR", "3": "CR", "4": "MISSING"}
    crsp = best(ev["crsp"] + [ev["no_data_n"]], data, adsl, ("-AVALC", "ADT", "event_nr"))
    assert crsp == {"1": "N", "2": "Y", "3": "N", "4": "N"}


def test_imwg_levels_and_consecutive_confirmation():
    data = ovr([("1", "2020-02-01", "VGPR"), ("1", "2020-03-01", "CR"), ("1", "2020-04-01", "VGPR"),
                ("2", "2020-02-01", "MR"), ("2", "2020-03-01", "MR"),
                ("3", "2020-02-01", "PR"), ("3", "2020-03-01", "NE"), ("3", "2020-04-01", "PR")])
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "2", "3"], "RANDDT": pd.Timestamp("2020-01-01")})
    ev = response_events(IMWG)
    assert IMWG.levels[:6] == ("sCR", "CR", "VGPR", "PR", "MR", "SD")
    # 1: VGPR confirmed by the next (CR; no VGPR after it before the confirmation) -> VGPR;
    #    the CR is followed by a worse VGPR -> not a confirmed CR
    # 2: MR (not a response level) -> BOR MR; 3: the NE between the PRs breaks the
    #    consecutive confirmation (max_ne 0) -> SD
    assert best(ev["cbor"], data, adsl) == {"1": "VGPR", "2": "MR", "3": "SD"}


def test_admiralonco_source_texts():
    assert sources.death_event.dataset_name == "adrs"
    assert sources.death_event.set_values_to["EVNTDESC"] == "Death"
    assert sources.pd_event.set_values_to["EVNTDESC"] == "Disease Progression"
    assert sources.lastalive_censor.set_values_to == {"EVNTDESC": "Alive", "CNSDTDSC": "Alive During Study",
                                                      "SRCDOM": "ADSL", "SRCVAR": "LSTALVDT"}
    assert sources.lasta_censor.set_values_to["CNSDTDSC"] == "Last Tumor Assessment"
    assert sources.rand_censor.set_values_to["CNSDTDSC"] == "Randomization"
    assert sources.trts_censor.set_values_to["EVNTDESC"] == "Treatment Start"
    assert "ANL01FL == 'Y'" in sources.lasta_censor.filter and "PARAMCD == 'LSTA'" in sources.lasta_censor.filter
