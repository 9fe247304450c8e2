"""Benchmark of wms_segmentation at scale: two real segmentation runs.

    python3 tests/benchmarks/bench_segmentation.py --config ODOO_CONF \
        --database DB [--customers 100000] [--deliveries 1000000] \
        [--addresses 25] [--runs 3] [--explain] [--smoke]

DB must have the add-ons of ``MODULES`` installed (no demo data) and be
dedicated to this script: ``tests/run --benchmarks`` creates and drops one.
Unlike the other benchmarks, this one COMMITS what it makes (the generated
data, the two runs): the runs must see committed, vacuumed tables, as the
weekly scheduled action does. Use a throwaway database; the script refuses a
database that already holds its data. ``--smoke``: 200 customers, 2,000
deliveries, one run of the bare statement, EXPLAIN included (``tests/run``
runs it), the goals not judged.

1. Data, with set-based SQL (foreign-key triggers off while loading, then
   checked), committed, then ``VACUUM ANALYZE``: ``--customers`` companies
   (commercial partners, customers for years: nobody is "new", and without a
   tier); ``--addresses`` % of them have a delivery address (a child contact
   that follows its company's tier) which receives half of their deliveries;
   1 in 10 has an account manager. ``--deliveries`` done deliveries of the
   warehouse's outgoing type over the last two years, with a skewed frequency
   (customer k gets a share ~ 1/sqrt(k)); 1 customer in 8 has lapsed for
   120-500 days. One posted customer invoice per delivery (2 % are credit
   notes), amounts scaled per customer. No stock moves: the "delivered
   quantity" monetary mode is not measured, the default "invoiced amount" is.
2. Run 1: ``run_segmentation()`` as superuser (a manager's run, not the
   cron's: nothing marks it as the cron), with chatter tracking (the
   "Customer Tier: A -> B" messages) and the activities of ``_notify_falls``;
   every scored customer changes tier (none had one). Timed with the flush
   of the ORM, then committed (commit timed apart).
3. 1 % of the customers get two deliveries (and invoices) in the last day;
   committed; ``VACUUM ANALYZE`` of the tables the run touched (what a week of
   autovacuum does between two weekly runs).
4. Run 2, timed like run 1: the steady weekly run, few tiers change.
5. The floor: one bare SQL statement computing the same R/F/M figures and
   quintile scores (``_scores_sql``, the statement ``_compute_scores``
   wraps with rules, partner lookup and insert) with a ``SELECT count(*)`` (and
   the score sums, so that no score is skipped) over them, no rule, no
   insert, called with the arguments run 2 called it with; median of
   ``--runs`` runs on the run 2 data (PostgreSQL's settings as they are: JIT,
   parallel workers), and one more without JIT; its sums checked against run
   2's scores (a sanity check).

Prints one ``name=value`` figure per line: per run the seconds, the queries,
the customers scored and the tier changes, and the time of each phase
(``_compute_scores``, ``_write_rfm_fields``, the ORM tier writes of
``_write_tiers``, of which the contacts' sync, ``_log_tier_tracking`` where
the module has it, ``_notify_falls``, the rest), measured by wrapping those
methods in this process; the slowest statements; the bare statement; the
ratio run 2 / bare (goal <= 3), run 1 (goal < 60 s), the peak RSS of the
process (goal < 1 GB); then a summary. ``--explain`` (or a missed time
goal) adds ``EXPLAIN (ANALYZE, BUFFERS)`` of the bare statement and of run
2's scoring INSERT (replayed in a savepoint rolled back), and that INSERT
timed again with and without PostgreSQL's JIT compilation.

It is a measurement, not a test: a missed goal does not fail it, a failed
sanity check (a run that is not done, bare scores that differ from run 2's,
dangling references in the generated data) does (exit 1).
"""

import contextlib
import re

from odoo.sql_db import db_connect
from odoo.tools import SQL

import benchlib
from benchlib import Stopwatch, say

