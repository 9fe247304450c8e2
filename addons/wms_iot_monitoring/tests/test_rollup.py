# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime, timedelta

from odoo.tests import tagged
from odoo.tests.common import freeze_time

from .common import NOW, WmsIotCase

HOUR = datetime(2026, 12, 1, 3, 0)  # five hours before NOW


@tagged("post_install", "-at_install")
class TestRollupAndRetention(WmsIotCase):
    """Hourly aggregates per sensor; raw readings past the retention are
    deleted once rolled up, the rollups stay."""

    def _hourly(self, sensor, hour=None):
        self.env.flush_all()
        self.Hourly.invalidate_model()
        domain = [("sensor_id", "=", sensor.id)]
        if hour is not None:
            domain.append(("hour", "=", hour))
        return self.Hourly.search(domain, order="hour")

    def _rollup(self, when=NOW):
        with freeze_time(when):
            self.Hourly._cron_wms_iot_rollup()

    def test_hourly_aggregates(self):
        with freeze_time(NOW):
            self._ingest(
                self.sensor_now,
                [
                    (0, 4.0, 50.0),
                    (20, 5.0, 60.0),
                    (40, 6.0, 70.0),
                    (59, 5.0, None),
                    (60, 3.0, None),
                    (90, None, 40.0),
                ],
                base=HOUR,
            )
        self._rollup()
        rows = self._hourly(self.sensor_now)
        self.assertEqual(rows.mapped("hour"), [HOUR, HOUR + timedelta(hours=1)])
        first, second = rows
        self.assertEqual(first.company_id, self.company)
        self.assertEqual(first.temp_count, 4)
        self.assertEqual(first.temp_min, 4.0)
        self.assertEqual(first.temp_max, 6.0)
        self.assertAlmostEqual(first.temp_avg, 5.0)
        self.assertEqual(first.hum_count, 3)
        self.assertEqual(first.hum_min, 50.0)
        self.assertEqual(first.hum_max, 70.0)
        self.assertAlmostEqual(first.hum_avg, 60.0)
        self.assertEqual(second.temp_count, 1)
        self.assertEqual(second.temp_min, 3.0)
        self.assertEqual(second.temp_max, 3.0)
        self.assertEqual(second.hum_count, 1)
        self.assertEqual(second.hum_avg, 40.0)
        # raw readings inside the retention stay
        self.assertEqual(len(self._readings(self.sensor_now)), 6)

    def test_rollup_twice_counts_once(self):
        with freeze_time(NOW):
            self._ingest(self.sensor, [(0, 4.0), (30, 6.0)], base=HOUR)
        self._rollup()
        self._rollup(NOW + timedelta(hours=1))
        row = self._hourly(self.sensor)
        self.assertEqual(len(row), 1)
        self.assertEqual(row.temp_count, 2)
        self.assertAlmostEqual(row.temp_avg, 5.0)

    def test_late_readings_are_rolled_up(self):
        """A gateway back from a day offline sends its buffer: those hours
        are rolled up too, before retention may delete them."""
        with freeze_time(NOW):
            self._ingest(self.sensor, [(0, 4.0)], base=HOUR)
        self._rollup()
        late_hour = HOUR - timedelta(days=1)
        with freeze_time(NOW + timedelta(minutes=30)):
            result = self._ingest(self.sensor, [(0, 6.0), (30, 8.0)], base=late_hour)
        self.assertEqual(result["accepted"], 2)
        self._rollup(NOW + timedelta(hours=1))
        late = self._hourly(self.sensor, late_hour)
        self.assertEqual(len(late), 1, "the late hour is rolled up")
        self.assertEqual(late.temp_count, 2)
        self.assertAlmostEqual(late.temp_avg, 7.0)
        # and its raw readings are deleted only once rolled up
        self._rollup(late_hour + timedelta(days=91))
        self.assertEqual(self._hourly(self.sensor, late_hour).temp_count, 2)

    def test_sensors_are_rolled_up_apart(self):
        with freeze_time(NOW):
            self._ingest(self.sensor, [(0, 4.0)], base=HOUR)
            self._ingest(self.sensor_now, [(0, 8.0)], base=HOUR)
        self._rollup()
        self.assertEqual(self._hourly(self.sensor).temp_avg, 4.0)
        self.assertEqual(self._hourly(self.sensor_now).temp_avg, 8.0)

    def test_retention_deletes_old_raw_readings_after_rolling_them_up(self):
        old_hour = HOUR - timedelta(days=10)
        with freeze_time(NOW):
            self._ingest(self.sensor, [(0, 4.0), (10, 6.0)], base=old_hour)
            self._ingest(self.sensor, [(0, 5.0)], base=HOUR)
        # 85 days later, the first readings are 95 days old: past the
        # default 90 days; the rollup cron runs for the first time
        self._rollup(NOW + timedelta(days=85))
        readings = self._readings(self.sensor)
        self.assertEqual(readings.mapped("ts"), [HOUR], "old raw readings gone")
        old = self._hourly(self.sensor, old_hour)
        self.assertEqual(len(old), 1, "rolled up before being deleted")
        self.assertEqual(old.temp_count, 2)
        self.assertAlmostEqual(old.temp_avg, 5.0)
        self.assertEqual(len(self._hourly(self.sensor, HOUR)), 1)
        # rollups are kept
        self._rollup(NOW + timedelta(days=400))
        self.assertFalse(self._readings(self.sensor))
        self.assertEqual(len(self._hourly(self.sensor)), 2)
        self.assertEqual(self._hourly(self.sensor, old_hour).temp_count, 2)

    def test_company_retention_setting(self):
        self.assertEqual(self.company.wms_iot_retention_days, 90)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.wms_iot_retention_days, 90)
        settings.wms_iot_retention_days = 30
        settings.execute()
        self.assertEqual(self.company.wms_iot_retention_days, 30)
        # saved settings are committed before any cron runs
        self.env.flush_all()
        old_hour = HOUR - timedelta(days=10)
        with freeze_time(NOW):
            self._ingest(self.sensor, [(0, 4.0)], base=old_hour)
            self._ingest(self.sensor, [(0, 5.0)], base=HOUR)
        self._rollup(NOW + timedelta(days=25))
        self.assertEqual(self._readings(self.sensor).mapped("ts"), [HOUR])
        self.assertEqual(self._hourly(self.sensor, old_hour).temp_count, 1)
        # the retention also bounds what ingest takes
        with freeze_time(NOW):
            result = self._ingest(
                self.sensor, [(0, 4.0)], base=NOW - timedelta(days=31)
            )
        self.assertEqual(result["accepted"], 0)
        self.assertEqual(len(result["rejected"]), 1)

    def test_retention_per_company(self):
        company_b = self.env["res.company"].create(
            {"name": "IoT Company B", "wms_iot_retention_days": 30}
        )
        sensor_b = self._company_sensor(company_b, "B-01")
        old_hour = HOUR - timedelta(days=20)
        with freeze_time(NOW):
            self._ingest(self.sensor, [(0, 4.0)], base=old_hour)
            self._ingest(
                sensor_b, [(0, 4.0)], base=old_hour, gateway=sensor_b.gateway_id
            )
            # B keeps 30 days: 40 days old is refused for B, taken for A
            too_old = NOW - timedelta(days=40)
            self.assertEqual(
                self._ingest(self.sensor, [(0, 4.0)], base=too_old)["accepted"], 1
            )
            result = self._ingest(
                sensor_b, [(0, 4.0)], base=too_old, gateway=sensor_b.gateway_id
            )
            self.assertEqual(result["accepted"], 0)
        self.env.flush_all()
        # 15 days later, the first readings are 35 days old
        self._rollup(NOW + timedelta(days=15))
        self.assertFalse(self._readings(sensor_b), "past B's 30 days")
        self.assertEqual(len(self._readings(self.sensor)), 2, "within A's 90 days")
        self.assertEqual(self._hourly(sensor_b, old_hour).temp_count, 1)
