"""pandera models of the SDTM domains adamant reads (SDTMIG 3.3/3.4 cores).

One model per domain, each listing its variables with their core (``REQ`` absent =
error, ``EXP`` absent = warning, ``PERM``), SAS type and, where the codelist is closed,
the allowed values. Every domain inherits the study keys (STUDYID, DOMAIN = the model's
``Config.name``, every ``*DTC`` in ISO 8601); subject domains add USUBJID; ``Config.unique``
holds the natural keys. :data:`MODELS` maps a lower-case dataset name to its model;
:func:`model_for` also serves ``supp--`` datasets and domains without a model.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import pandera.pandas as pa

from checks.schemas.base import (EXP, PERM, REQ, Model, Var, char, dataframe_rule, has_columns,
                                 num, one_to_one)

# closed codelists (NCI CT / SDTMIG assumptions)
NY = ("N", "Y")  # --SER, --OCCUR, serious-criteria flags: Y/N per SDTMIG
Y_ONLY = ("Y",)  # --PRESP, --BLFL, DTHFL, RSACPTFL
NOT_DONE = ("NOT DONE",)  # --STAT
SEX = ("F", "M", "U", "UNDIFFERENTIATED")
AGEU = ("DAYS", "HOURS", "MONTHS", "WEEKS", "YEARS")
ETHNIC = ("HISPANIC OR LATINO", "NOT HISPANIC OR LATINO", "NOT REPORTED", "UNKNOWN")
AESEV = ("MILD", "MODERATE", "SEVERE")
AEOUT = ("FATAL", "NOT RECOVERED/NOT RESOLVED", "RECOVERED/RESOLVED",
         "RECOVERED/RESOLVED WITH SEQUELAE", "RECOVERING/RESOLVING", "UNKNOWN")
AEACN = ("DOSE INCREASED", "DOSE NOT CHANGED", "DOSE RATE REDUCED", "DOSE REDUCED",
         "DRUG INTERRUPTED", "DRUG WITHDRAWN", "NOT APPLICABLE", "UNKNOWN")
DSCAT = ("DISPOSITION EVENT", "OTHER EVENT", "PROTOCOL MILESTONE")


class StudyKeys(Model):
    """Every SDTM domain: STUDYID, DOMAIN, ISO 8601 in every ``*DTC``, study days
    (``*DY``) whole and never 0."""

    STUDYID: Var = char(REQ)
    DOMAIN: Var = char(REQ)
    dtc: Var = pa.Field(alias=r"^\w*DTC$", regex=True, nullable=True, required=False,
                        sas_type="Char", iso8601="sdtm", metadata={"core": PERM, "type": "Char"})
    dy: Var = pa.Field(alias=r"^\w*DY$", regex=True, nullable=True, required=False,
                       study_day=False, metadata={"core": PERM, "type": "Num"})

    # pandera 0.35 names an inherited check after its method once the first subclass
    # is built (the ``name`` is consumed): method and name are therefore the same.
    @pa.check("DOMAIN", name="domain_code")
    def domain_code(cls, domain: pd.Series) -> pd.Series:
        return domain == cls.__config__.name


class SubjectKeys(StudyKeys):
    """A subject-level domain: USUBJID (present in DM, checked across datasets);
    in findings domains --TESTCD and --TEST one-to-one."""

    USUBJID: Var = char(REQ)

    @dataframe_rule("SDTM-TESTCD-TEST", "error",
                    "--TESTCD {--TESTCD!r} with --TEST {--TEST!r}: --TESTCD and --TEST are "
                    "not one-to-one", "--TESTCD")
    def testcd_one_to_one(cls, frame: pd.DataFrame):
        code = cls.__config__.name
        return one_to_one(frame, f"{code}TESTCD", f"{code}TEST")


class VisitKeys(SubjectKeys):
    """Visit timing of findings domains."""

    VISITNUM: Var = num(EXP)
    VISIT: Var = char(PERM)


class DM(SubjectKeys):
    SUBJID: Var = char(REQ)
    RFSTDTC: Var = char(EXP)
    RFENDTC: Var = char(EXP)
    RFXSTDTC: Var = char(EXP)
    RFXENDTC: Var = char(EXP)
    RFICDTC: Var = char(EXP)
    RFPENDTC: Var = char(EXP)
    DTHDTC: Var = char(EXP)
    DTHFL: Var = char(EXP, ct=Y_ONLY)
    SITEID: Var = char(REQ)
    AGE: Var = num(EXP, ge=0)
    AGEU: Var = char(EXP, ct=AGEU)
    SEX: Var = char(REQ, ct=SEX)
    RACE: Var = char(EXP)
    ETHNIC: Var = char(PERM, ct=ETHNIC)
    ARMCD: Var = char(EXP)
    ARM: Var = char(EXP)
    ACTARMCD: Var = char(EXP)
    ACTARM: Var = char(EXP)
    COUNTRY: Var = char(REQ)

    class Config:
        name = "DM"
        unique = ["STUDYID", "USUBJID"]

    @dataframe_rule("SDTM-DM-ARM-ARMCD", "error",
                    "ARMCD {ARMCD!r} with ARM {ARM!r}: ARMCD and ARM are not one-to-one", "ARMCD")
    def arm_one_to_one(cls, frame: pd.DataFrame):
        return one_to_one(frame, "ARMCD", "ARM")

    @dataframe_rule("SDTM-DM-ACTARM-ACTARMCD", "error",
                    "ACTARMCD {ACTARMCD!r} with ACTARM {ACTARM!r}: ACTARMCD and ACTARM are not "
                    "one-to-one", "ACTARMCD")
    def actarm_one_to_one(cls, frame: pd.DataFrame):
        return one_to_one(frame, "ACTARMCD", "ACTARM")

    @dataframe_rule("SDTM-DM-DTHFL-DTHDTC", "warning",
                    "DTHDTC {DTHDTC} is given but DTHFL is not Y", "DTHFL")
    def death_flagged(cls, frame: pd.DataFrame):
        if not has_columns(frame, "DTHFL", "DTHDTC"):
            return True
        return frame["DTHDTC"].isna() | (frame["DTHFL"] == "Y")


class DS(SubjectKeys):
    DSSEQ: Var = num(REQ, integer=1)
    DSTERM: Var = char(REQ)
    DSDECOD: Var = char(REQ)
    DSCAT: Var = char(PERM, ct=DSCAT)
    DSSTDTC: Var = char(EXP)

    class Config:
        name = "DS"
        unique = ["STUDYID", "USUBJID", "DSSEQ"]


class EX(SubjectKeys):
    EXSEQ: Var = num(REQ, integer=1)
    EXTRT: Var = char(REQ)
    EXDOSE: Var = num(EXP, ge=0)
    EXDOSU: Var = char(EXP)
    EXDOSFRM: Var = char(EXP)
    EXSTDTC: Var = char(EXP)
    EXENDTC: Var = char(PERM)

    class Config:
        name = "EX"
        unique = ["STUDYID", "USUBJID", "EXSEQ"]


class AE(SubjectKeys):
    AESEQ: Var = num(REQ, integer=1)
    AETERM: Var = char(REQ)
    AEDECOD: Var = char(REQ)
    AEBODSYS: Var = char(EXP)
    AESEV: Var = char(PERM, ct=AESEV)
    AESER: Var = char(EXP, ct=NY)
    AEACN: Var = char(EXP, ct=AEACN)
    AEREL: Var = char(EXP)
    AEOUT: Var = char(PERM, ct=AEOUT)
    AESCAN: Var = char(PERM, ct=NY)
    AESCONG: Var = char(PERM, ct=NY)
    AESDISAB: Var = char(PERM, ct=NY)
    AESDTH: Var = char(PERM, ct=NY)
    AESHOSP: Var = char(PERM, ct=NY)
    AESLIFE: Var = char(PERM, ct=NY)
    AESMIE: Var = char(PERM, ct=NY)
    AESTDTC: Var = char(EXP)
    AEENDTC: Var = char(EXP)

    class Config:
        name = "AE"
        unique = ["STUDYID", "USUBJID", "AESEQ"]


class CM(SubjectKeys):
    CMSEQ: Var = num(REQ, integer=1)
    CMTRT: Var = char(REQ)
    CMDECOD: Var = char(PERM)
    CMPRESP: Var = char(PERM, ct=Y_ONLY)
    CMOCCUR: Var = char(PERM, ct=NY)
    CMSTAT: Var = char(PERM, ct=NOT_DONE)
    CMDOSE: Var = num(PERM, ge=0)
    CMSTDTC: Var = char(PERM)
    CMENDTC: Var = char(PERM)

    class Config:
        name = "CM"
        unique = ["STUDYID", "USUBJID", "CMSEQ"]


class MH(SubjectKeys):
    MHSEQ: Var = num(REQ, integer=1)
    MHTERM: Var = char(REQ)
    MHDECOD: Var = char(PERM)
    MHPRESP: Var = char(PERM, ct=Y_ONLY)
    MHOCCUR: Var = char(PERM, ct=NY)
    MHSTAT: Var = char(PERM, ct=NOT_DONE)
    MHSTDTC: Var = char(PERM)
    MHENDTC: Var = char(PERM)

    class Config:
        name = "MH"
        unique = ["STUDYID", "USUBJID", "MHSEQ"]


class PR(SubjectKeys):
    PRSEQ: Var = num(REQ, integer=1)
    PRTRT: Var = char(REQ)
    PRDECOD: Var = char(PERM)
    PRPRESP: Var = char(PERM, ct=Y_ONLY)
    PROCCUR: Var = char(PERM, ct=NY)
    PRSTAT: Var = char(PERM, ct=NOT_DONE)
    PRSTDTC: Var = char(EXP)
    PRENDTC: Var = char(PERM)

    class Config:
        name = "PR"
        unique = ["STUDYID", "USUBJID", "PRSEQ"]


class SV(SubjectKeys):
    VISITNUM: Var = num(REQ)
    VISIT: Var = char(PERM)
    SVSTDTC: Var = char(EXP)
    SVENDTC: Var = char(EXP)

    class Config:
        name = "SV"
        unique = ["STUDYID", "USUBJID", "VISITNUM"]


class SE(SubjectKeys):
    SESEQ: Var = num(REQ, integer=1)
    ETCD: Var = char(REQ)
    ELEMENT: Var = char(PERM)
    SESTDTC: Var = char(REQ)
    SEENDTC: Var = char(EXP)

    class Config:
        name = "SE"
        unique = ["STUDYID", "USUBJID", "SESEQ"]


class TS(StudyKeys):
    """Trial summary: one study, no subjects."""

    TSSEQ: Var = num(REQ, integer=1)
    TSPARMCD: Var = char(REQ, code=8)
    TSPARM: Var = char(REQ)
    TSVAL: Var = char(EXP)
    TSVALCD: Var = char(EXP)
    TSVCDREF: Var = char(EXP)
    TSVCDVER: Var = char(EXP)

    class Config:
        name = "TS"
        unique = ["STUDYID", "TSPARMCD", "TSSEQ"]


# ---------------------------------------------------------------- findings domains
class SC(SubjectKeys):
    SCSEQ: Var = num(REQ, integer=1)
    SCTESTCD: Var = char(REQ, code=8)
    SCTEST: Var = char(REQ)
    SCORRES: Var = char(EXP)
    SCSTRESC: Var = char(EXP)
    SCSTRESN: Var = num(PERM)
    SCSTAT: Var = char(PERM, ct=NOT_DONE)

    class Config:
        name = "SC"
        unique = ["STUDYID", "USUBJID", "SCSEQ"]


class LB(VisitKeys):
    LBSEQ: Var = num(REQ, integer=1)
    LBTESTCD: Var = char(REQ, code=8)
    LBTEST: Var = char(REQ)
    LBCAT: Var = char(EXP)
    LBORRES: Var = char(EXP)
    LBORRESU: Var = char(EXP)
    LBSTRESC: Var = char(EXP)
    LBSTRESN: Var = num(EXP)
    LBSTRESU: Var = char(EXP)
    LBSTAT: Var = char(PERM, ct=NOT_DONE)
    LBBLFL: Var = char(PERM, ct=Y_ONLY)
    LBDTC: Var = char(EXP)

    class Config:
        name = "LB"
        unique = ["STUDYID", "USUBJID", "LBSEQ"]


class MB(VisitKeys):
    MBSEQ: Var = num(REQ, integer=1)
    MBTESTCD: Var = char(REQ, code=8)
    MBTEST: Var = char(REQ)
    MBORRES: Var = char(EXP)
    MBSTRESC: Var = char(EXP)
    MBSTRESN: Var = num(PERM)
    MBSTAT: Var = char(PERM, ct=NOT_DONE)
    MBDTC: Var = char(EXP)

    class Config:
        name = "MB"
        unique = ["STUDYID", "USUBJID", "MBSEQ"]


class RS(VisitKeys):
    """Disease response (oncology): overall response and progression assessments."""

    RSSEQ: Var = num(REQ, integer=1)
    RSTESTCD: Var = char(REQ, code=8)
    RSTEST: Var = char(REQ)
    RSCAT: Var = char(EXP)
    RSORRES: Var = char(EXP)
    RSSTRESC: Var = char(EXP)
    RSSTAT: Var = char(PERM, ct=NOT_DONE)
    RSEVAL: Var = char(EXP)
    RSACPTFL: Var = char(PERM, ct=Y_ONLY)
    RSDTC: Var = char(EXP)

    class Config:
        name = "RS"
        unique = ["STUDYID", "USUBJID", "RSSEQ"]


class TU(VisitKeys):
    TUSEQ: Var = num(REQ, integer=1)
    TULNKID: Var = char(EXP)
    TUTESTCD: Var = char(REQ, code=8)
    TUTEST: Var = char(REQ)
    TUORRES: Var = char(EXP)
    TUSTRESC: Var = char(EXP)
    TULOC: Var = char(EXP)
    TUEVAL: Var = char(EXP)
    TUDTC: Var = char(EXP)

    class Config:
        name = "TU"
        unique = ["STUDYID", "USUBJID", "TUSEQ"]


class TR(VisitKeys):
    TRSEQ: Var = num(REQ, integer=1)
    TRLNKID: Var = char(EXP)
    TRTESTCD: Var = char(REQ, code=8)
    TRTEST: Var = char(REQ)
    TRORRES: Var = char(EXP)
    TRORRESU: Var = char(EXP)
    TRSTRESC: Var = char(EXP)
    TRSTRESN: Var = num(EXP)
    TRSTRESU: Var = char(EXP)
    TRSTAT: Var = char(PERM, ct=NOT_DONE)
    TREVAL: Var = char(EXP)
    TRDTC: Var = char(EXP)

    class Config:
        name = "TR"
        unique = ["STUDYID", "USUBJID", "TRSEQ"]


# ---------------------------------------------------------------- supplemental qualifiers
class SUPPQUAL(Model):
    """``supp--``: one qualifier value per parent record (parent checked across datasets)."""

    STUDYID: Var = char(REQ)
    RDOMAIN: Var = char(REQ)
    USUBJID: Var = char(REQ)
    IDVAR: Var = char(EXP)
    IDVARVAL: Var = char(EXP)
    QNAM: Var = char(REQ, code=8)
    QLABEL: Var = char(REQ)
    QVAL: Var = char(REQ)
    QORIG: Var = char(REQ)
    QEVAL: Var = char(EXP)

    class Config:
        name = "SUPPQUAL"
        unique = ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"]


class RELREC(Model):
    """Related records: each points to a record (checked across datasets)."""

    STUDYID: Var = char(REQ)
    RDOMAIN: Var = char(REQ)
    USUBJID: Var = char(EXP)
    IDVAR: Var = char(REQ)
    IDVARVAL: Var = char(EXP)
    RELTYPE: Var = char(EXP, ct=("MANY", "ONE"))
    RELID: Var = char(REQ)

    class Config:
        name = "RELREC"
        unique = ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "RELID"]


MODELS: dict[str, type[Model]] = {
    m.__config__.name.lower(): m
    for m in (DM, DS, EX, AE, CM, MH, PR, SV, SE, TS, SC, LB, MB, RS, TU, TR, RELREC)}


def model_for(name: str, frame: pd.DataFrame | None = None) -> type[Model]:
    """The model of dataset ``name`` (``'ae'``, ``'suppae'``): its own, SUPPQUAL for
    ``supp--``, else a generic model with the study (and subject) keys."""
    name = name.lower()
    if name in MODELS:
        return MODELS[name]
    if name.startswith("supp"):
        return SUPPQUAL
    subject = frame is None or "USUBJID" in frame.columns
    return _generic_model(name.upper(), subject)


@lru_cache(maxsize=None)
def _generic_model(code: str, subject: bool) -> type[Model]:
    base = SubjectKeys if subject else StudyKeys

    class Generic(base):
        class Config:
            name = code

    Generic.__name__ = code
    return Generic
