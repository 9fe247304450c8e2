# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tests.common import freeze_time
from odoo.tools import mute_logger

from .common import NOW, WmsIotCase

BASE = NOW - timedelta(minutes=20)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestAlertLifecycle(WmsIotCase):
    """What happens to alerts when people act on the sensor or the alert."""

    def _alarm(self):
        self.sensor_now.partner_id = self.customer
        self._ingest(self.sensor_now, [(0, 9.0)], base=BASE)
        alert = self._alerts(self.sensor_now)
        self.assertEqual(alert.level, "alarm")
        self.assertTrue(alert.ticket_id)
        return alert

    def test_acknowledged_warning_rising_to_alarm_needs_a_new_acknowledgement(self):
        self._ingest(self.sensor_now, [(0, 7.4)], base=BASE)
        alert = self._alerts(self.sensor_now)
        alert.with_user(self.iot_user).action_wms_acknowledge("Door ajar, closed")
        self.assertTrue(alert.acknowledged)
        self._ingest(self.sensor_now, [(5, 8.6)], base=BASE)
        self.assertEqual(alert.level, "alarm")
        self.assertFalse(alert.acknowledged, "the alarm needs its own")
        self.assertFalse(alert.ack_user_id)
        self.assertIn(
            "Door ajar, closed", " ".join(str(m.body) for m in alert.message_ids)
        )
        alert.with_user(self.iot_manager).action_wms_acknowledge("Product moved")
        self.assertEqual(alert.ack_user_id, self.iot_manager)

    def _assert_ended_by(self, change):
        alert = self._alarm()
        ticket_messages = alert.ticket_id.message_ids
        change()
        self.assertFalse(alert.is_ongoing)
        self.assertTrue(alert.date_end)
        self.assertTrue(alert.ticket_id.message_ids - ticket_messages)
        # readings from now on raise nothing
        if self.sensor_now.active and self.sensor_now.state != "retired":
            self._ingest(self.sensor_now, [(10, 12.0), (15, 12.0)], base=BASE)
            self.assertEqual(self._alerts(self.sensor_now), alert)

    def test_calibration_ends_the_alerts(self):
        self._assert_ended_by(lambda: setattr(self.sensor_now, "state", "calibration"))

    def test_retirement_ends_the_alerts(self):
        self._assert_ended_by(lambda: setattr(self.sensor_now, "state", "retired"))

    def test_archiving_ends_the_alerts(self):
        self._assert_ended_by(lambda: setattr(self.sensor_now, "active", False))

    def test_back_to_active_starts_afresh(self):
        alert = self._alarm()
        self.sensor_now.state = "calibration"
        self._ingest(self.sensor_now, [(5, 12.0)], base=BASE)
        self.sensor_now.state = "active"
        self._ingest(self.sensor_now, [(10, 12.0)], base=BASE)
        alerts = self._alerts(self.sensor_now)
        self.assertEqual(len(alerts), 2, "a new excursion, not the old one")
        self.assertEqual((alerts - alert).date_start, self._dt(10, base=BASE))

    def test_a_sensor_with_alerts_is_not_deleted(self):
        self._alarm()
        with mute_logger("odoo.sql_db"), self.assertRaises(UserError):
            self.sensor_now.unlink()
        self.assertTrue(self.sensor_now.exists())

    def test_last_seen_is_set_by_the_system(self):
        with self.assertRaises(AccessError):
            self.gateway.with_user(self.iot_manager).write(
                {"last_seen": NOW - timedelta(days=1)}
            )

    def test_alert_name_in_the_readers_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["wms_iot_monitoring"], ["zh_CN"], overwrite=True
        )
        alert = self._alarm()
        self.assertNotRegex(alert.with_context(lang="en_US").name, r"[\u4e00-\u9fff]")
        self.assertRegex(alert.with_context(lang="zh_CN").name, r"[\u4e00-\u9fff]")
        self.assertIn(self.sensor_now.name, alert.name)
