"""Issue 10 item 4: what holders see while the embedded PostgreSQL is killed and comes back.

Start a real ``portal serve --demo`` (embedded PostgreSQL, supervised), put it under load (threads
asking a database-backed route, ``GET /v1/policies``, over and over, and one asking ``/ready``),
SIGKILL the postmaster (holding its restart for 3 s, so the outage outlasts the pool's 1.5 s wait:
see ``restarts_held``), and time: the first 503 (and the slowest answer while down), how long
``/ready`` takes to say 503 ``ready: false``, how long PostgreSQL is down (until a direct
connection succeeds again; ``portal serve`` restarts it), and from then until the route answers
200 again (recovery). ``/`` and an eligibility page are asked throughout too: they need no
database, and every one must answer 200. Prints the figures of each round and their medians.

    python benchmarks/outage.py [--rounds 3] [--load 4]

Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import portal_process

DB_ROUTE = "/v1/policies"
# The holder pages need no database (the banner is read beside them, the answers come from the
# snapshot artifacts): they are asked throughout, and must answer 200 while PostgreSQL is down.
PAGE_ROUTES = ("/", "/eligibility?address=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")


@dataclass
class Answer:
    at: float           # monotonic time the answer arrived
    took: float
    status: int         # 0: no HTTP answer (connection error, client timeout)
    retry_after: str | None = None
    ready: bool | None = None


@dataclass
class Recorder:
    host: str
    port: int
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def ask(self, path: str) -> Answer:
        started = time.monotonic()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            ready = json.loads(body).get("ready") if path == "/ready" else None
            return Answer(time.monotonic(), time.monotonic() - started, response.status,
                          response.getheader("Retry-After"), ready)
        except (OSError, ValueError):
            return Answer(time.monotonic(), time.monotonic() - started, 0)
        finally:
            connection.close()

    def loop(self, name: str, path: str, pause: float) -> None:
        answers = self.answers.setdefault(name, [])
        while not self.stop.is_set():
            answers.append(self.ask(path))
            time.sleep(pause)

    @contextlib.contextmanager
    def running(self, load: int) -> object:
        threads = [threading.Thread(target=self.loop, args=(f"db{i}", DB_ROUTE, 0.01)) for i in range(load)]
        threads.append(threading.Thread(target=self.loop, args=("ready", "/ready", 0.05)))
        threads += [threading.Thread(target=self.loop, args=(f"page{i}", path, 0.05))
                    for i, path in enumerate(PAGE_ROUTES)]
        for thread in threads:
            thread.start()
        try:
            yield self
        finally:
            self.stop.set()
            for thread in threads:
                thread.join()


def postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().splitlines()[0])


def wait_database(owner_url: str, timeout: float) -> float:
    """Poll a direct connection every 20 ms; the monotonic time it first succeeds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(owner_url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return time.monotonic()
        except psycopg.Error:
            time.sleep(0.02)
    raise RuntimeError("PostgreSQL did not come back")


@contextlib.contextmanager
def restarts_held(seconds: float) -> Iterator[None]:
    """Hold pgserver's inter-process start lock for ``seconds``: a restart waits until it is released.

    ``portal serve`` restarts its PostgreSQL within ~2 s here, and an outage shorter than the pool's
    1.5 s wait is absorbed by it (the waiting requests get a fresh connection and succeed), so it
    shows nothing of the 503 path. The supervisor restarts under this lock (as pgserver itself
    does), so holding it while killing makes the outage outlast that wait, with one kill.
    """
    import fasteners
    from pgserver.postgres_server import PostgresServer

    with fasteners.InterProcessLock(PostgresServer.lock_path):
        started = time.monotonic()
        yield
        time.sleep(max(0.0, seconds - (time.monotonic() - started)))


def one_outage(base: str, pgdata: Path, *, load: int, settle: float = 1.0, hold: float = 3.0) -> dict[str, float]:
    """Kill the postmaster under load, hold its restart for ``hold`` s (``restarts_held``), let the
    supervisor bring it back; the figures of that round (seconds)."""
    host, port = "127.0.0.1", int(base.rsplit(":", 1)[1])
    from pgserver.utils import PostmasterInfo

    owner_url = PostmasterInfo.read_from_pgdata(pgdata).get_uri()  # the socket stays where it was
    wait_database(owner_url, 5)
    recorder = Recorder(host, port)
    with recorder.running(load):
        time.sleep(settle)
        with restarts_held(hold):
            killed_at = time.monotonic()
            os.kill(postmaster_pid(pgdata), signal.SIGKILL)
        back_at = wait_database(owner_url, 60)
        time.sleep(3)     # long enough to see recovery
    db = sorted((a for name, answers in recorder.answers.items() if name.startswith("db") for a in answers),
                key=lambda a: a.at)
    ready = recorder.answers["ready"]
    failed = [a for a in db if a.at > killed_at and a.status != 200]
    first_503 = next((a for a in failed if a.status == 503), None)
    ok_after = [a for a in db if a.at > back_at and a.status == 200]
    # recovered: from the first 200 after PostgreSQL is back, nothing but 200s
    recovered = next((a for a in ok_after if all(b.status == 200 for b in db if b.at >= a.at)), None)
    ready_down = [a for a in ready if killed_at < a.at and a.status != 200]
    return {
        "first_503": (first_503.at - killed_at) if first_503 else float("nan"),
        "slowest_failure": max((a.took for a in failed), default=float("nan")),
        "failures_not_503": sum(1 for a in failed if a.status != 503),
        "failures_without_retry_after": sum(1 for a in failed if a.status == 503 and not a.retry_after),
        "ready_slowest": max((a.took for a in ready_down), default=float("nan")),
        "ready_503_false": sum(1 for a in ready_down if a.status == 503 and a.ready is False),
        "ready_down_answers": len(ready_down),
        "pg_down": back_at - killed_at,
        "recovery": (recovered.at - back_at) if recovered else float("nan"),
        "requests": len(db),
        "page_answers_while_down": sum(1 for name, answers in recorder.answers.items() if name.startswith("page")
                                       for a in answers if killed_at < a.at < back_at),
        "page_failures": sum(1 for name, answers in recorder.answers.items() if name.startswith("page")
                             for a in answers if a.status != 200),
    }


@contextlib.contextmanager
def demo_server(data_dir: Path, **kwargs: object) -> object:
    """A supervised ``portal serve --demo``; yields (base URL, pgdata, process)."""
    # The demo runs only in a directory of its own (portal.demo.guard); the server log stays beside it.
    demo_dir = data_dir / "demo"
    env = {**kwargs.pop("env", {}), "PORTAL_DATA_DIR": str(demo_dir)}  # type: ignore[dict-item]
    with portal_process(data_dir, [], extra_args=["--demo"], ready_timeout=120, env=env, **kwargs) as (base, process):
        yield base, demo_dir / "pg", process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--load", type=int, default=4, help="threads asking the database-backed route")
    parser.add_argument("--server", default=None)
    args = parser.parse_args()
    rounds = []
    with tempfile.TemporaryDirectory(prefix="portal-outage-") as tmp, \
            demo_server(Path(tmp), server=args.server) as (base, pgdata, _):
        for number in range(1, args.rounds + 1):
            figures = one_outage(base, pgdata, load=args.load)
            rounds.append(figures)
            print(f"round {number}: first 503 after {figures['first_503']:.2f} s, slowest failed request "
                  f"{figures['slowest_failure']:.2f} s ({figures['failures_not_503']} not 503, "
                  f"{figures['failures_without_retry_after']} without Retry-After); /ready slowest "
                  f"{figures['ready_slowest']:.2f} s ({figures['ready_503_false']}/{figures['ready_down_answers']} "
                  f"were 503 ready=false); PostgreSQL down {figures['pg_down']:.2f} s; recovered "
                  f"{figures['recovery']:.2f} s after it was back; {figures['requests']} requests; holder pages "
                  f"{figures['page_answers_while_down']} answered while it was down, "
                  f"{figures['page_failures']} not 200", flush=True)
        log = (Path(tmp) / "serve.log").read_text(errors="replace")
    for key in ("first_503", "slowest_failure", "ready_slowest", "pg_down", "recovery"):
        values = [r[key] for r in rounds]
        print(f"{key:>16}: median {statistics.median(values):.2f} s  (range {min(values):.2f}-{max(values):.2f})")
    print("\n".join(line for line in log.splitlines() if "embedded PostgreSQL" in line))


if __name__ == "__main__":
    main()
