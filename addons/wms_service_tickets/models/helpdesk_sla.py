# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class HelpdeskSla(models.Model):
    _inherit = "helpdesk.sla"

    wms_tier_ids = fields.Many2many(
        "wms.customer.tier",
        string="Customer Tiers",
        help="Tiers of the customers this policy applies to. Empty: any tier.",
    )
    wms_exception_type_ids = fields.Many2many(
        "wms.exception.type",
        string="Exception Types",
        help="Exception types this policy applies to. Empty: any ticket, "
        "including tickets without an exception type.",
    )
    wms_kind = fields.Selection(
        [("response", "First response"), ("resolution", "Resolution")],
        string="Measures",
        default="resolution",
        required=True,
        help="First response: met by the first message a user sends to the "
        "customer (not an internal note); stages do not meet it. "
        "Resolution: met when the ticket reaches the target stage.",
    )
    wms_warn_hours = fields.Float(
        string="Warn Before (working hours)",
        help="An 'SLA at risk' activity is scheduled this many working hours "
        "before the deadline.",
    )

    @api.constrains("wms_warn_hours", "days", "hours")
    def _check_wms_warn_hours(self):
        for sla in self:
            if sla.wms_warn_hours < 0 or sla.days < 0 or sla.hours < 0:
                raise ValidationError(
                    self.env._(
                        "The time and the warning of the SLA policy %(sla)s "
                        "cannot be negative.",
                        sla=sla.display_name,
                    )
                )
