"""Importing adam asks numpy for ordinary pages (no THP advice), unless the user set
NUMPY_MADVISE_HUGEPAGE."""

import os
import subprocess
import sys

import pytest

PROBE = ("import adam\nfrom numpy._core.multiarray import _set_madvise_hugepage as setting\n"
         "print(setting(True))")   # prints the setting adam left


@pytest.mark.parametrize("env, expected", [({}, "False"), ({"NUMPY_MADVISE_HUGEPAGE": "1"}, "True")])
def test_huge_page_advice(env, expected):
    base = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    out = subprocess.run([sys.executable, "-c", PROBE], env={**base, **env}, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == expected
