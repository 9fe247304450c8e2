"""A gateway's sender: drains its spool into Odoo, in order.

Batches of up to ``BATCH_READINGS`` readings, or what has waited
``BATCH_WAIT`` seconds, whichever comes first, posted to
``/wms/iot/v1/readings`` with the gateway's key. What Odoo answers:

- 200: the batch is done (the spool's cursor moves past it); the items it
  rejected are logged one by one;
- 429, 5xx, another 4xx (a 404 while Odoo installs the database...), no
  answer: the same batch again, after ``Retry-After`` or an
  exponential backoff (a batch Odoo stored before its answer was lost is
  counted as duplicates the second time: nothing is stored twice);
- 401: the key is refused. The gateway stops (its spool is kept) until its
  key file holds another key, and the other gateways go on;
- 400 or 413 (the batch itself is refused, e.g. more readings than the
  gateway's rate limit): smaller batches, down to one record; a record
  refused on its own is written to ``refused.jsonl`` beside the spool and
  logged, so that one bad message cannot hold the gateway back forever."""

import http.client
import json
import logging
import random
import ssl
import threading
import time
import traceback
from urllib.parse import urlsplit

from .logs import log
from .spool import SpoolCorrupt

BATCH_READINGS = 1000
BATCH_WAIT = 1.0  # seconds
BATCH_BYTES = 1_800_000  # the endpoint takes 2 MB at most
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
KEY_RECHECK = 10.0  # seconds between looks at a refused gateway's key file
PATH = "/wms/iot/v1/readings"
REJECTIONS_LOGGED = 20  # per batch, then a count
REFUSED = (400, 413)  # the batch itself is wrong: sending it again won't help


class Unauthorized(Exception):
    pass


class Refused(Exception):
    """400 or 413: this batch will never be taken as it is."""

    def __init__(self, status, error):
        super().__init__(f"{status}: {error}")
        self.status = status
        self.error = error


class Retry(Exception):
    def __init__(self, reason, delay=None):
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


