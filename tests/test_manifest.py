"""Issue 21 item 12: `run` writes one manifest per generation (id, files and digests,
times, study, version), landed as a whole at the end, so a reader can tell which outputs
belong together; a run that did not finish leaves none."""

import json

import pytest

from adam import __version__, pipeline
from adam.errors import AdamError
from adam.manifest import NAME, verify_manifest


def test_run_manifest(tmp_path, monkeypatch):
    out = tmp_path / "pilot"
    pipeline.run("cdiscpilot01", None, out, formats=("html",), expectations=False)
    doc = json.loads((out / NAME).read_text(encoding="utf-8"))
    assert doc["study"] == "cdiscpilot01" and doc["adamant"] == __version__
    assert len(doc["generation"]) == 32 and doc["started"] <= doc["finished"]
    paths = {f["path"] for f in doc["files"]}
    assert {"adam/adsl.xpt", "adam/adtte.xpt", "ard/ard.csv", "checks/findings.csv",
            "tlf/index.html"} <= paths
    assert not any(".adamant.lock" in p or p.endswith(".tmp") for p in paths)
    assert verify_manifest(out) == []

    (out / "tlf" / "index.html").write_text("changed", encoding="utf-8")
    (out / "ard" / "extra.csv").write_text("x", encoding="utf-8")
    problems = verify_manifest(out)
    assert any(p.startswith("tlf/index.html: changed") for p in problems)
    assert any(p.startswith("ard/extra.csv: not of generation") for p in problems)

    def killed(*args, **kwargs):        # the run stops after new ADaM and ARD were written
        raise AdamError("killed")

    monkeypatch.setattr(pipeline, "report", killed)
    with pytest.raises(AdamError):
        pipeline.run("cdiscpilot01", None, out, formats=("html",), expectations=False)
    assert not (out / NAME).exists()                 # no generation claims these outputs
    assert verify_manifest(out) == [f"no {NAME}: no finished run in {out}"]