MODULES = ["wms_segmentation"]
SMOKE_SIZES = {"customers": 200, "deliveries": 2000, "runs": 1}
GOAL_RATIO = 3.0
GOAL_RUN1_S = 60.0
GOAL_MAXRSS_MB = 1024.0
SPAN_DAYS = 730  # deliveries over the last two years
SCORING_INSERT = re.compile(r"INSERT\s+INTO\s+\"?wms_rfm_score\b", re.IGNORECASE)
RUN_TABLES = (
    "res_partner",
    "stock_picking",
    "account_move",
    "wms_rfm_score",
    "wms_segmentation_run",
    "mail_message",
    "mail_tracking_value",
    "mail_activity",
)
# --------------------------------------------------------------------------
# Data generation: one statement per step, no ORM per record. Ids come from
# the tables' sequences into temporary tables, so later steps refer to them.
# --------------------------------------------------------------------------
GENERATION = [
    (
        "customer plan",
        # scale: the customer's typical invoice (20 to 400); lapse: days
        # since its last possible delivery (1 in 8 has lapsed)
        """
        CREATE TEMPORARY TABLE bench_customer AS
        SELECT g AS n, nextval('res_partner_id_seq') AS id,
               exp(3 + 3 * random()) AS scale,
               CASE WHEN g %% 8 = 3 THEN 120 + floor(380 * random())
                    ELSE 0 END AS lapse_days
          FROM generate_series(1, %(customers)s) g
        """,
    ),
    (
        "customers",
        """
        INSERT INTO res_partner (
            id, commercial_partner_id, name, complete_name, ref, is_company,
            active, type, lang, email, color, partner_share,
            wms_customer_since, wms_account_manager_id,
            create_uid, create_date, write_uid, write_date __NOT_NULL_COLUMNS__)
        SELECT c.id, c.id,
               'Bench Customer ' || lpad(c.n::text, 6, '0'),
               'Bench Customer ' || lpad(c.n::text, 6, '0'),
               'BS' || lpad(c.n::text, 6, '0'),
               TRUE, TRUE, 'contact', 'en_US',
               'customer' || c.n || '@bench.example.com', 0, TRUE,
               (%(now)s - interval '5 years')::date,
               CASE WHEN c.n %% 10 = 0 THEN %(manager)s END,
               1, %(now)s - interval '5 years', 1, %(now)s - interval '5 years'
               __NOT_NULL_VALUES__
          FROM bench_customer c
        """,
    ),
    (
        "delivery addresses",
        """
        CREATE TEMPORARY TABLE bench_address AS
        SELECT c.n, nextval('res_partner_id_seq') AS id, c.id AS parent_id
          FROM bench_customer c
         WHERE (c.n * 37) %% 100 < %(addresses)s;
        INSERT INTO res_partner (
            id, parent_id, commercial_partner_id, name, complete_name,
            is_company, active, type, lang, color, partner_share,
            wms_customer_since, wms_account_manager_id,
            create_uid, create_date, write_uid, write_date __NOT_NULL_COLUMNS__)
        SELECT a.id, a.parent_id, a.parent_id,
               'Warehouse ' || lpad(a.n::text, 6, '0'),
               p.name || ', Warehouse ' || lpad(a.n::text, 6, '0'),
               FALSE, TRUE, 'delivery', 'en_US', 0, TRUE,
               p.wms_customer_since, p.wms_account_manager_id,
               1, p.create_date, 1, p.write_date __NOT_NULL_VALUES__
          FROM bench_address a
          JOIN res_partner p ON p.id = a.parent_id
        """,
    ),
    (
        "delivery plan",
        # customer k gets a share ~ 1/sqrt(k) of the deliveries
        """
        CREATE TEMPORARY TABLE bench_delivery AS
        WITH pick AS (
            SELECT g AS n,
                   1 + floor(%(customers)s * random() ^ 2)::int AS k,
                   random() AS r_date, random() AS r_address,
                   random() AS r_amount, random() AS r_refund
              FROM generate_series(1, %(deliveries)s) g
        )
        SELECT pick.n, c.id AS customer_id,
               CASE WHEN a.id IS NOT NULL AND pick.r_address < 0.5 THEN a.id
                    ELSE c.id END AS partner_id,
               date_trunc('second', %(now)s - interval '1 hour'
                   - (c.lapse_days + pick.r_date * (%(span)s - c.lapse_days))
                     * interval '1 day') AS date_done,
               round((c.scale * (0.5 + pick.r_amount))::numeric, 2) AS amount,
               pick.r_refund < 0.02 AS refund,
               nextval('stock_picking_id_seq') AS id,
               nextval('account_move_id_seq') AS move_id
          FROM pick
          JOIN bench_customer c ON c.n = pick.k
     LEFT JOIN bench_address a ON a.n = c.n
        """,
    ),
]

