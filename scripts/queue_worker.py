"""Run the outbound queue's delivery loop in a process of its own, as a cron worker does.

    python scripts/queue_worker.py -c odoo.conf -d DB [--batch-size 200] [--lease-seconds 300]
                                   [--until-empty | --until-done] [--max-seconds 600]

Used by the reliability tests (several at once, one killed mid-batch) and the benchmarks.
It calls the same method as the Scheduled Action, with its batches committed one by one.
Prints one JSON line per batch loop with the counts so far.
"""

import argparse
import json
import sys
import time


def _in_flight(registry):
    with registry.cursor() as cr:
        cr.execute(
            "SELECT count(*) FROM integration_message WHERE state IN ('pending', 'failed', 'sending')"
        )
        return cr.fetchone()[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--lease-seconds", type=int, default=None)
    parser.add_argument("--until-empty", action="store_true", help="stop when nothing is due")
    parser.add_argument(
        "--until-done",
        action="store_true",
        help="stop when no message is waiting or in flight (waits for leases to expire)",
    )
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument("--idle-wait", type=float, default=0.2, help="pause when nothing is due")
    parser.add_argument(
        "--start-at",
        type=float,
        default=None,
        help="wall-clock time (epoch seconds) to start delivering at, once loaded: lets a "
        "benchmark start several workers together, without their start-up time",
    )
    args = parser.parse_args(argv)

    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    if args.lease_seconds is not None:
        odoo.tools.config["integration_queue_lease_seconds"] = args.lease_seconds
    registry = Registry(args.database)
    if args.start_at is not None:
        print(json.dumps({"ready_at": time.time()}), flush=True)
        time.sleep(max(0.0, args.start_at - time.time()))
    deadline = time.monotonic() + args.max_seconds
    totals = {}
    last_work_at = None
    while time.monotonic() < deadline:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            counts = env["integration.message"]._process_queue(
                batch_size=args.batch_size, time_budget=min(30.0, deadline - time.monotonic())
            )
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        if counts:
            last_work_at = time.time()
        print(json.dumps(totals), flush=True)
        if not counts:
            if args.until_empty or (args.until_done and not _in_flight(registry)):
                break
            time.sleep(args.idle_wait)
    # When this worker's last useful batch ended: benchmarks time the run up to it.
    print(json.dumps({"finished_at": last_work_at, **totals}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
