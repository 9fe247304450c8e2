"""A gateway's on-disk spool: the bridge's point of durability.

A folder of append-only segment files ``<sequence>.seg`` and a ``cursor``
file. Each record is a frame: payload length, CRC-32 and readings count
(three big-endian 32-bit integers), then the payload, the readings of one
MQTT message (at most ``RECORD_READINGS``) as JSON array items without the
brackets, so that a batch is the records joined by commas.

- ``append()`` writes a record, ``sync()`` makes every appended record
  durable (``fsync``); only then does the bridge acknowledge the messages
  to the broker. A reader sees only durable records.
- ``read_batch()`` returns the records after the cursor (in order, never
  across two segments), ``commit()`` moves the cursor past them once Odoo
  took them (the cursor file is replaced atomically), and deletes the
  segments left behind.
- The spool is bounded: past ``max_bytes``, the oldest segments are
  dropped, and the readings lost are reported to ``on_drop``.
- On start, a torn record at the end of the last segment (a crash during a
  write) is cut off: it was never acknowledged, the broker sends it again.

One thread appends and syncs (the bridge's writer), one reads and commits
(the gateway's sender); both may call the rest."""

import contextlib
import os
import struct
import threading
import time
import zlib
from collections import deque
from pathlib import Path

FRAME = struct.Struct(">III")  # payload length, CRC-32 of the payload, readings
RECORD_READINGS = 1000  # readings per record at most (a batch is whole records)
SUFFIX = ".seg"


class SpoolCorrupt(Exception):
    pass


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Segment:
    __slots__ = ("durable", "path", "seq", "size")

    def __init__(self, folder, seq, size=0):
        self.seq = seq
        self.path = Path(folder) / f"{seq:020d}{SUFFIX}"
        self.size = size  # bytes written
        self.durable = size  # bytes fsynced: what readers may see


