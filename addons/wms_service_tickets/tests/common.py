# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from contextlib import contextmanager
from datetime import datetime
from unittest.mock import patch

import pytz

from odoo import Command
from odoo.tests import new_test_user
from odoo.tests.common import freeze_time

from odoo.addons.wms_customer_profile.tests.common import WmsCustomerProfileCase

CC_USER = "wms_customer_profile.wms_customer_profile_group_user"
CC_MANAGER = "wms_customer_profile.wms_customer_profile_group_manager"
CAL_TZ = "Asia/Shanghai"


class WmsServiceTicketsCase(WmsCustomerProfileCase):
    """A Customer Care team of three, customers in each tier, and helpers
    that move the clock (the ticket's creation date is the transaction's)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Ticket = cls.env["helpdesk.ticket"]
        cls.team = cls.env.ref("wms_service_tickets.helpdesk_team_customer_care")
        cls.calendar = cls.team.resource_calendar_id
        cls.calendar.tz = CAL_TZ
        cls.stage_new = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_new")
        cls.stage_progress = cls.env.ref(
            "helpdesk_mgmt.helpdesk_ticket_stage_in_progress"
        )
        cls.stage_awaiting = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_awaiting")
        cls.stage_done = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        cls.type_late = cls.env.ref("wms_service_tickets.exception_type_late_delivery")
        cls.type_missing = cls.env.ref(
            "wms_service_tickets.exception_type_missing_item"
        )
        cls.type_damaged = cls.env.ref("wms_service_tickets.exception_type_damaged")
        cls.type_return = cls.env.ref("wms_service_tickets.exception_type_return")
        cls.type_temperature = cls.env.ref(
            "wms_service_tickets.exception_type_temperature_excursion"
        )
        cls.agent_1 = new_test_user(
            cls.env, login="wms_agent_1", groups=f"base.group_user,{CC_USER}"
        )
        cls.agent_2 = new_test_user(
            cls.env, login="wms_agent_2", groups=f"base.group_user,{CC_USER}"
        )
        cls.account_manager = new_test_user(
            cls.env, login="wms_account_manager", groups=f"base.group_user,{CC_USER}"
        )
        cls.team_leader = new_test_user(
            cls.env, login="wms_team_leader", groups=f"base.group_user,{CC_MANAGER}"
        )
        cls.outsider_manager = new_test_user(
            cls.env, login="wms_outside_am", groups=f"base.group_user,{CC_USER}"
        )
        cls.team.write(
            {
                "user_id": cls.team_leader.id,
                "user_ids": [
                    Command.set((cls.agent_1 | cls.agent_2 | cls.account_manager).ids)
                ],
            }
        )
        # tickets of other teams must not count in the load of our members
        cls.Ticket.search([("team_id", "=", cls.team.id)]).unlink()
        cls.vip = cls.env["res.partner"].create(
            {
                "name": "Nordic Pharma (VIP)",
                "is_company": True,
                "email": "care@nordic-pharma.example.com",
                "wms_tier_id": cls.tier_vip.id,
                "wms_account_manager_id": cls.account_manager.id,
            }
        )
        cls.core = cls.env["res.partner"].create(
            {
                "name": "Delta Foods (core)",
                "is_company": True,
                "wms_tier_id": cls.tier_core.id,
            }
        )
        cls.normal = cls.env["res.partner"].create(
            {
                "name": "Corner Shop (normal)",
                "is_company": True,
                "wms_tier_id": cls.tier_normal.id,
            }
        )

    # ------------------------------------------------------------------
    @staticmethod
    def _local(text, tz=CAL_TZ):
        """A naive UTC datetime from a local wall-clock time."""
        local = pytz.timezone(tz).localize(datetime.strptime(text, "%Y-%m-%d %H:%M"))
        return local.astimezone(pytz.utc).replace(tzinfo=None)

    @contextmanager
    def _at(self, when):
        """Run at ``when`` (naive UTC), the database clock included: a
        ticket's creation date, which the SLA counts from, is the
        transaction's."""
        with freeze_time(when), patch.object(type(self.env.cr), "now", lambda cr: when):
            yield

    def _ticket(self, partner, exception_type=None, user=None, **vals):
        """A ticket created as Customer Care creates one: team and user
        explicit (helpdesk_mgmt would assign the creator)."""
        values = {
            "name": "Pallet damaged",
            "description": "<p>The pallet arrived crushed.</p>",
            "partner_id": partner.id,
            "team_id": self.team.id,
            "user_id": user.id if user else False,
            "wms_exception_type_id": exception_type.id if exception_type else False,
        }
        values.update(vals)
        return self.Ticket.create(values)

    def _lines(self, ticket, kind):
        return ticket.ticket_sla_ids.filtered(lambda line: line.wms_kind == kind)

    def _reply(self, ticket, user, body="We are on it.", internal=False):
        """``user`` writes to the customer (or logs a note)."""
        return ticket.with_user(user).message_post(
            body=body,
            message_type="comment",
            subtype_xmlid="mail.mt_note" if internal else "mail.mt_comment",
            partner_ids=ticket.partner_id.ids,
        )
