# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    wms_iot_retention_days = fields.Integer(
        "Raw Readings Retention (days)",
        default=90,
        help="Raw sensor readings older than this are deleted once rolled up "
        "into hourly figures; older readings are refused at ingest.",
    )

    _wms_iot_retention_positive = models.Constraint(
        "CHECK(wms_iot_retention_days > 0)",
        "The retention of readings must be at least one day.",
    )
