"""check_sdtm on the real CDISC pilot SDTM (cdiscpilot01, SDTMIG 3.1.2).

The findings were inspected one by one; each is a true property of the pilot data:

- SV record 2556 repeats STUDYID/USUBJID/VISITNUM of record 2555: subject 01-711-1143
  has two "UNSCHEDULED 9.2" visits (2013-06-22 and 2013-09-22) with VISITNUM 9.2, so
  SV's natural key is not unique (error).
- TS lacks TSVALCD, TSVCDREF and TSVCDVER: Expected in SDTMIG 3.2+, absent from the
  3.1.2 pilot (warnings).

Everything else (DOMAIN values, ISO 8601 dates, study days, codelists, keys, USUBJIDs
in DM, start/end order, SUPPAE/SUPPDM/SUPPDS and RELREC parent records) conforms.
"""

import pandas as pd
import pyreadstat
import pytest

from adam.io import read_sdtm
from checks.sdtm import check_sdtm

PILOT_FILES = {"ae", "cm", "dm", "ds", "ex", "mh", "relrec", "sc", "se", "suppae", "suppdm",
               "suppds", "sv", "ta", "te", "ti", "ts", "tv"}


@pytest.fixture(scope="module")
def pilot(pilot_sdtm_dir):
    return read_sdtm(pilot_sdtm_dir)


def test_every_pilot_file_reads(pilot, pilot_sdtm_dir):
    assert set(pilot) == PILOT_FILES
    for name, ds in pilot.items():
        raw, _ = pyreadstat.read_xport(str(pilot_sdtm_dir / f"{name}.xpt"), metadataonly=True,
                                       encoding="cp1252" if name == "ts" else None)
        assert list(ds.frame.columns) == list(raw.columns), name


def test_pilot_findings_are_the_inspected_ones(pilot):
    found = {(f.dataset, f.rule_id, f.severity, f.variable, f.record, f.usubjid)
             for f in check_sdtm(pilot)}
    assert found == {
        ("SV", "SDTM-KEY-UNIQUE", "error", "STUDYID, USUBJID, VISITNUM", 2556, "01-711-1143"),
        ("TS", "SDTM-EXP-VAR", "warning", "TSVALCD", None, None),
        ("TS", "SDTM-EXP-VAR", "warning", "TSVCDREF", None, None),
        ("TS", "SDTM-EXP-VAR", "warning", "TSVCDVER", None, None)}


def test_sv_duplicate_key_seen_independently(pilot_sdtm_dir):
    sv, _ = pyreadstat.read_xport(str(pilot_sdtm_dir / "sv.xpt"))
    dup = sv[sv.duplicated(["STUDYID", "USUBJID", "VISITNUM"], keep="first")]
    assert list(dup.index + 1) == [2556]
    assert dup["USUBJID"].tolist() == ["01-711-1143"] and dup["VISITNUM"].tolist() == [9.2]


def test_subject_removed_from_dm_is_reported_on_each_of_its_records(pilot):
    """Dropping one subject from DM: every record of that subject in the subject
    datasets is an SDTM-USUBJID-IN-DM error, and its SUPPDM rows lose their parent."""
    subject = "01-701-1015"
    datasets = dict(pilot)
    dm = pilot["dm"]
    datasets["dm"] = dm.with_frame(dm.frame[dm.frame["USUBJID"] != subject])
    findings = check_sdtm(datasets)
    orphans = pd.Series([f.dataset for f in findings if f.rule_id == "SDTM-USUBJID-IN-DM"])
    expected = {name.upper(): int((ds.frame["USUBJID"] == subject).sum())
                for name, ds in pilot.items()
                if name not in ("dm", "ta", "te", "ti", "ts", "tv")}
    expected = {k: v for k, v in expected.items() if v}
    assert orphans.value_counts().to_dict() == expected
    assert all(f.usubjid == subject for f in findings if f.rule_id == "SDTM-USUBJID-IN-DM")
    parents = [f for f in findings if f.rule_id == "SDTM-SUPP-PARENT"]
    assert len(parents) == expected["SUPPDM"] and {f.dataset for f in parents} == {"SUPPDM"}


def test_adverse_events_removed_leave_suppae_and_relrec_orphans(pilot):
    """SUPPAE and RELREC point at AESEQ: removing a subject's AEs orphans exactly its
    SUPPAE rows and its RELREC rows with RDOMAIN AE."""
    ae, relrec = pilot["ae"], pilot["relrec"].frame
    subject = relrec.loc[relrec["RDOMAIN"] == "AE", "USUBJID"].iat[0]
    datasets = dict(pilot, ae=ae.with_frame(ae.frame[ae.frame["USUBJID"] != subject]))
    findings = check_sdtm(datasets)
    supp = pilot["suppae"].frame
    assert sorted(f.record for f in findings if f.rule_id == "SDTM-SUPP-PARENT") == \
        list(supp.index[supp["USUBJID"] == subject] + 1)
    orphans = relrec.index[(relrec["USUBJID"] == subject) & (relrec["RDOMAIN"] == "AE")] + 1
    assert len(orphans) > 0
    assert sorted(f.record for f in findings if f.rule_id == "SDTM-RELREC-PARENT") == list(orphans)
