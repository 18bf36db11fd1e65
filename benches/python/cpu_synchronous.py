"""The synchronous CPU program: a loop."""


def compute_all(kernel, numbers, settings):
    return [kernel(number) for number in numbers]
