"""wms-iot-bridge: the command.

    wms-iot-bridge [--config FILE] [--log-level LEVEL]
    wms-iot-bridge [--config FILE] --simulate N [--gateway-names a,b]
                   [--gateways G] [--serials S[:SET_POINT][:h],...]
                   [--interval SECONDS] [--rate READINGS_PER_S]
                   [--duration SECONDS | --count READINGS] [--drift C_PER_MIN]

The configuration file (TOML) defaults to $WMS_IOT_BRIDGE_CONFIG; every
setting can come from the environment instead (see README). Gateway keys
and passwords are never command-line arguments."""

import argparse
import logging
import os
import signal
import sys
import threading
import time

from . import __version__, logs
from .config import ConfigError, load
from .logs import log
from .simulator import SimulationError, Simulator, parse_serials


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="wms-iot-bridge",
        description="MQTT to Odoo bridge for the WMS cold-chain sensors.",
    )
    parser.add_argument(
        "--config",
        default=os.environ.get("WMS_IOT_BRIDGE_CONFIG"),
        help="TOML configuration file (default: $WMS_IOT_BRIDGE_CONFIG)",
    )
    parser.add_argument(
        "--log-level",
        default=os.environ.get("WMS_IOT_BRIDGE_LOG_LEVEL", "INFO"),
        choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
        type=str.upper,
    )
    parser.add_argument("--version", action="version", version=__version__)
    simulate = parser.add_argument_group(
        "simulator", "publish simulated readings instead of bridging"
    )
    simulate.add_argument(
        "--simulate",
        type=int,
        metavar="N",
        help="publish realistic readings for N sensors, the first one slowly "
        "drifting out of range",
    )
    simulate.add_argument(
        "--gateway-names",
        help="the gateways to publish as, comma-separated (default: those of "
        "the configuration, else sim1, sim2...)",
    )
    simulate.add_argument(
        "--gateways",
        type=int,
        default=None,
        help="how many gateways (sim1...) when --gateway-names is not given",
    )
    simulate.add_argument(
        "--serials",
        help="the sensors' serials, comma-separated, each SERIAL[:SET_POINT][:h] "
        "(h: it measures humidity too); default SIM-0001... at 5 °C",
    )
    simulate.add_argument(
        "--humidity", action="store_true", help="every sensor measures humidity"
    )
    simulate.add_argument(
        "--interval",
        type=float,
        default=10.0,
        help="seconds between two readings of a sensor (device time)",
    )
    simulate.add_argument(
        "--rate",
        type=float,
        help="readings per second in all (load mode: device time runs faster "
        "than the clock, from a start in the past)",
    )
    simulate.add_argument("--duration", type=float, help="seconds to publish")
    simulate.add_argument("--count", type=int, help="readings to publish")
    simulate.add_argument(
        "--drift",
        type=float,
        default=0.25,
        help="°C per minute (device time) of the drifting sensor",
    )
    simulate.add_argument("--seed", type=int, help="random seed")
    return parser.parse_args(argv)


def _signals(event):
    first = []

    def handler(signum, _frame):
        name = signal.Signals(signum).name
        # another one, later (not the process group's copy of the first):
        # the clean stop is stuck, the operator insists
        if first and time.monotonic() - first[0] > 2:
            log(logging.ERROR, "signal.exit_now", signal=name)
            os._exit(1)
        if not first:
            first.append(time.monotonic())
            log(logging.INFO, "signal.received", signal=name)
        event.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def simulate(args):
    settings = load(args.config, need_gateways=False)
    if args.gateway_names:
        names = [name.strip() for name in args.gateway_names.split(",")]
    elif args.gateways:
        names = [f"sim{number + 1}" for number in range(args.gateways)]
    else:
        names = list(settings.gateways) or ["sim1"]
    simulator = Simulator(
        settings.mqtt,
        parse_serials(args.serials, args.simulate, humidity=args.humidity),
        names,
        interval=args.interval,
        rate=args.rate,
        duration=args.duration,
        count=args.count,
        drift=args.drift,
        seed=args.seed,
    )
    _signals(simulator.stopping)
    simulator.run()
    return 0


def bridge(args):
    from .bridge import Bridge  # noqa: PLC0415 - the simulator needs no spool

    settings = load(args.config)
    stop = threading.Event()
    _signals(stop)
    instance = Bridge(settings)
    instance.run()
    while not stop.wait(0.5):
        if instance.failed.is_set():  # it could not spool, or a sender died
            instance.stop()
            return 1
    instance.stop()
    return 0


def main(argv=None):
    args = parse_args(argv)
    logs.setup(args.log_level)
    try:
        if args.simulate is not None:
            return sys.exit(simulate(args))
        return sys.exit(bridge(args))
    except (ConfigError, SimulationError) as error:
        log(logging.CRITICAL, "config.error", error=str(error))
        print(f"wms-iot-bridge: {error}", file=sys.stderr)
        sys.exit(2)
