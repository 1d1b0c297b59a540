"""Work on the machine's other core: a spawned worker process, or a forked call that
shares this process's memory.

- :func:`second_process`: a one-worker process pool (spawned: nothing shared; arguments
  and results pickled) for independent steps such as ``run``'s check beside analyze.
- :func:`forked`: one call computed in a forked child, which sees this process's data
  copy-on-write (nothing pickled on the way in: a million-row frame costs nothing to
  hand over), its result pickled back. ``derive`` validates the ADaM datasets this way
  while this process encodes and writes them; :func:`forked_step` for a call that starts
  processes of its own (``demo`` runs each study's pipeline so), with :class:`TickRelay`
  bringing the children's progress back.

Both fall back to calling in this process when only one core is ours (nothing to gain),
and :func:`forked` also where ``fork`` is not available (Windows, macOS' default).

Children die with their parent (:func:`die_with_parent`): a ``kill -9`` of ``adam`` leaves
no worker behind (nor, as nothing holds its pipe any more, multiprocessing's resource
tracker). A forked child also closes the inherited reading ends of every result pipe, so
its own send fails instead of blocking when the parent is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
import threading
import weakref
from concurrent.futures import Future

from adam.errors import AdamError


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class InThisProcess:
    """The executor interface, running each call at once (one core: nothing to gain)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, *args, **kwargs) -> Future:
        future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # delivered by result(), as from a process
            future.set_exception(exc)
        return future


_PR_SET_PDEATHSIG = 1
_receiving = weakref.WeakSet()      # this process's reading ends of forked calls' pipes


def die_with_parent(signum: int = signal.SIGTERM) -> None:
    """Have this (child) process get ``signum`` when its parent dies: Linux
    ``prctl(PR_SET_PDEATHSIG)``, else a watchdog thread that polls the parent's pid.
    Exits at once when the parent is already gone."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0:
                if os.getppid() != parent or parent == 1:   # died before prctl took hold
                    os._exit(128 + signum)
                return
        except (OSError, AttributeError):
            pass
    threading.Thread(target=_watch_parent, args=(parent, signum), daemon=True,
                     name="adam-parent-watchdog").start()


def _watch_parent(parent: int, signum: int) -> None:
    import time

    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signum)


def _pool_worker_start(tune: bool) -> None:
    """A pool worker's initializer: die with the parent, tuned as it is."""
    die_with_parent()
    if tune:
        from adam.tuning import tune_process
        tune_process()


def second_process():
    """A one-worker process pool (spawned: no state shared with this process) when this
    machine gives us two cores or more, else calls made in this process. The worker is
    tuned as this process is (:mod:`adam.tuning`)."""
    if cores() < 2:
        return InThisProcess()
    from concurrent.futures import ProcessPoolExecutor

    from adam.tuning import tuned

    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_pool_worker_start, initargs=(tuned(),))


def in_other_process(pool) -> bool:
    """Whether ``pool`` (from :func:`second_process`) really runs calls elsewhere."""
    return not isinstance(pool, InThisProcess)


def stop_workers(pool) -> None:
    """End ``pool``'s worker now: its work is not wanted any more (the step it prepared
    for failed). A no-op for calls made in this process."""
    if not in_other_process(pool):
        return
    terminate = getattr(pool, "terminate_workers", None)     # Python >= 3.14
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()                                  # older: the pool's own processes
    pool.shutdown(wait=True, cancel_futures=True)


