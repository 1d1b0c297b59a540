"""Issue 21 item 12: after ``kill -9`` nothing of adamant lives on: a forked child blocked
on its result pipe, a spawned pool worker and multiprocessing's resource tracker die with
their parent."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from adam.parallel import cores

pytestmark = pytest.mark.skipif(cores() < 2 or not sys.platform.startswith("linux"),
                                reason="children are made with two cores or more (Linux /proc)")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"      # a zombie is dead
    except FileNotFoundError:
        return False


def _kill_parent_and_wait(script: str) -> list[int]:
    """Run ``script`` (prints the pids to watch, one line, when they exist), kill -9 it,
    and return those still alive 10 s later."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert pids and all(_alive(p) for p in pids)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    left = [p for p in pids if _alive(p)]
    for p in left:                      # do not leave them to the next test
        os.kill(p, signal.SIGKILL)
    return left


def test_forked_child_blocked_on_its_pipe_dies():
    assert _kill_parent_and_wait("""
        import os, sys, time
        from adam.parallel import forked

        def big():
            return (os.getpid(), b"x" * 50_000_000)     # more than a pipe holds: send blocks

        call = forked(big)
        print(call._process.pid, flush=True)
        time.sleep(60)                                  # never reads the result
    """) == []


def test_pool_worker_and_resource_tracker_die():
    assert _kill_parent_and_wait("""
        import os, time
        from multiprocessing import resource_tracker
        from adam.parallel import second_process

        pool = second_process()
        worker = pool.submit(os.getpid).result()
        pool.submit(time.sleep, 60)
        resource_tracker.ensure_running()
        print(worker, resource_tracker._resource_tracker._pid, flush=True)
        time.sleep(60)
    """) == []
