# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

TICKET_PRIORITIES = [
    ("0", "Low"),
    ("1", "Medium"),
    ("2", "High"),
    ("3", "Very High"),
]


class WmsExceptionType(models.Model):
    """What went wrong with a delivery: decides the category, team and
    priority of the ticket, and whether the system opens it by itself."""

    _name = "wms.exception.type"
    _description = "Delivery Exception Type"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Stable identifier, used by integrations and by the automatic "
        "tickets (late_delivery, missing_item, damaged, wrong_item, "
        "temperature_excursion, return, other).",
    )
    category_id = fields.Many2one(
        "helpdesk.ticket.category",
        string="Ticket Category",
        help="Category of the tickets of this type: the portal and the SLA "
        "policies filter on it.",
    )
    team_id = fields.Many2one(
        "helpdesk.ticket.team",
        string="Team",
        help="Team the tickets go to. Empty, or a team of another company "
        "than the ticket's: the Customer Care team.",
    )
    priority = fields.Selection(
        TICKET_PRIORITIES,
        default="1",
        required=True,
        help="Lowest priority of the tickets of this type: a customer tier "
        "with a higher ticket priority raises it.",
    )
    auto_create = fields.Boolean(
        string="Automatic Tickets",
        help="Open a ticket by itself when a validated transfer shows this "
        "exception (late delivery, short delivery, customer return).",
    )
    company_id = fields.Many2one(
        "res.company", help="Empty: the type is used by every company."
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    ticket_count = fields.Integer(compute="_compute_ticket_count", string="Tickets")

    _code_uniq = models.Constraint(
        "UNIQUE(code)", "The code of an exception type must be unique."
    )

    def _compute_ticket_count(self):
        counts = dict(
            self.env["helpdesk.ticket"]._read_group(
                [("wms_exception_type_id", "in", self.ids)],
                ["wms_exception_type_id"],
                ["__count"],
            )
        )
        for exception_type in self:
            exception_type.ticket_count = counts.get(exception_type, 0)

    def action_view_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "helpdesk_mgmt.helpdesk_ticket_action"
        )
        action["domain"] = [("wms_exception_type_id", "=", self.id)]
        action["context"] = {"default_wms_exception_type_id": self.id}
        return action
