# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import new_test_user, tagged
from odoo.tests.common import freeze_time

from .common import IOT_MANAGER, NOW, WmsIotCase

BASE = NOW - timedelta(minutes=20)


@tagged("post_install", "-at_install")
class TestOfflineAlert(WmsIotCase):
    """The watch cron opens an offline alert for a silent sensor; the next
    reading closes it."""

    def _offline(self, sensor):
        return self._alerts(sensor, level="offline")

    def test_offline_then_back(self):
        with freeze_time(NOW):
            # received at NOW; offline after 30 min of silence
            self._ingest(self.sensor_now, [(0, 5.0), (10, 5.0)], base=BASE)
            self.Alert._cron_wms_iot_watch()
            self.assertFalse(self._offline(self.sensor_now))
            self.assertEqual(self.sensor_now.status, "ok")
        with freeze_time(NOW + timedelta(minutes=25)):
            self.Alert._cron_wms_iot_watch()
            self.assertFalse(self._offline(self.sensor_now), "silent for 25 min")
        later = NOW + timedelta(minutes=35)
        with freeze_time(later):
            self.Alert._cron_wms_iot_watch()
            alert = self._offline(self.sensor_now)
            self.assertEqual(len(alert), 1, "silent for 35 min")
            self.assertTrue(alert.is_ongoing)
            self.assertFalse(alert.measure)
            self.assertFalse(alert.date_end)
            self.assertEqual(alert.location_id, self.cold_room)
            self.sensor_now.invalidate_recordset()
            self.assertEqual(self.sensor_now.status, "offline")
            # the next run does not open a second one
            self.Alert._cron_wms_iot_watch()
            self.assertEqual(self._offline(self.sensor_now), alert)
            # the sensor speaks again
            self._ingest(self.sensor_now, [(0, 5.0)], base=later)
            self.assertFalse(alert.is_ongoing)
            self.assertTrue(alert.date_end)
            self.sensor_now.invalidate_recordset()
            self.assertEqual(self.sensor_now.status, "ok")
        with freeze_time(later + timedelta(minutes=10)):
            self.Alert._cron_wms_iot_watch()
            self.assertEqual(self._offline(self.sensor_now), alert, "no new one")

    def test_offline_is_judged_on_arrival(self):
        """A gateway whose clock is an hour late is not offline while it
        sends; one that sends nothing is, whatever its readings said."""
        with freeze_time(NOW):
            self._ingest(self.sensor_now, [(0, 5.0)], base=NOW - timedelta(hours=1))
        with freeze_time(NOW + timedelta(minutes=5)):
            self.Alert._cron_wms_iot_watch()
            self.assertFalse(self._offline(self.sensor_now))
        with freeze_time(NOW + timedelta(minutes=31)):
            self.Alert._cron_wms_iot_watch()
            self.assertTrue(self._offline(self.sensor_now))

    def test_profile_offline_delay(self):
        self.profile_now.offline_after_minutes = 120
        with freeze_time(NOW):
            self._ingest(self.sensor_now, [(10, 5.0)], base=BASE)
        with freeze_time(NOW + timedelta(minutes=60)):
            self.Alert._cron_wms_iot_watch()
            self.assertFalse(self._offline(self.sensor_now))
        with freeze_time(NOW + timedelta(minutes=125)):
            self.Alert._cron_wms_iot_watch()
            self.assertTrue(self._offline(self.sensor_now))

    def test_retired_sensor_is_not_offline(self):
        with freeze_time(NOW):
            self._ingest(self.sensor_now, [(10, 5.0)], base=BASE)
        self.sensor_now.state = "retired"
        with freeze_time(NOW + timedelta(hours=2)):
            self.Alert._cron_wms_iot_watch()
            self.assertFalse(self._offline(self.sensor_now))


