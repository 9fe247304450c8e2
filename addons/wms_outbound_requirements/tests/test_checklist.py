# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import WmsOutboundCase


@tagged("post_install", "-at_install")
class TestChecklistScope(WmsOutboundCase):
    """The checklist acknowledges and validates only transfers the user may
    change, whatever the context or the wizard's values say."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._requirement(cls.customer, cls.type_labels, company_id=False)
        cls.company_b = cls.env["res.company"].create({"name": "WMS Company B"})
        cls.env.user.company_ids |= cls.company_b
        cls.picking_b = cls._confirmed(cls.customer, company=cls.company_b)
        cls.picking_a = cls._confirmed(cls.customer)

    def test_skip_context_key_is_ignored(self):
        self.assertNotIn(self.company_b, self.stock_user.company_ids)
        action = self._validate(
            self.picking_a.with_context(skip_wms_requirements=True),
            user=self.stock_user,
        )
        self.assertEqual(action["res_model"], "wms.requirement.check")
        self.assertNotEqual(self.picking_a.state, "done")
        self.assertEqual(self.picking_a.wms_requirement_line_ids.state, "pending")

    def test_context_cannot_bring_other_transfers(self):
        Check = self.env["wms.requirement.check"].with_user(self.stock_user)
        with self.assertRaises(AccessError):
            Check.with_context(default_picking_ids=self.picking_b.ids).default_get(
                ["picking_ids", "line_ids"]
            )
        for move in self.picking_a.move_ids:
            move.quantity = move.product_uom_qty
        wizard = Check.with_context(default_picking_ids=self.picking_a.ids).create({})
        self.assertEqual(len(wizard.line_ids), 1)
        wizard.line_ids.done = True
        with self.assertRaises(AccessError):
            wizard.with_context(
                button_validate_picking_ids=(self.picking_a | self.picking_b).ids
            ).action_confirm()
        self.assertEqual(self.picking_a.wms_requirement_line_ids.state, "pending")
        self.assertNotEqual(self.picking_b.state, "done")

    def test_made_up_checklist_line_shows_nothing(self):
        line_b = self.picking_b.wms_requirement_line_ids
        wizard = (
            self.env["wms.requirement.check"]
            .with_user(self.stock_user)
            .create({"line_ids": [(0, 0, {"requirement_line_id": line_b.id})]})
        )
        with self.assertRaises(AccessError):
            wizard.line_ids.read(["name", "instructions"])
        wizard.line_ids.done = True
        with self.assertRaises(AccessError):
            wizard.action_confirm()
        self.assertEqual(line_b.state, "pending")
