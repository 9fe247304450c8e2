# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    wms_watch_horizon_hours = fields.Float(
        string="Delivery Watch Horizon (hours)",
        config_parameter="wms_outbound_requirements.watch_horizon_hours",
        default=4.0,
        help="Deliveries due within this many hours are flagged at risk of "
        "being late and checked for missing stock.",
    )

    @api.constrains("wms_watch_horizon_hours")
    def _check_wms_watch_horizon_hours(self):
        for settings in self:
            if settings.wms_watch_horizon_hours < 0:
                raise ValidationError(
                    self.env._("The delivery watch horizon cannot be negative.")
                )
