"""The CPU kernels, written as the tutorial writes them (module level, so processes can pickle
them by name)."""


def sum_of_squares(number):
    """The 2018 tutorial's cpu_bound(): the sum of i*i for i in 0..number."""
    return sum(i * i for i in range(number))


def fib(n):
    """The 2024 revision's recursive fib."""
    return n if n < 2 else fib(n - 2) + fib(n - 1)


async def fib_async(n):
    """The 2024 revision's asyncio fib: every call is a coroutine that is awaited."""
    return n if n < 2 else await fib_async(n - 2) + await fib_async(n - 1)


async def sum_of_squares_async(number):
    """sum_of_squares as a coroutine (it never awaits: CPU work cannot give up the loop)."""
    return sum(i * i for i in range(number))


KERNELS = {"sum_of_squares": sum_of_squares, "fib": fib}
ASYNC_KERNELS = {"sum_of_squares": sum_of_squares_async, "fib": fib_async}
