"""The 2024 revision's CPU program: ProcessPoolExecutor(max_workers=CB_PROCESSES), executor.map."""

from concurrent.futures import ProcessPoolExecutor


def compute_all(kernel, numbers, settings):
    with ProcessPoolExecutor(max_workers=settings.processes) as executor:
        return list(executor.map(kernel, numbers))