DELIVERY_INSERTS = [
    (
        "deliveries",
        """
        INSERT INTO stock_picking (
            id, name, origin, partner_id, picking_type_id, location_id,
            location_dest_id, move_type, state, priority, company_id,
            scheduled_date, date_done, has_deadline_issue, printed, is_locked,
            create_uid, create_date, write_uid, write_date __NOT_NULL_COLUMNS__)
        SELECT d.id, 'BENCH/OUT/' || lpad(d.n::text, 7, '0'),
               'BENCH-SO' || lpad(d.n::text, 7, '0'), d.partner_id,
               %(out_type)s, %(stock)s, %(customer_loc)s, 'direct', 'done',
               '0', %(company)s, d.date_done - interval '1 day', d.date_done,
               FALSE, TRUE, TRUE,
               1, d.date_done - interval '2 days', 1, d.date_done __NOT_NULL_VALUES__
          FROM __DELIVERIES__ d
        """,
    ),
    (
        "invoices",
        """
        INSERT INTO account_move (
            id, name, sequence_prefix, sequence_number, journal_id,
            company_id, currency_id, state, move_type, auto_post, date,
            invoice_date, invoice_date_due, partner_id, commercial_partner_id,
            invoice_partner_display_name, invoice_origin, payment_state,
            amount_untaxed, amount_tax, amount_total, amount_residual,
            amount_untaxed_signed, amount_untaxed_in_currency_signed,
            amount_tax_signed, amount_total_signed,
            amount_total_in_currency_signed, amount_residual_signed,
            invoice_currency_rate, always_tax_exigible, checked,
            posted_before, made_sequence_gap, is_move_sent,
            create_uid, create_date, write_uid, write_date __NOT_NULL_COLUMNS__)
        SELECT i.move_id, i.prefix || lpad(i.n::text, 7, '0'), i.prefix,
               i.n, %(journal)s, %(company)s, %(currency)s, 'posted',
               i.move_type, 'no', i.day, i.day, i.day + 30, i.customer_id,
               i.customer_id, 'Bench Customer', 'BENCH-SO' || lpad(i.n::text, 7, '0'),
               'not_paid', i.amount, 0, i.amount, i.amount,
               i.sign * i.amount, i.sign * i.amount, 0, i.sign * i.amount,
               i.sign * i.amount, i.sign * i.amount, 1, FALSE, TRUE, TRUE,
               FALSE, FALSE, 1, i.date_done, 1, i.date_done __NOT_NULL_VALUES__
          FROM (SELECT d.*, d.date_done::date AS day,
                       CASE WHEN d.refund THEN 'out_refund'
                            ELSE 'out_invoice' END AS move_type,
                       CASE WHEN d.refund THEN 'BENCH/RINV/'
                            ELSE 'BENCH/INV/' END AS prefix,
                       CASE WHEN d.refund THEN -1 ELSE 1 END AS sign
                  FROM __DELIVERIES__ d) i
        """,
    ),
]

