"""Issue 21 item 12: temporaries of killed writers are cleaned before the next write into
their folder (only adamant's own pattern, only when their process is gone); one writer per
output folder (a clear message naming the folder and the other pid; the lock of a killed
process taken over)."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from adam.errors import OutputError
from adam.io import atomic
from adam.io.atomic import LOCK_NAME, output_lock, write_text


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_temporaries_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic, "_cleaned", set())
    dead, alive = _dead_pid(), os.getppid()
    stale = tmp_path / f".adsl.xpt.adamant-{dead}-k2j4_9x1.tmp"
    live = tmp_path / f".adtte.xpt.adamant-{alive}-ab12cd34.tmp"      # its writer still runs
    others = [tmp_path / ".adsl.xpt.k2j4_9x1.tmp", tmp_path / f"notes-{dead}.tmp",
              tmp_path / f"adamant-{dead}-x.tmp"]                       # not adamant's pattern
    for path in [stale, live, *others]:
        path.write_bytes(b"x" * 100)
    write_text(tmp_path / "adsl.txt", "new")
    assert not stale.exists()
    assert live.exists() and all(p.exists() for p in others)
    assert (tmp_path / "adsl.txt").read_text() == "new"


def test_a_killed_writer_leaves_nothing_for_long(tmp_path):
    """kill -9 in the middle of a write leaves its temporary; the next write removes it."""
    script = textwrap.dedent(f"""
        import sys, time
        from adam.io.atomic import atomic_path
        with atomic_path({str(tmp_path / 'big.xpt')!r}) as tmp:
            tmp.write_bytes(b"x" * 1000)
            print(tmp, flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    left = proc.stdout.readline().strip()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert os.path.exists(left)
    subprocess.run([sys.executable, "-c", f"from adam.io.atomic import write_text; "
                    f"write_text({str(tmp_path / 'other.txt')!r}, 'x')"], check=True)
    assert not os.path.exists(left) and not (tmp_path / "big.xpt").exists()


HOLD = """
import sys, time
from adam.io.atomic import output_lock
with output_lock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_one_writer_per_folder(tmp_path):
    out = tmp_path / "adam"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(OutputError) as caught:
            with output_lock(out):
                pass
        line = caught.value.one_line()
        assert str(out) in line and f"pid {holder.pid}" in line and "\n" not in line
    finally:
        holder.kill()
        holder.wait()
    assert (out / LOCK_NAME).exists()                     # left by the killed holder
    with output_lock(out):                                # taken over
        assert (out / LOCK_NAME).read_text().strip() == str(os.getpid())
        with output_lock(out):                            # re-entrant in one process
            pass
    assert list(out.iterdir()) == []                      # the lock file removed at the end
    with output_lock(tmp_path / "new" / "folder"):
        pass
    assert not (tmp_path / "new").exists()                # made here, left empty: removed


def test_derive_refused_while_another_writes(tmp_path):
    out = tmp_path / "adam"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        res = subprocess.run([sys.executable, "-m", "adam.cli", "derive", "--study", "cdiscpilot01",
                              "--out", str(out)], capture_output=True, text=True)
    finally:
        holder.kill()
        holder.wait()
    assert res.returncode == 2 and len(res.stderr.splitlines()) == 1, res.stderr
    assert f"pid {holder.pid}" in res.stderr and str(out) in res.stderr
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]          # nothing written
