# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import WmsOutboundCase


@tagged("post_install", "-at_install")
class TestAcknowledgement(WmsOutboundCase):
    """Acknowledgements and waivers: recorded by the server, logged the same
    way whatever the path, closed with their transfer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.req_labels = cls._requirement(cls.customer, cls.type_labels)

    def _line(self, picking):
        return picking.wms_requirement_line_ids.filtered(
            lambda line: line.requirement_id == self.req_labels
        )

    def _notes(self, picking, text):
        return picking.message_ids.filtered(lambda m: text in (m.body or ""))

    def test_who_and_when_come_from_the_server(self):
        picking = self._confirmed(self.customer)
        line = self._line(picking)
        for user in (self.stock_user, self.stock_manager, self.cc_manager_stock):
            forged = line.with_user(user)
            for vals in (
                {"acknowledged": True, "acknowledged_by_id": self.stock_user_2.id},
                {"acknowledged": True, "acknowledged_date": "2020-01-01 00:00:00"},
                {"acknowledged_date": "2020-01-01 00:00:00"},
                {"waived_by_id": self.stock_user_2.id},
            ):
                with self.assertRaises(AccessError):
                    forged.write(vals)
        with self.assertRaises(AccessError):
            line.with_user(self.stock_manager).create(
                {
                    "picking_id": picking.id,
                    "name": "forged",
                    "type_id": self.type_care.id,
                    "acknowledged_by_id": self.stock_user_2.id,
                }
            )
        self.assertEqual(line.state, "pending")
        self.assertFalse(line.acknowledged_by_id)
        self.assertFalse(line.acknowledged_date)
        # a plain write records who and when, once
        before = fields.Datetime.now().replace(microsecond=0)
        line.with_user(self.stock_user).write({"acknowledged": True})
        self.assertEqual(line.acknowledged_by_id, self.stock_user)
        self.assertGreaterEqual(line.acknowledged_date, before)
        stamp = line.acknowledged_date
        line.with_user(self.stock_user_2).write({"acknowledged": True})
        self.assertEqual(line.acknowledged_by_id, self.stock_user)
        self.assertEqual(line.acknowledged_date, stamp)
        # withdrawn: who and when go, and the chatter says so
        line.with_user(self.stock_user_2).write({"acknowledged": False})
        self.assertEqual(line.state, "pending")
        self.assertFalse(line.acknowledged_by_id)
        self.assertFalse(line.acknowledged_date)
        self.assertTrue(self._notes(picking, "Acknowledgement withdrawn"))

    def test_writing_waived_is_a_waiver(self):
        picking = self._confirmed(self.customer)
        line = self._line(picking)
        with self.assertRaises(AccessError):
            line.with_user(self.stock_user).write(
                {"waived": True, "waive_reason": "I say so"}
            )
        manager_line = line.with_user(self.stock_manager)
        for vals in ({"waived": True}, {"waived": True, "waive_reason": "  "}):
            with self.assertRaises(UserError):
                manager_line.write(vals)
        self.assertEqual(line.state, "pending")
        manager_line.write({"waived": True, "waive_reason": "Customer agreed"})
        self.assertEqual(line.state, "waived")
        self.assertEqual(line.waived_by_id, self.stock_manager)
        self.assertEqual(line.waive_reason, "Customer agreed")
        [note] = self._notes(picking, "Special requirements waived")
        self.assertIn("Customer agreed", note.body)
        self.assertIn(line.name, note.body)
        # a waiver's reason is not rewritten afterwards
        for vals in (
            {"waive_reason": "Something else"},
            {"waived": True, "waive_reason": "Something else"},
        ):
            with self.assertRaises(UserError):
                manager_line.write(vals)
        self.assertEqual(line.waive_reason, "Customer agreed")
        # withdrawn by a manager: pending again, logged
        manager_line.write({"waived": False})
        self.assertEqual(line.state, "pending")
        self.assertFalse(line.waived_by_id)
        self.assertFalse(line.waive_reason)
        self.assertTrue(self._notes(picking, "Waiver withdrawn"))

    def test_lines_of_closed_transfers_are_immutable(self):
        done = self._confirmed(self.customer)
        self._line(done).action_acknowledge()
        self.assertIs(self._validate(done), True)
        cancelled = self._confirmed(self.customer)
        cancelled.action_cancel()
        self.assertEqual(cancelled.state, "cancel")
        self.assertTrue(self._line(cancelled), "the snapshot stays")
        for picking, vals in (
            (done, {"acknowledged": False}),
            (cancelled, {"acknowledged": True}),
        ):
            line = self._line(picking)
            with self.assertRaises(UserError):
                line.with_user(self.stock_user).write(vals)
            with self.assertRaises(UserError):
                line.with_user(self.stock_manager).write(
                    {"waived": True, "waive_reason": "Too late"}
                )
            with self.assertRaises(UserError):
                line.sudo().write({"instructions": "rewritten"})
            with self.assertRaises(UserError):
                line.sudo().unlink()
        self.assertEqual(self._line(done).state, "acknowledged")
        self.assertEqual(self._line(cancelled).state, "pending")

    def test_every_acknowledgement_path_posts_the_same_line(self):
        by_wizard, by_button, by_list, by_write = (
            self._confirmed(self.customer) for _index in range(4)
        )
        user = self.stock_user
        # the checklist opened by Validate
        action = self._validate(by_wizard, user=user)
        wizard = Form(
            self.env["wms.requirement.check"]
            .with_user(user)
            .with_context(**action["context"])
        ).save()
        wizard.action_check_all()
        wizard.action_confirm()
        self.assertEqual(by_wizard.state, "done")
        # the transfer's button (scanners, integrators)
        by_button.with_user(user).action_wms_acknowledge_requirements()
        # ticking the line in the transfer's editable list
        with Form(by_list.with_user(user)) as form:
            with form.wms_requirement_line_ids.edit(0) as row:
                row.acknowledged = True
        # a plain write (RPC)
        self._line(by_write).with_user(user).write({"acknowledged": True})
        bodies = set()
        for picking in (by_wizard, by_button, by_list, by_write):
            line = self._line(picking)
            self.assertEqual(line.state, "acknowledged")
            self.assertEqual(line.acknowledged_by_id, user)
            notes = self._notes(picking, "Special requirements acknowledged")
            self.assertEqual(len(notes), 1, picking.name)
            self.assertEqual(notes.author_id, user.partner_id)
            self.assertIn(line.name, notes.body)
            bodies.add(notes.body)
        self.assertEqual(len(bodies), 1, bodies)
