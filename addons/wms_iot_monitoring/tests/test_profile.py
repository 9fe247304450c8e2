# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import WmsIotCase


@tagged("post_install", "-at_install")
class TestProfile(WmsIotCase):
    """Limits are lines: a missing line is no limit; bands are consistent."""

    def test_shipped_profiles(self):
        pharma = self.env.ref("wms_iot_monitoring.profile_pharma_2_8")
        self.assertEqual(pharma.alarm_delay_minutes, 15)
        expected = {
            ("warning", "low"): 3.0,
            ("warning", "high"): 7.0,
            ("alarm", "low"): 2.0,
            ("alarm", "high"): 8.0,
        }
        for (level, direction), value in expected.items():
            self.assertEqual(pharma._wms_limit("temperature", level, direction), value)
        room = self.env.ref("wms_iot_monitoring.profile_controlled_room")
        self.assertFalse(room.alarm_delay_minutes)
        self.assertEqual(room._wms_limit("temperature", "alarm", "low"), 15.0)
        self.assertEqual(room._wms_limit("temperature", "alarm", "high"), 25.0)
        self.assertIsNone(room._wms_limit("temperature", "warning", "high"))
        frozen = self.env.ref("wms_iot_monitoring.profile_frozen")
        self.assertEqual(frozen._wms_limit("temperature", "warning", "high"), -20.0)
        self.assertEqual(frozen._wms_limit("temperature", "alarm", "high"), -18.0)
        self.assertIsNone(frozen._wms_limit("temperature", "alarm", "low"))
        for profile in (pharma, room, frozen):
            self.assertEqual(profile.offline_after_minutes, 30)
            self.assertIsNone(profile._wms_limit("humidity", "alarm", "high"))

    def test_missing_line_is_no_limit_not_zero(self):
        """A freezer without a low limit never alarms on -25 °C."""
        frozen = self.env.ref("wms_iot_monitoring.profile_frozen")
        sensor = self._sensor("FRZ-01", frozen)
        self._ingest(sensor, [(0, -25.0), (5, -19.0)])
        alert = self._alerts(sensor)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.direction, "high")
        self.assertEqual(alert.level, "warning")

    def test_low_below_high(self):
        with self.assertRaises(ValidationError):
            self._profile(
                "Upside down",
                {
                    ("temperature", "alarm", "low"): 8.0,
                    ("temperature", "alarm", "high"): 2.0,
                },
            )
        with self.assertRaises(ValidationError):
            self._profile(
                "Flat",
                {
                    ("humidity", "warning", "low"): 40.0,
                    ("humidity", "warning", "high"): 40.0,
                },
            )

    def test_warning_band_inside_the_alarm_band(self):
        with self.assertRaises(ValidationError):
            self._profile(
                "Warning outside",
                {
                    ("temperature", "warning", "high"): 9.0,
                    ("temperature", "alarm", "high"): 8.0,
                },
            )
        with self.assertRaises(ValidationError):
            self._profile(
                "Warning outside low",
                {
                    ("temperature", "warning", "low"): 1.0,
                    ("temperature", "alarm", "low"): 2.0,
                },
            )
        with self.assertRaises(ValidationError):
            self.profile.write(
                {
                    "limit_ids": [
                        Command.update(
                            self.profile.limit_ids.filtered(
                                lambda line: (
                                    (line.level, line.direction) == ("warning", "high")
                                )
                            ).id,
                            {"value": 8.5},
                        )
                    ]
                }
            )

    def test_one_line_per_measure_level_direction(self):
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            self.env["wms.iot.profile.limit"].create(
                {
                    "profile_id": self.profile.id,
                    "measure": "temperature",
                    "level": "alarm",
                    "direction": "high",
                    "value": 9.0,
                }
            )
