"""CDISC Dataset-JSON v1.1 structure, round trip and bad input."""

import json

import pandas as pd
import pytest

from adam.errors import InputError
from adam.io import read_dataset, write_dataset


@pytest.mark.smoke
def test_pilot_dm_json_structure_and_round_trip(pilot_sdtm_dir, tmp_path):
    dm = read_dataset(pilot_sdtm_dir / "dm.xpt")
    write_dataset(dm, tmp_path / "dm.json")
    doc = json.loads((tmp_path / "dm.json").read_text(encoding="utf-8"))
    assert doc["datasetJSONVersion"] == "1.1.0"
    assert doc["records"] == 306 and len(doc["rows"]) == 306
    assert doc["name"] == "DM" and doc["itemGroupOID"] == "IG.DM"
    age = next(c for c in doc["columns"] if c["name"] == "AGE")
    assert age == {"itemOID": "IT.DM.AGE", "name": "AGE", "label": "Age", "dataType": "double", "length": 8}
    usubjid = next(c for c in doc["columns"] if c["name"] == "USUBJID")
    assert usubjid["dataType"] == "string" and usubjid["length"] == 11
    back = read_dataset(tmp_path / "dm.json")
    assert back.variables == dm.variables
    pd.testing.assert_frame_equal(back.frame, dm.frame)


@pytest.mark.parametrize("text, message", [
    ("{not json", "not valid JSON"),
    ('{"rows": []}', "no 'columns' array"),
    ('{"columns": [{"name": "A", "dataType": "double"}], "rows": [[1, 2]]}', "record 1: row has 2 values, expected 1"),
    ('{"columns": [{"name": "A", "dataType": "double"}], "rows": [["x"]]}', "record 1: variable A: not a number"),
    ('{"columns": [{"name": "D", "dataType": "date", "targetDataType": "integer"}], "rows": [["2020-13-01"]]}', "variable D: not an ISO 8601 date"),
])
def test_bad_json_is_one_clear_error(tmp_path, text, message):
    path = tmp_path / "x.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_dataset(path)
