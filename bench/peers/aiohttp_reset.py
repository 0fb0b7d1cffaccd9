#!/usr/bin/python3
"""The peer a competent engineer would script: reset each user's OATH device with aiohttp.

One keep-alive session, a semaphore for concurrency, TLS verified against the given CA,
retries with backoff on 429/5xx and connection errors. Prints one JSON line of results.
Usage: aiohttp_reset.py URL TOKEN CA_FILE USERS_FILE CONCURRENCY
"""
import asyncio
import json
import ssl
import sys
import time

import aiohttp


async def reset(session, sem, url, headers, user, stats):
    target = f"{url}/am/json/realms/root/realms/alpha/users/{user}/devices/2fa/oath?_action=reset"
    async with sem:
        for attempt in range(5):
            try:
                async with session.post(target, headers=headers, data=b"{}") as r:
                    await r.read()
                    if r.status == 200:
                        stats["ok"] += 1
                        return
                    if r.status not in (429, 500, 502, 503, 504):
                        stats["failed"] += 1
                        return
            except aiohttp.ClientError:
                pass
            stats["retries"] += 1
            await asyncio.sleep(0.1 * 2 ** attempt)
        stats["failed"] += 1


async def main():
    url, token, ca, users_file, concurrency = sys.argv[1:6]
    users = [line.strip() for line in open(users_file) if line.strip()]
    ctx = ssl.create_default_context(cafile=ca)
    headers = {
        "authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept-API-Version": "resource=1.0",
    }
    stats = {"ok": 0, "failed": 0, "retries": 0}
    sem = asyncio.Semaphore(int(concurrency))
    connector = aiohttp.TCPConnector(limit=int(concurrency), ssl=ctx)
    start = time.monotonic()
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(reset(session, sem, url, headers, u, stats) for u in users))
    stats["elapsed_s"] = time.monotonic() - start
    print(json.dumps(stats))


asyncio.run(main())
