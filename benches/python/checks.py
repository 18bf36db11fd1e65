"""What a download must be to count, and the exact answers of the CPU jobs.

The same checks as the Rust side (src/workload/io.rs, src/workload/cpu.rs): status 200, the
whole body read, and the body byte for byte equal to the embedded server's page (or, from a
server the suite did not start, as long as its Content-Length says). Anything else raises
DownloadFailed, which stops the run.
"""


class DownloadFailed(Exception):
    """A download that does not count: the message names the URL and what was wrong."""


# The body each URL must have (None: check Content-Length), set once by the runner before any
# program runs. Jobs are URLs, as in the tutorial, so a process pool pickles no page per job.
EXPECTED_BODIES = {}


def check(url, status, body, content_length):
    """The body's size when the response counts; raises DownloadFailed otherwise."""
    if status != 200:
        raise DownloadFailed(f"{url}: status {status}")
    expected = EXPECTED_BODIES[url]
    if expected is None:
        if content_length is None:
            raise DownloadFailed(f"{url}: no Content-Length to check the body against")
        if len(body) != int(content_length):
            raise DownloadFailed(f"{url}: {len(body)} bytes, Content-Length {content_length}")
    elif body != expected:
        if len(body) != len(expected):
            raise DownloadFailed(f"{url}: {len(body)} bytes, expected {len(expected)}")
        offset = next(i for i, (a, b) in enumerate(zip(body, expected)) if a != b)
        raise DownloadFailed(f"{url}: wrong byte at offset {offset}")
    return len(body)


def sum_of_squares_closed_form(n):
    """The sum of i*i for i in 0..n, computed without the loop."""
    return (n - 1) * n * (2 * n - 1) // 6


def fib_iterative(n):
    """fib(n) without the recursion."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


EXPECTED = {"sum_of_squares": sum_of_squares_closed_form, "fib": fib_iterative}
