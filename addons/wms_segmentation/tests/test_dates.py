# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.tests import new_test_user, tagged

from odoo.addons.wms_customer_profile.tests.common import MANAGER_GROUP

from .common import WmsSegmentationCase


def utc(text):
    return datetime.strptime(text, "%Y-%m-%d %H:%M")


@tagged("post_install", "-at_install")
class TestLocalDates(WmsSegmentationCase):
    """Segmentation days are the company's local days (its partner's time
    zone): "today", recency, the window's first day, the scoring date; an
    activity's deadline is a day in its assignee's time zone. Runs near
    midnight, where the UTC date is another day."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.tz = False  # the user running is in UTC
        cls.env["ir.config_parameter"].set_param("wms_segmentation.window_days", 30)

    def _set_company_tz(self, tz):
        self.company_x.partner_id.tz = tz

    def _invoice_on(self, partner, day, amount):
        return self._invoice(
            partner, amount, days_ago=(datetime.now().date() - day).days
        )

    def test_shanghai_after_midnight(self):
        self._set_company_tz("Asia/Shanghai")  # UTC+8
        # 2 March, 01:30 in Shanghai; still 1 March in UTC
        with freeze_time("2026-03-01 17:30:00"):
            late_evening = self._customer("Shanghai Late Evening")
            # 23:30 on 1 March, local: yesterday; 23:00 on 30 January: the
            # day before the window's first day (31 January)
            self._history(
                late_evening, [utc("2026-03-01 15:30"), utc("2026-01-30 15:00")]
            )
            self._invoice_on(late_evening, date(2026, 1, 30), 500)  # outside
            self._invoice_on(late_evening, date(2026, 1, 31), 100)  # first day
            early = self._customer("Shanghai Early Morning")
            # 00:30 on 2 March, local: today; 01:00 on 31 January: in
            self._history(early, [utc("2026-03-01 16:30"), utc("2026-01-30 17:00")])
            self._invoice_on(early, date(2026, 3, 1), 200)
            run = self._run()
        evening, morning = self._scores(run, [late_evening, early])
        self.assertEqual((evening.recency_days, evening.frequency), (1, 1))
        self.assertEqual(evening.monetary, 100)
        self.assertEqual((morning.recency_days, morning.frequency), (0, 2))
        self.assertEqual(
            early.with_company(self.company_x).wms_rfm_date, date(2026, 3, 2)
        )

    def test_new_york_before_midnight(self):
        self._set_company_tz("America/New_York")  # UTC-5 in winter
        manager_east = new_test_user(
            self.env,
            login="wms_seg_shanghai_manager",
            groups=f"base.group_user,{MANAGER_GROUP}",
            tz="Asia/Shanghai",
        )
        manager_local = new_test_user(
            self.env,
            login="wms_seg_no_tz_manager",
            groups=f"base.group_user,{MANAGER_GROUP}",
        )
        manager_local.tz = False
        delay = self.env.ref(
            "wms_segmentation.mail_activity_type_tier_drop"
        ).delay_count
        # 1 March, 22:30 in New York; already 2 March in UTC
        with freeze_time("2026-03-02 03:30:00"):
            today = self._customer("New York Today")
            self._history(today, [utc("2026-03-01 23:00")])  # 18:00 local
            self._invoice(today, 100, days_ago=1)
            lapsed = []
            for manager in (manager_east, manager_local):
                customer = self._customer(
                    f"Lapsed VIP of {manager.login}",
                    wms_account_manager_id=manager.id,
                )
                customer.with_company(self.company_x).wms_tier_id = self.tier_vip
                self._history(customer, [utc("2025-11-01 15:00")])
                lapsed.append(customer)
            run = self._run()
        self.assertEqual(self._score(run, today).recency_days, 0)
        self.assertEqual(
            today.with_company(self.company_x).wms_rfm_date, date(2026, 3, 1)
        )
        east, local = (customer.activity_ids for customer in lapsed)
        # 11:30 on 2 March in Shanghai
        self.assertEqual(east.date_deadline, date(2026, 3, 2) + timedelta(delay))
        # no time zone of their own: the company's, 1 March
        self.assertEqual(local.date_deadline, date(2026, 3, 1) + timedelta(delay))
