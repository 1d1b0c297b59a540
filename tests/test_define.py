"""adam.define: the CDISC pilot ADaM define (1.0) and a hand-written define 2.0 snippet."""

from pathlib import Path

import pytest

from adam.define import read_define
from adam.errors import InputError

from adam.examples import example_source

PILOT_DEFINE = example_source("cdiscpilot01/adam-define.xml")


@pytest.fixture(scope="module")
def pilot():
    return read_define(PILOT_DEFINE)


def test_pilot_datasets_and_variable_counts(pilot):
    # counted by hand: ItemRef elements of each ItemGroupDef in the file
    assert {n: len(d.variables) for n, d in pilot.datasets.items()
            if n in ("ADSL", "ADAE", "ADTTE")} == {"ADSL": 48, "ADAE": 55, "ADTTE": 26}
    assert len(pilot.datasets) == 10


def test_pilot_dataset_attributes(pilot):
    adae = pilot["adae"]
    assert adae.label == "Adverse Events Analysis Dataset"
    assert adae.class_ == "ADAE"
    assert adae.keys == ("USUBJID", "AETERM", "ASTDT", "AESEQ")
    assert pilot["ADTTE"].structure == "one record per subject per parameter"
    assert pilot["ADSL"].names[:5] == ["STUDYID", "USUBJID", "SUBJID", "SITEID", "SITEGR1"]
    assert pilot["ADSL"].names[-1] == "MMSETOT"


def test_pilot_item_defs(pilot):
    trtsdt = pilot["ADSL"]["TRTSDT"]
    assert (trtsdt.label, trtsdt.data_type, trtsdt.type, trtsdt.length,
            trtsdt.display_format, trtsdt.order, trtsdt.origin) == (
        "Date of First Exposure to Treatment", "integer", "Num", 8, "DATE9.", 11, "Derived")
    assert trtsdt.comment == "SV.SVSTDTC when SV.VISITNUM=3, converted to SAS date"
    rfstdtc = pilot["ADSL"]["RFSTDTC"]          # DataType datetime is ISO 8601 text
    assert (rfstdtc.type, rfstdtc.length) == ("Char", 20)
    assert pilot["ADSL"]["AVGDD"].significant_digits == 1
    cq = pilot["ADAE"]["CQ01NAM"]
    assert (cq.length, cq.label) == (19, "Customized Query 01 Name")
    assert cq.comment.startswith("If AEDECOD contains any of the character strings of")
    var = pilot["ADTTE"]["PARAMCD"].to_variable()
    assert (var.name, var.label, var.type, var.length) == ("PARAMCD", "Parameter Code", "Char", 8)


def test_pilot_codelists(pilot):
    assert pilot.codelist(pilot["ADSL"]["TRT01PN"]).items == (
        ("0", "Placebo"), ("54", "Xanomeline Low Dose"), ("81", "Xanomeline High Dose"))
    assert pilot.codelists["SEX"].values == ("F", "M", "U")   # no-break spaces stripped
    assert pilot.codelists["AEDICT"].dictionary == "MedDRA 8.0"


def test_unknown_dataset_and_bad_file(tmp_path):
    bad = tmp_path / "define.xml"
    bad.write_text("<ODM><nothing/></ODM>")
    with pytest.raises(InputError, match="MetaDataVersion"):
        read_define(bad)
    with pytest.raises(InputError, match="cannot read"):
        read_define(tmp_path / "absent.xml")


DEFINE_20 = """<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.0">
 <Study OID="S"><MetaDataVersion OID="M" Name="M" def:DefineVersion="2.0.0">
  <ItemGroupDef OID="IG.ADTTE" Name="ADTTE" Repeating="Yes" Purpose="Analysis"
      def:Structure="one record per subject per parameter" def:Class="BASIC DATA STRUCTURE"
      def:CommentOID="COM.ADTTE">
   <Description><TranslatedText xml:lang="en">Time to Event Analysis</TranslatedText></Description>
   <ItemRef ItemOID="IT.PARAMCD" OrderNumber="2" Mandatory="Yes" KeySequence="2"/>
   <ItemRef ItemOID="IT.USUBJID" OrderNumber="1" Mandatory="Yes" KeySequence="1"/>
   <ItemRef ItemOID="IT.AVAL" OrderNumber="3" Mandatory="No" MethodOID="MT.AVAL"/>
  </ItemGroupDef>
  <ItemDef OID="IT.USUBJID" Name="USUBJID" DataType="text" Length="11">
   <Description><TranslatedText xml:lang="en">Unique Subject Identifier</TranslatedText></Description>
   <def:Origin Type="Predecessor"/>
  </ItemDef>
  <ItemDef OID="IT.PARAMCD" Name="PARAMCD" DataType="text" Length="8" def:CommentOID="COM.P">
   <Description><TranslatedText xml:lang="en">Parameter Code</TranslatedText></Description>
   <CodeListRef CodeListOID="CL.PARAMCD"/>
   <def:Origin Type="Assigned"/>
  </ItemDef>
  <ItemDef OID="IT.AVAL" Name="AVAL" DataType="float" Length="8" def:DisplayFormat="8.1">
   <Description><TranslatedText xml:lang="en">Analysis Value</TranslatedText></Description>
   <def:Origin Type="Derived"/>
  </ItemDef>
  <CodeList OID="CL.PARAMCD" Name="PARAMCD" DataType="text">
   <EnumeratedItem CodedValue="TTDE"/>
  </CodeList>
  <MethodDef OID="MT.AVAL" Name="AVAL" Type="Computation">
   <Description><TranslatedText xml:lang="en">ADT - STARTDT + 1</TranslatedText></Description>
  </MethodDef>
  <def:CommentDef OID="COM.P"><Description><TranslatedText xml:lang="en">Assigned
     TTDE</TranslatedText></Description></def:CommentDef>
  <def:CommentDef OID="COM.ADTTE"><Description><TranslatedText>One row per subject</TranslatedText></Description></def:CommentDef>
 </MetaDataVersion></Study>
</ODM>"""


