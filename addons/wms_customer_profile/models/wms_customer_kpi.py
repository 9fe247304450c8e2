# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from datetime import timedelta
from typing import Any, NamedTuple

import pytz

from odoo import api, fields, models, tools
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

DEFAULT_WINDOW_DAYS = 365
WINDOW_PARAM = "wms_customer_profile.kpi_window_days"
LAST_FULL_REFRESH_PARAM = "wms_customer_profile.kpi_last_full_refresh"
# commercial partners refreshed per statement by the daily full refresh
REFRESH_BATCH_SIZE = 20000
# columns every KPI row has whatever the parts: no part may declare them
KPI_RESERVED_COLUMNS = frozenset(
    ("id", "partner_id", "company_id", "date_refreshed")
    + ("create_uid", "create_date", "write_uid", "write_date")
)


class KpiAggregate(NamedTuple):
    """One part of the KPI figures: what ``wms.customer.kpi._kpi_aggregates``
    returns a list of (a plain ``(sql, columns)`` tuple works as well).

    :param sql: a ``SELECT`` (``odoo.tools.SQL``) with one row per
        ``(partner_id, company_id)`` (commercial partner, company) and one
        column per key of ``columns``; other columns it selects are ignored
    :param columns: ``{column: empty value}``: the columns of
        ``wms_customer_kpi`` this part computes (a column belongs to one part
        only), each with the value a customer has when this part has no row
        for it: ``0`` for counts, ``None`` (NULL) for rates, averages, dates
    """

    sql: SQL
    columns: dict[str, Any]


