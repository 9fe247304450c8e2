# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class ResCompany(models.Model):
    _inherit = "res.company"

    def _wms_default_ticket_team(self):
        """The shipped Customer Care team, where this company may use it."""
        self.ensure_one()
        team = self.env.ref(
            "wms_service_tickets.helpdesk_team_customer_care", raise_if_not_found=False
        )
        # sudo: the team is looked up for routing only; the ticket's own
        # company check applies when it is created
        team = team.sudo() if team else self.env["helpdesk.ticket.team"].sudo()
        if team and team.active and team.company_id in (self, self.browse()):
            return team
        return (
            self.env["helpdesk.ticket.team"]
            .sudo()
            .search([("use_sla", "=", True), ("company_id", "=", self.id)], limit=1)
        )
