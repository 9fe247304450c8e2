# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.rating.models.rating_data import RATING_LIMIT_SATISFIED
from odoo.addons.wms_customer_profile.models.res_partner import kpi_search
from odoo.addons.wms_customer_profile.models.wms_customer_kpi import KpiAggregate

from .rating_rating import NPS_VALUES

# NPS answers ('0'...'10') by group: 9-10 promote, 0-6 detract, 7-8 are passive
NPS_PROMOTERS = [value for value in NPS_VALUES if int(value) >= 9]
NPS_DETRACTORS = [value for value in NPS_VALUES if int(value) <= 6]

# wms.customer.kpi column -> its value for a customer without a ticket in the
# window: 0 for counts, None (NULL: no figure) for rates and averages
TICKET_KPI_COLUMNS = {
    "ticket_count": 0,
    "csat_answer_count": 0,
    "csat_rate": None,
    "nps_answer_count": 0,
    "nps": None,
    "avg_first_response_hours": None,
    "avg_resolution_hours": None,
    "sla_breach_rate": None,
}

# partner field -> wms.customer.kpi field (the current company's row)
TICKET_KPI_FIELDS = {
    "wms_ticket_count": "ticket_count",
    "wms_csat_answer_count": "csat_answer_count",
    "wms_csat_rate": "csat_rate",
    "wms_nps_answer_count": "nps_answer_count",
    "wms_nps": "nps",
    "wms_avg_first_response_hours": "avg_first_response_hours",
    "wms_avg_resolution_hours": "avg_resolution_hours",
    "wms_sla_breach_rate": "sla_breach_rate",
}

HOURS_DIGITS = (10, 2)
RATE_DIGITS = (5, 2)


