# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import Form, tagged

from .common import WmsOutboundCase


@tagged("post_install", "-at_install")
class TestSnapshot(WmsOutboundCase):
    """Requirements are copied onto each delivery when it is confirmed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.req_always = cls._requirement(
            cls.customer,
            cls.type_labels,
            name="Customer SKU labels",
            instructions="Label top right",
        )
        cls.req_fragile = cls._requirement(
            cls.customer,
            cls.type_shock,
            name="Bubble wrap",
            product_category_ids=[Command.set(cls.categ_fragile.ids)],
        )
        cls.req_pallet = cls._requirement(
            cls.customer,
            cls.type_care,
            name="Pallet on its own",
            product_ids=[Command.set(cls.product_2.ids)],
        )

    def _names(self, picking):
        return set(picking.wms_requirement_line_ids.mapped("name"))

    def test_snapshot_on_confirm_for_matching_products_only(self):
        plain = self._create_delivery(self.customer)
        self.assertFalse(plain.wms_requirement_line_ids, "nothing before confirm")
        glass = self._create_delivery(
            self.customer, lines=[(self.product, 1), (self.product_glass, 2)]
        )
        pallet = self._create_delivery(self.customer, lines=[(self.product_2, 1)])
        (plain | glass | pallet).action_confirm()
        self.assertEqual(self._names(plain), {"Customer SKU labels"})
        # a category matches the products of its sub-categories
        self.assertEqual(self._names(glass), {"Customer SKU labels", "Bubble wrap"})
        self.assertEqual(
            self._names(pallet), {"Customer SKU labels", "Pallet on its own"}
        )
        line = glass.wms_requirement_line_ids.filtered(
            lambda line: line.requirement_id == self.req_always
        )
        self.assertEqual(line.instructions, "Label top right")
        self.assertTrue(line.blocking, "customer labels block by default")
        self.assertEqual(line.state, "pending")
        self.assertTrue(glass.wms_requirement_pending)
        self.assertEqual(
            glass.wms_requirement_type_ids, self.type_labels | self.type_shock
        )

    def test_many_pickings_in_a_constant_number_of_queries(self):
        pickings = self.env["stock.picking"]
        for index in range(24):
            lines = [(self.product, 1)]
            if index % 2:
                lines.append((self.product_glass, 1))
            pickings |= self._create_delivery(
                self.customer if index % 3 else self.customer_contact, lines=lines
            )
        pickings.action_confirm()
        self.assertEqual(len(pickings.wms_requirement_line_ids), 24 + 12)
        # the same sync over 4 or 24 pickings costs the same queries
        counts = []
        for subset in (pickings[:4], pickings):
            subset.wms_requirement_line_ids.unlink()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            subset._wms_sync_requirements()
            self.env.flush_all()
            counts.append(self.env.cr.sql_log_count - before)
        self.assertEqual(counts[0], counts[1], counts)
        self.assertEqual(len(pickings.wms_requirement_line_ids), 24 + 12)

    def test_address_adds_to_company_requirements(self):
        dock = self.env["res.partner"].create(
            {"name": "Acme Dock 2", "parent_id": self.customer.id, "type": "delivery"}
        )
        self._requirement(dock, self.type_care, name="Call the dock before")
        to_dock = self._confirmed(dock)
        to_desk = self._confirmed(self.customer_contact)
        self.assertEqual(
            self._names(to_dock), {"Customer SKU labels", "Call the dock before"}
        )
        self.assertEqual(self._names(to_desk), {"Customer SKU labels"})
        other = self._confirmed(self.other_customer)
        self.assertFalse(other.wms_requirement_line_ids)

    def test_validity_dates_and_archived(self):
        today = fields.Date.today()
        self.req_always.date_end = today - timedelta(days=1)
        future = self._requirement(
            self.customer, self.type_care, date_start=today + timedelta(days=30)
        )
        archived = self._requirement(self.customer, self.type_care, active=False)
        picking = self._confirmed(self.customer)
        requirements = picking.wms_requirement_line_ids.requirement_id
        self.assertNotIn(self.req_always, requirements)
        self.assertNotIn(future, requirements)
        self.assertNotIn(archived, requirements)

    def test_later_edits_do_not_rewrite_confirmed_pickings(self):
        picking = self._confirmed(self.customer)
        self.req_always.write({"name": "Renamed", "instructions": "New text"})
        self._requirement(self.customer, self.type_care, name="Added later")
        self.assertEqual(self._names(picking), {"Customer SKU labels"})
        self.assertEqual(
            picking.wms_requirement_line_ids.instructions, "Label top right"
        )

    def test_refresh_when_partner_or_products_change(self):
        picking = self._confirmed(self.customer)
        picking.wms_requirement_line_ids.action_acknowledge()
        # a fragile product added after confirmation (as the form does it)
        # brings its requirement, the acknowledged line stays acknowledged
        picking.with_context(default_picking_id=picking.id).write(
            {
                "move_ids": [
                    Command.create(
                        {
                            "product_id": self.product_glass.id,
                            "product_uom_qty": 1,
                            "location_id": picking.location_id.id,
                            "location_dest_id": picking.location_dest_id.id,
                        }
                    )
                ]
            }
        )
        self.assertEqual(self._names(picking), {"Customer SKU labels", "Bubble wrap"})
        self.assertTrue(
            picking.wms_requirement_line_ids.filtered(
                lambda line: line.requirement_id == self.req_always
            ).acknowledged
        )
        # the fragile line goes when its product is cancelled
        picking.move_ids.filtered(
            lambda m: m.product_id == self.product_glass
        )._action_cancel()
        self.assertEqual(self._names(picking), {"Customer SKU labels"})
        # another customer: the lines are theirs; the acknowledged line stays,
        # as the record of what was done
        self._requirement(self.other_customer, self.type_care, name="Globex care")
        picking.partner_id = self.other_customer
        self.assertEqual(self._names(picking), {"Customer SKU labels", "Globex care"})
        self.assertEqual(
            picking.wms_requirement_line_ids.filtered("acknowledged").requirement_id,
            self.req_always,
        )

    def test_resync_keeps_acknowledged_and_waived_lines(self):
        picking = self._confirmed(
            self.customer, lines=[(self.product_2, 1), (self.product_glass, 1)]
        )
        self.assertEqual(
            self._names(picking),
            {"Customer SKU labels", "Bubble wrap", "Pallet on its own"},
        )
        by_requirement = picking.wms_requirement_line_ids.grouped("requirement_id")
        acknowledged = by_requirement[self.req_always]
        waived = by_requirement[self.req_pallet]
        pending = by_requirement[self.req_fragile]
        acknowledged.with_user(self.stock_user).action_acknowledge()
        waived.with_user(self.stock_manager).action_waive("Customer agreed")
        audit = [
            "name",
            "type_id",
            "instructions",
            "blocking",
            "requirement_id",
            "state",
            "acknowledged_by_id",
            "acknowledged_date",
            "waived_by_id",
            "waive_reason",
        ]
        snapshot = (acknowledged | waived).read(audit)
        # the customer's requirements are archived since; a resync (the
        # customer's address changes) keeps what was acknowledged or waived
        (self.req_always | self.req_pallet | self.req_fragile).action_archive()
        picking.partner_id = self.customer_contact
        self.assertEqual(picking.wms_requirement_line_ids, acknowledged | waived)
        self.assertFalse(pending.exists(), "a pending line no longer applying goes")
        self.assertEqual((acknowledged | waived).read(audit), snapshot)
        self.assertEqual(acknowledged.acknowledged_by_id, self.stock_user)
        self.assertEqual(waived.waive_reason, "Customer agreed")

    def test_vendor_returns_get_no_requirements(self):
        # the customer is also a supplier: its goods come back to it
        receipt = self.env["stock.picking"].create(
            {
                "partner_id": self.customer.id,
                "picking_type_id": self.warehouse.in_type_id.id,
                "move_ids": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": 2,
                            "location_id": self.env.ref(
                                "stock.stock_location_suppliers"
                            ).id,
                            "location_dest_id": self.warehouse.lot_stock_id.id,
                        }
                    )
                ],
            }
        )
        receipt.action_confirm()
        receipt.move_ids.quantity = 2
        receipt.move_ids.picked = True
        receipt.button_validate()
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_id=receipt.id, active_model="stock.picking")
            .create({"picking_id": receipt.id})
        )
        wizard.product_return_moves.quantity = 2
        vendor_return = self.env["stock.picking"].browse(
            wizard.action_create_returns()["res_id"]
        )
        self.assertEqual(vendor_return.picking_type_code, "outgoing")
        self.assertEqual(vendor_return.return_id, receipt)
        self.assertNotIn(vendor_return.state, ("draft", "done", "cancel"))
        self.assertFalse(vendor_return.wms_requirement_line_ids)
        vendor_return.partner_id = self.customer_contact
        self.assertFalse(vendor_return.wms_requirement_line_ids)
        # and it validates without a checklist
        vendor_return.move_ids.quantity = 2
        vendor_return.move_ids.picked = True
        self.assertIs(vendor_return.button_validate(), True)

    def test_other_company_requirements_not_applied(self):
        company_b = self.env["res.company"].create({"name": "WMS Company B"})
        self._requirement(
            self.customer, self.type_care, name="Only in B", company_id=company_b.id
        )
        shared = self._requirement(
            self.customer, self.type_care, name="Everywhere", company_id=False
        )
        picking = self._confirmed(self.customer)
        self.assertIn("Everywhere", self._names(picking))
        self.assertNotIn("Only in B", self._names(picking))
        self.assertIn(shared, picking.wms_requirement_line_ids.requirement_id)

    def test_receipts_get_no_requirements(self):
        receipt = self.env["stock.picking"].create(
            {
                "partner_id": self.customer.id,
                "picking_type_id": self.warehouse.in_type_id.id,
                "move_ids": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": 1,
                            "location_id": self.env.ref(
                                "stock.stock_location_suppliers"
                            ).id,
                            "location_dest_id": self.warehouse.lot_stock_id.id,
                        }
                    )
                ],
            }
        )
        receipt.action_confirm()
        self.assertFalse(receipt.wms_requirement_line_ids)

    def test_backorder_gets_its_own_requirements(self):
        picking = self._confirmed(self.customer)
        picking.wms_requirement_line_ids.with_user(self.stock_user).action_acknowledge()
        picking.move_ids.quantity = 4
        picking.move_ids.picked = True
        backorder_wizard = picking.button_validate()
        self.assertEqual(backorder_wizard["res_model"], "stock.backorder.confirmation")
        Form.from_action(self.env, backorder_wizard).save().process()
        self.assertEqual(picking.state, "done")
        backorder = picking.backorder_ids
        self.assertEqual(len(backorder), 1)
        self.assertEqual(self._names(backorder), {"Customer SKU labels"})
        self.assertEqual(backorder.wms_requirement_line_ids.state, "pending")
        # its blocking line stops it as it stopped the first shipment
        backorder.move_ids.quantity = 6
        backorder.move_ids.picked = True
        action = backorder.with_user(self.stock_user).button_validate()
        self.assertEqual(action["res_model"], "wms.requirement.check")
        self.assertNotEqual(backorder.state, "done")