@tagged("post_install", "-at_install")
class TestEscalation(WmsIotCase):
    """Alarms left unacknowledged past the profile's delay escalate: one
    activity per escalation user, once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.profile_now.escalate_after_minutes = 60
        cls._company_b_manager()
        cls.manager_2 = new_test_user(
            cls.env, login="wms_iot_manager_2", groups=f"base.group_user,{IOT_MANAGER}"
        )

    def _alarm(self, level_value=9.0):
        with freeze_time(NOW):
            # the alarm opens at NOW - 5 min
            self._ingest(self.sensor_now, [(15, level_value)], base=BASE)
        return self._alerts(self.sensor_now).filtered(
            lambda alert: alert.level != "offline"
        )

    @contextmanager
    def _at(self, when):
        """At ``when``, the database clock (create dates) included."""
        with freeze_time(when), patch.object(type(self.env.cr), "now", lambda cr: when):
            yield

    def _watch_at(self, when):
        with freeze_time(when):
            self.Alert._cron_wms_iot_watch()

    def _escalations(self, alert, users):
        return self._activities(alert).filtered(lambda a: a.user_id in users)

    def test_default_escalates_to_the_iot_managers_of_the_company(self):
        alert = self._alarm()
        self.assertEqual(alert.level, "alarm")
        managers = self.iot_manager | self.manager_2
        everyone = managers | self.manager_b | self.iot_user
        self._watch_at(NOW + timedelta(minutes=10))
        self.assertFalse(alert.escalated_date, "15 min unacknowledged < 60")
        self.assertFalse(self._escalations(alert, everyone))
        self._watch_at(NOW + timedelta(hours=2))
        self.assertTrue(alert.escalated_date)
        activities = self._escalations(alert, everyone)
        self.assertEqual(activities.user_id, managers)
        self.assertEqual(len(activities), 2, "one activity per manager")
        # the admin is an IoT manager of this company too
        admin = self.env.ref("base.user_admin")
        self.assertEqual(len(self._escalations(alert, admin)), 1)
        escalated = alert.escalated_date
        # escalated once
        self._watch_at(NOW + timedelta(hours=3))
        self.assertEqual(len(self._escalations(alert, everyone)), 2)
        self.assertEqual(alert.escalated_date, escalated)

    def test_profile_escalation_users(self):
        self.profile_now.escalation_user_ids = [Command.set(self.iot_user.ids)]
        alert = self._alarm()
        self._watch_at(NOW + timedelta(hours=2))
        self.assertTrue(alert.escalated_date)
        managers = self.iot_manager | self.manager_2 | self.env.ref("base.user_admin")
        self.assertEqual(len(self._escalations(alert, self.iot_user)), 1)
        self.assertFalse(self._escalations(alert, managers))

    def test_acknowledged_alarm_does_not_escalate(self):
        alert = self._alarm()
        alert.with_user(self.iot_user).action_wms_acknowledge("Door was open")
        self._watch_at(NOW + timedelta(hours=2))
        self.assertFalse(alert.escalated_date)
        self.assertFalse(self._escalations(alert, self.iot_manager | self.manager_2))

    def test_warning_does_not_escalate(self):
        alert = self._alarm(level_value=7.5)
        self.assertEqual(alert.level, "warning")
        self._watch_at(NOW + timedelta(hours=2))
        self.assertFalse(alert.escalated_date)

    def test_offline_escalates_from_its_opening(self):
        """An offline alert starts at the last reading, long before it
        opens: its escalation counts from the opening."""
        with freeze_time(NOW):
            self._ingest(self.sensor_now, [(15, 5.0)], base=BASE)  # NOW - 5 min
        opened = NOW + timedelta(minutes=40)
        with self._at(opened):
            self.Alert._cron_wms_iot_watch()
        offline = self._alerts(self.sensor_now, level="offline")
        self.assertEqual(len(offline), 1)
        managers = self.iot_manager | self.manager_2
        with self._at(opened + timedelta(minutes=30)):
            self.Alert._cron_wms_iot_watch()
        self.assertFalse(offline.escalated_date, "75 min silent, 30 min open")
        self.assertFalse(self._escalations(offline, managers))
        with self._at(opened + timedelta(minutes=61)):
            self.Alert._cron_wms_iot_watch()
        self.assertTrue(offline.escalated_date)
        self.assertEqual(self._escalations(offline, managers).user_id, managers)

    def test_no_escalation_when_disabled(self):
        self.profile_now.escalate_after_minutes = 0
        alert = self._alarm()
        self._watch_at(NOW + timedelta(days=2))
        self.assertFalse(alert.escalated_date)
        self.assertFalse(self._escalations(alert, self.iot_manager | self.manager_2))


@tagged("post_install", "-at_install")
class TestScheduledActions(WmsIotCase):
    """The crons run their private entry points, as the scheduler does."""

    def test_crons(self):
        now = fields.Datetime.now().replace(microsecond=0)
        two_hours_ago = now - timedelta(hours=2)
        with freeze_time(two_hours_ago + timedelta(minutes=2)):
            self._ingest(self.sensor_now, [(0, 5.0), (1, 5.5)], base=two_hours_ago)
        watch = self.env.ref("wms_iot_monitoring.ir_cron_wms_iot_watch")
        rollup = self.env.ref("wms_iot_monitoring.ir_cron_wms_iot_rollup")
        self.assertEqual((watch.interval_number, watch.interval_type), (5, "minutes"))
        self.assertEqual((rollup.interval_number, rollup.interval_type), (1, "hours"))
        self.assertTrue(watch.active and rollup.active)
        watch.method_direct_trigger()
        self.assertTrue(self._alerts(self.sensor_now, level="offline"))
        rollup.method_direct_trigger()
        hour = two_hours_ago.replace(minute=0, second=0)
        row = self.Hourly.search(
            [("sensor_id", "=", self.sensor_now.id), ("hour", "=", hour)]
        )
        self.assertEqual(row.temp_count, 2 if two_hours_ago.minute < 59 else 1)
