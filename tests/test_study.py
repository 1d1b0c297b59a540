"""Study specifications: built-ins load; bad files are one clear UsageError."""

import pytest

from adam.errors import UsageError
from adam.study import builtin_studies, load_study


def test_builtin_studies_load():
    assert builtin_studies() == ["cdiscpilot01", "pharmaverse-onco", "tourmaline-mm3", "tourmaline-mm4"]
    mm3 = load_study("tourmaline-mm3")
    assert mm3.studyid == "TOURMALINE-MM3" and mm3.data_cutoff == "2023-09-08"
    assert mm3.trt_var == "TRT01P" and mm3.trt_ref == "Placebo"
    ids = [a["id"] for a in mm3.analyses]
    for aid in ("OS-PRIMARY", "PFS", "TTNT", "PFS2", "OS-NEXTLINE-PI", "OS-NEXTLINE-NOPI",
                "OS-SUBGROUP", "SUBSEQ-THERAPY", "DISPOSITION", "BASELINE"):
        assert aid in ids
    assert load_study("tourmaline-mm4").data_cutoff == "2022-10-29"


@pytest.mark.parametrize("text, message", [
    ('name = "x"\nstudyid = "X"\ncolour = "red"\n', "unknown key 'colour'"),
    ('name = "x"\n', "missing required key 'studyid'"),
    ('name = "x"\nstudyid = 3\n', "key 'studyid' must be str"),
    ('name = "x"\nstudyid = "X"\ndata_cutoff = "2023-13-01"\n', "not an ISO 8601 date"),
    ('name = = "x"\n', "not valid TOML"),
    ('name = "x"\nstudyid = "X"\n[[analyses]]\nid = "A"\ntype = "magic"\n', "unknown type 'magic'"),
    ('name = "x"\nstudyid = "X"\n[[analyses]]\nid = "A"\ntype = "tte"\nparamcd = "OS"\nstrata = "S1"\n',
     "key 'strata' has the wrong type"),
    ('name = "x"\nstudyid = "X"\n[[analyses]]\nid = "A"\ntype = "tte"\nparamcd = "OS"\nexec = "rm"\n',
     "unknown key 'exec'"),
    ('name = "x"\nstudyid = "X"\n[treatment]\nvar = ["a"]\n', "'treatment.var' must be str"),
])
def test_bad_specification(tmp_path, text, message):
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message) as info:
        load_study(path)
    assert str(path) in str(info.value) or "study" in str(info.value)


def test_unknown_study_name():
    with pytest.raises(UsageError, match="unknown study 'nope'.*tourmaline-mm3"):
        load_study("nope")


def test_user_study_with_module_beside_it(tmp_path):
    (tmp_path / "mine.py").write_text("def derive(sdtm, study):\n    return {'adsl': study.studyid}\n")
    (tmp_path / "mine.toml").write_text('name = "mine"\nstudyid = "MINE-1"\nderive = "mine.py:derive"\n')
    study = load_study(tmp_path / "mine.toml")
    assert study.derive_function()({}, study) == {"adsl": "MINE-1"}


def test_derive_program_missing(tmp_path):
    (tmp_path / "s.toml").write_text('name = "s"\nstudyid = "S"\nderive = "nowhere_module_x:derive"\n')
    with pytest.raises(UsageError, match="cannot load derive program"):
        load_study(tmp_path / "s.toml").derive_function()
