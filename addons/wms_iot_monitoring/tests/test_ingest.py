# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import UTC, datetime, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tests.common import freeze_time

from .common import NOW, WmsIotCase


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestIngest(WmsIotCase):
    """The ingest engine behind the endpoint and ``wms_ingest``: each bad
    item is rejected on its own, the rest of the batch is stored."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sensor_dock = cls._sensor(
            "DOCK-01", cls.profile_now, gateway=cls.other_gateway
        )
        cls.sensor_old = cls._sensor("OLD-01", cls.profile_now, state="retired")

    def test_ts_formats(self):
        epoch = int((NOW - timedelta(minutes=30)).replace(tzinfo=UTC).timestamp())
        items = [
            # ISO 8601 with an offset: 15:10 in Shanghai is 07:10 UTC
            {"sensor": "CR-A-02", "ts": "2026-12-01T15:10:00+08:00", "temperature": 5},
            {"sensor": "CR-A-02", "ts": epoch, "temperature": 5.5},
            {"sensor": "CR-A-02", "ts": "2026-12-01T07:40:00Z", "temperature": 6.0},
            {"sensor": "CR-A-02", "ts": float(epoch + 60), "temperature": 6.5},
        ]
        result = self.Reading._wms_ingest_items(items, gateway=self.gateway)
        self.assertEqual(result["rejected"], [])
        self.assertEqual(result["accepted"], 4)
        readings = self._readings(self.sensor_now)
        self.assertEqual(
            readings.mapped("ts"),
            [
                datetime(2026, 12, 1, 7, 10),
                datetime(2026, 12, 1, 7, 30),
                datetime(2026, 12, 1, 7, 31),
                datetime(2026, 12, 1, 7, 40),
            ],
        )
        self.assertEqual(readings.mapped("temperature"), [5.0, 5.5, 6.5, 6.0])
        self.assertEqual(readings.company_id, self.company)

    def test_one_bad_item_does_not_lose_the_batch(self):
        ok = self._ts(30)
        items = [
            {
                "sensor": "CR-A-02",
                "ts": self._ts(0),
                "temperature": 5.0,
                "humidity": 50,
            },
            {"sensor": "NOPE-404", "ts": ok, "temperature": 5.0},  # unknown
            {"sensor": "DOCK-01", "ts": ok, "temperature": 5.0},  # other gateway
            {"sensor": "OLD-01", "ts": ok, "temperature": 5.0},  # retired
            {"sensor": "CR-A-02", "temperature": 5.0},  # ts missing
            {"sensor": "CR-A-02", "ts": "yesterday noon", "temperature": 5.0},
            {"sensor": "CR-A-02", "ts": self._ts(70), "temperature": 5.0},  # future
            {
                "sensor": "CR-A-02",
                "ts": (NOW - timedelta(days=91)).isoformat() + "+00:00",
                "temperature": 5.0,
            },  # older than the 90 days of retention
            {"sensor": "CR-A-02", "ts": self._ts(1), "temperature": float("nan")},
            {"sensor": "CR-A-02", "ts": self._ts(2), "temperature": float("inf")},
            {"sensor": "CR-A-02", "ts": self._ts(3), "temperature": "warm"},
            {"sensor": "CR-A-02", "ts": self._ts(4), "temperature": 151.0},
            {"sensor": "CR-A-02", "ts": self._ts(5), "temperature": -100.5},
            {"sensor": "CR-A-02", "ts": self._ts(6), "humidity": 100.5},
            {"sensor": "CR-A-02", "ts": self._ts(7), "humidity": -0.1},
            {"sensor": "CR-A-01", "ts": ok, "humidity": 40.0},  # not measured
            {"sensor": "CR-A-02", "ts": self._ts(9), "temperature": -100.0},
            {"sensor": "CR-A-02", "ts": self._ts(10), "temperature": 150.0},
            {"sensor": "CR-A-02", "ts": self._ts(11), "humidity": 0.0},
            {"sensor": "CR-A-02", "ts": self._ts(12), "humidity": 100.0},
            {"sensor": "CR-A-01", "ts": ok, "temperature": 4.0},
            # the future limit is 5 minutes: 4 minutes ahead is a clock skew
            {"sensor": "CR-A-01", "ts": self._ts(64), "temperature": 4.0},
            "not an object",
            {"sensor": ["CR-A-02"], "ts": ok, "temperature": 4.0},
        ]
        result = self.Reading._wms_ingest_items(items, gateway=self.gateway)
        rejected = {r["index"]: r["error"] for r in result["rejected"]}
        self.assertEqual(
            sorted(rejected),
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 22, 23],
            result,
        )
        self.assertTrue(all(isinstance(e, str) and e for e in rejected.values()))
        self.assertEqual(result["accepted"], 7)
        self.assertEqual(result["duplicates"], 0)
        self.assertEqual(len(self._readings(self.sensor_now)), 5)
        self.assertEqual(len(self._readings(self.sensor)), 2)
        self.assertFalse(self._readings(self.sensor_dock))
        self.assertFalse(self._readings(self.sensor_old))
        both = self._readings(self.sensor_now)[0]
        self.assertEqual(both.ts, self._dt(0))
        self.assertEqual((both.temperature, both.humidity), (5.0, 50.0))

    def test_ts_needs_an_offset_and_seconds(self):
        epoch = int(NOW.replace(tzinfo=UTC).timestamp())
        items = [
            # naive ISO: which timezone? refused rather than guessed
            {"sensor": "CR-A-01", "ts": "2026-12-01T07:10:00", "temperature": 5.0},
            # epoch in milliseconds by mistake: far future or out of range
            {"sensor": "CR-A-01", "ts": epoch * 1000, "temperature": 5.0},
            {"sensor": "CR-A-01", "ts": True, "temperature": 5.0},
            {"sensor": "CR-A-01", "ts": "", "temperature": 5.0},
            {"sensor": "CR-A-01", "ts": [2026, 12, 1], "temperature": 5.0},
            {"sensor": "CR-A-01", "ts": epoch - 60, "temperature": 5.0},
        ]
        result = self.Reading._wms_ingest_items(items, gateway=self.gateway)
        self.assertEqual([r["index"] for r in result["rejected"]], [0, 1, 2, 3, 4])
        self.assertEqual(result["accepted"], 1)
        self.assertEqual(self._readings(self.sensor).ts, NOW - timedelta(minutes=1))

    def test_extreme_values_are_rejected_not_raised(self):
        """Values a JSON parser yields but a float cannot hold, or times a
        datetime cannot convert: each such item is rejected, the batch
        goes on."""
        items = [
            {"sensor": "CR-A-01", "ts": "0001-01-01T00:30:00+01:00", "temperature": 5},
            {"sensor": "CR-A-01", "ts": "9999-12-31T23:30:00-01:00", "temperature": 5},
            {"sensor": "CR-A-01", "ts": 10**400, "temperature": 5.0},
            {"sensor": "CR-A-01", "ts": self._ts(1), "temperature": 10**400},
            {"sensor": "CR-A-01", "ts": self._ts(2), "temperature": -(10**400)},
            {"sensor": "CR-A-01", "ts": self._ts(3), "temperature": 5.0},
        ]
        result = self.Reading._wms_ingest_items(items, gateway=self.gateway)
        self.assertEqual([r["index"] for r in result["rejected"]], [0, 1, 2, 3, 4])
        self.assertEqual(result["accepted"], 1)

    def test_item_without_a_value(self):
        result = self.Reading._wms_ingest_items(
            [{"sensor": "CR-A-02", "ts": self._ts(8)}], gateway=self.gateway
        )
        self.assertEqual([r["index"] for r in result["rejected"]], [0])
        self.assertFalse(self._readings(self.sensor_now))

    def test_without_gateway_any_gateway_of_the_company(self):
        """``wms_ingest`` has no gateway: sensors of every gateway."""
        result = self.Reading._wms_ingest_items(
            [
                {"sensor": "DOCK-01", "ts": self._ts(0), "temperature": 5.0},
                {"sensor": "CR-A-01", "ts": self._ts(0), "temperature": 5.0},
                {"sensor": "OLD-01", "ts": self._ts(0), "temperature": 5.0},
            ]
        )
        self.assertEqual(result["accepted"], 2)
        self.assertEqual([r["index"] for r in result["rejected"]], [2])

    def test_duplicates_counted(self):
        points = [(0, 5.0), (5, 5.1), (10, 5.2)]
        first = self._ingest(self.sensor, points, gateway=self.gateway)
        self.assertEqual((first["accepted"], first["duplicates"]), (3, 0))
        again = self._ingest(self.sensor, points, gateway=self.gateway)
        self.assertEqual((again["accepted"], again["duplicates"]), (0, 3))
        self.assertEqual(again["rejected"], [])
        self.assertEqual(len(self._readings(self.sensor)), 3)
        # a duplicate keeps the first value
        self._ingest(self.sensor, [(0, 9.9), (15, 5.3)], gateway=self.gateway)
        readings = self._readings(self.sensor)
        self.assertEqual(readings.mapped("temperature"), [5.0, 5.1, 5.2, 5.3])

    def test_duplicates_inside_one_batch(self):
        result = self._ingest(self.sensor, [(0, 5.0), (0, 5.0), (5, 5.0)])
        self.assertEqual(result["accepted"], 2)
        self.assertEqual(result["duplicates"], 1)
        self.assertEqual(len(self._readings(self.sensor)), 2)

    def test_duplicates_do_not_reopen_or_double(self):
        self._ingest(self.sensor_now, [(0, 9.0), (5, 9.0)])
        alert = self._alerts(self.sensor_now)
        self._ingest(self.sensor_now, [(0, 9.0), (5, 9.0)])
        self.assertEqual(self._alerts(self.sensor_now), alert)

    def test_readings_are_not_written_by_the_orm(self):
        """Readings come through ingest only, even for an IoT manager."""
        reading_vals = {
            "sensor_id": self.sensor.id,
            "ts": self._dt(0),
            "temperature": 5.0,
        }
        with self.assertRaises(AccessError):
            self.Reading.with_user(self.iot_manager).create(reading_vals)
        with self.assertRaises(AccessError):
            self.Reading.with_user(self.iot_user).create(reading_vals)

    def test_wms_ingest_is_for_iot_managers(self):
        items = [{"sensor": "CR-A-01", "ts": self._ts(0), "temperature": 5.0}]
        result = self.Reading.with_user(self.iot_manager).wms_ingest(items)
        self.assertEqual(result["accepted"], 1)
        for user in (self.iot_user, self.stock_user):
            with self.assertRaises(AccessError):
                self.Reading.with_user(user).wms_ingest(
                    [{"sensor": "CR-A-01", "ts": self._ts(5), "temperature": 5.0}]
                )
        self.assertEqual(len(self._readings(self.sensor)), 1)

    def test_wms_ingest_refuses_what_the_endpoint_refuses(self):
        Reading = self.Reading.with_user(self.iot_manager)
        item = {"sensor": "CR-A-01", "ts": self._ts(0), "temperature": 5.0}
        with self.assertRaises(UserError):
            Reading.wms_ingest({"readings": [item]})
        with self.assertRaises(UserError):
            Reading.wms_ingest([item] * 5001)
        self.assertFalse(self._readings(self.sensor))

    def test_wms_ingest_sees_only_the_users_companies(self):
        company_b = self.env["res.company"].create({"name": "IoT Company B"})
        sensor_b = self._company_sensor(company_b, "B-01")
        result = self.Reading.with_user(self.iot_manager).wms_ingest(
            [{"sensor": "B-01", "ts": self._ts(0), "temperature": 5.0}]
        )
        self.assertEqual(result["accepted"], 0)
        self.assertEqual([r["index"] for r in result["rejected"]], [0])
        self.assertFalse(self._readings(sensor_b))
