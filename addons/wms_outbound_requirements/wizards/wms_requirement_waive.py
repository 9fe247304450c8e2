# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class WmsRequirementWaive(models.TransientModel):
    _name = "wms.requirement.waive"
    _description = "Waive Special Requirements"

    line_ids = fields.Many2many("wms.picking.requirement", string="Requirements")
    reason = fields.Text(required=True)

    def action_waive(self):
        self.ensure_one()
        self.line_ids.action_waive(self.reason)
        return {"type": "ir.actions.act_window_close"}