class Spool:
    def __init__(self, folder, max_bytes, segment_bytes=None, on_drop=None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_bytes = int(max_bytes)
        self.segment_bytes = int(
            segment_bytes or min(max(self.max_bytes // 8, 64 * 1024), 64 * 1024**2)
        )
        self.on_drop = on_drop or (lambda readings, nbytes: None)
        self.lock = threading.RLock()  # the sender holds it to wait and look
        self.changed = threading.Condition(self.lock)  # notified on sync and drop
        self.segments = []
        self.pending = 0  # durable readings after the cursor
        self._handle = None  # the last segment, open for appending
        self._unsynced = 0  # readings appended, not yet durable
        self._arrivals = deque()  # (seq, end offset, monotonic time) per sync
        self._recover()

    # ------------------------------------------------------------------
    # start
    # ------------------------------------------------------------------
    def _recover(self):
        seqs = sorted(
            int(path.stem)
            for path in self.folder.glob("*" + SUFFIX)
            if path.stem.isdigit()
        )
        for seq in seqs:
            segment = Segment(self.folder, seq)
            segment.size = segment.durable = segment.path.stat().st_size
            self.segments.append(segment)
        if self.segments:
            last = self.segments[-1]
            valid = self._valid_length(last)
            if valid != last.size:  # a torn write: never acknowledged
                with open(last.path, "r+b") as handle:
                    handle.truncate(valid)
                    handle.flush()
                    os.fsync(handle.fileno())
                last.size = last.durable = valid
        else:
            self._new_segment(1)
        self.cursor = self._load_cursor()
        self.pending = self._count_from(self.cursor)
        # what was spooled before this start is due at once
        self._recovered_until = (self.segments[-1].seq, self.segments[-1].durable)
        self._handle = open(self.segments[-1].path, "ab")

    def _valid_length(self, segment):
        """The length of the segment's prefix made of whole, valid frames."""
        offset = 0
        with open(segment.path, "rb") as handle:
            while True:
                header = handle.read(FRAME.size)
                if len(header) < FRAME.size:
                    return offset
                length, crc, count = FRAME.unpack(header)
                if not length or not count:  # zeros: a filesystem's torn tail
                    return offset
                payload = handle.read(length)
                if len(payload) < length or zlib.crc32(payload) != crc:
                    return offset
                offset += FRAME.size + length

    def _load_cursor(self):
        first = self.segments[0]
        try:
            seq, offset = map(
                int, (self.folder / "cursor").read_text(encoding="ascii").split()
            )
        except (OSError, ValueError):
            return (first.seq, 0)
        for segment in self.segments:
            if segment.seq == seq and 0 <= offset <= segment.durable:
                return (seq, offset)
        if seq < first.seq:  # its segment was dropped or done
            return (first.seq, 0)
        return (first.seq, 0)

    def _count_from(self, position):
        total = 0
        for segment in self.segments:
            if segment.seq < position[0]:
                continue
            start = position[1] if segment.seq == position[0] else 0
            total += self._count_in(segment, start, segment.durable)
        return total

    @staticmethod
    def _count_in(segment, start, end):
        total, offset = 0, start
        with open(segment.path, "rb") as handle:
            while offset < end:
                handle.seek(offset)
                length, _crc, count = FRAME.unpack(handle.read(FRAME.size))
                total += count
                offset += FRAME.size + length
        return total

    def _new_segment(self, seq):
        segment = Segment(self.folder, seq)
        segment.path.touch()
        _fsync_dir(self.folder)
        self.segments.append(segment)
        return segment

    # ------------------------------------------------------------------
    # writer side
    # ------------------------------------------------------------------
    def append(self, payload, count):
        """Append one record (not yet durable: call ``sync()``)."""
        frame = FRAME.pack(len(payload), zlib.crc32(payload), count) + payload
        self._handle.write(frame)
        self.segments[-1].size += len(frame)
        self._unsynced += count

    def sync(self):
        """Make every appended record durable, then rotate and bound."""
        segment = self.segments[-1]
        if segment.size == segment.durable:
            return
        self._handle.flush()
        os.fsync(self._handle.fileno())  # outside the lock: readers go on
        with self.lock:
            segment.durable = segment.size
            self.pending += self._unsynced
            self._unsynced = 0
            self._arrivals.append((segment.seq, segment.durable, time.monotonic()))
            if segment.size >= self.segment_bytes:
                self._handle.close()
                self._new_segment(segment.seq + 1)
                self._handle = open(self.segments[-1].path, "ab")
            self._bound()
            self.changed.notify_all()

    def _bound(self):
        """Drop the oldest segments while the spool is over its size."""
        while len(self.segments) > 1 and self.size() > self.max_bytes:
            segment = self.segments.pop(0)
            start = self.cursor[1] if self.cursor[0] == segment.seq else 0
            lost = 0
            if self.cursor[0] <= segment.seq:
                lost = self._count_in(segment, start, segment.durable)
                self.cursor = (self.segments[0].seq, 0)
            self.pending -= lost
            segment.path.unlink(missing_ok=True)
            while self._arrivals and self._arrivals[0][0] <= segment.seq:
                self._arrivals.popleft()
            if lost:
                self.on_drop(lost, segment.durable - start)

    def size(self):
        return sum(segment.size for segment in self.segments)

    def close(self):
        with contextlib.suppress(OSError):
            self.sync()
        if self._handle:
            self._handle.close()
            self._handle = None

    # ------------------------------------------------------------------
    # reader side
    # ------------------------------------------------------------------
    def oldest_arrival(self):
        """Monotonic time the oldest pending reading was spooled (0 for a
        reading spooled before this start), or None when nothing is pending."""
        with self.lock:
            if not self.pending:
                return None
            if self.cursor < self._recovered_until:
                return 0.0
            for seq, end, moment in self._arrivals:
                if (seq, end) > self.cursor:
                    return moment
            return 0.0

    def read_batch(self, max_readings, max_bytes):
        """``(payloads, readings, end)``: the durable records after the
        cursor, up to ``max_readings`` readings and ``max_bytes`` (at least
        one record), from one segment; ``end`` goes to ``commit()``."""
        with self.lock:
            self._skip_finished()
            seq, offset = self.cursor
            segment = self._segment(seq)
            payloads, readings, size = [], 0, 0
            if segment is None:
                return payloads, readings, self.cursor
            with open(segment.path, "rb") as handle:
                handle.seek(offset)
                while offset < segment.durable:
                    length, crc, count = FRAME.unpack(handle.read(FRAME.size))
                    if payloads and (
                        readings + count > max_readings or size + length > max_bytes
                    ):
                        break
                    payload = handle.read(length)
                    if not length or not count or zlib.crc32(payload) != crc:
                        raise SpoolCorrupt(
                            f"{segment.path}: bad record at offset {offset}"
                        )
                    payloads.append(payload)
                    readings += count
                    size += length
                    offset += FRAME.size + length
            return payloads, readings, (seq, offset)

    def skip_segment(self):
        """Give up the rest of the cursor's segment (after SpoolCorrupt);
        returns the readings skipped, as far as they can be counted."""
        with self.lock:
            seq = self.cursor[0]
            segment = self._segment(seq)
            self.cursor = (seq, segment.durable)
            self._save_cursor()
            self._skip_finished()
            before = self.pending
            self.pending = self._count_from(self.cursor)
            return max(before - self.pending, 0)

    def commit(self, end, readings):
        """Odoo took the records up to ``end``: move the cursor there."""
        with self.lock:
            if end[0] < self.segments[0].seq or end <= self.cursor:
                return  # dropped meanwhile (the drop counted them)
            self.cursor = end
            self.pending -= readings
            while self._arrivals and self._arrivals[0][:2] <= end:
                self._arrivals.popleft()
            self._skip_finished()
            self._save_cursor()

    def _segment(self, seq):
        for segment in self.segments:
            if segment.seq == seq:
                return segment
        return None

    def _skip_finished(self):
        """Past the end of a finished segment: delete it, go to the next."""
        while len(self.segments) > 1:
            first = self.segments[0]
            if self.cursor[0] > first.seq or self.cursor == (first.seq, first.durable):
                self.segments.pop(0)
                first.path.unlink(missing_ok=True)
                if self.cursor[0] <= first.seq:
                    self.cursor = (self.segments[0].seq, 0)
            else:
                break

    def _save_cursor(self):
        path = self.folder / "cursor"
        temporary = self.folder / "cursor.tmp"
        with open(temporary, "w", encoding="ascii") as handle:
            handle.write(f"{self.cursor[0]} {self.cursor[1]}\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        _fsync_dir(self.folder)