def test_define_20(tmp_path):
    path = tmp_path / "define.xml"
    path.write_text(DEFINE_20)
    d = read_define(path)
    adtte = d["ADTTE"]
    assert (adtte.label, adtte.class_, adtte.keys, adtte.comment) == (
        "Time to Event Analysis", "BASIC DATA STRUCTURE", ("USUBJID", "PARAMCD"),
        "One row per subject")
    assert adtte.names == ["USUBJID", "PARAMCD", "AVAL"]           # by OrderNumber
    paramcd, aval = adtte["PARAMCD"], adtte["AVAL"]
    assert (paramcd.label, paramcd.origin, paramcd.comment, paramcd.mandatory) == (
        "Parameter Code", "Assigned", "Assigned TTDE", True)
    assert (aval.type, aval.display_format, aval.comment) == ("Num", "8.1", "ADT - STARTDT + 1")
    assert d.codelist(paramcd).values == ("TTDE",)
    with pytest.raises(InputError, match="no dataset ADSL"):
        d["adsl"]


# -- derivations.metadata: applying a define spec to a frame ---------------------------------

def _spec(tmp_path):
    path = tmp_path / "define.xml"
    path.write_text(DEFINE_20.replace('<EnumeratedItem CodedValue="TTDE"/>',
                                      '<EnumeratedItem CodedValue="TTDE"/><EnumeratedItem CodedValue="OS"/>'))
    return read_define(path)


def test_apply_metadata_orders_types_and_labels(tmp_path):
    import pandas as pd
    from derivations.metadata import apply_metadata, check_metadata
    define = _spec(tmp_path)
    frame = pd.DataFrame({"AVAL": ["12", "3.5"], "EXTRA": [1, 2],
                          "PARAMCD": ["TTDE", ""], "USUBJID": ["01-701-1015", "01-701-1023"]})
    ds = apply_metadata(frame, define["ADTTE"])
    assert ds.name == "ADTTE" and ds.label == "Time to Event Analysis"
    assert list(ds.frame.columns) == ["USUBJID", "PARAMCD", "AVAL"]
    assert ds.frame["AVAL"].tolist() == [12.0, 3.5] and ds.frame["AVAL"].dtype == "float64"
    assert pd.isna(ds.frame.loc[1, "PARAMCD"])              # blank -> missing
    assert [(v.label, v.type, v.length) for v in ds.variables] == [
        ("Unique Subject Identifier", "Char", 11), ("Parameter Code", "Char", 8),
        ("Analysis Value", "Num", 8)]
    findings = check_metadata(frame, define["ADTTE"], define.codelists)
    assert [(f.rule_id, f.variable) for f in findings] == [("META-EXTRA", "EXTRA")]


def test_check_metadata_reports_length_type_codelist_and_missing(tmp_path):
    import pandas as pd
    from derivations.metadata import apply_metadata, check_metadata
    define = _spec(tmp_path)
    frame = pd.DataFrame({"USUBJID": ["01-701-1015", "01-701-1023-LONG"],
                          "PARAMCD": ["TTDE", "PFS"], })
    ds = apply_metadata(frame, define["ADTTE"])
    assert ds["USUBJID"].length == 16                         # widened, not truncated
    assert ds.frame["USUBJID"].iloc[1] == "01-701-1023-LONG"
    found = {f.rule_id: f for f in check_metadata(frame, define["ADTTE"], define.codelists)}
    assert set(found) == {"META-MISSING", "META-LENGTH", "META-CODELIST"}
    assert (found["META-LENGTH"].record, found["META-LENGTH"].usubjid) == (2, "01-701-1023-LONG")
    assert found["META-CODELIST"].value == "PFS" and found["META-MISSING"].variable == "AVAL"
    typed = check_metadata(pd.DataFrame({"AVAL": ["1", "n/a", None]}), define["ADTTE"])
    assert [(f.rule_id, f.record, f.value) for f in typed if f.rule_id == "META-TYPE"] == [
        ("META-TYPE", 2, "n/a")]


def test_conform_converts_dates_and_text(tmp_path):
    import pandas as pd
    from derivations.metadata import conform
    define = _spec(tmp_path)
    spec = define["ADTTE"]
    # a numeric SAS date count under a DATE9. format becomes datetime64 (22000 = 21915,
    # 2020-01-01, + 85 days = 2020-03-26); a date under a text variable becomes ISO 8601
    # text; numbers under text lose a ".0"
    from dataclasses import replace
    dated = replace(spec, variables=(replace(spec["AVAL"], display_format="DATE9."),
                                     spec["USUBJID"], spec["PARAMCD"]))
    frame = pd.DataFrame({"AVAL": [0.0, 22000.0], "USUBJID": pd.to_datetime(["2020-01-02", None]),
                          "PARAMCD": [1.0, 2.5]})
    ds, findings = conform(frame, dated)
    assert ds.frame["AVAL"].tolist() == [pd.Timestamp("1960-01-01"), pd.Timestamp("2020-03-26")]
    assert ds.frame["USUBJID"].iloc[0] == "2020-01-02" and pd.isna(ds.frame["USUBJID"].iloc[1])
    assert ds.frame["PARAMCD"].tolist() == ["1", "2.5"]
    assert ds["AVAL"].format == "DATE9." and not findings
