# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import freeze_time

from .common import IOT_MANAGER, IOT_USER, NOW, WmsIotCase


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestCompanyIsolation(WmsIotCase):
    """A user of another company sees nothing of this company's cold
    chain: no sensor, reading, rollup, alert, gateway or private profile."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._company_b_manager()
        cls.user_b = new_test_user(
            cls.env,
            login="wms_iot_user_b",
            groups=f"base.group_user,{IOT_USER}",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.private_profile = cls._profile(
            "Company A only",
            {("temperature", "alarm", "high"): 8.0},
            company_id=cls.company.id,
        )

    def setUp(self):
        super().setUp()
        self._ingest(self.sensor_now, [(0, 9.0), (5, 9.5)])
        self.Hourly._cron_wms_iot_rollup()
        self.alert = self._alerts(self.sensor_now)
        self.assertTrue(self.alert)
        self.assertTrue(self._readings(self.sensor_now))
        self.assertTrue(self.Hourly.search([("sensor_id", "=", self.sensor_now.id)]))

    def test_other_company_sees_nothing(self):
        for user in (self.manager_b, self.user_b):
            with self.subTest(user=user.login):
                for model in (
                    "wms.iot.sensor",
                    "wms.iot.reading",
                    "wms.iot.reading.hourly",
                    "wms.iot.alert",
                    "wms.iot.gateway",
                ):
                    self.assertEqual(
                        self.env[model].with_user(user).search_count([]), 0, model
                    )
                profiles = self.env["wms.iot.profile"].with_user(user).search([])
                self.assertNotIn(self.private_profile, profiles)
                self.assertIn(self.profile_now, profiles, "shared profiles")
                for record in (
                    self.sensor_now,
                    self.gateway,
                    self.alert,
                    self._readings(self.sensor_now)[:1],
                    self.private_profile,
                ):
                    with self.assertRaises(AccessError):
                        record.with_user(user).read(["display_name"])
                with self.assertRaises(AccessError):
                    self.alert.with_user(user).action_wms_acknowledge("Not mine")
        self.assertFalse(self.alert.acknowledged)

    def test_other_company_cannot_loosen_a_shared_profile(self):
        """A shared profile serves this company's sensors: a manager of
        another company must not move its limits."""
        self.assertFalse(self.profile_now.company_id)
        self.assertIn(self.sensor_now, self.profile_now.sensor_ids)
        profile = self.profile_now.with_user(self.manager_b)
        with self.assertRaises(AccessError):
            profile.write({"alarm_delay_minutes": 600})
        line = profile.limit_ids.filtered(
            lambda line: (
                (line.measure, line.level, line.direction)
                == ("temperature", "alarm", "high")
            )
        )
        with self.assertRaises(AccessError):
            line.write({"value": 30.0})
        with self.assertRaises(AccessError):
            line.unlink()
        self.assertEqual(self.profile_now.alarm_delay_minutes, 0)
        self.assertEqual(
            self.profile_now._wms_limit("temperature", "alarm", "high"), 8.0
        )

    def test_other_company_manager_cannot_take_the_key(self):
        with self.assertRaises(AccessError):
            self.gateway.with_user(self.manager_b).action_generate_key()
        with self.assertRaises(AccessError):
            self.gateway.with_user(self.manager_b).action_revoke_key()

    def test_own_company_sees_its_own(self):
        for model in ("wms.iot.sensor", "wms.iot.alert", "wms.iot.gateway"):
            self.assertTrue(self.env[model].with_user(self.iot_user).search_count([]))

    def test_iot_user_cannot_configure(self):
        with self.assertRaises(AccessError):
            self.sensor.with_user(self.iot_user).write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            self.profile.with_user(self.iot_user).write({"alarm_delay_minutes": 0})
        with self.assertRaises(AccessError):
            self.gateway.with_user(self.iot_user).action_generate_key()
        with self.assertRaises(AccessError):
            self.gateway.with_user(self.iot_user).write({"rate_limit": 10**9})

    def test_status_fields_cannot_be_forged(self):
        with self.assertRaises(AccessError):
            self.sensor_now.with_user(self.iot_manager).write({"status": "ok"})
        self.assertEqual(self.sensor_now.status, "alarm")

    def test_key_hash_is_not_readable(self):
        """The key's hash and prefix are no fields: RPC cannot read them."""
        gateway = self.gateway.with_user(self.iot_manager)
        self.assertNotIn("key_hash", gateway._fields)
        self.assertNotIn("key_prefix", gateway._fields)
        data = gateway.read()[0]
        self.assertFalse({"key_hash", "key_prefix"} & set(data))
        action = gateway.action_generate_key()
        key = self.env[action["res_model"]].browse(action["res_id"]).key
        data = gateway.read()[0]
        self.assertNotIn(key, {str(value) for value in data.values()})
        self.assertTrue(gateway.has_key)
        # the key is shown to the manager who generated it, not to others
        other = new_test_user(
            self.env, login="wms_iot_manager_3", groups=f"base.group_user,{IOT_MANAGER}"
        )
        with self.assertRaises(AccessError):
            (
                self.env[action["res_model"]]
                .with_user(other)
                .browse(action["res_id"])
                .read(["key"])
            )
