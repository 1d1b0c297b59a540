"""``import adam`` (and every module of adamant) changes nothing process-wide; the ``adam``
command tunes its own process (adam.tuning) and can be told not to.

Each probe runs in a fresh interpreter. glibc's malloc settings cannot be read back, so
they are observed by what they do: with the default settings a freed 256 MB array is
handed back to the system at once (its own mapping is unmapped), while the tuning keeps
it in the process. The same probe run after ``tune_process()`` shows the difference, so
the probe itself is known to see it."""

import json
import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent("""
    import importlib, json, os, pkgutil, sys
    import numpy as np
    from adam import tuning

    def rss():
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    huge_before = tuning.numpy_huge_pages()
    imported = []
    if sys.argv[1] == "import":
        for top in ("adam", "derivations", "checks", "reports"):
            package = importlib.import_module(top)
            imported.append(top)
            for info in pkgutil.walk_packages(package.__path__, top + "."):
                if info.name == "adam.__main__":
                    continue
                importlib.import_module(info.name)
                imported.append(info.name)
    elif sys.argv[1] == "tune":
        tuning.tune_process()
    elif sys.argv[1] == "cli":
        from adam.cli import main
        main(["--version"])
    base = rss()
    block = np.ones(256 * 2**20, dtype=np.uint8)
    held = rss() - base
    del block
    kept = rss() - base
    print(json.dumps({"huge_before": huge_before, "huge_after": tuning.numpy_huge_pages(),
                      "held": held, "kept": kept, "imported": imported,
                      "tuned": tuning.tuned()}))
""")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc / procfs probe")


def probe(mode: str, **env) -> dict:
    import os

    environ = {k: v for k, v in os.environ.items()
               if k not in ("NUMPY_MADVISE_HUGEPAGE", "GLIBC_TUNABLES", "ADAMANT_TUNING")}
    res = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                         env=environ | env)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_importing_every_module_changes_no_process_setting():
    got = probe("import")
    assert {"adam.cli", "adam.pipeline", "adam.io.xpt", "reports.render", "checks.rules",
            "derivations.tte"} <= set(got["imported"])
    assert got["huge_before"] is True and got["huge_after"] is True   # numpy's default kept
    assert got["held"] > 200 * 2**20                                  # the array was touched
    assert got["kept"] < 32 * 2**20                                   # and handed back when freed
    assert not got["tuned"]


def test_tuning_is_visible_to_the_same_probe():
    got = probe("tune")
    assert got["huge_after"] is False
    assert got["kept"] > 200 * 2**20           # freed memory kept for reuse
    assert got["tuned"]


def test_the_command_tunes_its_own_process_unless_told_not_to():
    assert probe("cli")["tuned"] and probe("cli")["kept"] > 200 * 2**20
    off = probe("cli", ADAMANT_TUNING="0")
    assert not off["tuned"] and off["huge_after"] is True and off["kept"] < 32 * 2**20
    own = probe("cli", NUMPY_MADVISE_HUGEPAGE="1")    # the user's numpy setting stands
    assert own["tuned"] and own["huge_after"] is True
