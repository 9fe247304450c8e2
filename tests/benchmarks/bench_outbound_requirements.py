"""Benchmark of wms_outbound_requirements: confirmation overhead, delivery watch.

    python3 tests/benchmarks/bench_outbound_requirements.py --config ODOO_CONF \
        --database DB [--pickings 1000] [--customers 200] [--runs 3] \
        [--watch-pickings 10000] [--watch-customers 500] [--profile] \
        [--baseline-database BASE] [--smoke]

DB must have the add-ons of ``MODULES`` installed (no demo data) and be
dedicated to this script: ``tests/run --benchmarks`` creates and drops one.
Everything the script writes in DB is rolled back at the end: the database is
left as found (but for sequences and dead rows). ``--smoke``: 20 deliveries
of 10 customers, one run, a watch over 200 deliveries of 20 customers
(``tests/run`` runs it), the goal not judged.

Prints one ``name=value`` figure per line, then a short summary:

1. Confirmation overhead. "Without this module" is a second, throwaway
   database with only ``BASELINE_MODULES`` (wms_customer_profile)
   installed: ``--baseline-database`` (``tests/run`` makes it), else one the
   script makes itself (``odoo -i wms_customer_profile``, about 40 s, same
   configuration file, named after DB; dropped at the end, filestore
   included). The module's other dependencies (stock_partner_delivery_window
   and its own) are not there either. In both databases the same code makes
   ``--customers`` customers and products (two categories, one a
   sub-category), and, where the module is installed, three requirements per
   customer: one for every delivery (blocking), one limited to a product
   category (not blocking), one limited to a product (blocking for one
   customer in two); then analyses the database. Each run creates
   ``--pickings`` draft deliveries of two lines with one ORM ``create`` (not
   timed), then times ``action_confirm()`` as the admin user plus the flush
   of the ORM (``env.flush_all()``) on a cold cache, and counts its queries;
   the commit hooks that follow (mail tracking) are timed apart. A warm-up
   run, then ``--runs`` runs in each database, alternately, each in a
   savepoint rolled back. Printed: medians, their ratio with/without (goal
   <= 1.3), queries per run, the requirement lines made per run against the
   expected count (a sanity check). ``--profile`` (or a missed goal at full
   sizes) adds a cProfile of one more confirmation with the module, top 25
   by cumulative time.
2. Delivery watch. ``--watch-pickings`` open deliveries (two lines each) of
   ``--watch-customers`` customers, made with set-based SQL: ~30 % due
   within the 4 h watch horizon (late risk), a third of those waiting for
   stock (shortage, ~10 %; some products of the same categories have free
   stock, so alternatives are suggested), ~10 % outside the customer's
   delivery window. The scheduled action ``_cron_wms_watch_deliveries`` runs
   three times on a cold cache, committing nothing (its progress commits,
   ``ir.cron._commit_progress``, are turned off by the script): the first
   creates the activities, the second must create, close and write nothing,
   the third runs after 1 % of the deliveries were done or moved out of the
   horizon (with SQL) and closes their activities (sanity checks). Printed
   per run: seconds and queries, also per 1,000 open deliveries; for each
   kind of activity, those created, closed, open and expected open (from the
   generated data); the write statements by table; the peak RSS of the
   process.

It is a measurement, not a test: a missed goal does not fail it, a failed
sanity check does (exit 1).
"""

import contextlib
import cProfile
import gc
import uuid

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.modules.registry import Registry
from odoo.tools import SQL

import benchlib
from benchlib import Stopwatch, say

MODULES = ["wms_outbound_requirements"]
BASELINE_MODULES = ["wms_customer_profile"]
SMOKE_SIZES = {
    "pickings": 20,
    "customers": 10,
    "runs": 1,
    "watch_pickings": 200,
    "watch_customers": 20,
}
GOAL_RATIO = 1.3
REQUIREMENT_MODEL = "wms.handling.requirement"
WATCH_KINDS = ("late", "shortage", "window")
ACTIVITY_TYPES = {
    "late": "wms_outbound_requirements.mail_activity_type_late_risk",
    "shortage": "wms_outbound_requirements.mail_activity_type_stock_shortage",
    "window": "wms_outbound_requirements.mail_activity_type_outside_window",
}
PROFILE_LINES = 25


