"""Where per-video tasks run: a pool of spawned worker processes on this machine, or a Dask
cluster (dask.distributed), with the same answers and the same failure rules.

tasks.run_tasks chooses between them; this module knows nothing about videos except that a
task's result is a small dict. Rules both backends keep:
- Workers ignore Ctrl-C: the parent stops, reports once, and finished outputs stay; a Ctrl-C
  while workers start is held back until they have started, not lost.
- A worker that dies mid-task (killed, out of memory, a crash in native code) costs only the
  task it was running: the task is retried once, then recorded with `failed(job)`; the rest
  of the batch goes on with fresh workers.
- At most a few tasks are in flight, so the parent never holds every result at once.

Dask is imported only when a cluster is asked for: it is an optional dependency.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import socket
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from expressiveness._interrupts import ignore_interrupt, interrupts_deferred
from expressiveness.errors import ExpressivenessError

FINISHED_STATUSES = ("ok", "no_face")  # results whose "error" field is not a failure
CLUSTER_REFRESH_S = 5.0  # how often a Dask run re-reads the cluster's size (adaptive clusters grow)


class ClusterError(ExpressivenessError, RuntimeError):
    """A Dask cluster cannot be used: its scheduler is unreachable or its scheduler file is not one."""


def worker_died(video) -> str:
    """The error recorded for a video whose worker died twice while processing it."""
    return f"worker died while processing {video} (killed, out of memory or a crash)"


# ---------------------------------------------------------------- the local process pool

def run_in_pool(task: Callable, jobs: list[tuple], workers: int, failed: Callable) -> Iterator:
    """Yield task(*job) for every job, in the order they finish, from `workers` spawned
    processes. A worker that dies breaks the whole pool (BrokenProcessPool) and takes every task
    in flight with it. Those tasks become suspects and rerun one at a time in a fresh pool: one
    that kills its worker alone is retried once more, and if it kills it again it is recorded
    as failed(job); the others finish normally and the batch goes on in parallel."""
    context = multiprocessing.get_context("spawn")
    pending = deque(enumerate(jobs))
    suspects: deque = deque()  # (index, job) to rerun alone
    deaths: dict[int, int] = {}  # job index -> worker deaths while it ran alone
    in_flight: dict = {}  # future -> (index, job)
    alone = False  # the one task in flight is a suspect running alone
    pool = None
    clean_exit = False
    try:
        while pending or suspects or in_flight:
            if pool is None:
                pool = ProcessPoolExecutor(workers, mp_context=context, initializer=ignore_interrupt)
            broken = False
            try:
                with interrupts_deferred():  # a submit may start a worker process
                    if suspects and not in_flight:
                        index, job = suspects[0]
                        in_flight[pool.submit(task, *job)] = (index, job)
                        suspects.popleft()
                        alone = True
                    while not suspects and not alone and pending and len(in_flight) < workers:
                        index, job = pending[0]
                        in_flight[pool.submit(task, *job)] = (index, job)
                        pending.popleft()
            except BrokenProcessPool:  # a worker died since the last wait; its tasks say which
                broken = True
            if not broken:
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    if isinstance(future.exception(), BrokenProcessPool):
                        broken = True
                        continue
                    in_flight.pop(future)
                    alone = False
                    yield future.result()  # a task's own exception is a bug: it ends the run
            if broken:
                pool.shutdown(wait=True)  # every future in flight is now settled
                pool = None
                victims = []
                for future, (index, job) in in_flight.items():
                    if future.exception() is None:
                        yield future.result()
                    else:
                        victims.append((index, job))
                in_flight.clear()
                if alone and victims:  # the suspect killed its worker by itself
                    index, job = victims[0]
                    deaths[index] = deaths.get(index, 0) + 1
                    if deaths[index] >= 2:
                        yield failed(job)
                    else:
                        suspects.appendleft((index, job))
                else:
                    suspects.extend(victims)
                alone = False
        clean_exit = True
    finally:
        if pool is not None:
            if not clean_exit:  # interrupted, or the consumer stopped: running tasks are not wanted
                _stop_processes(pool)
            pool.shutdown(wait=clean_exit, cancel_futures=True)


def _stop_processes(pool: ProcessPoolExecutor) -> None:
    # The executor has no public way to stop a running task; without this, the interpreter
    # waits at exit for every worker to finish its video. Outputs are written atomically, so a
    # worker stopped mid-video leaves at most a temporary file.
    for process in list(getattr(pool, "_processes", {}).values()):
        if process.is_alive():
            process.terminate()


# ---------------------------------------------------------------- a Dask cluster

def run_on_dask(task: Callable, jobs: list[tuple], workers: int, cluster, writable: str | Path | None,
                failed: Callable) -> Iterator:
    """Yield task(*job) for every job, in the order they finish, from a Dask cluster.

    cluster: "local" (a LocalCluster of `workers` processes, one thread each, on 127.0.0.1,
    for this run only), a scheduler address such as "tcp://HOST:8786", a scheduler file, or a
    distributed.Client. writable: the output folder; every worker must be able to write there
    (else OSError before any task starts). Tasks in flight: the cluster's threads, at least
    `workers`. A task whose worker died is retried as the scheduler's allowed-failures says
    (1 for "local"), then recorded as failed(job).
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    with dask_client(cluster, workers) as client:
        if writable is not None:
            check_writable(client, writable)
        pending = deque(jobs)
        jobs_by_key = {}

        def submit():
            job = pending.popleft()
            future = client.submit(_run_on_worker, task, *job, pure=False)
            jobs_by_key[future.key] = job
            return future

        limit, checked = _cluster_threads(client, workers), time.monotonic()
        running = as_completed([submit() for _ in range(min(limit, len(pending)))])
        try:
            for future in running:
                job = jobs_by_key.pop(future.key)
                if future.status == "error" and isinstance(future.exception(), KilledWorker):
                    result = failed(job)
                else:
                    result = future.result()  # a task's own exception is a bug: it ends the run
                future.release()
                if time.monotonic() - checked > CLUSTER_REFRESH_S:
                    limit, checked = _cluster_threads(client, workers), time.monotonic()
                while pending and running.count() < limit:
                    running.add(submit())
                yield result
        finally:
            if running.futures:  # interrupted, or the consumer stopped
                client.cancel(list(running.futures))


