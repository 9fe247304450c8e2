# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import WmsServiceTicketsCase

# Friday 27 November 2026, 16:00 in the calendar's timezone (Shanghai)
FRIDAY_16 = "2026-11-27 16:00"


@tagged("post_install", "-at_install")
class TestSla(WmsServiceTicketsCase):
    def _activities(self, ticket, xmlid):
        return ticket.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(xmlid)
        )

    # ------------------------------------------------------------------
    # Policy selection
    # ------------------------------------------------------------------
    def test_vip_ticket_has_one_response_and_one_resolution_line(self):
        ticket = self._ticket(self.vip, self.type_damaged)
        self.assertEqual(len(ticket.ticket_sla_ids), 2)
        self.assertEqual(
            ticket.ticket_sla_ids.sla_id,
            self.env.ref("wms_service_tickets.helpdesk_sla_vip_response")
            | self.env.ref("wms_service_tickets.helpdesk_sla_vip_resolution"),
        )
        self.assertEqual(ticket.wms_sla_state, "on_track")
        self.assertTrue(ticket.wms_response_deadline < ticket.wms_resolution_deadline)

    def test_policy_chosen_by_tier_and_exception_type(self):
        core = self._ticket(self.core, self.type_damaged)
        normal = self._ticket(self.normal, self.type_damaged)
        self.assertEqual(
            core.ticket_sla_ids.sla_id,
            self.env.ref("wms_service_tickets.helpdesk_sla_core_response")
            | self.env.ref("wms_service_tickets.helpdesk_sla_core_resolution"),
        )
        self.assertEqual(
            normal.ticket_sla_ids.sla_id,
            self.env.ref("wms_service_tickets.helpdesk_sla_standard_response")
            | self.env.ref("wms_service_tickets.helpdesk_sla_standard_resolution"),
        )
        # a policy for temperature excursions of VIPs only
        cold = self.env["helpdesk.sla"].create(
            {
                "name": "Cold chain: resolution in 2 h",
                "team_ids": [(6, 0, self.team.ids)],
                "wms_tier_ids": [(6, 0, self.tier_vip.ids)],
                "wms_exception_type_ids": [(6, 0, self.type_temperature.ids)],
                "wms_kind": "resolution",
                "hours": 2,
                "stage_id": self.stage_done.id,
            }
        )
        vip_cold = self._ticket(self.vip, self.type_temperature)
        vip_damaged = self._ticket(self.vip, self.type_damaged)
        normal_cold = self._ticket(self.normal, self.type_temperature)
        self.assertIn(cold, vip_cold.ticket_sla_ids.sla_id)
        self.assertNotIn(cold, vip_damaged.ticket_sla_ids.sla_id)
        self.assertNotIn(cold, normal_cold.ticket_sla_ids.sla_id)

    def test_another_companys_policy_is_ignored(self):
        other_company = self.env["res.company"].create({"name": "Other WMS Co"})
        self.env["helpdesk.sla"].create(
            {
                "name": "Other company's policy",
                "company_id": other_company.id,
                "team_ids": [(6, 0, self.team.ids)],
                "hours": 1,
            }
        )
        ticket = self._ticket(self.vip, self.type_damaged)
        self.assertEqual(len(ticket.ticket_sla_ids), 2)
        self.assertNotIn(other_company, ticket.ticket_sla_ids.sla_id.company_id)

    def test_team_with_sla_always_has_a_calendar(self):
        team = self.env["helpdesk.ticket.team"].create(
            {"name": "Night desk", "use_sla": True}
        )
        self.assertEqual(team.resource_calendar_id, self.company.resource_calendar_id)
        with self.assertRaisesRegex(ValidationError, "has no working hours"):
            team.resource_calendar_id = False
        plain = self.env["helpdesk.ticket.team"].create(
            {"name": "No SLA desk", "resource_calendar_id": False}
        )
        plain.use_sla = True
        self.assertTrue(plain.resource_calendar_id)

    # ------------------------------------------------------------------
    # Deadlines and clock
    # ------------------------------------------------------------------
    def test_deadline_is_planned_on_working_hours(self):
        friday = self._local(FRIDAY_16)
        with self._at(friday):
            ticket = self._ticket(self.vip, self.type_damaged)
        self.assertEqual(ticket.create_date, friday)
        # 8 working hours from Friday 16:00 on 8-12 / 13-17: Monday 16:00
        self.assertEqual(
            ticket.wms_resolution_deadline, self._local("2026-11-30 16:00")
        )
        # 1 working hour: Friday 17:00
        self.assertEqual(ticket.wms_response_deadline, self._local("2026-11-27 17:00"))
        # warned half a working hour before: Monday 15:30, Friday 16:30
        self.assertEqual(
            self._lines(ticket, "resolution").wms_warn_date,
            self._local("2026-11-30 15:30"),
        )
        self.assertEqual(
            self._lines(ticket, "response").wms_warn_date,
            self._local("2026-11-27 16:30"),
        )

    def test_first_response_meets_the_response_line(self):
        with self._at(self._local(FRIDAY_16)):
            ticket = self._ticket(
                self.vip, self.type_damaged, user=self.account_manager
            )
        response = self._lines(ticket, "response")
        with self._at(self._local("2026-11-27 16:20")):
            # an internal note is not a response, nor a stage change
            self._reply(ticket, self.account_manager, internal=True)
            ticket.with_user(self.account_manager).stage_id = self.stage_progress
            self.assertFalse(ticket.wms_first_response_date)
            self.assertEqual(response.state, "in_progress")
            self._reply(ticket, self.account_manager)
        self.assertEqual(
            ticket.wms_first_response_date, self._local("2026-11-27 16:20")
        )
        self.assertEqual(response.state, "accomplished")
        self.assertEqual(self._lines(ticket, "resolution").state, "in_progress")
        # going back to New does not reopen the response line
        with self._at(self._local("2026-11-27 16:30")):
            ticket.stage_id = self.stage_new
            self.assertEqual(response.state, "accomplished")
            ticket.stage_id = self.stage_done
        self.assertEqual(ticket.wms_sla_state, "met")

    def test_customer_message_is_not_a_response(self):
        ticket = self._ticket(self.vip, self.type_damaged)
        ticket.message_post(
            body="Any news?",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            author_id=self.vip.id,
        )
        self.assertFalse(ticket.wms_first_response_date)
        self.assertEqual(self._lines(ticket, "response").state, "in_progress")

    def test_awaiting_pauses_the_clock(self):
        with self._at(self._local("2026-11-30 09:00")):  # Monday
            ticket = self._ticket(self.core, self.type_damaged, user=self.agent_1)
        resolution = self._lines(ticket, "resolution")
        # 24 working hours from Monday 9:00: Thursday 9:00
        self.assertEqual(resolution.deadline, self._local("2026-12-03 09:00"))
        with self._at(self._local("2026-11-30 11:00")):
            ticket.stage_id = self.stage_awaiting
        self.assertEqual(resolution.state, "on_hold")
        # the customer answers two working days later
        with self._at(self._local("2026-12-02 11:00")):
            ticket.stage_id = self.stage_progress
        self.assertEqual(resolution.state, "in_progress")
        self.assertAlmostEqual(resolution.consumed_time, 2.0, places=2)
        # 22 working hours left from Wednesday 11:00: Monday 9:00
        self.assertEqual(resolution.deadline, self._local("2026-12-07 09:00"))

    # ------------------------------------------------------------------
    # Watch cron
    # ------------------------------------------------------------------
    def test_cron_warns_once_at_the_warn_date(self):
        with self._at(self._local(FRIDAY_16)):
            ticket = self._ticket(
                self.vip, self.type_damaged, user=self.account_manager
            )
        Line = self.env["helpdesk.ticket.sla"]
        with self._at(self._local("2026-11-27 16:29")):
            Line._wms_sla_watch()
        self.assertFalse(
            self._activities(
                ticket, "wms_service_tickets.mail_activity_type_sla_at_risk"
            )
        )
        with self._at(self._local("2026-11-27 16:31")):
            Line._wms_sla_watch()
            Line._wms_sla_watch()
        at_risk = self._activities(
            ticket, "wms_service_tickets.mail_activity_type_sla_at_risk"
        )
        self.assertEqual(len(at_risk), 1)
        self.assertEqual(at_risk.user_id, self.account_manager)
        self.assertEqual(ticket.wms_sla_state, "at_risk")
        # answering meets the line and closes its activity
        with self._at(self._local("2026-11-27 16:40")):
            self._reply(ticket, self.account_manager)
        # done activities are archived, with the reason
        self.assertFalse(at_risk.active)
        self.assertIn("SLA met", str(at_risk.feedback))
        self.assertEqual(ticket.wms_sla_state, "on_track")

    def test_cron_at_deadline_expires_without_a_stage_change(self):
        with self._at(self._local(FRIDAY_16)):
            ticket = self._ticket(self.vip, self.type_damaged)
        response = self._lines(ticket, "response")
        stage = ticket.stage_id
        with self._at(self._local("2026-11-27 17:05")):
            self.env["helpdesk.ticket.sla"]._wms_sla_watch()
            self.env["helpdesk.ticket.sla"]._wms_sla_watch()
        self.assertEqual(ticket.stage_id, stage)
        self.assertEqual(response.state, "expired")
        self.assertEqual(self._lines(ticket, "resolution").state, "in_progress")
        self.assertEqual(ticket.wms_sla_state, "breached")
        breached = self._activities(
            ticket, "wms_service_tickets.mail_activity_type_sla_breached"
        )
        self.assertEqual(len(breached), 1)
        self.assertEqual(breached.user_id, self.team_leader)
        # the unanswered warning did not stay open beside it (no user: leader)
        self.assertEqual(
            len(ticket.activity_ids), 1, ticket.activity_ids.mapped("summary")
        )

    # ------------------------------------------------------------------
    # Closing the loop
    # ------------------------------------------------------------------
    def test_follow_up_on_close_removed_on_reopen(self):
        ticket = self._ticket(self.normal, self.type_damaged, user=self.agent_1)
        ticket.stage_id = self.stage_done
        follow_up = self._activities(
            ticket, "wms_service_tickets.mail_activity_type_follow_up"
        )
        self.assertEqual(len(follow_up), 1)
        self.assertEqual(follow_up.user_id, self.agent_1)
        self.assertEqual(
            follow_up.date_deadline - ticket.closed_date.date(), timedelta(days=2)
        )
        ticket.stage_id = self.stage_progress
        self.assertFalse(follow_up.exists())
        self.env["ir.config_parameter"].set_param(
            "wms_service_tickets.follow_up_days", "5"
        )
        ticket.stage_id = self.stage_done
        follow_up = self._activities(
            ticket, "wms_service_tickets.mail_activity_type_follow_up"
        )
        self.assertEqual(len(follow_up), 1)
        self.assertEqual(
            follow_up.date_deadline - ticket.closed_date.date(), timedelta(days=5)
        )

    def test_closing_unanswered_stops_the_response_clock(self):
        with self._at(self._local(FRIDAY_16)):
            ticket = self._ticket(self.vip, self.type_damaged, user=self.agent_1)
        with self._at(self._local("2026-11-27 16:10")):
            ticket.stage_id = self.stage_done
        response = self._lines(ticket, "response")
        self.assertEqual(response.state, "on_hold")
        self.assertEqual(ticket.wms_sla_state, "met")
        with self._at(self._local("2026-12-01 10:00")):
            self.env["helpdesk.ticket.sla"]._wms_sla_watch()
        self.assertEqual(response.state, "on_hold")
        self.assertFalse(
            self._activities(
                ticket, "wms_service_tickets.mail_activity_type_sla_breached"
            )
        )
        # reopened, the clock runs again from where it stopped
        with self._at(self._local("2026-11-30 09:00")):
            ticket.stage_id = self.stage_progress
        self.assertEqual(response.state, "in_progress")
        self.assertEqual(response.deadline, self._local("2026-11-30 09:50"))

    def test_one_policy_per_measure_the_most_specific(self):
        specific = self.env["helpdesk.sla"].create(
            {
                "name": "VIP damaged goods: answer in 1 h, any team",
                "wms_tier_ids": [(6, 0, self.tier_vip.ids)],
                "wms_exception_type_ids": [(6, 0, self.type_damaged.ids)],
                "wms_kind": "response",
                "hours": 1,
            }
        )
        damaged = self._ticket(self.vip, self.type_damaged)
        wrong = self._ticket(self.vip, self.type_damaged.browse())
        self.assertEqual(len(self._lines(damaged, "response")), 1)
        self.assertEqual(self._lines(damaged, "response").sla_id, specific)
        self.assertEqual(
            self._lines(wrong, "response").sla_id,
            self.env.ref("wms_service_tickets.helpdesk_sla_vip_response"),
        )

    def test_answer_while_awaiting_is_met_if_the_clock_had_time_left(self):
        with self._at(self._local(FRIDAY_16)):
            ticket = self._ticket(self.vip, self.type_damaged, user=self.agent_1)
        with self._at(self._local("2026-11-27 16:10")):
            ticket.stage_id = self.stage_awaiting
        with self._at(self._local("2026-12-02 10:00")):
            self._reply(ticket, self.agent_1)
        self.assertEqual(self._lines(ticket, "response").state, "accomplished")

    def test_an_agent_email_reply_is_a_response(self):
        ticket = self._ticket(self.vip, self.type_damaged, user=self.agent_1)
        ticket.message_post(
            body="Replied from my mailbox",
            message_type="email",
            subtype_xmlid="mail.mt_comment",
            author_id=self.agent_1.partner_id.id,
        )
        self.assertTrue(ticket.wms_first_response_date)
        self.assertEqual(self._lines(ticket, "response").state, "accomplished")

    def test_ticket_created_closed_is_never_breached(self):
        with self._at(self._local(FRIDAY_16)):
            ticket = self._ticket(
                self.vip, self.type_damaged, stage_id=self.stage_done.id
            )
        with self._at(self._local("2026-12-02 10:00")):
            self.env["helpdesk.ticket.sla"]._wms_sla_watch()
        self.assertNotIn("expired", ticket.ticket_sla_ids.mapped("state"))
        self.assertEqual(ticket.wms_sla_state, "met")

    def test_warned_again_after_a_pause_moves_the_deadline(self):
        with self._at(self._local(FRIDAY_16)):
            ticket = self._ticket(self.vip, self.type_damaged, user=self.agent_1)
        Line = self.env["helpdesk.ticket.sla"]
        response = self._lines(ticket, "response")
        with self._at(self._local("2026-11-27 16:35")):
            Line._wms_sla_watch()
            ticket.stage_id = self.stage_awaiting
        self.assertFalse(response.wms_at_risk)
        first = response.wms_activity_id
        with self._at(self._local("2026-11-30 09:00")):
            ticket.stage_id = self.stage_progress
        # 25 minutes left from Monday 9:00; warned at 9:00 - 0:05 = 8:55 ...
        with self._at(self._local("2026-11-30 09:01")):
            Line._wms_sla_watch()
        self.assertTrue(response.wms_at_risk)
        self.assertNotEqual(response.wms_activity_id, first)
        self.assertFalse(first.active)

    def test_agents_cannot_forge_the_sla_clock(self):
        ticket = self._ticket(self.vip, self.type_damaged, user=self.agent_1)
        line = self._lines(ticket, "response")
        for vals in (
            {"state": "accomplished"},
            {"deadline": "2030-01-01 00:00:00"},
            {"consumed_time": 0},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                line.with_user(self.agent_1).write(vals)
        for vals in (
            {"wms_sla_state": "met"},
            {"wms_resolution_deadline": "2030-01-01 00:00:00"},
            {"wms_tier_id": self.tier_core.id},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                ticket.with_user(self.agent_1).write(vals)
        # moving the stage still moves the clock for them
        ticket.with_user(self.agent_1).stage_id = self.stage_done
        self.assertEqual(self._lines(ticket, "resolution").state, "accomplished")

    def test_system_fields_are_not_writable(self):
        ticket = self._ticket(self.normal, self.type_damaged, user=self.agent_1)
        for vals in (
            {"wms_first_response_date": "2026-01-01 00:00:00"},
            {"wms_dedupe_key": "stock.picking,1,1"},
        ):
            with self.assertRaises(AccessError):
                ticket.with_user(self.agent_1).write(vals)
        with self.assertRaises(UserError):
            self.Ticket.wms_report_exception("no_such_code", partner_id=self.normal.id)