def parse_args():
    parser = benchlib.argument_parser(__doc__)
    parser.add_argument("--pickings", type=int, default=1000, help="per run")
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--watch-pickings", type=int, default=10000)
    parser.add_argument("--watch-customers", type=int, default=500)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile one more confirmation even if the goal is met",
    )
    parser.add_argument(
        "--baseline-database",
        metavar="BASE",
        help="a throwaway database with only BASELINE_MODULES installed "
        "(default: the script makes one, then drops it)",
    )
    args = benchlib.parse_args(parser, SMOKE_SIZES)
    if min(args.pickings, args.customers) < 1:
        parser.error("--pickings and --customers must be at least 1")
    if args.watch_pickings < 100 or args.watch_customers < 10:
        parser.error("--watch-pickings >= 100 and --watch-customers >= 10")
    return args


# --------------------------------------------------------------------------
# The database without the module
# --------------------------------------------------------------------------


# --------------------------------------------------------------------------
# 1. Confirmation: with the module against without it
# --------------------------------------------------------------------------
def analyze_own_tables(cr):
    """ANALYZE the database's own tables, not the catalogs shared by all
    databases (pg_authid, pg_database...): a bare ANALYZE in an open
    transaction keeps a lock on those until it ends, and the other
    database's ANALYZE, from this same process, would wait for it forever."""
    cr.execute(
        """
        SELECT c.oid::regclass::text
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'm', 'p') AND NOT c.relisshared
           AND c.relpersistence <> 't'
           AND n.nspname IN ('public', 'pg_catalog')
         ORDER BY 1
        """
    )
    tables = [row[0] for row in cr.fetchall()]
    cr.execute(SQL("ANALYZE %s", SQL(", ").join(SQL(t) for t in tables)))


def confirm_setup(env, customers):
    """Customers, products and (where the module is installed) requirements;
    the same code in both databases."""
    env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True))
    Category = env["product.category"]
    fragile = Category.create({"name": "Bench Fragile"})
    glass = Category.create({"name": "Bench Glassware", "parent_id": fragile.id})
    hardware = Category.create({"name": "Bench Hardware"})
    Product = env["product.product"]
    glass_products = Product.create(
        [
            {"name": f"Bench glass {i}", "is_storable": True, "categ_id": glass.id}
            for i in range(5)
        ]
    )
    other_products = Product.create(
        [
            {"name": f"Bench part {i}", "is_storable": True, "categ_id": hardware.id}
            for i in range(10)
        ]
    )
    partners = env["res.partner"].create(
        [
            {"name": f"Bench Confirm Customer {n:04d}", "is_company": True}
            for n in range(customers)
        ]
    )
    with_module = REQUIREMENT_MODEL in env
    requirements = 0
    if with_module:
        shock = env.ref("wms_outbound_requirements.requirement_type_shock_proof")
        care = env.ref("wms_outbound_requirements.requirement_type_handle_with_care")
        labels = env.ref("wms_outbound_requirements.requirement_type_customer_labels")
        values = []
        for n, partner in enumerate(partners):
            values += [
                # every delivery; blocking (the type's default)
                {"partner_id": partner.id, "type_id": shock.id},
                # deliveries with fragile products; not blocking (idem)
                {
                    "partner_id": partner.id,
                    "type_id": care.id,
                    "product_category_ids": [Command.set(fragile.ids)],
                },
                # deliveries with one given part; blocking for one in two
                {
                    "partner_id": partner.id,
                    "type_id": labels.id,
                    "product_ids": [Command.set(other_products[n % 10].ids)],
                    "blocking": n % 2 == 0,
                },
            ]
        requirements = len(env[REQUIREMENT_MODEL].create(values))
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", env.company.id)], limit=1
    )
    env.flush_all()
    analyze_own_tables(env.cr)  # both databases' statistics up to date alike
    return {
        "with_module": with_module,
        "requirements": requirements,
        "partners": partners,
        "glass": glass_products,
        "others": other_products,
        "out_type": warehouse.out_type_id,
        "stock": warehouse.lot_stock_id,
        "customer_loc": env.ref("stock.stock_location_customers"),
        "user": env.ref("base.user_admin"),
    }