class WmsCustomerKpi(models.Model):
    """The service-ticket part of the customer KPIs: volume, satisfaction
    (CSAT, NPS), response and resolution times, SLA breaches."""

    _inherit = "wms.customer.kpi"

    ticket_count = fields.Integer(
        string="Tickets",
        readonly=True,
        aggregator="sum",
        help="Service tickets of the customer created in the rolling window "
        "(archived tickets excluded).",
    )
    csat_answer_count = fields.Integer(
        string="CSAT Ratings",
        readonly=True,
        aggregator="sum",
        help="Ratings the customer gave on the tickets of the window.",
    )
    csat_rate = fields.Float(
        string="CSAT (%)",
        digits=RATE_DIGITS,
        readonly=True,
        aggregator="avg",
        help="Customer satisfaction: satisfied ratings (top smiley) out of the "
        "ratings given on the tickets of the window. Empty without a rating.",
    )
    nps_answer_count = fields.Integer(
        string="NPS Answers",
        readonly=True,
        aggregator="sum",
        help="Answers to the recommendation question (0-10) on the tickets of "
        "the window: an NPS of 0 from no answer is no NPS.",
    )
    nps = fields.Float(
        string="NPS",
        digits=RATE_DIGITS,
        readonly=True,
        aggregator="avg",
        help="Net Promoter Score, from -100 to 100: the share of promoters "
        "(9-10) minus the share of detractors (0-6), in %, over the answered "
        "questions of the tickets of the window. Empty without an answer.",
    )
    avg_first_response_hours = fields.Float(
        string="Avg. First Response (h)",
        digits=HOURS_DIGITS,
        readonly=True,
        aggregator="avg",
        help="Average time from a ticket's creation to the first answer sent "
        "to the customer, over the answered tickets of the window. Calendar "
        "hours: nights and weekends count, unlike the SLA's working hours.",
    )
    avg_resolution_hours = fields.Float(
        string="Avg. Resolution (h)",
        digits=HOURS_DIGITS,
        readonly=True,
        aggregator="avg",
        help="Average time from a ticket's creation to its closing, over the "
        "tickets of the window that are closed now (a reopened ticket counts "
        "again once closed). Calendar hours: nights and weekends count, "
        "unlike the SLA's working hours.",
    )
    sla_breach_rate = fields.Float(
        string="SLA Breach Rate (%)",
        digits=RATE_DIGITS,
        readonly=True,
        aggregator="avg",
        help="Breached tickets out of the tickets of the window that have an "
        "SLA. Empty when none has.",
    )

    @api.model
    def _kpi_aggregates(self, date_from, partner_ids=None, company_ids=None):
        return super()._kpi_aggregates(date_from, partner_ids, company_ids) + [
            KpiAggregate(
                self._ticket_kpi_sql(date_from, partner_ids, company_ids),
                dict(TICKET_KPI_COLUMNS),
            )
        ]

    @api.model
    def _ticket_kpi_sql(self, date_from, partner_ids=None, company_ids=None):
        """The ticket figures per (commercial partner, company), in one
        set-based statement: the tickets created since ``date_from`` that are
        not archived, and the ratings of these tickets.

        Rates are in % rounded to 2 decimals, NULL without a denominator
        (no rating, no NPS answer, no ticket with an SLA); averages are in
        calendar hours, NULL without a ticket to average.
        """
        conditions = [
            SQL("t.active"),
            SQL("t.commercial_partner_id IS NOT NULL"),
            SQL("t.company_id IS NOT NULL"),
            SQL("t.create_date >= %s", date_from),
        ]
        if partner_ids is not None:
            conditions.append(
                SQL("t.commercial_partner_id = ANY(%s)", list(partner_ids))
            )
        if company_ids is not None:
            conditions.append(SQL("t.company_id = ANY(%s)", list(company_ids)))
        return SQL(
            """
            WITH tickets AS (
                SELECT t.id,
                       t.commercial_partner_id AS partner_id,
                       t.company_id,
                       EXTRACT(EPOCH FROM t.wms_first_response_date - t.create_date)
                           / 3600 AS response_hours,
                       -- helpdesk_mgmt keeps the date of a reopened ticket
                       CASE WHEN s.closed
                            THEN EXTRACT(EPOCH FROM t.closed_date - t.create_date)
                                 / 3600
                       END AS resolution_hours,
                       COALESCE(t.wms_sla_state, 'none') AS sla_state
                  FROM helpdesk_ticket t
                  LEFT JOIN helpdesk_ticket_stage s ON s.id = t.stage_id
                 WHERE %(conditions)s
            ),
            figures AS (
                SELECT partner_id,
                       company_id,
                       count(*) AS ticket_count,
                       avg(response_hours) AS response_hours,
                       avg(resolution_hours) AS resolution_hours,
                       count(*) FILTER (WHERE sla_state = 'breached') AS breached,
                       count(*) FILTER (WHERE sla_state <> 'none') AS with_sla
                  FROM tickets
                 GROUP BY partner_id, company_id
            ),
            ratings AS (
                SELECT tk.partner_id,
                       tk.company_id,
                       count(*) FILTER (WHERE r.consumed) AS rated,
                       count(*) FILTER (
                           WHERE r.consumed AND r.rating >= %(satisfied)s
                       ) AS satisfied,
                       count(*) FILTER (WHERE r.wms_nps = ANY(%(answers)s))
                           AS answers,
                       count(*) FILTER (WHERE r.wms_nps = ANY(%(promoters)s))
                           AS promoters,
                       count(*) FILTER (WHERE r.wms_nps = ANY(%(detractors)s))
                           AS detractors
                  FROM tickets tk
                  JOIN rating_rating r
                    ON r.res_model = 'helpdesk.ticket' AND r.res_id = tk.id
                 GROUP BY tk.partner_id, tk.company_id
            )
            SELECT f.partner_id,
                   f.company_id,
                   f.ticket_count,
                   COALESCE(r.rated, 0) AS csat_answer_count,
                   round(100.0 * r.satisfied / NULLIF(r.rated, 0), 2) AS csat_rate,
                   COALESCE(r.answers, 0) AS nps_answer_count,
                   round(100.0 * (r.promoters - r.detractors)
                         / NULLIF(r.answers, 0), 2) AS nps,
                   round(f.response_hours::numeric, 2) AS avg_first_response_hours,
                   round(f.resolution_hours::numeric, 2) AS avg_resolution_hours,
                   round(100.0 * f.breached / NULLIF(f.with_sla, 0), 2)
                       AS sla_breach_rate
              FROM figures f
              LEFT JOIN ratings r
                ON r.partner_id = f.partner_id AND r.company_id = f.company_id
            """,
            conditions=SQL(" AND ").join(conditions),
            satisfied=RATING_LIMIT_SATISFIED,
            answers=list(NPS_VALUES),
            promoters=NPS_PROMOTERS,
            detractors=NPS_DETRACTORS,
        )


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    # the incremental KPI refresh reads the tickets of a few customers
    _wms_kpi_partner_idx = models.Index(
        "(commercial_partner_id, company_id, create_date) WHERE active"
    )


