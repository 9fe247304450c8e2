# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

SCORE_FIELDS = ("r", "f", "m")


class WmsSegmentationRule(models.Model):
    _name = "wms.segmentation.rule"
    _description = "Segmentation Rule"
    _order = "sequence, id"

    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    tier_id = fields.Many2one(
        "wms.customer.tier",
        string="Tier",
        required=True,
        ondelete="restrict",
        help="Tier given to the customers this rule matches.",
    )
    r_min = fields.Integer(string="Recency Min", default=1)
    r_max = fields.Integer(string="Recency Max", default=5)
    f_min = fields.Integer(string="Frequency Min", default=1)
    f_max = fields.Integer(string="Frequency Max", default=5)
    m_min = fields.Integer(string="Monetary Min", default=1)
    m_max = fields.Integer(string="Monetary Max", default=5)
    customer_since_days = fields.Integer(
        string="Customer for at Most (days)",
        help="The rule only matches customers whose Customer Since date is "
        "within this many days of the run (new customers). 0: any customer.",
    )
    previous_tier_ids = fields.Many2many(
        "wms.customer.tier",
        "wms_segmentation_rule_previous_tier_rel",
        "rule_id",
        "tier_id",
        string="Previous Tiers",
        help="The rule only matches customers in one of these tiers before the "
        "run. Empty: any tier, or none.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        string="Company",
        help="Only runs of this company use the rule. Empty: every company.",
    )
    description = fields.Text(translate=True)

    @api.constrains("customer_since_days")
    def _check_customer_since_days(self):
        for rule in self:
            if rule.customer_since_days < 0:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: the customer period cannot be negative.",
                        rule=rule.name,
                    )
                )

    @api.constrains("r_min", "r_max", "f_min", "f_max", "m_min", "m_max")
    def _check_score_ranges(self):
        labels = {
            "r": self.env._("Recency"),
            "f": self.env._("Frequency"),
            "m": self.env._("Monetary"),
        }
        for rule in self:
            for key in SCORE_FIELDS:
                low, high = rule[f"{key}_min"], rule[f"{key}_max"]
                if not 1 <= low <= high <= 5:
                    raise ValidationError(
                        self.env._(
                            "Rule %(rule)s: the %(score)s range must lie within "
                            "1 to 5 with the minimum not above the maximum "
                            "(it is %(low)s to %(high)s).",
                            rule=rule.name,
                            score=labels[key],
                            low=low,
                            high=high,
                        )
                    )
