"""``--simulate N``: publish realistic readings for N sensors, for demos and
load tests. It plays the gateways: no bridging, no Odoo.

Each sensor hovers around its set point (a slow random walk pulled back to
it, ±0.3 °C or so); the first one drifts upwards by ``drift`` °C per minute
of device time until it is well out of range, so that a warning, then an
alarm, opens in Odoo. Each tick, every gateway publishes one message (QoS
1) with a reading of each of its sensors to ``wms/<gateway>/readings``.

- Live (the default): a tick every ``interval`` seconds, stamped now.
- ``rate`` (readings per second, for load): ticks as fast as that asks,
  stamped ``interval`` seconds of device time apart from a start in the
  past (so that no reading is in the future); tick k is due at
  ``wall_start + k / ticks_per_second``. Needs ``duration`` or ``count``.

Sensors: ``serials`` (``SERIAL[:SET_POINT][:h]``: ``h`` when it also
measures humidity), else SIM-0001... at 5 °C."""

import json
import logging
import math
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from .logs import log

DEFAULT_SET_POINT = 5.0
HUMIDITY_SET_POINT = 55.0
MAX_DRIFT = 8.0  # °C above its set point, where the drifting sensor stays


class SimulationError(Exception):
    pass


@dataclass
class SimSensor:
    serial: str
    set_point: float = DEFAULT_SET_POINT
    humidity: bool = False
    offset: float = 0.0
    humidity_offset: float = 0.0

    def reading(self, ts, drift, rng):
        self.offset += rng.gauss(0, 0.05) - 0.1 * self.offset
        value = {
            "sensor": self.serial,
            "ts": ts,
            "temperature": round(self.set_point + drift + self.offset, 2),
        }
        if self.humidity:
            self.humidity_offset += rng.gauss(0, 0.3) - 0.1 * self.humidity_offset
            value["humidity"] = round(HUMIDITY_SET_POINT + self.humidity_offset, 1)
        return value


def parse_serials(text, count, humidity=False):
    sensors = []
    for spec in [part.strip() for part in (text or "").split(",") if part.strip()]:
        serial, *options = spec.split(":")
        sensor = SimSensor(serial, humidity=humidity)
        for option in options:
            if option == "h":
                sensor.humidity = True
            else:
                try:
                    sensor.set_point = float(option)
                except ValueError as error:
                    raise SimulationError(
                        f"--serials: {spec!r}: options are a set point in °C "
                        "and 'h' (humidity)"
                    ) from error
        sensors.append(sensor)
    if sensors and len(sensors) < count:
        raise SimulationError(
            f"--simulate {count} but --serials names {len(sensors)} sensors"
        )
    sensors = sensors[:count]
    for number in range(len(sensors), count):
        sensors.append(SimSensor(f"SIM-{number + 1:04d}", humidity=humidity))
    return sensors


class Simulator:
    def __init__(
        self,
        mqtt_settings,
        sensors,
        gateway_names,
        interval=10.0,
        rate=None,
        duration=None,
        count=None,
        drift=0.25,
        seed=None,
    ):
        if not sensors:
            raise SimulationError("--simulate needs at least one sensor")
        if not gateway_names:
            raise SimulationError("--simulate needs at least one gateway name")
        if rate is not None and rate <= 0:
            raise SimulationError("--rate must be positive")
        if rate is not None and duration is None and count is None:
            raise SimulationError("--rate needs --duration or --count")
        self.mqtt = mqtt_settings
        self.sensors = sensors
        self.interval = interval
        self.rate = rate
        self.duration = duration
        self.count = count
        self.drift = drift
        self.rng = random.Random(seed)
        # sensors dealt to the gateways in turn
        self.gateways = {name: [] for name in gateway_names}
        for index, sensor in enumerate(sensors):
            self.gateways[gateway_names[index % len(gateway_names)]].append(sensor)
        self.gateways = {name: group for name, group in self.gateways.items() if group}
        self.stopping = threading.Event()
        self.published = 0
        self.messages = 0

    def _client(self):
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"wms-iot-simulator-{random.getrandbits(32):08x}",
        )
        if self.mqtt.username:
            client.username_pw_set(self.mqtt.username, self.mqtt.password or None)
        if self.mqtt.tls:
            client.tls_set(ca_certs=self.mqtt.ca_file or None)
        client.max_inflight_messages_set(1000)
        client.max_queued_messages_set(0)
        connected = threading.Event()
        answers = []

        def on_connect(client, userdata, flags, reason_code, properties):
            answers.append(reason_code)
            connected.set()

        client.on_connect = on_connect
        try:
            client.connect(self.mqtt.host, self.mqtt.port, keepalive=30)
        except OSError as error:
            raise SimulationError(
                f"cannot reach the broker {self.mqtt.host}:{self.mqtt.port}: {error}"
            ) from error
        client.loop_start()
        if not connected.wait(10) or answers[0].is_failure:
            client.loop_stop()
            why = f"refused it: {answers[0]}" if answers else "did not answer in 10 s"
            raise SimulationError(f"the broker {self.mqtt.host}:{self.mqtt.port} {why}")
        return client

    def total_ticks(self):
        if self.rate is None:
            if self.count is not None:
                return math.ceil(self.count / len(self.sensors))
            if self.duration is not None:
                return max(int(self.duration / self.interval), 1)
            return None
        ticks_per_second = self.rate / len(self.sensors)
        if self.count is not None:
            return math.ceil(self.count / len(self.sensors))
        return max(int(self.duration * ticks_per_second), 1)

    def run(self):
        client = self._client()
        total = self.total_ticks()
        live = self.rate is None
        ticks_per_second = 1 / self.interval if live else self.rate / len(self.sensors)
        now = time.time()
        ts_start = now if live else now - (total * self.interval) - 60
        wall_start = time.time()
        log(
            logging.INFO,
            "simulate.started",
            gateways={name: len(group) for name, group in self.gateways.items()},
            sensors=len(self.sensors),
            rate=self.rate,
            interval=self.interval,
            ticks=total,
            ts_start=ts_start,
            wall_start=wall_start,
            ticks_per_second=ticks_per_second,
        )
        last = None
        tick = 0
        try:
            while not self.stopping.is_set() and (total is None or tick < total):
                due = wall_start + tick / ticks_per_second
                delay = due - time.time()
                if delay > 0 and self.stopping.wait(delay):
                    break
                device_ts = time.time() if live else ts_start + tick * self.interval
                elapsed_minutes = tick * self.interval / 60
                drift = min(self.drift * elapsed_minutes, MAX_DRIFT)
                stamp = datetime.fromtimestamp(device_ts, UTC).isoformat(
                    timespec="seconds" if self.interval >= 1 else "milliseconds"
                )
                for name, group in self.gateways.items():
                    readings = [
                        sensor.reading(
                            stamp, drift if sensor is self.sensors[0] else 0.0, self.rng
                        )
                        for sensor in group
                    ]
                    last = client.publish(
                        f"wms/{name}/readings",
                        json.dumps({"readings": readings}, separators=(",", ":")),
                        qos=1,
                    )
                    self.published += len(readings)
                    self.messages += 1
                tick += 1
            if last is not None:
                deadline = time.time() + 30
                while client.want_write() and time.time() < deadline:
                    time.sleep(0.01)
                last.wait_for_publish(max(deadline - time.time(), 0.1))
        finally:
            client.disconnect()
            client.loop_stop()
            log(
                logging.INFO,
                "simulate.stopped",
                published_readings=self.published,
                messages=self.messages,
                ticks=tick,
            )
        return self.published
