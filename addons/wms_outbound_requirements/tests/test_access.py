# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import WmsOutboundCase


@tagged("post_install", "-at_install")
class TestAccess(WmsOutboundCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.requirement = cls._requirement(cls.customer, cls.type_labels)

    def test_stock_user_reads_but_cannot_edit_requirements(self):
        as_stock_user = self.requirement.with_user(self.stock_user)
        self.assertEqual(as_stock_user.name, self.type_labels.name)
        with self.assertRaises(AccessError):
            as_stock_user.write({"instructions": "changed"})
        with self.assertRaises(AccessError):
            self.Requirement.with_user(self.stock_user).create(
                {"partner_id": self.customer.id, "type_id": self.type_care.id}
            )
        with self.assertRaises(AccessError):
            as_stock_user.unlink()
        with self.assertRaises(AccessError):
            self.type_care.with_user(self.stock_user).write({"name": "x"})
        # so the partner form shows them the list read-only
        customer = self.customer.with_user(self.stock_user)
        self.assertFalse(customer.wms_can_edit_requirements)
        for manager in (self.stock_manager, self.cc_manager):
            self.assertTrue(self.customer.with_user(manager).wms_can_edit_requirements)

    def test_managers_edit_requirements_and_windows(self):
        for hour, manager in ((8.0, self.stock_manager), (10.0, self.cc_manager)):
            requirement = self.Requirement.with_user(manager).create(
                {
                    "partner_id": self.customer.id,
                    "type_id": self.type_care.id,
                    "instructions": f"by {manager.login}",
                }
            )
            requirement.write({"blocking": True})
            self.customer.with_user(manager).write(
                {
                    "delivery_time_window_ids": [
                        Command.create(
                            {
                                "time_window_start": hour,
                                "time_window_end": hour + 0.5,
                                "time_window_weekday_ids": [
                                    Command.set(self._weekdays([0]).ids)
                                ],
                            }
                        )
                    ]
                }
            )
        self.assertEqual(len(self.customer.delivery_time_window_ids), 2)
        with self.assertRaises(AccessError):
            self.customer.delivery_time_window_ids[:1].with_user(
                self.stock_user
            ).unlink()

    def test_company_b_requirement_invisible_in_company_a(self):
        company_a = self.env.company
        company_b = self.env["res.company"].create({"name": "WMS Company B"})
        in_b = self._requirement(
            self.customer, self.type_care, company_id=company_b.id, name="B only"
        )
        user_a = new_test_user(
            self.env,
            login="wms_user_company_a",
            groups="stock.group_stock_manager",
            company_id=company_a.id,
            company_ids=[Command.set(company_a.ids)],
        )
        visible = self.Requirement.with_user(user_a).search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertIn(self.requirement, visible)
        self.assertNotIn(in_b, visible)
        with self.assertRaises(AccessError):
            in_b.with_user(user_a).read(["name"])
        # nor its lines on company B deliveries
        self.env.user.company_ids |= company_b
        picking = self._confirmed(self.customer, company=company_b)
        self.assertEqual(picking.wms_requirement_line_ids.name, "B only")
        self.assertFalse(
            self.env["wms.picking.requirement"]
            .with_user(user_a)
            .search([("picking_id", "=", picking.id)])
        )

    def test_salesperson_style_user_confirming_gets_snapshot(self):
        # a user who cannot read requirements still gets them on the delivery
        picking = self._create_delivery(self.customer)
        picking.with_user(self.stock_user).action_confirm()
        self.assertEqual(
            picking.wms_requirement_line_ids.requirement_id, self.requirement
        )

    def test_warehouse_user_cannot_remove_or_add_lines(self):
        picking = self._confirmed(self.customer)
        line = picking.wms_requirement_line_ids.with_user(self.stock_user)
        with self.assertRaises(AccessError):
            line.unlink()
        with self.assertRaises(AccessError):
            line.create(
                {
                    "picking_id": picking.id,
                    "name": "fake",
                    "type_id": self.type_care.id,
                }
            )
        self.assertEqual(line.state, "pending")
