"""The pipeline's shortcuts change no result: derive from the lazily read SDTM folder
equals derive from the whole datasets, and `run`'s check step (which reuses derive's
schema and rule findings) reports what a standalone check of the written ADaM reports."""

import pandas as pd
import pytest

from adam import pipeline
from adam.io import read_adam, read_dataset, read_sdtm, write_dataset
from adam.study import load_study


def test_lazy_derive_and_reused_findings_equal_the_full_ones(tmp_path):
    spec = load_study("tourmaline-mm3")
    pipeline.synth("tourmaline-mm3", tmp_path / "sdtm", n_subjects=400, seed=3)
    dm = read_dataset(tmp_path / "sdtm" / "dm.xpt")
    dm.frame.loc[3, "SEX"] = "X"                     # a finding for the checks to agree on
    write_dataset(dm, tmp_path / "sdtm" / "dm.xpt")
    whole, whole_findings = pipeline.derive_datasets(spec, read_sdtm(tmp_path / "sdtm"))
    lazy, lazy_findings, validated = pipeline.derive_checked(spec, tmp_path / "sdtm", tmp_path / "adam")
    for name in ("adsl", "adtte"):
        coded = lazy[name].frame                     # derive_checked holds text as categoricals
        text = [v.name for v in lazy[name].variables if v.type == "Char"]
        assert all(isinstance(coded[c].dtype, pd.CategoricalDtype) for c in text)
        assert not any(isinstance(t, pd.CategoricalDtype) for t in whole[name].frame.dtypes)  # API: objects
        as_objects = {c: object for c in text}
        pd.testing.assert_frame_equal(coded.astype(as_objects), whole[name].frame.astype(as_objects))
        assert lazy[name].variables == whole[name].variables
    assert [f for f in lazy_findings if f in whole_findings] == whole_findings
    written = read_adam(tmp_path / "adam")
    assert set(written) == {"adsl", "adtte"}

    reused = pipeline.check(spec, adam=tmp_path / "adam", expectations=False, validated=validated)
    fresh = pipeline.check(spec, adam=tmp_path / "adam", expectations=False)
    assert list(fresh.frame["rule_id"]) == ["ADAM-ADSL-SEX-CT"]
    pd.testing.assert_frame_equal(reused.frame, fresh.frame)


def test_run_checks_in_asecond_process_or_in_this_one_alike(tmp_path, monkeypatch):
    """`run` checks in a spawned process while it analyzes (two cores), or in this
    process (one core): the findings, the ARD and the report are the same."""
    pipeline.synth("tourmaline-mm4", tmp_path / "sdtm", n_subjects=300, seed=5)
    two = pipeline.run("tourmaline-mm4", tmp_path / "sdtm", tmp_path / "two", formats=("html",),
                       expectations=True)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0})
    assert isinstance(pipeline.second_process(), pipeline.InThisProcess)
    one = pipeline.run("tourmaline-mm4", tmp_path / "sdtm", tmp_path / "one", formats=("html",),
                       expectations=True)
    pd.testing.assert_frame_equal(two["check"].frame, one["check"].frame)
    pd.testing.assert_frame_equal(two["ard"], one["ard"])
    for out in ("two", "one"):
        assert (tmp_path / out / "checks" / "findings.csv").is_file()
        assert (tmp_path / out / "checks" / "report.html").is_file()
    assert (tmp_path / "two" / "ard" / "ard.csv").read_bytes() == (tmp_path / "one" / "ard" / "ard.csv").read_bytes()


def test_derive_reads_each_sdtm_file_once(tmp_path, monkeypatch):
    """The TOURMALINE program asks for all it needs of a domain at its first use: one
    pass over each file, whatever the order of the steps, and whichever process reads it
    (EX is read by a forked child on two cores)."""
    from collections import Counter

    import adam.io

    log = tmp_path / "reads.log"
    real = adam.io.read_xpt

    def counted(path, columns=None, **kwargs):
        with open(log, "a") as f:                   # appended to by every process
            f.write(path.name + "\n")
        return real(path, columns, **kwargs)

    pipeline.synth("tourmaline-mm3", tmp_path / "sdtm", n_subjects=200, seed=2)
    monkeypatch.setattr(adam.io, "read_xpt", counted)
    pipeline.derive_datasets(load_study("tourmaline-mm3"), adam.io.open_sdtm(tmp_path / "sdtm"))
    reads = Counter(log.read_text().split())
    assert reads == {f"{d}.xpt": 1 for d in ("dm", "rs", "ds", "ex", "ts", "suppdm", "lb", "cm", "ss")}


def test_check_process_imports_while_derive_works_only_when_it_is_another_process():
    """run's check worker imports GX while this process derives; calls made in this
    process (one core) have nothing to overlap, so nothing is imported ahead."""
    import sys

    from adam.parallel import InThisProcess

    submitted = []

    class Pool:
        def submit(self, fn, *args):
            submitted.append(fn)
            return fn(*args)

    pipeline.prepare_check_process(InThisProcess())
    assert submitted == []
    pipeline.prepare_check_process(Pool())
    assert len(submitted) == 1 and "great_expectations" in sys.modules


def test_failing_derive_stops_the_check_worker(tmp_path, pilot_sdtm_dir, monkeypatch):
    """A derive that fails does not wait for the check worker's imports: the worker is
    ended (SIGTERM) and no process is left behind; nothing is written."""
    import multiprocessing
    import shutil
    import signal

    from adam import parallel
    from adam.errors import AdamError

    stopped = []

    def spy(pool):
        workers = list(getattr(pool, "_processes", {}).values())
        parallel.stop_workers(pool)
        stopped.append([w.exitcode for w in workers])
    monkeypatch.setattr(pipeline, "stop_workers", spy)

    sdtm = tmp_path / "sdtm"
    shutil.copytree(pilot_sdtm_dir, sdtm)
    (sdtm / "dm.xpt").unlink()                      # the program cannot run without DM
    with pytest.raises(AdamError):
        pipeline.run("cdiscpilot01", sdtm, tmp_path / "out", expectations=True)   # with a worker
    assert multiprocessing.active_children() == []
    assert not (tmp_path / "out" / "adam").exists()
    if parallel.cores() > 1:
        assert stopped == [[-signal.SIGTERM]]