# 1 % of the customers: two deliveries each in the last day (before run 2)
NEW_DELIVERIES = """
    CREATE TEMPORARY TABLE bench_new_delivery AS
    WITH chosen AS (
        SELECT c.* FROM bench_customer c
         ORDER BY random()
         LIMIT greatest(1, %(customers)s / 100)
    )
    SELECT %(deliveries)s + row_number() OVER () AS n, c.id AS customer_id,
           c.id AS partner_id,
           date_trunc('second', %(now)s - random() * interval '20 hours')
               AS date_done,
           round((c.scale * (0.5 + random()))::numeric, 2) AS amount,
           FALSE AS refund,
           nextval('stock_picking_id_seq') AS id,
           nextval('account_move_id_seq') AS move_id
      FROM chosen c, generate_series(1, 2) g
"""


def parse_args():
    parser = benchlib.argument_parser(__doc__)
    parser.add_argument("--customers", type=int, default=100000)
    parser.add_argument("--deliveries", type=int, default=1000000)
    parser.add_argument(
        "--addresses",
        type=int,
        default=25,
        help="%% of customers with a delivery address (a child contact)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="EXPLAIN ANALYZE the scoring statements even if the goals are met",
    )
    args = benchlib.parse_args(parser, dict(SMOKE_SIZES, explain=True))
    if min(args.customers, args.deliveries) < 1:
        parser.error("--customers and --deliveries must be at least 1")
    if not 0 <= args.addresses <= 100:
        parser.error("--addresses is a percentage")
    return args


# --------------------------------------------------------------------------
# 1. data
# --------------------------------------------------------------------------
def vacuum(dbname, tables):
    """VACUUM ANALYZE (outside any transaction, on a connection of its own)."""
    with Stopwatch() as watch, contextlib.closing(db_connect(dbname).cursor()) as cr:
        cr._cnx.autocommit = True
        cr.execute(
            SQL("VACUUM ANALYZE %s", SQL(", ").join(map(SQL.identifier, tables)))
        )
    return watch.seconds


