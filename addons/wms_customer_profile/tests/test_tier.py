# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from psycopg2 import IntegrityError

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import WmsCustomerProfileCase


@tagged("post_install", "-at_install")
class TestCustomerTier(WmsCustomerProfileCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "WMS Company B"})

    def test_shipped_tiers(self):
        tiers = self.Tier.search([])
        self.assertEqual(
            set(tiers.mapped("code"))
            >= {"vip", "core", "potential", "normal", "churn_risk", "new"},
            True,
        )
        self.assertEqual(
            [
                value
                for value, _label in self.Tier._fields["picking_priority"].selection
            ],
            [
                value
                for value, _label in self.env["stock.picking"]
                ._fields["priority"]
                .selection
            ],
        )
        self.assertEqual(self.tier_vip.picking_priority, "1")
        self.assertEqual(self.tier_normal.picking_priority, "0")
        # shipped as noupdate data: customers' edits survive module updates
        data = self.env["ir.model.data"].search(
            [("module", "=", "wms_customer_profile"), ("model", "=", self.Tier._name)]
        )
        self.assertEqual(len(data), 6)
        self.assertTrue(all(data.mapped("noupdate")))

    def test_code_unique(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self.Tier.create({"name": "Another VIP", "code": "vip"})

    def test_used_tier_cannot_be_deleted(self):
        tier = self.Tier.create({"name": "Gold", "code": "gold"})
        self.customer.with_company(self.company_b).wms_tier_id = tier
        with self.assertRaisesRegex(UserError, "Archive the tier instead"):
            tier.unlink()
        self.assertTrue(tier.exists())
        tier.action_archive()
        self.assertFalse(tier.active)
        unused = self.Tier.create({"name": "Silver", "code": "silver"})
        unused.unlink()
        self.assertFalse(unused.exists())

    def test_tier_per_company(self):
        self.customer.wms_tier_id = self.tier_vip
        self.customer.with_company(self.company_b).wms_tier_id = self.tier_normal
        self.assertEqual(self.customer.wms_tier_id, self.tier_vip)
        self.assertEqual(
            self.customer.with_company(self.company_b).wms_tier_id, self.tier_normal
        )
        self.customer.wms_tier_locked = True
        self.assertFalse(self.customer.with_company(self.company_b).wms_tier_locked)
        # searchable per company
        Partner = self.env["res.partner"]
        self.assertIn(self.customer, Partner.search([("wms_tier_id", "=", "VIP")]))
        self.assertNotIn(
            self.customer,
            Partner.with_company(self.company_b).search(
                [("wms_tier_id", "=", self.tier_vip.id)]
            ),
        )

    def test_contact_shows_company_values(self):
        self.customer.write(
            {
                "wms_tier_id": self.tier_core.id,
                "wms_preferred_channel": "wechat",
                "wms_account_manager_id": self.cc_user.id,
            }
        )
        self.assertEqual(self.customer_contact.wms_tier_id, self.tier_core)
        self.assertEqual(self.customer_contact.wms_preferred_channel, "wechat")
        self.assertEqual(self.customer_contact.wms_account_manager_id, self.cc_user)
        new_contact = self.env["res.partner"].create(
            {"name": "Acme Night Shift", "parent_id": self.customer.id}
        )
        self.assertEqual(new_contact.wms_tier_id, self.tier_core)

    def test_tier_change_tracked_in_chatter(self):
        customer = self.customer.with_context(tracking_disable=False)
        customer.wms_tier_id = self.tier_core
        self.env.cr.precommit.run()
        customer.wms_tier_id = self.tier_vip
        self.env.cr.precommit.run()
        tracked = customer.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "wms_tier_id"
        )
        self.assertTrue(tracked)
        self.assertIn("VIP", tracked.mapped(lambda t: t.new_value_char))

    def test_priority_from_tier(self):
        self.customer.wms_tier_id = self.tier_vip
        self.other_customer.wms_tier_id = self.tier_normal
        vip_picking = self._create_delivery(self.customer_contact)
        normal_picking = self._create_delivery(self.other_customer)
        self.assertEqual(vip_picking.priority, "1")
        self.assertEqual(normal_picking.priority, "0")
        self.assertEqual(vip_picking.wms_tier_id, self.tier_vip)
        # promoted after creation: confirmation raises the priority
        self.other_customer.wms_tier_id = self.tier_vip
        normal_picking.action_confirm()
        self.assertEqual(normal_picking.priority, "1")
        # "VIP deliveries" filter
        vip_deliveries = self.env["stock.picking"].search(
            [("picking_type_code", "=", "outgoing"), ("wms_tier_id.code", "=", "vip")]
        )
        self.assertIn(vip_picking, vip_deliveries)
        self.assertIn(normal_picking, vip_deliveries)

    def test_priority_reads_tier_of_picking_company(self):
        """VIP in company A only: a delivery of company B stays normal."""
        self.customer.wms_tier_id = self.tier_vip
        self.customer.with_company(self.company_b).wms_tier_id = self.tier_normal
        self.env.user.company_ids |= self.company_b
        picking_b = self._create_delivery(self.customer, company=self.company_b)
        self.assertEqual(picking_b.company_id, self.company_b)
        self.assertEqual(picking_b.priority, "0")
        self.assertEqual(picking_b.wms_tier_id, self.tier_normal)
        picking_a = self._create_delivery(self.customer)
        self.assertEqual(picking_a.priority, "1")

    def test_receipts_keep_their_priority(self):
        self.customer.wms_tier_id = self.tier_vip
        receipt = self.env["stock.picking"].create(
            {
                "partner_id": self.customer.id,
                "picking_type_id": self.warehouse.in_type_id.id,
            }
        )
        self.assertEqual(receipt.priority, "0")

    def test_chinese_translation_ships(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["wms_customer_profile"], ["zh_CN"], overwrite=True
        )
        zh = self.env(context=dict(self.env.context, lang="zh_CN"))
        self.assertEqual(zh.ref("wms_customer_profile.tier_vip").name, "VIP客户")
        self.assertEqual(
            zh.ref("wms_customer_profile.tier_churn_risk").name, "流失风险"
        )
        self.assertEqual(
            zh["res.partner"]._fields["wms_tier_id"].get_description(zh)["string"],
            "客户等级",
        )
        with self.assertRaisesRegex(UserError, "请改为归档该等级"):
            self.customer.wms_tier_id = self.tier_core
            self.tier_core.with_env(zh).unlink()
