# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

CATEGORIES = [
    ("packaging", "Packaging"),
    ("labeling", "Labeling"),
    ("documents", "Documents"),
    ("temperature", "Temperature"),
    ("delivery", "Delivery"),
    ("other", "Other"),
]


class WmsHandlingRequirementType(models.Model):
    """A kind of special handling a customer may ask for (shared by all
    companies)."""

    _name = "wms.handling.requirement.type"
    _description = "Handling Requirement Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Technical code for integrations, e.g. shock_proof, temperature.",
    )
    category = fields.Selection(CATEGORIES, required=True, default="other")
    default_blocking = fields.Boolean(
        help="New requirements of this type are blocking by default: they must "
        "be acknowledged before the delivery can be validated.",
    )
    icon = fields.Char(
        default="fa-exclamation-circle",
        help="Font Awesome icon shown with the requirement, e.g. fa-snowflake-o.",
    )
    color = fields.Integer(string="Color Index")
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)

    _code_uniq = models.Constraint(
        "UNIQUE(code)", "The code of a handling requirement type must be unique."
    )
