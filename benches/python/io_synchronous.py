"""The synchronous I/O program: one requests.Session, a plain loop."""

import requests

from checks import check


def download_site(url, session, timeout):
    with session.get(url, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        return check(url, response.status_code, response.content, length)


def download_all_sites(sites, settings):
    with requests.Session() as session:
        return [download_site(url, session, settings.timeout) for url in sites]
