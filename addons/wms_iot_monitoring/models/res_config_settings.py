# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    wms_iot_retention_days = fields.Integer(
        related="company_id.wms_iot_retention_days", readonly=False
    )