class WmsCustomerKpi(models.Model):
    """KPIs of one commercial partner in one company: its deliveries', and
    those every other module adds (see ``_kpi_aggregates``).

    Rows are written by set-based SQL (see ``_refresh``), never by hand:
    the model is read-only for everybody in the UI and over RPC.
    """

    _name = "wms.customer.kpi"
    _description = "Customer Delivery KPI"
    _order = "company_id, partner_id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, ondelete="cascade", index=True
    )
    tier_id = fields.Many2one(
        "wms.customer.tier",
        string="Tier",
        compute="_compute_tier_id",
        search="_search_tier_id",
    )
    delivery_count = fields.Integer(string="Deliveries", readonly=True)
    on_time_count = fields.Integer(string="On Time", readonly=True)
    accurate_count = fields.Integer(string="Accurate", readonly=True)
    return_count = fields.Integer(string="Returned", readonly=True)
    on_time_rate = fields.Float(
        string="On-Time Rate (%)", readonly=True, digits=(5, 2), aggregator="avg"
    )
    accuracy_rate = fields.Float(
        string="Accuracy Rate (%)", readonly=True, digits=(5, 2), aggregator="avg"
    )
    return_rate = fields.Float(
        string="Return Rate (%)", readonly=True, digits=(5, 2), aggregator="avg"
    )
    last_delivery_date = fields.Datetime(readonly=True, aggregator="max")
    date_refreshed = fields.Datetime(
        string="Changed On",
        readonly=True,
        help="When these figures last changed. Every customer is recomputed "
        "daily; unchanged figures keep this date.",
    )

    _partner_company_uniq = models.Constraint(
        "UNIQUE(partner_id, company_id)",
        "There is one KPI row per customer and company.",
    )

    def _compute_tier_id(self):
        for kpi in self:
            kpi.tier_id = kpi.partner_id.with_company(kpi.company_id).wms_tier_id

    def _search_tier_id(self, operator, value):
        # the tier of the customer in each row's own company
        return self.env["res.partner"]._wms_tier_search_domain(
            "partner_id", operator, value
        )

    # ------------------------------------------------------------------
    # Refresh
    # ------------------------------------------------------------------
    @api.model
    def _get_last_full_refresh(self):
        value = (
            self.env["ir.config_parameter"].sudo().get_param(LAST_FULL_REFRESH_PARAM)
        )
        return fields.Datetime.to_datetime(value) if value else False

    @api.model
    def _get_window_days(self):
        value = self.env["ir.config_parameter"].sudo().get_param(WINDOW_PARAM)
        try:
            days = int(value) if value else DEFAULT_WINDOW_DAYS
        except ValueError:
            days = DEFAULT_WINDOW_DAYS
        return days if days > 0 else DEFAULT_WINDOW_DAYS

    @api.model
    def _delivery_sql(self, date_from, partner_ids=None, company_ids=None):
        """The deliveries of the rolling window, one row per picking.

        A delivery is a done outgoing picking that is not a return (a return
        to a vendor is outgoing too, but has ``return_id``), counted for the
        commercial partner of its contact. Every later WMS module uses this
        definition.
        """
        conditions = self._delivery_conditions(date_from, company_ids)
        joins, tz = self._tz_joins_sql()
        if partner_ids is not None:
            conditions.append(
                SQL("rp.commercial_partner_id = ANY(%s)", list(partner_ids))
            )
        return SQL(
            """
            SELECT p.id,
                   p.company_id,
                   rp.commercial_partner_id AS partner_id,
                   p.date_done,
                   p.date_deadline,
                   p.scheduled_date,
                   %s AS tz
              FROM stock_picking p
              JOIN stock_picking_type t ON t.id = p.picking_type_id
              JOIN res_partner rp ON rp.id = p.partner_id
              %s
             WHERE %s
            """,
            tz,
            joins,
            SQL(" AND ").join(conditions),
        )

    @api.model
    def _delivery_conditions(self, date_from=None, company_ids=None):
        """The conditions on a picking ``p`` and its type ``t`` that make it
        a delivery (see ``_delivery_sql``), for queries that aggregate
        deliveries without joining their partners."""
        conditions = [
            SQL("t.code = 'outgoing'"),
            SQL("p.state = 'done'"),
            SQL("p.return_id IS NULL"),
        ]
        if date_from is not None:
            conditions.append(SQL("p.date_done >= %s", date_from))
        if company_ids is not None:
            conditions.append(SQL("p.company_id = ANY(%s)", list(company_ids)))
        return conditions

    @api.model
    def _tz_sql(self, *columns):
        """The first timezone of ``columns`` that is known (see
        ``_valid_timezones``), else UTC: ``res.partner._wms_tz`` in SQL, given
        the address's, the commercial partner's and the company partner's
        ``tz``."""
        valid = sorted(self._valid_timezones())
        return SQL(
            "CASE %s ELSE 'UTC' END",
            SQL(" ").join(
                SQL("WHEN %s = ANY(%s) THEN %s", column, valid, column)
                for column in columns
            ),
        )

    @api.model
    def _tz_joins_sql(self, picking="p", address="rp"):
        """Joins giving the company partner ``comp`` of ``picking``, and the
        timezone of the deliveries to ``address`` (see ``_tz_sql``)."""
        return SQL(
            """
            JOIN res_partner tz_cp ON tz_cp.id = %(address)s.commercial_partner_id
            JOIN res_company tz_co ON tz_co.id = %(picking)s.company_id
            JOIN res_partner tz_comp ON tz_comp.id = tz_co.partner_id
            """,
            address=SQL.identifier(address),
            picking=SQL.identifier(picking),
        ), self._tz_sql(
            SQL.identifier(address, "tz"),
            SQL("tz_cp.tz"),
            SQL("tz_comp.tz"),
        )

    @api.model
    @tools.ormcache(cache="stable")
    def _valid_timezones(self):
        """Timezone names both PostgreSQL and pytz know (a partner's ``tz``
        may be stale): the statements here and ``res.partner._wms_tz`` skip
        the same names, so they pick the same timezone."""
        return frozenset(
            name
            for (name,) in self.env.execute_query(
                SQL("SELECT name FROM pg_timezone_names")
            )
            if name in pytz.all_timezones_set
        )

    @api.model
    def _aggregate_sql(self, date_from, partner_ids=None, company_ids=None):
        """One set-based statement: the delivery counts per (partner,
        company), ``partner_id, company_id, delivery_count, on_time_count,
        accurate_count, return_count, last_delivery_date``.

        The heart of the delivery part (``_delivery_kpi_aggregate``) and the
        floor the benchmark measures the refresh against.
        """
        return SQL(
            """
            WITH deliveries AS (%(deliveries)s),
            flags AS MATERIALIZED (
                SELECT d.partner_id,
                       d.company_id,
                       d.date_done,
                       CASE
                         WHEN d.date_deadline IS NOT NULL
                           THEN d.date_done <= d.date_deadline
                         ELSE ((d.date_done AT TIME ZONE 'UTC')
                                 AT TIME ZONE d.tz)::date
                              <= ((d.scheduled_date AT TIME ZONE 'UTC')
                                 AT TIME ZONE d.tz)::date
                       END AS on_time,
                       EXISTS (
                           SELECT 1 FROM stock_picking r
                            WHERE r.return_id = d.id AND r.state = 'done'
                       ) AS returned,
                       EXISTS (
                           SELECT 1 FROM stock_move m
                            WHERE m.picking_id = d.id
                              AND (m.state = 'cancel'
                                   OR m.quantity <> m.product_uom_qty)
                       ) AS move_issue,
                       EXISTS (
                           SELECT 1 FROM stock_picking b
                            WHERE b.backorder_id = d.id
                       ) AS backordered
                  FROM deliveries d
            )
            SELECT partner_id,
                   company_id,
                   count(*) AS delivery_count,
                   count(*) FILTER (WHERE on_time) AS on_time_count,
                   count(*) FILTER (
                       WHERE NOT returned AND NOT move_issue AND NOT backordered
                   ) AS accurate_count,
                   count(*) FILTER (WHERE returned) AS return_count,
                   max(date_done) AS last_delivery_date
              FROM flags
             GROUP BY partner_id, company_id
            """,
            deliveries=self._delivery_sql(date_from, partner_ids, company_ids),
        )

    @api.model
    def _delivery_kpi_aggregate(self, date_from, partner_ids=None, company_ids=None):
        """The delivery part of the KPIs (see ``_kpi_aggregates``): the counts
        of ``_aggregate_sql`` and their rates. A rate of no delivery is NULL
        (a customer known to another part only), so averages skip it."""
        return KpiAggregate(
            SQL(
                """
                SELECT d.*,
                       round(100.0 * d.on_time_count
                             / NULLIF(d.delivery_count, 0), 2) AS on_time_rate,
                       round(100.0 * d.accurate_count
                             / NULLIF(d.delivery_count, 0), 2) AS accuracy_rate,
                       round(100.0 * d.return_count
                             / NULLIF(d.delivery_count, 0), 2) AS return_rate
                  FROM (%s) d
                """,
                self._aggregate_sql(date_from, partner_ids, company_ids),
            ),
            {
                "delivery_count": 0,
                "on_time_count": 0,
                "accurate_count": 0,
                "return_count": 0,
                "on_time_rate": None,
                "accuracy_rate": None,
                "return_rate": None,
                "last_delivery_date": None,
            },
        )

    @api.model
    def _kpi_aggregates(self, date_from, partner_ids=None, company_ids=None):
        """The parts of the KPI figures, one per module: the hook a module
        extends (``super()``, then append its own part) to add columns to
        ``wms.customer.kpi`` that ``_refresh`` and ``_refresh_all`` fill.

        :param date_from: the first instant of the rolling window (naive UTC)
        :param partner_ids: commercial partner ids, None = every customer
        :param company_ids: company ids, None = every company
        :return: a list of ``KpiAggregate(sql, columns)``: ``sql`` one row
            per ``(partner_id, company_id)``, restricted to ``partner_ids``
            and ``company_ids`` when given; ``columns`` ``{column: value of a
            customer without a row in this part}`` (0 for counts, None for
            rates, averages and dates). The delivery part comes first.

        The parts are merged (``_merge_kpi_aggregates``): a customer has a row
        when any part has one for it, and loses it when none has. A module
        adds its fields to the model and its part here::

            @api.model
            def _kpi_aggregates(self, date_from, partner_ids=None, company_ids=None):
                return super()._kpi_aggregates(
                    date_from, partner_ids, company_ids
                ) + [
                    KpiAggregate(
                        self._ticket_sql(date_from, partner_ids, company_ids),
                        {"ticket_count": 0, "csat_rate": None},
                    )
                ]
        """
        return [self._delivery_kpi_aggregate(date_from, partner_ids, company_ids)]

    @api.model
    def _merge_kpi_aggregates(self, parts):
        """One aggregate of ``parts`` (``KpiAggregate`` or ``(sql, columns)``
        tuples, see ``_kpi_aggregates``): one row per ``(partner_id,
        company_id)`` of any part, with every part's columns, a part's empty
        value where it has no row for the key.

        :return: a ``KpiAggregate`` whose ``columns`` are those of every part
        :raise ValueError: no part, or a column declared twice or reserved
        """
        parts = [KpiAggregate(*part) for part in parts]
        if not parts:
            raise ValueError("The KPIs need at least one aggregate.")
        columns = {}
        for part in parts:
            for column, empty in part.columns.items():
                if column in columns or column in KPI_RESERVED_COLUMNS:
                    raise ValueError(
                        f"KPI column {column!r} is reserved or computed by two "
                        "aggregates."
                    )
                columns[column] = empty
        aliases = [f"kpi_part_{index}" for index in range(len(parts))]
        ctes = [
            SQL("%s AS (%s)", SQL.identifier(alias), part.sql)
            for alias, part in zip(aliases, parts, strict=True)
        ]
        if len(parts) == 1:
            # every key has its row: nothing to join, nothing to default
            keys, joins = aliases[0], SQL()
        else:
            keys = "kpi_keys"
            ctes.append(
                SQL(
                    "kpi_keys AS (%s)",
                    SQL(" UNION ").join(
                        SQL(
                            "SELECT partner_id, company_id FROM %s",
                            SQL.identifier(alias),
                        )
                        for alias in aliases
                    ),
                )
            )
            joins = SQL(" ").join(
                SQL(
                    """
                    LEFT JOIN %(part)s
                           ON %(part)s.partner_id = kpi_keys.partner_id
                          AND %(part)s.company_id = kpi_keys.company_id
                    """,
                    part=SQL.identifier(alias),
                )
                for alias in aliases
            )
        values = []
        for alias, part in zip(aliases, parts, strict=True):
            for column, empty in part.columns.items():
                value = SQL.identifier(alias, column)
                if empty is not None and len(parts) > 1:
                    value = SQL("COALESCE(%s, %s)", value, empty)
                values.append(SQL("%s AS %s", value, SQL.identifier(column)))
        return KpiAggregate(
            SQL(
                """
                WITH %(ctes)s
                SELECT %(partner)s AS partner_id, %(company)s AS company_id,
                       %(values)s
                  FROM %(keys)s %(joins)s
                """,
                ctes=SQL(", ").join(ctes),
                partner=SQL.identifier(keys, "partner_id"),
                company=SQL.identifier(keys, "company_id"),
                values=SQL(", ").join(values),
                keys=SQL.identifier(keys),
                joins=joins,
            ),
            columns,
        )

    @api.model
    def _merged_kpi_aggregate(self, date_from, partner_ids=None, company_ids=None):
        """Every module's KPI parts (``_kpi_aggregates``) merged into one."""
        return self._merge_kpi_aggregates(
            self._kpi_aggregates(date_from, partner_ids, company_ids)
        )

    @api.model
    def _write_sql(self, source, scope, columns, computed_at=None):
        """Upsert the rows of ``source`` (an aggregate) and delete the rows in
        ``scope`` that ``source`` no longer has, in one statement.

        :param source: SQL selecting ``partner_id, company_id`` and
            ``columns``, one row per key (``_merged_kpi_aggregate``)
        :param scope: SQL condition on the KPI rows ``k`` that ``source``
            covers
        :param columns: the KPI columns ``source`` gives (every part's);
            a row is rewritten only when one of them changes
        :param computed_at: when ``source`` was computed, if earlier: rows
            written since (a delivery validated meanwhile) are newer and kept
        """
        columns = list(columns)
        unknown = [
            column
            for column in columns
            if column not in self._fields or not self._fields[column].store
        ]
        if not columns or unknown:
            raise ValueError(
                f"KPI columns {unknown or columns!r} are not stored fields of "
                f"{self._name}."
            )
        now = fields.Datetime.now()
        if computed_at:
            # write dates have a one-second resolution: "<=" keeps the rows
            # written by this run's own earlier batches updatable
            upsert_fresh = SQL("AND wms_customer_kpi.write_date <= %s", computed_at)
            delete_fresh = SQL("AND k.write_date <= %s", computed_at)
        else:
            upsert_fresh = delete_fresh = SQL()
        names = SQL(", ").join(SQL.identifier(column) for column in columns)
        return SQL(
            """
            WITH agg AS (%(source)s),
            upsert AS (
                INSERT INTO wms_customer_kpi (
                    partner_id, company_id, %(names)s,
                    date_refreshed, create_uid, create_date, write_uid,
                    write_date)
                SELECT partner_id, company_id, %(names)s,
                       %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM agg
                ON CONFLICT (partner_id, company_id) DO UPDATE SET
                    %(updates)s,
                    date_refreshed = EXCLUDED.date_refreshed,
                    write_uid = EXCLUDED.write_uid,
                    write_date = EXCLUDED.write_date
                -- unchanged figures are not rewritten: the daily refresh
                -- touches only the customers whose window really moved
                WHERE (%(old)s) IS DISTINCT FROM (%(new)s)
                  %(upsert_fresh)s
            )
            DELETE FROM wms_customer_kpi k
             WHERE %(scope)s %(delete_fresh)s
               AND NOT EXISTS (
                   SELECT 1 FROM agg
                    WHERE agg.partner_id = k.partner_id
                      AND agg.company_id = k.company_id)
            """,
            source=source,
            names=names,
            updates=SQL(", ").join(
                SQL(
                    "%s = %s",
                    SQL.identifier(column),
                    SQL.identifier("excluded", column),
                )
                for column in columns
            ),
            old=SQL(", ").join(
                SQL.identifier("wms_customer_kpi", column) for column in columns
            ),
            new=SQL(", ").join(
                SQL.identifier("excluded", column) for column in columns
            ),
            scope=scope,
            upsert_fresh=upsert_fresh,
            delete_fresh=delete_fresh,
            now=now,
            uid=self.env.uid,
        )

    @api.model
    def _refresh(self, partner_ids, company_ids=None):
        """Recompute the KPI rows of commercial partners in a few statements
        (everybody at once is ``_refresh_all``).

        :param partner_ids: commercial partner ids
        :param company_ids: company ids; None = every company
        The number of queries does not depend on the number of partners or
        deliveries. Rows of partners that no part of the KPIs has figures
        for (no delivery left in the window, nor anything else) are removed
        (their KPIs read as zero).
        """
        if not partner_ids:
            return
        date_from = fields.Datetime.now() - timedelta(days=self._get_window_days())
        self.env.flush_all()
        scope = [SQL("k.partner_id = ANY(%s)", list(partner_ids))]
        if company_ids is not None:
            scope.append(SQL("k.company_id = ANY(%s)", list(company_ids)))
        aggregate = self._merged_kpi_aggregate(date_from, partner_ids, company_ids)
        # Raw SQL: the rows are derived figures, written in one statement for
        # every partner at once; the ORM would need one query per row.
        self.env.execute_query(
            self._write_sql(aggregate.sql, SQL(" AND ").join(scope), aggregate.columns)
        )
        self._fill_customer_since(SQL("todo.id = ANY(%s)", list(partner_ids)))
        self._invalidate_kpi_caches()

    def _invalidate_kpi_caches(self):
        self.invalidate_model()
        self.env["res.partner"].invalidate_model(
            self.env["res.partner"]._wms_kpi_field_names() + ["wms_customer_since"]
        )

    @api.model
    def _fill_customer_since(self, scope):
        """Set ``wms_customer_since`` where it is empty: the local date of the
        customer's first delivery (over all history, in every company).
        A date typed by hand is never overwritten.

        :param scope: SQL condition on ``todo.id``, the commercial partners
        """
        joins, tz = self._tz_joins_sql(picking="f", address="rp")
        # Raw SQL: one statement fills the date for every partner (and its
        # contacts, the field is synced from the commercial entity). The
        # first delivery is found per address and company first, and only
        # that one converted to a local date: within one time zone, the
        # first instant is on the first local day.
        self.env.execute_query(
            SQL(
                """
                WITH todo AS (
                    SELECT id FROM res_partner
                     WHERE wms_customer_since IS NULL
                       AND id = commercial_partner_id
                ),
                firsts AS (
                    SELECT rp.id AS address_id,
                           p.company_id,
                           min(p.date_done) AS first_done
                      FROM todo
                      JOIN res_partner rp ON rp.commercial_partner_id = todo.id
                      JOIN stock_picking p ON p.partner_id = rp.id
                      JOIN stock_picking_type t ON t.id = p.picking_type_id
                     WHERE %(deliveries)s AND %(scope)s
                  GROUP BY rp.id, p.company_id
                ),
                first AS (
                    SELECT rp.commercial_partner_id AS partner_id,
                           min(((f.first_done AT TIME ZONE 'UTC')
                                AT TIME ZONE %(tz)s)::date)
                               AS first_date
                      FROM firsts f
                      JOIN res_partner rp ON rp.id = f.address_id
                      %(joins)s
                  GROUP BY rp.commercial_partner_id
                )
                UPDATE res_partner rp
                   SET wms_customer_since = first.first_date
                  FROM first
                 WHERE rp.commercial_partner_id = first.partner_id
                   AND rp.wms_customer_since IS NULL
                """,
                scope=scope,
                joins=joins,
                tz=tz,
                deliveries=SQL(" AND ").join(self._delivery_conditions()),
            )
        )

    @api.model
    def _cron_refresh_kpi(self):
        """The daily scheduled action (``model._cron_refresh_kpi()``):
        recompute every customer, committing progress between batches."""
        return self._refresh_all(commit_progress=True)

    @api.model
    def _refresh_all(self, commit_progress=False):
        """Recompute every customer so the rolling window moves on.

        The aggregate of every part (``_merged_kpi_aggregate``) runs once,
        into a temporary table; its rows are then written in batches of
        commercial partners.

        :param commit_progress: commit after each batch (``ir.cron.
            _commit_progress``). Only the scheduled action's entry point
            passes it, never a context key: a caller's request must stay one
            transaction, which a failure rolls back whole.
        :return: the number of customers refreshed
        """
        computed_at = fields.Datetime.now()
        date_from = computed_at - timedelta(days=self._get_window_days())
        self.env.flush_all()
        # Raw SQL: a session-private work table, kept across the batch
        # commits of this cursor and dropped at the end.
        self.env.execute_query(SQL("DROP TABLE IF EXISTS wms_kpi_refresh"))
        aggregate = self._merged_kpi_aggregate(date_from)
        self.env.execute_query(
            SQL("CREATE TEMPORARY TABLE wms_kpi_refresh AS %s", aggregate.sql)
        )
        partner_ids = [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    """
                    SELECT partner_id FROM wms_kpi_refresh
                     UNION
                    SELECT partner_id FROM wms_customer_kpi
                     ORDER BY 1
                    """
                )
            )
        ]
        remaining = len(partner_ids)
        if commit_progress:
            self.env["ir.cron"]._commit_progress(remaining=remaining)
        for start in range(0, len(partner_ids), REFRESH_BATCH_SIZE):
            batch = partner_ids[start : start + REFRESH_BATCH_SIZE]
            low, high = batch[0], batch[-1]
            self.env.execute_query(
                self._write_sql(
                    SQL(
                        "SELECT * FROM wms_kpi_refresh"
                        " WHERE partner_id BETWEEN %s AND %s",
                        low,
                        high,
                    ),
                    SQL("k.partner_id BETWEEN %s AND %s", low, high),
                    aggregate.columns,
                    computed_at=computed_at,
                )
            )
            remaining -= len(batch)
            if commit_progress:
                self.env["ir.cron"]._commit_progress(len(batch), remaining=remaining)
        self.env.execute_query(SQL("DROP TABLE IF EXISTS wms_kpi_refresh"))
        # customers whose first delivery predates the window, or the module
        self._fill_customer_since(SQL("TRUE"))
        self.env["ir.config_parameter"].sudo().set_param(
            LAST_FULL_REFRESH_PARAM, fields.Datetime.to_string(fields.Datetime.now())
        )
        self._invalidate_kpi_caches()
        _logger.info("Refreshed the KPIs of %s customers", len(partner_ids))
        return len(partner_ids)
