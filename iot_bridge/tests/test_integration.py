"""The bridge end to end: a real Mosquitto, the bridge as its own process,
a real Odoo server, and the rows of ``wms_iot_reading`` (conftest.py says
what they need).

Every reading published is checked by value: the rows of the test's
sensors are exactly the readings the broker acknowledged, each once."""

import json
import signal

from helpers import WAIT, Readings, Stream, expected_rows, unique, wait_until

from wms_iot_bridge.spool import Spool

BURST_MESSAGES = 10
BURST_READINGS = 1000  # per message: the most a spool record holds


def spool_pending(bridge, gateway):
    """Readings left in a stopped bridge's spool of ``gateway``, read from
    the disk."""
    assert not bridge.running()
    spool = Spool(bridge.spool / gateway, 512 * 1024**2)
    try:
        return spool.pending
    finally:
        spool.close()


def test_published_readings_reach_odoo(odoo, make_bridge, publisher):
    """Publish -> the readings are rows of Odoo, with their values; one
    message may carry readings of several sensors."""
    gateway = unique()
    key, serials = odoo.make_gateway(gateway, sensors=2)
    bridge = make_bridge({gateway: key}).start()
    started = bridge.wait_for("bridge.started")
    assert started["gateways"] == [gateway]
    assert bridge.wait_for("mqtt.subscribed", gateway=gateway)["topic"] == (
        f"wms/{gateway}/readings"
    )
    bridge.wait_for("bridge.ready")
    readings = Readings()
    sent = []
    for _ in range(5):
        items = readings.make(serials[0], 2) + readings.make(serials[1], 1)
        publisher.publish(gateway, items)
        sent += items
    assert odoo.wait_for_rows(sent) == expected_rows(sent)

    def accepted():  # the rows are committed before the answer is logged
        batches = bridge.find("batch.sent", gateway=gateway)
        done = sum(batch["accepted"] for batch in batches) >= len(sent)
        return batches if done else None

    batches = wait_until(accepted, what="batch.sent for every reading")
    assert sum(batch["accepted"] for batch in batches) == len(sent)
    assert not any(batch["rejected"] for batch in batches)


def test_sigterm_stops_cleanly_and_loses_nothing(odoo, make_bridge, publisher):
    """SIGTERM while readings stream in: exit 0 and bridge.stopped; what
    the broker took meanwhile arrives after the next start, each once."""
    gateway = unique()
    key, serials = odoo.make_gateway(gateway)
    bridge = make_bridge({gateway: key}).start()
    bridge.wait_for("bridge.ready")
    readings = Readings()
    with Stream(publisher, readings, [(gateway, serials[0])]) as stream:
        wait_until(lambda: odoo.rows(serials), what="a first row")
        assert bridge.terminate() == 0
        assert bridge.find("bridge.stopped")
        stopped_at = stream.count()
        wait_until(lambda: stream.count() >= stopped_at + 10, what="publishing on")
        bridge.start()
        bridge.wait_for("bridge.ready")
    sent = stream.published
    assert odoo.wait_for_rows(sent) == expected_rows(sent)
    assert bridge.terminate() == 0
    assert bridge.find("bridge.stopped")
    assert spool_pending(bridge, gateway) == 0


def test_odoo_down_readings_spooled_then_stored_once(
    odoo, odoo_service, make_bridge, publisher
):
    """Odoo stopped mid-stream: the readings go to the spool, the bridge
    retries; Odoo back: every reading is there exactly once, and the spool
    is empty."""
    gateway = unique()
    key, serials = odoo.make_gateway(gateway, sensors=2)
    bridge = make_bridge({gateway: key}).start()
    bridge.wait_for("bridge.ready")
    readings = Readings()
    sensors = [(gateway, serial) for serial in serials]
    with Stream(publisher, readings, sensors) as stream:
        wait_until(lambda: len(odoo.rows(serials)) >= 10, what="10 rows")
        odoo_service.stop()
        down = bridge.mark()
        down_at = stream.count()
        stored_at_stop = len(odoo.rows(serials))
        retry = bridge.wait_for("odoo.retry", since=down, gateway=gateway)
        assert retry["delay"] > 0
        # while Odoo is away, what comes in is spooled
        wait_until(lambda: stream.count() >= down_at + 20, what="publishing on")
        bridge.wait_for(
            "message.spooled", since=down, count=20, gateway=gateway, readings=1
        )
        # Odoo really is away: nothing more was stored
        assert len(odoo.rows(serials)) == stored_at_stop
        odoo_service.start_again()
        back_at = stream.count()
        wait_until(lambda: stream.count() >= back_at + 10, what="publishing on")
    sent = stream.published
    # the bridge's backoff may be sleeping its longest (36 s) as Odoo comes back
    assert odoo.wait_for_rows(sent, timeout=WAIT + 36) == expected_rows(sent)
    assert bridge.terminate() == 0
    assert spool_pending(bridge, gateway) == 0


