# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    wms_kpi_window_days = fields.Integer(
        string="KPI Window (days)",
        config_parameter="wms_customer_profile.kpi_window_days",
        default=365,
        help="Delivery KPIs count the deliveries done in this many past days.",
    )

    @api.constrains("wms_kpi_window_days")
    def _check_wms_kpi_window_days(self):
        for settings in self:
            if settings.wms_kpi_window_days < 1:
                raise ValidationError(
                    self.env._("The KPI window must be at least one day.")
                )
