# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime, timedelta
from xmlrpc.client import Fault

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

    def _json2(self, model, method, **params):
        return self.url_open(
            f"/json/2/{model}/{method}",
            json=params,
            headers={
                "Authorization": f"bearer {self.api_key}",
                "X-Odoo-Database": get_db_name(),
            },
        )

    def test_xmlrpc_skip_context_does_not_skip_the_checklist(self):
        db = get_db_name()
        uid = self.xmlrpc_common.authenticate(db, "wms_scanner", self.api_key, {})
        action = self.xmlrpc_object.execute_kw(
            db,
            uid,
            self.api_key,
            "stock.picking",
            "button_validate",
            [[self.picking.id]],
            {"context": {"skip_wms_requirements": True}},
        )
        self.assertEqual(action["res_model"], "wms.requirement.check")
        self.picking.invalidate_recordset()
        self.assertEqual(self.picking.state, "assigned")
        self.assertEqual(self.picking.wms_requirement_line_ids.state, "pending")
        # nor can who and when be forged
        line = self.picking.wms_requirement_line_ids
        with self.assertRaises(Fault):
            self.xmlrpc_object.execute_kw(
                db,
                uid,
                self.api_key,
                "wms.picking.requirement",
                "write",
                [line.ids, {"acknowledged": True, "acknowledged_date": "2020-01-01"}],
            )
        line.invalidate_recordset()
        self.assertEqual(line.state, "pending")

    def test_json2_skip_context_does_not_skip_the_checklist(self):
        response = self._json2(
            "stock.picking",
            "button_validate",
            ids=[self.picking.id],
            context={"skip_wms_requirements": True},
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["res_model"], "wms.requirement.check")
        self.picking.invalidate_recordset()
        self.assertEqual(self.picking.state, "assigned")
        self.assertEqual(self.picking.wms_requirement_line_ids.state, "pending")

    def test_json2_acknowledgement_by_write(self):
        line = self.picking.wms_requirement_line_ids
        response = self._json2(
            "wms.picking.requirement",
            "write",
            ids=line.ids,
            vals={"acknowledged": True, "acknowledged_by_id": self.stock_user.id},
        )
        self.assertEqual(response.status_code, 403, response.text)
        line.invalidate_recordset()
        self.assertEqual(line.state, "pending")
        # a plain write acknowledges, as the caller, and says so in the chatter
        response = self._json2(
            "wms.picking.requirement",
            "write",
            ids=line.ids,
            vals={"acknowledged": True},
        )
        self.assertEqual(response.status_code, 200, response.text)
        line.invalidate_recordset()
        self.assertEqual(line.acknowledged_by_id, self.scanner)
        self.picking.invalidate_recordset()
        self.assertIn(
            "Special requirements acknowledged", self.picking.message_ids[0].body
        )
        response = self._json2(
            "stock.picking", "button_validate", ids=[self.picking.id]
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIs(response.json(), True)

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
