"""The 2018 tutorial's multiprocessing CPU program: multiprocessing.Pool(CB_PROCESSES), pool.map."""

import multiprocessing


def compute_all(kernel, numbers, settings):
    with multiprocessing.Pool(processes=settings.processes) as pool:
        return pool.map(kernel, numbers)