class ResPartner(models.Model):
    """The current company's ticket KPIs on the customer (and its contacts),
    computed and searched as the delivery KPIs of ``wms_customer_profile``."""

    _inherit = "res.partner"

    wms_ticket_count = fields.Integer(
        string="Tickets (KPI window)",
        compute="_compute_wms_kpi",
        search=kpi_search("wms_ticket_count"),
        help="Service tickets created in the KPI window (archived excluded).",
    )
    wms_csat_answer_count = fields.Integer(
        string="CSAT Ratings",
        compute="_compute_wms_kpi",
        search=kpi_search("wms_csat_answer_count"),
        help="Ratings given on the tickets of the KPI window.",
    )
    wms_csat_rate = fields.Float(
        string="CSAT (%)",
        digits=RATE_DIGITS,
        compute="_compute_wms_kpi",
        search=kpi_search("wms_csat_rate"),
        help="Satisfied ratings (top smiley) out of the ratings given on the "
        "tickets of the KPI window; 0 without a rating.",
    )
    wms_nps_answer_count = fields.Integer(
        string="NPS Answers",
        compute="_compute_wms_kpi",
        search=kpi_search("wms_nps_answer_count"),
        help="Answers to the recommendation question on the tickets of the KPI window.",
    )
    wms_nps = fields.Float(
        string="NPS",
        digits=RATE_DIGITS,
        compute="_compute_wms_kpi",
        search=kpi_search("wms_nps"),
        help="Net Promoter Score (-100 to 100): % promoters (9-10) minus % "
        "detractors (0-6) over the answers of the KPI window; 0 without an "
        "answer (see NPS Answers).",
    )
    wms_avg_first_response_hours = fields.Float(
        string="Avg. First Response (h)",
        digits=HOURS_DIGITS,
        compute="_compute_wms_kpi",
        search=kpi_search("wms_avg_first_response_hours"),
        help="Average calendar hours from a ticket's creation to the first "
        "answer to the customer, over the tickets of the KPI window.",
    )
    wms_avg_resolution_hours = fields.Float(
        string="Avg. Resolution (h)",
        digits=HOURS_DIGITS,
        compute="_compute_wms_kpi",
        search=kpi_search("wms_avg_resolution_hours"),
        help="Average calendar hours from a ticket's creation to its closing, "
        "over the closed tickets of the KPI window.",
    )
    wms_sla_breach_rate = fields.Float(
        string="SLA Breach Rate (%)",
        digits=RATE_DIGITS,
        compute="_compute_wms_kpi",
        search=kpi_search("wms_sla_breach_rate"),
        help="Breached tickets out of the tickets of the KPI window with an SLA.",
    )

    @api.model
    def _wms_kpi_fields(self):
        return {**super()._wms_kpi_fields(), **TICKET_KPI_FIELDS}
