# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models


class PartnerDeliveryTimeWindow(models.Model):
    _inherit = "partner.delivery.time.window"

    @api.model_create_multi
    def create(self, vals_list):
        windows = super().create(vals_list)
        windows.partner_id._wms_recompute_delivery_windows()
        return windows

    def write(self, vals):
        partners = self.partner_id
        res = super().write(vals)
        (partners | self.partner_id)._wms_recompute_delivery_windows()
        return res

    def unlink(self):
        partners = self.partner_id
        res = super().unlink()
        partners._wms_recompute_delivery_windows()
        return res
