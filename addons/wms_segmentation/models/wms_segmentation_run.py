# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
import socket
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from .res_partner import RFM_FIELDS

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "wms_customer_profile.wms_customer_profile_group_manager"
# first key of the advisory lock taken by a run ("WMSR"), the second is the company
LOCK_KEY = 0x574D5352
WRITE_BATCH = 5000
# score rows deleted per statement when pruning the history
PRUNE_BATCH = 50000
HISTORY_PARAM = "wms_segmentation.history_runs"
DEFAULT_HISTORY_RUNS = 8


class WmsSegmentationRun(models.Model):
    _name = "wms.segmentation.run"
    _description = "Segmentation Run"
    _order = "date_start desc, id desc"

    date_start = fields.Datetime(string="Started", readonly=True, index=True)
    date_end = fields.Datetime(string="Finished", readonly=True)
    duration = fields.Float(
        string="Duration (s)", digits=(16, 1), readonly=True, aggregator="avg"
    )
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        string="Status",
        default="running",
        required=True,
        readonly=True,
    )
    dry_run = fields.Boolean(
        string="Preview",
        readonly=True,
        help="A preview scores the customers and shows what would change, and "
        "changes no customer.",
    )
    customer_count = fields.Integer(string="Customers", readonly=True)
    change_count = fields.Integer(string="Tier Changes", readonly=True)
    error = fields.Text(readonly=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Started By",
        readonly=True,
        default=lambda self: self.env.user,
    )
    window_days = fields.Integer(string="Window (days)", readonly=True)
    monetary_mode = fields.Selection(
        [("invoice", "Invoiced amount"), ("quantity", "Delivered quantity")],
        string="Monetary Basis",
        readonly=True,
    )
    score_ids = fields.One2many("wms.rfm.score", "run_id", string="Scores")
    scores_pruned = fields.Boolean(
        string="Changes Only",
        readonly=True,
        help="An older run: only the scores of the customers whose tier it "
        "changed are kept (see the history setting).",
    )

    @api.depends("date_start", "dry_run")
    def _compute_display_name(self):
        for run in self:
            date = (
                fields.Datetime.context_timestamp(run, run.date_start).strftime(
                    "%Y-%m-%d %H:%M"
                )
                if run.date_start
                else ""
            )
            if run.dry_run:
                run.display_name = self.env._("Preview %(date)s", date=date)
            else:
                run.display_name = self.env._("Run %(date)s", date=date)

    # ------------------------------------------------------------------
    # actions
    # ------------------------------------------------------------------
    def action_run(self):
        """Run now: list header button (works without a selected record)."""
        return self._open_run(self.run_segmentation())

    def action_preview(self):
        return self._open_run(self.run_segmentation(dry_run=True))

    def _open_run(self, run_id):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run_id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def action_view_scores(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wms_segmentation.wms_rfm_score_action"
        )
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {"search_default_changed": 1}
        return action

    def action_view_migration(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wms_segmentation.wms_rfm_score_action_migration"
        )
        action["domain"] = [("run_id", "=", self.id)]
        action["display_name"] = self.env._(
            "Tier Migration: %(run)s", run=self.display_name
        )
        return action

    # ------------------------------------------------------------------
    # running
    # ------------------------------------------------------------------
    @api.model
    def _cron_run_segmentation(self):
        """Weekly scheduled action: a real run for every company, then the
        history pruning. The only entry point that runs "as the cron": it
        says so with an argument, never with the context."""
        for company in self.env["res.company"].search([]):
            try:
                self.with_company(company)._run_segmentation(False, in_cron=True)
            except UserError as error:
                _logger.warning("Segmentation of %s skipped: %s", company.name, error)
        self._prune_history(in_cron=True)

    @api.model
    def run_segmentation(self, dry_run=False):
        """Score the customers of the current company and, unless ``dry_run``,
        move their tiers. Customer Care managers only; returns the run's id.

        One run per company at a time: a second one fails at once.
        """
        if not (self.env.su or self.env.user.has_group(MANAGER_GROUP)):
            raise AccessError(
                self.env._("Only Customer Care managers can run the segmentation.")
            )
        return self._run_segmentation(bool(dry_run), in_cron=False).id

    @api.model
    def _run_segmentation(self, dry_run, in_cron):
        """Run for the current company under its lock.

        :param in_cron: True only from ``_cron_run_segmentation``: the run
            then commits as it goes (its scores first, then its changes)
        """
        company = self.env.company
        cr = self.env.cr
        # A cron commits as it goes: a transaction lock would go with the
        # first commit, so it takes a session lock and releases it below.
        lock = "pg_try_advisory_lock" if in_cron else "pg_try_advisory_xact_lock"
        cr.execute(SQL("SELECT %s(%s, %s)", SQL(lock), LOCK_KEY, company.id))
        if not cr.fetchone()[0]:
            raise UserError(
                self.env._(
                    "A segmentation of %(company)s is already in progress: "
                    "wait for it to finish, then try again.",
                    company=company.name,
                )
            )
        try:
            # sudo: the run reads every customer, delivery and invoice of the
            # company and writes tiers; the caller was checked before.
            return self.sudo().with_company(company)._run(dry_run, in_cron)
        finally:
            if in_cron:
                cr.execute(
                    SQL("SELECT pg_advisory_unlock(%s, %s)", LOCK_KEY, company.id)
                )

    def _settings(self):
        params = self.env["ir.config_parameter"].sudo()
        try:
            window = int(params.get_param("wms_segmentation.window_days", 365))
        except ValueError as error:
            raise UserError(
                self.env._(
                    "The segmentation settings hold a value that is not a number "
                    "of days (%(error)s): fix them in Settings › Customer Care.",
                    error=error,
                )
            ) from None
        mode = params.get_param("wms_segmentation.monetary_mode", "invoice")
        if mode not in ("invoice", "quantity"):
            mode = "invoice"
        return max(window, 1), mode

    @api.model
    def _run(self, dry_run, in_cron=False):
        """Create the run, score and (unless ``dry_run``) apply.

        A failure is recorded on the run, which then changed nothing (in a
        cron, its scores were committed before and are kept); a concurrency
        error (serialization failure, deadlock, lock not available) is raised
        again, so that Odoo retries the request or the cron.
        """
        window_days, mode = self._settings()
        start = fields.Datetime.now()
        self._close_interrupted_runs()
        run = self.create(
            {
                "date_start": start,
                "dry_run": dry_run,
                "company_id": self.env.company.id,
                "user_id": self.env.uid,
                "window_days": window_days,
                "monetary_mode": mode,
            }
        )
        try:
            if in_cron:
                with self.env.cr.savepoint():
                    run._compute_scores()
                # keep the scores even if applying them fails later
                self.env["ir.cron"]._commit_progress(run.customer_count)
                if not dry_run:
                    with self.env.cr.savepoint():
                        run._apply()
            else:
                # one transaction: a failure leaves neither scores nor changes
                with self.env.cr.savepoint():
                    run._compute_scores()
                    if not dry_run:
                        run._apply()
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise
        except Exception as error:
            _logger.exception("Segmentation run %s failed", run.id)
            self.env.invalidate_all()
            end = fields.Datetime.now()
            run.write(
                {
                    "state": "failed",
                    "error": str(error) or repr(error),
                    "date_end": end,
                    "duration": (end - start).total_seconds(),
                    **({} if in_cron else {"customer_count": 0, "change_count": 0}),
                }
            )
            return run
        end = fields.Datetime.now()
        run.write(
            {
                "state": "done",
                "date_end": end,
                "duration": (end - start).total_seconds(),
            }
        )
        return run

    @api.model
    def _close_interrupted_runs(self):
        """Runs of the current company still marked running were cut off (a
        cron committed its scores, then stopped): the company's lock, held
        by the caller, proves no run of it is under way. Mark them failed."""
        interrupted = self.search(
            [("company_id", "=", self.env.company.id), ("state", "=", "running")]
        )
        if interrupted:
            interrupted.write(
                {
                    "state": "failed",
                    "error": self.env._(
                        "Interrupted before it finished: no customer was changed "
                        "by the part that did not run."
                    ),
                    "date_end": fields.Datetime.now(),
                }
            )

    @api.model
    def _scores_sql(self, company, today, window_start, monetary_mode):
        """R, F, M figures and their 1-5 quintile scores of every active
        customer of ``company``: one SELECT (partner_id, recency_days,
        frequency, monetary, r_score, f_score, m_score), the heart of a run
        and the floor the benchmark measures runs against.

        :param today: the run's local date in the company's time zone
        :param window_start: the window's first instant (naive UTC): local
            midnight of its first day
        """
        Kpi = self.env["wms.customer.kpi"]
        Partner = self.env["res.partner"]
        tz = company.partner_id._wms_tz(company)
        # The deliveries as wms_customer_profile defines them, by the contact
        # they went to (not joined to partners: one lookup per contact below).
        deliveries = SQL(
            """
            SELECT p.partner_id, p.date_done
              FROM stock_picking p
              JOIN stock_picking_type t ON t.id = p.picking_type_id
             WHERE p.partner_id IS NOT NULL AND %s
            """,
            SQL(" AND ").join(Kpi._delivery_conditions(company_ids=[company.id])),
        )
        if monetary_mode == "quantity":
            # quantities in each product's own unit (1 kg and 500 g: 1.5 kg)
            monetary = SQL(
                """
                SELECT rp.commercial_partner_id AS partner_id,
                       SUM(sm.quantity * mu.factor / pu.factor) AS monetary
                  FROM stock_move sm
                  JOIN stock_picking p ON p.id = sm.picking_id
                  JOIN stock_picking_type t ON t.id = p.picking_type_id
                  JOIN res_partner rp ON rp.id = p.partner_id
                  JOIN uom_uom mu ON mu.id = sm.product_uom
                  JOIN product_product pp ON pp.id = sm.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  JOIN uom_uom pu ON pu.id = pt.uom_id
                 WHERE sm.state = 'done' AND %s
                 GROUP BY rp.commercial_partner_id
                """,
                SQL(" AND ").join(Kpi._delivery_conditions(window_start, [company.id])),
            )
        else:
            # invoice dates are local dates already
            monetary = SQL(
                """
                SELECT m.commercial_partner_id AS partner_id,
                       SUM(m.amount_untaxed_signed) AS monetary
                  FROM account_move m
                 WHERE m.state = 'posted'
                   AND m.move_type IN ('out_invoice', 'out_refund')
                   AND m.company_id = %(company)s
                   AND COALESCE(m.invoice_date, m.date) >= %(start)s
                 GROUP BY m.commercial_partner_id
                """,
                company=company.id,
                start=Partner._wms_local_date(window_start, tz),
            )
        return SQL(
            """
                WITH customers AS (
                    -- per contact first, then per commercial partner: one
                    -- partner lookup per contact, not one per delivery;
                    -- archived customers are not scored
                    SELECT rp.commercial_partner_id AS partner_id,
                           %(today)s::date - ((MAX(d.last_done) AT TIME ZONE 'UTC')
                                              AT TIME ZONE %(tz)s)::date
                               AS recency_days,
                           SUM(d.frequency)::int AS frequency
                      FROM (
                          SELECT d.partner_id AS contact_id,
                                 MAX(d.date_done) AS last_done,
                                 COUNT(*) FILTER (
                                     WHERE d.date_done >= %(start)s
                                 ) AS frequency
                            FROM (%(deliveries)s) d
                           GROUP BY d.partner_id
                      ) d
                      JOIN res_partner rp ON rp.id = d.contact_id
                      JOIN res_partner cp ON cp.id = rp.commercial_partner_id
                     WHERE cp.active
                     GROUP BY rp.commercial_partner_id
                ),
                figures AS (
                    SELECT c.partner_id, c.recency_days, c.frequency,
                           CASE WHEN c.frequency > 0
                                THEN COALESCE(mo.monetary, 0) ELSE 0
                           END AS monetary
                      FROM customers c
                      LEFT JOIN (%(monetary)s) mo ON mo.partner_id = c.partner_id
                ),
                scored AS (
                    -- no delivery in the window: R = F = M = 1; no value in
                    -- the window: M = 1; the others by quintile among
                    -- themselves (ties share the higher score)
                    SELECT f.*,
                           CASE WHEN f.frequency > 0 THEN ceil(5 * cume_dist() OVER (
                               PARTITION BY f.frequency > 0
                               ORDER BY f.recency_days DESC))::int ELSE 1
                           END AS r_score,
                           CASE WHEN f.frequency > 0 THEN ceil(5 * cume_dist() OVER (
                               PARTITION BY f.frequency > 0
                               ORDER BY f.frequency))::int ELSE 1
                           END AS f_score,
                           CASE WHEN f.frequency > 0 AND f.monetary > 0
                                THEN ceil(5 * cume_dist() OVER (
                                    PARTITION BY f.frequency > 0 AND f.monetary > 0
                                    ORDER BY f.monetary))::int ELSE 1
                           END AS m_score
                      FROM figures f
                )
                SELECT * FROM scored
            """,
            today=today,
            tz=tz,
            start=window_start,
            deliveries=deliveries,
            monetary=monetary,
        )

    def _local_today(self):
        """The run's date in its company's time zone, and that zone."""
        self.ensure_one()
        Partner = self.env["res.partner"]
        tz = self.company_id.partner_id._wms_tz(self.company_id)
        return Partner._wms_local_date(self.date_start, tz), tz

    def _compute_scores(self):
        """Score every customer of the run's company in one statement."""
        self.ensure_one()
        self.env.flush_all()
        company = self.company_id
        today, tz = self._local_today()
        # local midnight of the window's first day, as naive UTC
        zone = pytz.timezone(tz)
        window_start = (
            zone.localize(
                datetime.combine(today - timedelta(days=self.window_days), time.min)
            )
            .astimezone(pytz.utc)
            .replace(tzinfo=None)
        )
        key = str(company.id)
        scores = self._scores_sql(company, today, window_start, self.monetary_mode)
        Partner = self.env["res.partner"].with_company(company)
        fallback = Partner._fields["wms_tier_id"].get_company_dependent_fallback(
            Partner
        )
        # The planner's cost estimate for this one statement turns JIT
        # compilation on, which costs more (seconds) than it saves here; its
        # three rankings sort every customer, in memory rather than on disk.
        self.env.cr.execute("SET LOCAL jit = off")
        self.env.cr.execute("SET LOCAL work_mem = '64MB'")
        self.env.execute_query(
            SQL(
                """
                WITH scored AS (%(scores)s),
                placed AS (
                    SELECT s.*,
                           COALESCE((p.wms_tier_id ->> %(key)s)::int, %(fallback)s)
                               AS tier_before,
                           COALESCE((p.wms_tier_locked ->> %(key)s)::boolean, FALSE)
                               AS locked,
                           p.wms_customer_since AS customer_since
                      FROM scored s
                      JOIN res_partner p ON p.id = s.partner_id
                ),
                targeted AS (
                    SELECT pl.*, rule.id AS rule_id, rule.tier_id AS target
                      FROM placed pl
                      LEFT JOIN LATERAL (
                          SELECT r.id, r.tier_id
                            FROM wms_segmentation_rule r
                           WHERE r.active
                             AND (r.company_id IS NULL OR r.company_id = %(company)s)
                             AND pl.r_score BETWEEN r.r_min AND r.r_max
                             AND pl.f_score BETWEEN r.f_min AND r.f_max
                             AND pl.m_score BETWEEN r.m_min AND r.m_max
                             AND (COALESCE(r.customer_since_days, 0) = 0
                                  OR pl.customer_since
                                     > %(today)s::date - r.customer_since_days)
                             AND (NOT EXISTS (
                                     SELECT 1
                                       FROM wms_segmentation_rule_previous_tier_rel x
                                      WHERE x.rule_id = r.id)
                                  OR EXISTS (
                                     SELECT 1
                                       FROM wms_segmentation_rule_previous_tier_rel x
                                      WHERE x.rule_id = r.id
                                        AND x.tier_id = pl.tier_before))
                           ORDER BY r.sequence, r.id
                           LIMIT 1
                      ) rule ON TRUE
                )
                INSERT INTO wms_rfm_score (
                    run_id, company_id, run_date, dry_run, partner_id,
                    recency_days, frequency, monetary,
                    r_score, f_score, m_score, rfm_code,
                    rule_id, locked, tier_before_id, tier_after_id, changed
                )
                SELECT %(run)s, %(company)s, %(run_date)s, %(dry_run)s, t.partner_id,
                       t.recency_days, t.frequency, t.monetary,
                       t.r_score, t.f_score, t.m_score,
                       t.r_score::text || t.f_score::text || t.m_score::text,
                       t.rule_id, t.locked, t.tier_before,
                       CASE WHEN t.locked OR t.target IS NULL
                            THEN t.tier_before ELSE t.target END,
                       NOT t.locked AND t.target IS NOT NULL
                           AND t.target IS DISTINCT FROM t.tier_before
                  FROM targeted t
                """,
                today=today,
                scores=scores,
                key=key,
                fallback=fallback.id or None,
                company=company.id,
                run=self.id,
                run_date=self.date_start,
                dry_run=self.dry_run,
            )
        )
        self.env.cr.execute("RESET jit")
        self.env.cr.execute("RESET work_mem")
        [(customers, changes)] = self.env.execute_query(
            SQL(
                "SELECT COUNT(*), COUNT(*) FILTER (WHERE changed) "
                "FROM wms_rfm_score WHERE run_id = %s",
                self.id,
            )
        )
        self.write({"customer_count": customers, "change_count": changes})
        self.env["wms.rfm.score"].invalidate_model()

    def _apply(self):
        """Write the run's scores and tiers onto the customers."""
        self.ensure_one()
        self._write_rfm_fields()
        self._write_tiers()

    def _write_rfm_fields(self):
        """The partners' current RFM figures, for the run's company, in one
        UPDATE (company-dependent fields are JSON objects keyed by company) of
        the partners whose figures differ."""
        Partner = self.env["res.partner"]
        Partner.flush_model(RFM_FIELDS)
        key = str(self.company_id.id)
        values = {
            "wms_rfm_recency_days": SQL("s.recency_days"),
            "wms_rfm_frequency": SQL("s.frequency"),
            "wms_rfm_monetary": SQL("s.monetary"),
            "wms_rfm_r": SQL("s.r_score"),
            "wms_rfm_f": SQL("s.f_score"),
            "wms_rfm_m": SQL("s.m_score"),
            "wms_rfm_code": SQL("s.rfm_code"),
            "wms_rfm_date": SQL("%s::text", self._local_today()[0]),
        }
        differs = SQL(" OR ").join(
            SQL("(p.%s -> %s) IS DISTINCT FROM to_jsonb(%s)", SQL.identifier(f), key, v)
            for f, v in values.items()
        )
        assignments = SQL(", ").join(
            SQL(
                "%s = COALESCE(p.%s, '{}'::jsonb) || jsonb_build_object(%s, %s)",
                SQL.identifier(fname),
                SQL.identifier(fname),
                key,
                value,
            )
            for fname, value in values.items()
        )
        self.env.execute_query(
            SQL(
                """
                UPDATE res_partner p
                   SET %s
                  FROM wms_rfm_score s
                 WHERE s.run_id = %s AND p.id = s.partner_id AND (%s)
                """,
                assignments,
                self.id,
                differs,
            )
        )
        Partner.invalidate_model(RFM_FIELDS)

    def _write_tiers(self):
        """Move the tiers that change, through the ORM, grouped by new tier,
        with the chatter line of each change.

        The ORM write keeps what hangs on a partner's tier working (contacts
        follow their company, computed fields, other modules' overrides).
        The tracking is logged per batch, as mail's tracking logs it one
        record at a time (see ``_log_tier_tracking``).
        """
        rows = self.env.execute_query(
            SQL(
                """
                SELECT tier_after_id, ARRAY_AGG(partner_id ORDER BY partner_id)
                  FROM wms_rfm_score
                 WHERE run_id = %s AND changed
                 GROUP BY tier_after_id
                """,
                self.id,
            )
        )
        track = not self.env.context.get("tracking_disable")
        Partner = (
            self.env["res.partner"]
            .with_company(self.company_id)
            .with_context(
                tracking_disable=True, wms_segmentation_contacts_included=True
            )
        )
        for tier_id, partner_ids in rows:
            for index in range(0, len(partner_ids), WRITE_BATCH):
                ids = partner_ids[index : index + WRITE_BATCH]
                # the contacts Odoo would copy the company's tier to
                # (_commercial_sync_to_descendants), in the same write
                contacts = Partner.search(
                    [("commercial_partner_id", "in", ids), ("id", "not in", ids)],
                    order="id",
                )
                batch = Partner.browse(ids) | contacts
                batch.write({"wms_tier_id": tier_id or False})
                self.env.flush_all()
                self.env.invalidate_all()
        if track:
            self._log_tier_tracking()
        self._notify_falls()

    def _log_tier_tracking(self):
        """The "Customer Tier: A → B" chatter line of each changed customer,
        exactly as mail's tracking writes it, in two statements.

        Mail makes the first changed customer's line itself (the values of
        ``_mail_track``, the message of ``_message_log_batch``: what
        ``_message_track`` does for one record). Every other line is a copy
        of its rows, column by column (other modules' columns included),
        with its own customer, Message-ID and tier values, the latter as
        ``_mail_track`` gives them for its pair of tiers. A test compares the
        rows with those of a tier changed by hand.
        """
        rows = self.env.execute_query(
            SQL(
                """
                SELECT partner_id, tier_before_id, tier_after_id
                  FROM wms_rfm_score
                 WHERE run_id = %s AND changed
                 ORDER BY partner_id
                """,
                self.id,
            )
        )
        if not rows:
            return
        Partner = self.env["res.partner"].with_company(self.company_id)
        Tier = self.env["wms.customer.tier"]
        Message = self.env["mail.message"].sudo()
        TrackingValue = self.env["mail.tracking.value"].sudo()
        tracked = Partner.fields_get(
            ["wms_tier_id"],
            attributes=("string", "type", "selection", "currency_field"),
        )
        # the tracking values of each pair of tiers, as mail computes them
        # (a partner already holds its new tier)
        pair_values = {}
        for partner_id, before, after in rows:
            if (before, after) not in pair_values:
                _changes, commands = Partner.browse(partner_id)._mail_track(
                    tracked, {"wms_tier_id": Tier.browse(before)}
                )
                [values] = [values for _command, _id, values in commands]
                pair_values[before, after] = values
        # the first line, by mail itself
        first_id, first_before, first_after = rows[0]
        message = Partner.browse(first_id)._message_log_batch({first_id: ""})
        tracking = TrackingValue.create(
            dict(pair_values[first_before, first_after], mail_message_id=message.id)
        )
        self.env.flush_all()
        if len(rows) > 1:
            self._copy_tracking_lines(message, tracking, rows[1:], pair_values)
        Message.invalidate_model()
        TrackingValue.invalidate_model()
        Partner.invalidate_model(["message_ids"])

    def _copy_tracking_lines(self, message, tracking, rows, pair_values):
        """Copy ``message`` and its ``tracking`` value onto the partners of
        ``rows`` (partner, tier before, tier after), with the tracking values
        of their pair of tiers: see ``_log_tier_tracking``."""

        def columns(records, skip):
            return [
                name
                for name, field in records._fields.items()
                if field.store and field.column_type and name not in skip
            ]

        message_columns = columns(message, {"id", "res_id", "message_id"})
        value_keys = sorted(next(iter(pair_values.values())))
        tracking_columns = columns(tracking, {"id", "mail_message_id", *value_keys})
        pairs = SQL(", ").join(
            SQL(
                "(%s::int, %s::int, %s)",
                before,
                after,
                SQL(", ").join(
                    SQL(
                        "%s::%s",
                        tracking._fields[key].convert_to_column(values[key], tracking),
                        SQL(tracking._fields[key].column_type[1]),
                    )
                    for key in value_keys
                ),
            )
            for (before, after), values in pair_values.items()
        )
        ident = SQL.identifier
        # Raw SQL: copies of rows mail has just written, a statement per table
        # for the whole run instead of two ORM creates per customer
        self.env.execute_query(
            SQL(
                """
                WITH changes AS (
                    SELECT * FROM unnest(%(partners)s::int[], %(befores)s::int[],
                                         %(afters)s::int[])
                        AS c(partner_id, tier_before, tier_after)
                ),
                pairs (tier_before, tier_after, %(value_columns)s) AS (
                    VALUES %(pairs)s
                ),
                messages AS (
                    INSERT INTO mail_message (%(message_columns)s, res_id, message_id)
                    SELECT %(message_values)s, c.partner_id,
                           format('<%%s.%%s-openerp-message-notify@%%s>',
                                  lpad((random() * 1e15)::bigint::text, 15, '0'),
                                  to_char(extract(epoch FROM clock_timestamp()),
                                          'FM9999999999.000000000000000'),
                                  %(host)s)
                      FROM mail_message m, changes c
                     WHERE m.id = %(message)s
                    RETURNING id, res_id
                )
                INSERT INTO mail_tracking_value (%(tracking_columns)s,
                                                 mail_message_id, %(value_columns)s)
                SELECT %(tracking_values)s, msg.id, %(pair_values)s
                  FROM messages msg
                  JOIN changes c ON c.partner_id = msg.res_id
                  JOIN pairs p ON p.tier_before IS NOT DISTINCT FROM c.tier_before
                              AND p.tier_after IS NOT DISTINCT FROM c.tier_after,
                       mail_tracking_value tv
                 WHERE tv.id = %(tracking)s
                """,
                partners=[row[0] for row in rows],
                befores=[row[1] for row in rows],
                afters=[row[2] for row in rows],
                value_columns=SQL(", ").join(ident(key) for key in value_keys),
                pairs=pairs,
                message_columns=SQL(", ").join(ident(c) for c in message_columns),
                message_values=SQL(", ").join(ident("m", c) for c in message_columns),
                host=socket.gethostname(),
                message=message.id,
                tracking_columns=SQL(", ").join(ident(c) for c in tracking_columns),
                tracking_values=SQL(", ").join(
                    ident("tv", c) for c in tracking_columns
                ),
                pair_values=SQL(", ").join(ident("p", key) for key in value_keys),
                tracking=tracking.id,
            )
        )

    def _notify_falls(self):
        """One activity for the account manager of each customer who fell to
        churn risk or out of VIP in this run (none if one is already open).
        Its deadline is a date in the account manager's time zone."""
        churn = self.env.ref(
            "wms_customer_profile.tier_churn_risk", raise_if_not_found=False
        )
        vip = self.env.ref("wms_customer_profile.tier_vip", raise_if_not_found=False)
        activity_type = self.env.ref(
            "wms_segmentation.mail_activity_type_tier_drop", raise_if_not_found=False
        )
        if not activity_type or not (churn or vip):
            return
        rows = self.env.execute_query(
            SQL(
                """
                SELECT s.partner_id, p.wms_account_manager_id,
                       s.tier_before_id, s.tier_after_id
                  FROM wms_rfm_score s
                  JOIN res_partner p ON p.id = s.partner_id
                  JOIN res_users u ON u.id = p.wms_account_manager_id AND u.active
                 WHERE s.run_id = %(run)s AND s.changed
                   AND (s.tier_after_id = %(churn)s OR s.tier_before_id = %(vip)s)
                   AND NOT EXISTS (
                       SELECT 1 FROM mail_activity a
                        WHERE a.res_model = 'res.partner'
                          AND a.res_id = s.partner_id
                          AND a.activity_type_id = %(type)s
                          AND a.active)
                """,
                run=self.id,
                churn=churn.id if churn else None,
                vip=vip.id if vip else None,
                type=activity_type.id,
            )
        )
        if not rows:
            return
        tiers = self.env["wms.customer.tier"].browse(
            ({row[2] for row in rows} | {row[3] for row in rows}) - {None}
        )
        Partner = self.env["res.partner"]
        company_tz = self.company_id.partner_id._wms_tz(self.company_id)
        now = fields.Datetime.now()
        model_id = self.env["ir.model"]._get_id("res.partner")
        vals_list = []
        names_by_lang = {}
        for partner_id, user_id, before, after in rows:
            user = self.env["res.users"].browse(user_id)
            lang = user.lang
            if lang not in names_by_lang:
                names_by_lang[lang] = {
                    t.id: t.name for t in tiers.with_context(lang=lang)
                }
            names = names_by_lang[lang]
            summary = self.with_context(lang=lang).env._(
                "Tier fell from %(before)s to %(after)s",
                before=names.get(before, "-"),
                after=names.get(after, "-"),
            )
            today = Partner._wms_local_date(now, Partner._wms_user_tz(user, company_tz))
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": partner_id,
                    "activity_type_id": activity_type.id,
                    "user_id": user_id,
                    "summary": summary,
                    "date_deadline": today + timedelta(days=activity_type.delay_count),
                }
            )
        # quick update: no e-mail per activity to the account managers
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
            vals_list
        )

    # ------------------------------------------------------------------
    # history
    # ------------------------------------------------------------------
    @api.model
    def _history_runs(self):
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(HISTORY_PARAM, DEFAULT_HISTORY_RUNS)
        )
        try:
            return max(int(value), 1)
        except ValueError:
            return DEFAULT_HISTORY_RUNS

    @api.model
    def _prune_history(self, in_cron=False):
        """Keep every score of the last runs of each company (and of its last
        previews), and only the changed scores of older ones, which the tier
        migration of those runs needs. Deletes in batches; a cron commits
        between them.

        :return: the number of score rows deleted
        """
        self.env.flush_all()
        run_ids = [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    """
                    SELECT id FROM (
                        SELECT id, scores_pruned, row_number() OVER (
                                   PARTITION BY company_id, dry_run
                                   ORDER BY date_start DESC, id DESC) AS position
                          FROM wms_segmentation_run
                         WHERE state != 'running'
                    ) ranked
                     WHERE position > %s AND NOT COALESCE(scores_pruned, FALSE)
                     ORDER BY id
                    """,
                    self._history_runs(),
                )
            )
        ]
        deleted = 0
        for run_id in run_ids:
            while True:
                # Raw SQL: derived rows deleted in bulk; nothing hangs on them
                count = self.env.execute_query(
                    SQL(
                        """
                        DELETE FROM wms_rfm_score
                         WHERE id IN (
                             SELECT id FROM wms_rfm_score
                              WHERE run_id = %s AND NOT changed
                              LIMIT %s)
                        RETURNING 1
                        """,
                        run_id,
                        PRUNE_BATCH,
                    )
                )
                deleted += len(count)
                if len(count) < PRUNE_BATCH:
                    break
                if in_cron and self.env["ir.cron"]._commit_progress(len(count)) <= 0:
                    return deleted  # out of time: the next week goes on
            self.env.execute_query(
                SQL(
                    "UPDATE wms_segmentation_run SET scores_pruned = TRUE "
                    "WHERE id = %s",
                    run_id,
                )
            )
            if in_cron:
                self.env["ir.cron"]._commit_progress()
        self.env["wms.rfm.score"].invalidate_model()
        self.invalidate_model(["scores_pruned"])
        if deleted:
            _logger.info(
                "Segmentation history: %s unchanged scores of %s runs removed",
                deleted,
                len(run_ids),
            )
        return deleted
