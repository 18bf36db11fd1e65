"""The multiprocessing I/O program: multiprocessing.Pool(CB_PROCESSES), whose initializer makes
one requests.Session per process; pool.map."""

import multiprocessing

import requests

import checks

session = None
timeout = None


def set_global_session(request_timeout, expected_bodies):
    global session, timeout
    if not session:
        session = requests.Session()
    timeout = request_timeout
    # A forked process has them already; a spawned one (macOS, Python 3.14's default) has not.
    checks.EXPECTED_BODIES.update(expected_bodies)


def download_site(url):
    with session.get(url, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        return checks.check(url, response.status_code, response.content, length)


def download_all_sites(sites, settings):
    with multiprocessing.Pool(
        processes=settings.processes,
        initializer=set_global_session,
        initargs=(settings.timeout, checks.EXPECTED_BODIES),
    ) as pool:
        return pool.map(download_site, sites)
