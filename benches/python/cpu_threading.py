"""The threading CPU program: ThreadPoolExecutor(max_workers=CB_WORKERS). The GIL lets one
thread run Python code at a time, so it is no faster than the loop."""

from concurrent.futures import ThreadPoolExecutor


def compute_all(kernel, numbers, settings):
    with ThreadPoolExecutor(max_workers=settings.workers) as executor:
        return list(executor.map(kernel, numbers))
