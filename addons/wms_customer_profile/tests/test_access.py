# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import WmsCustomerProfileCase


@tagged("post_install", "-at_install")
class TestAccess(WmsCustomerProfileCase):
    def test_user_reads_tiers_but_cannot_change_them(self):
        Tier = self.Tier.with_user(self.cc_user)
        self.assertEqual(
            Tier.browse(self.tier_vip.id).read(["name", "code"])[0]["code"], "vip"
        )
        with self.assertRaises(AccessError):
            Tier.create({"name": "Platinum", "code": "platinum"})
        with self.assertRaises(AccessError):
            Tier.browse(self.tier_vip.id).write({"name": "Very Important"})
        with self.assertRaises(AccessError):
            Tier.browse(self.tier_normal.id).unlink()

    def test_manager_manages_tiers(self):
        Tier = self.Tier.with_user(self.cc_manager)
        tier = Tier.create({"name": "Platinum", "code": "platinum"})
        tier.write({"picking_priority": "1"})
        tier.unlink()
        self.assertFalse(tier.exists())

    def test_stock_user_reads_tiers(self):
        tiers = self.Tier.with_user(self.stock_user).search([])
        self.assertIn(self.tier_vip, tiers)
        with self.assertRaises(AccessError):
            tiers[:1].write({"name": "X"})

    def test_credit_rating_is_for_managers(self):
        self.customer.wms_credit_rating = "b"
        as_user = self.customer.with_user(self.cc_user)
        with self.assertRaises(AccessError):
            as_user.read(["wms_credit_rating"])
        with self.assertRaises(AccessError):
            as_user.write({"wms_credit_rating": "a"})
        # the rest of the profile stays readable
        self.assertEqual(as_user.read(["wms_tier_id"])[0]["wms_tier_id"], False)
        as_manager = self.customer.with_user(self.cc_manager)
        self.assertEqual(as_manager.wms_credit_rating, "b")
        as_manager.write({"wms_credit_rating": "d"})
        self.assertEqual(self.customer.wms_credit_rating, "d")
        # hidden from the form of non-managers
        arch = as_user.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn('name="wms_credit_rating"', arch)
        arch = as_manager.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="wms_credit_rating"', arch)

    def test_kpis_are_read_only(self):
        self._deliver(self.customer)
        kpi = self._kpi(self.customer)
        for user in (self.cc_user, self.cc_manager, self.stock_user):
            self.assertEqual(kpi.with_user(user).delivery_count, 1)
            with self.assertRaises(AccessError):
                kpi.with_user(user).write({"delivery_count": 99})
