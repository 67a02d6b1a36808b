"""The Delayed and Schedule tabs do bounded work: each page sends the same Redis commands on a
delayed queue of 100,000 timestamps (one of them holding 100,000 jobs) as on one of 1,100
timestamps, and every read is a window, never the whole zset or a whole list. Counted with
``MONITOR`` on a private redis-server, so no other test's commands are seen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
import redis
from monitor_harness import Monitor
from starlette.testclient import TestClient

from resque_compat import Resque
from resque_compat.admin import Admin
from resque_compat.config.web import WebSettings
from resque_compat.testing import RedisServer
from resque_compat.web import create_app

T0 = 4102444800  # 2100-01-01: never due
SIDES = {"small": (1_100, 200), "big": (100_000, 100_000)}  # timestamps, jobs at the first one
PAGES = [
    "/delayed",
    "/delayed?start={last}",
    "/delayed?class=Nope",
    "/delayed?class=Nope&from={mid}&at=0",
    f"/delayed?class=Nope&from={T0}&at={{first_last}}",
    f"/delayed/{T0}",
    f"/delayed/{T0}?start={{first_last}}",
    f"/delayed/{T0 + 1}",
    "/api/delayed",
    "/api/delayed?start={last}&count=1000",
    f"/api/delayed/{T0}?start={{first_last}}&count=1000",
    "/schedule",
    "/api/schedule",
]
SEARCHES = [page for page in PAGES if "class=" in page]
SEARCH_BUDGET = 500
"""Delayed items one class search request reads at most."""
WINDOW_MAX = 1000
"""No read may cover more entries of a zset or list than this (the API's largest page)."""
WHOLE = {"keys", "scan", "smembers", "sscan", "zscan", "hscan", "dump", "sort", "lpos"}
"""Commands that would read a key family or a whole key: never sent by these pages."""


def job(i: int) -> bytes:
    return b'{"class":"Archive","args":[%d,"abcdefghijklmnopqrstuvwxy"],"queue":"files"}' % i


def populate(client: redis.Redis, ns: str, timestamps: int, first: int) -> None:
    """``timestamps`` seconds from ``T0`` with one job each, and ``first`` jobs at ``T0``."""
    for lo in range(0, first, 10_000):
        client.rpush(f"{ns}:delayed:{T0}", *[job(i) for i in range(lo, min(first, lo + 10_000))])
    pipe = client.pipeline(transaction=False)
    for ts in range(T0 + 1, T0 + timestamps):
        pipe.rpush(f"{ns}:delayed:{ts}", job(ts))
    pipe.execute()
    for lo in range(0, timestamps, 10_000):
        stamps = range(T0 + lo, T0 + min(timestamps, lo + 10_000))
        client.zadd(f"{ns}:delayed_queue_schedule", {str(ts): ts for ts in stamps})


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    with RedisServer() as srv:
        client = redis.Redis.from_url(srv.url)
        for ns, (timestamps, first) in SIDES.items():
            populate(client, ns, timestamps, first)
            resque = Resque(client, namespace=ns)
            for n in range(3):
                config = {"cron": f"{n} 3 * * * UTC", "class": "Cleanup", "queue": "maint", "persist": True}
                resque.set_schedule(f"nightly-{n}", config)
        client.close()
        yield srv


def commands_of(server: RedisServer, ns: str) -> dict[str, list[tuple[str, list[bytes], bool]]]:
    """The commands each of ``PAGES`` sent on namespace ``ns``, after one warming request."""
    client = redis.Redis.from_url(server.url)
    fill = {
        "last": int(client.zcard(f"{ns}:delayed_queue_schedule")) - 50,
        "first_last": int(client.llen(f"{ns}:delayed:{T0}")) - 50,
        "mid": T0 + 300,
    }
    web_settings = WebSettings(secret="s" * 64, history=False)
    resque = Resque(client, namespace=ns)
    app = create_app(resque=resque, admin=Admin.from_client(resque), web=web_settings)
    out = {}
    with TestClient(app) as web:
        for page in PAGES:
            path = page.format(**fill)
            assert web.get(path).status_code == 200, path
            monitor = Monitor(server.port)
            response = web.get(path)
            out[page] = monitor.stop()
            assert response.status_code == 200, path
    client.close()
    return out


def test_each_delayed_and_schedule_page_sends_the_same_commands_at_100000_timestamps_as_at_1100(
    server: RedisServer,
) -> None:
    small, big = commands_of(server, "small"), commands_of(server, "big")
    for page in PAGES:
        assert big[page], page
        if page not in SEARCHES:
            assert Counter(c[0] for c in big[page]) == Counter(c[0] for c in small[page]), page
    # The Delayed tab: ZRANGE + ZCARD, one LLEN per shown timestamp, and the unmovable count.
    assert Counter(c[0] for c in big["/delayed"]) == Counter({"zrange": 1, "zcard": 1, "llen": 51})
    assert Counter(c[0] for c in big[f"/delayed/{T0}"]) == Counter({"lrange": 1, "llen": 1})


def test_no_delayed_or_schedule_page_reads_a_whole_zset_list_or_key_family(server: RedisServer) -> None:
    for page, seen in commands_of(server, "big").items():
        for name, args, _ in seen:
            assert name not in WHOLE, (page, name)
            if name in ("zrange", "lrange"):
                start, stop = int(args[1]), int(args[2])
                assert 0 <= start <= stop and stop - start < WINDOW_MAX, (page, name, args)
            if name == "hgetall":
                assert args[0] == b"big:persistent_schedules", (page, args)


def items_read(seen: list[tuple[str, list[bytes], bool]]) -> int:
    return sum(int(args[2]) - int(args[1]) + 1 for name, args, _ in seen if name == "lrange")


def test_the_class_search_reads_at_most_500_items_in_the_same_round_trips_at_100000_timestamps(
    server: RedisServer,
) -> None:
    small, big = commands_of(server, "small"), commands_of(server, "big")
    for page in SEARCHES:
        for side in (small[page], big[page]):
            kinds = Counter(c[0] for c in side)
            # The tab's page of timestamps (ZRANGE, ZCARD, 50 LLEN), the unmovable count (LLEN);
            # the search: one ZRANGEBYSCORE window of 201 timestamps, one LLEN each, and one
            # LRANGE per timestamp read (how many depends on how the budget falls on the lists,
            # never on the queue's size).
            lranges = kinds.pop("lrange")
            assert kinds == Counter({"zrange": 1, "zcard": 1, "zrangebyscore": 1, "llen": 252}), page
            assert 1 <= lranges <= SEARCH_BUDGET, (page, lranges)
            assert 0 < items_read(side) <= SEARCH_BUDGET, page
    # From the start: 500 of the 100,000 jobs at the first timestamp; on the small side its 200
    # jobs, then one job at each of the 199 timestamps left in the window.
    assert items_read(big["/delayed?class=Nope"]) == SEARCH_BUDGET
    assert items_read(small["/delayed?class=Nope"]) == 399
    assert items_read(big["/delayed?class=Nope&from={mid}&at=0"]) == 200  # 200 one-job timestamps
    # From item 99,950 of the 100,000-job timestamp: its last 50, then 199 one-job timestamps
    # (the window's end).
    seen = big[f"/delayed?class=Nope&from={T0}&at={{first_last}}"]
    lranges = [(args[0], int(args[1]), int(args[2])) for name, args, _ in seen if name == "lrange"]
    assert lranges[0] == (f"big:delayed:{T0}".encode(), 99_950, 99_999) and len(lranges) == 200
    assert items_read(seen) == 249


def test_the_class_search_asks_for_a_window_of_timestamps_never_the_rest_of_the_zset(
    server: RedisServer,
) -> None:
    for page, seen in commands_of(server, "big").items():
        for name, args, _ in seen:
            if name == "zrangebyscore":
                limit = [a.upper() for a in args].index(b"LIMIT")
                assert int(args[limit + 1]) == 0 and 0 < int(args[limit + 2]) <= WINDOW_MAX, (page, args)