def forked(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` started in a forked child; ``.result()`` returns its value
    or raises its exception, ``.cancel()`` stops it. Called at once in this process (a
    done :class:`~concurrent.futures.Future`) with one core or without ``fork``."""
    return _fork(fn, args, kwargs, daemon=True)


def first_done(calls: list):
    """The first of ``calls`` (from :func:`forked`) to finish (waits for one)."""
    forked_calls = [call for call in calls if isinstance(call, ForkedCall)]
    if len(forked_calls) < len(calls):              # called in this process: done already
        return next(call for call in calls if not isinstance(call, ForkedCall))
    from multiprocessing.connection import wait

    ready = wait([call._receive for call in forked_calls])
    return next(call for call in forked_calls if call._receive in ready)


def forked_step(fn, *args, **kwargs):
    """As :func:`forked`, for a call that starts processes of its own (a whole pipeline
    ``run``: its check worker, its forked writers), which a daemonic child may not."""
    return _fork(fn, args, kwargs, daemon=False)


def _fork(fn, args, kwargs, daemon: bool):
    if cores() < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return InThisProcess().submit(fn, *args, **kwargs)
    return ForkedCall(fn, args, kwargs, daemon=daemon)


class TickRelay:
    """Progress callbacks called in forked children, run in this process: ``relay(tick)``
    gives a callback to hand to a child, whose calls come back here to ``tick`` (on a
    thread of this process, in order). Fork the children first, then wait for them inside
    ``with relay:`` (the thread starts there: no fork of a threaded process)."""

    def __init__(self):
        self._queue = multiprocessing.get_context("fork").SimpleQueue()
        self._ticks: list = []
        self._thread = None

    def __call__(self, tick):
        self._ticks.append(tick)
        return _RelayedTick(self._queue, len(self._ticks) - 1)

    def __enter__(self):
        import threading

        self._thread = threading.Thread(target=self._deliver, name="adam-ticks", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._queue.put(None)
        self._thread.join()
        return False

    def _deliver(self):
        while (item := self._queue.get()) is not None:
            index, args = item
            try:
                self._ticks[index](*args)
            except Exception:       # a display callback never stops the work
                pass


class _RelayedTick:
    """The callback a child calls: its arguments go to the parent (picklable)."""

    def __init__(self, queue, index: int):
        self._queue, self._index = queue, index

    def __call__(self, *args):
        self._queue.put((self._index, args))


class ForkedCall:
    """A call running in a forked child process; see :func:`forked`."""

    def __init__(self, fn, args, kwargs, daemon: bool = True):
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_call_and_send, args=(send, fn, args, kwargs),
                                        name=f"adam-{getattr(fn, '__name__', 'call')}", daemon=daemon)
        _receiving.add(self._receive)    # closed in every child forked from now on
        self._process.start()
        send.close()                     # the child holds the only sending end

    def result(self):
        """The call's value (waits for it); its exception raised here."""
        try:
            ok, value = self._receive.recv()
        except EOFError:
            self._process.join()
            raise AdamError(f"the worker process ended abnormally (exit code {self._process.exitcode}); "
                            "out of memory? Rerun with one core (taskset -c 0) to work in one process") from None
        finally:
            self._receive.close()
        self._process.join()
        if ok:
            return value
        raise value

    def cancel(self) -> None:
        """Stop the child (its result is not wanted any more): asked to stop (SIGTERM: it
        unwinds, so temporary files are removed), killed if it has not within 10 s."""
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(10)
            if self._process.is_alive():
                self._process.kill()
        self._process.join()
        self._receive.close()


def _call_and_send(send, fn, args, kwargs) -> None:
    """In the child: the call's outcome through ``send`` as ``(ok, value)``. SIGTERM
    (:meth:`ForkedCall.cancel`, or the parent's death) unwinds the call as ``SystemExit``."""
    signal.signal(signal.SIGTERM, _exit_on_term)
    die_with_parent()
    for receive in list(_receiving):     # the parent's reading ends: never this child's
        receive.close()
    try:
        outcome = (True, fn(*args, **kwargs))
    except BaseException as exc:
        outcome = (False, exc)
    try:
        send.send(outcome)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:  # an unpicklable value
        send.send((False, AdamError(f"the worker's result could not be returned: {exc}")))
    except OSError:                      # cancelled: nobody is listening any more
        pass
    finally:
        send.close()


def _exit_on_term(signum, frame):
    raise SystemExit(128 + signum)
