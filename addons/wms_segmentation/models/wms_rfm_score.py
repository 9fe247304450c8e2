# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

from .res_partner import REVENUE_GROUPS


class WmsRfmScore(models.Model):
    """One customer's scores in one segmentation run.

    Rows are written by ``wms.segmentation.run`` with one SQL statement per
    run and never edited afterwards.
    """

    _name = "wms.rfm.score"
    _description = "RFM Score"
    _order = "run_id desc, rfm_code desc, id"
    _rec_name = "partner_id"
    # written once by SQL, never edited: the run says who and when; without
    # the four log columns (two foreign keys) a run's insert is faster
    _log_access = False

    # indexed by the unique (run_id, partner_id) constraint: every index
    # more costs each run's insert of a row per customer
    run_id = fields.Many2one(
        "wms.segmentation.run",
        string="Run",
        required=True,
        ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, ondelete="cascade"
    )
    run_date = fields.Datetime(
        related="run_id.date_start", string="Run Date", store=True
    )
    dry_run = fields.Boolean(related="run_id.dry_run", string="Preview", store=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        readonly=True,
        ondelete="cascade",
    )
    recency_days = fields.Integer(
        string="Days Since Last Delivery", readonly=True, aggregator="avg"
    )
    frequency = fields.Integer(
        string="Deliveries",
        readonly=True,
        help="Deliveries in the run's window.",
    )
    monetary = fields.Float(
        string="Monetary",
        readonly=True,
        groups=REVENUE_GROUPS,
        help="Customer invoices minus refunds (untaxed, company currency) in "
        "the run's window, or the quantity delivered, as the run's settings say.",
    )
    r_score = fields.Integer(string="R", readonly=True, aggregator="avg")
    f_score = fields.Integer(string="F", readonly=True, aggregator="avg")
    m_score = fields.Integer(string="M", readonly=True, aggregator="avg")
    rfm_code = fields.Char(string="RFM Code", readonly=True)
    rule_id = fields.Many2one(
        "wms.segmentation.rule",
        string="Rule",
        readonly=True,
        ondelete="set null",
        help="The first segmentation rule the customer matched, which gave "
        "the tier (empty: no rule matched, the tier stays).",
    )
    locked = fields.Boolean(
        string="Tier Locked",
        readonly=True,
        help="The tier was locked: the run left it as it was.",
    )
    # a tier in the history cannot be deleted (archive it): see
    # wms.customer.tier._unlink_except_in_rfm_history
    tier_before_id = fields.Many2one(
        "wms.customer.tier", string="Tier Before", readonly=True, ondelete="restrict"
    )
    tier_after_id = fields.Many2one(
        "wms.customer.tier", string="Tier After", readonly=True, ondelete="restrict"
    )
    changed = fields.Boolean(string="Tier Changed", readonly=True)

    _run_partner_uniq = models.Constraint(
        "UNIQUE(run_id, partner_id)", "A customer is scored once per run."
    )

    @api.model
    def action_open_latest_analysis(self):
        """Scores of the last finished run of each selected company: customers
        by tier and RFM code as they stand now."""
        Run = self.env["wms.segmentation.run"]
        runs = Run.browse()
        for company in self.env.companies:
            runs |= Run.search(
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "done"),
                    ("dry_run", "=", False),
                ],
                limit=1,
            )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wms_segmentation.wms_rfm_score_action"
        )
        action["domain"] = [("run_id", "in", runs.ids)]
        action["context"] = {}
        action["display_name"] = self.env._("RFM Analysis (last run)")
        return action
