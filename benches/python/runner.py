"""The persistent CPython process behind `cargo bench --bench python`.

It speaks JSON lines: one request per line on stdin, one answer per line on the protocol stream
(the original stdout; anything a program prints goes to stderr instead). Start-up is never timed:
the bench starts this process once, sends the jobs once, then asks for runs.

  answer at start  {"ready": {"python": "CPython 3.11.7", "packages": {...}, "unpinned": [...]}}
                   or {"missing": ["aiohttp", ...]} when a required package is not installed
  {"setup": {"bodies": {url: hex or null}, "sites": [url, ...], "workers": W,
             "processes": P, "timeout_s": T, "numbers": {"sum_of_squares": [...], "fib": [...]}}}
                -> {"ok": true}
  {"run": {"program": "threading", "workload": "fib", "iters": K}}
                -> {"ns": [K times in ns]}, or {"error": "one line"}

Each run calls the program's timed function K times, each timed alone with perf_counter_ns
around the call, as the tutorial times it (pool creation included where its program creates the
pool inside). Every call's results are checked; the first wrong one ends the run with an error.
"""

import importlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REQUIRED = ("requests", "aiohttp")


class Settings:
    """What the programs read: CB_WORKERS, CB_PROCESSES and the request timeout (seconds)."""

    def __init__(self, workers, processes, timeout):
        self.workers = workers
        self.processes = processes
        self.timeout = timeout


def pinned_versions():
    """name -> version as requirements.txt pins it."""
    pins = {}
    with open(os.path.join(HERE, "requirements.txt"), encoding="utf-8") as file:
        for line in file:
            line = line.split("#", 1)[0].strip()
            if "==" in line:
                name, version = line.split("==", 1)
                pins[name.strip()] = version.strip()
    return pins


def installed_version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


class Runner:
    def __init__(self):
        self.sites = []
        self.settings = None
        self.numbers = {}
        self.expected = {}

    def setup(self, request):
        import checks

        checks.EXPECTED_BODIES.clear()
        for url, body in request["bodies"].items():
            checks.EXPECTED_BODIES[url] = None if body is None else bytes.fromhex(body)
        self.sites = list(request["sites"])
        self.settings = Settings(request["workers"], request["processes"], request["timeout_s"])
        self.numbers = {name: list(numbers) for name, numbers in request["numbers"].items()}
        self.expected = {
            name: [checks.EXPECTED[name](n) for n in numbers]
            for name, numbers in self.numbers.items()
        }
        return {"ok": True}

    def run(self, request):
        import checks
        import kernels

        workload, iters = request["workload"], int(request["iters"])
        if workload == "download":
            module = importlib.import_module("io_" + request["program"])
            call = lambda: module.download_all_sites(self.sites, self.settings)  # noqa: E731
            expected_count = len(self.sites)
        else:
            module = importlib.import_module("cpu_" + request["program"])
            kernel, numbers = kernels.KERNELS[workload], self.numbers[workload]
            call = lambda: module.compute_all(kernel, numbers, self.settings)  # noqa: E731
            expected_count = len(numbers)
        times = []
        for _ in range(iters):
            start = time.perf_counter_ns()
            results = call()
            times.append(time.perf_counter_ns() - start)
            results = list(results)
            if len(results) != expected_count:
                raise checks.DownloadFailed(f"{len(results)} results for {expected_count} jobs")
            if workload != "download" and results != self.expected[workload]:
                index = next(i for i, (a, b) in enumerate(zip(results, self.expected[workload])) if a != b)
                raise ArithmeticError(
                    f"job {index} ({workload}({numbers[index]})) gave {results[index]}, "
                    f"expected {self.expected[workload][index]}"
                )
        return {"ns": times}

    def handle(self, line):
        request = json.loads(line)
        try:
            if "setup" in request:
                return self.setup(request["setup"])
            if "run" in request:
                return self.run(request["run"])
            return {"error": f"unknown request {sorted(request)}"}
        except Exception as error:  # every failure is reported, as one line
            message = " ".join(f"{type(error).__name__}: {error}".split())
            return {"error": message}


def main():
    # The protocol keeps the real stdout; prints (from programs or pool processes) go to stderr.
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sys.path.insert(0, HERE)

    def send(answer):
        protocol.write(json.dumps(answer) + "\n")
        protocol.flush()

    missing = [name for name in REQUIRED if importlib.util.find_spec(name) is None]
    if missing:
        send({"missing": missing})
        return
    pins = pinned_versions()
    packages = {name: installed_version(name) for name in REQUIRED}
    unpinned = sorted(
        f"{name} {installed_version(name)} (requirements.txt pins {version})"
        for name, version in pins.items()
        if installed_version(name) != version
    )
    python = f"{platform.python_implementation()} {platform.python_version()}"
    send({"ready": {"python": python, "packages": packages, "unpinned": unpinned}})
    runner = Runner()
    for line in sys.stdin:
        if line.strip():
            send(runner.handle(line))


if __name__ == "__main__":
    main()
