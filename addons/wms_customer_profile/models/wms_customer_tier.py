# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class WmsCustomerTier(models.Model):
    _name = "wms.customer.tier"
    _description = "Customer Tier"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Technical code used by integrations and automatic segmentation, "
        "e.g. vip, core, churn_risk.",
    )
    sequence = fields.Integer(default=10)
    color = fields.Integer(string="Color Index")
    picking_priority = fields.Selection(
        # the values of stock.picking's priority (PROCUREMENT_PRIORITIES),
        # labelled for what they do here and unlike the "Normal" tier's name
        [("0", "Standard Picking"), ("1", "Priority Picking")],
        default="0",
        required=True,
        help="Priority given to the deliveries of customers in this tier: "
        "urgent deliveries are reserved and picked first.",
    )
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)
    partner_count = fields.Integer(compute="_compute_partner_count", string="Customers")

    _code_uniq = models.Constraint(
        "UNIQUE(code)", "The code of a customer tier must be unique."
    )

    def _compute_partner_count(self):
        data = dict(
            self.env["res.partner"]._read_group(
                [("wms_tier_id", "in", self.ids), ("parent_id", "=", False)],
                ["wms_tier_id"],
                ["__count"],
            )
        )
        for tier in self:
            tier.partner_count = data.get(tier, 0)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        """Refuse to delete a tier that any company still uses on a partner.

        The tier is company-dependent: the partner column holds a JSON object
        {company_id: tier_id}, so look into every company's value at once.
        """
        if not self.ids:
            return
        self.env["res.partner"].flush_model(["wms_tier_id"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT (t.value)::integer
                  FROM res_partner p,
                       jsonb_each_text(p.wms_tier_id) AS t(key, value)
                 WHERE p.wms_tier_id IS NOT NULL
                   AND (t.value)::integer = ANY(%s)
                """,
                list(self.ids),
            )
        )
        if rows:
            used = self.browse([row[0] for row in rows])
            raise UserError(
                self.env._(
                    "You cannot delete the customer tier(s) %(tiers)s: customers "
                    "are still placed in them. Archive the tier instead, or move "
                    "its customers to another tier first.",
                    tiers=", ".join(used.mapped("display_name")),
                )
            )

    def action_view_partners(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wms_customer_profile.res_partner_action_customer_care"
        )
        action["domain"] = [("wms_tier_id", "=", self.id)]
        action["context"] = {}
        return action
