"""Worker processes for batch jobs, started with 'spawn': a fork after TensorFlow or MediaPipe
has started threads can hang."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Iterator


def spawn_map(function: Callable, jobs: list[tuple], workers: int, initializer: Callable,
              initargs: tuple) -> Iterator:
    """Yield function(*job) for every job, in the order they finish, from `workers` spawned
    processes that each ran initializer(*initargs) once. When the consumer stops early or a job
    raises, the jobs not yet started are cancelled."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=initializer, initargs=initargs) as pool:
        futures = [pool.submit(function, *job) for job in jobs]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
