# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import time
from datetime import UTC, timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, get_db_name, new_test_user, tagged

from .common import IOT_MANAGER, WmsIotCase

URL = "/wms/iot/v1/readings"


@tagged("post_install", "-at_install")
class TestReadingsEndpoint(HttpCase, WmsIotCase):
    """POST /wms/iot/v1/readings: a gateway key, a JSON object, a JSON
    answer with the status the issue gives, never a traceback."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls._new_key(cls.gateway)
        cls.sensor_dock = cls._sensor(
            "DOCK-01", cls.profile_now, gateway=cls.other_gateway
        )

    @classmethod
    def _new_key(cls, gateway, user=None):
        action = gateway.with_user(user or cls.iot_manager).action_generate_key()
        return cls.env[action["res_model"]].browse(action["res_id"]).key

    def setUp(self):
        super().setUp()
        self.now = fields.Datetime.now().replace(microsecond=0)

    def _ts(self, minutes_ago):
        return (self.now - timedelta(minutes=minutes_ago)).isoformat() + "+00:00"

    def _post(self, payload=None, key=None, data=None, headers=None):
        """POST ``payload`` as JSON (or ``data`` raw) with the gateway key."""
        all_headers = {
            "Content-Type": "application/json",
            "X-Odoo-Database": get_db_name(),
        }
        if key is not False:
            all_headers["Authorization"] = f"Bearer {self.key if key is None else key}"
        all_headers.update(headers or {})
        if data is None:
            data = json.dumps(payload)
        return self.url_open(URL, data=data, headers=all_headers)

    def _assert_json(self, response, status):
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(
            response.headers.get("Content-Type", "").split(";")[0],
            "application/json",
            response.text,
        )
        self.assertNotIn("Traceback", response.text)
        return response.json()

    def _count(self):
        self.env.flush_all()
        return self.Reading.search_count([])

    def _batch(self, sensor=None, count=3, start=30):
        sensor = sensor or self.sensor
        return {
            "readings": [
                {"sensor": sensor.serial, "ts": self._ts(start - i), "temperature": 5.0}
                for i in range(count)
            ]
        }

    # ------------------------------------------------------------------
    def test_200_batch_taken(self):
        body = self._assert_json(self._post(self._batch(count=3)), 200)
        self.assertEqual(body, {"accepted": 3, "duplicates": 0, "rejected": []})
        self.assertEqual(len(self._readings(self.sensor)), 3)
        self.gateway.invalidate_recordset()
        self.assertTrue(self.gateway.last_seen)

    def test_200_epoch_and_offset(self):
        epoch = int((self.now - timedelta(minutes=10)).replace(tzinfo=UTC).timestamp())
        shanghai = (self.now + timedelta(hours=8) - timedelta(minutes=20)).isoformat()
        payload = {
            "readings": [
                {"sensor": "CR-A-02", "ts": epoch, "temperature": 4.2},
                {
                    "sensor": "CR-A-02",
                    "ts": shanghai + "+08:00",
                    "temperature": 4.4,
                    "humidity": 55.0,
                },
            ]
        }
        body = self._assert_json(self._post(payload), 200)
        self.assertEqual(body["accepted"], 2, body)
        readings = self._readings(self.sensor_now)
        expected_epoch = fields.Datetime.to_datetime("1970-01-01") + timedelta(
            seconds=epoch
        )
        self.assertEqual(
            readings.mapped("ts"),
            [self.now - timedelta(minutes=20), expected_epoch],
        )

    def test_one_bad_item_stores_the_others(self):
        # NaN is not JSON but Python's json writes it: refused as not finite
        data = (
            '{"readings": ['
            f'{{"sensor": "CR-A-01", "ts": "{self._ts(5)}", "temperature": 4.0}},'
            f'{{"sensor": "CR-A-01", "ts": "{self._ts(4)}", "temperature": NaN}},'
            f'{{"sensor": "NOPE", "ts": "{self._ts(4)}", "temperature": 4.0}},'
            f'{{"sensor": "DOCK-01", "ts": "{self._ts(4)}", "temperature": 4.0}},'
            f'{{"sensor": "CR-A-01", "ts": "soon", "temperature": 4.0}},'
            f'{{"sensor": "CR-A-01", "ts": "{self._ts(-30)}", "temperature": 4.0}},'
            f'{{"sensor": "CR-A-01", "ts": "{self._ts(3)}", "temperature": 400}},'
            f'{{"sensor": "CR-A-01", "ts": "{self._ts(3)}", "humidity": 40}},'
            f'{{"sensor": "CR-A-01", "ts": "{self._ts(2)}", "temperature": 4.5}}'
            "]}"
        )
        body = self._assert_json(self._post(data=data), 200)
        self.assertEqual(body["accepted"], 2, body)
        self.assertEqual(
            [item["index"] for item in body["rejected"]], [1, 2, 3, 4, 5, 6, 7]
        )
        self.assertTrue(all(item["error"] for item in body["rejected"]))
        self.assertEqual(self._readings(self.sensor).mapped("temperature"), [4.0, 4.5])
        self.assertFalse(self._readings(self.sensor_dock))

    def test_extreme_items_are_rejected_alone(self):
        huge = "1" + "0" * 400  # valid JSON, a Python int no float holds
        data = (
            '{"readings": ['
            f'{{"sensor": "CR-A-01", "ts": "{self._ts(5)}", "temperature": 4.0}},'
            f'{{"sensor": "CR-A-01", "ts": "{self._ts(4)}", "temperature": {huge}}},'
            '{"sensor": "CR-A-01", "ts": "0001-01-01T00:30:00+01:00",'
            ' "temperature": 4.0},'
            f'{{"sensor": "CR-A-01", "ts": {huge}, "temperature": 4.0}},'
            f'{{"sensor": "CR-A-01", "ts": "{self._ts(2)}", "temperature": 1e400}}'
            "]}"
        )
        body = self._assert_json(self._post(data=data), 200)
        self.assertEqual(body["accepted"], 1, body)
        self.assertEqual([item["index"] for item in body["rejected"]], [1, 2, 3, 4])
        self.assertEqual(len(self._readings(self.sensor)), 1)

    def test_duplicates_counted(self):
        batch = self._batch(count=4)
        self._assert_json(self._post(batch), 200)
        body = self._assert_json(self._post(batch), 200)
        self.assertEqual(body, {"accepted": 0, "duplicates": 4, "rejected": []})
        self.assertEqual(len(self._readings(self.sensor)), 4)

    def test_alarm_raised_through_the_endpoint(self):
        self.sensor_now.partner_id = self.customer
        payload = {
            "readings": [
                {"sensor": "CR-A-02", "ts": self._ts(10), "temperature": 9.0},
                {"sensor": "CR-A-02", "ts": self._ts(5), "temperature": 9.5},
            ]
        }
        self._assert_json(self._post(payload), 200)
        alert = self._alerts(self.sensor_now)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.level, "alarm")
        self.assertEqual(alert.peak_value, 9.5)
        self.assertTrue(alert.ticket_id, "the ingest user may open the ticket")
        self.assertEqual(len(self._customer_messages(alert, self.customer)), 1)
        self.sensor_now.invalidate_recordset()
        self.assertEqual(self.sensor_now.status, "alarm")

    def test_gateway_of_another_company(self):
        """The technical user works for the gateway's company, whichever."""
        company_b = self.env["res.company"].create({"name": "IoT Company B"})
        gateway_b = self.Gateway.create({"name": "B", "company_id": company_b.id})
        customer_b = self.env["res.partner"].create(
            {"name": "B customer", "email": "b@example.com"}
        )
        sensor_b = self.Sensor.create(
            {
                "name": "B sensor",
                "serial": "CR-A-02",  # the same serial as a sensor of company A
                "company_id": company_b.id,
                "gateway_id": gateway_b.id,
                "location_id": self.env["stock.warehouse"]
                .search([("company_id", "=", company_b.id)], limit=1)
                .lot_stock_id.id,
                "profile_id": self.profile_now.id,
                "partner_id": customer_b.id,
            }
        )
        manager_b = new_test_user(
            self.env,
            login="wms_iot_manager_b",
            groups=f"base.group_user,{IOT_MANAGER}",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        key_b = self._new_key(gateway_b, manager_b)
        payload = {
            "readings": [{"sensor": "CR-A-02", "ts": self._ts(3), "temperature": 9.0}]
        }
        body = self._assert_json(self._post(payload, key=key_b), 200)
        self.assertEqual(body["accepted"], 1, body)
        reading = self._readings(sensor_b)
        self.assertEqual(reading.company_id, company_b)
        self.assertFalse(self._readings(self.sensor_now))
        alert = self._alerts(sensor_b)
        self.assertEqual(alert.company_id, company_b)
        self.assertEqual(alert.level, "alarm")
        self.assertTrue(alert.ticket_id)
        self.assertEqual(alert.ticket_id.company_id, company_b)
        self.assertEqual(len(self._customer_messages(alert, customer_b)), 1)

    # ------------------------------------------------------------------
    def test_401_writes_nothing(self):
        before = self._count()
        self.gateway.invalidate_recordset()
        last_seen = self.gateway.last_seen
        for key in (False, "", "nope", self.key + "x", self.key.split(".")[0]):
            body = self._assert_json(self._post(self._batch(), key=key), 401)
            self.assertTrue(body)
        basic = self._post(
            self._batch(), key=False, headers={"Authorization": f"Basic {self.key}"}
        )
        self._assert_json(basic, 401)
        self.assertEqual(self._count(), before)
        self.gateway.invalidate_recordset()
        self.assertEqual(self.gateway.last_seen, last_seen)

    def test_401_after_regenerating_the_key(self):
        self._assert_json(self._post(self._batch(count=1, start=9)), 200)
        new_key = self._new_key(self.gateway)
        self.assertNotEqual(new_key, self.key)
        before = self._count()
        self._assert_json(self._post(self._batch(count=1, start=8)), 401)
        self.assertEqual(self._count(), before)
        self._assert_json(self._post(self._batch(count=1, start=8), key=new_key), 200)

    def test_401_after_revoking_the_key(self):
        self.gateway.with_user(self.iot_manager).action_revoke_key()
        self.assertFalse(self.gateway.has_key)
        self._assert_json(self._post(self._batch()), 401)
        self.assertFalse(self._readings(self.sensor))

    def test_401_archived_gateway(self):
        self.gateway.active = False
        self._assert_json(self._post(self._batch()), 401)
        self.assertFalse(self._readings(self.sensor))
        self.gateway.active = True
        self._assert_json(self._post(self._batch()), 200)

    def test_key_of_one_gateway_does_not_serve_another(self):
        payload = {
            "readings": [{"sensor": "DOCK-01", "ts": self._ts(1), "temperature": 4.0}]
        }
        body = self._assert_json(self._post(payload), 200)
        self.assertEqual(body["accepted"], 0)
        self.assertEqual([r["index"] for r in body["rejected"]], [0])
        dock_key = self._new_key(self.other_gateway)
        body = self._assert_json(self._post(payload, key=dock_key), 200)
        self.assertEqual(body["accepted"], 1)

    # ------------------------------------------------------------------
    def test_400(self):
        cases = {
            "not json": "this is not json",
            "truncated": '{"readings": [',
            "top-level array": json.dumps(self._batch()["readings"]),
            "no list": json.dumps({"items": []}),
            "readings not a list": json.dumps({"readings": {"sensor": "CR-A-01"}}),
            "readings a string": json.dumps({"readings": "CR-A-01"}),
            "a number": "42",
            "not utf-8": b'{"readings": ["\xff\xfe"]}',
            # valid JSON nested deeper than the parser recurses
            "deeply nested": "[" * 100000 + "]" * 100000,
        }
        before = self._count()
        for name, data in cases.items():
            with self.subTest(name):
                body = self._assert_json(self._post(data=data), 400)
                self.assertTrue(body)
        self.assertEqual(self._count(), before)

    def test_400_too_many_items(self):
        epoch = int(self.now.replace(tzinfo=UTC).timestamp())
        payload = {
            "readings": [
                {"sensor": "CR-A-01", "ts": epoch - i, "temperature": 4}
                for i in range(5001)
            ]
        }
        self._assert_json(self._post(payload), 400)
        self.assertFalse(self._readings(self.sensor))
        # 5,000 is allowed
        payload["readings"].pop()
        body = self._assert_json(self._post(payload), 200)
        self.assertEqual(body["accepted"], 5000)

    def test_413_body_too_large(self):
        data = b'{"readings": [' + b" " * (2 * 1024 * 1024 + 10) + b"]}"
        body = self._assert_json(self._post(data=data), 413)
        self.assertTrue(body)

    def test_411_chunked_body(self):
        """Without a Content-Length the size cannot be checked first."""
        body = json.dumps(self._batch()).encode()
        response = self._post(data=iter([body[:10], body[10:]]))
        self.assertEqual(response.status_code, 411, response.text)
        self.assertEqual(
            response.headers.get("Content-Type", "").split(";")[0], "application/json"
        )
        self.assertFalse(self._readings(self.sensor))

    def test_415_wrong_content_type(self):
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            response = self._post(self._batch(), headers={"Content-Type": content_type})
            self._assert_json(response, 415)
        self.assertFalse(self._readings(self.sensor))

    def test_429_over_the_rate(self):
        self.gateway.rate_limit = 5
        # one batch over the rate on its own: waiting never helps, a 400
        self._assert_json(self._post(self._batch(count=6)), 400)
        self.assertFalse(self._readings(self.sensor))
        # two batches in the same minute
        if fields.Datetime.now().second > 50:
            time.sleep(61 - fields.Datetime.now().second)
            self.now = fields.Datetime.now().replace(microsecond=0)
        self._assert_json(self._post(self._batch(count=3, start=30)), 200)
        # the count lives in PostgreSQL, shared by every worker
        self.env.cr.execute(
            "SELECT sum(count) FROM wms_iot_gateway_rate WHERE gateway_id = %s",
            [self.gateway.id],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 3)
        response = self._post(self._batch(count=3, start=20))
        self._assert_json(response, 429)
        retry_after = int(response.headers["Retry-After"])
        self.assertTrue(0 < retry_after <= 60, retry_after)
        self.assertEqual(len(self._readings(self.sensor)), 3)
        # another gateway has its own budget
        dock_key = self._new_key(self.other_gateway)
        self._assert_json(self._post(self._batch(self.sensor_dock), key=dock_key), 200)
