# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.wms_customer_profile.tests.common import (
    MANAGER_GROUP,
    WmsCustomerProfileCase,
)

WEEKDAYS = "0123456"


class WmsOutboundCase(WmsCustomerProfileCase):
    """Customers with requirements and helpers for their deliveries."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Requirement = cls.env["wms.handling.requirement"]
        cls.type_shock = cls.env.ref(
            "wms_outbound_requirements.requirement_type_shock_proof"
        )
        cls.type_labels = cls.env.ref(
            "wms_outbound_requirements.requirement_type_customer_labels"
        )
        cls.type_care = cls.env.ref(
            "wms_outbound_requirements.requirement_type_handle_with_care"
        )
        cls.type_temperature = cls.env.ref(
            "wms_outbound_requirements.requirement_type_temperature"
        )
        cls.categ_fragile = cls.env["product.category"].create({"name": "Fragile"})
        cls.categ_glass = cls.env["product.category"].create(
            {"name": "Glassware", "parent_id": cls.categ_fragile.id}
        )
        cls.product_glass = cls.env["product.product"].create(
            {"name": "Crystal vase", "type": "consu", "categ_id": cls.categ_glass.id}
        )
        cls.stock_manager = new_test_user(
            cls.env,
            login="wms_stock_manager",
            groups="stock.group_stock_manager",
        )
        cls.stock_user_2 = new_test_user(
            cls.env, login="wms_stock_user_2", groups="stock.group_stock_user"
        )
        cls.cc_manager_stock = new_test_user(
            cls.env,
            login="wms_cc_manager_stock",
            groups=f"stock.group_stock_user,{MANAGER_GROUP}",
        )

    @classmethod
    def _requirement(cls, partner, req_type=None, **vals):
        return cls.Requirement.create(
            {
                "partner_id": partner.id,
                "type_id": (req_type or cls.type_shock).id,
                **vals,
            }
        )

    @classmethod
    def _confirmed(cls, partner, lines=None, **vals):
        picking = cls._create_delivery(partner, lines=lines, **vals)
        picking.action_confirm()
        return picking

    @classmethod
    def _weekdays(cls, days):
        Weekday = cls.env["time.weekday"]
        return Weekday.search([("name", "in", [WEEKDAYS[d] for d in days])])

    @classmethod
    def _set_windows(cls, partner, windows, tz=None):
        """``windows``: [(start hour, end hour, weekdays (0 = Monday))]."""
        values = {
            "delivery_time_window_ids": [Command.clear()]
            + [
                Command.create(
                    {
                        "time_window_start": start,
                        "time_window_end": end,
                        "time_window_weekday_ids": [
                            Command.set(cls._weekdays(days).ids)
                        ],
                    }
                )
                for start, end, days in windows
            ],
            "delivery_time_preference": "time_windows",
        }
        if tz:
            values["tz"] = tz
        partner.write(values)

    def _validate(self, picking, user=None):
        picking = picking.with_user(user) if user else picking
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        return picking.button_validate()
