"""The 2024 revision's asyncio CPU program: one coroutine per job, gathered on one event loop.
Nothing awaits anything slow, so the jobs run one after another; fib awaits its own recursion."""

import asyncio

from kernels import ASYNC_KERNELS


async def compute_all_async(kernel, numbers):
    tasks = [ASYNC_KERNELS[kernel.__name__](number) for number in numbers]
    return await asyncio.gather(*tasks)


def compute_all(kernel, numbers, settings):
    return asyncio.run(compute_all_async(kernel, numbers))