def generate(env, args):
    cr = env.cr
    cr.execute("SELECT count(*) FROM res_partner WHERE name LIKE 'Bench Customer %%'")
    if cr.fetchone()[0]:
        raise RuntimeError(
            "This database already holds this benchmark's data: use a new one."
        )
    company = env.company
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", company.id)], limit=1
    )
    journal = env["account.journal"].search(
        [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
    )
    if not (warehouse and journal):
        raise RuntimeError("The company needs a warehouse and a sale journal.")
    params = {
        "customers": args.customers,
        "deliveries": args.deliveries,
        "addresses": args.addresses,
        "span": SPAN_DAYS,
        "now": cr.now(),
        "company": company.id,
        "currency": company.currency_id.id,
        "journal": journal.id,
        "out_type": warehouse.out_type_id.id,
        "stock": warehouse.lot_stock_id.id,
        "customer_loc": env.ref("stock.stock_location_customers").id,
        "manager": env.ref("base.user_admin").id,
    }
    cr.execute("SELECT setseed(0.42)")
    with benchlib.fast_load(cr) as fast:
        steps = benchlib.execute_steps(env, GENERATION, params)
        benchlib.execute_steps(
            env, DELIVERY_INSERTS, params, steps, deliveries="bench_delivery"
        )
    cr.execute(
        """
        SELECT (SELECT count(*) FROM bench_customer),
               (SELECT count(*) FROM bench_address),
               (SELECT count(*) FROM bench_delivery),
               (SELECT count(*) FROM bench_delivery WHERE refund),
               (SELECT count(DISTINCT customer_id) FROM bench_delivery),
               (SELECT count(DISTINCT customer_id) FROM bench_delivery
                 WHERE date_done >= %(now)s - interval '365 days'),
               (SELECT max(c) FROM (SELECT count(*) AS c FROM bench_delivery
                                     GROUP BY customer_id) x),
               -- references the foreign-key triggers would have checked
               (SELECT count(*) FROM bench_delivery d
                 WHERE NOT EXISTS (SELECT 1 FROM res_partner p
                                    WHERE p.id = d.partner_id))
               + (SELECT count(*) FROM res_partner rp
                   WHERE rp.name LIKE 'Bench%%' AND NOT EXISTS (
                         SELECT 1 FROM res_partner cp
                          WHERE cp.id = rp.commercial_partner_id))
        """,
        params,
    )
    names = (
        "customers",
        "delivery_addresses",
        "deliveries",
        "credit_notes",
        "customers_with_deliveries",
        "customers_with_deliveries_in_last_365_days",
        "max_deliveries_per_customer",
        "dangling_references",
    )
    counts = dict(zip(names, cr.fetchone(), strict=True))
    counts["invoices"] = counts["deliveries"]
    counts["fk_triggers_off_while_loading"] = fast
    steps["commit"], _result = benchlib.timed(cr.commit)
    steps["vacuum analyze"] = vacuum(
        env.cr.dbname, ("res_partner", "stock_picking", "account_move")
    )
    return params, steps, counts


def add_new_deliveries(env, params):
    """Two deliveries (and invoices) in the last day for 1 % of customers."""
    cr = env.cr
    params = dict(params, now=cr.now())
    cr.execute(NEW_DELIVERIES, params)
    with benchlib.fast_load(cr):
        benchlib.execute_steps(
            env, DELIVERY_INSERTS, params, deliveries="bench_new_delivery"
        )
    cr.execute("SELECT count(*), count(DISTINCT customer_id) FROM bench_new_delivery")
    deliveries, customers = cr.fetchone()
    cr.commit()
    env.invalidate_all()
    return deliveries, customers


# --------------------------------------------------------------------------
# 2. runs
# --------------------------------------------------------------------------
PHASES = [
    # (model, method, phase name)
    ("wms.segmentation.run", "_compute_scores", "compute_scores"),
    ("wms.segmentation.run", "_write_rfm_fields", "write_rfm_fields"),
    ("wms.segmentation.run", "_write_tiers", "write_tiers"),
    ("wms.segmentation.run", "_log_tier_tracking", "log_tier_tracking"),
    ("wms.segmentation.run", "_notify_falls", "notify_falls"),
    ("res.partner", "_fields_sync", "partner_fields_sync"),
    # not a phase: its last call's arguments make the bare statement
    ("wms.segmentation.run", "_scores_sql", "scores_sql"),
]


def timed_run(env, log, phases, tag):
    """One real run: run_segmentation() and the ORM's flush, then commit."""
    cr = env.cr
    cr.execute("SELECT COALESCE(max(id), 0) FROM mail_message")
    last_message = cr.fetchone()[0]
    cr.execute("SELECT COALESCE(max(id), 0) FROM mail_activity")
    last_activity = cr.fetchone()[0]
    env.invalidate_all()
    phases.reset()
    queries, sql = log.count, log.seconds
    rss_before = benchlib.maxrss_mb()
    with Stopwatch() as watch:
        run_id = env["wms.segmentation.run"].run_segmentation()
        env.flush_all()
    queries, sql = log.count - queries, log.seconds - sql
    commit, _result = benchlib.timed(cr.commit)
    env.invalidate_all()
    run = env["wms.segmentation.run"].browse(run_id)
    cr.execute(
        """
        SELECT (SELECT count(*) FROM mail_message m
                  JOIN mail_tracking_value v ON v.mail_message_id = m.id
                 WHERE m.id > %(message)s AND m.model = 'res.partner'),
               (SELECT count(*) FROM mail_activity WHERE id > %(activity)s),
               (SELECT count(*) FROM wms_rfm_score
                 WHERE run_id = %(run)s AND frequency = 0)
        """,
        {"message": last_message, "activity": last_activity, "run": run_id},
    )
    tracked, activities, inactive = cr.fetchone()
    cr.execute(
        """
        SELECT COALESCE(t.name ->> 'en_US', '(none)'), count(*)
          FROM res_partner p
          LEFT JOIN wms_customer_tier t
            ON t.id = (p.wms_tier_id ->> %s)::int
         WHERE p.name LIKE 'Bench Customer %%'
         GROUP BY 1 ORDER BY 2 DESC
        """,
        [str(env.company.id)],
    )
    tiers = cr.fetchall()
    result = {
        "tag": tag,
        "run": run,
        "seconds": watch.seconds,
        "commit": commit,
        "queries": queries,
        "sql": sql,
        "tracked": tracked,
        "activities": activities,
        "inactive": inactive,
        "tiers": tiers,
        "maxrss_growth": benchlib.maxrss_mb() - rss_before,
        "phases": {name: list(phases.get(name)) for _m, _f, name in PHASES},
        "absent": set(phases.absent),
    }
    return result


def report_run(result, report):
    tag, run = result["tag"], result["run"]
    say(f"{tag}_s", result["seconds"])
    say(f"{tag}_commit_s", result["commit"])
    say(f"{tag}_state", run.state)
    if run.error:
        print(f"   error: {run.error}")
    report.check(f"{tag} is done", run.state == "done")
    say(f"{tag}_customers_scored", run.customer_count)
    say(f"{tag}_scored_without_delivery_in_window", result["inactive"])
    say(f"{tag}_change_count", run.change_count)
    say(f"{tag}_tracking_values_written", result["tracked"])
    say(f"{tag}_activities_created", result["activities"])
    say(f"{tag}_queries", result["queries"])
    say(f"{tag}_sql_s", result["sql"])
    say(f"{tag}_maxrss_growth_mb", result["maxrss_growth"], "{:.0f}")
    print(
        "   tiers of the customers after the run: "
        + ", ".join(f"{name} {count}" for name, count in result["tiers"])
    )
    ph = result["phases"]
    tiers = ph["write_tiers"]
    nested = [ph["log_tier_tracking"], ph["notify_falls"]]
    orm = [tiers[i] - sum(n[i] for n in nested) for i in range(3)]
    top = ["compute_scores", "write_rfm_fields", "write_tiers"]
    rest = [
        result["seconds"] - sum(ph[name][0] for name in top),
        result["queries"] - sum(ph[name][1] for name in top),
        result["sql"] - sum(ph[name][2] for name in top),
    ]
    rows = [
        ("compute_scores", ph["compute_scores"], "_compute_scores"),
        ("write_rfm_fields", ph["write_rfm_fields"], "_write_rfm_fields"),
        ("write_tiers_orm", orm, "_write_tiers: ORM writes + flushes"),
        (
            "partner_fields_sync",
            ph["partner_fields_sync"],
            "  of which res.partner._fields_sync (contacts follow)",
        ),
        ("log_tier_tracking", ph["log_tier_tracking"], "_log_tier_tracking"),
        ("notify_falls", ph["notify_falls"], "_notify_falls"),
        ("rest", rest, "rest (lock, run record, settings, final flush)"),
    ]
    print(f"   {tag} phases:   seconds  queries   in SQL")
    for key, (seconds, queries, sql, *_calls), text in rows:
        if key in result["absent"]:
            print(f"     {'-':>9}   {'-':>8} {'-':>8}    {text}: not in the module")
            continue
        say(f"{tag}_phase_{key}_s", seconds)
        say(f"{tag}_phase_{key}_queries", queries)
        print(f"     {seconds:9.3f} s {queries:8d} {sql:8.3f} s  {text}")


# --------------------------------------------------------------------------
# 3. the floor: the scores in one bare statement
# --------------------------------------------------------------------------
def bare_sql(env, call):
    """The R/F/M figures and quintile scores of a run, as the bare statement
    ``wms.segmentation.run._scores_sql`` (the one ``_compute_scores`` wraps
    with the rules, the partner lookup and the insert), counted and summed:
    PostgreSQL's own settings (no work_mem or JIT change). ``call``: the
    record, arguments and keyword arguments run 2 called it with, so that
    the dates and settings are the run's, however the module computes them."""
    if call is None:
        raise RuntimeError("Run 2 did not call _scores_sql: nothing to compare.")
    record, args, kwargs = call
    return SQL(
        """
        SELECT count(*), count(*) FILTER (WHERE frequency = 0),
               sum(r_score), sum(f_score), sum(m_score)
          FROM (%s) scored
        """,
        record.with_env(env)._scores_sql(*args, **kwargs),
    )


def bench_bare(env, runs, call):
    cr = env.cr
    query = bare_sql(env, call)

    def bare():
        cr.execute(query)
        return cr.fetchone()

    times = []
    for _run in range(runs):
        seconds, row = benchlib.timed(bare)
        times.append(seconds)
    # once more without JIT compilation, which is much of it below ~10 s
    with contextlib.closing(cr.savepoint(flush=False)):
        cr.execute("SET LOCAL jit = off")
        jit_off, _row = benchlib.timed(bare)
    return benchlib.median(times), times, row, query, jit_off


def is_scoring(query):
    """The statement of ``_compute_scores`` that inserts the scores."""
    if isinstance(query, bytes):
        query = query.decode(errors="replace")
    return SCORING_INSERT.search(str(query)) is not None


def explain(env, query, title):
    print(f"   EXPLAIN (ANALYZE, BUFFERS) {title}:")
    env.cr.execute(SQL("EXPLAIN (ANALYZE, BUFFERS) %s", query))
    for (line,) in env.cr.fetchall():
        print(f"     {line}")


def explain_scoring(env, scoring, run_id):
    """The run's scoring INSERT again, its rows deleted first, in a savepoint
    rolled back."""
    query, params = scoring
    cr = env.cr
    with contextlib.closing(cr.savepoint(flush=False)):
        cr.execute("DELETE FROM wms_rfm_score WHERE run_id = %s", [run_id])
        print("   EXPLAIN (ANALYZE, BUFFERS) the scoring INSERT of run 2:")
        cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, params)
        for (line,) in cr.fetchall():
            print(f"     {line}")
    # the same without JIT compilation (its cost hardly depends on the size)
    with contextlib.closing(cr.savepoint(flush=False)):
        cr.execute("DELETE FROM wms_rfm_score WHERE run_id = %s", [run_id])
        cr.execute("SET LOCAL jit = off")
        seconds, _result = benchlib.timed(cr.execute, query, params)
        say("run2_scoring_insert_jit_off_s", seconds)
    with contextlib.closing(cr.savepoint(flush=False)):
        cr.execute("DELETE FROM wms_rfm_score WHERE run_id = %s", [run_id])
        seconds, _result = benchlib.timed(cr.execute, query, params)
        say("run2_scoring_insert_jit_default_s", seconds)


