"""The pipeline's shortcuts change no result: derive from the lazily read SDTM folder
equals derive from the whole datasets, and `run`'s check step (which reuses derive's
schema and rule findings) reports what a standalone check of the written ADaM reports."""

import pandas as pd

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


def test_check_process_imports_only_for_a_big_sdtm(tmp_path, monkeypatch):
    """run has its check process import GX while it derives only when the SDTM is big
    enough (a failing derive on a small study must not wait for the imports)."""
    import sys

    (tmp_path / "dm.xpt").write_bytes(b" " * 1000)
    submitted = []

    class Pool:
        def submit(self, fn, *args):
            submitted.append(fn)
            return fn(*args)

    monkeypatch.setattr(pipeline, "PREPARE_CHECK_ABOVE", 1000)
    pipeline.prepare_check_process(Pool(), tmp_path)
    assert submitted == []
    monkeypatch.setattr(pipeline, "PREPARE_CHECK_ABOVE", 999)
    pipeline.prepare_check_process(Pool(), tmp_path)
    assert len(submitted) == 1 and "great_expectations" in sys.modules
