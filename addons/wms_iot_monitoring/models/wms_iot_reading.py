# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import contextlib
import json
import logging
import math
import random
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import babel.dates
import psycopg2.errors

from odoo import api, fields, models, sql_db
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.misc import get_lang

from . import wms_iot_alarm as alarm_machine

_logger = logging.getLogger(__name__)

MAX_ITEMS = 5000
FUTURE_TOLERANCE = timedelta(minutes=5)
PHYSICAL_LIMITS = {"temperature": (-100.0, 150.0), "humidity": (0.0, 100.0)}
LEVEL_RANK = {None: 0, "warning": 1, "alarm": 2}
DB_RETRIES = 3
# errors after which the whole batch is run again, on a new transaction
RETRYABLE = (
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.DeadlockDetected,
    psycopg2.errors.LockNotAvailable,
)


def hour_labels(model, groupby_spec, formatter):
    """Wrap the web client's group formatter of ``model`` so that hourly
    groups read 00:00 to 23:00. Core's label, 'hh:00 dd MMM', has no AM/PM,
    and the graph view merges the groups of one label: a 24-hour graph would
    show 1 AM and 1 PM of a day as one point."""
    field_name, _sep, granularity = groupby_spec.partition(":")
    field = model._fields.get(field_name)
    if granularity != "hour" or not field or field.type != "datetime":
        return formatter
    locale = get_lang(model.env).code

    def formatter_hour(value):
        result, domain = formatter(value)
        if value and isinstance(result, tuple):
            # value: the start of the hour, naive, in the user's timezone
            label = babel.dates.format_datetime(
                value, format="HH:00 dd MMM", locale=locale
            )
            result = (result[0], label)
        return result, domain

    return formatter_hour


def _status(levels):
    """A sensor's status from the levels of its ongoing excursion alerts."""
    if "alarm" in levels:
        return "alarm"
    return "warning" if "warning" in levels else "ok"


