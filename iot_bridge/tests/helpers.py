"""What the bridge's integration tests share: the bridge as a subprocess
and its JSON log, a publisher, readings, Odoo over XML-RPC and the rows
of ``wms_iot_reading`` (see conftest.py for the fixtures built on them)."""

import configparser
import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
import xmlrpc.client
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg2
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

BRIDGE_ROOT = Path(__file__).resolve().parent.parent  # iot_bridge/
WAIT = 30.0  # seconds: the longest any expected thing may take
PROFILE = "wms_iot_monitoring.profile_pharma_2_8"


def unique(prefix="t"):
    """A short unique name, usable as a topic segment and a serial."""
    return f"{prefix}{uuid.uuid4().hex[:8]}a"


def wait_until(predicate, timeout=WAIT, interval=0.1, what="the condition"):
    """Poll ``predicate`` until it returns something true (returned), or
    fail after ``timeout`` seconds saying ``what`` was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not after {timeout:.0f} s")
        time.sleep(interval)


# ----------------------------------------------------------------------
# the bridge
# ----------------------------------------------------------------------
class BridgeProcess:
    """``python -m wms_iot_bridge --config FILE`` in a subprocess; its log
    lines (JSON, on stderr) parsed into ``events``, of every run of this
    object (``start()`` again restarts it with the same configuration);
    ``since`` marks where the current run's events begin."""

    def __init__(self, config_path, folder, log_level="DEBUG"):
        self.config_path = Path(config_path)
        self.folder = Path(folder)
        self.log_level = log_level
        self.process = None
        self.events = []  # every parsed line, of every run
        self.lines = []  # every raw line (JSON or not), for failure messages
        self.since = 0
        self.changed = threading.Condition()
        self.readers = []

    def env(self):
        env = {
            name: value
            for name, value in os.environ.items()
            # the environment wins over the file: none of the caller's
            if not name.startswith(("WMS_IOT_BRIDGE_", "WMS_IOT_KEY_"))
        }
        env["PYTHONPATH"] = os.pathsep.join(
            [str(BRIDGE_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def start(self):
        assert not self.running(), "the bridge is already running"
        with self.changed:
            self.since = len(self.events)
        self.process = subprocess.Popen(
            [
                # SIGTERM to the bridge if the tests die (PR_SET_PDEATHSIG,
                # set before the bridge starts): a killed run leaves none
                sys.executable,
                "-c",
                "import ctypes, os, signal, sys; "
                "ctypes.CDLL(None).prctl(1, signal.SIGTERM); "
                "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])",
                "-m",
                "wms_iot_bridge",
                "--config",
                str(self.config_path),
                "--log-level",
                self.log_level,
            ],
            cwd=self.folder,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for stream in (self.process.stdout, self.process.stderr):
            reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
            reader.start()
            self.readers.append(reader)
        return self

    def _read(self, stream):
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            try:
                event = json.loads(line)
            except ValueError:
                event = None
            with self.changed:
                self.lines.append(line)
                if isinstance(event, dict) and "event" in event:
                    self.events.append(event)
                self.changed.notify_all()
        stream.close()

    def running(self):
        return self.process is not None and self.process.poll() is None

    def log_tail(self, count=40):
        with self.changed:
            return "\n".join(self.lines[-count:])

    def find(self, name, since=None, **fields):
        """The events named ``name`` with these field values, from
        ``since`` (an index in ``events``; default: this run's start)."""
        since = self.since if since is None else since
        with self.changed:
            return [
                event
                for event in self.events[since:]
                if event["event"] == name
                and all(event.get(key) == value for key, value in fields.items())
            ]

    def wait_for(self, name, timeout=WAIT, since=None, count=1, **fields):
        """The first ``count`` events named ``name`` (with these fields)
        logged from ``since``; fails if the bridge exits or time runs out."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = self.find(name, since, **fields)
                if len(found) >= count:
                    return found[:count] if count > 1 else found[0]
                if self.process.poll() is not None and not any(
                    reader.is_alive() for reader in self.readers
                ):
                    raise AssertionError(
                        f"the bridge exited ({self.process.returncode}) without "
                        f"logging {name} {fields or ''}:\n{self.log_tail()}"
                    )
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"the bridge logged {len(found)} {name} {fields or ''} "
                        f"in {timeout:.0f} s, not {count}:\n{self.log_tail()}"
                    )
                self.changed.wait(min(left, 0.5))

    def mark(self):
        """An index in ``events``: wait for what comes after it."""
        with self.changed:
            return len(self.events)

    def signal(self, signum):
        self.process.send_signal(signum)

    def wait_exit(self, timeout=WAIT):
        """The exit status, once the process and its log readers are done."""
        try:
            status = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"the bridge still runs {timeout:.0f} s after the signal:\n"
                f"{self.log_tail()}"
            ) from None
        for reader in self.readers:
            reader.join(5)
        self.readers = []
        return status

    def kill(self):
        """SIGKILL: no chance to flush, acknowledge or say goodbye."""
        self.signal(signal.SIGKILL)
        return self.wait_exit()

    def terminate(self):
        """SIGTERM, the clean stop; the exit status."""
        self.signal(signal.SIGTERM)
        return self.wait_exit()

    def cleanup(self):
        if self.running():
            self.process.kill()
            self.process.wait(10)
        for reader in self.readers:
            reader.join(5)


def write_bridge_config(
    path, odoo_url, database, mqtt_settings, client_id, spool, gateways
):
    """The bridge's TOML file: ``gateways`` is {name: key}."""
    text = json.dumps  # a JSON string is a TOML basic string
    lines = [
        "[odoo]",
        f"url = {text(odoo_url)}",
        f"database = {text(database)}",
        "timeout = 10",
        "",
        "[mqtt]",
        f"host = {text(mqtt_settings['host'])}",
        f"port = {int(mqtt_settings['port'])}",
        f"client_id = {text(client_id)}",
        # long enough for a restart, short enough not to pile up sessions
        # in a shared broker
        "session_expiry = 300",
    ]
    if mqtt_settings.get("username"):
        lines.append(f"username = {text(mqtt_settings['username'])}")
    if mqtt_settings.get("password") is not None:
        lines.append(f"password = {text(mqtt_settings['password'])}")
    lines += ["", "[spool]", f"directory = {text(str(spool))}"]
    for name, key in gateways.items():
        lines += ["", f"[gateways.{name}]", f"key = {text(key)}"]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(path, 0o600)
    return Path(path)


# ----------------------------------------------------------------------
# publishing
# ----------------------------------------------------------------------
class Publisher:
    """A paho client (MQTT v5, callback API 2) that publishes with QoS 1
    and returns once the broker acknowledged (PUBACK)."""

    def __init__(self, mqtt_settings):
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=unique("wms-bridge-test-pub-"),
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        if mqtt_settings.get("username"):
            self.client.username_pw_set(
                mqtt_settings["username"], mqtt_settings.get("password")
            )
        self.connected = threading.Event()
        self.client.on_connect = lambda *args: self.connected.set()
        self.client.connect(mqtt_settings["host"], int(mqtt_settings["port"]))
        self.client.loop_start()
        if not self.connected.wait(10):
            raise AssertionError("the test's publisher cannot connect to the broker")

    def publish_raw(self, topic, payload, timeout=10):
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout)
        assert info.is_published(), f"the broker did not acknowledge on {topic}"

    def publish(self, gateway, readings):
        """One message with these readings on the gateway's topic."""
        self.publish_raw(topic(gateway), json.dumps({"readings": readings}))

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def topic(gateway):
    return f"wms/{gateway}/readings"


class Readings:
    """Readings, each a second after the previous one from a day ago (in
    the past, within the retention, for up to 86,400 readings): distinct
    (serial, ts) pairs, temperatures in the 2-8 °C range."""

    def __init__(self):
        self.start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
        self.counter = itertools.count()

    def make(self, serial, count=1):
        items = []
        for _ in range(count):
            k = next(self.counter)
            items.append(
                {
                    "sensor": serial,
                    "ts": (self.start + timedelta(seconds=k)).isoformat(),
                    "temperature": round(3.0 + (k % 40) / 10, 1),
                }
            )
        return items


def expected_rows(readings):
    """(serial, naive UTC ts, temperature) of readings, sorted: how
    ``wms_iot_reading`` stores them."""
    return sorted(
        (
            item["sensor"],
            datetime.fromisoformat(item["ts"]).astimezone(UTC).replace(tzinfo=None),
            item["temperature"],
        )
        for item in readings
    )


class Stream:
    """A thread that publishes a message of one reading per sensor every
    ``interval`` seconds (round-robin over the gateways) until stopped;
    ``published`` holds every reading the broker acknowledged."""

    def __init__(self, publisher, readings, sensors, interval=0.02):
        self.publisher = publisher
        self.readings = readings
        self.sensors = sensors  # [(gateway, serial)]
        self.interval = interval
        self.published = []
        self.error = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            for gateway, serial in itertools.cycle(self.sensors):
                if self.stopping.is_set():
                    return
                items = self.readings.make(serial)
                self.publisher.publish(gateway, items)
                self.published += items
                time.sleep(self.interval)
        except Exception as error:  # reported by stop()
            self.error = error

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def count(self):
        return len(self.published)

    def stop(self):
        self.stopping.set()
        self.thread.join(WAIT)
        if self.error:
            raise AssertionError(f"publishing failed: {self.error}")
        return list(self.published)


# ----------------------------------------------------------------------
# Odoo
# ----------------------------------------------------------------------
class Odoo:
    """Admin's XML-RPC calls to the test database, and its rows read with
    psycopg2 (the database settings of the Odoo configuration file, else
    libpq's defaults: PGHOST, ...)."""

    def __init__(self, config_path, database, url):
        self.config_path = config_path
        self.database = database
        self.url = url
        self._uid = None

    def call(self, model, method, *args, **kwargs):
        # a new connection each time: the server is restarted by some tests
        proxy = xmlrpc.client.ServerProxy(
            f"{self.url}/xmlrpc/2/object", allow_none=True
        )
        return proxy.execute_kw(
            self.database, self.uid, "admin", model, method, list(args), kwargs
        )

    @property
    def uid(self):
        if self._uid is None:
            common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common")
            self._uid = common.authenticate(self.database, "admin", "admin", {})
            assert self._uid, f"admin/admin cannot log in to {self.database}"
        return self._uid

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        found = self.call(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            fields=["res_id"],
        )
        assert found, f"no record {xmlid}"
        return found[0]["res_id"]

    def make_gateway(self, name, sensors=1):
        """A gateway named ``name`` with a fresh key and ``sensors`` sensors
        (pharma 2-8 °C, temperature); returns (key, [serials])."""
        company = self.call("res.users", "read", [self.uid], fields=["company_id"])[0][
            "company_id"
        ][0]
        gateway = self.call(
            "wms.iot.gateway", "create", [{"name": name, "company_id": company}]
        )[0]
        action = self.call("wms.iot.gateway", "action_generate_key", [gateway])
        key = self.call(
            "wms.iot.gateway.key", "read", [action["res_id"]], fields=["key"]
        )[0]["key"]
        location = self.call(
            "stock.location",
            "search",
            [("usage", "=", "internal"), ("company_id", "=", company)],
            limit=1,
        )[0]
        profile = self.ref(PROFILE)
        serials = [f"{name}-s{index}" for index in range(sensors)]
        self.call(
            "wms.iot.sensor",
            "create",
            [
                {
                    "name": serial,
                    "serial": serial,
                    "gateway_id": gateway,
                    "measures": "temperature",
                    "location_id": location,
                    "profile_id": profile,
                    "company_id": company,
                }
                for serial in serials
            ],
        )
        return key, serials

    def connect(self):
        options = configparser.ConfigParser(interpolation=None)
        options.read(self.config_path)
        section = options["options"] if options.has_section("options") else {}
        params = {
            "dbname": self.database,
            "host": section.get("db_host") or None,
            "port": section.get("db_port") or None,
            "user": section.get("db_user") or None,
            "password": section.get("db_password") or None,
        }
        params = {k: v for k, v in params.items() if v and v != "False"}
        connection = psycopg2.connect(**params)
        connection.autocommit = True
        return connection

    def rows(self, serials):
        """(serial, ts, temperature) of the stored readings of these
        sensors, sorted."""
        with contextlib.closing(self.connect()) as connection:
            with connection.cursor() as cr:
                cr.execute(
                    """
                    SELECT s.serial, r.ts, r.temperature
                      FROM wms_iot_reading r
                      JOIN wms_iot_sensor s ON s.id = r.sensor_id
                     WHERE s.serial = ANY(%s)
                    """,
                    [list(serials)],
                )
                return sorted(cr.fetchall())

    def wait_for_rows(self, readings, timeout=WAIT):
        """Wait until the sensors of ``readings`` have as many rows as
        there are readings (or time runs out); then their rows."""
        serials = {item["sensor"] for item in readings}
        deadline = time.monotonic() + timeout
        while True:
            rows = self.rows(serials)
            if len(rows) >= len(readings) or time.monotonic() > deadline:
                return rows
            time.sleep(0.1)
