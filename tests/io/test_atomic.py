"""Atomic outputs: AllOrNone lands every file or none, and leaves no folder it made."""

import pytest

from adam.errors import OutputError
from adam.io.atomic import AllOrNone


def test_all_land_together(tmp_path):
    out = tmp_path / "new" / "adam"
    with AllOrNone() as together:
        a, b = together.path(out / "adsl.xpt"), together.path(out / "adtte.xpt")
        a.write_text("A")
        b.write_text("B")
        assert not (out / "adsl.xpt").exists()       # nothing lands before the end
    assert (out / "adsl.xpt").read_text() == "A" and (out / "adtte.xpt").read_text() == "B"
    assert sorted(p.name for p in out.iterdir()) == ["adsl.xpt", "adtte.xpt"]


def test_none_lands_on_error_and_made_folders_go(tmp_path):
    out = tmp_path / "new" / "adam"
    with pytest.raises(RuntimeError):
        with AllOrNone() as together:
            together.path(out / "adsl.xpt").write_text("A")
            raise RuntimeError("validation found an error")
    assert list(tmp_path.iterdir()) == []


def test_existing_files_kept_on_error(tmp_path):
    (tmp_path / "adsl.xpt").write_text("old")
    with pytest.raises(RuntimeError):
        with AllOrNone() as together:
            together.path(tmp_path / "adsl.xpt").write_text("new")
            together.path(tmp_path / "adtte.xpt").write_text("new")
            raise RuntimeError
    assert [p.name for p in tmp_path.iterdir()] == ["adsl.xpt"]
    assert (tmp_path / "adsl.xpt").read_text() == "old"


def test_refuses_an_input(tmp_path):
    src = tmp_path / "dm.xpt"
    src.write_text("sdtm")
    with pytest.raises(OutputError, match="overwrite an input"):
        with AllOrNone(inputs=[src]) as together:
            together.path(src)
    assert src.read_text() == "sdtm"
