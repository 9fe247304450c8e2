# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import WmsOutboundCase


@tagged("post_install", "-at_install")
class TestValidation(WmsOutboundCase):
    """Blocking requirements are acknowledged before a delivery is validated."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.req_labels = cls._requirement(cls.customer, cls.type_labels)
        cls.req_care = cls._requirement(cls.customer, cls.type_care)

    def _lines(self, picking, requirement):
        return picking.wms_requirement_line_ids.filtered(
            lambda line: line.requirement_id == requirement
        )

    def test_blocking_line_stops_validation_until_acknowledged(self):
        picking = self._confirmed(self.customer)
        action = self._validate(picking, user=self.stock_user)
        self.assertIsInstance(action, dict)
        self.assertEqual(action["res_model"], "wms.requirement.check")
        self.assertNotEqual(picking.state, "done")
        wizard_form = Form(
            self.env["wms.requirement.check"]
            .with_user(self.stock_user)
            .with_context(**action["context"])
        )
        wizard = wizard_form.save()
        # only the blocking line is on the checklist
        self.assertEqual(
            wizard.line_ids.requirement_line_id, self._lines(picking, self.req_labels)
        )
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertNotEqual(picking.state, "done")
        wizard.line_ids.done = True
        wizard.action_confirm()
        self.assertEqual(picking.state, "done")
        line = self._lines(picking, self.req_labels)
        self.assertTrue(line.acknowledged)
        self.assertEqual(line.acknowledged_by_id, self.stock_user)
        self.assertTrue(line.acknowledged_date)
        # the non-blocking line did not stop anything
        self.assertFalse(self._lines(picking, self.req_care).acknowledged)

    def test_non_blocking_requirements_do_not_stop_validation(self):
        self.req_labels.blocking = False
        picking = self._confirmed(self.customer)
        self.assertEqual(len(picking.wms_requirement_line_ids), 2)
        self.assertIs(self._validate(picking), True)
        self.assertEqual(picking.state, "done")

    def test_customer_without_requirements_validates_as_before(self):
        picking = self._confirmed(self.other_customer)
        self.assertIs(self._validate(picking, user=self.stock_user), True)
        self.assertEqual(picking.state, "done")

    def test_acknowledge_action_records_user_and_time(self):
        picking = self._confirmed(self.customer)
        picking.with_user(self.stock_user).action_wms_acknowledge_requirements()
        lines = picking.wms_requirement_line_ids
        self.assertEqual(set(lines.mapped("state")), {"acknowledged"})
        self.assertEqual(lines.acknowledged_by_id, self.stock_user)
        self.assertTrue(all(lines.mapped("acknowledged_date")))
        self.assertFalse(picking.wms_requirement_pending)
        self.assertIn(
            "acknowledged", picking.message_ids[:1].body.lower(), "logged in chatter"
        )
        self.assertIs(self._validate(picking, user=self.stock_user), True)
        self.assertEqual(picking.state, "done")

    def test_acknowledger_cannot_be_forged(self):
        picking = self._confirmed(self.customer)
        line = self._lines(picking, self.req_labels).with_user(self.stock_user)
        with self.assertRaises(AccessError):
            line.write(
                {"acknowledged": True, "acknowledged_by_id": self.stock_user_2.id}
            )
        self.assertEqual(line.state, "pending")
        line.write({"acknowledged": True})
        self.assertEqual(line.acknowledged_by_id, self.stock_user)
        with self.assertRaises(AccessError):
            line.write({"blocking": False})

    def test_waive_needs_manager_and_reason(self):
        picking = self._confirmed(self.customer)
        line = self._lines(picking, self.req_labels)
        with self.assertRaises(AccessError):
            line.with_user(self.stock_user).action_waive("Customer agreed")
        with self.assertRaises(AccessError):
            line.with_user(self.stock_user).write({"waived": True})
        with self.assertRaises(UserError):
            line.with_user(self.stock_manager).action_waive("  ")
        self.assertEqual(line.state, "pending")
        wizard = Form(
            self.env["wms.requirement.waive"]
            .with_user(self.stock_manager)
            .with_context(**line.action_open_waive_wizard()["context"])
        )
        wizard.reason = "Customer agreed by phone"
        wizard.save().action_waive()
        self.assertEqual(line.state, "waived")
        self.assertEqual(line.waived_by_id, self.stock_manager)
        self.assertEqual(line.waive_reason, "Customer agreed by phone")
        self.assertIn("Customer agreed by phone", picking.message_ids[:1].body)
        # Customer Care managers may waive too
        picking_2 = self._confirmed(self.customer)
        self._lines(picking_2, self.req_labels).with_user(
            self.cc_manager_stock
        ).action_waive("Labels out of stock, customer informed")
        self.assertIs(self._validate(picking_2, user=self.stock_user), True)
        self.assertEqual(picking_2.state, "done")
        # waived lines no longer block
        self.assertIs(self._validate(picking, user=self.stock_user), True)
        self.assertEqual(picking.state, "done")

    def test_several_pickings_one_checklist(self):
        first = self._confirmed(self.customer)
        second = self._confirmed(self.customer)
        free = self._confirmed(self.other_customer)
        pickings = first | second | free
        for move in pickings.move_ids:
            move.quantity = move.product_uom_qty
        pickings.move_ids.picked = True
        action = pickings.button_validate()
        self.assertEqual(action["res_model"], "wms.requirement.check")
        wizard = Form(
            self.env["wms.requirement.check"].with_context(**action["context"])
        ).save()
        self.assertEqual(wizard.line_ids.picking_id, first | second)
        wizard.action_check_all()
        wizard.action_confirm()
        self.assertEqual(set(pickings.mapped("state")), {"done"})

    def test_chinese_translation_ships(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["wms_outbound_requirements"], ["zh_CN"], overwrite=True
        )
        zh = self.env(context=dict(self.env.context, lang="zh_CN"))
        self.assertEqual(self.type_shock.with_env(zh).name, "防震包装")
        picking = self._confirmed(self.customer)
        action = self._validate(picking.with_env(zh))
        wizard = Form(
            self.env["wms.requirement.check"]
            .with_env(zh)
            .with_context(**action["context"])
        ).save()
        with self.assertRaisesRegex(UserError, "勾选"):
            wizard.action_confirm()