class IngestError(Exception):
    """A batch refused as a whole: (HTTP status, message[, headers])."""

    def __init__(self, status, message, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def _parse_ts(value):
    """A naive UTC datetime from ISO 8601 with an offset or epoch seconds;
    raises ValueError with the reason."""
    if isinstance(value, bool) or value is None:
        raise ValueError("ts missing")
    try:
        if isinstance(value, int | float):
            # a 400-digit JSON integer, or a date out of datetime's range,
            # overflows: each is one bad item, never the whole batch
            return datetime.fromtimestamp(float(value), tz=UTC).replace(tzinfo=None)
        if isinstance(value, str):
            moment = datetime.fromisoformat(value.strip())
            if moment.tzinfo is None:
                raise ValueError("ts without a UTC offset")
            return moment.astimezone(UTC).replace(tzinfo=None)
    except (OverflowError, OSError) as exc:
        raise ValueError("ts out of range") from exc
    raise ValueError("ts unparsable")


class WmsIotReading(models.Model):
    """A raw reading, written only by the ingest in one set-based statement
    per batch."""

    _name = "wms.iot.reading"
    _description = "Sensor Reading"
    _log_access = False
    _order = "ts desc, id desc"
    _rec_name = "ts"

    sensor_id = fields.Many2one(
        "wms.iot.sensor", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    ts = fields.Datetime(
        "Time", required=True, readonly=True, help="Device time, in UTC."
    )
    temperature = fields.Float("Temperature (°C)", readonly=True, aggregator="avg")
    humidity = fields.Float("Humidity (%RH)", readonly=True, aggregator="avg")

    _sensor_ts_uniq = models.UniqueIndex("(sensor_id, ts)")
    _ts_brin = models.Index("USING brin (ts)")

    def _web_read_group_groupby_formatter(self, groupby_spec, values):
        formatter = super()._web_read_group_groupby_formatter(groupby_spec, values)
        return hour_labels(self, groupby_spec, formatter)

    # ------------------------------------------------------------------
    # Integrators
    # ------------------------------------------------------------------
    @api.model
    def wms_ingest(self, readings):
        """Store a batch of readings, as the endpoint does, for an IoT
        Manager: ``readings`` is the endpoint's list of items; sensors are
        those of the user's current companies, whatever their gateway.

        :return: ``{"accepted": n, "duplicates": d, "rejected": [{"index": i,
            "error": "..."}]}``
        """
        if not self.env.user.has_group("wms_iot_monitoring.group_iot_manager"):
            raise AccessError(self.env._("Only IoT Managers send readings."))
        if not isinstance(readings, list):
            raise UserError(self.env._("Send a list of readings."))
        if len(readings) > MAX_ITEMS:
            raise UserError(
                self.env._(
                    "At most %(max)s readings per call, not %(count)s.",
                    max=MAX_ITEMS,
                    count=len(readings),
                )
            )
        # readings are written only by the ingest; the caller was checked as
        # an IoT Manager, and sensors are looked up in their companies only
        try:
            return self.sudo()._wms_run_batch(readings, companies=self.env.companies)
        except IngestError as error:
            raise UserError(error.message) from None

    # ------------------------------------------------------------------
    # The endpoint's entry: rate limit, then the batch on its own cursor
    # ------------------------------------------------------------------
    @api.model
    def _wms_ingest_http(self, gateway, items):
        """Run a gateway's batch: the rate limit, then the batch in a READ
        COMMITTED transaction of its own (committed here), retried on a
        deadlock. Returns the 200 body; raises IngestError (429, 503)."""
        self._wms_take_rate(gateway, len(items))
        return self._wms_run_batch(items, gateway=gateway)

    @api.model
    def _wms_run_batch(self, items, gateway=None, companies=None):
        """Run ``_wms_ingest_items`` in a READ COMMITTED transaction of its
        own, committed here, again after a deadlock; IngestError 503 when the
        database stays busy. The integrators' path takes it too: an RPC's
        REPEATABLE READ snapshot would fail on sensors that a gateway's batch
        updated meanwhile."""
        for attempt in range(DB_RETRIES):
            try:
                with self._wms_read_committed() as env:
                    return env["wms.iot.reading"]._wms_ingest_items(
                        items,
                        gateway=gateway and env["wms.iot.gateway"].browse(gateway.id),
                        companies=companies
                        and env["res.company"].browse(companies.ids),
                    )
            except RETRYABLE:
                if attempt == DB_RETRIES - 1:
                    _logger.warning(
                        "Cold-chain ingest: batch failed %s times", DB_RETRIES
                    )
                    raise IngestError(
                        503,
                        self.env._("The database is busy: send the batch again."),
                        {"Retry-After": "1"},
                    ) from None
                time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))
        return None  # not reached

    @contextlib.contextmanager
    def _wms_read_committed(self):
        """An environment on a new cursor in READ COMMITTED, committed at the
        end. Odoo's REPEATABLE READ would make two overlapping batches fail
        (a serialization failure on INSERT ... ON CONFLICT and on the sensor
        rows), and Odoo would re-run the request up to 5 times, then answer
        with an HTML page. In tests the registry must be in test mode (HttpCase is; a
        TransactionCase enters it, as ``WmsIotCase`` does): the new cursor then
        wraps the test's, and its isolation is left alone."""
        # what the caller wrote must reach the table first; what the batch
        # wrote is read afresh afterwards
        self.env.flush_all()
        with self.env.registry.cursor() as cr:
            if isinstance(cr, sql_db.Cursor):  # not a test's cursor
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                # a caller holding a row this transaction needs would wait on
                # itself forever: give up (and retry) instead
                cr.execute("SET LOCAL lock_timeout = '10s'")
            yield self.env(cr=cr)
        self.env.invalidate_all()

    def _wms_take_rate(self, gateway, count):
        """Count ``count`` readings in the gateway's current minute, in
        PostgreSQL (shared by all workers), committed at once; raise
        IngestError 429 when over the gateway's rate."""
        now = fields.Datetime.now()
        minute = now.replace(second=0, microsecond=0)
        retry_after = str(max(1, 60 - now.second))
        limit = gateway.rate_limit
        if count > limit:
            # retrying would never help: a client error, not a rate one
            raise IngestError(
                400,
                self.env._(
                    "A batch of %(count)s readings exceeds the gateway's rate "
                    "of %(limit)s per minute.",
                    count=count,
                    limit=limit,
                ),
                {"Retry-After": retry_after},
            )
        with self._wms_read_committed() as env:
            env.cr.execute(
                SQL(
                    """
                    INSERT INTO wms_iot_gateway_rate AS r (gateway_id, minute, count)
                    VALUES (%(gateway)s, %(minute)s, %(count)s)
                    ON CONFLICT (gateway_id, minute)
                    DO UPDATE SET count = r.count + EXCLUDED.count
                     WHERE r.count + EXCLUDED.count <= %(limit)s
                    RETURNING count
                    """,
                    gateway=gateway.id,
                    minute=minute,
                    count=count,
                    limit=limit,
                )
            )
            taken = env.cr.fetchone()
            env.cr.execute(
                SQL(
                    """
                    UPDATE wms_iot_gateway SET last_seen = %(now)s
                     WHERE id = %(gateway)s
                       AND (last_seen IS NULL OR last_seen < %(stale)s)
                    """,
                    now=now,
                    gateway=gateway.id,
                    stale=now - timedelta(minutes=1),
                )
            )
        if not taken:
            raise IngestError(
                429,
                self.env._(
                    "Over the gateway's rate of %(limit)s readings per minute.",
                    limit=limit,
                ),
                {"Retry-After": retry_after},
            )

    # ------------------------------------------------------------------
    # The batch
    # ------------------------------------------------------------------
    @api.model
    def _wms_ingest_items(self, items, gateway=None, companies=None):
        """Validate, store and evaluate a batch; the same answer as the
        endpoint's. ``gateway``: its sensors only; else sensors of
        ``companies`` (default: the current ones) of any gateway."""
        now = fields.Datetime.now()
        if gateway:
            companies = gateway.company_id
        companies = companies or self.env.companies
        # per company: each sensor's readings follow its company's retention
        oldest = {
            company.id: now - timedelta(days=company.wms_iot_retention_days or 90)
            for company in companies
        }
        newest = now + FUTURE_TOLERANCE
        serials = {
            item["sensor"]
            for item in items
            if isinstance(item, dict) and isinstance(item.get("sensor"), str)
        }
        sensors = self._wms_lock_sensors(serials, companies)
        rejected = []
        rows = {}  # (sensor_id, ts) -> (temperature, humidity), first wins
        valid = 0
        for index, item in enumerate(items):
            error, row = self._wms_check_item(item, sensors, gateway, oldest, newest)
            if error:
                rejected.append({"index": index, "error": error})
                continue
            valid += 1
            rows.setdefault(row[:2], row[2:])
        inserted = self._wms_insert(rows, sensors) if rows else []
        if inserted:
            self._wms_evaluate(inserted, rows, sensors, now)
            self.env["wms.iot.reading.hourly"]._wms_rollup_late(inserted)
        return {
            "accepted": len(inserted),
            "duplicates": valid - len(inserted),
            "rejected": rejected,
        }

    def _wms_lock_sensors(self, serials, companies):
        """{serial: sensor row} of the batch's sensors, locked (in id order,
        so that two batches never deadlock) until the end of the batch: two
        batches of one sensor are evaluated one after the other."""
        if not serials:
            return {}
        self.env["wms.iot.sensor"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT id, serial, company_id, gateway_id, state, measures,
                       profile_id, eval_ts, eval_state, last_reading_date,
                       last_temperature, last_humidity, status, active
                  FROM wms_iot_sensor
                 WHERE serial = ANY(%(serials)s) AND company_id = ANY(%(companies)s)
                 ORDER BY id
                   FOR NO KEY UPDATE
                """,
                serials=list(serials),
                companies=companies.ids,
            )
        )
        sensors = {}
        for row in self.env.cr.dictfetchall():
            if not row["active"]:
                continue
            if row["serial"] in sensors:
                sensors[row["serial"]] = "ambiguous"
            else:
                sensors[row["serial"]] = row
        return sensors

    def _wms_check_item(self, item, sensors, gateway, oldest, newest):
        """(error, None) or (None, (sensor_id, ts, temperature, humidity))."""
        try:
            return None, self._wms_parse_item(item, sensors, gateway, oldest, newest)
        except ValueError as error:
            return str(error), None

    def _wms_parse_item(self, item, sensors, gateway, oldest, newest):
        """(sensor_id, ts, temperature, humidity) of a valid item; raises
        ValueError with the reason otherwise."""
        if not isinstance(item, dict):
            raise ValueError(self.env._("not an object"))
        serial = item.get("sensor")
        sensor = sensors.get(serial) if isinstance(serial, str) else None
        if sensor == "ambiguous":
            raise ValueError(self.env._("sensor serial in several companies"))
        if not sensor:
            raise ValueError(self.env._("unknown sensor"))
        if gateway and sensor["gateway_id"] != gateway.id:
            raise ValueError(self.env._("sensor belongs to another gateway"))
        if sensor["state"] == "retired":
            raise ValueError(self.env._("sensor retired"))
        if item.get("ts") is None:
            raise ValueError(self.env._("ts missing"))
        try:
            ts = _parse_ts(item["ts"])
        except ValueError:
            raise ValueError(
                self.env._("ts unparsable: ISO 8601 with an offset, or epoch seconds")
            ) from None
        if ts > newest:
            raise ValueError(self.env._("ts more than 5 minutes in the future"))
        if ts < oldest[sensor["company_id"]]:
            raise ValueError(self.env._("ts older than the retention"))
        values = {}
        for measure in ("temperature", "humidity"):
            value = item.get(measure)
            values[measure] = None
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(
                    self.env._("%(measure)s is not a number", measure=measure)
                )
            try:
                value = float(value)
            except OverflowError:
                value = math.inf
            if not math.isfinite(value):
                raise ValueError(
                    self.env._("%(measure)s is not a finite number", measure=measure)
                )
            low, high = PHYSICAL_LIMITS[measure]
            if not low <= value <= high:
                raise ValueError(
                    self.env._(
                        "%(measure)s outside physical limits (%(low)s to %(high)s)",
                        measure=measure,
                        low=low,
                        high=high,
                    )
                )
            if sensor["measures"] not in (measure, "both"):
                raise ValueError(
                    self.env._("sensor does not measure %(measure)s", measure=measure)
                )
            values[measure] = float(value)
        if values["temperature"] is None and values["humidity"] is None:
            raise ValueError(self.env._("no temperature or humidity"))
        return sensor["id"], ts, values["temperature"], values["humidity"]

    def _wms_insert(self, rows, sensors):
        """Insert the rows in one statement; [(sensor_id, ts)] inserted (not
        the duplicates of stored readings)."""
        company_of = {
            row["id"]: row["company_id"]
            for row in sensors.values()
            if row != "ambiguous"
        }
        keys = list(rows)
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO wms_iot_reading
                       (sensor_id, company_id, ts, temperature, humidity)
                SELECT * FROM unnest(
                    %(sensors)s::int[], %(companies)s::int[], %(ts)s::timestamp[],
                    %(temperatures)s::float8[], %(humidities)s::float8[])
                ON CONFLICT (sensor_id, ts) DO NOTHING
                RETURNING sensor_id, ts
                """,
                sensors=[key[0] for key in keys],
                companies=[company_of[key[0]] for key in keys],
                ts=[key[1] for key in keys],
                temperatures=[rows[key][0] for key in keys],
                humidities=[rows[key][1] for key in keys],
            )
        )
        inserted = self.env.cr.fetchall()
        self.invalidate_model()
        return inserted

    def _wms_evaluate(self, inserted, rows, sensors, now):
        """Bring the batch's sensors up to date and run the alarm machine
        over their new readings, in device-time order: a few statements per
        batch, none per reading."""
        by_id = {row["id"]: row for row in sensors.values() if row != "ambiguous"}
        per_sensor = defaultdict(list)
        for sensor_id, ts in inserted:
            per_sensor[sensor_id].append((ts, *rows[sensor_id, ts]))
        Alert = self.env["wms.iot.alert"].with_context(
            mail_create_nosubscribe=True, mail_notify_force_send=False
        )
        Sensor = self.env["wms.iot.sensor"]
        sensor_recs = Sensor.browse(list(per_sensor))
        ongoing = Alert.search(
            [("sensor_id", "in", sensor_recs.ids), ("date_end", "=", False)]
        )
        by_key = {}
        offline = Alert.browse()
        for alert in ongoing:
            if alert.level == "offline":
                offline |= alert
            else:
                by_key[alert.sensor_id.id, alert.measure, alert.direction] = alert
        profiles = {}
        profile_ids = {by_id[sensor_id]["profile_id"] for sensor_id in per_sensor}
        for profile in self.env["wms.iot.profile"].browse(profile_ids):
            profiles[profile.id] = (
                profile._wms_limits(),
                {
                    "temperature": profile.hysteresis_temp,
                    "humidity": profile.hysteresis_hum,
                },
                profile.alarm_delay_minutes,
            )
        sensor_rows = []
        new_alerts = []  # (sensor id, measure, direction, alert dict)
        changed = []  # (stored alert, alert dict)
        for sensor_id, readings in per_sensor.items():
            readings.sort()
            info = by_id[sensor_id]
            state, status = self._wms_evaluate_sensor(
                info,
                readings,
                by_key,
                profiles[info["profile_id"]],
                changed,
                new_alerts,
            )
            sensor_rows.append(self._wms_sensor_row(info, readings, state, status))
        self._wms_write_sensors(sensor_rows)
        if offline:
            offline.write({"date_end": now})
            for alert in offline:
                alert.duration_minutes = (now - alert.date_start).total_seconds() / 60
        raised = self._wms_write_alerts(Alert, new_alerts, changed, sensor_recs)
        raised.filtered(lambda a: a.level == "alarm")._wms_on_alarm()
        ended = Alert.browse(
            [
                stored.id
                for stored, alert in changed
                if alert["date_end"] and alert["level"] == "alarm"
            ]
        )
        ended |= Alert.browse(
            [
                a["record_id"]
                for *_x, a in new_alerts
                if a["date_end"] and a["level"] == "alarm"
            ]
        )
        ended._wms_on_alarm_end()

    def _wms_evaluate_sensor(
        self, info, readings, by_key, profile, changed, new_alerts
    ):
        """Run the alarm machine over one sensor's new readings (sorted), for
        each measure and direction of its profile; append the stored alerts
        it changes to ``changed`` and the alerts it opens to ``new_alerts``.
        Return the sensor's new alarm state and status."""
        sensor_id = info["id"]
        if info["state"] != "active":
            return {}, "ok"
        state = dict(info["eval_state"] or {})
        eval_ts = info["eval_ts"]
        fresh = [r for r in readings if eval_ts is None or r[0] > eval_ts]
        if not fresh:
            levels = [
                alert.level for key, alert in by_key.items() if key[0] == sensor_id
            ]
            return state, _status(levels)
        limits, hysteresis, delay = profile
        open_levels = []
        for index, measure in ((1, "temperature"), (2, "humidity")):
            taken = info["measures"] in (measure, "both")
            series = [(r[0], r[index]) for r in fresh if r[index] is not None]
            for direction in ("high", "low"):
                key = f"{measure}/{direction}"
                warning = limits.get((measure, "warning", direction))
                alarm = limits.get((measure, "alarm", direction))
                stored = by_key.get((sensor_id, measure, direction))
                if not taken or (warning is None and alarm is None):
                    # the profile lost these limits, or the sensor this
                    # measure: its ongoing alert ends now
                    state.pop(key, None)
                    if stored:
                        changed.append((stored, self._wms_ended(stored, fresh[-1][0])))
                    continue
                if not series:
                    if stored:
                        open_levels.append(stored.level)
                    continue
                run = alarm_machine.load_state(state.get(key))
                if stored:
                    run.setdefault("peak", stored.peak_value)
                run, current, touched = alarm_machine.advance(
                    series,
                    run,
                    stored and self._wms_machine_alert(stored),
                    warning,
                    alarm,
                    hysteresis[measure],
                    delay,
                    direction == "high",
                )
                if run:
                    state[key] = alarm_machine.dump_state(run)
                else:
                    state.pop(key, None)
                for alert in touched:
                    if measure != "temperature":
                        alert["mkt"] = None
                    if alert["id"]:
                        changed.append((stored, alert))
                    else:
                        new_alerts.append((sensor_id, measure, direction, alert))
                if current:
                    open_levels.append(current["level"])
        return state, _status(open_levels)

    def _wms_machine_alert(self, stored):
        """The alarm machine's dict of a stored ongoing alert."""
        return {
            "id": stored.id,
            "level": stored.level,
            "limit_value": stored.limit_value,
            "date_start": stored.date_start,
            "date_end": None,
            "alarm_date": stored.alarm_date,
            "raised": False,
        }

    def _wms_ended(self, stored, end):
        """The machine's dict of a stored alert ended at ``end``."""
        end = max(end, stored.date_start)
        return {
            **self._wms_machine_alert(stored),
            "date_end": end,
            "peak_value": stored.peak_value,
            "duration_minutes": (end - stored.date_start).total_seconds() / 60,
            "mkt": stored.mkt or None,
        }

    def _wms_sensor_row(self, info, readings, state, status):
        """The sensor's new (id, last date, last temperature, last humidity,
        status, eval ts, eval state)."""
        last_date = info["last_reading_date"]
        last_temperature = info["last_temperature"]
        last_humidity = info["last_humidity"]
        newest = readings[-1][0]
        if last_date is None or newest >= last_date:
            last_date = newest
            for _ts, temperature, humidity in readings:
                if temperature is not None:
                    last_temperature = temperature
                if humidity is not None:
                    last_humidity = humidity
        eval_ts = info["eval_ts"]
        if eval_ts is None or newest > eval_ts:
            eval_ts = newest
        return (
            info["id"],
            last_date,
            last_temperature,
            last_humidity,
            status,
            eval_ts,
            json.dumps(state),
        )

    def _wms_write_sensors(self, sensor_rows):
        if not sensor_rows:
            return
        columns = list(zip(*sensor_rows, strict=True))
        self.env.cr.execute(
            SQL(
                """
                UPDATE wms_iot_sensor s
                   SET last_reading_date = v.last_date,
                       last_temperature = v.temperature,
                       last_humidity = v.humidity,
                       status = v.status,
                       eval_ts = v.eval_ts,
                       eval_state = v.eval_state::jsonb,
                       seen_at = %s
                  FROM unnest(%s::int[], %s::timestamp[], %s::float8[],
                              %s::float8[], %s::varchar[], %s::timestamp[],
                              %s::text[])
                       AS v(id, last_date, temperature, humidity, status,
                            eval_ts, eval_state)
                 WHERE s.id = v.id
                """,
                fields.Datetime.now(),  # seen_at, the first placeholder
                *[list(column) for column in columns],
            )
        )
        self.env["wms.iot.sensor"].invalidate_model(
            ["last_reading_date", "last_temperature", "last_humidity", "status"]
        )

    def _wms_write_alerts(self, Alert, new_alerts, changed, sensor_recs):
        """Create the new alerts, update the stored ones; the alerts that
        reached the alarm level now."""
        raised = Alert.browse()
        numbers = []
        for stored, alert in changed:
            vals = {}
            if alert["level"] != stored.level:
                vals.update(
                    level=alert["level"],
                    limit_value=alert["limit_value"],
                    alarm_date=alert["alarm_date"],
                )
                if stored.acknowledged:
                    # an acknowledged warning that becomes an alarm needs
                    # its own acknowledgement (the first stays in the
                    # history) and escalates if it gets none
                    vals.update(
                        acknowledged=False,
                        ack_user_id=False,
                        ack_date=False,
                        ack_comment=False,
                        escalated_date=False,
                    )
            if alert["date_end"]:
                vals["date_end"] = alert["date_end"]
            if vals:
                stored.write(vals)
            if alert.get("raised"):
                raised |= stored
            if "peak_value" in alert:
                numbers.append(
                    (
                        stored.id,
                        alert["peak_value"],
                        alert["duration_minutes"],
                        alert["mkt"],
                    )
                )
        if numbers:
            columns = list(zip(*numbers, strict=True))
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE wms_iot_alert a
                       SET peak_value = v.peak, duration_minutes = v.duration,
                           mkt = v.mkt
                      FROM unnest(%s::int[], %s::float8[], %s::float8[],
                                  %s::float8[]) AS v(id, peak, duration, mkt)
                     WHERE a.id = v.id
                    """,
                    *[list(column) for column in columns],
                )
            )
            Alert.invalidate_model(["peak_value", "duration_minutes", "mkt"])
        if new_alerts:
            # an alert ended above may have its successor below: its end must
            # reach the table before the partial unique index sees the new one
            Alert.flush_model(["date_end", "is_ongoing"])
            sensors = sensor_recs.browse({item[0] for item in new_alerts})
            affected = sensors._wms_affected_partners()
            records = Alert.create(
                [
                    {
                        "sensor_id": sensor_id,
                        "company_id": sensors.browse(sensor_id).company_id.id,
                        "location_id": sensors.browse(sensor_id).location_id.id,
                        "partner_ids": [
                            (6, 0, affected.get(sensor_id, sensors.browse()).ids)
                        ],
                        "level": alert["level"],
                        "measure": measure,
                        "direction": direction,
                        "limit_value": alert["limit_value"],
                        "date_start": alert["date_start"],
                        "date_end": alert["date_end"],
                        "alarm_date": alert["alarm_date"],
                        "peak_value": alert.get("peak_value"),
                        "duration_minutes": alert.get("duration_minutes"),
                        "mkt": alert.get("mkt"),
                    }
                    for sensor_id, measure, direction, alert in new_alerts
                ]
            )
            for record, (*_x, alert) in zip(records, new_alerts, strict=True):
                alert["record_id"] = record.id
                if alert["level"] == "alarm":
                    raised |= record
        return raised
