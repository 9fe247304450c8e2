# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models

# partner fields that decide where its deliveries stand against its windows
WINDOW_FIELDS = {"tz", "delivery_time_preference", "delivery_time_window_ids"}


class ResPartner(models.Model):
    _inherit = "res.partner"

    wms_requirement_ids = fields.One2many(
        "wms.handling.requirement",
        "partner_id",
        string="Outbound Requirements",
        help="Special handling this customer (or this delivery address) asks "
        "of every delivery.",
    )
    wms_requirement_count = fields.Integer(
        string="Requirements", compute="_compute_wms_requirement_count"
    )
    wms_can_edit_requirements = fields.Boolean(
        string="Can Edit Requirements",
        compute="_compute_wms_can_edit_requirements",
        help="Whether the current user may edit outbound requirements "
        "(inventory and Customer Care managers): the list is read-only for "
        "the others.",
    )

    @api.depends_context("uid")
    def _compute_wms_can_edit_requirements(self):
        can_edit = self.env["wms.handling.requirement"].has_access("write")
        for partner in self:
            partner.wms_can_edit_requirements = can_edit

    def write(self, vals):
        res = super().write(vals)
        if WINDOW_FIELDS.intersection(vals):
            self._wms_recompute_delivery_windows()
        return res

    def _wms_recompute_delivery_windows(self):
        """Recompute the window fields of the open deliveries of these
        partners and of their addresses (which may follow their windows)."""
        if not self:
            return
        Picking = self.env["stock.picking"]
        # the partner's editor may not read every transfer; the window flags
        # are derived data of these partners' open deliveries
        pickings = Picking.sudo().search(
            [
                ("partner_id", "child_of", self.ids),
                ("picking_type_code", "=", "outgoing"),
                ("state", "not in", ("done", "cancel")),
            ]
        )
        for fname in ("wms_window_ok", "wms_next_window_start"):
            self.env.add_to_compute(Picking._fields[fname], pickings)

    @api.depends("wms_requirement_ids")
    def _compute_wms_requirement_count(self):
        for partner in self:
            partner.wms_requirement_count = len(partner.wms_requirement_ids)

    @property
    def delivery_window_tz(self):
        """The time zone of this partner's delivery windows: OCA's
        stock_partner_delivery_window reads the partner's own, else the
        current company's; follow the one WMS chain instead (the partner's,
        its commercial partner's, the company's, UTC), so windows, their
        messages and the WMS dates agree."""
        self.ensure_one()
        return self._wms_tz()

    def _wms_window_partner(self):
        """The partner whose delivery windows apply to a delivery to this
        address: the address itself if it has a preference of its own
        (anything but "any time"), else its commercial partner."""
        self.ensure_one()
        if self.delivery_time_preference != "anytime":
            return self
        return self.commercial_partner_id

    def _wms_window_slot(self, date):
        """Where ``date`` (naive UTC) stands against this partner's windows.

        Returns ``(inside, slot)``: ``inside`` tells whether the date is in a
        delivery window (read in the partner's time zone, as
        ``_is_in_delivery_window`` does); ``slot`` is ``date`` itself when it
        is inside, else the start of the next window after it (naive UTC),
        crossing days and weekends; False when the partner has no window.
        """
        self.ensure_one()
        if self.delivery_time_preference == "anytime":
            return True, date
        tz = pytz.timezone(self.delivery_window_tz)
        local = pytz.utc.localize(date).astimezone(tz)
        if self.delivery_time_preference == "workdays":
            if local.weekday() < 5:
                return True, date
            day = local.date()
            while day.weekday() >= 5:
                day += timedelta(days=1)
            starts_by_weekday = {day.weekday(): [time(0, 0)]}
        else:
            starts_by_weekday = {}
            for window in self.delivery_time_window_ids:
                start = window.get_time_window_start_time()
                end = window.get_time_window_end_time()
                for weekday_rec in window.time_window_weekday_ids:
                    weekday = int(weekday_rec.name)
                    if weekday == local.weekday() and (
                        start <= local.time().replace(tzinfo=None) <= end
                    ):
                        return True, date
                    starts_by_weekday.setdefault(weekday, []).append(start)
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            for start in sorted(starts_by_weekday.get(day.weekday(), [])):
                slot = tz.localize(datetime.combine(day, start))
                if slot >= local:
                    return False, slot.astimezone(pytz.utc).replace(tzinfo=None)
        return False, False

    def action_wms_view_requirements(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wms_outbound_requirements.wms_handling_requirement_action"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action