def delivery_values(plan, count):
    """``count`` draft deliveries of two lines (a fragile product, a part),
    and how many requirement lines their confirmation must make: 2 each
    (every delivery, fragile), 3 when the part is the customer's labelled
    one (3 customers' deliveries in 5)."""
    partners, others = plan["partners"], plan["others"]
    values, expected = [], 0
    for k in range(count):
        n = k % len(partners)
        labelled = (k // len(partners)) % 2 == 0
        part = others[n % 10] if labelled else others[(n + 1) % 10]
        expected += 3 if labelled else 2
        lines = ((plan["glass"][k % 5], 1 + k % 7), (part, 2 + k % 5))
        values.append(
            {
                "partner_id": partners[n].id,
                "picking_type_id": plan["out_type"].id,
                "location_id": plan["stock"].id,
                "location_dest_id": plan["customer_loc"].id,
                "origin": f"BENCH-SO{k:05d}",
                "move_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "location_id": plan["stock"].id,
                            "location_dest_id": plan["customer_loc"].id,
                        }
                    )
                    for product, qty in lines
                ],
            }
        )
    return values, expected


def confirm_once(env, plan, count, profiler=None):
    """Create ``count`` draft deliveries, then time their confirmation; all
    rolled back."""
    cr = env.cr
    with contextlib.closing(cr.savepoint()):
        values, expected = delivery_values(plan, count)
        pickings = env["stock.picking"].create(values)
        cr.flush()  # what the request creating them would commit
        env.invalidate_all()  # confirmed in another request: a cold cache
        pickings = pickings.with_user(plan["user"])
        gc.collect()
        queries = cr.sql_log_count
        if profiler:
            profiler.enable()
        with Stopwatch() as watch:
            pickings.action_confirm()
            env.flush_all()
        if profiler:
            profiler.disable()
        queries = cr.sql_log_count - queries
        # the commit hooks: mail tracking of the state change
        hooks, _result = benchlib.timed(cr.flush)
        lines = 0
        if plan["with_module"]:
            cr.execute(
                "SELECT count(*) FROM wms_picking_requirement "
                "WHERE picking_id = ANY(%(ids)s)",
                {"ids": pickings.ids},
            )
            lines = cr.fetchone()[0]
        cr.execute(
            "SELECT count(*) FROM stock_picking "
            "WHERE id = ANY(%(ids)s) AND state NOT IN ('draft', 'cancel', 'done')",
            {"ids": pickings.ids},
        )
        confirmed = cr.fetchone()[0]
    env.invalidate_all()
    return {
        "seconds": watch.seconds,
        "queries": queries,
        "hooks": hooks,
        "lines": lines,
        "expected_lines": expected if plan["with_module"] else 0,
        "confirmed": confirmed,
    }


def bench_confirm(args, env_with, env_without):
    count, runs = args.pickings, args.runs
    results = {"with": [], "without": []}
    envs = {"with": env_with, "without": env_without}
    with contextlib.ExitStack() as stack:
        plans = {}
        for key, env in envs.items():
            stack.enter_context(contextlib.closing(env.cr.savepoint()))
            plans[key] = confirm_setup(env, args.customers)
        for key, env in envs.items():  # warm-up
            confirm_once(env, plans[key], count)
        for _run in range(runs):  # alternately, so that both share any drift
            for key, env in envs.items():
                results[key].append(confirm_once(env, plans[key], count))
        profile = None
        median = {
            key: benchlib.median(r["seconds"] for r in results[key]) for key in results
        }
        # at smoke sizes too, so that the profile's code keeps working
        missed = median["with"] > GOAL_RATIO * median["without"]
        if args.profile or args.smoke or missed:
            profile = cProfile.Profile()
            confirm_once(env_with, plans["with"], count, profiler=profile)
        requirements = plans["with"]["requirements"]
    for env in envs.values():
        env.invalidate_all()
    return results, median, requirements, profile


