"""The bridge: broker -> spool -> Odoo.

- One MQTT v5 client, fixed ``client_id``, ``clean_start=False`` and a
  session expiry: the broker keeps our subscriptions and the QoS 1
  messages we have not acknowledged while we are away.
- ``manual_ack=True``: ``on_message`` only queues the message. The writer
  thread validates a group of messages, appends them to their gateways'
  spools, ``fsync``s each spool once, and only then acknowledges them
  (group commit: one ``fsync`` for many messages). A message received on a
  connection that has since dropped is not acknowledged: the broker sends
  it again on the new one (the spool may then hold it twice; Odoo stores a
  reading once).
- One sender thread per gateway drains its spool into Odoo (sender.py).
- SIGTERM or SIGINT: new messages are left to the broker, the queued ones
  are spooled and acknowledged, the senders finish the batch in hand, the
  spools are closed."""

import fcntl
import json
import logging
import queue
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from .config import ConfigError
from .logs import enabled, log
from .sender import Sender
from .spool import RECORD_READINGS, Spool

MAX_PAYLOAD = 2 * 1024 * 1024  # the endpoint's limit for a body
MAX_RECORD_BYTES = 1_500_000
WRITER_GROUP = 1000  # messages per group commit at most
STOP_TIMEOUT = 10.0  # seconds for the senders to finish their batch


class Malformed(ValueError):
    pass


