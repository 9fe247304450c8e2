# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

NPS_VALUES = tuple(str(score) for score in range(11))


class RatingRating(models.Model):
    _inherit = "rating.rating"

    # A selection, not an integer: an unanswered question stays empty
    # instead of reading as 0, a detractor.
    wms_nps = fields.Selection(
        [(value, value) for value in NPS_VALUES],
        string="Likelihood to Recommend (0-10)",
        help='Answer to "How likely are you to recommend us to a friend or '
        'colleague?" on the rating page of a ticket; empty when not answered. '
        "9-10: promoter, 7-8: passive, 0-6: detractor.",
    )
