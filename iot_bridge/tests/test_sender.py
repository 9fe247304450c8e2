"""The sender against a stand-in for Odoo's endpoint: what it does with each
answer (the real endpoint is exercised by test_integration.py)."""

import http.server
import json
import logging
import threading
import time

import pytest

from wms_iot_bridge import logs, sender
from wms_iot_bridge.config import Gateway, OdooSettings
from wms_iot_bridge.spool import Spool


class Endpoint(http.server.ThreadingHTTPServer):
    """Answers with ``self.answer(headers, readings) -> (status, body, headers)``
    and keeps every request."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests = []
        self.answer = lambda headers, readings: (200, ok(readings), {})

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/base"

    def readings(self, status=200):
        return [
            item
            for code, _path, _headers, items in self.requests
            if code == status
            for item in items
        ]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        readings = json.loads(body)["readings"]
        status, answer, headers = self.server.answer(self.headers, readings)
        self.server.requests.append((status, self.path, dict(self.headers), readings))
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def ok(readings, rejected=()):
    return {"accepted": len(readings), "duplicates": 0, "rejected": list(rejected)}


class Events(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append({"event": record.getMessage(), **record.fields})

    def named(self, event):
        return [line for line in self.lines if line["event"] == event]


@pytest.fixture
def events():
    logs.setup("DEBUG")
    handler = Events()
    logs.LOGGER.addHandler(handler)
    yield handler
    logs.LOGGER.removeHandler(handler)


@pytest.fixture
def endpoint():
    server = Endpoint()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def run_sender(tmp_path, endpoint):
    started = []

    def start(gateway=None, spool=None):
        gateway = gateway or Gateway("north", key="aaaaaaaaaaaa.north-key")
        spool = spool or Spool(tmp_path / gateway.name, 10**7)
        stopping = threading.Event()
        settings = OdooSettings(url=endpoint.url, database="wms", timeout=5)
        thread = sender.Sender(gateway, spool, settings, stopping)
        thread.start()
        started.append((thread, stopping))
        return thread, spool

    yield start
    for thread, stopping in started:
        stopping.set()
        thread.join(5)


def spool_readings(spool, serials, per_record=1):
    items = []
    for number, serial in enumerate(serials):
        items.append({"sensor": serial, "ts": 1_700_000_000 + number})
        if len(items) == per_record:
            text = json.dumps(items, separators=(",", ":"))
            spool.append(text[1:-1].encode(), len(items))
            items = []
    spool.sync()


def wait_for(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_batches_of_1000_readings_in_order_with_the_key_and_database(
    run_sender, endpoint, tmp_path
):
    spool = Spool(tmp_path / "north", 10**7)
    serials = [f"S{n:04d}" for n in range(2500)]
    spool_readings(spool, serials, per_record=100)
    run_sender(spool=spool)
    assert wait_for(lambda: spool.pending == 0)
    assert [len(items) for *_rest, items in endpoint.requests] == [1000, 1000, 500]
    assert [item["sensor"] for item in endpoint.readings()] == serials
    _status, path, headers, _items = endpoint.requests[0]
    assert path == "/base/wms/iot/v1/readings"
    assert headers["Authorization"] == "Bearer aaaaaaaaaaaa.north-key"
    assert headers["X-Odoo-Database"] == "wms"
    assert headers["Content-Type"] == "application/json"


def test_a_few_readings_wait_for_the_batch_time(
    run_sender, endpoint, tmp_path, monkeypatch
):
    monkeypatch.setattr(sender, "BATCH_WAIT", 0.5)
    spool = Spool(tmp_path / "north", 10**7)
    run_sender(spool=spool)
    spooled_at = time.monotonic()
    spool_readings(spool, ["A", "B"])
    assert wait_for(lambda: endpoint.requests)
    waited = time.monotonic() - spooled_at
    assert waited >= 0.5
    assert [item["sensor"] for item in endpoint.readings()] == ["A", "B"]


def test_busy_or_unreachable_odoo_means_the_same_batch_again(
    run_sender, endpoint, tmp_path, events
):
    answers = iter([(503, {"error": "busy"}, {"Retry-After": "0"})] * 2)
    endpoint.answer = lambda headers, readings: next(answers, (200, ok(readings), {}))
    spool = Spool(tmp_path / "north", 10**7)
    spool_readings(spool, ["A", "B", "C"], per_record=3)
    run_sender(spool=spool)
    assert wait_for(lambda: spool.pending == 0)
    assert [code for code, *_rest in endpoint.requests] == [503, 503, 200]
    assert [item["sensor"] for item in endpoint.readings()] == ["A", "B", "C"]
    retries = events.named("odoo.retry")
    assert len(retries) == 2 and "HTTP 503: busy" in retries[0]["reason"]


def test_rejected_items_are_logged_with_their_sensor(
    run_sender, endpoint, tmp_path, events
):
    endpoint.answer = lambda headers, readings: (
        200,
        ok(readings[1:], rejected=[{"index": 0, "error": "unknown sensor"}]),
        {},
    )
    spool = Spool(tmp_path / "north", 10**7)
    spool_readings(spool, ["GHOST", "A"], per_record=2)
    run_sender(spool=spool)
    assert wait_for(lambda: events.named("batch.sent"))
    (rejected,) = events.named("reading.rejected")
    assert rejected["sensor"] == "GHOST" and rejected["error"] == "unknown sensor"
    assert events.named("batch.sent")[0]["rejected"] == 1
    assert spool.pending == 0


def test_a_refused_record_is_set_aside_and_the_rest_goes_on(
    run_sender, endpoint, tmp_path, events
):
    def answer(headers, readings):
        if any(item["sensor"] == "BAD" for item in readings):
            return 400, {"error": "more readings than the rate limit"}, {}
        return 200, ok(readings), {}

    endpoint.answer = answer
    spool = Spool(tmp_path / "north", 10**7)
    spool_readings(spool, ["A", "B", "BAD", "C", "D"])
    run_sender(spool=spool)
    assert wait_for(lambda: spool.pending == 0)
    assert [item["sensor"] for item in endpoint.readings()] == ["A", "B", "C", "D"]
    (refused,) = events.named("record.refused")
    kept = [
        json.loads(line)
        for line in (tmp_path / "north" / "refused.jsonl").read_text().splitlines()
    ]
    assert [item["sensor"] for item in kept[0]["readings"]] == ["BAD"]
    assert refused["status"] == 400


def test_a_refused_key_stops_that_gateway_until_its_key_changes(
    run_sender, endpoint, tmp_path, events, monkeypatch
):
    monkeypatch.setattr(sender, "KEY_RECHECK", 0.1)
    endpoint.answer = lambda headers, readings: (
        (200, ok(readings), {})
        if headers["Authorization"] == "Bearer bbbbbbbbbbbb.new"
        else (401, {"error": "invalid key"}, {})
    )
    key_file = tmp_path / "north.key"
    key_file.write_text("aaaaaaaaaaaa.old\n")
    spool = Spool(tmp_path / "north", 10**7)
    spool_readings(spool, ["A", "B"])
    run_sender(Gateway("north", key_file=str(key_file)), spool)
    assert wait_for(lambda: events.named("gateway.unauthorized"))
    time.sleep(0.5)
    assert [code for code, *_rest in endpoint.requests] == [401]  # no hammering
    assert spool.pending == 2  # kept
    key_file.write_text("bbbbbbbbbbbb.new\n")
    assert wait_for(lambda: spool.pending == 0)
    assert events.named("gateway.resumed")
    assert [item["sensor"] for item in endpoint.readings()] == ["A", "B"]
