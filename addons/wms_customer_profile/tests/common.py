# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime, timedelta

from odoo import Command, fields
from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase

USER_GROUP = "wms_customer_profile.wms_customer_profile_group_user"
MANAGER_GROUP = "wms_customer_profile.wms_customer_profile_group_manager"


class WmsCustomerProfileCase(TransactionCase):
    """Customers, products and helpers that make real, validated deliveries."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.Kpi = cls.env["wms.customer.kpi"]
        cls.Tier = cls.env["wms.customer.tier"]
        cls.tier_vip = cls.env.ref("wms_customer_profile.tier_vip")
        cls.tier_core = cls.env.ref("wms_customer_profile.tier_core")
        cls.tier_normal = cls.env.ref("wms_customer_profile.tier_normal")
        cls.product = cls.env["product.product"].create(
            {"name": "WMS test carton", "type": "consu"}
        )
        cls.product_2 = cls.env["product.product"].create(
            {"name": "WMS test pallet", "type": "consu"}
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Acme Logistics Customer", "is_company": True}
        )
        cls.customer_contact = cls.env["res.partner"].create(
            {"name": "Acme Receiving Desk", "parent_id": cls.customer.id}
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Globex Distribution", "is_company": True}
        )
        cls.cc_user = new_test_user(
            cls.env, login="wms_cc_user", groups=f"base.group_user,{USER_GROUP}"
        )
        cls.cc_manager = new_test_user(
            cls.env,
            login="wms_cc_manager",
            groups=f"base.group_user,{MANAGER_GROUP}",
        )
        cls.stock_user = new_test_user(
            cls.env, login="wms_stock_user", groups="stock.group_stock_user"
        )

    # ------------------------------------------------------------------
    @classmethod
    def _out_type(cls, company=None):
        company = company or cls.env.company
        return (
            cls.env["stock.warehouse"]
            .search([("company_id", "=", company.id)], limit=1)
            .out_type_id
        )

    @classmethod
    def _create_delivery(cls, partner, qty=10.0, lines=None, company=None, **vals):
        picking_type = cls._out_type(company)
        lines = lines or [(cls.product, qty)]
        picking = (
            cls.env["stock.picking"]
            .with_company(picking_type.company_id)
            .create(
                {
                    "partner_id": partner.id,
                    "picking_type_id": picking_type.id,
                    "location_id": picking_type.default_location_src_id.id,
                    "location_dest_id": cls.env.ref(
                        "stock.stock_location_customers"
                    ).id,
                    "move_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": line_qty,
                                "location_id": picking_type.default_location_src_id.id,
                                "location_dest_id": cls.env.ref(
                                    "stock.stock_location_customers"
                                ).id,
                            }
                        )
                        for product, line_qty in lines
                    ],
                    **vals,
                }
            )
        )
        return picking

    @classmethod
    def _deliver(
        cls,
        partner,
        qty=10.0,
        done_qty=None,
        deadline=None,
        scheduled=None,
        date_done=None,
        backorder=False,
        company=None,
        lines=None,
    ):
        """Create, confirm and validate a delivery; then date it as asked.

        ``done_qty`` lower than ``qty`` ships short: with ``backorder`` the rest
        goes to a backorder, otherwise the rest is cancelled.
        """
        picking = cls._create_delivery(partner, qty=qty, company=company, lines=lines)
        picking.action_confirm()
        if scheduled:
            picking.scheduled_date = scheduled
        if deadline:
            picking.move_ids.date_deadline = deadline
        picking.action_assign()
        if done_qty is not None:
            picking.move_ids[:1].quantity = done_qty
        picking.move_ids.picked = True
        ctx = {"skip_backorder": True}
        if not backorder:
            ctx["picking_ids_not_to_backorder"] = picking.ids
        picking.with_context(**ctx).button_validate()
        if date_done:
            picking.date_done = date_done
        return picking

    @classmethod
    def _return(cls, delivery, qty=1.0):
        """Create and validate a return of ``delivery`` the way users do."""
        wizard = (
            cls.env["stock.return.picking"]
            .with_context(active_id=delivery.id, active_model="stock.picking")
            .create({"picking_id": delivery.id})
        )
        wizard.product_return_moves.quantity = qty
        action = wizard.action_create_returns()
        picking = cls.env["stock.picking"].browse(action["res_id"])
        picking.action_assign()
        picking.move_ids.quantity = qty
        picking.move_ids.picked = True
        picking.button_validate()
        return picking

    def _kpi(self, partner, company=None):
        return self.Kpi.search(
            [
                ("partner_id", "=", partner.id),
                ("company_id", "=", (company or self.env.company).id),
            ]
        )

    @staticmethod
    def _days_ago(days, hour=10):
        base = fields.Datetime.now().replace(hour=hour, minute=0, second=0)
        return base - timedelta(days=days)

    @staticmethod
    def _dt(text):
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
