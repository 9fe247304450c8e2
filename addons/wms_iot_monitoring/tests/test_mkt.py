# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo.tests import tagged
from odoo.tests.common import freeze_time

from odoo.addons.wms_iot_monitoring.models.wms_iot_alert import (
    mean_kinetic_temperature,
)

from .common import NOW, WmsIotCase


@tagged("post_install", "-at_install")
class TestMeanKineticTemperature(WmsIotCase):
    """MKT (USP <1160>), time-weighted, ΔH/R = 10,000 K."""

    def test_reference_values(self):
        self.assertAlmostEqual(
            mean_kinetic_temperature([(5.0, 1.0)] * 10), 5.000, places=3
        )
        self.assertAlmostEqual(
            mean_kinetic_temperature([(2.0, 1.0), (8.0, 1.0)]), 5.536, places=3
        )
        self.assertAlmostEqual(
            mean_kinetic_temperature([(5.0, 23.0), (25.0, 1.0)]), 7.756, places=3
        )
        # the same as 24 hourly readings
        self.assertAlmostEqual(
            mean_kinetic_temperature([(5.0, 1.0)] * 23 + [(25.0, 1.0)]),
            7.756,
            places=3,
        )

    def test_weights_count(self):
        """Weights are durations: a long stay at 2 °C pulls the MKT down."""
        self.assertAlmostEqual(
            mean_kinetic_temperature([(2.0, 3.0), (8.0, 1.0)]),
            mean_kinetic_temperature([(2.0, 1.0)] * 3 + [(8.0, 1.0)]),
            places=6,
        )
        self.assertLess(mean_kinetic_temperature([(2.0, 3.0), (8.0, 1.0)]), 5.536)

    def test_mkt_of_an_excursion(self):
        self._check_mkt_of_an_excursion(one_by_one=False)

    def test_mkt_of_an_excursion_sent_reading_by_reading(self):
        """The state kept between batches gives the same figures."""
        self._check_mkt_of_an_excursion(one_by_one=True)

    def _check_mkt_of_an_excursion(self, one_by_one):
        """24 hourly readings of an excursion, 23 at 5 °C and one at 25 °C,
        in a room that must stay at or below 4 °C: MKT 7.756 °C."""
        profile = self._profile(
            "Test deep chill",
            {
                ("temperature", "alarm", "low"): -10.0,
                ("temperature", "alarm", "high"): 4.0,
            },
        )
        sensor = self._sensor(f"DC-{int(one_by_one)}", profile)
        start = NOW - timedelta(days=2)
        points = [(60 * hour, 25.0 if hour == 12 else 5.0) for hour in range(24)]
        # back inside at hour 24 closes the excursion
        points.append((60 * 24, 3.0))
        with freeze_time(NOW):
            if one_by_one:
                for point in points:
                    self._ingest(sensor, [point], base=start)
            else:
                self._ingest(sensor, points, base=start)
        alert = self._alerts(sensor)
        self.assertEqual(len(alert), 1)
        self.assertFalse(alert.is_ongoing)
        self.assertEqual(alert.date_start, start)
        self.assertEqual(alert.date_end, start + timedelta(hours=24))
        self.assertEqual(alert.duration_minutes, 24 * 60)
        self.assertEqual(alert.peak_value, 25.0)
        self.assertAlmostEqual(alert.mkt, 7.756, places=2)
