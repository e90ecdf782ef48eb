"""Ctrl-C (SIGINT) held back where a KeyboardInterrupt would do harm, and ignored in workers.

A KeyboardInterrupt can land between any two bytecodes. Inside a library's import or start-up
code it may be swallowed by a bare `except:` (the interrupt is lost and the run goes on) or
printed as "Exception ignored in ..."; inside a process start it reaches the half-started
child. So the parent holds Ctrl-C back (blocked, then recorded) while it loads the libraries
and while it starts processes, and raises it as soon as that step is over.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager


def ignore_interrupt() -> None:
    """Make this process ignore Ctrl-C: the parent reports an interrupt once. A worker starts
    with SIGINT blocked (interrupts_deferred); once it is ignored, unblocking drops any Ctrl-C
    that arrived while the worker was starting."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextmanager
def interrupts_deferred():
    """Hold Ctrl-C back during the block and raise it (KeyboardInterrupt) as soon as the block
    ends. Processes started meanwhile inherit the blocked SIGINT through the spawn's exec, so
    none prints a KeyboardInterrupt traceback during its start-up; the parent records a Ctrl-C
    that reaches any of its threads, so none is lost. Nested blocks release it at the outermost
    end. Only the main thread may change signal handlers; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: caught.append(number))
    was_blocked = signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        if not was_blocked:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # a pending Ctrl-C lands in `caught`
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
    if caught:
        raise KeyboardInterrupt
