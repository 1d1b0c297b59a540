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
    """admiralonco's IMWG vignette (derive_confirmed_response, then the CBOR events): a
    response is confirmed by the next reading that is not NE, at the lower of the two
    levels; MR is confirmed like a response; an unconfirmed response is SD."""
    data = ovr([("1", "2020-02-01", "VGPR"), ("1", "2020-03-01", "CR"), ("1", "2020-04-01", "VGPR"),
                ("2", "2020-02-01", "MR"), ("2", "2020-03-01", "MR"),
                ("3", "2020-02-01", "PR"), ("3", "2020-03-01", "NE"), ("3", "2020-04-01", "PR"),
                ("4", "2020-02-01", "VGPR"), ("4", "2020-03-01", "PR"),
                ("5", "2020-02-01", "CR"), ("5", "2020-03-01", "PD"),
                ("6", "2020-01-20", "SD")])
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": list("1234567"), "RANDDT": pd.Timestamp("2020-01-01")})
    ev = response_events(IMWG)
    assert IMWG.levels[:6] == ("sCR", "CR", "VGPR", "PR", "MR", "SD")
    # vignette COVR: 1: VGPR (next CR better), VGPR (CR, next VGPR worse), SD -> CBOR VGPR 02-01
    # 2: MR, SD -> MR; 3: NE dropped, PR confirmed by PR -> PR; 4: VGPR then PR (worse) -> PR
    # 5: CR followed by PD -> SD; 6: SD (no minimum time for SD) -> SD; 7: no data -> MISSING
    assert best(ev["cbor"], data, adsl) == {"1": "VGPR", "2": "MR", "3": "PR", "4": "PR", "5": "SD", "6": "SD",
                                            "7": "MISSING"}
    out = derive_extreme_event(None, KEYS, ev["cbor"], ["event_nr", "ADT"], "first", {"ovr": data, "adsl": adsl},
                               "event_nr").set_index("USUBJID")
    assert out.loc["1", "ADT"] == pd.Timestamp("2020-02-01") and out.loc["4", "ADT"] == pd.Timestamp("2020-02-01")
    crsp = best(ev["crsp"] + [ev["no_data_n"]], data, adsl, ("-AVALC", "ADT", "event_nr"))
    assert crsp == {"1": "Y", "2": "N", "3": "Y", "4": "Y", "5": "N", "6": "N", "7": "N"}
    # clinical benefit (vignette cb_y_imwg): sCR..MR or SD at least 42 days after RANDDT
    cb = best([ev["rsp_y"], ev["cb_y"], ev["no_data_n"]], data, adsl, ("-AVALC", "ADT", "event_nr"))
    assert cb == {"1": "Y", "2": "Y", "3": "Y", "4": "Y", "5": "Y", "6": "N", "7": "N"}
    # AVAL as the vignette's aval_resp_imwg; the worst value per date ranks highest
    assert IMWG.aval_of(["NE", "sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "MISSING"]).tolist()[:8] == \
        [8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]
    codes = pd.Categorical(["PD", "sCR", None, "XX"])
    assert IMWG.aval_of(codes)[:2].tolist() == [1.0, 7.0] and IMWG.worst_rank(codes).tolist() == [8.0, 2.0, 0.0, 0.0]


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
