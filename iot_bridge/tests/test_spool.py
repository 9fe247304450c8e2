"""The spool on its own: durability, order, bounds, recovery."""

import json

import pytest

from wms_iot_bridge.bridge import lock_folder
from wms_iot_bridge.config import ConfigError
from wms_iot_bridge.spool import FRAME, Spool


def record(number, count=1):
    items = [{"sensor": "S", "ts": number * 1000 + i} for i in range(count)]
    return json.dumps(items, separators=(",", ":"))[1:-1].encode(), count


def numbers(payloads):
    return [json.loads(b"[" + p + b"]")[0]["ts"] // 1000 for p in payloads]


def fill(spool, first, last, count=1):
    for number in range(first, last):
        spool.append(*record(number, count))
    spool.sync()


def bounded(folder, max_bytes, segment_bytes):
    """A small spool, and the list of the readings counts it drops."""
    dropped = []
    spool = Spool(
        folder,
        max_bytes=max_bytes,
        segment_bytes=segment_bytes,
        on_drop=lambda readings, nbytes: dropped.append(readings),
    )
    return spool, dropped


def drain(spool, max_readings=1000):
    got = []
    while True:
        payloads, readings, end = spool.read_batch(max_readings, 10**7)
        if not payloads:
            return got
        got += numbers(payloads)
        spool.commit(end, readings)


def test_only_synced_records_are_read(tmp_path):
    spool = Spool(tmp_path, 10**6)
    spool.append(*record(1))
    assert spool.read_batch(1000, 10**7)[0] == []
    assert spool.pending == 0
    spool.sync()
    assert spool.pending == 1
    payloads, readings, _end = spool.read_batch(1000, 10**7)
    assert numbers(payloads) == [1] and readings == 1


def test_batches_respect_the_reading_limit_and_keep_order(tmp_path):
    spool = Spool(tmp_path, 10**6)
    fill(spool, 0, 10, count=300)
    payloads, readings, end = spool.read_batch(1000, 10**7)
    assert readings == 900 and numbers(payloads) == [0, 1, 2]
    spool.commit(end, readings)
    assert spool.pending == 2100
    assert drain(spool) == list(range(3, 10))
    assert spool.pending == 0


def test_an_uncommitted_batch_is_read_again_after_a_restart(tmp_path):
    spool = Spool(tmp_path, 10**6)
    fill(spool, 0, 5)
    _payloads, readings, end = spool.read_batch(2, 10**7)
    spool.commit(end, readings)
    spool.read_batch(2, 10**7)  # sent, no answer: not committed
    spool.close()
    again = Spool(tmp_path, 10**6)
    assert again.pending == 3
    assert drain(again) == [2, 3, 4]


def test_a_torn_record_at_the_end_is_cut_off(tmp_path):
    spool = Spool(tmp_path, 10**6)
    fill(spool, 0, 3)
    spool.close()
    segment = sorted(tmp_path.glob("*.seg"))[-1]
    payload, count = record(3)
    with open(segment, "ab") as handle:  # a crash in the middle of a write
        handle.write(FRAME.pack(len(payload), 0, count) + payload[:5])
    again = Spool(tmp_path, 10**6)
    assert again.pending == 3
    fill(again, 4, 5)
    assert drain(again) == [0, 1, 2, 4]


def test_segments_rotate_and_consumed_ones_are_deleted(tmp_path):
    spool = Spool(tmp_path, 10**6, segment_bytes=200)
    fill(spool, 0, 40)
    for number in range(40, 60):
        spool.append(*record(number))
        spool.sync()
    assert len(list(tmp_path.glob("*.seg"))) > 3
    assert drain(spool) == list(range(60))
    assert len(list(tmp_path.glob("*.seg"))) == 1


def test_a_full_spool_drops_the_oldest_and_says_how_many(tmp_path):
    spool, dropped = bounded(tmp_path, max_bytes=2000, segment_bytes=500)
    for number in range(100):
        spool.append(*record(number))
        spool.sync()
    assert spool.size() <= 2000 + 500
    kept = drain(spool)
    assert sum(dropped) + len(kept) == 100
    assert dropped and kept == list(range(100 - len(kept), 100))  # the newest


def test_a_commit_into_a_dropped_segment_is_ignored(tmp_path):
    spool, dropped = bounded(tmp_path, max_bytes=1000, segment_bytes=300)
    fill(spool, 0, 5)
    _payloads, readings, end = spool.read_batch(5, 10**7)  # in flight...
    for number in range(5, 60):  # ... while the outage fills the spool
        spool.append(*record(number))
        spool.sync()
    spool.commit(end, readings)  # Odoo took it after all
    kept = drain(spool)
    assert spool.pending == 0
    assert sum(dropped) + len(kept) == 60
    assert kept == sorted(kept) and kept[-1] == 59


def test_the_cursor_survives_a_restart(tmp_path):
    spool = Spool(tmp_path, 10**6)
    fill(spool, 0, 4)
    _payloads, readings, end = spool.read_batch(3, 10**7)
    spool.commit(end, readings)
    spool.close()
    assert (tmp_path / "cursor").read_text().split() == [str(end[0]), str(end[1])]
    assert drain(Spool(tmp_path, 10**6)) == [3]


def test_a_zero_filled_tail_is_cut_off(tmp_path):
    spool = Spool(tmp_path, 10**6)
    fill(spool, 0, 2)
    spool.close()
    segment = sorted(tmp_path.glob("*.seg"))[-1]
    with open(segment, "ab") as handle:  # what some filesystems leave after a crash
        handle.write(b"\0" * 4096)
    again = Spool(tmp_path, 10**6)
    assert again.pending == 2
    fill(again, 2, 3)
    assert drain(again) == [0, 1, 2]


def test_one_bridge_per_spool_folder(tmp_path):
    first = lock_folder(tmp_path / "spool")
    with pytest.raises(ConfigError, match="another bridge uses the spool folder"):
        lock_folder(tmp_path / "spool")
    assert (tmp_path / "spool").stat().st_mode & 0o777 == 0o700
    first.close()
    lock_folder(tmp_path / "spool").close()  # free again once the first exits
