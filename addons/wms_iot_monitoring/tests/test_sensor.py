# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hashlib

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import IOT_MANAGER, WmsIotCase


@tagged("post_install", "-at_install")
class TestSensorAndGateway(WmsIotCase):
    def test_serial_unique_per_company(self):
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            self._sensor("CR-A-01", self.profile_now)
        company_b = self.env["res.company"].create({"name": "IoT Company B"})
        sensor_b = self._company_sensor(
            company_b, "CR-A-01", name="Same serial elsewhere"
        )
        self.assertTrue(sensor_b)

    def test_location_and_gateway_company_checked(self):
        company_b = self.env["res.company"].create({"name": "IoT Company B"})
        location_b = (
            self.env["stock.warehouse"]
            .search([("company_id", "=", company_b.id)], limit=1)
            .lot_stock_id
        )
        gateway_b = self.Gateway.create({"name": "B", "company_id": company_b.id})
        with self.assertRaises(UserError):
            self._sensor("X-01", self.profile_now, location=location_b)
        with self.assertRaises(UserError):
            self._sensor("X-02", self.profile_now, gateway=gateway_b)

    def test_key_stored_as_prefix_and_hash_only(self):
        action = self.gateway.with_user(self.iot_manager).action_generate_key()
        key = self.env[action["res_model"]].browse(action["res_id"]).key
        self.assertGreaterEqual(len(key), 40, "a long random key")
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT key_prefix, key_hash FROM wms_iot_gateway WHERE id = %s",
            [self.gateway.id],
        )
        prefix, digest = self.env.cr.fetchone()
        self.assertEqual(digest, hashlib.sha256(key.encode()).hexdigest())
        self.assertTrue(key.startswith(prefix))
        self.assertNotEqual(prefix, key)
        self.env.cr.execute(
            "SELECT count(*) FROM wms_iot_gateway WHERE row_to_json("
            "wms_iot_gateway)::text LIKE %s",
            [f"%{key}%"],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0, "no plaintext key")
        # two keys never repeat
        other = self.other_gateway.with_user(self.iot_manager).action_generate_key()
        self.assertNotEqual(
            self.env[other["res_model"]].browse(other["res_id"]).key, key
        )

    def test_key_dialog_drops_the_key(self):
        action = self.gateway.with_user(self.iot_manager).action_generate_key()
        Key = self.env[action["res_model"]]
        dialog = Key.browse(action["res_id"])
        self.assertEqual(dialog.gateway_id, self.gateway)
        self.assertIn("/wms/iot/v1/readings", dialog.endpoint_url)
        self.assertNotIn(dialog.key, dialog.curl_example, "no key in the example")
        other = new_test_user(
            self.env, login="wms_iot_manager_3", groups=f"base.group_user,{IOT_MANAGER}"
        )
        with self.assertRaises(AccessError):
            Key.with_user(other).browse(dialog.id).action_done()
        Key.with_user(self.iot_manager).browse(dialog.id).action_done()
        self.assertFalse(dialog.exists())
        self.assertTrue(self.gateway.has_key, "the gateway keeps the hash")

    def test_reading_indexes(self):
        self.env.cr.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'wms_iot_reading'"
        )
        definitions = [row[0] for row in self.env.cr.fetchall()]
        self.assertTrue(
            any(
                "UNIQUE" in d and "(sensor_id, ts)" in d.replace('"', "")
                for d in definitions
            ),
            definitions,
        )
        self.assertTrue(any("USING brin (ts)" in d for d in definitions), definitions)

    def test_action_view_readings(self):
        action = self.sensor.action_view_readings()
        self.assertEqual(action["res_model"], "wms.iot.reading")
        self.assertIn(("sensor_id", "=", self.sensor.id), action["domain"])
        self.assertIn("graph", action.get("view_mode", ""))
        self.assertTrue(action["context"].get("search_default_last_24h"))
        alerts = self.sensor.action_view_alerts()
        self.assertEqual(alerts["res_model"], "wms.iot.alert")
