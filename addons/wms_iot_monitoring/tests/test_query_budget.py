# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo.tests import tagged
from odoo.tests.common import freeze_time

from .common import NOW, WmsIotCase

BASE = NOW - timedelta(days=2)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestQueryBudget(WmsIotCase):
    """Alarm evaluation is set-based: the queries of a batch do not grow
    with its number of readings."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sensors = cls.sensor_now
        for index in range(3):
            cls.sensors |= cls._sensor(f"QB-{index}", cls.profile_now)

    def _batch(self, start, per_sensor, temperature):
        return [
            {
                "sensor": sensor.serial,
                "ts": (BASE + timedelta(minutes=start + i)).isoformat() + "+00:00",
                "temperature": temperature,
            }
            for sensor in self.sensors
            for i in range(per_sensor)
        ]

    def _queries(self, items):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        result = self.Reading._wms_ingest_items(items, gateway=self.gateway)
        self.env.flush_all()
        self.assertFalse(result["rejected"])
        return self.env.cr.sql_log_count - before

    def test_readings_in_range(self):
        self._queries(self._batch(0, 2, 5.0))  # warm up: state, caches
        small = self._queries(self._batch(10, 5, 5.0))
        large = self._queries(self._batch(100, 500, 5.0))
        self.assertEqual(large, small, "queries per batch, not per reading")

    def test_readings_of_an_ongoing_excursion(self):
        self._queries(self._batch(0, 2, 9.0))  # the alarms open here
        self.assertEqual(
            len(self.Alert.search([("sensor_id", "in", self.sensors.ids)])), 4
        )
        self.assertEqual(set(self.sensors.mapped("status")), {"alarm"})
        small = self._queries(self._batch(10, 5, 9.5))
        large = self._queries(self._batch(100, 500, 10.0))
        self.assertEqual(large, small, "queries per batch, not per reading")
        # the alerts followed every reading
        alert = self._alerts(self.sensor_now)
        self.assertEqual(alert.peak_value, 10.0)
        self.assertEqual(alert.duration_minutes, 599.0)
