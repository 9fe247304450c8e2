# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import xmlrpc.client
from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import HttpCase, get_db_name, tagged

from .common import WmsIotCase


@tagged("post_install", "-at_install")
class TestIntegratorApi(HttpCase, WmsIotCase):
    """``wms.iot.reading.wms_ingest`` over /json/2 and XML-RPC: IoT Managers
    send readings, IoT Users don't."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ApiKeys = cls.env["res.users.apikeys"]
        expiration = datetime.now() + timedelta(days=1)
        cls.manager_key = (
            ApiKeys.with_user(cls.iot_manager)
            .sudo()
            ._generate(scope="rpc", name="MES", expiration_date=expiration)
        )
        cls.user_key = (
            ApiKeys.with_user(cls.iot_user)
            .sudo()
            ._generate(scope="rpc", name="Dashboard", expiration_date=expiration)
        )

    def setUp(self):
        super().setUp()
        self.now = fields.Datetime.now().replace(microsecond=0)

    def _items(self, sensor, minutes_ago, temperature=5.0):
        return [
            {
                "sensor": sensor.serial,
                "ts": (self.now - timedelta(minutes=m)).isoformat() + "+00:00",
                "temperature": temperature,
            }
            for m in minutes_ago
        ]

    def _json2(self, key, readings, **params):
        return self.url_open(
            "/json/2/wms.iot.reading/wms_ingest",
            json={"readings": readings, **params},
            headers={
                "Authorization": f"bearer {key}",
                "X-Odoo-Database": get_db_name(),
            },
        )

    def test_json2_manager(self):
        items = self._items(self.sensor, [10, 5])
        items.append({"sensor": "NOPE", "ts": items[0]["ts"], "temperature": 5.0})
        response = self._json2(self.manager_key, items)
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertEqual((body["accepted"], body["duplicates"]), (2, 0))
        self.assertEqual([r["index"] for r in body["rejected"]], [2])
        again = self._json2(self.manager_key, items[:2]).json()
        self.assertEqual((again["accepted"], again["duplicates"]), (0, 2))
        self.assertEqual(len(self._readings(self.sensor)), 2)

    def test_json2_manager_raises_an_alarm(self):
        response = self._json2(
            self.manager_key, self._items(self.sensor_now, [4], temperature=9.0)
        )
        self.assertEqual(response.status_code, 200, response.text)
        alert = self._alerts(self.sensor_now)
        self.assertEqual(alert.level, "alarm")
        self.assertTrue(alert.ticket_id)

    def test_json2_context_does_not_open_another_company(self):
        """An IoT Manager of this company names another company in the
        context: refused, nothing stored there."""
        company_b = self.env["res.company"].create({"name": "IoT Company B"})
        sensor_b = self._company_sensor(company_b, "B-01")
        response = self._json2(
            self.manager_key,
            self._items(sensor_b, [3], temperature=30.0),
            context={"allowed_company_ids": [company_b.id]},
        )
        self.assertNotEqual(response.status_code, 200, response.text)
        self.assertFalse(self._readings(sensor_b))
        self.assertFalse(self._alerts(sensor_b))

    def test_json2_user_refused(self):
        response = self._json2(self.user_key, self._items(self.sensor, [3]))
        self.assertEqual(response.status_code, 403, response.text)
        self.assertFalse(self._readings(self.sensor))

    def test_json2_acknowledge(self):
        self._json2(
            self.manager_key, self._items(self.sensor_now, [4], temperature=9.0)
        )
        alert = self._alerts(self.sensor_now)
        headers = {
            "Authorization": f"bearer {self.user_key}",
            "X-Odoo-Database": get_db_name(),
        }
        url = "/json/2/wms.iot.alert/action_wms_acknowledge"
        empty = self.url_open(
            url, json={"ids": alert.ids, "comment": " "}, headers=headers
        )
        self.assertEqual(empty.status_code, 422, empty.text)
        self.assertFalse(alert.acknowledged)
        done = self.url_open(
            url, json={"ids": alert.ids, "comment": "Door closed"}, headers=headers
        )
        self.assertEqual(done.status_code, 200, done.text)
        self.assertTrue(alert.acknowledged)
        self.assertEqual(alert.ack_user_id, self.iot_user)
        # the acknowledgement cannot be forged by a write
        forged = self.url_open(
            "/json/2/wms.iot.alert/write",
            json={"ids": alert.ids, "vals": {"ack_comment": "Nothing happened"}},
            headers=headers,
        )
        self.assertEqual(forged.status_code, 403, forged.text)
        self.assertEqual(alert.ack_comment, "Door closed")

    def test_json2_not_a_list(self):
        response = self._json2(self.manager_key, {"sensor": "CR-A-01"})
        self.assertIn(response.status_code, (400, 422), response.text)
        self.assertFalse(self._readings(self.sensor))

    def test_xmlrpc(self):
        db = get_db_name()
        models = self.xmlrpc_object
        uid = self.xmlrpc_common.authenticate(
            db, "wms_iot_manager", "wms_iot_manager_pw", {}
        )
        result = models.execute_kw(
            db,
            uid,
            self.manager_key,
            "wms.iot.reading",
            "wms_ingest",
            [self._items(self.sensor, [7, 6])],
        )
        self.assertEqual(result["accepted"], 2)
        self.assertEqual(result["rejected"], [])
        self.assertEqual(len(self._readings(self.sensor)), 2)
        user_uid = self.xmlrpc_common.authenticate(
            db, "wms_iot_user", "wms_iot_user_pw", {}
        )
        with self.assertRaises(xmlrpc.client.Fault):
            models.execute_kw(
                db,
                user_uid,
                self.user_key,
                "wms.iot.reading",
                "wms_ingest",
                [self._items(self.sensor, [1])],
            )
        self.assertEqual(len(self._readings(self.sensor)), 2)
