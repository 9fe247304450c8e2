# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class WmsExceptionReport(models.TransientModel):
    _name = "wms.exception.report"
    _description = "Report a Delivery Exception"

    picking_id = fields.Many2one("stock.picking", string="Transfer", required=True)
