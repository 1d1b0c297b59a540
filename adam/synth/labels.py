"""SDTM variable labels (SDTMIG 3.2 wording) and the dataset constructor that applies them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from adam.metadata import CHAR, NUM, Dataset, Variable
from adam.text import object_columns

DATASET_LABELS = {
    "DM": "Demographics", "DS": "Disposition", "EX": "Exposure",
    "RS": "Disease Response and Clin Classification", "CM": "Concomitant/Prior Medications",
    "PR": "Procedures", "AE": "Adverse Events", "TS": "Trial Summary", "MH": "Medical History",
    "LB": "Laboratory Test Results", "SS": "Subject Status",
    "SUPPDM": "Supplemental Qualifiers for DM",
}

#: labels of variables whose name does not start with the domain prefix
FIXED = {
    "STUDYID": "Study Identifier", "DOMAIN": "Domain Abbreviation",
    "USUBJID": "Unique Subject Identifier", "SUBJID": "Subject Identifier for the Study",
    "RFSTDTC": "Subject Reference Start Date/Time", "RFENDTC": "Subject Reference End Date/Time",
    "RFXSTDTC": "Date/Time of First Study Treatment", "RFXENDTC": "Date/Time of Last Study Treatment",
    "RFICDTC": "Date/Time of Informed Consent", "RFPENDTC": "Date/Time of End of Participation",
    "DTHDTC": "Date/Time of Death", "DTHFL": "Subject Death Flag", "SITEID": "Study Site Identifier",
    "AGE": "Age", "AGEU": "Age Units", "SEX": "Sex", "RACE": "Race", "ETHNIC": "Ethnicity",
    "ARMCD": "Planned Arm Code", "ARM": "Description of Planned Arm",
    "ACTARMCD": "Actual Arm Code", "ACTARM": "Description of Actual Arm", "COUNTRY": "Country",
    "VISITNUM": "Visit Number", "VISIT": "Visit Name", "EPOCH": "Epoch",
    "RDOMAIN": "Related Domain Abbreviation", "IDVAR": "Identifying Variable",
    "IDVARVAL": "Identifying Variable Value", "QNAM": "Qualifier Variable Name",
    "QLABEL": "Qualifier Variable Label", "QVAL": "Data Value", "QORIG": "Origin",
    "QEVAL": "Evaluator",
}

#: labels by the part of the name after the two-letter domain prefix
SUFFIX = {
    "SEQ": "Sequence Number", "GRPID": "Group ID", "SPID": "Sponsor-Defined Identifier",
    "TERM": "Reported Term", "DECOD": "Dictionary-Derived Term", "CAT": "Category",
    "SCAT": "Subcategory", "DTC": "Date/Time of Collection", "STDTC": "Start Date/Time",
    "ENDTC": "End Date/Time", "DY": "Study Day of Collection", "STDY": "Study Day of Start",
    "ENDY": "Study Day of End", "TESTCD": "Short Name of Test", "TEST": "Name of Test",
    "ORRES": "Result or Finding in Original Units", "STRESC": "Character Result/Finding in Std Format",
    "EVAL": "Evaluator", "SPEC": "Specimen Type", "METHOD": "Method of Test or Examination",
    "BLFL": "Baseline Flag", "TRT": "Reported Name of Treatment", "CLAS": "Class",
    "INDC": "Indication", "ROUTE": "Route of Administration", "DOSE": "Dose",
    "DOSU": "Dose Units", "DOSFRM": "Dose Form", "DOSRGM": "Intended Dose Regimen",
    "BODSYS": "Body System or Organ Class", "SER": "Serious Event", "TOXGR": "Standard Toxicity Grade",
    "ACN": "Action Taken with Study Treatment", "REL": "Causality", "OUT": "Outcome of Adverse Event",
    "SDTH": "Results in Death", "PARMCD": "Trial Summary Parameter Short Name",
    "PARM": "Trial Summary Parameter", "VAL": "Parameter Value", "VALNF": "Parameter Null Flavor",
    "ORRESU": "Original Units", "STRESN": "Numeric Result/Finding in Standard Units",
    "STRESU": "Standard Units", "VALCD": "Parameter Value Code",
    "VCDREF": "Name of the Reference Terminology", "VCDVER": "Version of the Reference Terminology",
}

#: domain-specific wording where SDTMIG names the concept
SPECIFIC = {
    "DSTERM": "Reported Term for the Disposition Event", "DSDECOD": "Standardized Disposition Term",
    "DSCAT": "Category for Disposition Event", "DSSCAT": "Subcategory for Disposition Event",
    "DSSTDTC": "Start Date/Time of Disposition Event", "DSSTDY": "Study Day of Start of Disposition Event",
    "EXTRT": "Name of Treatment", "EXDOSE": "Dose", "EXSTDTC": "Start Date/Time of Treatment",
    "EXENDTC": "End Date/Time of Treatment", "EXSTDY": "Study Day of Start of Treatment",
    "EXENDY": "Study Day of End of Treatment",
    "CMTRT": "Reported Name of Drug, Med, or Therapy", "CMDECOD": "Standardized Medication Name",
    "CMCLAS": "Medication Class", "CMCAT": "Category for Medication", "CMSCAT": "Subcategory for Medication",
    "CMGRPID": "Group ID (Line of Therapy)", "CMSTDTC": "Start Date/Time of Medication",
    "CMENDTC": "End Date/Time of Medication", "CMSTDY": "Study Day of Start of Medication",
    "CMENDY": "Study Day of End of Medication", "CMINDC": "Indication",
    "PRTRT": "Reported Name of Procedure", "PRDECOD": "Standardized Procedure Name",
    "PRCAT": "Category", "PRSTDTC": "Start Date/Time of Procedure",
    "PRSTDY": "Study Day of Start of Procedure",
    "AETERM": "Reported Term for the Adverse Event", "AEDECOD": "Dictionary-Derived Term",
    "AECAT": "Category for Adverse Event", "AESCAT": "Subcategory for Adverse Event",
    "AESTDTC": "Start Date/Time of Adverse Event", "AEENDTC": "End Date/Time of Adverse Event",
    "AESTDY": "Study Day of Start of Adverse Event", "AEENDY": "Study Day of End of Adverse Event",
    "MHTERM": "Reported Term for the Medical History", "MHDECOD": "Dictionary-Derived Term",
    "MHCAT": "Category for Medical History", "MHSTDTC": "Start Date/Time of Medical History Event",
    "RSTESTCD": "Assessment Short Name", "RSTEST": "Assessment Name", "RSCAT": "Category for Assessment",
    "RSDTC": "Date/Time of Assessment", "RSDY": "Study Day of Assessment",
    "RSORRES": "Result or Finding in Original Units", "RSEVAL": "Evaluator",
    "LBTESTCD": "Lab Test or Examination Short Name", "LBTEST": "Lab Test or Examination Name",
    "LBCAT": "Category for Lab Test", "LBDTC": "Date/Time of Specimen Collection",
    "LBDY": "Study Day of Specimen Collection",
    "SSTESTCD": "Status Short Name", "SSTEST": "Status Name", "SSDTC": "Date/Time of Assessment",
    "SSDY": "Study Day of Assessment",
    "DMDTC": "Date/Time of Collection", "DMDY": "Study Day of Collection",
    "TSVAL": "Parameter Value", "TSGRPID": "Group ID",
}


def label_of(domain: str, name: str) -> str:
    """SDTM label of ``name`` in ``domain`` (``KeyError`` for an unknown variable)."""
    if name in SPECIFIC:
        return SPECIFIC[name]
    if name in FIXED:
        return FIXED[name]
    prefix = domain[-2:] if domain.startswith("SUPP") else domain
    if name.startswith(prefix) and name[len(prefix):] in SUFFIX:
        return SUFFIX[name[len(prefix):]]
    raise KeyError(f"no label for {domain}.{name}")


def make_dataset(domain: str, columns: dict) -> Dataset:
    """A :class:`Dataset` from ``{name: array}``: numeric arrays become ``Num`` (float64),
    categoricals stay as they are and everything else is ``Char`` (object, NaN missing);
    every variable and the dataset labelled."""
    frame = {}
    variables = []
    for name, values in columns.items():
        if isinstance(values, pd.Categorical):
            frame[name] = values
            variables.append(Variable(name, label_of(domain, name), CHAR))
            continue
        arr = np.asarray(values)
        if arr.dtype.kind in "fiub":
            frame[name] = arr.astype(np.float64, copy=False)
            variables.append(Variable(name, label_of(domain, name), NUM, 8))
        else:
            frame[name] = arr.astype(object, copy=False)
            variables.append(Variable(name, label_of(domain, name), CHAR))
    n = len(next(iter(frame.values()))) if frame else 0
    df = pd.DataFrame(object_columns(frame, pd.RangeIndex(n)), index=pd.RangeIndex(n), copy=False)
    return Dataset(domain, df, DATASET_LABELS[domain], variables)