def _cluster_threads(client, workers: int) -> int:
    return max(workers, sum(client.nthreads().values()), 1)


def _run_on_worker(task: Callable, *job):
    """task(*job) on a Dask worker; a failure it records names the worker, since on a cluster a
    file can be missing on one machine and present on another."""
    result = task(*job)
    if isinstance(result, dict) and result.get("error") and result.get("status") not in FINISHED_STATUSES:
        result["error"] = f"{result['error']} (on worker {_worker_name()})"
    return result


def _worker_name() -> str:
    from distributed import get_worker

    try:
        address = get_worker().address
    except ValueError:  # not in a worker (a client.run call)
        return socket.gethostname()
    return f"{socket.gethostname()}, {address}"


def check_writable(client, folder: str | Path) -> None:
    """Raise OSError naming the first worker that cannot create a file in `folder` (made
    absolute here: a worker runs in a folder of its own)."""
    answers = client.run(_probe_folder, str(Path(folder).absolute()))
    for address, problem in sorted(answers.items()):
        if problem:
            raise OSError(f"{folder}: the Dask worker at {address} cannot write there ({problem}); the workers "
                          f"need the output folder on a file system they share with this machine.")


def _probe_folder(folder: str) -> str:
    """'' when this process can create and remove a file in `folder`, else what went wrong."""
    probe = Path(folder) / f".write-probe.{socket.gethostname()}.{os.getpid()}.tmp"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        return f"{socket.gethostname()}: {error.strerror or error}"
    return ""


def start_local_cluster(workers: int):
    """A distributed.LocalCluster of `workers` processes with one thread each, on 127.0.0.1 only,
    without a dashboard, whose workers ignore Ctrl-C. A task is retried once after its worker
    dies, and each worker holds one task at a time, so that a death makes only the task that
    was running suspect."""
    import dask
    from distributed import LocalCluster

    settings = {"distributed.scheduler.allowed-failures": 1, "distributed.scheduler.worker-saturation": 1.0,
                # Dask's default trim threshold makes glibc map and unmap every decoded frame:
                # decoding and detection ran 1.5 to 1.8x slower with it.
                "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
    cluster = None
    try:
        with dask.config.set(settings), interrupts_deferred():
            # No dashboard; the scheduler's small HTTP server (health, metrics) takes any free loopback port.
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                   silence_logs=logging.CRITICAL, preload=[__name__])
    except KeyboardInterrupt:  # held back during the start: the new cluster is not wanted
        if cluster is not None:
            cluster.close()
        raise
    return cluster


@contextmanager
def dask_client(cluster, workers: int):
    """A distributed.Client for `cluster` (see run_on_dask); a cluster started here, and any
    client opened here, are closed on the way out."""
    try:
        from distributed import Client
    except ImportError:
        raise ImportError("running on a Dask cluster needs dask.distributed: "
                          "pip install 'dask[distributed]==2026.8.0'") from None

    if not isinstance(cluster, (str, Path)):
        yield cluster  # a Client the caller owns
        return
    text = str(cluster)
    if text == "local":
        local = start_local_cluster(workers)
        try:
            with Client(local) as client:
                yield client
        finally:
            local.close()
        return
    address = text if "://" in text else _scheduler_address(Path(text))
    try:
        client = Client(address)
    except OSError as error:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {error}") from None
    with client:
        yield client


def _scheduler_address(path: Path) -> str:
    """The address in a scheduler file written by `dask scheduler --scheduler-file PATH`."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: Dask scheduler file not found; expected local, an address such as "
                                f"tcp://HOST:8786, or the file written by `dask scheduler --scheduler-file`.")
    try:
        address = json.loads(path.read_text(encoding="utf-8")).get("address")
    except (ValueError, AttributeError):
        address = None
    if not isinstance(address, str) or "://" not in address:
        raise ClusterError(f"{path}: not a Dask scheduler file; expected the JSON file written by "
                           f"`dask scheduler --scheduler-file`, with an \"address\" such as tcp://HOST:8786.")
    return address


def dask_setup(worker) -> None:
    """Dask preload hook, run as each worker of a "local" cluster starts (also after a restart):
    the worker ignores Ctrl-C, which the parent handles."""
    ignore_interrupt()