class Sender(threading.Thread):
    def __init__(self, gateway, spool, odoo, stopping, on_crash=None):
        super().__init__(name=f"sender-{gateway.name}", daemon=True)
        self.gateway = gateway
        self.spool = spool
        self.odoo = odoo
        self.stopping = stopping  # a threading.Event
        self.on_crash = on_crash or (lambda: None)
        url = urlsplit(odoo.url)
        self.https = url.scheme == "https"
        self.host = url.hostname
        self.port = url.port or (443 if self.https else 80)
        self.path = url.path.rstrip("/") + PATH
        self.connection = None
        self.key = None
        self.max_readings = BATCH_READINGS
        self.sent = 0  # readings Odoo took (accepted or duplicates)

    # ------------------------------------------------------------------
    def run(self):
        try:
            self.key = self.gateway.load_key()
            while not self.stopping.is_set():
                if not self._wait_for_batch():
                    continue
                self._send_next()
        except Exception as error:  # a bug: say it loudly, and stop the bridge
            text = "".join(traceback.format_exception(error))
            if self.key:  # never in a log
                text = text.replace(self.key, "<key>")
            log(
                logging.CRITICAL,
                "sender.crashed",
                gateway=self.gateway.name,
                error=text.strip().splitlines()[-1],
                traceback=text,
            )
            self.on_crash()
        finally:
            self._close()

    def _wait_for_batch(self):
        """Wait until a batch is due: True when one is, False to look again."""
        with self.spool.changed:
            if self.spool.pending == 0:
                self.spool.changed.wait(0.5)
                return False
            if self.spool.pending >= self.max_readings:
                return True
            oldest = self.spool.oldest_arrival()
            if oldest is None:
                return False
            wait = oldest + BATCH_WAIT - time.monotonic()
            if wait > 0:
                self.spool.changed.wait(min(wait, 0.5))
                return False
            return True

    def _send_next(self):
        try:
            payloads, readings, end = self.spool.read_batch(
                self.max_readings, BATCH_BYTES
            )
        except SpoolCorrupt as error:
            skipped = self.spool.skip_segment()
            log(
                logging.ERROR,
                "spool.corrupt",
                gateway=self.gateway.name,
                error=str(error),
                readings_skipped=skipped,
            )
            return
        if not payloads:
            return
        body = b'{"readings":[' + b",".join(payloads) + b"]}"
        delay = BACKOFF_FIRST
        while not self.stopping.is_set():
            try:
                answer = self._post(body)
            except Retry as retry:
                wait = retry.delay if retry.delay is not None else delay
                wait = min(wait, BACKOFF_MAX) * random.uniform(0.8, 1.2)
                log(
                    logging.WARNING,
                    "odoo.retry",
                    gateway=self.gateway.name,
                    reason=retry.reason,
                    delay=round(wait, 2),
                    readings=readings,
                    spooled=self.spool.pending,
                )
                self.stopping.wait(wait)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            except Unauthorized:
                self._unauthorized()
                return
            except Refused as refused:
                self._refused(refused, payloads, readings, end)
                return
            self._done(answer, body, readings, end)
            return

    def _done(self, answer, body, readings, end):
        self.spool.commit(end, readings)
        self.max_readings = BATCH_READINGS
        rejected = answer.get("rejected") or []
        self.sent += readings
        log(
            logging.INFO,
            "batch.sent",
            gateway=self.gateway.name,
            readings=readings,
            accepted=answer.get("accepted"),
            duplicates=answer.get("duplicates"),
            rejected=len(rejected),
            spooled=self.spool.pending,
        )
        if rejected:
            items = json.loads(body)["readings"]
            for rejection in rejected[:REJECTIONS_LOGGED]:
                index = rejection.get("index")
                item = (
                    items[index]
                    if isinstance(index, int) and 0 <= index < len(items)
                    else {}
                )
                item = item if isinstance(item, dict) else {"item": item}
                log(
                    logging.WARNING,
                    "reading.rejected",
                    gateway=self.gateway.name,
                    sensor=item.get("sensor"),
                    reading_ts=item.get("ts"),
                    error=rejection.get("error"),
                )
            if len(rejected) > REJECTIONS_LOGGED:
                log(
                    logging.WARNING,
                    "reading.rejected.more",
                    gateway=self.gateway.name,
                    count=len(rejected) - REJECTIONS_LOGGED,
                )

    def _refused(self, refused, payloads, readings, end):
        if len(payloads) > 1:  # smaller batches: find the record it refuses
            self.max_readings = max(readings // 2, 1)
            log(
                logging.WARNING,
                "batch.refused",
                gateway=self.gateway.name,
                status=refused.status,
                error=refused.error,
                readings=readings,
                next_batch=self.max_readings,
            )
            return
        path = self.spool.folder / "refused.jsonl"
        with open(path, "a", encoding="utf-8") as handle:
            entry = {
                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "status": refused.status,
                "error": refused.error,
                "readings": json.loads(b"[" + payloads[0] + b"]"),
            }
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.spool.commit(end, readings)
        log(
            logging.ERROR,
            "record.refused",
            gateway=self.gateway.name,
            status=refused.status,
            error=refused.error,
            readings=readings,
            kept_in=str(path),
        )

    def _unauthorized(self):
        log(
            logging.CRITICAL,
            "gateway.unauthorized",
            gateway=self.gateway.name,
            spooled=self.spool.pending,
            message=(
                f"Odoo refused the key of gateway {self.gateway.name} (401): "
                "nothing more is sent for it, its readings stay in the spool. "
                "Put a valid key in its configuration"
                + (" (its key file is re-read)" if self.gateway.key_file else "")
                + "."
            ),
        )
        refused_key = self.key
        while not self.stopping.wait(KEY_RECHECK):
            try:
                key = self.gateway.load_key()
            except Exception:
                continue
            if key and key != refused_key:
                self.key = key
                log(logging.WARNING, "gateway.resumed", gateway=self.gateway.name)
                return

    # ------------------------------------------------------------------
    def _connect(self):
        if self.connection is None:
            if self.https:
                self.connection = http.client.HTTPSConnection(
                    self.host,
                    self.port,
                    timeout=self.odoo.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                self.connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.odoo.timeout
                )
        return self.connection

    def _close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def _post(self, body):
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.key}",
            "X-Odoo-Database": self.odoo.database,
            "Content-Length": str(len(body)),
        }
        try:
            connection = self._connect()
            connection.request("POST", self.path, body=body, headers=headers)
            response = connection.getresponse()
            status = response.status
            data = response.read()
            retry_after = response.getheader("Retry-After")
            if response.will_close:
                self._close()
        except (TimeoutError, OSError, http.client.HTTPException) as error:
            self._close()
            raise Retry(f"{type(error).__name__}: {error}") from error
        try:
            answer = json.loads(data) if data else {}
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        if status == 200 and "accepted" in answer:
            return answer
        error = answer.get("error") or data[:200].decode("utf-8", "replace")
        if status == 401:
            raise Unauthorized()
        if status in REFUSED:
            raise Refused(status, error)
        # 429, 5xx; and 404 (no such database or module yet), 403, 415...:
        # a setting or the server is wrong, not the readings: keep them
        delay = None
        if retry_after and retry_after.isdigit():
            delay = float(retry_after)
        raise Retry(f"HTTP {status}: {error}", delay)
