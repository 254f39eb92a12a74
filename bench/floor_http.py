"""The floors' HTTP session: plain requests, which waits out a 429 as any tap must (the
emulators enforce the documented rate limits, and a floor at 0 ms latency runs faster)."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

# Retry-After when the answer gives one (Brightcove, Rev), else a short backoff (Conviva).
THROTTLED = Retry(
    total=None,
    connect=0,
    read=0,
    redirect=0,
    status=10_000,
    status_forcelist=[429],
    allowed_methods=None,  # every method: Rev's search is a POST
    backoff_factor=0.5,
    backoff_max=5,
    respect_retry_after_header=True,
    raise_on_status=True,
)


def floor_session() -> requests.Session:
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=THROTTLED))
    return session