def records_of(payload):
    """The spool records of an MQTT payload: ``[(bytes, count)]``.
    Raises Malformed when it is not a JSON object with a ``readings`` list
    (the readings themselves are Odoo's to judge, one by one)."""
    if len(payload) > MAX_PAYLOAD:
        raise Malformed(f"payload of {len(payload)} bytes, over {MAX_PAYLOAD}")
    try:
        data = json.loads(payload, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError included
        raise Malformed(f"not JSON: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("readings"), list):
        raise Malformed('not a JSON object with a "readings" list')
    items = data["readings"]
    records = []
    for start in range(0, len(items), RECORD_READINGS):
        records += _encode(items[start : start + RECORD_READINGS])
    return records


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


def _encode(items):
    try:  # allow_nan: 1e999 is read as inf, which JSON cannot say
        text = json.dumps(
            items, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError as error:
        raise Malformed(f"a number out of range: {error}") from error
    try:
        encoded = text[1:-1].encode()
    except UnicodeEncodeError as error:  # a lone surrogate ("\\ud800")
        raise Malformed(f"not valid Unicode: {error.reason}") from error
    if len(encoded) <= MAX_RECORD_BYTES:
        return [(encoded, len(items))] if items else []
    if len(items) == 1:
        raise Malformed(f"one reading of {len(encoded)} bytes")
    middle = len(items) // 2
    return _encode(items[:middle]) + _encode(items[middle:])


def lock_folder(folder):
    """Create the spool folder (mode 0700: readings are the customers') and
    hold an exclusive lock on it for the life of the process: two bridges
    on one spool would send and delete each other's records."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle = open(folder / ".lock", "a+")  # held until the process exits
    except OSError as error:
        raise ConfigError(
            f"cannot create the spool folder {folder}: {error.strerror}"
        ) from error
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        handle.close()
        raise ConfigError(
            f"another bridge uses the spool folder {folder}: one spool per bridge"
        ) from error
    return handle


class Bridge:
    def __init__(self, settings):
        self.settings = settings
        self.stopping = threading.Event()  # the senders stop
        self.closing = threading.Event()  # no more messages are taken
        self.failed = threading.Event()  # a writer or sender failed: exit 1
        self.inbox = queue.Queue()
        self.generation = 0  # connections so far: stale acks are not sent
        self.subscribed = set()
        self.unsubscribed = set()  # topics of gateways no longer configured
        self.ready_logged = False
        self.lock = threading.Lock()
        self.topics = {gw.topic: gw for gw in settings.gateways.values()}
        folder = Path(settings.spool_directory)
        self.folder_lock = lock_folder(folder)
        # exists while the broker holds our subscriptions: a health check
        # (compose starts the demo's simulator once it is there)
        self.ready_file = folder / "ready"
        self.ready_file.unlink(missing_ok=True)
        max_bytes = int(settings.spool_max_mb * 1024 * 1024)
        self.spools = {
            name: Spool(
                folder / name,
                max_bytes,
                on_drop=self._dropped_reporter(name),
            )
            for name in settings.gateways
        }
        self.senders = [
            Sender(
                gateway,
                self.spools[name],
                settings.odoo,
                self.stopping,
                on_crash=self.failed.set,
            )
            for name, gateway in settings.gateways.items()
        ]
        self.writer = threading.Thread(target=self._write_loop, name="writer")
        self.client = self._client()

    @staticmethod
    def _dropped_reporter(name):
        def dropped(readings, nbytes):
            log(
                logging.ERROR,
                "spool.dropped",
                gateway=name,
                readings=readings,
                bytes=nbytes,
                message=(
                    f"the spool of gateway {name} is full: its {readings} oldest "
                    "readings were dropped unsent (raise spool.max_mb, or bring "
                    "Odoo back)"
                ),
            )

        return dropped

    # ------------------------------------------------------------------
    # MQTT
    # ------------------------------------------------------------------
    def _client(self):
        settings = self.settings.mqtt
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=settings.client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            manual_ack=True,
        )
        if settings.username:
            client.username_pw_set(settings.username, settings.password or None)
        if settings.tls:
            client.tls_set(ca_certs=settings.ca_file or None)
        client.reconnect_delay_set(1, 30)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log(
                logging.ERROR,
                "mqtt.refused",
                reason=str(reason_code),
                host=self.settings.mqtt.host,
                port=self.settings.mqtt.port,
            )
            return
        with self.lock:
            self.generation += 1
            self.subscribed = set()
            self.ready_logged = False
            self.pending_subscriptions = {}
        log(
            logging.INFO,
            "mqtt.connected",
            session_present=bool(flags.session_present),
            client_id=self.settings.mqtt.client_id,
        )
        for topic in self.topics:
            _result, mid = client.subscribe(topic, options=SubscribeOptions(qos=1))
            with self.lock:
                self.pending_subscriptions[mid] = topic

    def _on_connect_fail(self, client, userdata):
        log(
            logging.WARNING,
            "mqtt.unreachable",
            host=self.settings.mqtt.host,
            port=self.settings.mqtt.port,
            message="the broker does not answer: trying again",
        )

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        with self.lock:
            topic = self.pending_subscriptions.pop(mid, None)
        if topic is None:
            return
        code = reason_codes[0]
        gateway = self.topics[topic].name
        if code.is_failure or code.value != 1:
            log(
                logging.ERROR,
                "mqtt.subscribe_refused",
                gateway=gateway,
                topic=topic,
                reason=str(code),
            )
            return
        log(logging.INFO, "mqtt.subscribed", gateway=gateway, topic=topic)
        with self.lock:
            self.subscribed.add(topic)
            ready = len(self.subscribed) == len(self.topics) and not self.ready_logged
            self.ready_logged = self.ready_logged or ready
        if ready:
            self.ready_file.touch()
            log(logging.INFO, "bridge.ready", gateways=sorted(self.spools))

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.ready_file.unlink(missing_ok=True)
        if self.closing.is_set():
            return
        if reason_code == "Session taken over":
            log(
                logging.ERROR,
                "mqtt.session_taken_over",
                client_id=self.settings.mqtt.client_id,
                message="another client connected with this bridge's client_id: "
                "run one bridge per client_id",
            )
        else:
            log(logging.WARNING, "mqtt.disconnected", reason=str(reason_code))

    def _on_message(self, client, userdata, message):
        if self.closing.is_set():
            return  # not acknowledged: the broker keeps it for the next start
        self.inbox.put((self.generation, message))

    # ------------------------------------------------------------------
    # writer: validate, spool, fsync, acknowledge
    # ------------------------------------------------------------------
    def _write_loop(self):
        while True:
            try:
                first = self.inbox.get(timeout=0.2)
            except queue.Empty:
                if self.closing.is_set():
                    return
                continue
            group = [first]
            while len(group) < WRITER_GROUP:
                try:
                    group.append(self.inbox.get_nowait())
                except queue.Empty:
                    break
            try:
                self._write_group(group)
            except Exception as error:  # e.g. a full disk: nothing acknowledged
                log(logging.CRITICAL, "spool.write_failed", error=str(error))
                self.closing.set()
                self.failed.set()
                return

    def _write_group(self, group):
        touched, acks = set(), []
        for generation, message in group:
            gateway = self.topics.get(message.topic)
            name = gateway.name if gateway else None
            if gateway is None:  # a subscription of an earlier configuration
                if message.topic not in self.unsubscribed:
                    self.unsubscribed.add(message.topic)
                    self.client.unsubscribe(message.topic)
                    log(
                        logging.WARNING,
                        "message.unknown_topic",
                        topic=message.topic,
                        message="no gateway of the configuration publishes "
                        "there (a subscription of an earlier configuration, "
                        "now unsubscribed): its messages are dropped",
                    )
            else:
                try:
                    records = records_of(message.payload)
                except Exception as error:  # one bad message must not stop the rest
                    if not isinstance(error, Malformed):
                        error = Malformed(f"{type(error).__name__}: {error}")
                    log(
                        logging.WARNING,
                        "payload.malformed",
                        gateway=name,
                        error=str(error),
                        payload=message.payload[:200].decode("utf-8", "replace"),
                    )
                    records = []
                spool = self.spools[name]
                for payload, count in records:
                    spool.append(payload, count)
                if records:
                    touched.add(name)
                    if enabled(logging.DEBUG):
                        log(
                            logging.DEBUG,
                            "message.spooled",
                            gateway=name,
                            readings=sum(count for _p, count in records),
                        )
            acks.append((generation, message.mid, message.qos))
        for name in touched:
            self.spools[name].sync()
        for generation, mid, qos in acks:
            if qos and generation == self.generation:
                self.client.ack(mid, qos)

    # ------------------------------------------------------------------
    def run(self):
        settings = self.settings.mqtt
        log(
            logging.INFO,
            "bridge.started",
            gateways=sorted(self.spools),
            spooled={name: spool.pending for name, spool in self.spools.items()},
            broker=f"{settings.host}:{settings.port}",
            odoo=self.settings.odoo.url,
            database=self.settings.odoo.database,
        )
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = settings.session_expiry
        properties.ReceiveMaximum = settings.receive_maximum
        self.writer.start()
        for sender in self.senders:
            sender.start()
        self.client.connect_async(
            settings.host,
            settings.port,
            keepalive=settings.keepalive,
            clean_start=False,
            properties=properties,
        )
        self.client.loop_start()

    def stop(self):
        """Stop taking messages, spool and acknowledge the queued ones,
        let the senders finish, close the spools."""
        self.closing.set()
        self.ready_file.unlink(missing_ok=True)
        self.writer.join()
        # the last acknowledgements leave before the disconnection
        deadline = time.monotonic() + 2
        while self.client.want_write() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.client.disconnect()
        self.client.loop_stop()
        self.stopping.set()
        deadline = time.monotonic() + STOP_TIMEOUT  # for all of them
        for sender in self.senders:
            sender.join(max(deadline - time.monotonic(), 0))
        for spool in self.spools.values():
            spool.close()
        log(
            logging.INFO,
            "bridge.stopped",
            spooled={name: spool.pending for name, spool in self.spools.items()},
        )
