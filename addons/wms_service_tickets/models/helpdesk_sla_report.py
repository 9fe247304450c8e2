# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class HelpdeskSlaReport(models.Model):
    _inherit = "helpdesk.sla.report"

    wms_tier_id = fields.Many2one(
        "wms.customer.tier", string="Customer Tier", readonly=True
    )
    wms_exception_type_id = fields.Many2one(
        "wms.exception.type", string="Exception Type", readonly=True
    )
    wms_kind = fields.Selection(
        [("response", "First response"), ("resolution", "Resolution")],
        string="Measures",
        readonly=True,
    )

    def _select_sla(self):
        return (
            super()._select_sla()
            + """,
            ht.wms_tier_id AS wms_tier_id,
            ht.wms_exception_type_id AS wms_exception_type_id,
            hts.wms_kind AS wms_kind
            """
        )
