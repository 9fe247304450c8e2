"""The writer: a message is acknowledged only once it is durable in the
spool (a SIGKILL cannot show a missing fsync: written data survives it)."""

import json
from types import SimpleNamespace

import pytest

from wms_iot_bridge.bridge import Bridge
from wms_iot_bridge.config import load


class FakeClient:
    def __init__(self, journal):
        self.journal = journal

    def ack(self, mid, qos):
        self.journal.append(("ack", mid))

    def unsubscribe(self, topic):
        self.journal.append(("unsubscribe", topic))


def message(mid, payload, topic="wms/north/readings", qos=1):
    if not isinstance(payload, bytes):
        payload = json.dumps(payload).encode()
    return SimpleNamespace(topic=topic, payload=payload, mid=mid, qos=qos)


@pytest.fixture
def bridge(tmp_path):
    settings = load(
        None,
        environ={
            "WMS_IOT_BRIDGE_ODOO_DATABASE": "wms",
            "WMS_IOT_BRIDGE_GATEWAYS": "north,south",
            "WMS_IOT_KEY_NORTH": "aaaaaaaaaaaa.north",
            "WMS_IOT_KEY_SOUTH": "bbbbbbbbbbbb.south",
            "WMS_IOT_BRIDGE_SPOOL_DIR": str(tmp_path / "spool"),
        },
    )
    instance = Bridge(settings)
    journal = []
    instance.client = FakeClient(journal)
    for name, spool in instance.spools.items():
        real_sync = spool.sync

        def sync(real_sync=real_sync, name=name):
            real_sync()
            journal.append(("sync", name))

        spool.sync = sync
    instance.generation = 1
    instance.journal = journal
    yield instance
    for spool in instance.spools.values():
        spool.close()
    instance.folder_lock.close()


def reading(serial, ts):
    return {"readings": [{"sensor": serial, "ts": ts, "temperature": 4.0}]}


def test_acknowledged_only_after_the_spool_is_synced(bridge):
    bridge._write_group(
        [
            (1, message(1, reading("A", 1))),
            (1, message(2, reading("B", 2), topic="wms/south/readings")),
            (1, message(3, reading("C", 3))),
        ]
    )
    journal = bridge.journal
    syncs = [index for index, entry in enumerate(journal) if entry[0] == "sync"]
    acks = [index for index, entry in enumerate(journal) if entry[0] == "ack"]
    assert sorted(entry[1] for entry in journal if entry[0] == "sync") == [
        "north",
        "south",
    ]  # one fsync per spool for the whole group
    assert [journal[index][1] for index in acks] == [1, 2, 3]
    assert max(syncs) < min(acks)
    assert bridge.spools["north"].pending == 2
    assert bridge.spools["south"].pending == 1


def test_a_malformed_message_is_acknowledged_and_not_spooled(bridge):
    bridge._write_group([(1, message(7, b"{not json"))])
    assert bridge.journal == [("ack", 7)]
    assert bridge.spools["north"].pending == 0


def test_a_message_of_an_earlier_connection_is_not_acknowledged(bridge):
    # the broker sends it again on the new connection: acknowledging its old
    # message id there could acknowledge another message
    bridge.generation = 2
    bridge._write_group([(1, message(5, reading("A", 1))), (2, message(6, {"x": 1}))])
    assert [entry for entry in bridge.journal if entry[0] == "ack"] == [("ack", 6)]
    assert bridge.spools["north"].pending == 1  # spooled all the same


def test_a_topic_no_longer_configured_is_unsubscribed_once(bridge):
    bridge._write_group(
        [
            (1, message(8, reading("A", 1), topic="wms/old/readings")),
            (1, message(9, reading("A", 2), topic="wms/old/readings")),
        ]
    )
    assert bridge.journal == [
        ("unsubscribe", "wms/old/readings"),
        ("ack", 8),
        ("ack", 9),
    ]


def test_the_ready_file_says_the_subscriptions_are_held(bridge):
    """``<spool>/ready`` exists once every gateway's subscription is granted
    (a health check for Docker), not before."""
    assert not bridge.ready_file.exists()
    granted = SimpleNamespace(is_failure=False, value=1)
    bridge.pending_subscriptions = {1: "wms/north/readings", 2: "wms/south/readings"}
    bridge._on_subscribe(None, None, 1, [granted], None)
    assert not bridge.ready_file.exists()  # south not yet
    bridge._on_subscribe(None, None, 2, [granted], None)
    assert bridge.ready_file.exists()
