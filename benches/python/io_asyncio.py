"""The asyncio I/O program: one aiohttp.ClientSession shared by one task per site, gathered.

Unlike the 2018 tutorial, every body is read and checked, and gather() is not told to return
exceptions: the first failed download fails the run.
"""

import asyncio

import aiohttp

from checks import check


async def download_site(session, url):
    async with session.get(url) as response:
        body = await response.read()
        return check(url, response.status, body, response.headers.get("Content-Length"))


async def download_all_sites_async(sites, timeout):
    # aiohttp's default connector: at most 100 connections at once, as in the tutorial.
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        tasks = [asyncio.ensure_future(download_site(session, url)) for url in sites]
        return await asyncio.gather(*tasks)


def download_all_sites(sites, settings):
    return asyncio.run(download_all_sites_async(sites, settings.timeout))
