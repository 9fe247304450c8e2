# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models
from odoo.exceptions import UserError


class WmsCustomerTier(models.Model):
    _inherit = "wms.customer.tier"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_rfm_history(self):
        """A tier that segmentation runs moved customers from or to is part
        of their history: like a tier in use, archive it instead."""
        # sudo: the history of every company counts, not only the user's.
        # The distinct tiers only: a tier may stand on millions of scores.
        Score = self.env["wms.rfm.score"].sudo()
        tiers = self.browse()
        for fname in ("tier_before_id", "tier_after_id"):
            for (tier,) in Score._read_group([(fname, "in", self.ids)], [fname]):
                tiers |= tier
        if tiers:
            raise UserError(
                self.env._(
                    "You cannot delete the customer tier(s) %(tiers)s: the "
                    "segmentation history refers to them. Archive the tier "
                    "instead.",
                    tiers=", ".join(tiers.mapped("display_name")),
                )
            )
