"""The pure parts of ``make load``: where traffic may go, and the figures read from locust's statistics."""

import csv
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

LOCAL_HOST = "127.0.0.1"


class NotLocal(ValueError):
    pass


def assert_local(url: str) -> str:
    """``url`` itself when it points at 127.0.0.1 over plain HTTP: the load sends traffic nowhere else."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        local = parts.scheme == "http" and ipaddress.ip_address(host) == ipaddress.ip_address(LOCAL_HOST)
    except ValueError:  # a name, not an address: not even localhost, which a resolver could send elsewhere
        local = False
    if not local or parts.username or parts.password:
        raise NotLocal(f"the load goes to http://{LOCAL_HOST} only, not to {url!r}")
    return url


@dataclass(frozen=True)
class Stats:
    """One row of locust's ``<prefix>_stats.csv``: an endpoint, or "Aggregated" for all of them."""

    name: str
    method: str
    requests: int
    failures: int
    per_second: float
    p50: float
    p95: float
    p99: float
    maximum: float


def _number(value: str) -> float:
    return float(value) if value not in ("", "N/A") else 0.0


def stats_from_csv(path: Path) -> list[Stats]:
    """The rows of locust's stats CSV, the "Aggregated" one last."""
    with open(path, newline="") as file:
        return [
            Stats(
                name=row["Name"],
                method=row["Type"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                per_second=_number(row["Requests/s"]),
                p50=_number(row["50%"]),
                p95=_number(row["95%"]),
                p99=_number(row["99%"]),
                maximum=_number(row["Max Response Time"]),
            )
            for row in csv.DictReader(file)
        ]


def aggregated(rows: list[Stats]) -> Stats:
    for row in rows:
        if row.name == "Aggregated":
            return row
    raise ValueError("locust's statistics have no Aggregated row: no request was made")


def load_line(total: Stats) -> str:
    """The line the issue names: ``load: R req/s, p50 A ms, p95 B ms, p99 C ms, errors E``."""
    return (
        f"load: {total.per_second:.1f} req/s, p50 {total.p50:.0f} ms, p95 {total.p95:.0f} ms, "
        f"p99 {total.p99:.0f} ms, errors {total.failures}"
    )


def endpoint_table(rows: list[Stats]) -> list[str]:
    """Each endpoint's figures, the slowest (p95) first: where to look when the total is slow."""
    lines = [f"{'endpoint':<48} {'requests':>8} {'errors':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6}"]
    endpoints = sorted(
        (row for row in rows if row.name != "Aggregated" and row.requests), key=lambda row: -row.p95
    )
    for row in [*endpoints, *(row for row in rows if row.name == "Aggregated")]:
        label = f"{row.method} {row.name}".strip()[:48]
        lines.append(
            f"{label:<48} {row.requests:>8} {row.failures:>6} {row.p50:>6.0f} {row.p95:>6.0f} {row.p99:>6.0f} "
            f"{row.maximum:>6.0f}"
        )
    return lines
