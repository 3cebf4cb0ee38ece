"""Issue 25: the cost of the link rules: generating the lookalikes, building the model, each export.

    python benchmarks/link_exports.py [--repeats 7] [--seen 3000]

Prints medians (ms) of: generating the lookalikes of a two-host policy (uncached), building the
model with ``--seen`` confirmed hosts (generation cached, as the server has it after the first
request), and each export format of that model (Discord: every regex compiled by rure, and each
checked against the official URLs).
"""

from __future__ import annotations

import argparse
import statistics
import time

from policy.document import parse_document
from policy.link_exports import EXPORT_FORMATS, export
from policy.link_rules import build_rules, generate_lookalikes, to_ascii
from policy.links import official_links

DOC = parse_document(
    b'+++\nslug = "official"\nversion = 1\ntitle = "T"\neffective = 2026-11-01T00:00:00Z\n'
    b'expires = 2027-06-01T00:00:00Z\nprev = ""\n'
    b'[[links]]\nlabel = "Portal"\nurl = "https://portal.example.org/"\n'
    b'[[links]]\nlabel = "Docs"\nurl = "https://docs.example.org/migration"\n+++\nbody\n')


def _median_ms(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seen", type=int, default=3000)
    args = parser.parse_args()
    official = official_links(DOC)

    def generate() -> None:
        generate_lookalikes.cache_clear()
        to_ascii.cache_clear()
        generate_lookalikes(official)

    print(f"generate lookalikes (uncached): {_median_ms(generate, args.repeats):.1f} ms median, "
          f"{len(generate_lookalikes(official))} hosts")
    seen = [f"claim-{n}.example-migrate.xyz" for n in range(args.seen)]
    build = lambda: build_rules(official, policy=("official", 1), policy_url="https://p/policy/official",  # noqa: E731
                                seen=seen)
    print(f"build model ({args.seen} confirmed, generation cached): {_median_ms(build, args.repeats):.1f} ms median")
    rules = build()
    for fmt in EXPORT_FORMATS:
        size = len(export(rules, official, fmt))
        print(f"export {fmt}: {_median_ms(lambda f=fmt: export(rules, official, f), args.repeats):.1f} ms median, "
              f"{size} bytes")


if __name__ == "__main__":
    main()