def report_confirm(args, report, results, median, requirements, profile):
    print(
        f"== confirmation of {args.pickings} deliveries (2 lines each) as admin, "
        f"median of {args.runs} runs after a warm-up, each database alternately"
    )
    say("confirm_customers", args.customers)
    say("confirm_requirements_with_module", requirements)
    for key in ("with", "without"):
        runs = results[key]
        say(f"confirm_{key}_module_s", median[key])
        say(
            f"confirm_{key}_module_queries",
            int(benchlib.median(r["queries"] for r in runs)),
        )
        say(
            f"confirm_{key}_module_commit_hooks_s",
            benchlib.median(r["hooks"] for r in runs),
        )
        print("   runs: " + benchlib.times_text(r["seconds"] for r in runs))
    ratio = median["with"] / median["without"]
    say("confirm_ratio", ratio, "{:.2f}")
    say(
        "confirm_added_ms_per_picking",
        1000 * (ratio - 1) * median["without"] / args.pickings,
        "{:.2f}",
    )
    report.goal(f"confirm_ratio<={GOAL_RATIO:g}", ratio <= GOAL_RATIO)
    lines = [r["lines"] for r in results["with"]]
    expected = results["with"][0]["expected_lines"]
    say("requirement_lines_per_run", " ".join(map(str, lines)), "{}")
    say("requirement_lines_expected", expected)
    confirmed = {r["confirmed"] for key in results for r in results[key]}
    say("pickings_confirmed_per_run", " ".join(map(str, sorted(confirmed))), "{}")
    sane = report.check(
        "requirement lines and confirmed deliveries",
        set(lines) == {expected} and confirmed == {args.pickings},
    )
    if profile:
        print(
            f"   cProfile of one more confirmation with the module, top "
            f"{PROFILE_LINES} by cumulative time (cumtime tottime calls):"
        )
        for line in benchlib.profile_lines(profile):
            print(line)
    return ratio, sane


