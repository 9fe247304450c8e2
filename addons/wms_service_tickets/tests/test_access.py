# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import WmsServiceTicketsCase


@tagged("post_install", "-at_install")
class TestAccess(WmsServiceTicketsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.delivery = cls._deliver(cls.normal, qty=4)
        cls.employee = new_test_user(
            cls.env, login="wms_employee", groups="base.group_user"
        )
        cls.portal_user = new_test_user(
            cls.env, login="wms_portal", groups="base.group_portal"
        )
        cls.other_company = cls.env["res.company"].create({"name": "Other 3PL"})
        cls.other_warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.other_company.id)], limit=1
        )

    def test_stock_user_reports_and_reads_but_cannot_write(self):
        Ticket = self.Ticket.with_user(self.stock_user)
        ticket_id = Ticket.wms_report_exception(
            "damaged", picking_id=self.delivery.id, description="Wet cartons"
        )
        ticket = Ticket.browse(ticket_id)
        self.assertEqual(ticket.wms_picking_id, self.delivery)
        self.assertEqual(ticket.wms_exception_type_id, self.type_damaged)
        self.assertEqual(ticket.user_id.id in self.team.user_ids.ids, True)
        with self.assertRaises(AccessError):
            ticket.write({"priority": "0"})
        with self.assertRaises(AccessError):
            Ticket.create(
                {
                    "name": "Direct",
                    "description": "x",
                    "team_id": self.team.id,
                    "user_id": False,
                }
            )
        # nor can they answer the customer in Customer Care's name
        with self.assertRaises(AccessError):
            ticket.message_post(
                body="We'll refund you",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertFalse(ticket.sudo().wms_first_response_date)
        # validating deliveries does not make them followers of the tickets
        self.assertNotIn(self.stock_user.partner_id, ticket.sudo().message_partner_ids)
        # tickets that are about no transfer stay out of reach
        unrelated = self._ticket(self.normal, self.type_damaged, user=self.agent_1)
        with self.assertRaises(AccessError):
            unrelated.with_user(self.stock_user).read(["name"])
        self.assertEqual(
            Ticket.search([("id", "in", [ticket_id, unrelated.id])]).ids, [ticket_id]
        )

    def test_report_needs_read_access_to_what_it_is_about(self):
        other_delivery = self._deliver(self.normal, company=self.other_company)
        with self.assertRaises(AccessError):
            self.Ticket.with_user(self.stock_user).wms_report_exception(
                "damaged", picking_id=other_delivery.id
            )
        # an employee without Inventory cannot read transfers
        with self.assertRaises(AccessError):
            self.Ticket.with_user(self.employee).wms_report_exception(
                "damaged", picking_id=self.delivery.id
            )
        with self.assertRaises(AccessError):
            self.Ticket.with_user(self.portal_user).wms_report_exception(
                "damaged", picking_id=self.delivery.id
            )
        self.assertFalse(
            self.Ticket.search(
                [("wms_picking_id", "in", [self.delivery.id, other_delivery.id])]
            )
        )

    def test_bad_input_is_a_clear_error(self):
        Ticket = self.Ticket.with_user(self.stock_user)
        for kwargs, message in (
            ({"picking_id": self.delivery.id}, "Unknown exception type"),
            ({"picking_id": 999999999}, "does not exist"),
            ({}, "Give the delivery"),
            ({"source_model": "no.such.model", "source_id": 1}, "Unknown source"),
            (
                {"source_model": "stock.picking", "source_id": 999999999},
                "Unknown source",
            ),
            ({"source_model": "stock.picking", "source_id": False}, "Unknown source"),
            ({"source_model": "stock.picking", "source_id": "abc"}, "Unknown source"),
            ({"picking_id": "abc"}, "does not exist"),
        ):
            code = "no_such_code" if "Unknown exception" in message else "damaged"
            with (
                self.subTest(kwargs=kwargs),
                self.assertRaisesRegex(UserError, message),
            ):
                Ticket.wms_report_exception(code, **kwargs)

    def test_source_record_is_checked_and_recorded(self):
        ticket = self.Ticket.browse(
            self.Ticket.with_user(self.stock_user).wms_report_exception(
                "temperature_excursion",
                partner_id=self.vip.id,
                source_model="stock.location",
                source_id=self.warehouse.lot_stock_id.id,
                description="Zone B at 11 °C",
            )
        )
        self.assertEqual(ticket.wms_source_model, "stock.location")
        self.assertEqual(ticket.wms_source_id, self.warehouse.lot_stock_id.id)
        self.assertEqual(ticket.partner_id, self.vip)
        with self.assertRaises(AccessError):
            self.Ticket.with_user(self.stock_user).wms_report_exception(
                "temperature_excursion",
                source_model="stock.location",
                source_id=self.other_warehouse.lot_stock_id.id,
            )

    def test_customer_care_handles_tickets_managers_configure(self):
        ticket = self._ticket(self.normal, self.type_damaged, user=self.agent_2)
        ticket.with_user(self.agent_1).write({"stage_id": self.stage_progress.id})
        self.assertEqual(ticket.stage_id, self.stage_progress)
        for model, vals in (
            ("wms.exception.type", {"name": "Lost parcel", "code": "lost"}),
            ("helpdesk.sla", {"name": "Everybody in 1 h", "hours": 1}),
        ):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.agent_1).create(vals)
            self.assertTrue(self.env[model].with_user(self.team_leader).create(vals))
        with self.assertRaises(AccessError):
            self.type_damaged.with_user(self.stock_user).write({"priority": "0"})

    def test_exception_types_are_per_company(self):
        private = self.env["wms.exception.type"].create(
            {
                "name": "Customs hold",
                "code": "customs_hold",
                "company_id": self.other_company.id,
            }
        )
        Type = self.env["wms.exception.type"].with_user(self.agent_1)
        self.assertNotIn(private, Type.search([]))
        with self.assertRaises(UserError):
            self.Ticket.with_user(self.stock_user).wms_report_exception(
                "customs_hold", picking_id=self.delivery.id
            )

    def test_code_is_unique(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self.env["wms.exception.type"].create(
                    {"name": "Dup", "code": "damaged"}
                )
