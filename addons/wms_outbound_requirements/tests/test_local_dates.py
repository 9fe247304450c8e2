# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date, datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import new_test_user, tagged

from .common import WmsOutboundCase

# 1 March 2027, 01:00 in Shanghai (UTC+8) is 28 February, 17:00 UTC
SHANGHAI_1_MARCH_1AM = datetime(2027, 2, 28, 17, 0)
# 1 March 2027, 23:30 in New York (UTC-5) is 2 March, 04:30 UTC
NEW_YORK_1_MARCH_11_30PM = datetime(2027, 3, 2, 4, 30)
# 1 December 2026, 01:00 in Shanghai is 30 November, 17:00 UTC
SHANGHAI_1_DECEMBER_1AM = datetime(2026, 11, 30, 17, 0)
# 30 November 2026, 22:00 in New York is 1 December, 03:00 UTC
NEW_YORK_30_NOVEMBER_10PM = datetime(2026, 12, 1, 3, 0)


@tagged("post_install", "-at_install")
class TestLocalDates(WmsOutboundCase):
    """Validity days, activity deadlines and delivery windows are days and
    hours of a local calendar (res.partner._wms_tz): the delivery address's,
    else its company's, else the transfer's company's; deadlines the
    assignee's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.partner_id.tz = "UTC"
        cls.customer.tz = False
        cls.customer_contact.tz = False
        # for every company (test_validity_in_the_transfer_company_time_zone)
        cls.req_from, cls.req_until, cls.req_until_feb, cls.req_from_2 = (
            cls._requirement(cls.customer, req_type, company_id=False, **vals)
            for req_type, vals in (
                (cls.type_labels, {"name": "From 1 March", "date_start": "2027-03-01"}),
                (cls.type_care, {"name": "Until 1 March", "date_end": "2027-03-01"}),
                (
                    cls.type_shock,
                    {"name": "Until 28 February", "date_end": "2027-02-28"},
                ),
                (cls.type_care, {"name": "From 2 March", "date_start": "2027-03-02"}),
            )
        )
        cls.type_late = cls.env.ref(
            "wms_outbound_requirements.mail_activity_type_late_risk"
        )
        cls.type_window = cls.env.ref(
            "wms_outbound_requirements.mail_activity_type_outside_window"
        )

    def _names(self, picking):
        return set(picking.wms_requirement_line_ids.mapped("name"))

    def _manager(self, tz):
        manager = new_test_user(
            self.env,
            login=f"wms_manager_{tz or 'no_tz'}".lower().replace("/", "_"),
            groups="stock.group_stock_user",
            tz=tz,
        )
        self.customer.wms_account_manager_id = manager
        return manager

    def _watch(self):
        with patch.object(
            self.registry["ir.cron"], "_commit_progress", return_value=float("inf")
        ):
            self.env["stock.picking"]._cron_wms_watch_deliveries()

    def _activity(self, picking, activity_type):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "stock.picking"),
                ("res_id", "=", picking.id),
                ("activity_type_id", "=", activity_type.id),
            ]
        )

    # ------------------------------------------------------------------
    # Validity of a customer's requirements
    # ------------------------------------------------------------------
    def test_validity_shanghai_just_after_midnight(self):
        # an address without a time zone of its own follows its company's
        self.customer.tz = "Asia/Shanghai"
        picking = self._confirmed(
            self.customer_contact, scheduled_date=SHANGHAI_1_MARCH_1AM
        )
        self.assertEqual(
            self._names(picking), {"From 1 March", "Until 1 March"}, "1 March"
        )

    def test_validity_new_york_late_evening(self):
        self.customer_contact.tz = "America/New_York"
        picking = self._confirmed(
            self.customer_contact, scheduled_date=NEW_YORK_1_MARCH_11_30PM
        )
        self.assertEqual(
            self._names(picking), {"From 1 March", "Until 1 March"}, "1 March"
        )

    def test_validity_in_the_transfer_company_time_zone(self):
        # no partner time zone: the transfer's company's, not the user's
        company_b = self.env["res.company"].create({"name": "WMS Shanghai Co"})
        company_b.partner_id.tz = "Asia/Shanghai"
        self.env.user.company_ids |= company_b
        in_b = self._confirmed(
            self.customer, company=company_b, scheduled_date=SHANGHAI_1_MARCH_1AM
        )
        in_a = self._confirmed(self.customer, scheduled_date=SHANGHAI_1_MARCH_1AM)
        self.assertEqual(self._names(in_b), {"From 1 March", "Until 1 March"})
        self.assertEqual(self._names(in_a), {"Until 1 March", "Until 28 February"})

    # ------------------------------------------------------------------
    # Activity deadlines: the assignee's day
    # ------------------------------------------------------------------
    def test_deadline_shanghai_assignee(self):
        self.customer.tz = "Asia/Shanghai"
        self._manager("Asia/Shanghai")
        picking = self._confirmed(self.customer, scheduled_date=SHANGHAI_1_DECEMBER_1AM)
        self._watch()
        activity = self._activity(picking, self.type_late)
        self.assertEqual(activity.date_deadline, date(2026, 12, 1))
        self.assertIn("(Asia/Shanghai)", activity.note)

    def test_deadline_new_york_assignee(self):
        self.customer.tz = "America/New_York"
        self._manager("America/New_York")
        picking = self._confirmed(
            self.customer, scheduled_date=NEW_YORK_30_NOVEMBER_10PM
        )
        self._watch()
        activity = self._activity(picking, self.type_late)
        self.assertEqual(activity.date_deadline, date(2026, 11, 30))

    def test_deadline_assignee_elsewhere_or_without_time_zone(self):
        self.customer.tz = "Asia/Shanghai"
        # due 1 December 01:00 in Shanghai: 30 November for a New Yorker
        self._manager("America/New_York")
        first = self._confirmed(self.customer, scheduled_date=SHANGHAI_1_DECEMBER_1AM)
        self._watch()
        self.assertEqual(
            self._activity(first, self.type_late).date_deadline, date(2026, 11, 30)
        )
        # an assignee without a time zone reads the delivery's
        self._manager(False)
        second = self._confirmed(self.customer, scheduled_date=SHANGHAI_1_DECEMBER_1AM)
        self._watch()
        self.assertEqual(
            self._activity(second, self.type_late).date_deadline, date(2026, 12, 1)
        )

    def test_outside_window_deadline_is_today_for_the_assignee(self):
        self._set_windows(self.customer, [(8.0, 9.0, (0, 1, 2, 3, 4))])
        self.customer.tz = "Asia/Shanghai"
        # a Sunday noon in Shanghai, far ahead
        sunday = datetime(2027, 1, 10, 4, 0)
        with freeze_time(SHANGHAI_1_DECEMBER_1AM):
            for tz, today in (
                ("Asia/Shanghai", date(2026, 12, 1)),
                ("America/New_York", date(2026, 11, 30)),
            ):
                self._manager(tz)
                picking = self._confirmed(self.customer, scheduled_date=sunday)
                self.assertFalse(picking.wms_window_ok)
                self._watch()
                activity = self._activity(picking, self.type_window)
                self.assertEqual(activity.date_deadline, today, tz)

    # ------------------------------------------------------------------
    # Delivery windows (OCA stock_partner_delivery_window) in the same chain
    # ------------------------------------------------------------------
    def test_delivery_window_time_zone_follows_the_chain(self):
        dock = self.env["res.partner"].create(
            {
                "name": "Acme Dock Shanghai",
                "parent_id": self.customer.id,
                "type": "delivery",
                "tz": False,
            }
        )
        # the dock has windows of its own, no time zone: its company's
        self._set_windows(dock, [(8.0, 9.0, (0, 1, 2, 3, 4))])
        self.customer.tz = "Asia/Shanghai"
        self.assertEqual(dock.delivery_window_tz, "Asia/Shanghai")
        # Wednesday 25 November 2026, 08:30 in Shanghai
        picking = self._confirmed(dock, scheduled_date=datetime(2026, 11, 25, 0, 30))
        self.assertTrue(picking.wms_window_ok)
        self.assertFalse(picking.partner_delivery_window_warning)
        # 10:00 in Shanghai: OCA's warning and ours name the same zone
        picking.scheduled_date = datetime(2026, 11, 25, 2, 0)
        self.assertFalse(picking.wms_window_ok)
        self.assertIn("Asia/Shanghai", picking.partner_delivery_window_warning)
        self.assertEqual(picking.wms_next_window_start, datetime(2026, 11, 26, 0, 0))

    def test_delivery_window_in_the_transfer_company_time_zone(self):
        # no partner time zone: windows are read in the transfer's company's,
        # whatever company the user works in
        company_b = self.env["res.company"].create({"name": "WMS Shanghai Co"})
        company_b.partner_id.tz = "Asia/Shanghai"
        self.env.user.company_ids |= company_b
        self._set_windows(self.customer, [(8.0, 9.0, (0, 1, 2, 3, 4))])
        # Wednesday 25 November 2026, 08:30 in Shanghai, 00:30 UTC
        wednesday = datetime(2026, 11, 25, 0, 30)
        in_b = self._confirmed(
            self.customer, company=company_b, scheduled_date=wednesday
        )
        in_a = self._confirmed(self.customer, scheduled_date=wednesday)
        self.assertTrue(in_b.wms_window_ok)
        self.assertFalse(in_b.partner_delivery_window_warning)
        self.assertFalse(in_a.wms_window_ok)
        self.assertIn("(UTC)", in_a.partner_delivery_window_warning)
