"""pandera models of the ADaM datasets adamant derives (ADSL, ADTTE, ADAE) and
:func:`validate_adam`, which the derive step runs before writing anything.

Rules beyond the per-variable ones of :mod:`checks.schemas.base` (prefix ``ADAM``):

- every ``*DT`` / ``*DTM`` is a ``datetime64`` date (``ADAM-VAR-TYPE``);
- every ``*FL`` is Y, N or blank (``ADAM-<DS>-<VAR>-CT``, ADaMIG: flags are Y/N/null);
  subject-level population flags (ITTFL, SAFFL, ...) must be Y or N (``ADAM-REQ-NULL``);
- ADSL: one record per subject (``ADAM-KEY-UNIQUE``); ACTARM absent is a warning
  (required from ADaMIG 1.1, absent from the ADaMIG 1.0 CDISC pilot);
- ADTTE: one record per USUBJID and PARAMCD, CNSR a whole number >= 0, AVAL >= 0,
  ADT >= STARTDT (``ADAM-ADTTE-ADT-GE-STARTDT``), PARAM one-to-one with PARAMCD
  (``ADAM-PARAM-PARAMCD``);
- ADAE: one record per USUBJID and AESEQ; AENDT >= ASTDT (warning);
- every subject of a dataset other than ADSL is in ADSL (``ADAM-USUBJID-IN-ADSL``).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pandera.pandas as pa

from adam.findings import Finding, FindingTable
from adam.metadata import Dataset
from checks.schemas.base import (DATE, EXP, PERM, REQ, Model, Var, as_frame, char,
                                 dataframe_rule, date, has_columns, num, one_to_one,
                                 record_findings, schema_findings)
from checks.schemas.sdtm import AGEU, NY, SEX

FLAG_VALUES = ("N", "Y")


def population_flag():
    """A subject-level population flag: Y or N, never blank (ADaMIG 3.1.4)."""
    return char(PERM, ct=FLAG_VALUES, nullable=False)


class AdamKeys(Model):
    """Every ADaM dataset: STUDYID, USUBJID; numeric dates; Y/N flags."""

    STUDYID: Var = char(REQ)
    USUBJID: Var = char(REQ)
    dates: Var = pa.Field(alias=r"^\w*DTM?$", regex=True, nullable=True, required=False,
                          sas_type=DATE, metadata={"core": PERM, "type": DATE})
    flags: Var = pa.Field(alias=r"^\w*FL$", regex=True, nullable=True, required=False,
                          controlled_terms=list(FLAG_VALUES), metadata={"core": PERM})


class ADSL(AdamKeys):
    SUBJID: Var = char(REQ)
    SITEID: Var = char(REQ)
    AGE: Var = num(REQ, ge=0)
    AGEU: Var = char(REQ, ct=AGEU)
    SEX: Var = char(REQ, ct=SEX)
    RACE: Var = char(REQ)
    ARM: Var = char(REQ)
    ACTARM: Var = char(EXP)  # Req since ADaMIG 1.1; ADaMIG 1.0 (the CDISC pilot) lacks it
    TRT01P: Var = char(REQ)
    TRT01PN: Var = num(PERM)
    TRT01A: Var = char(PERM)
    TRT01AN: Var = num(PERM)
    ITTFL: Var = population_flag()
    SAFFL: Var = population_flag()
    FASFL: Var = population_flag()
    PPROTFL: Var = population_flag()
    RANDFL: Var = population_flag()
    ENRLFL: Var = population_flag()
    COMPLFL: Var = population_flag()

    class Config:
        name = "ADSL"
        unique = ["STUDYID", "USUBJID"]


class ADTTE(AdamKeys):
    PARAMCD: Var = char(REQ, code=8)
    PARAM: Var = char(REQ)
    AVAL: Var = num(REQ, ge=0)
    CNSR: Var = num(REQ, integer=0)
    STARTDT: Var = date(REQ)
    ADT: Var = date(REQ)
    EVNTDESC: Var = char(PERM)
    CNSDTDSC: Var = char(PERM)
    SRCDOM: Var = char(PERM)
    SRCVAR: Var = char(PERM)
    SRCSEQ: Var = num(PERM, integer=1)

    class Config:
        name = "ADTTE"
        unique = ["STUDYID", "USUBJID", "PARAMCD"]

    @dataframe_rule("ADAM-ADTTE-ADT-GE-STARTDT", "error",
                    "{PARAMCD}: ADT {ADT} is before STARTDT {STARTDT}", "ADT")
    def adt_after_startdt(cls, frame: pd.DataFrame):
        if not has_columns(frame, "ADT", "STARTDT"):
            return True
        return ~(frame["ADT"] < frame["STARTDT"])

    @dataframe_rule("ADAM-PARAM-PARAMCD", "error",
                    "PARAMCD {PARAMCD!r} with PARAM {PARAM!r}: PARAMCD and PARAM are not "
                    "one-to-one", "PARAMCD")
    def param_one_to_one(cls, frame: pd.DataFrame):
        return one_to_one(frame, "PARAMCD", "PARAM")


class ADAE(AdamKeys):
    AESEQ: Var = num(REQ, integer=1)
    AETERM: Var = char(REQ)
    AEDECOD: Var = char(REQ)
    AEBODSYS: Var = char(PERM)
    AESER: Var = char(PERM, ct=NY)
    TRTA: Var = char(PERM)
    ASTDT: Var = date(PERM)
    AENDT: Var = date(PERM)

    class Config:
        name = "ADAE"
        unique = ["STUDYID", "USUBJID", "AESEQ"]

    @dataframe_rule("ADAM-ADAE-AENDT-GE-ASTDT", "warning",
                    "AENDT {AENDT} is before ASTDT {ASTDT}", "AENDT")
    def aendt_after_astdt(cls, frame: pd.DataFrame):
        if not has_columns(frame, "ASTDT", "AENDT"):
            return True
        return ~(frame["AENDT"] < frame["ASTDT"])


MODELS: dict[str, type[Model]] = {m.__config__.name.lower(): m for m in (ADSL, ADTTE, ADAE)}


def model_for(name: str) -> type[Model]:
    """The model of ADaM dataset ``name``; other datasets get the common keys only."""
    return MODELS.get(name.lower()) or _generic_model(name.upper())


@lru_cache(maxsize=None)
def _generic_model(code: str) -> type[Model]:
    class Generic(AdamKeys):
        class Config:
            name = code

    Generic.__name__ = code
    return Generic


def validate_adam(datasets: dict[str, Dataset]) -> list[Finding]:
    """Findings for ADaM ``datasets`` keyed by name (``'adsl'``, ``'adtte'``, ...):
    each against its model (:func:`dataset_findings`), then every subject present in
    ADSL (:func:`subject_findings`). Never raises for bad data; an empty list means the
    datasets may be written."""
    findings = [dataset_findings(name, ds) for name, ds in datasets.items()]
    return FindingTable.concat(findings + [subject_findings(datasets)])


def dataset_findings(name: str, dataset: Dataset | pd.DataFrame) -> list[Finding]:
    """Findings of one ADaM dataset against its model (no cross-dataset check)."""
    return schema_findings(model_for(name.upper()), as_frame(dataset), name.upper(), standard="ADAM")


def subject_findings(datasets: dict[str, Dataset]) -> list[Finding]:
    """``ADAM-USUBJID-IN-ADSL``: every record's subject is in ADSL (see :func:`usubjid_in_adsl`)."""
    frames = {name.upper(): as_frame(_subjects(ds)) for name, ds in datasets.items()}
    try:
        return usubjid_in_adsl(frames)
    except (TypeError, ValueError) as exc:  # e.g. unhashable cells: a finding, not a traceback
        return [Finding("ADSL", "ADAM-CHECK-FAILED", "error",
                        f"subjects could not be compared with ADSL: {exc}")]


def _subjects(dataset) -> pd.DataFrame:
    frame = getattr(dataset, "frame", dataset)
    return frame[["USUBJID"]] if "USUBJID" in frame.columns else frame.iloc[:, :0]


def usubjid_in_adsl(frames: dict[str, pd.DataFrame]) -> list[Finding]:
    """``ADAM-USUBJID-IN-ADSL`` per record whose subject is not in ADSL."""
    others = {n: f for n, f in frames.items() if n != "ADSL" and "USUBJID" in f.columns}
    adsl = frames.get("ADSL")
    if not others:
        return []
    if adsl is None:
        return [Finding(", ".join(others), "ADAM-ADSL-PRESENT", "error",
                        "no ADSL dataset: subjects cannot be checked")]
    if "USUBJID" not in adsl.columns:
        return []  # reported by the ADSL schema
    out = []
    for name, frame in others.items():
        orphan = frame["USUBJID"].notna() & ~frame["USUBJID"].isin(adsl["USUBJID"])
        out.append(record_findings(frame, np.flatnonzero(orphan.to_numpy()), name,
                               "ADAM-USUBJID-IN-ADSL", "USUBJID",
                               "USUBJID {USUBJID!r} is not in ADSL"))
    return FindingTable.concat(out)