# --------------------------------------------------------------------------
# 2. Delivery watch over many open deliveries
# --------------------------------------------------------------------------
# One statement per step, no ORM per record; ids from the tables' sequences
# into temporary tables. Due dates: late ones from 2 days ago to 3 h from now,
# the others from 6 h to 10 days away, so that nothing is due within an hour
# of the 4 h horizon (runs seconds apart see the same deliveries). Half have
# a deadline (the scheduled date a day later), half only a scheduled date.
WATCH_GENERATION = [
    (
        "customers",
        """
        CREATE TEMPORARY TABLE bench_watch_customer AS
        SELECT g AS n, nextval('res_partner_id_seq') AS id
          FROM generate_series(1, %(customers)s) g;
        INSERT INTO res_partner (
            id, commercial_partner_id, name, complete_name, ref, is_company,
            active, type, lang, tz, color, partner_share,
            wms_account_manager_id, delivery_time_preference,
            create_uid, create_date, write_uid, write_date __NOT_NULL_COLUMNS__)
        SELECT c.id, c.id,
               'Bench Watch Customer ' || lpad(c.n::text, 5, '0'),
               'Bench Watch Customer ' || lpad(c.n::text, 5, '0'),
               'BW' || lpad(c.n::text, 5, '0'),
               TRUE, TRUE, 'contact', 'en_US',
               CASE WHEN c.n %% 3 = 0 THEN 'Europe/Brussels'
                    WHEN c.n %% 3 = 1 THEN 'Asia/Shanghai' END,
               0, TRUE,
               CASE WHEN c.n %% 5 <> 0 THEN %(manager)s END,
               CASE WHEN c.n %% 10 = 0 THEN 'workdays' ELSE 'anytime' END,
               1, %(now)s, 1, %(now)s __NOT_NULL_VALUES__
          FROM bench_watch_customer c
        """,
    ),
    (
        "stock",
        """
        INSERT INTO stock_quant (
            product_id, location_id, company_id, quantity, reserved_quantity,
            in_date, create_uid, create_date, write_uid, write_date
            __NOT_NULL_COLUMNS__)
        SELECT u.product_id, %(stock)s, %(company)s, u.quantity, u.reserved,
               %(now)s, 1, %(now)s, 1, %(now)s __NOT_NULL_VALUES__
          FROM unnest(%(quant_products)s::int[], %(quant_qty)s::numeric[],
                      %(quant_reserved)s::numeric[])
               AS u(product_id, quantity, reserved)
        """,
    ),
    (
        "delivery plan",
        """
        CREATE TEMPORARY TABLE bench_watch_plan AS
        WITH plan AS (
            SELECT g AS n, c.id AS partner_id, c.n %% 10 = 0 AS off_window,
                   random() AS r_due, random() AS r_state, random() AS r_when,
                   random() AS r_deadline
              FROM generate_series(1, %(pickings)s) g
              JOIN bench_watch_customer c ON c.n = 1 + g %% %(customers)s
        ),
        due AS (
            SELECT plan.*,
                   plan.r_due < %(late_share)s AS late,
                   date_trunc('second', CASE
                       WHEN plan.r_due < %(late_share)s
                       THEN %(now)s - interval '2 days'
                            + plan.r_when * interval '51 hours'
                       ELSE %(now)s + interval '6 hours'
                            + plan.r_when * interval '234 hours' END) AS due
              FROM plan
        )
        SELECT due.*,
               nextval('stock_picking_id_seq') AS id,
               nextval('stock_move_id_seq') AS move1_id,
               nextval('stock_move_id_seq') AS move2_id,
               'BENCH/WATCH/' || lpad(due.n::text, 6, '0') AS name,
               CASE WHEN due.r_state < %(waiting_share)s THEN 'confirmed'
                    ELSE 'assigned' END AS state,
               CASE WHEN due.r_state < %(waiting_share)s / 2 THEN 'confirmed'
                    WHEN due.r_state < %(waiting_share)s
                    THEN 'partially_available'
                    ELSE 'assigned' END AS move1_state,
               (%(products)s::int[])[1 + due.n %% cardinality(%(products)s::int[])]
                   AS product1,
               (%(products)s::int[])
                   [1 + (7 * due.n + 3) %% cardinality(%(products)s::int[])]
                   AS product2,
               2 + due.n %% 20 AS qty,
               CASE WHEN due.r_deadline < 0.5 THEN due.due END AS date_deadline,
               CASE WHEN due.r_deadline < 0.5 THEN due.due + interval '1 day'
                    ELSE due.due END AS scheduled_date
          FROM due;
        -- filled before the third run of the watch
        CREATE TEMPORARY TABLE bench_watch_change (
            id integer PRIMARY KEY, done boolean NOT NULL)
        """,
    ),
    (
        "deliveries",
        """
        INSERT INTO stock_picking (
            id, name, origin, partner_id, picking_type_id, location_id,
            location_dest_id, move_type, state, priority, company_id,
            user_id, scheduled_date, date_deadline, has_deadline_issue,
            printed, is_locked, wms_window_ok, wms_next_window_start,
            wms_late_risk, wms_requirement_pending,
            create_uid, create_date, write_uid, write_date __NOT_NULL_COLUMNS__)
        SELECT d.id, d.name, 'BENCH-WSO' || lpad(d.n::text, 6, '0'),
               d.partner_id, %(out_type)s, %(stock)s, %(customer_loc)s,
               'direct', d.state, '0', %(company)s,
               CASE WHEN d.n %% 2 = 0 THEN %(responsible)s END,
               d.scheduled_date, d.date_deadline,
               COALESCE(d.date_deadline < d.scheduled_date, FALSE),
               FALSE, TRUE, NOT d.off_window,
               CASE WHEN d.off_window
                    THEN date_trunc('day', d.scheduled_date) + interval '2 days'
                    ELSE d.scheduled_date END,
               FALSE, FALSE,
               1, %(now)s - interval '3 days', 1, %(now)s - interval '3 days'
               __NOT_NULL_VALUES__
          FROM bench_watch_plan d
        """,
    ),
    (
        "delivery moves",
        # line 1: reserved, partially or not at all in waiting deliveries;
        # line 2: reserved
        """
        INSERT INTO stock_move (
            id, picking_id, reference, origin, sequence, priority,
            product_id, product_uom, product_uom_qty, product_qty, quantity,
            state, picked, location_id, location_dest_id, company_id,
            warehouse_id, picking_type_id, partner_id, date, date_deadline,
            procure_method, propagate_cancel, additional, is_inventory,
            create_uid, create_date, write_uid, write_date __NOT_NULL_COLUMNS__)
        SELECT d.move1_id, d.id, d.name, 'BENCH-WSO' || lpad(d.n::text, 6, '0'),
               10, '0', d.product1, %(uom)s, d.qty, d.qty,
               CASE d.move1_state WHEN 'assigned' THEN d.qty
                                  WHEN 'partially_available' THEN d.qty / 2
                                  ELSE 0 END,
               d.move1_state, FALSE, %(stock)s, %(customer_loc)s, %(company)s,
               %(warehouse)s, %(out_type)s, d.partner_id, d.scheduled_date,
               d.date_deadline, 'make_to_stock', TRUE, FALSE, FALSE,
               1, %(now)s - interval '3 days', 1, %(now)s - interval '3 days'
               __NOT_NULL_VALUES__
          FROM bench_watch_plan d
         UNION ALL
        SELECT d.move2_id, d.id, d.name, 'BENCH-WSO' || lpad(d.n::text, 6, '0'),
               20, '0', d.product2, %(uom)s, 1 + d.n %% 5, 1 + d.n %% 5,
               1 + d.n %% 5, 'assigned', FALSE, %(stock)s, %(customer_loc)s,
               %(company)s, %(warehouse)s, %(out_type)s, d.partner_id,
               d.scheduled_date, d.date_deadline, 'make_to_stock', TRUE, FALSE,
               FALSE, 1, %(now)s - interval '3 days', 1,
               %(now)s - interval '3 days' __NOT_NULL_VALUES__
          FROM bench_watch_plan d
        """,
    ),
    (
        "analyze",
        """
        ANALYZE res_partner;
        ANALYZE stock_picking;
        ANALYZE stock_move;
        ANALYZE stock_quant
        """,
    ),
]

