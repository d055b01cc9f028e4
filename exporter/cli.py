"""Command line: Prometheus-style flags, wiring of config, poller, collector and web server."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry

from exporter import __version__, gctuning, memtuning
from exporter.config.load import ConfigError, load_config
from exporter.config.targets import resolve
from exporter.config.webconfig import load_web_config, server_ssl_context
from exporter.logs import LEVELS, setup_logging
from exporter.serve.collector import LicenseCollector
from exporter.serve.exposition import live_registry
from exporter.serve.guard import connection_limit, raise_descriptor_limit
from exporter.serve.home import Home
from exporter.serve.render import IncrementalRenderer, LayoutError, check_layout
from exporter.serve.server_thread import ServingThread
from exporter.serve.web import make_app
from exporter.sources.tls import check_tls
from exporter.sync.poller import Poller
from exporter.sync.runtime import Runtime
from exporter.sync.shard import parse_shard, select

log = logging.getLogger("exporter")
DEFAULT_LISTEN = ":9877"


def parse_listen_address(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not HOST:PORT (e.g. :9877)")
    return host.strip("[]"), int(port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="atlassian-license-exporter",
        description="Prometheus exporter for Atlassian license usage (Jira, Confluence, "
        "Bitbucket). Also: 'atlassian-license-exporter simulate --help' for the simulator.",
    )
    parser.add_argument(
        "--config.file", dest="config_file", type=Path, help="Path of the YAML configuration file."
    )
    parser.add_argument(
        "--config.check",
        dest="config_check",
        action="store_true",
        help="Check the configuration file and exit (0 valid, 1 invalid).",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="Start the embedded simulator on loopback and monitor it.",
    )
    parser.add_argument(
        "--web.listen-address",
        dest="listen",
        type=parse_listen_address,
        default=parse_listen_address(DEFAULT_LISTEN),
        help=f"Address to listen on (default {DEFAULT_LISTEN}).",
    )
    parser.add_argument(
        "--web.config.file",
        dest="web_config",
        type=Path,
        help="Web config file (exporter-toolkit format): TLS and basic auth for this exporter.",
    )
    parser.add_argument(
        "--web.enable-lifecycle",
        dest="lifecycle",
        action="store_true",
        help="Enable configuration reload over HTTP (POST /-/reload).",
    )
    parser.add_argument(
        "--shard",
        type=parse_shard,
        help="Sync only shard i of n (0-based, e.g. 0/3): n replicas split the applications by "
        "a stable hash of their names.",
    )
    parser.add_argument(
        "--log.level",
        dest="log_level",
        choices=list(LEVELS),
        default="info",
        help="Only log messages at or above this level (default info).",
    )
    parser.add_argument(
        "--log.format",
        dest="log_format",
        choices=["logfmt", "json"],
        default="logfmt",
        help="Log format (default logfmt).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


async def run(args: argparse.Namespace) -> int:
    web_config = load_web_config(args.web_config) if args.web_config else None
    tls = web_config.tls_server_config if web_config else None
    simulator = None
    with gctuning.paused():
        if args.demo:
            # Imported here: the simulator is demo machinery, not loaded on a normal start.
            from exporter.demo import demo_config, start_demo_simulator

            simulator = await start_demo_simulator()
            config, config_path = demo_config(simulator), None
            log.info("demo mode: monitoring the embedded simulator at %s", simulator.base_url)
        else:
            config_path = args.config_file
            config = load_config(config_path)
        poller = Poller(select(resolve(config), args.shard))
    runtime = Runtime(poller, config_path, lifecycle=args.lifecycle, shard=args.shard)
    collector = LicenseCollector(
        lambda: poller.states,
        poller.clock,
        reload_status=lambda: runtime.reload_status,
        sunset=lambda: poller.targets.sunset,
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)  # alone: IncrementalRenderer renders exactly this registry
    await poller.prepare()
    gctuning.tune()  # what start-up built lives as long as the process: out of every collection
    host, port = args.listen
    descriptors = raise_descriptor_limit()
    # HTTP is served from a thread of its own, so a scrape never waits behind the syncs
    # running on this loop (serve/home.py); the poller and every render stay here.
    server = ServingThread()
    await server.start(
        make_app(
            runtime,
            registry,
            web_config,
            IncrementalRenderer(collector),
            # Process, platform and GC metrics: rendered per scrape, after the cached part.
            live_registry(),
            home=Home.current(),
        ),
        host,
        port,
        server_ssl_context(tls) if tls else None,
    )
    log.info(
        "listening address=%s:%d tls=%s basic_auth=%s applications=%d max_connections=%d "
        "descriptors=%d version=%s",
        host or "*",
        port,
        tls is not None,
        bool(web_config and web_config.basic_auth_users),
        len(config.applications),
        connection_limit(),
        descriptors,
        __version__,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    reloads: set[asyncio.Task[None]] = set()  # referenced until done, as asyncio asks
    loop.add_signal_handler(signal.SIGHUP, lambda: _reload_soon(runtime, reloads))
    poll_task = asyncio.create_task(poller.run())
    await stop.wait()
    log.info("shutting down")
    poll_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await poll_task
    await poller.close()
    await server.stop()
    if simulator is not None:
        await simulator.stop()
    return 0


def _reload_soon(runtime: Runtime, tasks: set[asyncio.Task[None]]) -> None:
    task = asyncio.get_running_loop().create_task(_reload(runtime))
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def _reload(runtime: Runtime) -> None:
    with contextlib.suppress(ConfigError):  # already logged; the old config keeps running
        await runtime.reload()


def check_config(path: Path) -> int:
    """`--config.check`: 0 and a summary for a usable file, 1 and every problem otherwise."""
    try:
        config = load_config(path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: still one line, never a traceback quoting the file
        print(f"{path}: cannot load: {type(exc).__name__}", file=sys.stderr)
        return 1
    # Loading the TLS files too: a missing, garbled or encrypted one is a config error here,
    # not a `tls` failure at the first sync.
    problems = [
        f"applications[{i}].link.tls_config.{problem}"
        for i, app in enumerate(config.applications)
        for problem in check_tls(app.link.tls_config)
    ]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    print(f"{path}: configuration OK, {len(config.applications)} application(s)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["simulate"]:
        from exporter.simulator.cli import main as simulate

        return simulate(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.config_file is None and not args.demo:
        parser.error(
            "no configuration: pass --config.file FILE, or --demo to monitor the embedded simulator"
        )
    if args.config_file is not None and args.demo:
        parser.error("--config.file and --demo exclude each other")
    setup_logging(args.log_level, args.log_format)
    if args.config_check:
        if args.config_file is None:
            parser.error("--config.check needs --config.file")
        return check_config(args.config_file)
    try:
        check_layout()
    except LayoutError as exc:
        print(
            f"cannot start: the installed prometheus_client lays out /metrics in a way this "
            f"exporter does not know ({exc}); install the version pyproject.toml names",
            file=sys.stderr,
        )
        return 1
    memtuning.tune()  # before the loop starts threads and the first sync's buffers
    try:
        return asyncio.run(run(args))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 1