# --------------------------------------------------------------------------
def run(env, args, report):
    # 1. data
    with Stopwatch() as watch:
        params, steps, counts = generate(env, args)
    generation = watch.seconds
    print("== data (committed)")
    for name, value in counts.items():
        say(f"generated_{name}", value)
    say("data_generation_s", generation, "{:.1f}")
    print("   steps: " + benchlib.steps_text(steps))
    report.check("no dangling reference", counts["dangling_references"] == 0)
    settings = env["wms.segmentation.run"]._settings()
    print(
        f"   settings: window {settings[0]} days, monetary {settings[1]}; "
        "tracking on (no tracking_disable in the context)"
    )

    with (
        benchlib.QueryLog(capture=is_scoring) as log,
        benchlib.MethodTimer(log) as phases,
    ):
        for model, method, name in PHASES:
            phases.wrap(env.registry[model], method, name)

        # 2. run 1: every tier changes
        print("== run 1: customers without a tier")
        log_before = log.snapshot()
        run1 = timed_run(env, log, phases, "run1")
        report_run(run1, report)
        print("   run1 slowest statements (calls, total seconds):")
        benchlib.print_slowest(log.slowest(log_before))

        # 3. new deliveries for 1 % of customers
        deliveries, customers = add_new_deliveries(env, params)
        say("new_deliveries", deliveries)
        say("customers_with_new_deliveries", customers)
        say("vacuum_between_runs_s", vacuum(env.cr.dbname, RUN_TABLES), "{:.1f}")

        # 4. run 2: the steady weekly run
        print("== run 2: 1 % of customers have new deliveries")
        log_before = log.snapshot()
        phases.calls.pop("scores_sql", None)
        run2 = timed_run(env, log, phases, "run2")
        report_run(run2, report)
        print("   run2 slowest statements (calls, total seconds):")
        benchlib.print_slowest(log.slowest(log_before))
        scoring = log.captured
        scores_call = phases.calls.get("scores_sql")

    # 5. the floor
    print(f"== bare scoring statement (median of {args.runs} runs, run 2's data)")
    bare, bare_times, bare_row, bare_query, bare_jit_off = bench_bare(
        env, args.runs, scores_call
    )
    say("bare_sql_s", bare)
    print("   runs: " + benchlib.times_text(bare_times))
    say("bare_sql_jit_off_s", bare_jit_off)
    env.cr.execute(
        """
        SELECT count(*), count(*) FILTER (WHERE frequency = 0),
               sum(r_score), sum(f_score), sum(m_score)
          FROM wms_rfm_score WHERE run_id = %s
        """,
        [run2["run"].id],
    )
    run2_row = env.cr.fetchone()
    print(
        f"   bare (count, inactive, sum R, sum F, sum M) {tuple(bare_row)}, "
        f"run 2 {tuple(run2_row)}"
    )
    same = report.check(
        "bare statement scores = run 2 scores", tuple(bare_row) == tuple(run2_row)
    )
    ratio = run2["seconds"] / bare
    say("ratio_run2_bare", ratio, "{:.2f}")
    say(
        "ratio_run2_compute_scores_bare",
        run2["phases"]["compute_scores"][0] / bare,
        "{:.2f}",
    )
    maxrss = benchlib.maxrss_mb()
    say("maxrss_mb", maxrss, "{:.0f}")
    ok_ratio = report.goal(f"ratio_run2_bare<={GOAL_RATIO:g}", ratio <= GOAL_RATIO)
    ok_run1 = report.goal(f"run1_s<{GOAL_RUN1_S:g}", run1["seconds"] < GOAL_RUN1_S)
    ok_rss = report.goal(f"maxrss_mb<{GOAL_MAXRSS_MB:g}", maxrss < GOAL_MAXRSS_MB)

    if args.explain or not (ok_ratio and ok_run1):
        print("== explain")
        explain(env, bare_query, "the bare statement")
        if scoring:
            explain_scoring(env, scoring, run2["run"].id)
        else:
            print("   (no scoring INSERT into wms_rfm_score seen in run 2)")

    print("== summary")
    print(
        f"   {counts['customers']} customers ({counts['delivery_addresses']} "
        f"with a delivery address), {counts['deliveries']} deliveries and as "
        f"many invoices generated in {generation:.0f} s."
    )
    for result in (run1, run2):
        ph = result["phases"]
        print(
            f"   {result['tag']}: {result['seconds']:.1f} s, "
            f"{result['queries']} queries, {result['run'].customer_count} "
            f"customers scored, {result['run'].change_count} tier changes; "
            f"scoring {ph['compute_scores'][0]:.1f} s, RFM fields "
            f"{ph['write_rfm_fields'][0]:.1f} s, tiers "
            f"{ph['write_tiers'][0]:.1f} s (tracking "
            f"{ph['log_tier_tracking'][0]:.1f} s, activities "
            f"{ph['notify_falls'][0]:.1f} s)."
        )
    judge = report.judge
    print(
        f"   Run 1 {run1['seconds']:.1f} s: goal < {GOAL_RUN1_S:g} s "
        f"{judge(ok_run1)}. Run 2 is {ratio:.2f}x the bare scoring statement "
        f"({bare:.2f} s): goal <= {GOAL_RATIO:g}x {judge(ok_ratio)}. Peak RSS "
        f"{maxrss:.0f} MB: goal < {GOAL_MAXRSS_MB:g} MB {judge(ok_rss)}. "
        f"Bare scores = run 2 scores: {benchlib.verdict(same)}."
    )


if __name__ == "__main__":
    benchlib.main(parse_args(), run)
