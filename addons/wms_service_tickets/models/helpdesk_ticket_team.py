# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models
from odoo.exceptions import ValidationError


class HelpdeskTicketTeam(models.Model):
    _inherit = "helpdesk.ticket.team"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._wms_default_calendar(vals)
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("use_sla") and "resource_calendar_id" not in vals:
            for team in self.filtered(lambda t: not t.resource_calendar_id):
                team_vals = dict(vals, company_id=team.company_id.id)
                self._wms_default_calendar(team_vals)
                super(HelpdeskTicketTeam, team).write(
                    {"resource_calendar_id": team_vals["resource_calendar_id"]}
                )
        return super().write(vals)

    @api.model
    def _wms_default_calendar(self, vals):
        """A team that uses SLA plans its deadlines on working hours: without
        a calendar, helpdesk_mgmt_sla would crash every ticket creation, so
        the team gets its company's calendar."""
        if vals.get("use_sla") and not vals.get("resource_calendar_id"):
            company = self.env["res.company"].browse(
                vals.get("company_id") or self.env.company.id
            )
            vals["resource_calendar_id"] = company.resource_calendar_id.id

    @api.constrains("use_sla", "resource_calendar_id")
    def _check_wms_sla_calendar(self):
        for team in self:
            if team.use_sla and not team.resource_calendar_id:
                raise ValidationError(
                    self.env._(
                        "The team %(team)s uses SLA but has no working hours: "
                        "set its Working Hours, or give its company a calendar.",
                        team=team.display_name,
                    )
                )
