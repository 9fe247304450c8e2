# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo.tests import tagged
from odoo.tests.common import freeze_time

from .common import NOW, WmsIotCase


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestAlarmLogic(WmsIotCase):
    """Delay, reset, hysteresis and level changes, the way cold-chain
    monitors count them: in device time."""

    def test_delay_opens_once_the_value_stayed_out_long_enough(self):
        # 9 °C is above the alarm limit (8) and the warning limit (7);
        # the profile's delay is 15 minutes
        self._ingest(self.sensor, [(0, 9.0), (5, 9.0), (10, 9.0)])
        self.assertFalse(self._alerts(self.sensor), "10 min out < 15 min delay")
        self._ingest(self.sensor, [(16, 9.0)])
        alert = self._alerts(self.sensor)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.level, "alarm")
        self.assertEqual(alert.measure, "temperature")
        self.assertEqual(alert.direction, "high")
        self.assertEqual(alert.limit_value, 8.0)
        # the excursion starts at the first reading out of range
        self.assertEqual(alert.date_start, self._dt(0))
        self.assertFalse(alert.date_end)
        self.assertTrue(alert.is_ongoing)
        self.assertEqual(alert.location_id, self.cold_room)
        self.assertEqual(alert.company_id, self.company)
        self.assertEqual(self.sensor.status, "alarm")

    def test_delay_in_one_batch_equals_delay_over_batches(self):
        result = self._ingest(self.sensor, [(0, 9.0), (8, 9.0), (16, 9.0)])
        self.assertEqual(result["accepted"], 3)
        alert = self._alerts(self.sensor)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.date_start, self._dt(0))

    def test_delay_counts_device_time_not_wall_time(self):
        """Two readings five device-minutes apart, sent an hour apart of
        wall time, stay below the 15 minute delay."""
        self._ingest(self.sensor, [(50, 9.0)])
        with freeze_time(NOW + timedelta(hours=1)):
            self._ingest(self.sensor, [(55, 9.0)])
        self.assertFalse(self._alerts(self.sensor))

    def test_readings_are_evaluated_in_device_time_order(self):
        # a gateway may send a buffer in any order
        self._ingest(self.sensor, [(16, 9.0), (0, 9.0), (8, 9.0)])
        alert = self._alerts(self.sensor)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.date_start, self._dt(0))
        # last values are the latest in device time, not the last item sent
        self.assertEqual(self.sensor.last_reading_date, self._dt(16))

    def test_reading_back_inside_resets_the_delay(self):
        self._ingest(self.sensor, [(0, 9.0), (10, 9.0), (12, 5.0), (14, 9.0)])
        self._ingest(self.sensor, [(20, 9.0), (28, 9.0)])
        self.assertFalse(self._alerts(self.sensor), "14 min since the reset at 12")
        self._ingest(self.sensor, [(30, 9.0)])
        alert = self._alerts(self.sensor)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.date_start, self._dt(14))

    def test_the_limits_are_inside_the_range(self):
        """2-8 °C: 2.0 and 8.0 are in range, 8.01 is not."""
        profile = self._profile(
            "Test 2-8 alarm only",
            {
                ("temperature", "alarm", "low"): 2.0,
                ("temperature", "alarm", "high"): 8.0,
            },
        )
        sensor = self._sensor("EDGE-01", profile)
        self._ingest(sensor, [(0, 8.0), (5, 2.0), (10, 8.0)])
        self.assertFalse(self._alerts(sensor))
        self.assertEqual(sensor.status, "ok")
        self._ingest(sensor, [(15, 8.01)])
        self.assertEqual(self._alerts(sensor).level, "alarm")

    def test_low_excursion(self):
        self._ingest(self.sensor_now, [(0, 1.0)])
        alert = self._alerts(self.sensor_now)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.direction, "low")
        self.assertEqual(alert.level, "alarm")
        self.assertEqual(alert.limit_value, 2.0)

    def test_hysteresis_high(self):
        """A high alarm at 8 °C with 0.5 hysteresis clears at 7.5 °C."""
        self._ingest(self.sensor_now, [(0, 8.6), (5, 9.1)])
        alert = self._alerts(self.sensor_now)
        self.assertEqual(len(alert), 1)
        self._ingest(self.sensor_now, [(10, 7.8)])
        self.assertTrue(alert.is_ongoing, "7.8 is inside 8 but not by 0.5")
        self.assertFalse(alert.date_end)
        self.assertEqual(alert.level, "alarm")
        self._ingest(self.sensor_now, [(15, 7.5)])
        self.assertFalse(alert.is_ongoing)
        self.assertEqual(alert.date_end, self._dt(15))
        self.assertEqual(alert.peak_value, 9.1)
        self.assertEqual(alert.duration_minutes, 15)
        # a new excursion is a new alert
        self._ingest(self.sensor_now, [(20, 8.5)])
        self.assertEqual(len(self._alerts(self.sensor_now)), 2)
        self.assertEqual(len(self._alerts(self.sensor_now, is_ongoing=True)), 1)

    def test_hysteresis_low(self):
        self._ingest(self.sensor_now, [(0, 1.0), (5, 0.4), (10, 2.3)])
        alert = self._alerts(self.sensor_now)
        self.assertTrue(alert.is_ongoing, "2.3 is inside 2 but not by 0.5")
        self.assertEqual(alert.peak_value, 0.4)
        self._ingest(self.sensor_now, [(15, 2.5)])
        self.assertFalse(alert.is_ongoing)
        self.assertEqual(alert.date_end, self._dt(15))

    def test_hysteresis_of_a_warning(self):
        self._ingest(self.sensor_now, [(0, 7.4), (5, 6.8)])
        alert = self._alerts(self.sensor_now)
        self.assertEqual(alert.level, "warning")
        self.assertTrue(alert.is_ongoing, "6.8 is inside 7 but not by 0.5")
        self._ingest(self.sensor_now, [(10, 6.5)])
        self.assertFalse(alert.is_ongoing)
        self.assertEqual(alert.date_end, self._dt(10))
        self.assertEqual(self.sensor_now.status, "ok")

    def test_humidity_alarm_with_its_own_hysteresis(self):
        self._ingest(self.sensor_now, [(0, 5.0, 72.0), (5, 5.0, 69.0)])
        alert = self._alerts(self.sensor_now)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.measure, "humidity")
        self.assertTrue(alert.is_ongoing, "69 %RH is inside 70 but not by 2")
        self.assertFalse(alert.mkt, "MKT is for temperature excursions")
        self._ingest(self.sensor_now, [(10, 5.0, 68.0)])
        self.assertFalse(alert.is_ongoing)

    def test_warning_rises_to_alarm_on_the_same_alert(self):
        self._ingest(self.sensor_now, [(0, 7.4)])
        alert = self._alerts(self.sensor_now)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.level, "warning")
        self.assertEqual(alert.limit_value, 7.0)
        self.assertEqual(self.sensor_now.status, "warning")
        self.assertFalse(alert.ticket_id, "a warning opens no ticket")
        self._flush_tracking()
        self._ingest(self.sensor_now, [(5, 8.4)])
        self.assertEqual(self._alerts(self.sensor_now), alert, "no second alert")
        self.assertEqual(alert.level, "alarm")
        self.assertEqual(alert.limit_value, 8.0)
        self.assertEqual(alert.alarm_date, self._dt(5))
        self.assertEqual(alert.date_start, self._dt(0))
        self.assertEqual(self.sensor_now.status, "alarm")
        self._flush_tracking()
        tracked = alert.message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "level"
        )
        self.assertEqual(len(tracked), 1, "the level change is in the chatter")
        self.assertEqual(tracked.old_value_char, "Warning")
        self.assertEqual(tracked.new_value_char, "Alarm")

    def test_delay_applies_to_the_rise_to_alarm(self):
        """With a delay, the warning opens after the delay beyond the
        warning limit, and rises once the value stayed beyond the alarm
        limit for the delay too."""
        self._ingest(self.sensor, [(0, 7.5), (16, 7.5)])
        alert = self._alerts(self.sensor)
        self.assertEqual(alert.level, "warning")
        self.assertEqual(alert.date_start, self._dt(0))
        self._ingest(self.sensor, [(20, 8.5), (30, 8.5)])
        self.assertEqual(alert.level, "warning", "10 min beyond 8 < 15")
        self._ingest(self.sensor, [(32, 7.8), (34, 8.5), (48, 8.5)])
        self.assertEqual(alert.level, "warning", "the dip at 32 reset the delay")
        self._ingest(self.sensor, [(50, 8.5)])
        self.assertEqual(self._alerts(self.sensor), alert)
        self.assertEqual(alert.level, "alarm")
        self.assertEqual(alert.alarm_date, self._dt(50))
        self.assertEqual(alert.date_start, self._dt(0))
        self.assertEqual(alert.peak_value, 8.5)

    def test_alarm_back_inside_by_the_hysteresis_ends(self):
        """Back under the alarm limit by the hysteresis ends the alarm, even
        above the warning limit; at most one ongoing alert per sensor,
        measure and direction."""
        self._ingest(self.sensor_now, [(0, 8.5), (5, 7.2)])
        alarm = self._alerts(self.sensor_now, level="alarm")
        self.assertEqual(len(alarm), 1)
        self.assertEqual(alarm.date_end, self._dt(5))
        ongoing = self._alerts(self.sensor_now, is_ongoing=True)
        self.assertLessEqual(len(ongoing), 1)
        self.assertNotEqual(ongoing.level, "alarm")
        self.assertEqual(self.sensor_now.status, ongoing.level or "ok")
        self._ingest(self.sensor_now, [(10, 5.0)])
        self.assertFalse(self._alerts(self.sensor_now, is_ongoing=True))

    def test_older_readings_are_stored_but_do_not_reopen_the_past(self):
        self._ingest(self.sensor_now, [(40, 5.0), (45, 5.0)])
        result = self._ingest(self.sensor_now, [(0, 12.0), (5, 12.0), (10, 12.0)])
        self.assertEqual(result["accepted"], 3)
        self.assertEqual(len(self._readings(self.sensor_now)), 5)
        self.assertFalse(self._alerts(self.sensor_now))
        self.assertEqual(self.sensor_now.status, "ok")
        self.assertEqual(self.sensor_now.last_reading_date, self._dt(45))
        self.assertEqual(self.sensor_now.last_temperature, 5.0)

    def test_last_values_and_status(self):
        self._ingest(self.sensor_now, [(0, 4.0, 55.0), (5, 4.5, 56.0)])
        self.assertEqual(self.sensor_now.last_reading_date, self._dt(5))
        self.assertEqual(self.sensor_now.last_temperature, 4.5)
        self.assertEqual(self.sensor_now.last_humidity, 56.0)
        self.assertEqual(self.sensor_now.status, "ok")

    def test_calibration_stores_readings_and_raises_nothing(self):
        self.sensor_now.state = "calibration"
        tickets = self.Ticket.search_count([("wms_source_model", "=", "wms.iot.alert")])
        result = self._ingest(self.sensor_now, [(0, 20.0), (5, 21.0), (30, 22.0)])
        self.assertEqual(result["accepted"], 3)
        self.assertFalse(result["rejected"])
        self.assertEqual(len(self._readings(self.sensor_now)), 3)
        self.assertFalse(self._alerts(self.sensor_now))
        self.assertEqual(
            self.Ticket.search_count([("wms_source_model", "=", "wms.iot.alert")]),
            tickets,
        )
        self.assertNotIn(self.sensor_now.status, ("warning", "alarm"))

    def test_retired_sensor_refuses_readings(self):
        self.sensor_now.state = "retired"
        result = self._ingest(self.sensor_now, [(0, 20.0)])
        self.assertEqual(result["accepted"], 0)
        self.assertEqual([r["index"] for r in result["rejected"]], [0])
        self.assertTrue(result["rejected"][0]["error"])
        self.assertFalse(self._readings(self.sensor_now))
        self.assertFalse(self._alerts(self.sensor_now))