# 1 % of the deliveries, all due within the horizon: one in two done, the
# others moved 5 days later
WATCH_CHANGE = """
    INSERT INTO bench_watch_change (id, done)
    SELECT p.id, row_number() OVER (ORDER BY p.n) %% 2 = 1
      FROM bench_watch_plan p
     WHERE p.late
     ORDER BY p.n
     LIMIT %(changed)s;
    UPDATE stock_picking p
       SET state = 'done', date_done = %(now)s, write_date = %(now)s
      FROM bench_watch_change c
     WHERE c.id = p.id AND c.done;
    UPDATE stock_move m
       SET state = 'done', quantity = m.product_uom_qty, picked = TRUE,
           write_date = %(now)s
      FROM bench_watch_change c
     WHERE c.id = m.picking_id AND c.done;
    UPDATE stock_picking p
       SET scheduled_date = %(now)s + interval '5 days', date_deadline = NULL,
           has_deadline_issue = FALSE, write_date = %(now)s
      FROM bench_watch_change c
     WHERE c.id = p.id AND NOT c.done;
    UPDATE stock_move m
       SET date = %(now)s + interval '5 days', date_deadline = NULL,
           write_date = %(now)s
      FROM bench_watch_change c
     WHERE c.id = m.picking_id AND NOT c.done
"""

# what each run should leave open, from the plan (not from the module's code)
WATCH_EXPECTED = """
    SELECT count(*) FILTER (WHERE p.late AND c.id IS NULL),
           count(*) FILTER (WHERE p.late AND p.state = 'confirmed'
                              AND c.id IS NULL),
           count(*) FILTER (WHERE p.off_window AND c.done IS NOT TRUE)
      FROM bench_watch_plan p
      LEFT JOIN bench_watch_change c ON c.id = p.id
"""


