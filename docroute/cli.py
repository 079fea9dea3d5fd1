"""The `docroute` command: run the embedded default, one service, or operations tasks."""

from __future__ import annotations

import argparse
import logging
import runpy
import signal
import sys
from pathlib import Path

from docroute import cli_samples
from docroute.embedded import PIPELINE_SERVICES, EmbeddedStack
from docroute.kafka import provision_topics
from docroute.logging import configure_logging
from docroute.restart_policy import RestartPolicy
from docroute.settings import ServiceSettings
from docroute.supervisor import CrashLoopError
from docroute.trace import summarise, trace

logger = logging.getLogger("docroute")

SERVICES = (*PIPELINE_SERVICES, "api")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="docroute", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run broker, S3, database, every service and the API on 127.0.0.1")
    up.add_argument("--data-dir", type=Path, default=Path(".docroute"), help="where everything is kept")
    up.add_argument("--api-port", type=int, default=8080)
    up.add_argument(
        "--crash-loop",
        type=_crash_loop,
        default=(RestartPolicy.loop_crashes, RestartPolicy.loop_window_s),
        metavar="CRASHES/SECONDS",
        help="stop everything when one process crashes this often (default 5/120); below, restart it",
    )
    service = commands.add_parser("service", help="run one service in the foreground")
    service.add_argument("name", choices=SERVICES)
    topics = commands.add_parser("topics", help="create the pipeline topics")
    topics.add_argument("action", choices=["create"])
    trace_cmd = commands.add_parser("trace", help="show one document's path through the topics")
    trace_cmd.add_argument("document_id")
    cli_samples.add_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "samples":
        return cli_samples.run(args)

    if args.command == "service":
        # Services are separate deployables; the CLI only starts them by module name.
        runpy.run_module(f"services.{args.name}", run_name="__main__", alter_sys=True)
        return 0
    settings = ServiceSettings()
    configure_logging("cli", settings.log_level)
    if args.command == "trace":
        return _trace(settings, args.document_id)
    if args.command == "topics":
        created = provision_topics(settings.kafka)
        logger.info("created %d topics", len(created))
        return 0
    crashes, window_s = args.crash_loop
    policy = RestartPolicy(loop_crashes=crashes, loop_window_s=window_s)
    return _up(EmbeddedStack(args.data_dir, args.api_port, policy))


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


def _trace(settings: ServiceSettings, document_id: str) -> int:
    hops = trace(settings.kafka, document_id)
    for hop in hops:
        sys.stdout.write(summarise(hop) + "\n")
    if not hops:
        sys.stderr.write(f"no events keyed {document_id} on the document topics\n")
    return 0 if hops else 1


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # stop like Ctrl-C: every child gets SIGTERM in reverse order


if __name__ == "__main__":
    sys.exit(main())
