# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import xmlrpc.client
from datetime import datetime, timedelta

from odoo.tests import HttpCase, get_db_name, new_test_user, tagged

from .common import WmsServiceTicketsCase


@tagged("post_install", "-at_install")
class TestIntegratorApi(HttpCase, WmsServiceTicketsCase):
    """An integrator (a carrier portal, the IoT module later) reports
    exceptions over /json/2 and XML-RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.delivery = cls._deliver(cls.vip, qty=3)
        cls.integrator = new_test_user(
            cls.env,
            login="wms_ticket_integrator",
            password="wms_ticket_integrator_pw",
            groups="base.group_user,stock.group_stock_user",
        )
        cls.api_key = (
            cls.env["res.users.apikeys"]
            .with_user(cls.integrator)
            ._generate(
                scope="rpc",
                name="Carrier portal",
                expiration_date=datetime.now() + timedelta(days=1),
            )
        )

    def _json2(self, method, **params):
        return self.url_open(
            f"/json/2/helpdesk.ticket/{method}",
            json=params,
            headers={
                "Authorization": f"bearer {self.api_key}",
                "X-Odoo-Database": get_db_name(),
            },
        )

    def test_json2_report_exception_and_dedupe(self):
        response = self._json2(
            "wms_report_exception",
            exception_code="damaged",
            picking_id=self.delivery.id,
            description="Carrier scan: crushed pallet",
        )
        self.assertEqual(response.status_code, 200, response.text)
        ticket = self.Ticket.browse(response.json())
        self.assertEqual(ticket.wms_picking_id, self.delivery)
        self.assertEqual(ticket.partner_id, self.vip)
        self.assertEqual(ticket.user_id, self.account_manager)
        self.assertIn("crushed pallet", ticket.description)
        again = self._json2(
            "wms_report_exception",
            exception_code="damaged",
            picking_id=self.delivery.id,
            description="Second scan",
        )
        self.assertEqual(again.json(), ticket.id)
        self.assertIn("Second scan", ticket.message_ids[0].body)
        # the integrator reads the ticket of its transfer, not more
        read = self._json2(
            "read", ids=[ticket.id], fields=["wms_sla_state", "wms_resolution_deadline"]
        )
        self.assertEqual(read.status_code, 200, read.text)
        self.assertEqual(read.json()[0]["wms_sla_state"], "on_track")

    def test_json2_errors_are_4xx_with_a_message(self):
        response = self._json2(
            "wms_report_exception", exception_code="nope", picking_id=self.delivery.id
        )
        self.assertEqual(response.status_code, 422, response.text)
        self.assertIn("Unknown exception type", response.json()["message"])
        forged = self._json2(
            "write", ids=[1], vals={"wms_first_response_date": "2026-01-01 00:00:00"}
        )
        self.assertEqual(forged.status_code, 403, forged.text)

    def test_xmlrpc_report_exception(self):
        models = self.xmlrpc_object
        db = get_db_name()
        uid = self.xmlrpc_common.authenticate(
            db, "wms_ticket_integrator", "wms_ticket_integrator_pw", {}
        )
        ticket_id = models.execute_kw(
            db,
            uid,
            self.api_key,
            "helpdesk.ticket",
            "wms_report_exception",
            ["wrong_item"],
            {"picking_id": self.delivery.id, "description": "Blue caps instead of red"},
        )
        ticket = self.Ticket.browse(ticket_id)
        self.assertEqual(ticket.wms_exception_type_id.code, "wrong_item")
        self.assertEqual(ticket.priority, "3")
        with self.assertRaisesRegex(xmlrpc.client.Fault, "Unknown exception type"):
            models.execute_kw(
                db,
                uid,
                self.api_key,
                "helpdesk.ticket",
                "wms_report_exception",
                ["nope"],
                {"picking_id": self.delivery.id},
            )
