# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    wms_segmentation_window_days = fields.Integer(
        string="RFM Window (days)",
        config_parameter="wms_segmentation.window_days",
        default=365,
        help="Frequency and monetary value count the deliveries (and the "
        "invoices) of this many past days.",
    )
    wms_segmentation_monetary_mode = fields.Selection(
        [
            ("invoice", "Invoiced amount"),
            ("quantity", "Delivered quantity"),
        ],
        string="Monetary Basis",
        config_parameter="wms_segmentation.monetary_mode",
        default="invoice",
        help="Invoiced amount: posted customer invoices minus refunds, untaxed, "
        "in company currency. Delivered quantity: for warehouses that do not "
        "invoice in Odoo.",
    )
    wms_segmentation_history_runs = fields.Integer(
        string="Full History (runs)",
        config_parameter="wms_segmentation.history_runs",
        default=8,
        help="The scores of every customer are kept for this many last runs "
        "(and previews) of each company; older runs keep only the customers "
        "whose tier they changed.",
    )

    @api.constrains("wms_segmentation_window_days", "wms_segmentation_history_runs")
    def _check_wms_segmentation_days(self):
        for settings in self:
            if settings.wms_segmentation_window_days < 1:
                raise ValidationError(
                    self.env._("The RFM window must be at least one day.")
                )
            if settings.wms_segmentation_history_runs < 1:
                raise ValidationError(
                    self.env._("Keep the full scores of at least one run.")
                )
