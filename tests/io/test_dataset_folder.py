"""Reading only some variables (read_xpt(columns=...)) and the lazy DatasetFolder the
pipeline derives from."""

import shutil

import pandas as pd
import pytest

from adam.errors import InputError
from adam.io import DatasetFolder, open_sdtm, read_dataset, read_sdtm
from adam.io.xpt import read_xpt


@pytest.mark.parametrize("name", ["ae", "dm", "ex", "suppdm"])
def test_columns_equal_the_whole_read(pilot_sdtm_dir, name):
    whole = read_xpt(pilot_sdtm_dir / f"{name}.xpt")
    names = [v.name for v in whole.variables]
    asked = [names[-1].lower(), names[0], "NOSUCHVAR", names[len(names) // 2]]
    part = read_xpt(pilot_sdtm_dir / f"{name}.xpt", columns=asked)
    expected = [n for n in names if n.upper() in {a.upper() for a in asked}]   # file order
    assert list(part.frame.columns) == expected
    pd.testing.assert_frame_equal(part.frame, whole.frame[expected])
    assert [v for v in part.variables] == [v for v in whole.variables if v.name in expected]


@pytest.mark.parametrize("suffix", [".xpt", ".json"])
def test_read_dataset_columns_in_either_format(pilot_sdtm_dir, tmp_path, suffix):
    """read_dataset(columns=...) keeps the asked variables it has (file order, metadata
    and frame alike) whether the file is XPT or Dataset-JSON."""
    from adam.io import write_dataset

    whole = read_dataset(pilot_sdtm_dir / "dm.xpt")
    path = write_dataset(whole, tmp_path / f"dm{suffix}")
    whole = read_dataset(path)
    part = read_dataset(path, ["sex", "USUBJID", "NOSUCHVAR"])
    assert list(part.frame.columns) == ["USUBJID", "SEX"]
    assert [v.name for v in part.variables] == ["USUBJID", "SEX"]
    pd.testing.assert_frame_equal(part.frame, whole.frame[["USUBJID", "SEX"]])


@pytest.mark.parametrize("name", ["ae", "cm", "dm", "ex", "suppdm", "ts"])
def test_coded_read_holds_the_same_values(pilot_sdtm_dir, name):
    """Text variables read coded are categoricals of exactly the values read as objects
    (missing where blank); numbers are untouched."""
    plain = read_xpt(pilot_sdtm_dir / f"{name}.xpt").frame
    coded = read_xpt(pilot_sdtm_dir / f"{name}.xpt", coded=True).frame
    for col in plain.columns:
        if plain[col].dtype == object:
            assert isinstance(coded[col].dtype, pd.CategoricalDtype), col
            assert coded[col].cat.categories.is_unique
    pd.testing.assert_frame_equal(coded.astype({c: object for c in plain.columns if plain[c].dtype == object}),
                                  plain)


def test_folder_reads_asked_variables_then_whole(pilot_sdtm_dir, tmp_path):
    for f in ("dm.xpt", "ae.xpt"):
        shutil.copy(pilot_sdtm_dir / f, tmp_path / f)
    folder = open_sdtm(tmp_path)
    assert isinstance(folder, DatasetFolder) and sorted(folder) == ["ae", "dm"] and len(folder) == 2
    whole = read_dataset(tmp_path / "ae.xpt").frame
    assert "ae" in folder and "lb" not in folder and not folder._whole   # membership reads nothing
    first = folder.frame("ae", ["USUBJID", "AESTDTC"])
    assert list(first.columns) == ["USUBJID", "AESTDTC"]
    more = folder.frame("ae", ["AESEQ", "USUBJID", "NOSUCHVAR"])        # adds only AESEQ
    assert set(more.columns) == {"USUBJID", "AESTDTC", "AESEQ"}
    assert isinstance(more["AESTDTC"].dtype, pd.CategoricalDtype)           # parts come coded
    pd.testing.assert_frame_equal(more[["AESEQ", "AESTDTC"]].astype({"AESTDTC": object}),
                                  whole[["AESEQ", "AESTDTC"]])
    assert not folder._whole                                               # still only parts
    pd.testing.assert_frame_equal(folder["ae"].frame, whole)              # whole on item access
    assert folder.frame("ae", ["AESEQ"]) is folder["ae"].frame
    assert dict(folder).keys() == read_sdtm(tmp_path).keys()


def test_broken_file_fails_when_the_folder_is_opened(pilot_sdtm_dir, tmp_path):
    shutil.copy(pilot_sdtm_dir / "dm.xpt", tmp_path / "dm.xpt")
    data = (pilot_sdtm_dir / "ae.xpt").read_bytes()
    (tmp_path / "ae.xpt").write_bytes(data[:-7])        # cut inside its last record
    with pytest.raises(InputError) as err:
        open_sdtm(tmp_path)
    assert "ae.xpt" in str(err.value) and "truncated" in str(err.value)
