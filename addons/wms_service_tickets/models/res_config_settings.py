# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

FOLLOW_UP_DAYS_PARAM = "wms_service_tickets.follow_up_days"
DEFAULT_FOLLOW_UP_DAYS = 2


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    wms_ticket_follow_up_days = fields.Integer(
        string="Follow-up after closing (days)",
        config_parameter=FOLLOW_UP_DAYS_PARAM,
        default=DEFAULT_FOLLOW_UP_DAYS,
    )
    wms_auto_ticket_tier_ids = fields.Many2many(
        "wms.customer.tier",
        string="Automatic late/short tickets for",
        compute="_compute_wms_auto_ticket_tier_ids",
        inverse="_inverse_wms_auto_ticket_tier_ids",
    )

    def _compute_wms_auto_ticket_tier_ids(self):
        tiers = self.env["wms.customer.tier"].search(
            [("auto_exception_ticket", "=", True)]
        )
        for settings in self:
            settings.wms_auto_ticket_tier_ids = tiers

    def _inverse_wms_auto_ticket_tier_ids(self):
        for settings in self:
            chosen = settings.wms_auto_ticket_tier_ids
            tiers = self.env["wms.customer.tier"].with_context(active_test=False)
            tiers.search(
                [("auto_exception_ticket", "=", True), ("id", "not in", chosen.ids)]
            ).write({"auto_exception_ticket": False})
            (chosen - chosen.filtered("auto_exception_ticket")).write(
                {"auto_exception_ticket": True}
            )
