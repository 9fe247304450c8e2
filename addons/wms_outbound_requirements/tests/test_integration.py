# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime, timedelta

from odoo.tests import HttpCase, get_db_name, new_test_user, tagged

from .common import WmsOutboundCase


@tagged("post_install", "-at_install")
class TestIntegratorValidation(HttpCase, WmsOutboundCase):
    """A scanner or integration validating deliveries over RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._requirement(cls.customer, cls.type_labels)
        cls.picking = cls._confirmed(cls.customer)
        for move in cls.picking.move_ids:
            move.quantity = move.product_uom_qty
        cls.picking.move_ids.picked = True
        cls.scanner = new_test_user(
            cls.env,
            login="wms_scanner",
            password="wms_scanner_pw",
            groups="stock.group_stock_user",
        )
        cls.api_key = (
            cls.env["res.users.apikeys"]
            .with_user(cls.scanner)
            ._generate(
                scope="rpc",
                name="WMS scanner",
                expiration_date=datetime.now() + timedelta(days=1),
            )
        )

    def test_xmlrpc_validate_returns_wizard_then_acknowledge(self):
        db = get_db_name()
        uid = self.xmlrpc_common.authenticate(db, "wms_scanner", self.api_key, {})

        def call(method):
            return self.xmlrpc_object.execute_kw(
                db, uid, self.api_key, "stock.picking", method, [[self.picking.id]]
            )

        action = call("button_validate")
        self.assertEqual(action["res_model"], "wms.requirement.check")
        self.assertEqual(action["context"]["default_picking_ids"], [self.picking.id])
        self.picking.invalidate_recordset()
        self.assertEqual(self.picking.state, "assigned")
        self.assertTrue(call("action_wms_acknowledge_requirements"))
        self.assertTrue(call("button_validate"))
        self.picking.invalidate_recordset()
        self.assertEqual(self.picking.state, "done")
        line = self.picking.wms_requirement_line_ids
        self.assertEqual(line.acknowledged_by_id, self.scanner)

    def test_json2_acknowledge_and_read_lines(self):
        headers = {
            "Authorization": f"bearer {self.api_key}",
            "X-Odoo-Database": get_db_name(),
        }
        response = self.url_open(
            "/json/2/stock.picking/button_validate",
            json={"ids": [self.picking.id]},
            headers=headers,
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["res_model"], "wms.requirement.check")
        response = self.url_open(
            "/json/2/stock.picking/action_wms_acknowledge_requirements",
            json={"ids": [self.picking.id]},
            headers=headers,
        )
        self.assertEqual(response.status_code, 200, response.text)
        response = self.url_open(
            "/json/2/wms.picking.requirement/search_read",
            json={
                "domain": [["picking_id", "=", self.picking.id]],
                "fields": ["name", "state", "acknowledged_by_id"],
            },
            headers=headers,
        )
        self.assertEqual(response.status_code, 200, response.text)
        [line] = response.json()
        self.assertEqual(line["state"], "acknowledged")
        self.assertEqual(line["acknowledged_by_id"][0], self.scanner.id)
        # a warehouse user may not waive over RPC either
        response = self.url_open(
            "/json/2/wms.picking.requirement/action_waive",
            json={"ids": [line["id"]], "reason": "because"},
            headers=headers,
        )
        self.assertEqual(response.status_code, 403, response.text)
        self.assertIn("message", response.json())
