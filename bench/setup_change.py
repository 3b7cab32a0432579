"""A settings change made in HR's set-up console, until `/api/status` answers with it.

The contract deadline is moved back and forth by `PUT /api/setup/settings` (HR's token), and
`/api/status` is read until it shows the new date: the change is validated with the whole set-up
(a roster of N people), written, swapped in and the status page regenerated before the answer.
"""

from __future__ import annotations

import http.client
import json
import time

from bench.client import median
from bench.measure import College, Row, ms

KEY = "15"
CHANGES = 20
TARGET_SECONDS = 1.0
NOTE = (f"Row {KEY}: {CHANGES} changes of the contract deadline (alternately 04-27 and 04-26) through "
        "`PUT /api/setup/settings` with HR's token, each timed from the request until the first `GET /api/status` "
        "that shows the new date (read right after the answer, again until it does), one client.")


def settings_changes(college: College, count: int = CHANGES) -> list[float]:
    assert college.server is not None
    year = college.content.settings.year
    headers = {"Authorization": f"Bearer {college.token}", "Content-Type": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", college.server.port, timeout=120)
    took: list[float] = []
    try:
        for i in range(count):
            day = "04-27" if i % 2 == 0 else "04-26"
            body = json.dumps({"settings": {"deadlines": {"contracts": day}}}).encode()
            began = time.perf_counter()
            conn.request("PUT", "/api/setup/settings", body=body, headers=headers)
            answer = conn.getresponse()
            payload = answer.read()
            if answer.status != 200:
                raise RuntimeError(f"PUT /api/setup/settings: {answer.status} {payload[:300]!r}")
            while True:
                conn.request("GET", "/api/status")
                status = json.loads(conn.getresponse().read())
                if status["deadline"] == f"{year}-{day}":
                    break
            took.append(time.perf_counter() - began)
    finally:
        conn.close()
    return took


def rows(n: int, took: list[float]) -> list[Row]:
    worst = max(took)
    return [Row(KEY, f"a settings change visible in `/api/status` at N={n:,} (median / max of {len(took)})",
                f"{ms(median(took))} / {ms(worst)}", f"< {TARGET_SECONDS:.0f} s", worst < TARGET_SECONDS)]
