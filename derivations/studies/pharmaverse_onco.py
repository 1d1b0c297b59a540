"""pharmaverse-onco: ADSL, ADRS and ADTTE from the pharmaverse oncology SDTM, as the
{admiral} ADSL template (``ad_adsl.R``) and the {admiralonco} ADRS and ADTTE templates
(``ad_adrs.R``, ``ad_adtte.R``) derive them, written with adamant's building blocks.

Each step names the template step it mirrors. Readings of the templates:

- ADSL keeps every DM subject (screen failures too), as the template does; SAFFL is
  ``Y`` for a subject with a dose (or placebo) record.
- ADRS: the investigator's RECIST 1.1 overall responses (:data:`CRITERIA`); MDIS uses
  the tumour records of the visit :data:`MDIS_VISIT`, ``BASELINE``. Why not the newest
  template's ``SCREENING``: this SDTM is pharmaversesdtm v1.0.0's ``tu_onco`` /
  ``rs_onco``, made by the same script as admiral.test's ``admiral_tu`` / ``admiral_rs``
  (tumours identified at VISITNUM 3, ``BASELINE``; no TU record says ``SCREENING``). The
  admiralonco ``ad_adrs.R`` that read that data (``data("admiral_tu")``, already with
  ``derive_extreme_event`` and ``event_joined``) tests ``VISIT == "BASELINE"``; the
  template changed to ``"SCREENING"`` when it moved to pharmaversesdtm's
  ``tu_onco_recist``, a different, smaller data set whose tumour identification visit
  is ``SCREENING``. On this SDTM, ``SCREENING`` would make MDIS ``N`` for every subject;
  for your own TU use the visit name of its baseline tumour identification.
- ADTTE: OS, PFS and RSD with admiralonco's predefined sources; every ADSL subject with
  a date gets a record (admiral's rule, ``missing_dates="drop"``), so screen failures
  with a date last known alive have an OS record without STARTDT and AVAL.

The variables kept, their labels, types, lengths, formats and order come from the
study's metadata specification (``[metadata] spec = "pharmaverse-onco.csv"`` in the
study's TOML), which ``adam derive`` applies and checks for any study
(:class:`derivations.program.Stages`); this program returns the datasets as derived.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from adam.errors import InputError
from adam.metadata import Dataset
from derivations.common import Col
from derivations.dates import convert_dtc_to_dt, derive_vars_dt, derive_vars_dtm
from derivations.durations import derive_vars_duration, derive_vars_dtm_to_dt
from derivations.events import derive_extreme_event, derive_extreme_records, derive_param_exist_flag, \
    derive_vars_extreme_event, event
from derivations.flags import derive_var_extreme_flag, derive_var_obs_number, derive_var_relative_flag
from derivations.merge import derive_var_merged_exist_flag, derive_vars_merged
from derivations.response import RECIST11, response_events, yn_to_numeric
from derivations.sources import death_event, lasta_censor, lastalive_censor, pd_event, rand_censor
from derivations.tte import derive_param_tte

KEYS = ["STUDYID", "USUBJID"]
CRITERIA = RECIST11
MDIS_VISIT = "BASELINE"
EVENTS = response_events(CRITERIA, keep_adsl_vars=["RANDDT"])
#: the study's metadata specification (named in adam/studies/pharmaverse-onco.toml)
SPEC = Path(__file__).resolve().parents[2] / "adam/studies/pharmaverse-onco.csv"
DOSED = "EXDOSE > 0 or (EXDOSE == 0 and EXTRT.str.contains('PLACEBO'))"
RESPONSE_PARAMS = {"PARCAT1": "Tumor Response", "PARCAT2": "Investigator", "PARCAT3": "RECIST 1.1"}


def derive(sdtm, study=None):
    """``({'adsl', 'adrs', 'adtte'}, findings)``: the datasets as derived (the study's
    metadata specification shapes them in ``adam derive``)."""
    frames = {"adsl": derive_adsl(sdtm)}
    frames["adrs"] = derive_adrs(sdtm, frames["adsl"])
    frames["adtte"] = derive_adtte(frames["adsl"], frames["adrs"])
    return {name: Dataset(name.upper(), frame.reset_index(drop=True)) for name, frame in frames.items()}, []


def _frame(sdtm, name: str) -> pd.DataFrame:
    if name not in sdtm:
        raise InputError(f"SDTM domain {name.upper()} is missing (needed for pharmaverse-onco)")
    data = sdtm[name]
    frame = data.frame if isinstance(data, Dataset) else data
    return frame.astype({c: object for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)})


# ---------------------------------------------------------------- ADSL (ad_adsl.R)

def format_eosstt(dsdecod: pd.Series) -> np.ndarray:
    """The template's ``format_eosstt``: COMPLETED, missing for a screen failure,
    DISCONTINUED otherwise (ONGOING comes from ``missing_values``)."""
    return np.select([dsdecod == "COMPLETED", dsdecod == "SCREEN FAILURE", dsdecod.notna()],
                     ["COMPLETED", None, "DISCONTINUED"], None).astype(object)


def derive_adsl(sdtm) -> pd.DataFrame:
    dm, ds, ex = _frame(sdtm, "dm"), _frame(sdtm, "ds"), _frame(sdtm, "ex")
    ae, lb = _frame(sdtm, "ae"), _frame(sdtm, "lb")
    adsl = dm.drop(columns=["DOMAIN"]).assign(TRT01P=dm["ARM"], TRT01A=dm["ACTARM"])
    # treatment start/end: first/last dose datetime (times imputed, dates not)
    ex_ext = derive_vars_dtm(ex, "EXST", "EXSTDTC")
    ex_ext = derive_vars_dtm(ex_ext, "EXEN", "EXENDTC", time_imputation="last")
    adsl = derive_vars_merged(adsl, ex_ext, KEYS, order=["EXSTDTM", "EXSEQ"], mode="first",
                              new_vars={"TRTSDTM": "EXSTDTM", "TRTSTMF": "EXSTTMF"},
                              filter_add=f"({DOSED}) and EXSTDTM.notna()")
    adsl = derive_vars_merged(adsl, ex_ext, KEYS, order=["EXENDTM", "EXSEQ"], mode="last",
                              new_vars={"TRTEDTM": "EXENDTM", "TRTETMF": "EXENTMF"},
                              filter_add=f"({DOSED}) and EXENDTM.notna()")
    adsl = derive_vars_dtm_to_dt(adsl, ["TRTSDTM", "TRTEDTM"])
    adsl = derive_vars_duration(adsl, "TRTDURD", "TRTSDT", "TRTEDT")
    # disposition
    ds_ext = derive_vars_dt(ds, "DSST", "DSSTDTC")
    adsl = derive_vars_merged(adsl, ds_ext, KEYS, new_vars={"EOSDT": "DSSTDT"},
                              filter_add="DSCAT == 'DISPOSITION EVENT' and DSDECOD != 'SCREEN FAILURE'")
    adsl = derive_vars_merged(adsl, ds_ext.assign(EOSSTT=format_eosstt(ds_ext["DSDECOD"])), KEYS,
                              new_vars=["EOSSTT"], filter_add="DSCAT == 'DISPOSITION EVENT'",
                              missing_values={"EOSSTT": "ONGOING"})
    adsl = derive_vars_merged(adsl, ds_ext, KEYS, new_vars={"RANDDT": "DSSTDT"},
                              filter_add="DSDECOD == 'RANDOMIZED'")
    # death date, partial dates imputed to the first day/month
    adsl = derive_vars_dt(adsl, "DTH", "DTHDTC", highest_imputation="M", date_imputation="first")
    # last known alive: the latest AE start/end, lab date (partial dates to the first
    # day/month) and treatment end
    def dtc(column):
        return lambda f: convert_dtc_to_dt(f[column], highest_imputation="M")
    alive = [
        event(dataset_name="ae", condition="AESTDTC.notna()",
              set_values_to={"LSTALVDT": dtc("AESTDTC"), "seq": Col("AESEQ")}),
        event(dataset_name="ae", condition="AEENDTC.notna()",
              set_values_to={"LSTALVDT": dtc("AEENDTC"), "seq": Col("AESEQ")}),
        event(dataset_name="lb", condition="LBDTC.notna()",
              set_values_to={"LSTALVDT": dtc("LBDTC"), "seq": Col("LBSEQ")}),
        event(dataset_name="adsl", condition="TRTEDT.notna()",
              set_values_to={"LSTALVDT": Col("TRTEDT"), "seq": np.nan}),
    ]
    adsl = derive_vars_extreme_event(adsl, KEYS, alive, ["LSTALVDT", "seq", "event_nr"], "last",
                                     ["LSTALVDT"], {"ae": ae[KEYS + ["AESTDTC", "AEENDTC", "AESEQ"]],
                                                    "lb": lb[KEYS + ["LBDTC", "LBSEQ"]], "adsl": adsl},
                                     tmp_event_nr_var="event_nr")
    adsl = derive_var_merged_exist_flag(adsl, ex, KEYS, "SAFFL", DOSED, false_value="N", missing_value="N")
    return adsl


# ---------------------------------------------------------------- ADRS (ad_adrs.R)

def derive_adrs(sdtm, adsl: pd.DataFrame) -> pd.DataFrame:
    rs, tu = _frame(sdtm, "rs"), _frame(sdtm, "tu")
    adrs = derive_vars_merged(rs, adsl, KEYS, new_vars=["RANDDT"])
    adrs = adrs.loc[((adrs["RSEVAL"] == "INVESTIGATOR") & (adrs["RSTESTCD"] == "OVRLRESP")).to_numpy()]
    adrs = adrs.assign(PARAMCD="OVR", PARAM="Overall Response by Investigator", **RESPONSE_PARAMS)
    adrs = derive_vars_dt(adrs, "A", "RSDTC", highest_imputation="D", date_imputation="last")
    adrs = adrs.assign(AVISIT=adrs["VISIT"], AVALC=adrs["RSSTRESC"], AVAL=CRITERIA.aval_of(adrs["RSSTRESC"]))
    # the worst assessment per date among the valid ones on/after randomization ...
    adrs = adrs.assign(_WORST=CRITERIA.worst_rank(adrs["AVALC"]))
    adrs = derive_var_extreme_flag(adrs, KEYS + ["ADT"], ["_WORST", "RSSEQ"], "ANL01FL", "last",
                                   filter="AVAL.notna() and ADT >= RANDDT").drop(columns="_WORST")
    # ... up to and including the first PD
    adrs = derive_var_relative_flag(adrs, KEYS, ["ADT", "RSSEQ"], "ANL02FL", f"AVALC == '{CRITERIA.progression}'",
                                    "first", "before", inclusive=True)
    ovr = adrs.loc[((adrs["ANL01FL"] == "Y") & (adrs["ANL02FL"] == "Y")).to_numpy()]
    sources = {"ovr": ovr, "adsl": adsl}

    def param(paramcd, label, aval="yn"):
        values = {"PARAMCD": paramcd, "PARAM": label, **RESPONSE_PARAMS}
        values["AVAL"] = (lambda f: yn_to_numeric(f["AVALC"])) if aval == "yn" else \
            (lambda f: CRITERIA.aval_of(f["AVALC"]))
        values["ANL01FL"] = "Y"
        return values

    adrs = derive_extreme_records(adrs, adrs, adsl, KEYS, order=["ADT", "RSSEQ"], mode="first",
                                  filter_add="PARAMCD == 'OVR' and AVALC == 'PD' and ANL01FL == 'Y'",
                                  exist_flag="AVALC", false_value="N",
                                  set_values_to=param("PD", "Disease Progression by Investigator"))
    ev = EVENTS
    adrs = derive_extreme_event(adrs, KEYS, [ev["rsp_y"], ev["no_data_n"]], ["event_nr", "ADT"], "first",
                                sources, "event_nr",
                                param("RSP", "Response by Investigator (confirmation not required)"))
    adrs = derive_extreme_event(adrs, KEYS, [ev["rsp_y"], ev["cb_y"], ev["no_data_n"]],
                                ["-AVALC", "ADT", "event_nr"], "first", sources, "event_nr",
                                param("CB", "Clinical Benefit by Investigator (confirmation for response "
                                            "not required)"))
    adrs = derive_extreme_event(adrs, KEYS, ev["bor"], ["event_nr", "ADT"], "first", sources, "event_nr",
                                param("BOR", "Best Overall Response by Investigator (confirmation not "
                                             "required)", aval="resp"))
    adrs = derive_extreme_records(adrs, adrs, adsl, KEYS, filter_add="PARAMCD == 'BOR' and AVALC in ['CR', 'PR']",
                                  exist_flag="AVALC", false_value="N",
                                  set_values_to=param("BCP", "Best Overall Response of CR/PR by Investigator "
                                                             "(confirmation not required)"))
    adrs = derive_extreme_event(adrs, KEYS, ev["crsp"] + [ev["no_data_n"]], ["-AVALC", "ADT", "event_nr"],
                                "first", sources, "event_nr", param("CRSP", "Confirmed Response by Investigator"))
    adrs = derive_extreme_event(adrs, KEYS, ev["crsp"] + [ev["cb_y"], ev["no_data_n"]],
                                ["-AVALC", "ADT", "event_nr"], "first", sources, "event_nr",
                                param("CCB", "Confirmed Clinical Benefit by Investigator"))
    adrs = derive_extreme_event(adrs, KEYS, ev["cbor"], ["event_nr", "ADT"], "first", sources, "event_nr",
                                param("CBOR", "Best Confirmed Overall Response by Investigator", aval="resp"))
    adrs = derive_extreme_records(adrs, adrs, adsl, KEYS, filter_add="PARAMCD == 'CBOR' and AVALC in ['CR', 'PR']",
                                  exist_flag="AVALC", false_value="N",
                                  set_values_to=param("CBCP", "Best Confirmed Overall Response of CR/PR by "
                                                              "Investigator"))
    adsldth = adsl[KEYS + ["DTHDT", "RANDDT"]]
    adrs = derive_extreme_records(adrs, adsldth, adsldth, KEYS, filter_add="DTHDT.notna()", exist_flag="AVALC",
                                  false_value="N", set_values_to={
                                      "PARAMCD": "DEATH", "PARAM": "Death", "PARCAT1": "Reference Event",
                                      "ANL01FL": "Y", "AVAL": lambda f: yn_to_numeric(f["AVALC"]),
                                      "ADT": Col("DTHDT")}).drop(columns="DTHDT")
    lsta = param("LSTA", "Last Disease Assessment by Investigator")
    del lsta["AVAL"]
    adrs = derive_extreme_records(adrs, adrs, adsl, KEYS, order=["ADT", "RSSEQ"], mode="last",
                                  filter_add="PARAMCD == 'OVR' and ANL01FL == 'Y'", set_values_to=lsta)
    mdis = param("MDIS", "Measurable Disease at Baseline by Investigator")
    del mdis["PARCAT1"]
    adrs = derive_param_exist_flag(adrs, adsl[KEYS + ["RANDDT"]], tu,
                                   f"TUEVAL == 'INVESTIGATOR' and TUSTRESC == 'TARGET' and VISIT == '{MDIS_VISIT}'",
                                   false_value="N", missing_value="N", set_values_to=mdis)
    adrs = derive_var_obs_number(adrs, KEYS, ["PARAMCD", "ADT", "VISITNUM", "RSSEQ"], check_type="error")
    return derive_vars_merged(adrs, adsl.drop(columns=["RANDDT"]), KEYS,
                              new_vars=["TRT01P", "TRT01A", "SAFFL", "ARM", "ACTARM"])


# ---------------------------------------------------------------- ADTTE (ad_adtte.R)

def derive_adtte(adsl: pd.DataFrame, adrs: pd.DataFrame) -> pd.DataFrame:
    adsl = derive_vars_merged(adsl, adrs, KEYS, new_vars={"TEMP_RESPDT": "ADT"},
                              filter_add="PARAMCD == 'RSP' and AVALC == 'Y' and ANL01FL == 'Y'")
    sources = {"adsl": adsl, "adrs": adrs}
    tte = [
        derive_param_tte(adsl, sources, "RANDDT", [death_event], [lastalive_censor, rand_censor],
                         {"PARAMCD": "OS", "PARAM": "Overall Survival"}, missing_dates="drop"),
        derive_param_tte(adsl, sources, "RANDDT", [pd_event, death_event], [lasta_censor, rand_censor],
                         {"PARAMCD": "PFS", "PARAM": "Progression Free Survival"}, missing_dates="drop"),
        derive_param_tte(adsl.loc[adsl["TEMP_RESPDT"].notna().to_numpy()], sources, "TEMP_RESPDT",
                         [pd_event, death_event], [lasta_censor],
                         {"PARAMCD": "RSD", "PARAM": "Duration of Response"}, missing_dates="drop"),
    ]
    adtte = pd.concat(tte, ignore_index=True)
    adtte = derive_vars_duration(adtte.drop(columns="AVAL"), "AVAL", "STARTDT", "ADT")
    adtte = derive_var_obs_number(adtte, KEYS, ["PARAMCD"], check_type="error")
    return derive_vars_merged(adtte, adsl, KEYS, new_vars=["ARMCD", "ARM", "ACTARMCD", "ACTARM", "AGE", "SEX",
                                                          "TRT01P", "TRT01A", "SAFFL"])
