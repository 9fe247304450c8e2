# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import WmsOutboundCase

WEEKDAYS = (0, 1, 2, 3, 4)
# 2026-11-27 is a Friday, 2026-11-30 a Monday; Asia/Shanghai is UTC+8
FRIDAY_20_SHANGHAI = datetime(2026, 11, 27, 12, 0)
MONDAY_8_SHANGHAI = datetime(2026, 11, 30, 0, 0)
WEDNESDAY_8_30_SHANGHAI = datetime(2026, 11, 25, 0, 30)


@tagged("post_install", "-at_install")
class TestDeliveryWindow(WmsOutboundCase):
    """Weekday windows 8:00-9:00 of a customer in Shanghai, server in UTC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.partner_id.tz = "UTC"
        cls._set_windows(cls.customer, [(8.0, 9.0, WEEKDAYS)], tz="Asia/Shanghai")

    def test_friday_evening_next_window_is_monday_morning(self):
        picking = self._confirmed(self.customer, scheduled_date=FRIDAY_20_SHANGHAI)
        self.assertEqual(picking.scheduled_date, FRIDAY_20_SHANGHAI)
        self.assertFalse(picking.wms_window_ok)
        # Monday 08:00 in Shanghai is Monday 00:00 UTC
        self.assertEqual(picking.wms_next_window_start, MONDAY_8_SHANGHAI)
        self.assertIn("Asia/Shanghai", picking.partner_delivery_window_warning)
        picking.with_user(self.stock_user).action_wms_reschedule_to_window()
        self.assertEqual(picking.scheduled_date, MONDAY_8_SHANGHAI)
        self.assertTrue(picking.wms_window_ok)
        self.assertFalse(picking.partner_delivery_window_warning)
        self.assertIn("Rescheduled", picking.message_ids[:1].body)

    def test_inside_window_in_customer_timezone(self):
        picking = self._confirmed(self.customer, scheduled_date=WEDNESDAY_8_30_SHANGHAI)
        # 00:30 UTC is outside 8:00-9:00 in UTC, but inside in Shanghai
        self.assertTrue(picking.wms_window_ok)
        self.assertEqual(picking.wms_next_window_start, WEDNESDAY_8_30_SHANGHAI)
        picking.action_wms_reschedule_to_window()
        self.assertEqual(picking.scheduled_date, WEDNESDAY_8_30_SHANGHAI)
        # later the same morning: next window is Thursday 08:00
        picking.scheduled_date = datetime(2026, 11, 25, 2, 0)
        self.assertFalse(picking.wms_window_ok)
        self.assertEqual(picking.wms_next_window_start, datetime(2026, 11, 26, 0, 0))

    def test_address_follows_company_windows_unless_its_own(self):
        address = self.customer_contact
        picking = self._confirmed(address, scheduled_date=FRIDAY_20_SHANGHAI)
        self.assertFalse(picking.wms_window_ok, "the company's windows apply")
        self.assertEqual(picking.wms_next_window_start, MONDAY_8_SHANGHAI)
        self.assertTrue(picking.partner_delivery_window_warning)
        # the address gets windows of its own: Fridays 19:00-21:00 Shanghai
        self._set_windows(address, [(19.0, 21.0, (4,))], tz="Asia/Shanghai")
        self.assertTrue(picking.wms_window_ok)
        address.delivery_time_preference = "workdays"
        self.assertTrue(picking.wms_window_ok)
        picking.scheduled_date = datetime(2026, 11, 28, 12, 0)  # Saturday
        self.assertFalse(picking.wms_window_ok)
        self.assertEqual(picking.wms_next_window_start, datetime(2026, 11, 29, 16, 0))

    def test_anytime_customer_is_always_in_window(self):
        picking = self._confirmed(
            self.other_customer, scheduled_date=FRIDAY_20_SHANGHAI
        )
        self.assertTrue(picking.wms_window_ok)
        self.assertFalse(picking.partner_delivery_window_warning)

    def test_bad_windows_are_refused(self):
        with self.assertRaises(ValidationError):
            self._set_windows(self.other_customer, [(25.0, 26.0, WEEKDAYS)])
        with self.assertRaises(ValidationError):
            self._set_windows(
                self.other_customer, [(8.0, 10.0, WEEKDAYS), (9.0, 11.0, (0,))]
            )
        with self.assertRaises(ValidationError):
            self._set_windows(self.other_customer, [(10.0, 8.0, WEEKDAYS)])
        self.assertEqual(self.other_customer.delivery_time_preference, "anytime")

    def test_temperature_range_must_be_valid(self):
        with self.assertRaises(ValidationError):
            self._requirement(
                self.customer,
                self.type_temperature,
                temperature_min=8.0,
                temperature_max=2.0,
            )
        with self.assertRaises(ValidationError):
            self._requirement(
                self.customer,
                self.type_temperature,
                temperature_min=5.0,
                temperature_max=5.0,
            )
        requirement = self._requirement(
            self.customer,
            self.type_temperature,
            temperature_min=2.0,
            temperature_max=8.0,
        )
        picking = self._confirmed(self.customer)
        line = picking.wms_requirement_line_ids.filtered(
            lambda line: line.requirement_id == requirement
        )
        self.assertIn("2", line.temperature_text)
        self.assertIn("8", line.temperature_text)
        with self.assertRaises(ValidationError):
            requirement.temperature_max = 1.0
        with self.assertRaises(ValidationError):
            self._requirement(
                self.customer,
                self.type_care,
                date_start="2026-12-31",
                date_end="2026-12-01",
            )

    def test_window_edits_update_open_deliveries_only(self):
        open_picking = self._confirmed(self.customer, scheduled_date=FRIDAY_20_SHANGHAI)
        done = self._confirmed(self.customer, scheduled_date=FRIDAY_20_SHANGHAI)
        self._validate(done)
        self.assertFalse(open_picking.wms_window_ok)
        # a window edited on its own (e.g. over RPC) moves open deliveries
        window = self.customer.delivery_time_window_ids
        window.time_window_weekday_ids = [Command.set(self._weekdays(range(7)).ids)]
        window.write({"time_window_start": 19.0, "time_window_end": 21.0})
        self.assertTrue(open_picking.wms_window_ok)
        # the customer moves to another time zone: 20:00 Shanghai is 13:00
        # in Paris, outside 19:00-21:00
        self.customer.tz = "Europe/Paris"
        self.assertFalse(open_picking.wms_window_ok)
        self.customer.delivery_time_preference = "anytime"
        self.assertTrue(open_picking.wms_window_ok)
        self.assertTrue(done.wms_window_ok, "done deliveries are left alone")
