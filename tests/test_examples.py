"""Example data shipped with adamant: a fresh clone needs nothing beside it.

The CDISC pilot SDTM is package data (gzip); ``example_folder`` decompresses it once into
the user cache. ``adam run --study cdiscpilot01`` with no ``--sdtm`` derives, checks,
analyses and reports it, and its ADTTE lands on the published acceptance figures of the
sponsor's ADTTE (TTDE: subjects, events and KM median per arm, typed from the pilot's
README)."""

import gzip
import subprocess
import sys

import pandas as pd
import pytest

from adam import examples
from adam.errors import UsageError
from adam.study import load_study

PILOT_FILES = {"ae", "cm", "dm", "ds", "ex", "mh", "relrec", "sc", "se", "suppae", "suppdm",
               "suppds", "sv", "ta", "te", "ti", "ts", "tv"}


def test_pilot_sdtm_is_shipped_whole_and_decompressed_exactly(tmp_path, monkeypatch):
    monkeypatch.setenv("ADAMANT_CACHE", str(tmp_path / "cache"))
    folder = examples.example_folder("cdiscpilot01/sdtm")
    assert folder.parent == tmp_path / "cache"
    assert {p.stem for p in folder.glob("*.xpt")} == PILOT_FILES
    for path in examples.example_source("cdiscpilot01/sdtm").glob("*.gz"):
        assert (folder / path.stem).read_bytes() == gzip.decompress(path.read_bytes())
    # made once: the second call reuses the folder, nothing half-made is left beside it
    stamp = (folder / "dm.xpt").stat().st_mtime_ns
    assert examples.example_folder("cdiscpilot01/sdtm") == folder
    assert (folder / "dm.xpt").stat().st_mtime_ns == stamp
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [folder.name]


def test_unwritable_cache_falls_back_to_a_process_folder(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ADAMANT_CACHE", str(blocker / "cache"))
    folder = examples.example_folder("cdiscpilot01/sdtm")
    assert blocker not in folder.parents and (folder / "dm.xpt").is_file()


def test_unknown_example_is_a_usage_error():
    with pytest.raises(UsageError, match="no example data 'nosuch/sdtm'"):
        examples.example_folder("nosuch/sdtm")
    with pytest.raises(UsageError, match="no example data"):
        examples.example_folder("../studies")


def test_study_names_its_sdtm():
    assert load_study("cdiscpilot01").default_sdtm().joinpath("dm.xpt").is_file()
    with pytest.raises(UsageError, match="names no SDTM of its own: give --sdtm DIR"):
        load_study("tourmaline-mm3").default_sdtm()


def test_sdtm_folder_of_a_users_study(tmp_path):
    spec = (tmp_path / "my.toml")
    spec.write_text('name = "my"\nstudyid = "MY"\n[sdtm]\nfolder = "data/sdtm"\n')
    with pytest.raises(UsageError, match="'sdtm.folder' is not a folder"):
        load_study(spec).default_sdtm()
    (tmp_path / "data/sdtm").mkdir(parents=True)
    assert load_study(spec).default_sdtm() == (tmp_path / "data/sdtm").resolve()
    spec.write_text('name = "my"\nstudyid = "MY"\n[sdtm]\npath = "x"\n')
    with pytest.raises(UsageError, match="unknown key 'sdtm.path'"):
        load_study(spec)


def test_pilot_run_needs_no_sdtm_option(tmp_path):
    res = subprocess.run([sys.executable, "-m", "adam.cli", "run", "--study", "cdiscpilot01",
                          "--out", str(tmp_path / "pilot")], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    out = tmp_path / "pilot"
    assert {p.name for p in (out / "adam").glob("*.xpt")} == {"adsl.xpt", "adae.xpt", "adtte.xpt"}
    ard = pd.read_csv(out / "ard" / "ard.csv", keep_default_na=False)
    km = ard[(ard.analysis_id == "TTDE") & (ard.method == "km")]
    got = {(row.group, row.stat_name): row.stat_value for row in km.itertuples()
           if row.stat_name in ("n", "n_events", "median") and row.timepoint == ""}
    published = {"Placebo": (86, 29, None), "Xanomeline High Dose": (84, 61, 36),
                 "Xanomeline Low Dose": (84, 62, 33)}
    for arm, (n, events, median) in published.items():
        assert float(got[arm, "n"]) == n and float(got[arm, "n_events"]) == events
        if median is None:
            assert got[arm, "median"] == ""            # not reached: empty, not estimable
        else:
            assert float(got[arm, "median"]) == median
    for stem in ("figure-ttde", "table-ttde"):
        for ext in ("html", "rtf", "pdf"):
            assert (out / "tlf" / f"{stem}.{ext}").stat().st_size > 0, (stem, ext)


def test_pilot_run_with_expectations_adds_the_suites_and_their_data_docs(tmp_path):
    """GX suites run when asked for (a second process); by default the check step reports
    what derive validated and writes no Data Docs."""
    out = tmp_path / "gx"
    res = subprocess.run([sys.executable, "-m", "adam.cli", "run", "--study", "cdiscpilot01",
                          "--out", str(out), "--format", "html", "--expectations"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert (out / "checks" / "report-datadocs" / "index.html").is_file()
    assert 'href="report-datadocs/index.html"' in (out / "checks" / "report.html").read_text(encoding="utf-8")
    plain = tmp_path / "plain"
    res = subprocess.run([sys.executable, "-m", "adam.cli", "run", "--study", "cdiscpilot01",
                          "--out", str(plain), "--format", "html"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert not (plain / "checks" / "report-datadocs").exists()
    assert (plain / "checks" / "findings.csv").read_text() == (out / "checks" / "findings.csv").read_text()