def test_sigkill_and_restart_lose_nothing(odoo, make_bridge, publisher):
    """The bridge killed with SIGKILL mid-stream, while it takes a burst of
    large messages and the publishing goes on, then started again with the
    same configuration (client id, spool): no reading lost, none stored
    twice. (A bridge that acknowledged a message before it is in the spool
    would lose the burst's messages it had received but not yet written.)"""
    gateway = unique()
    key, serials = odoo.make_gateway(gateway, sensors=2)
    bridge = make_bridge({gateway: key}).start()
    bridge.wait_for("bridge.ready")
    readings = Readings()
    burst = []
    with Stream(publisher, readings, [(gateway, serials[0])]) as stream:
        wait_until(lambda: len(odoo.rows(serials)) >= 10, what="10 rows")
        before_burst = bridge.mark()
        for _ in range(BURST_MESSAGES):
            items = readings.make(serials[1], BURST_READINGS)
            publisher.publish(gateway, items)
            burst += items
        # killed while it writes the burst: the first of it is in the spool
        bridge.wait_for("message.spooled", since=before_burst, readings=BURST_READINGS)
        assert bridge.kill() == -signal.SIGKILL
        killed = bridge.find("message.spooled", since=before_burst)
        killed_at = stream.count()
        wait_until(lambda: stream.count() >= killed_at + 20, what="publishing on")
        bridge.start()
        started = bridge.wait_for("bridge.started")
        bridge.wait_for("bridge.ready")
        restarted_at = stream.count()
        wait_until(lambda: stream.count() >= restarted_at + 20, what="publishing on")
    assert started["gateways"] == [gateway]
    sent = stream.published + burst
    rows = odoo.wait_for_rows(sent)
    assert len(rows) == len(sent), f"killed after {len(killed)} messages spooled"
    assert rows == expected_rows(sent)
    assert bridge.terminate() == 0
    assert spool_pending(bridge, gateway) == 0


def test_bad_key_stops_its_gateway_only(odoo, make_bridge, publisher):
    """A gateway whose key Odoo refuses: logged loudly, its readings kept in
    its spool, none stored; the other gateway's readings go on arriving."""
    good, bad = unique(), unique()
    good_key, good_serials = odoo.make_gateway(good)
    bad_key, bad_serials = odoo.make_gateway(bad)
    # the key the bridge has is revoked by a new one
    gateway_id = odoo.call("wms.iot.gateway", "search", [("name", "=", bad)])[0]
    odoo.call("wms.iot.gateway", "action_generate_key", [gateway_id])
    bridge = make_bridge({good: good_key, bad: bad_key}).start()
    bridge.wait_for("bridge.ready")
    readings = Readings()
    sent_good, sent_bad = [], []
    for _ in range(3):
        for gateway, serial, sent in (
            (bad, bad_serials[0], sent_bad),
            (good, good_serials[0], sent_good),
        ):
            items = readings.make(serial, 2)
            publisher.publish(gateway, items)
            sent.extend(items)
    unauthorized = bridge.wait_for("gateway.unauthorized", gateway=bad)
    assert unauthorized["level"] == "CRITICAL"
    assert odoo.wait_for_rows(sent_good) == expected_rows(sent_good)
    # after the refusal, the good gateway goes on; the bad one stays stopped
    after = bridge.mark()
    later_good = readings.make(good_serials[0], 4)
    publisher.publish(good, later_good)
    later_bad = readings.make(bad_serials[0], 4)
    publisher.publish(bad, later_bad)
    sent_good += later_good
    sent_bad += later_bad
    assert odoo.wait_for_rows(sent_good) == expected_rows(sent_good)
    bridge.wait_for("message.spooled", gateway=bad, readings=4, since=after)
    assert bridge.running()
    assert odoo.rows(bad_serials) == []
    assert not bridge.find("gateway.unauthorized", gateway=good)
    assert bridge.terminate() == 0
    assert spool_pending(bridge, bad) == len(sent_bad)
    assert spool_pending(bridge, good) == 0


def test_malformed_payloads_are_logged_and_skipped(odoo, make_bridge, publisher):
    """Not JSON, JSON without a readings list, a reading Odoo refuses: each
    logged and skipped, the bridge runs on and later readings arrive; a
    skipped message does not come back after a restart."""
    gateway = unique()
    key, serials = odoo.make_gateway(gateway)
    bridge = make_bridge({gateway: key}).start()
    bridge.wait_for("bridge.ready")
    topic = f"wms/{gateway}/readings"
    publisher.publish_raw(topic, b"\x00not json{")
    publisher.publish_raw(topic, json.dumps({"values": [1, 2]}))
    publisher.publish_raw(topic, json.dumps([{"sensor": serials[0]}]))
    malformed = bridge.wait_for("payload.malformed", gateway=gateway, count=3)
    assert all(event["level"] == "WARNING" and event["error"] for event in malformed)
    readings = Readings()
    unknown = unique("nosuchsensor")
    first = readings.make(serials[0], 2)
    refused = readings.make(unknown)
    publisher.publish(gateway, [first[0], *refused, first[1]])
    rejected = bridge.wait_for("reading.rejected", gateway=gateway)
    assert rejected["sensor"] == unknown
    assert refused[0]["ts"] in rejected.values()  # the reading's ts
    assert rejected["error"]
    later = readings.make(serials[0], 3)
    publisher.publish(gateway, later)
    sent = first + later
    assert odoo.wait_for_rows(sent) == expected_rows(sent)
    assert bridge.running()
    assert bridge.terminate() == 0
    # acknowledged, not redelivered: a restart sees none of them again
    bridge.start()
    bridge.wait_for("bridge.ready")
    last = readings.make(serials[0])
    publisher.publish(gateway, last)
    assert odoo.wait_for_rows(sent + last) == expected_rows(sent + last)
    assert not bridge.find("payload.malformed")
    assert not bridge.find("reading.rejected")
    assert bridge.terminate() == 0
    assert spool_pending(bridge, gateway) == 0
