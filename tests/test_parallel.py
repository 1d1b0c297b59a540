"""adam.parallel: a forked call returns what the call returns (or raises what it raises,
attributes kept), sees this process's data without pickling it, and reports a child that
died; with one core it is an ordinary call."""

import os
import signal

import numpy as np
import pytest

from adam import parallel
from adam.errors import AdamError, ValidationFailed


class Unpicklable:
    def __reduce__(self):
        raise TypeError("no pickling here")


def total_and_pid(frame):
    return float(frame.sum()), os.getpid()


def fail_with_findings():
    raise ValidationFailed("2 errors", findings=["a", "b"], kind="sdtm", file="adsl.xpt")


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def test_forked_call_returns_the_value_from_another_process():
    data = np.arange(1_000_000, dtype=float)
    call = parallel.forked(total_and_pid, data)
    total, pid = call.result()
    assert total == data.sum()
    if parallel.cores() >= 2:
        assert isinstance(call, parallel.ForkedCall) and pid != os.getpid()


def test_forked_call_sees_data_without_pickling_it():
    """Fork shares memory: an argument that cannot be pickled still reaches the call."""
    arg = Unpicklable()
    assert parallel.forked(lambda x: type(x).__name__, arg).result() == "Unpicklable"


def test_forked_exception_is_raised_here_with_its_attributes():
    with pytest.raises(ValidationFailed) as info:
        parallel.forked(fail_with_findings).result()
    exc = info.value
    assert exc.findings == ["a", "b"] and exc.kind == "sdtm" and exc.file == "adsl.xpt"
    assert str(exc) == "adsl.xpt: 2 errors" and exc.exit_code == 1


def test_an_unreturnable_result_is_an_adam_error():
    with pytest.raises(AdamError, match="could not be returned"):
        parallel.forked(Unpicklable).result()


@pytest.mark.skipif(parallel.cores() < 2, reason="one core: calls run in this process")
def test_a_child_that_dies_is_reported():
    with pytest.raises(AdamError, match="ended abnormally"):
        parallel.forked(die).result()


def test_one_core_calls_in_this_process(monkeypatch):
    monkeypatch.setattr(parallel, "cores", lambda: 1)
    call = parallel.forked(total_and_pid, np.ones(3))
    assert call.result() == (3.0, os.getpid())
    assert isinstance(parallel.second_process(), parallel.InThisProcess)
    with pytest.raises(ValidationFailed):
        parallel.forked(fail_with_findings).result()


def sleep_then(seconds, value):
    import time

    time.sleep(seconds)
    return value


@pytest.mark.skipif(parallel.cores() < 2, reason="one core: calls run in this process")
def test_first_done_is_the_first_to_finish_not_the_first_started():
    slow, quick = parallel.forked(sleep_then, 5, "slow"), parallel.forked(sleep_then, 0.1, "quick")
    try:
        assert parallel.first_done([slow, quick]) is quick
        assert quick.result() == "quick"
    finally:
        slow.cancel()


def test_first_done_with_one_core_is_a_call_already_made(monkeypatch):
    monkeypatch.setattr(parallel, "cores", lambda: 1)
    calls = [parallel.forked(sleep_then, 0, k) for k in "ab"]
    assert parallel.first_done(calls).result() == "a"


def _report_steps(name, tick):
    for step in ("synth", "derive", "report"):
        tick(step, name)
    with parallel.second_process() as pool:        # a child of its own: not daemonic
        return pool.submit(os.getpid).result() != os.getpid()


@pytest.mark.skipif(parallel.cores() < 2, reason="one core: calls run in this process")
def test_forked_steps_relay_their_progress_and_may_start_processes():
    """Two forked steps side by side (as demo runs its studies): each one's progress
    reaches this process's callback in order, and each may start a worker of its own."""
    seen = {"a": [], "b": []}
    relay = parallel.TickRelay()
    calls = {name: parallel.forked_step(_report_steps, name, relay(lambda step, who, name=name:
                                                                  seen[name].append((step, who))))
             for name in seen}
    assert all(isinstance(call, parallel.ForkedCall) for call in calls.values())
    with relay:
        assert {name: call.result() for name, call in calls.items()} == {"a": True, "b": True}
    assert seen == {name: [(s, name) for s in ("synth", "derive", "report")] for name in seen}


def test_forked_step_with_one_core_is_an_ordinary_call(monkeypatch):
    monkeypatch.setattr(parallel, "cores", lambda: 1)
    seen = []
    call = parallel.forked_step(_report_steps, "a", lambda step, who: seen.append(step))
    assert call.result() is False and seen == ["synth", "derive", "report"]
