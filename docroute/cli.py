"""The `docroute` command: run the embedded default, one service, or operations tasks."""

from __future__ import annotations

import argparse
import logging
import runpy
import signal
import sys
from pathlib import Path

from docroute import cli_gateway, cli_reprocess, cli_samples
from docroute.embedded import PIPELINE_SERVICES, EmbeddedStack
from docroute.kafka import provision_topics
from docroute.logging import configure_logging
from docroute.restart_policy import RestartPolicy
from docroute.settings import ServiceSettings
from docroute.supervisor import CrashLoopError
from docroute.trace import (
    SCAN_WINDOW,
    TraceError,
    TraceSettings,
    describe,
    read_positions,
    recorded_positions,
    scan,
    summarise,
)

logger = logging.getLogger("docroute")

SERVICES = (*PIPELINE_SERVICES, "api")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="docroute", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run broker, S3, database, every service and the API on 127.0.0.1")
    up.add_argument("--data-dir", type=Path, default=Path(".docroute"), help="where everything is kept")
    up.add_argument("--api-port", type=int, default=8080)
    up.add_argument("--console-port", type=int, default=8090, help="the web console's port (0: a free one)")
    up.add_argument(
        "--crash-loop",
        type=_crash_loop,
        default=(RestartPolicy.loop_crashes, RestartPolicy.loop_window_s),
        metavar="CRASHES/SECONDS",
        help="stop everything when one process crashes this often (default 5/120); below, restart it",
    )
    service = commands.add_parser("service", help="run one service in the foreground")
    service.add_argument("name", choices=SERVICES)
    commands.add_parser(
        "migrate", help="bring the API's database schema to this release (once per deploy, under a lock)"
    )
    topics = commands.add_parser("topics", help="create the pipeline topics")
    topics.add_argument("action", choices=["create"])
    trace_cmd = commands.add_parser("trace", help="show one document's path through the topics")
    trace_cmd.add_argument("document_id")
    trace_cmd.add_argument("--api-url", help="the API that recorded the positions (DOCROUTE_API_URL)")
    trace_cmd.add_argument(
        "--data-dir", type=Path, default=Path(".docroute"), help="read the embedded admin key here"
    )
    cli_samples.add_parser(commands)
    cli_gateway.add_parser(commands)
    cli_reprocess.add_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "samples":
        return cli_samples.run(args)
    if args.command == "gateway":
        return cli_gateway.run(args)
    if args.command == "reprocess":
        return cli_reprocess.run(args)

    if args.command == "service":
        # Services are separate deployables; the CLI only starts them by module name.
        runpy.run_module(f"services.{args.name}", run_name="__main__", alter_sys=True)
        return 0
    if args.command == "migrate":
        # The migrations are the API's (docroute never imports services): run its entry point.
        runpy.run_module("services.api.migrate", run_name="__main__", alter_sys=True)
        return 0
    if args.command == "trace":
        trace_settings = TraceSettings()
        configure_logging("cli", trace_settings.log_level)
        return _trace(trace_settings, args)
    settings = ServiceSettings()
    configure_logging("cli", settings.log_level)
    if args.command == "topics":
        created = provision_topics(settings.kafka)
        logger.info("created %d topics", len(created))
        return 0
    crashes, window_s = args.crash_loop
    policy = RestartPolicy(loop_crashes=crashes, loop_window_s=window_s)
    return _up(EmbeddedStack(args.data_dir, args.api_port, policy, console_port=args.console_port))


def _crash_loop(value: str) -> tuple[int, float]:
    crashes, _, seconds = value.partition("/")
    try:
        parsed = int(crashes), float(seconds)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected CRASHES/SECONDS such as 5/120, got {value!r}") from None
    if parsed[0] < 1 or parsed[1] <= 0:
        raise argparse.ArgumentTypeError(f"expected positive numbers, got {value!r}")
    return parsed


def _up(stack: EmbeddedStack) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started with SIGINT ignored (background jobs)
    try:
        stack.start()
        stack.wait()
    except KeyboardInterrupt:
        logger.info("stopping")
        return 0
    except CrashLoopError as exc:
        logger.error("stopping everything: %s", exc)
        return 1
    except RuntimeError as exc:
        logger.error("%s", exc)
        return 1
    finally:
        stack.stop()
    return 0


def _trace(settings: TraceSettings, args: argparse.Namespace) -> int:
    """Positions from the API, then exactly those records; a bounded scan when the API cannot
    say. Exit 0: events shown; 1: none found; 2: the broker did not answer."""
    document_id, api_url = args.document_id, args.api_url or settings.api_url
    try:
        positions = recorded_positions(api_url, _api_key(settings, args.data_dir), document_id)
    except TraceError as exc:
        sys.stderr.write(
            f"positions unknown ({exc}); scanning the newest {SCAN_WINDOW} records per partition\n"
        )
        positions = None
    try:
        found = read_positions(settings.kafka, document_id, positions) if positions else None
        if found is not None and found.stale:
            sys.stderr.write(f"{found.stale} recorded positions hold other records now; scanning instead\n")
        if found is None or found.stale:
            found = scan(settings.kafka, document_id)
    except TraceError as exc:
        sys.stderr.write(f"{exc}\n")
        for position in positions or ():
            sys.stdout.write(describe(position) + "  (as the API recorded it)\n")
        return 2
    for hop in found.hops:
        sys.stdout.write(summarise(hop) + "\n")
    if not found.hops:
        sys.stderr.write(
            f"no events of {document_id} found ({found.method}, {found.records_read} records read)\n"
        )
    return 0 if found.hops else 1


def _api_key(settings: TraceSettings, data_dir: Path) -> str | None:
    """DOCROUTE_ADMIN_API_KEY, else the embedded default's key file."""
    if settings.admin_api_key is not None:
        return settings.admin_api_key.get_secret_value()
    key_file = data_dir / "admin-api-key"
    return key_file.read_text().strip() if key_file.is_file() else None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # stop like Ctrl-C: every child gets SIGTERM in reverse order


if __name__ == "__main__":
    sys.exit(main())
