# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import WmsServiceTicketsCase

TICKET_COLUMNS = (
    "ticket_count",
    "csat_answer_count",
    "csat_rate",
    "nps_answer_count",
    "nps",
    "avg_first_response_hours",
    "avg_resolution_hours",
    "sla_breach_rate",
)


@tagged("post_install", "-at_install")
class TestTicketKpi(WmsServiceTicketsCase):
    """Ticket figures in the customer KPIs: CSAT, NPS, response and
    resolution times, SLA breaches; refreshed as tickets move."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # on the hour, well inside the rolling window
        cls.t0 = fields.Datetime.now().replace(
            minute=0, second=0, microsecond=0
        ) - timedelta(days=20)

    # ------------------------------------------------------------------
    def _h(self, hours):
        return self.t0 + timedelta(hours=hours)

    def _row(self, partner, company=None):
        """The stored ticket columns of a KPI row (NULL as None), straight
        from the table: the ORM reads an empty float as 0.0."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT ticket_count, csat_answer_count, csat_rate, nps_answer_count,
                   nps, avg_first_response_hours, avg_resolution_hours,
                   sla_breach_rate
              FROM wms_customer_kpi
             WHERE partner_id = %s AND company_id = %s
            """,
            [partner.id, (company or self.company).id],
        )
        row = self.env.cr.fetchone()
        if row is None:
            return None
        # numeric columns come as Decimal
        return {
            column: value if value is None else float(value)
            for column, value in zip(TICKET_COLUMNS, row, strict=True)
        }

    def _rate(self, ticket, score, nps=None):
        """The customer rates the ticket (rating flow: token, then
        ``rating_apply``); ``nps`` is the recommendation answer stored with
        the rating, as the rating page stores it."""
        token = ticket._rating_get_access_token()
        if nps is not None:
            rating = self.env["rating.rating"].search([("access_token", "=", token)])
            rating.sudo().wms_nps = nps
        ticket.rating_apply(score, token=token)

    def _close(self, ticket):
        ticket.write({"stage_id": self.stage_done.id})

    # ------------------------------------------------------------------
    def test_csat_and_nps(self):
        # VIP: 6 consumed ratings, 3 satisfied -> CSAT 50 %; 5 NPS answers,
        # 2 promoters (10, 9), 1 passive (8), 2 detractors (6, 0) -> NPS 0;
        # a rating without NPS answer is no answer; a pending rating request
        # (not consumed) counts nowhere
        with self._at(self._h(0)):
            pending = self._ticket(self.vip)
            pending._rating_get_access_token()
            for score, nps in (
                (5, "10"),
                (5, "9"),
                (3, "8"),
                (1, "6"),
                (1, "0"),
                (5, None),
            ):
                self._rate(self._ticket(self.vip), score, nps)
        # core: 4 ratings, 1 satisfied -> 25 %; promoters 1 (10), detractors
        # 2 (2, 5), passive 1 (7) -> (1 - 2) / 4 = -25
        with self._at(self._h(1)):
            for score, nps in ((5, "10"), (1, "2"), (1, "5"), (3, "7")):
                self._rate(self._ticket(self.core), score, nps)
            # tickets without a rating: no figure at all, not 0
            self._close(self._ticket(self.normal))

        vip = self._row(self.vip)
        self.assertEqual(vip["ticket_count"], 7)
        self.assertEqual(vip["csat_answer_count"], 6)
        self.assertEqual(vip["csat_rate"], 50.0)
        self.assertEqual(vip["nps_answer_count"], 5)
        self.assertEqual(vip["nps"], 0.0)
        core = self._row(self.core)
        self.assertEqual(core["ticket_count"], 4)
        self.assertEqual(core["csat_rate"], 25.0)
        self.assertEqual(core["nps_answer_count"], 4)
        self.assertEqual(core["nps"], -25.0)
        normal = self._row(self.normal)
        self.assertEqual(normal["ticket_count"], 1)
        self.assertEqual(normal["csat_answer_count"], 0)
        self.assertIsNone(normal["csat_rate"])
        self.assertEqual(normal["nps_answer_count"], 0)
        self.assertIsNone(normal["nps"])

        # rounded to 2 decimals: 2 promoters of 3 -> 66.67
        with self._at(self._h(2)):
            for score, nps in ((5, "10"), (5, "9"), (3, "7")):
                self._rate(self._ticket(self.normal), score, nps)
        normal = self._row(self.normal)
        self.assertEqual(normal["nps"], 66.67)
        self.assertEqual(normal["csat_rate"], 66.67)

    def test_response_resolution_and_breach(self):
        """Core customer, every ticket created at t0 (calendar hours)."""
        with self._at(self._h(0)):
            answered_closed = self._ticket(self.core)
            quick_closed = self._ticket(self.core)
            late_answer = self._ticket(self.core)
            reopened = self._ticket(self.core)
            no_sla = self._ticket(self.core, team_id=False)
        self.assertEqual(no_sla.wms_sla_state, "none")
        with self._at(self._h(0.5)):
            self._reply(quick_closed, self.agent_1)
        with self._at(self._h(1)):
            self._close(reopened)
        with self._at(self._h(2)):
            self._reply(answered_closed, self.agent_1)
            # reopened: not resolved any more, its closing date is cleared
            reopened.write({"stage_id": self.stage_progress.id})
        with self._at(self._h(10)):
            self._close(answered_closed)
        with self._at(self._h(24)):
            self._close(quick_closed)
        with self._at(self._h(24 * 7)):
            # far past the 4 working hours of a core response
            self._reply(late_answer, self.agent_1)
        self.assertEqual(late_answer.wms_sla_state, "breached")
        self.assertNotEqual(reopened.wms_sla_state, "breached")

        row = self._row(self.core)
        self.assertEqual(row["ticket_count"], 5)
        # answers after 0.5, 2 and 168 hours
        self.assertEqual(row["avg_first_response_hours"], round(170.5 / 3, 2))
        # closed after 10 and 24 hours; the reopened ticket does not count
        self.assertEqual(row["avg_resolution_hours"], 17.0)
        # one breach out of the four tickets with an SLA
        self.assertEqual(row["sla_breach_rate"], 25.0)

        # the customer and its contacts read the same figures
        contact = self.env["res.partner"].create(
            {"name": "Delta Foods, receiving", "parent_id": self.core.id}
        )
        for partner in (self.core, contact):
            self.assertEqual(partner.wms_ticket_count, 5)
            self.assertAlmostEqual(partner.wms_avg_first_response_hours, 56.83)
            self.assertAlmostEqual(partner.wms_avg_resolution_hours, 17.0)
            self.assertAlmostEqual(partner.wms_sla_breach_rate, 25.0)
            self.assertEqual(partner.wms_nps_answer_count, 0)
            self.assertEqual(partner.wms_csat_rate, 0.0)

    def test_customer_with_tickets_and_no_delivery(self):
        self._deliver(self.customer)
        with self._at(self._h(0)):
            self._rate(self._ticket(self.normal), 5, "10")
        self.env.cr.execute(
            """
            SELECT partner_id, delivery_count, on_time_rate, accuracy_rate,
                   return_rate, ticket_count, csat_rate, nps
              FROM wms_customer_kpi
             WHERE partner_id IN %s AND company_id = %s
            """,
            [(self.normal.id, self.customer.id), self.company.id],
        )
        rows = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        # no delivery: counts 0 and rates empty, ticket figures set
        self.assertEqual(rows[self.normal.id], (0, None, None, None, 1, 100, 100))
        # no ticket: the delivery figures, ticket rates empty
        self.assertEqual(rows[self.customer.id], (1, 100, 100, 0, 0, None, None))
        self.assertEqual(self.normal.wms_delivery_count, 0)
        self.assertEqual(self.normal.wms_ticket_count, 1)
        self.assertEqual(self.customer.wms_ticket_count, 0)

    def test_refreshed_as_tickets_move(self):
        """Each step updates the row; nobody calls the refresh."""
        with self._at(self._h(0)):
            ticket = self._ticket(self.normal, user=self.agent_1)
        # creating a ticket alone leaves the KPIs as they are
        self.assertIsNone(self._row(self.normal))
        with self._at(self._h(3)):
            self._reply(ticket, self.agent_1)  # first response
        row = self._row(self.normal)
        self.assertEqual(row["ticket_count"], 1)
        self.assertEqual(row["avg_first_response_hours"], 3.0)
        self.assertIsNone(row["avg_resolution_hours"])
        self.assertEqual(self.normal.wms_avg_first_response_hours, 3.0)
        with self._at(self._h(5)):
            self._close(ticket)
        self.assertEqual(self._row(self.normal)["avg_resolution_hours"], 5.0)
        self.assertEqual(self.normal.wms_avg_resolution_hours, 5.0)
        with self._at(self._h(6)):
            self._rate(ticket, 1, "3")
        row = self._row(self.normal)
        self.assertEqual((row["csat_rate"], row["nps"]), (0.0, -100.0))
        self.assertEqual(self.normal.wms_nps, -100.0)
        self.assertEqual(self.normal.wms_csat_answer_count, 1)
        with self._at(self._h(7)):
            ticket.write({"stage_id": self.stage_progress.id})  # reopened
        self.assertIsNone(self._row(self.normal)["avg_resolution_hours"])
        with self._at(self._h(8)):
            self._close(ticket)
        self.assertEqual(self._row(self.normal)["avg_resolution_hours"], 8.0)

    def test_full_refresh_gives_the_same_figures(self):
        with self._at(self._h(0)):
            tickets = [self._ticket(partner) for partner in (self.vip, self.core)]
            self._ticket(self.core)
        with self._at(self._h(1.5)):
            for ticket in tickets:
                self._reply(ticket, self.agent_1)
        with self._at(self._h(4)):
            self._close(tickets[1])
            self._rate(tickets[0], 3, "8")
            self._rate(tickets[1], 5, "10")
        partners = (self.vip, self.core)
        rows = {partner: self._row(partner) for partner in partners}
        self.assertEqual(rows[self.core]["ticket_count"], 2)
        self.assertEqual(rows[self.core]["avg_resolution_hours"], 4.0)
        self.Kpi.search([("partner_id", "in", [p.id for p in partners])]).unlink()
        self.Kpi._refresh_all()
        self.assertEqual({partner: self._row(partner) for partner in partners}, rows)

    def test_window_and_archived_tickets(self):
        with self._at(self._h(0)):
            kept, archived = self._ticket(self.normal), self._ticket(self.normal)
        with self._at(self._h(1)):
            self._close(kept | archived)
        self.assertEqual(self._row(self.normal)["ticket_count"], 2)
        archived.action_archive()
        self.Kpi._refresh([self.normal.id])
        self.assertEqual(self._row(self.normal)["ticket_count"], 1)
        # the ticket leaves the rolling window: no figure left, no row
        self.env["ir.config_parameter"].set_param(
            "wms_customer_profile.kpi_window_days", 10
        )
        self.Kpi._refresh_all()
        self.assertIsNone(self._row(self.normal))

    def test_other_company_tickets(self):
        company_b = self.env["res.company"].create({"name": "WMS Tickets Company B"})
        self.env.user.company_ids |= company_b
        team_b = self.env["helpdesk.ticket.team"].create(
            {"name": "Care B", "company_id": company_b.id}
        )
        with self._at(self._h(0)):
            ticket_a = self._ticket(self.core)
            ticket_b = self._ticket(self.core, team_id=team_b.id)
            ticket_b2 = self._ticket(self.core, team_id=team_b.id)
        self.assertEqual(ticket_b.company_id, company_b)
        with self._at(self._h(2)):
            self._close(ticket_a)
            self._rate(ticket_a, 5, "10")
        with self._at(self._h(6)):
            self._close(ticket_b | ticket_b2)
            self._rate(ticket_b, 1, "0")
        row_a = self._row(self.core)
        self.assertEqual(row_a["ticket_count"], 1)
        self.assertEqual(row_a["avg_resolution_hours"], 2.0)
        self.assertEqual((row_a["csat_rate"], row_a["nps"]), (100.0, 100.0))
        row_b = self._row(self.core, company_b)
        self.assertEqual(row_b["ticket_count"], 2)
        self.assertEqual(row_b["avg_resolution_hours"], 6.0)
        self.assertEqual((row_b["csat_rate"], row_b["nps"]), (0.0, -100.0))
        # the partner shows the current company's row
        self.assertEqual(self.core.wms_ticket_count, 1)
        self.assertEqual(self.core.with_company(company_b).wms_ticket_count, 2)

    def test_partner_search(self):
        with self._at(self._h(0)):
            self._rate(self._ticket(self.vip), 5, "10")
            self._rate(self._ticket(self.core), 1, "2")
            self._close(self._ticket(self.normal))
        Partner = self.env["res.partner"]
        customers = self.vip | self.core | self.normal
        self.assertEqual(
            Partner.search([("wms_csat_rate", ">=", 50)]) & customers, self.vip
        )
        self.assertEqual(
            Partner.search([("wms_nps_answer_count", ">", 0), ("wms_nps", "<", 0)])
            & customers,
            self.core,
        )
        self.assertEqual(
            Partner.search([("wms_ticket_count", ">", 0)]) & customers, customers
        )
        # customers without a row read and match as 0
        never = Partner.search([("wms_ticket_count", "=", 0)])
        self.assertFalse(never & customers)
        self.assertIn(self.customer, never)
        self.assertEqual(
            Partner.search([("wms_nps_answer_count", "=", 0)]) & customers,
            self.normal,
        )

    def test_refresh_query_count_does_not_grow(self):
        with self._at(self._h(0)):
            self._ticket(self.vip)
            many = self.Ticket
            for _i in range(15):
                many |= self._ticket(self.core)
        with self._at(self._h(1)):
            for ticket in many[:5]:
                self._rate(ticket, 5, "9")
            self._close(many)
        self.env.invalidate_all()
        with self.assertQueryCount(2):  # the upsert, "customer since"
            self.Kpi._refresh([self.vip.id])
        self.env.invalidate_all()
        with self.assertQueryCount(2):
            self.Kpi._refresh([self.core.id])
        self.assertEqual(self._row(self.vip)["ticket_count"], 1)
        self.assertEqual(self._row(self.core)["ticket_count"], 15)
        self.assertEqual(self._row(self.core)["csat_answer_count"], 5)