def watch_generate(env, args):
    cr = env.cr
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", env.company.id)], limit=1
    )
    env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True))
    categories = env["product.category"].create(
        [{"name": f"Bench Watch {letter}"} for letter in "ABCD"]
    )
    products = env["product.product"].create(
        [
            {
                "name": f"Bench watch item {i:02d}",
                "is_storable": True,
                "categ_id": categories[i % 4].id,
            }
            for i in range(40)
        ]
    )
    responsible = env["res.users"].create(
        {
            "name": "Bench Watch Stock User",
            "login": f"bench_watch_{uuid.uuid4().hex[:8]}",
            "group_ids": [Command.set([env.ref("stock.group_stock_user").id])],
        }
    )
    env.flush_all()
    # free stock in the warehouse: none for 1 product in 5, else a little,
    # plenty, or some of it reserved
    stocked = [(p, i % 5) for i, p in enumerate(products) if i % 5]
    quantities = {1: (3, 0), 2: (400, 0), 3: (60, 30), 4: (25, 5)}
    now = fields.Datetime.now()  # the watch's clock, not the transaction's
    params = {
        "customers": args.watch_customers,
        "pickings": args.watch_pickings,
        "late_share": 0.30,
        "waiting_share": 0.35,
        "now": now,
        "company": env.company.id,
        "warehouse": warehouse.id,
        "out_type": warehouse.out_type_id.id,
        "stock": warehouse.lot_stock_id.id,
        "customer_loc": env.ref("stock.stock_location_customers").id,
        "products": products.ids,
        "uom": products[0].uom_id.id,
        "manager": env.ref("base.user_admin").id,
        "responsible": responsible.id,
        "quant_products": [p.id for p, _k in stocked],
        "quant_qty": [quantities[k][0] for _p, k in stocked],
        "quant_reserved": [quantities[k][1] for _p, k in stocked],
        "changed": args.watch_pickings // 100,
    }
    steps = benchlib.execute_steps(env, WATCH_GENERATION, params)
    env.invalidate_all()
    cr.execute(
        """
        SELECT count(*), count(*) FILTER (WHERE late),
               count(*) FILTER (WHERE late AND state = 'confirmed'),
               count(*) FILTER (WHERE off_window)
          FROM bench_watch_plan
        """
    )
    names = ("pickings", "due_within_horizon", "waiting_and_due", "off_window")
    counts = dict(zip(names, cr.fetchone(), strict=True))
    counts["quants"] = len(stocked)
    return params, steps, counts


def watch_once(env, type_ids):
    cr = env.cr
    before = benchlib.activity_counts(env, "stock.picking", type_ids)
    env.invalidate_all()  # a new cron worker: a cold cache
    gc.collect()
    queries = cr.sql_log_count
    with benchlib.QueryLog() as log:
        with Stopwatch() as watch:
            env["stock.picking"]._cron_wms_watch_deliveries()
            env.flush_all()
        queries = cr.sql_log_count - queries
        # what the scheduler's commit would run
        hooks, _result = benchlib.timed(cr.flush)
    after = benchlib.activity_counts(env, "stock.picking", type_ids)
    cr.execute("SELECT count(*) FROM stock_picking WHERE wms_late_risk")
    flagged = cr.fetchone()[0]
    cr.execute(WATCH_EXPECTED)
    expected = dict(zip(WATCH_KINDS, cr.fetchone(), strict=True))
    return {
        "seconds": watch.seconds,
        "queries": queries,
        "hooks": hooks,
        "sql_seconds": log.seconds,
        "writes": log.writes_text(),
        "created": {k: sum(after[k]) - sum(before[k]) for k in WATCH_KINDS},
        "closed": {k: after[k][1] - before[k][1] for k in WATCH_KINDS},
        "open": {k: after[k][0] for k in WATCH_KINDS},
        "expected": expected,
        "flagged": flagged,
        "maxrss": benchlib.maxrss_mb(),
    }


