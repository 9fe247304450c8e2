# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_confirm(self, merge=True, merge_into=False, create_proc=True):
        # confirming moves confirms (or adds products to) their transfers,
        # whether from the transfer's button or a procurement (sale order)
        moves = super()._action_confirm(
            merge=merge, merge_into=merge_into, create_proc=create_proc
        )
        (self.exists().picking_id | moves.picking_id)._wms_sync_requirements()
        return moves

    def _action_cancel(self):
        res = super()._action_cancel()
        self.picking_id._wms_sync_requirements()
        return res

    def unlink(self):
        pickings = self.picking_id
        res = super().unlink()
        pickings.exists()._wms_sync_requirements()
        return res
