# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

# Who sees customers' revenue (the RFM monetary value): Customer Care
# managers and invoicing users; in Community no group implies the read-only
# accounting group, so each is listed.
REVENUE_GROUPS = (
    "wms_customer_profile.wms_customer_profile_group_manager,"
    "account.group_account_invoice,"
    "account.group_account_readonly"
)
# Written by segmentation runs, with SQL, for the run's company only.
RFM_FIELDS = (
    "wms_rfm_recency_days",
    "wms_rfm_frequency",
    "wms_rfm_monetary",
    "wms_rfm_r",
    "wms_rfm_f",
    "wms_rfm_m",
    "wms_rfm_code",
    "wms_rfm_date",
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    wms_rfm_recency_days = fields.Integer(
        string="Days Since Last Delivery", company_dependent=True, readonly=True
    )
    wms_rfm_frequency = fields.Integer(
        string="Deliveries in RFM Window", company_dependent=True, readonly=True
    )
    wms_rfm_monetary = fields.Float(
        string="RFM Monetary Value",
        company_dependent=True,
        readonly=True,
        groups=REVENUE_GROUPS,
    )
    wms_rfm_r = fields.Integer(
        string="Recency Score", company_dependent=True, readonly=True
    )
    wms_rfm_f = fields.Integer(
        string="Frequency Score", company_dependent=True, readonly=True
    )
    wms_rfm_m = fields.Integer(
        string="Monetary Score", company_dependent=True, readonly=True
    )
    wms_rfm_code = fields.Char(
        string="RFM Code",
        company_dependent=True,
        readonly=True,
        help="Recency, frequency and monetary scores (1 to 5 each) of the last "
        "segmentation run, e.g. 545.",
    )
    wms_rfm_date = fields.Date(
        string="RFM Scored On", company_dependent=True, readonly=True
    )
    wms_rfm_score_count = fields.Integer(
        string="RFM History", compute="_compute_wms_rfm_score_count"
    )

    @api.depends_context("company")
    def _compute_wms_rfm_score_count(self):
        counts = dict(
            self.env["wms.rfm.score"]._read_group(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("company_id", "=", self.env.company.id),
                ],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.wms_rfm_score_count = counts.get(partner.commercial_partner_id, 0)

    def _children_sync(self, values):
        # A segmentation run writes a new tier on the companies together with
        # all their contacts, in one batch (wms.segmentation.run._write_tiers):
        # copying it down again one company at a time costs ~8 ms a company.
        # The run writes as superuser; an RPC caller, who can set any context
        # key but never runs as superuser, cannot leave contacts behind.
        if (
            self.env.su
            and self.env.context.get("wms_segmentation_contacts_included")
            and set(values) <= {"wms_tier_id"}
        ):
            return None
        return super()._children_sync(values)

    def action_wms_view_rfm_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wms_segmentation.wms_rfm_score_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_real_runs": 1}
        action["view_mode"] = "list,form,graph"
        action["views"] = [(False, "list"), (False, "form"), (False, "graph")]
        return action
