# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .wms_iot_reading import hour_labels

_logger = logging.getLogger(__name__)

WATERMARK_PARAM = "wms_iot_monitoring.rollup_done_until"
# hours before the watermark rolled up again: readings that arrived late
ROLLUP_LOOKBACK = timedelta(hours=2)
RETENTION_BATCH = 50000


class WmsIotReadingHourly(models.Model):
    """Hourly figures per sensor, rolled up from the raw readings by a
    scheduled action and kept when the raw readings are deleted."""

    _name = "wms.iot.reading.hourly"
    _description = "Hourly Sensor Readings"
    _log_access = False
    _order = "hour desc, sensor_id"
    _rec_name = "hour"

    sensor_id = fields.Many2one(
        "wms.iot.sensor", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    hour = fields.Datetime(required=True, readonly=True, help="Start of the hour, UTC.")
    temp_count = fields.Integer("Temperature Readings", readonly=True)
    temp_min = fields.Float("Min Temperature (°C)", readonly=True, aggregator="min")
    temp_max = fields.Float("Max Temperature (°C)", readonly=True, aggregator="max")
    temp_avg = fields.Float("Avg Temperature (°C)", readonly=True, aggregator="avg")
    hum_count = fields.Integer("Humidity Readings", readonly=True)
    hum_min = fields.Float("Min Humidity (%RH)", readonly=True, aggregator="min")
    hum_max = fields.Float("Max Humidity (%RH)", readonly=True, aggregator="max")
    hum_avg = fields.Float("Avg Humidity (%RH)", readonly=True, aggregator="avg")

    _sensor_hour_uniq = models.UniqueIndex("(sensor_id, hour)")

    def _web_read_group_groupby_formatter(self, groupby_spec, values):
        formatter = super()._web_read_group_groupby_formatter(groupby_spec, values)
        return hour_labels(self, groupby_spec, formatter)

    @api.model
    def _cron_wms_iot_rollup(self):
        now = fields.Datetime.now()
        self._wms_rollup(now)
        self._wms_purge(now)

    @api.model
    def _wms_rollup(self, now):
        """Roll up the hours ended since the last run (and a lookback for
        late readings) in one statement; return the hours' start and end."""
        Param = self.env["ir.config_parameter"].sudo()
        end = now.replace(minute=0, second=0, microsecond=0)
        done = Param.get_param(WATERMARK_PARAM)
        if done:
            start = fields.Datetime.to_datetime(done) - ROLLUP_LOOKBACK
        else:
            self.env.cr.execute(SQL("SELECT min(ts) FROM wms_iot_reading"))
            first = self.env.cr.fetchone()[0]
            if first is None:
                return None
            start = first.replace(minute=0, second=0, microsecond=0)
        if start < end:
            self._wms_rollup_range(start, end)
        Param.set_param(WATERMARK_PARAM, fields.Datetime.to_string(end))
        return start, end

    def _wms_rollup_range(self, start, end, sensor_hours=None):
        """Upsert the figures of the hours in [start, end); only those of
        ``sensor_hours`` [(sensor_id, hour)] when given."""
        restrict = SQL()
        if sensor_hours:
            restrict = SQL(
                "AND (r.sensor_id, date_trunc('hour', r.ts)) IN "
                "(SELECT * FROM unnest(%s::int[], %s::timestamp[]))",
                [pair[0] for pair in sensor_hours],
                [pair[1] for pair in sensor_hours],
            )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO wms_iot_reading_hourly AS h
                       (sensor_id, company_id, hour, temp_count, temp_min,
                        temp_max, temp_avg, hum_count, hum_min, hum_max, hum_avg)
                SELECT r.sensor_id, min(r.company_id), date_trunc('hour', r.ts),
                       count(r.temperature), min(r.temperature),
                       max(r.temperature), avg(r.temperature),
                       count(r.humidity), min(r.humidity), max(r.humidity),
                       avg(r.humidity)
                  FROM wms_iot_reading r
                 WHERE r.ts >= %(start)s AND r.ts < %(end)s %(restrict)s
                 GROUP BY r.sensor_id, date_trunc('hour', r.ts)
                ON CONFLICT (sensor_id, hour) DO UPDATE
                   SET temp_count = EXCLUDED.temp_count,
                       temp_min = EXCLUDED.temp_min,
                       temp_max = EXCLUDED.temp_max,
                       temp_avg = EXCLUDED.temp_avg,
                       hum_count = EXCLUDED.hum_count,
                       hum_min = EXCLUDED.hum_min,
                       hum_max = EXCLUDED.hum_max,
                       hum_avg = EXCLUDED.hum_avg
                """,
                start=start,
                end=end,
                restrict=restrict,
            )
        )
        self.invalidate_model()

    @api.model
    def _wms_rollup_late(self, inserted):
        """Roll up again, at once, the hours of readings [(sensor_id, ts)]
        that arrived after the scheduled action's lookback passed them."""
        done = self.env["ir.config_parameter"].sudo().get_param(WATERMARK_PARAM)
        if not done:
            return
        # every reading before the watermark: the action that moved it may
        # not have seen this one (its snapshot predates this batch)
        limit = fields.Datetime.to_datetime(done)
        late = {
            (sensor_id, ts.replace(minute=0, second=0, microsecond=0))
            for sensor_id, ts in inserted
            if ts < limit
        }
        if late:
            hours = [hour for _sensor, hour in late]
            self._wms_rollup_range(
                min(hours), max(hours) + timedelta(hours=1), sorted(late)
            )

    @api.model
    def _wms_purge(self, now):
        """Delete raw readings older than their company's retention and
        already rolled up, in batches committed one by one; the number
        deleted."""
        done = self.env["ir.config_parameter"].sudo().get_param(WATERMARK_PARAM)
        if not done:
            return 0
        rolled_until = fields.Datetime.to_datetime(done)
        deleted = 0
        # per company, with its cutoff as a constant: the BRIN index on ts
        # finds the rows, and the delete goes by primary key (a join on the
        # company would scan the whole table for every batch)
        for company in (
            self.env["res.company"].sudo().with_context(active_test=False).search([])
        ):
            days = company.wms_iot_retention_days or 90
            cutoff = min(rolled_until, now - timedelta(days=days))
            while True:
                self.env.cr.execute(
                    SQL(
                        """
                        DELETE FROM wms_iot_reading
                         WHERE id = ANY(ARRAY(
                            SELECT id FROM wms_iot_reading
                             WHERE company_id = %(company)s AND ts < %(cutoff)s
                             LIMIT %(batch)s))
                        """,
                        company=company.id,
                        cutoff=cutoff,
                        batch=RETENTION_BATCH,
                    )
                )
                count = self.env.cr.rowcount
                deleted += count
                if count < RETENTION_BATCH:
                    break
                if not self.env["ir.cron"]._commit_progress(count):
                    return deleted  # out of time: the next run goes on
        self.env["wms.iot.reading"].invalidate_model()
        self.env.cr.execute(
            SQL(
                "DELETE FROM wms_iot_gateway_rate WHERE minute < %s",
                now - timedelta(hours=1),
            )
        )
        if deleted:
            _logger.info("Cold chain: %s raw readings past retention deleted", deleted)
        return deleted
