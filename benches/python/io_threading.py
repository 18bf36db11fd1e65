"""The threading I/O program: ThreadPoolExecutor(max_workers=CB_WORKERS), one requests.Session
per thread (threading.local), because a Session is not thread-safe."""

import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from checks import check

thread_local = threading.local()


def get_session():
    if not hasattr(thread_local, "session"):
        thread_local.session = requests.Session()
    return thread_local.session


def download_site(url, timeout):
    with get_session().get(url, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        return check(url, response.status_code, response.content, length)


def download_all_sites(sites, settings):
    with ThreadPoolExecutor(max_workers=settings.workers) as executor:
        # Reading every result re-raises a worker's exception: an unread map would hide it.
        return list(executor.map(lambda url: download_site(url, settings.timeout), sites))
