# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from werkzeug.exceptions import BadRequest, Forbidden, NotFound

from odoo import http
from odoo.fields import Domain
from odoo.http import request

from odoo.addons.helpdesk_mgmt.controllers.main import HelpdeskTicketController
from odoo.addons.rating.controllers.main import Rating

from ..models.rating_rating import NPS_VALUES


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


class WmsRating(Rating):
    @http.route()
    def action_submit_rating(self, token, rate=0, **kwargs):
        """Store the NPS answer of a ticket's rating page with its rating.

        ``wms_nps`` is one of '0'...'10'; a missing or invalid value is
        ignored (the CSAT answer and the feedback are still stored, and a
        previous NPS answer is kept), so a tampered field never loses the
        customer's rating. An unknown token gives 404 as in core.
        """
        nps = kwargs.pop("wms_nps", None)
        response = super().action_submit_rating(token, rate=rate, **kwargs)
        if request.httprequest.method != "POST" or nps not in NPS_VALUES:
            return response
        # sudo: the rating page is public; the token is the authorization,
        # as in core's controller
        rating, record_sudo = self._get_rating_and_record(token)
        if rating.res_model == "helpdesk.ticket" and rating.wms_nps != nps:
            rating.wms_nps = nps
            # the KPI rows follow the rating: CSAT is refreshed by
            # rating_apply, NPS only now that it is stored
            record_sudo._wms_refresh_kpi()
        return response
