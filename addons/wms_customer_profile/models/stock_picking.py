# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    wms_tier_id = fields.Many2one(
        "wms.customer.tier",
        string="Customer Tier",
        compute="_compute_wms_tier_id",
        search="_search_wms_tier_id",
        help="Tier of the customer in the company of the transfer.",
    )
    wms_tier_color = fields.Integer(related="wms_tier_id.color", string="Tier Color")

    @api.depends("partner_id.commercial_partner_id", "company_id")
    @api.depends_context("company")
    def _compute_wms_tier_id(self):
        for picking in self:
            partner = picking.partner_id.commercial_partner_id
            picking.wms_tier_id = partner.with_company(
                picking.company_id or self.env.company
            ).wms_tier_id

    def _search_wms_tier_id(self, operator, value):
        # the tier of the customer in each transfer's own company
        return self.env["res.partner"]._wms_tier_search_domain(
            "partner_id.commercial_partner_id", operator, value
        )

    def _wms_apply_tier_priority(self):
        """Deliveries of customers whose tier asks for it become urgent.

        The tier is read in the picking's company (tiers are per company).
        Only raises the priority, never lowers one set by hand.
        """
        candidates = self.filtered(
            lambda p: (
                p.picking_type_code == "outgoing"
                and p.priority != "1"
                and p.state not in ("done", "cancel")
                and p.partner_id
            )
        )
        urgent = self.browse()
        for company in candidates.company_id:
            pickings = candidates.filtered(lambda p, c=company: p.company_id == c)
            partners = pickings.partner_id.commercial_partner_id.with_company(company)
            urgent_partners = partners.filtered(
                lambda p: p.wms_tier_id.picking_priority == "1"
            )
            urgent |= pickings.filtered(
                lambda p, up=urgent_partners: p.partner_id.commercial_partner_id in up
            )
        if urgent:
            urgent.write({"priority": "1"})

    @api.model_create_multi
    def create(self, vals_list):
        pickings = super().create(vals_list)
        pickings._wms_apply_tier_priority()
        return pickings

    def action_confirm(self):
        self._wms_apply_tier_priority()
        return super().action_confirm()

    def _action_done(self):
        res = super()._action_done()
        self._wms_refresh_customer_kpi()
        return res

    def _wms_deliveries(self):
        """These transfers that are deliveries, whatever their state: outgoing
        and not a return (a return to a vendor is outgoing too, but has
        ``return_id``). The Python twin of
        ``wms.customer.kpi._delivery_conditions``; every WMS module uses it."""
        return self.filtered(
            lambda p: p.picking_type_code == "outgoing" and not p.return_id
        )

    def _wms_refresh_customer_kpi(self):
        """Refresh the KPIs of the customers these done pickings concern:
        deliveries count for their own customer, returns for the customer of
        the delivery they return. One aggregate for all of them."""
        done = self.filtered(lambda p: p.state == "done")
        concerned = done._wms_deliveries() | done.return_id._wms_deliveries()
        partners = concerned.partner_id.commercial_partner_id
        if partners:
            # KPI rows are derived figures that the validating warehouse user
            # may not write; the refresh is limited to these customers.
            self.env["wms.customer.kpi"].sudo()._refresh(
                partner_ids=partners.ids, company_ids=concerned.company_id.ids
            )
