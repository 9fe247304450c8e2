# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date, datetime, timezone

from odoo.tests import tagged

from .common import WmsCustomerProfileCase

SHANGHAI = "Asia/Shanghai"  # UTC+8
NEW_YORK = "America/New_York"  # UTC-5 in November
STALE = "Europe/Atlantis"  # a name no tz database knows (any more)

# scheduled and done the same day in UTC and New York, but done at 01:00 the
# next day in Shanghai: late only in Shanghai
LATE_IN_SHANGHAI = ("2026-11-10 14:00:00", "2026-11-10 17:00:00")
# scheduled at 22:00 on the 9th and done at 01:00 on the 10th in New York,
# the same day elsewhere: late only in New York
LATE_IN_NEW_YORK = ("2026-11-10 03:00:00", "2026-11-10 06:00:00")


@tagged("post_install", "-at_install")
class TestLocalDates(WmsCustomerProfileCase):
    """One timezone chain: the address's, the commercial partner's, the
    company partner's, UTC; around midnight in Shanghai and New York."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Partner = cls.env["res.partner"]
        cls.company.partner_id.tz = False
        cls.customer.tz = False
        cls.address = cls.Partner.create(
            {
                "name": "Acme Shanghai Warehouse",
                "parent_id": cls.customer.id,
                "type": "delivery",
                "tz": False,
            }
        )
        cls.env["ir.config_parameter"].set_param(
            "wms_customer_profile.kpi_window_days", 3650
        )

    def _set_tz(self, address=False, customer=False, company=False):
        self.address.tz = address
        self.customer.tz = customer
        self.company.partner_id.tz = company

    def _set_stale_tz(self, partner):
        """A tz name the selection no longer offers, as an old database or
        a tz database update leaves behind."""
        partner.flush_recordset()
        self.env.cr.execute(
            "UPDATE res_partner SET tz = %s WHERE id = %s", [STALE, partner.id]
        )
        partner.invalidate_recordset(["tz"])

    # ------------------------------------------------------------------
    # the helpers
    # ------------------------------------------------------------------
    def test_wms_tz_chain(self):
        self._set_tz(address=SHANGHAI, customer=NEW_YORK, company="Europe/Paris")
        self.assertEqual(self.address._wms_tz(), SHANGHAI)
        self.assertEqual(self.customer._wms_tz(), NEW_YORK)
        self.assertEqual(self.customer_contact._wms_tz(), NEW_YORK)
        self.assertEqual(self.other_customer._wms_tz(), "Europe/Paris")
        self.assertEqual(self.Partner._wms_tz(), "Europe/Paris")  # no address
        self._set_tz(address=False, customer=SHANGHAI, company=NEW_YORK)
        self.assertEqual(self.address._wms_tz(), SHANGHAI)
        self._set_tz(address=False, customer=False, company=NEW_YORK)
        self.assertEqual(self.address._wms_tz(), NEW_YORK)
        self._set_tz()
        self.assertEqual(self.address._wms_tz(), "UTC")
        self.assertEqual(self.Partner._wms_tz(), "UTC")

    def test_wms_tz_of_another_company(self):
        company_b = self.env["res.company"].create({"name": "WMS Shanghai Co"})
        company_b.partner_id.tz = SHANGHAI
        self._set_tz(company=NEW_YORK)
        self.assertEqual(self.address._wms_tz(), NEW_YORK)
        self.assertEqual(self.address._wms_tz(company=company_b), SHANGHAI)
        self.assertEqual(self.Partner._wms_tz(company_b), SHANGHAI)

    def test_wms_tz_of_many_partners_in_constant_queries(self):
        """Exports and the delivery watch ask many partners at once: their
        time zones are read for the whole recordset, not one by one."""
        Partner = self.env["res.partner"]
        ids = Partner.create(
            [
                {"name": f"TZ batch {i}", "tz": "Asia/Shanghai" if i % 2 else False}
                for i in range(40)
            ]
        ).ids
        self.env["wms.customer.kpi"]._valid_timezones()
        self.env.invalidate_all()
        with self.assertQueryCount(3):
            zones = [partner._wms_tz() for partner in Partner.browse(ids)]
        self.assertEqual(zones.count("Asia/Shanghai"), 20)

    def test_wms_tz_skips_stale_names(self):
        self._set_tz(customer=SHANGHAI, company=NEW_YORK)
        self._set_stale_tz(self.address)
        self.assertEqual(self.address._wms_tz(), SHANGHAI)
        self._set_stale_tz(self.customer)
        self.assertEqual(self.address._wms_tz(), NEW_YORK)
        self._set_stale_tz(self.company.partner_id)
        self.assertEqual(self.address._wms_tz(), "UTC")

    def test_wms_local_date(self):
        local_date = self.Partner._wms_local_date
        # 01:00 on 1 December in Shanghai; 12:00 on 30 November in New York
        value = datetime(2026, 11, 30, 17, 0)
        self.assertEqual(local_date(value, SHANGHAI), date(2026, 12, 1))
        self.assertEqual(local_date(value, NEW_YORK), date(2026, 11, 30))
        self.assertEqual(local_date(value, "UTC"), date(2026, 11, 30))
        # 23:30 on 30 November in New York; 1 December in UTC
        value = datetime(2026, 12, 1, 4, 30)
        self.assertEqual(local_date(value, NEW_YORK), date(2026, 11, 30))
        self.assertEqual(local_date(value, SHANGHAI), date(2026, 12, 1))
        # as the ORM gives them: strings, and no value
        self.assertEqual(local_date("2026-11-30 17:00:00", SHANGHAI), date(2026, 12, 1))
        self.assertFalse(local_date(False, SHANGHAI))
        self.assertFalse(local_date(None, SHANGHAI))
        # a stale or empty name reads as UTC
        self.assertEqual(local_date(value, STALE), date(2026, 12, 1))
        self.assertEqual(local_date(value, False), date(2026, 12, 1))
        # an aware datetime is converted, not taken for UTC
        aware = datetime(2026, 11, 30, 23, 30, tzinfo=timezone.utc)
        self.assertEqual(local_date(aware, SHANGHAI), date(2026, 12, 1))
        # a date is local already: it stays as it is
        self.assertEqual(local_date(date(2026, 12, 1), NEW_YORK), date(2026, 12, 1))

    def test_wms_user_tz(self):
        user_tz = self.Partner._wms_user_tz
        self.cc_user.tz = SHANGHAI
        self.assertEqual(user_tz(self.cc_user, NEW_YORK), SHANGHAI)
        self.cc_user.tz = False
        self.assertEqual(user_tz(self.cc_user, NEW_YORK), NEW_YORK)
        self.assertEqual(user_tz(self.env["res.users"], NEW_YORK), NEW_YORK)
        self._set_stale_tz(self.cc_user.partner_id)
        self.cc_user.invalidate_recordset(["tz"])
        self.assertEqual(user_tz(self.cc_user, NEW_YORK), NEW_YORK)

    # ------------------------------------------------------------------
    # the KPIs
    # ------------------------------------------------------------------
    def _deliver_at(self, partner, scheduled_done):
        scheduled, done = (self._dt(value) for value in scheduled_done)
        return self._deliver(partner, scheduled=scheduled, date_done=done)

    def _on_time_count(self):
        self.Kpi._refresh(partner_ids=self.customer.ids)
        return self._kpi(self.customer).on_time_count

    def test_on_time_in_local_days(self):
        """One delivery late in Shanghai only, two late in New York only:
        2 on time in Shanghai, 1 in New York, 3 in UTC."""
        self._deliver_at(self.address, LATE_IN_SHANGHAI)
        self._deliver_at(self.address, LATE_IN_NEW_YORK)
        self._deliver_at(self.address, LATE_IN_NEW_YORK)
        for tzs, on_time in (
            # the address's tz first
            ({"address": SHANGHAI, "customer": NEW_YORK, "company": NEW_YORK}, 2),
            ({"address": NEW_YORK, "customer": SHANGHAI, "company": SHANGHAI}, 1),
            # else the commercial partner's
            ({"customer": SHANGHAI, "company": NEW_YORK}, 2),
            ({"customer": NEW_YORK, "company": SHANGHAI}, 1),
            # else the company partner's
            ({"company": SHANGHAI}, 2),
            ({"company": NEW_YORK}, 1),
            # else UTC
            ({}, 3),
        ):
            self._set_tz(**tzs)
            self.assertEqual(self._on_time_count(), on_time, tzs)
        self.assertEqual(self._kpi(self.customer).delivery_count, 3)

    def test_on_time_skips_stale_timezones(self):
        self._deliver_at(self.address, LATE_IN_SHANGHAI)
        self._deliver_at(self.address, LATE_IN_NEW_YORK)
        self._deliver_at(self.address, LATE_IN_NEW_YORK)
        self._set_tz(customer=SHANGHAI, company=NEW_YORK)
        self._set_stale_tz(self.address)
        self.assertEqual(self._on_time_count(), 2)
        self._set_stale_tz(self.customer)
        self.assertEqual(self._on_time_count(), 1)

    def test_on_time_per_address(self):
        """Each delivery is judged in the timezone of its own address."""
        new_york_office = self.Partner.create(
            {"name": "Acme New York Office", "parent_id": self.customer.id}
        )
        self._set_tz(address=SHANGHAI, company="UTC")
        new_york_office.tz = NEW_YORK
        self._deliver_at(self.address, LATE_IN_SHANGHAI)  # late
        self._deliver_at(new_york_office, LATE_IN_SHANGHAI)  # on time
        self._deliver_at(new_york_office, LATE_IN_NEW_YORK)  # late
        self.assertEqual(self._on_time_count(), 1)
        # the daily refresh computes the same
        self.Kpi._refresh_all()
        self.assertEqual(self._kpi(self.customer).on_time_count, 1)

    def _customer_since(self, **tzs):
        """``wms_customer_since`` computed again with these timezones."""
        self._set_tz(**tzs)
        self.customer.wms_customer_since = False
        self.Kpi._refresh(partner_ids=self.customer.ids)
        return self.customer.wms_customer_since

    def test_customer_since_in_local_days(self):
        # 01:00 on 10 November in Shanghai, 12:00 on the 9th in New York
        delivery = self._deliver(
            self.address, date_done=self._dt("2026-11-09 17:00:00")
        )
        since = self._customer_since
        self.assertEqual(since(address=SHANGHAI), date(2026, 11, 10))
        self.assertEqual(since(address=NEW_YORK, customer=SHANGHAI), date(2026, 11, 9))
        self.assertEqual(since(customer=SHANGHAI, company=NEW_YORK), date(2026, 11, 10))
        self.assertEqual(since(company=SHANGHAI), date(2026, 11, 10))
        self.assertEqual(since(company=NEW_YORK), date(2026, 11, 9))
        self.assertEqual(since(), date(2026, 11, 9))
        # 23:00 on 9 November in New York, the 10th in UTC and Shanghai
        delivery.date_done = self._dt("2026-11-10 04:00:00")
        self.assertEqual(since(customer=NEW_YORK), date(2026, 11, 9))
        self.assertEqual(since(company=SHANGHAI), date(2026, 11, 10))
        self.assertEqual(since(), date(2026, 11, 10))
        # contacts carry the company's date
        self.assertEqual(self.address.wms_customer_since, date(2026, 11, 10))

    def test_customer_since_skips_stale_timezones(self):
        delivery = self._deliver(
            self.address, date_done=self._dt("2026-11-09 17:00:00")
        )
        self._set_tz(customer=SHANGHAI)
        self._set_stale_tz(self.address)
        self.customer.wms_customer_since = False
        self.Kpi._refresh_all()
        self.assertEqual(self.customer.wms_customer_since, date(2026, 11, 10))
        self.assertEqual(delivery.state, "done")