def bench_watch(env, args, report):
    with Stopwatch() as watch:
        params, steps, counts = watch_generate(env, args)
    generation = watch.seconds
    print(f"== delivery watch over {args.watch_pickings} open deliveries")
    for name, value in counts.items():
        say(f"watch_generated_{name}", value)
    say("watch_data_generation_s", generation, "{:.2f}")
    print("   steps: " + benchlib.steps_text(steps))
    type_ids = {kind: env.ref(xmlid).id for kind, xmlid in ACTIVITY_TYPES.items()}
    runs = {}
    runs["first"] = watch_once(env, type_ids)
    runs["unchanged"] = watch_once(env, type_ids)
    env.flush_all()
    env.cr.execute(WATCH_CHANGE, params)
    env.invalidate_all()
    runs["after_changes"] = watch_once(env, type_ids)
    per_k = args.watch_pickings / 1000
    for name, run in runs.items():
        print(f"-- run {name}")
        say(f"watch_{name}_s", run["seconds"])
        say(f"watch_{name}_queries", run["queries"])
        say(f"watch_{name}_s_per_1000_pickings", run["seconds"] / per_k)
        say(
            f"watch_{name}_queries_per_1000_pickings",
            run["queries"] / per_k,
            "{:.1f}",
        )
        say(f"watch_{name}_sql_s", run["sql_seconds"])
        say(f"watch_{name}_commit_hooks_s", run["hooks"])
        for kind in WATCH_KINDS:
            say(
                f"watch_{name}_{kind}_created_closed_open_expected",
                f"{run['created'][kind]} {run['closed'][kind]} "
                f"{run['open'][kind]} {run['expected'][kind]}",
                "{}",
            )
        say(f"watch_{name}_late_risk_flags", run["flagged"])
        say(f"watch_{name}_maxrss_mb", run["maxrss"], "{:.0f}")
        print(f"   write statements: {run['writes']}")
    changed = params["changed"]
    first, unchanged, after = runs["first"], runs["unchanged"], runs["after_changes"]
    checks = {
        "first run opens one activity per condition": all(
            first["open"][k] == first["expected"][k] == first["created"][k]
            for k in WATCH_KINDS
        ),
        "second run creates and closes nothing": not any(
            unchanged["created"][k] or unchanged["closed"][k] for k in WATCH_KINDS
        ),
        "second run writes no row": unchanged["writes"] == "none",
        f"third run closes those of the {changed} changed deliveries": all(
            after["open"][k] == after["expected"][k] and not after["created"][k]
            for k in WATCH_KINDS
        ),
        "late risk flags = late risk activities": all(
            run["flagged"] == run["open"]["late"] for run in runs.values()
        ),
    }
    for text, ok in checks.items():
        report.check(text, ok)
    return runs, generation, checks


# --------------------------------------------------------------------------
def run(env, args, report):
    if args.baseline_database:
        print(
            f"== database without the module: {args.baseline_database} "
            f"({', '.join(BASELINE_MODULES)} only)"
        )
        confirm = confirm_against(args, env, args.baseline_database)
    else:
        baseline = f"{args.database[:40]}_base_{uuid.uuid4().hex[:8]}"
        print(
            f"== database without the module: {baseline} "
            f"({', '.join(BASELINE_MODULES)} only, made now)"
        )
        try:
            install_seconds, _result = benchlib.timed(
                benchlib.install_baseline, args.config, baseline, BASELINE_MODULES
            )
            say("baseline_install_s", install_seconds, "{:.1f}")
            confirm = confirm_against(args, env, baseline)
        finally:
            benchlib.drop_database(baseline)
    ratio, confirm_sane = report_confirm(args, report, *confirm)
    env.invalidate_all()

    watch, generation, checks = bench_watch(env, args, report)
    say("maxrss_mb", benchlib.maxrss_mb(), "{:.0f}")

    median = confirm[1]
    per_k = args.watch_pickings / 1000
    print("== summary")
    print(
        f"   Confirming {args.pickings} deliveries takes {median['with']:.2f} s "
        f"with the module, {median['without']:.2f} s without: {ratio:.2f}x, goal "
        f"<= {GOAL_RATIO:g}x {report.judge(ratio <= GOAL_RATIO)}; requirement "
        f"lines {benchlib.verdict(confirm_sane)}."
    )
    first, unchanged = watch["first"], watch["unchanged"]
    print(
        f"   The watch over {args.watch_pickings} open deliveries (made in "
        f"{generation:.0f} s) takes {first['seconds']:.1f} s and "
        f"{first['queries']} queries on its first run "
        f"({first['seconds'] / per_k:.2f} s, {first['queries'] / per_k:.0f} "
        f"queries per 1,000), {unchanged['seconds']:.1f} s and "
        f"{unchanged['queries']} queries when nothing changed, "
        f"{watch['after_changes']['seconds']:.1f} s after 1 % changed; "
        f"sanity {benchlib.verdict(all(checks.values()))}."
    )


def confirm_against(args, env, baseline):
    """The confirmation benchmark, with the module (``env``) and without it
    (the database ``baseline``, rolled back)."""
    with Registry(baseline).cursor() as base_cr:
        base_env = api.Environment(base_cr, SUPERUSER_ID, {})
        try:
            return bench_confirm(args, env, base_env)
        finally:
            base_cr.rollback()


if __name__ == "__main__":
    benchlib.main(parse_args(), run)
