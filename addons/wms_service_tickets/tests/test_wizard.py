# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64

from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from .common import WmsServiceTicketsCase

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


@tagged("post_install", "-at_install")
class TestExceptionReportWizard(WmsServiceTicketsCase):
    """Report Exception from a transfer, as a warehouse user does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.delivery = cls._create_delivery(cls.core)
        cls.delivery.action_confirm()
        cls.Attachment = cls.env["ir.attachment"]
        cls.Wizard = cls.env["wms.exception.report"]

    def _upload(self, user, name="photo.png"):
        """A file uploaded in the wizard's form (many2many_binary): bound to
        the wizard model, not yet to a record."""
        return self.Attachment.with_user(user).create(
            {"name": name, "raw": PNG, "res_model": "wms.exception.report"}
        )

    def _report(self, picking, user, exception_type, attachments=None, text=""):
        """Click Report Exception on ``picking``, fill the wizard, report."""
        action = picking.with_user(user).action_wms_report_exception()
        self.assertEqual(action["res_model"], "wms.exception.report")
        self.assertEqual(action["target"], "new")
        wizard_model = self.env[action["res_model"]].with_user(user)
        with Form(wizard_model.with_context(**action["context"])) as form:
            self.assertEqual(form.picking_id, picking)
            form.exception_type_id = exception_type
            form.description = text
            for attachment in attachments or []:
                form.attachment_ids.add(attachment)
        return form.record.action_report()

    def _arch(self, model, view_type, user=None):
        records = self.env[model].with_user(user) if user else self.env[model]
        return records.get_views([(False, view_type)])["views"][view_type]["arch"]

    def _tickets(self, picking):
        return self.Ticket.search([("wms_picking_id", "=", picking.id)])

    def test_stock_user_reports_with_attachment(self):
        photo = self._upload(self.stock_user)
        result = self._report(
            self.delivery,
            self.stock_user,
            self.type_damaged,
            attachments=[photo],
            text="Two cartons crushed on arrival.",
        )
        ticket = self._tickets(self.delivery)
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.wms_exception_type_id, self.type_damaged)
        self.assertEqual(ticket.partner_id, self.core)
        self.assertEqual(ticket.team_id, self.team)
        self.assertIn("Two cartons crushed", ticket.description)
        self.assertEqual(
            (photo.res_model, photo.res_id), ("helpdesk.ticket", ticket.id)
        )
        # the stock user reads the ticket of the transfer, and lands on it
        self.assertEqual(result["res_model"], "helpdesk.ticket")
        self.assertEqual(result["res_id"], ticket.id)
        as_stock = ticket.with_user(self.stock_user)
        self.assertEqual(as_stock.name, ticket.name)
        self.assertEqual(
            self.Attachment.with_user(self.stock_user).search(
                [("res_model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id)]
            ),
            photo,
        )
        # ... but only reads it
        with self.assertRaises(AccessError):
            as_stock.write({"name": "Nothing happened"})
        # the transfer's smart button
        picking = self.delivery.with_user(self.stock_user)
        self.assertEqual(picking.wms_ticket_count, 1)
        action = picking.action_wms_view_tickets()
        self.assertEqual(
            self.Ticket.with_user(self.stock_user).search(action["domain"]), ticket
        )

    def test_second_report_adds_to_open_ticket(self):
        self._report(self.delivery, self.stock_user, self.type_damaged)
        ticket = self._tickets(self.delivery)
        photo = self._upload(self.stock_user, name="second.png")
        self._report(
            self.delivery,
            self.stock_user,
            self.type_damaged,
            attachments=[photo],
            text="A third carton is wet.",
        )
        self.assertEqual(self._tickets(self.delivery), ticket)
        self.assertEqual(photo.res_id, ticket.id)
        self.assertIn(
            "A third carton is wet.", "".join(ticket.message_ids.mapped("body"))
        )
        self.assertEqual(self.delivery.wms_ticket_count, 1)

    def test_only_own_pending_uploads_move(self):
        """An attachment of another document, or another user's upload,
        given to the wizard stays where it is."""
        delivery_note = self.Attachment.create(
            {
                "name": "delivery-note.pdf",
                "raw": b"%PDF-1.4",
                "res_model": "stock.picking",
                "res_id": self.delivery.id,
            }
        )
        other_user = new_test_user(
            self.env, login="wms_other_stock", groups="stock.group_stock_user"
        )
        foreign_upload = self._upload(other_user, name="not-mine.png")
        wizard = self.Wizard.with_user(self.stock_user).create(
            {
                "picking_id": self.delivery.id,
                "exception_type_id": self.type_damaged.id,
                "attachment_ids": [(6, 0, delivery_note.ids)],
            }
        )
        # sudo: link an upload the stock user cannot read, as a crafted RPC
        # write on the wizard's relation would
        wizard.sudo().attachment_ids |= foreign_upload
        wizard.action_report()
        self.assertEqual(
            (delivery_note.res_model, delivery_note.res_id),
            ("stock.picking", self.delivery.id),
        )
        self.assertEqual(foreign_upload.res_model, "wms.exception.report")
        self.assertFalse(foreign_upload.res_id)

    def test_customer_return_defaults_to_return_type(self):
        delivery = self._deliver(self.normal)
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_id=delivery.id, active_model="stock.picking")
            .create({"picking_id": delivery.id})
        )
        wizard.product_return_moves.quantity = 1
        customer_return = self.env["stock.picking"].browse(
            wizard.action_create_returns()["res_id"]
        )
        action = customer_return.with_user(
            self.stock_user
        ).action_wms_report_exception()
        with Form(
            self.Wizard.with_user(self.stock_user).with_context(**action["context"])
        ) as form:
            self.assertEqual(form.exception_type_id, self.type_return)
        form.record.action_report()
        ticket = self.Ticket.search(
            [("wms_return_picking_id", "=", customer_return.id)]
        )
        self.assertEqual(ticket.wms_exception_type_id, self.type_return)
        self.assertEqual(ticket.partner_id, self.normal)
        # the ticket is about the delivery the customer returned
        self.assertEqual(ticket.wms_picking_id, delivery)

    def test_plain_employee_cannot_report(self):
        employee = new_test_user(
            self.env, login="wms_employee", groups="base.group_user"
        )
        with self.assertRaises(AccessError):
            self.Wizard.with_user(employee).create(
                {
                    "picking_id": self.delivery.id,
                    "exception_type_id": self.type_damaged.id,
                }
            )

    def test_views_render(self):
        """Every view this module adds or extends loads, for the users who
        open it."""
        views = {
            "wms.exception.report": ["form"],
            "wms.exception.type": ["list", "form", "search"],
            "helpdesk.ticket": ["list", "form", "search", "pivot", "graph", "kanban"],
            "helpdesk.sla": ["list", "form", "search"],
            "helpdesk.sla.report": ["pivot", "graph", "search"],
            "wms.customer.tier": ["list", "form", "search"],
            "stock.picking": ["form"],
            "res.partner": ["form"],
            "res.config.settings": ["form"],
        }
        for model, types in views.items():
            result = self.env[model].get_views([(False, view) for view in types])
            self.assertEqual(set(result["views"]), set(types), model)
        for xmlid in (
            "wms_service_tickets.helpdesk_ticket_action_analysis",
            "wms_service_tickets.wms_exception_type_action",
            "helpdesk_mgmt.helpdesk_ticket_action",
            "helpdesk_mgmt_sla.helpdesk_sla_report_act_window",
        ):
            action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
            self.env[action["res_model"]].get_views(action["views"])
        picking_form = self._arch("stock.picking", "form", self.stock_user)
        self.assertIn('name="action_wms_report_exception"', picking_form)
        self.assertIn('name="wms_ticket_count"', picking_form)
        ticket_form = self._arch("helpdesk.ticket", "form", self.cc_user)
        self.assertIn('name="wms_sla_state"', ticket_form)
        partner_form = self._arch("res.partner", "form", self.cc_user)
        self.assertIn('name="action_wms_view_tickets"', partner_form)

    def test_exception_types_read_only_but_for_managers(self):
        as_user = self.type_damaged.with_user(self.cc_user)
        self.assertEqual(as_user.ticket_count, 0)
        with self.assertRaises(AccessError):
            as_user.write({"priority": "3"})
        self.type_damaged.with_user(self.cc_manager).write({"priority": "3"})
        self.assertEqual(self.type_damaged.priority, "3")
        list_arch = self._arch("wms.exception.type", "list", self.cc_user)
        self.assertIn('edit="false"', list_arch.replace("'", '"').lower())
