# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from werkzeug.exceptions import BadRequest, Forbidden, NotFound

from odoo import http
from odoo.fields import Domain
from odoo.http import request

from odoo.addons.helpdesk_mgmt.controllers.main import HelpdeskTicketController


class WmsHelpdeskTicketController(HelpdeskTicketController):
    @http.route("/ticket/close", type="http", auth="user", methods=["POST"], csrf=True)
    def support_ticket_close(self, ticket_id=None, stage_id=None, **kw):
        """Move a ticket to a stage its customer may close it with.

        Replaces helpdesk_mgmt's route, which answered GET (no CSRF check)
        and let any logged-in user close any ticket: POST with a CSRF token
        only; allowed to whoever may write the ticket and to the portal
        customer it belongs to; the stage must be a "close from portal"
        stage of the ticket's team.
        """
        ticket_id, stage_id = (
            self._wms_parse_id(ticket_id),
            self._wms_parse_id(stage_id),
        )
        ticket = request.env["helpdesk.ticket"].browse(ticket_id).exists()
        if not ticket or not ticket.has_access("read"):
            raise NotFound()
        if not self._wms_may_close(ticket):
            raise Forbidden()
        # sudo: portal customers may not write tickets at all; the checks
        # above stand in for the access rights, on this one ticket
        ticket_sudo = ticket.sudo()
        stage = self._wms_portal_close_stages(ticket_sudo).filtered(
            lambda s: s.id == stage_id
        )
        if not stage:
            raise Forbidden()
        if not ticket_sudo.closed:
            # an already closed ticket (a double click) stays as it is
            ticket_sudo.stage_id = stage
        return request.redirect(f"/my/ticket/{ticket.id}")

    @staticmethod
    def _wms_parse_id(value):
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise BadRequest() from None
        if value <= 0:
            raise BadRequest()
        return value

    def _wms_may_close(self, ticket):
        """Whether the current user may close ``ticket``: someone who may
        write it, or a portal user of the customer it belongs to (the
        partner side of helpdesk_mgmt's portal rule; followers excluded)."""
        if ticket.has_access("write"):
            return True
        user = request.env.user
        if not user._is_portal():
            return False
        # sudo: the portal user may not read every contact of their company
        return bool(
            ticket.sudo().search_count(
                Domain("id", "=", ticket.id)
                & Domain("partner_id", "child_of", user.commercial_partner_id.id),
                limit=1,
            )
        )

    def _wms_portal_close_stages(self, ticket):
        """The stages the portal page offers to close ``ticket`` with (the
        same list as helpdesk_mgmt's ticket page)."""
        if ticket.team_id:
            stages = ticket.team_id._get_applicable_stages()
        else:
            stages = ticket.env["helpdesk.ticket.stage"].search(
                [
                    ("company_id", "in", [False, ticket.company_id.id]),
                    ("team_ids", "=", False),
                ]
            )
        return stages.filtered("close_from_portal")
