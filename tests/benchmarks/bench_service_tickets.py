"""Benchmark of wms_service_tickets: the SLA watch, validating deliveries.

    python3 tests/benchmarks/bench_service_tickets.py --config ODOO_CONF \
        --database DB [--tickets 50000] [--first-tickets 10000] \
        [--ticket-customers 500] [--pickings 1000] [--customers 100] \
        [--runs 3] [--profile] [--baseline-database BASE] [--smoke]

DB must have the add-ons of ``MODULES`` installed (no demo data) and be
dedicated to this script: ``tests/run --benchmarks`` creates and drops one.
Everything the script writes in DB is rolled back at the end: the database is
left as found (but for sequences and dead rows). ``--smoke``: a watch over
2,000 tickets (500 first), 50 deliveries of 10 customers validated once; the
goals are not judged.

Prints one ``name=value`` figure per line, then a short summary:

1. Validating deliveries. "Without this module" is a second, throwaway
   database with only ``BASELINE_MODULES`` (wms_customer_profile)
   installed: ``--baseline-database`` (``tests/run`` makes it), else one the
   script makes itself (``odoo -i wms_customer_profile``, same configuration
   file, named after DB; dropped at the end, filestore included). In both
   databases the same code makes ``--customers`` customers (one in five
   VIP, the others Normal; half the VIP customers have an account manager
   in the Customer Care team, where the module is installed, with three
   agents), ten products in stock, then analyses the database. Each run
   creates ``--pickings`` deliveries of two lines, confirms and reserves
   them and marks their quantities picked (not timed); one in ten is a VIP
   customer's with a deadline yesterday (late), the others are due
   tomorrow. Then it times ``button_validate()`` as the admin user plus the
   flush of the ORM on a cold cache, counts its queries, and times the
   commit hooks that follow (mail tracking) apart. A warm-up run, then
   ``--runs`` runs in each database, alternately, each in a savepoint
   rolled back; a third configuration runs in DB with no exception type
   making automatic tickets (what the module's stack costs without its
   tickets). Printed: medians, their ratio with/without, with and without
   the commit hooks (goal <= 1.3, on the whole: what the user waits for;
   the module's savepoint around the tickets' creation runs the commit
   hooks pending so far, mail tracking of the transfers, inside the
   validation), the ratio without automatic tickets, the cost of one
   automatic ticket, queries, the share of the module's own step
   (``_wms_raise_exception_tickets``, of which the tickets' ``create`` and
   ``set_sla``), and the automatic late-delivery tickets made per run
   against the late deliveries (a sanity check: 100 at full size).
   ``--profile`` (or a missed goal at full sizes, or ``--smoke``) adds a
   cProfile of one more validation in each database: the top 25 functions
   with the module by cumulative time, the 25 whose time grows most with
   it, and the statements it runs more often.
2. SLA watch. ``--ticket-customers`` customers (VIP, Core, Normal) and
   open tickets of the Customer Care team, each with one response and one
   resolution SLA line of its tier's policies, all in progress, made with
   set-based SQL; deadlines from 2 hours to 10 days away, warning dates
   before them (at least an hour away). The scheduled action's method
   ``_wms_sla_watch`` runs on a cold cache, committing nothing (its
   progress commits, ``ir.cron._commit_progress``, are turned off by the
   script):

   - with nothing due over ``--first-tickets`` tickets, then over
     ``--tickets`` (goal: < 0.5 s, and the same number of queries at both
     sizes);
   - after 1 % of the lines got a warning date a minute ago: one "SLA at
     risk" activity per line, the lines flagged, their tickets at risk;
     then again right after (nothing new: no activity, no write);
   - after the same lines got a deadline half a minute ago: each line
     expired (breached), its "at risk" activity done, a "breached" one
     scheduled; then again right after.

   Printed per run: seconds, queries, what it returned, activities created,
   write statements by table (sanity checks on each).

It is a measurement, not a test: a missed goal does not fail it, a failed
sanity check does (exit 1).
"""

import contextlib
import cProfile
import gc
import io
import pstats
import uuid
from datetime import timedelta

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.modules.registry import Registry
from odoo.tools import SQL

import benchlib
from benchlib import Stopwatch, say

MODULES = ["wms_service_tickets"]
BASELINE_MODULES = ["wms_customer_profile"]
SMOKE_SIZES = {
    "tickets": 2000,
    "first_tickets": 500,
    "ticket_customers": 30,
    "pickings": 50,
    "customers": 10,
    "runs": 1,
}
GOAL_RATIO = 1.3
GOAL_IDLE_WATCH_S = 0.5
LATE_EVERY = 10  # one delivery in ten is late, for a VIP customer
PROFILE_LINES = 25
ACTIVITY_TYPES = {
    "at_risk": "wms_service_tickets.mail_activity_type_sla_at_risk",
    "breached": "wms_service_tickets.mail_activity_type_sla_breached",
}
# the module's steps timed inside a validation: (model, method)
STEPS = [
    ("stock.picking", "_wms_raise_exception_tickets"),
    ("helpdesk.ticket", "create"),
    ("helpdesk.ticket", "set_sla"),
]


def parse_args():
    parser = benchlib.argument_parser(__doc__)
    parser.add_argument("--tickets", type=int, default=50000)
    parser.add_argument(
        "--first-tickets",
        type=int,
        default=10000,
        help="the first size of the idle watch (queries must not grow)",
    )
    parser.add_argument("--ticket-customers", type=int, default=500)
    parser.add_argument("--pickings", type=int, default=1000, help="per run")
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile one more validation even if the goal is met",
    )
    parser.add_argument(
        "--baseline-database",
        metavar="BASE",
        help="a throwaway database with only BASELINE_MODULES installed "
        "(default: the script makes one, then drops it)",
    )
    args = benchlib.parse_args(parser, SMOKE_SIZES)
    if not 100 <= args.first_tickets < args.tickets:
        parser.error("100 <= --first-tickets < --tickets")
    if args.ticket_customers < 3:
        parser.error("--ticket-customers must be at least 3")
    if args.pickings < LATE_EVERY or args.customers < 5:
        parser.error(f"--pickings >= {LATE_EVERY} and --customers >= 5")
    return args


# --------------------------------------------------------------------------
# The database without the module
# --------------------------------------------------------------------------


def analyze_own_tables(cr):
    """ANALYZE the database's own tables, not the catalogs shared by all
    databases: a bare ANALYZE in an open transaction keeps a lock on those
    until it ends, and the other database's ANALYZE, from this same
    process, would wait for it forever."""
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


# --------------------------------------------------------------------------
# Time and queries of some methods
# --------------------------------------------------------------------------
# --------------------------------------------------------------------------
# 1. Validating deliveries: with the module against without it
# --------------------------------------------------------------------------
def validate_setup(env, customers):
    """Customers (one in five VIP), agents, products in stock; the same code
    in both databases."""
    env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True))
    vip = env.ref("wms_customer_profile.tier_vip")
    normal = env.ref("wms_customer_profile.tier_normal")
    agents = env["res.users"].create(
        [
            {
                "name": f"Bench Agent {i}",
                "login": f"bench_agent_{i}_{uuid.uuid4().hex[:8]}",
                "email": f"agent{i}@bench.example.com",
                "group_ids": [Command.set([env.ref("base.group_user").id])],
            }
            for i in range(4)
        ]
    )
    if "helpdesk.ticket.team" in env:
        team = env.ref("wms_service_tickets.helpdesk_team_customer_care")
        # three agents in the team (the fourth manages accounts only)
        team.write({"user_ids": [Command.set(agents[:3].ids)]})
    zones = ("Asia/Shanghai", "Europe/Brussels", False, "America/New_York")
    partners = env["res.partner"].create(
        [
            {
                "name": f"Bench Validate Customer {n:04d}",
                "is_company": True,
                "email": f"customer{n}@bench.example.com",
                "tz": zones[n % 4],
            }
            for n in range(customers)
        ]
    )
    vips = partners.filtered(lambda p: int(p.name[-4:]) % 5 == 0)
    (partners - vips).write({"wms_tier_id": normal.id})
    vips.write({"wms_tier_id": vip.id})
    for n, partner in enumerate(vips):
        # half in the team (routed to them), half outside (least loaded)
        partner.wms_account_manager_id = agents[0 if n % 2 else 3]
    products = env["product.product"].create(
        [
            {"name": f"Bench carton {i}", "is_storable": True, "type": "consu"}
            for i in range(10)
        ]
    )
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", env.company.id)], limit=1
    )
    for product in products:
        env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, 1000000
        )
    env.flush_all()
    analyze_own_tables(env.cr)  # both databases' statistics up to date alike
    return {
        "with_module": "helpdesk.ticket" in env,
        "vips": vips,
        "others": partners,
        "products": products,
        "out_type": warehouse.out_type_id,
        "stock": warehouse.lot_stock_id,
        "customer_loc": env.ref("stock.stock_location_customers"),
        "user": env.ref("base.user_admin"),
    }


def delivery_values(plan, count):
    """``count`` deliveries of two lines: one in ``LATE_EVERY`` a VIP
    customer's, due yesterday (a deadline), the others any customer's, due
    tomorrow (no deadline). Returns the values and the late count."""
    now = fields.Datetime.now()
    yesterday, tomorrow = now - timedelta(days=1), now + timedelta(days=1)
    vips, others, products = plan["vips"], plan["others"], plan["products"]
    values, late = [], 0
    for k in range(count):
        is_late = k % LATE_EVERY == 0
        late += is_late
        partner = (
            vips[k // LATE_EVERY % len(vips)] if is_late else others[k % len(others)]
        )
        date = yesterday if is_late else tomorrow
        lines = ((products[k % 10], 1 + k % 7), (products[(k + 3) % 10], 2 + k % 5))
        values.append(
            {
                "partner_id": partner.id,
                "picking_type_id": plan["out_type"].id,
                "location_id": plan["stock"].id,
                "location_dest_id": plan["customer_loc"].id,
                "origin": f"BENCH-SO{k:05d}",
                "scheduled_date": date,
                "move_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "location_id": plan["stock"].id,
                            "location_dest_id": plan["customer_loc"].id,
                            "date": date,
                            "date_deadline": yesterday if is_late else False,
                        }
                    )
                    for product, qty in lines
                ],
            }
        )
    return values, late


def validate_once(env, plan, count, timer=None, profiler=None, log=None):
    """Create, confirm, reserve and pick ``count`` deliveries, then time
    their validation; all rolled back."""
    cr = env.cr
    with contextlib.closing(cr.savepoint()):
        if plan.get("no_auto_tickets"):
            env["wms.exception.type"].search([]).auto_create = False
        values, late = delivery_values(plan, count)
        pickings = env["stock.picking"].create(values)
        pickings.action_confirm()
        pickings.action_assign()
        for move in pickings.move_ids:
            move.quantity = move.product_uom_qty
        pickings.move_ids.picked = True
        env.flush_all()
        cr.flush()  # what the requests preparing them would commit
        last_ticket = 0
        if plan["with_module"]:
            cr.execute("SELECT COALESCE(max(id), 0) FROM helpdesk_ticket")
            last_ticket = cr.fetchone()[0]
        env.invalidate_all()  # validated in another request: a cold cache
        pickings = pickings.with_user(plan["user"])
        if timer:
            timer.take()
        gc.collect()
        queries = cr.sql_log_count
        with contextlib.ExitStack() as watching:
            if log is not None:
                watching.enter_context(log)
            if profiler:
                profiler.enable()
                watching.callback(profiler.disable)
            with Stopwatch() as watch:
                result = pickings.button_validate()
                env.flush_all()
        queries = cr.sql_log_count - queries
        steps = timer.take() if timer else {}
        # the commit hooks: mail tracking of the state change, of the tickets
        hooks, _result = benchlib.timed(cr.flush)
        cr.execute(
            "SELECT count(*) FROM stock_picking "
            "WHERE id = ANY(%(ids)s) AND state = 'done'",
            {"ids": pickings.ids},
        )
        done = cr.fetchone()[0]
        tickets = late_tickets = 0
        if plan["with_module"]:
            cr.execute(
                """
                SELECT count(*),
                       count(*) FILTER (WHERE t.wms_picking_id = ANY(%(ids)s)
                                          AND e.code = 'late_delivery')
                  FROM helpdesk_ticket t
                  LEFT JOIN wms_exception_type e ON e.id = t.wms_exception_type_id
                 WHERE t.id > %(last)s
                """,
                {"ids": pickings.ids, "last": last_ticket},
            )
            tickets, late_tickets = cr.fetchone()
    env.invalidate_all()
    return {
        "seconds": watch.seconds,
        "queries": queries,
        "hooks": hooks,
        "result": result,
        "done": done,
        "late": late,
        "tickets": tickets,
        "late_tickets": late_tickets,
        "steps": steps,
    }


def profile_difference(with_module, without, limit=PROFILE_LINES):
    """The functions whose cumulative time grows most with the module:
    (with, without, calls with, calls without) per function."""
    stats = {
        key: pstats.Stats(profiler, stream=io.StringIO()).stats
        for key, profiler in (("with", with_module), ("without", without))
    }
    rows = []
    for func, (calls, _primitive, _tottime, cumtime, _callers) in stats["with"].items():
        base = stats["without"].get(func, (0, 0, 0.0, 0.0, None))
        rows.append((cumtime - base[3], cumtime, base[3], calls, base[0], func))
    rows.sort(key=lambda row: -row[0])
    lines = []
    for added, cumtime, base_time, calls, base_calls, func in rows[:limit]:
        filename, line, name = func
        where = f"{benchlib.short_path(filename)}:{line}" if line else filename
        lines.append(
            f"     {added:+7.3f} {cumtime:7.3f} {base_time:7.3f} "
            f"{calls:7d} {base_calls:7d}  {where}({name})"
        )
    return lines


def query_difference(with_module, without, limit=12):
    """The statements run more often with the module: (added calls, added
    seconds, statement)."""
    rows = []
    for text, (calls, seconds) in with_module.by_label.items():
        base_calls, base_seconds = without.by_label.get(text, (0, 0.0))
        if calls > base_calls:
            rows.append((calls - base_calls, seconds - base_seconds, text))
    rows.sort(key=lambda row: -row[0])
    return [
        f"     {calls:6d} x {seconds:+8.3f} s  {text}"
        for calls, seconds, text in rows[:limit]
    ]


def bench_validate(args, env_with, env_without):
    count, runs = args.pickings, args.runs
    # "no_tickets": the module installed, its automatic tickets turned off
    # (no exception type with auto_create): what the rest costs
    envs = {"with": env_with, "no_tickets": env_with, "without": env_without}
    results = {key: [] for key in envs}
    with contextlib.ExitStack() as stack:
        plans = {}
        for key in ("with", "without"):
            stack.enter_context(contextlib.closing(envs[key].cr.savepoint()))
            plans[key] = validate_setup(envs[key], args.customers)
        plans["no_tickets"] = dict(plans["with"], no_auto_tickets=True)
        timer = stack.enter_context(benchlib.MethodTimer().wrap_models(env_with, STEPS))
        for key, env in envs.items():  # warm-up
            validate_once(env, plans[key], count)
        for _run in range(runs):  # alternately, so that all share any drift
            for key, env in envs.items():
                results[key].append(
                    validate_once(
                        env, plans[key], count, timer=timer if key == "with" else None
                    )
                )
        total = {
            key: benchlib.median(r["seconds"] + r["hooks"] for r in results[key])
            for key in results
        }
        # at smoke sizes too, so that the profile's code keeps working
        missed = total["with"] > GOAL_RATIO * total["without"]
        profile = None
        if args.profile or args.smoke or missed:
            profile = {}
            for key in ("with", "without"):
                env = envs[key]
                profile[key] = (cProfile.Profile(), benchlib.QueryLog())
                validate_once(
                    env,
                    plans[key],
                    count,
                    profiler=profile[key][0],
                    log=profile[key][1],
                )
    for env in envs.values():
        env.invalidate_all()
    return results, profile


def report_validate(args, report, results, profile):
    print(
        f"== validation of {args.pickings} deliveries (2 lines each, 1 in "
        f"{LATE_EVERY} late for a VIP customer) as admin, median of "
        f"{args.runs} runs after a warm-up, each database alternately"
    )
    say("validate_customers", args.customers)
    median = {}
    names = {
        "with": "with_module",
        "no_tickets": "with_module_no_automatic_tickets",
        "without": "without_module",
    }
    for key, name in names.items():
        runs = results[key]
        median[key] = {
            "seconds": benchlib.median(r["seconds"] for r in runs),
            "hooks": benchlib.median(r["hooks"] for r in runs),
            "total": benchlib.median(r["seconds"] + r["hooks"] for r in runs),
        }
        say(f"validate_{name}_s", median[key]["seconds"])
        say(f"validate_{name}_commit_hooks_s", median[key]["hooks"])
        say(f"validate_{name}_total_s", median[key]["total"])
        say(
            f"validate_{name}_queries",
            int(benchlib.median(r["queries"] for r in runs)),
        )
        print(
            "   runs (validation + commit hooks): "
            + " ".join(f"{r['seconds']:.3f}+{r['hooks']:.3f}" for r in runs)
        )
    ratio = median["with"]["total"] / median["without"]["total"]
    ratio_no_hooks = median["with"]["seconds"] / median["without"]["seconds"]
    say("validate_ratio_without_commit_hooks", ratio_no_hooks, "{:.2f}")
    say("validate_ratio", ratio, "{:.2f}")
    say(
        "validate_added_ms_per_picking",
        1000 * (median["with"]["total"] - median["without"]["total"]) / args.pickings,
        "{:.2f}",
    )
    report.goal(f"validate_ratio<={GOAL_RATIO:g}", ratio <= GOAL_RATIO)
    late = results["with"][0]["late"]
    say(
        "validate_ratio_module_without_automatic_tickets",
        median["no_tickets"]["total"] / median["without"]["total"],
        "{:.2f}",
    )
    say(
        "validate_automatic_ticket_ms",
        1000 * (median["with"]["total"] - median["no_tickets"]["total"]) / late,
        "{:.1f}",
    )
    for name in sorted({n for r in results["with"] for n in r["steps"]}):
        steps = [r["steps"].get(name, (0.0, 0, 0.0, 0)) for r in results["with"]]
        say(
            f"validate_step_{name}",
            f"{benchlib.median(s[0] for s in steps):.3f} s, "
            f"{benchlib.median(s[1] for s in steps):.0f} queries, "
            f"{benchlib.median(s[3] for s in steps):.0f} calls",
            "{}",
        )
    created = [r["late_tickets"] for r in results["with"]]
    total_tickets = [r["tickets"] for r in results["with"]]
    say("validate_late_deliveries", late)
    say("validate_late_tickets_per_run", " ".join(map(str, created)), "{}")
    say("validate_tickets_per_run", " ".join(map(str, total_tickets)), "{}")
    done = sorted({r["done"] for key in results for r in results[key]})
    say("validate_pickings_done_per_run", " ".join(map(str, done)), "{}")
    wizards = [r["result"] for key in results for r in results[key]]
    sane = report.check(
        f"{late} late-delivery tickets per run, no other, every delivery done",
        set(created) == {late}
        and set(total_tickets) == {late}
        and done == [args.pickings]
        and all(w is True for w in wizards),
    )
    report.check(
        "no ticket without the module or its automatic tickets",
        all(r["tickets"] == 0 for r in results["without"] + results["no_tickets"]),
    )
    if profile:
        (with_profile, with_log), (base_profile, base_log) = (
            profile["with"],
            profile["without"],
        )
        print(
            f"   cProfile of one more validation in each database; with the "
            f"module, top {PROFILE_LINES} by cumulative time "
            "(cumtime tottime calls):"
        )
        for line in benchlib.profile_lines(with_profile):
            print(line)
        print(
            f"   the {PROFILE_LINES} functions whose cumulative time grows most "
            "with the module (added, with, without, calls with, calls without):"
        )
        for line in profile_difference(with_profile, base_profile):
            print(line)
        print(
            f"   queries of that validation: {with_log.count} with the module, "
            f"{base_log.count} without; the statements run more often with "
            "it (added calls, added seconds):"
        )
        for line in query_difference(with_log, base_log):
            print(line)
    return median, ratio, sane


# --------------------------------------------------------------------------
# 2. SLA watch over many open tickets
# --------------------------------------------------------------------------
# One statement per step, no ORM per record; ids from the tables' sequences
# into temporary tables. Tickets of the last two days; each has a response
# line due 2 to 48 h from now (warned 1 h before) and a resolution line due 1
# to 10 days from now (warned 2 h before): nothing is due within the hour.
SLA_CUSTOMERS = [
    (
        "customers",
        """
        CREATE TEMPORARY TABLE bench_sla_customer AS
        SELECT g AS n, nextval('res_partner_id_seq') AS id, g %% 3 AS tier
          FROM generate_series(1, %(customers)s) g;
        INSERT INTO res_partner (
            id, commercial_partner_id, name, complete_name, ref, is_company,
            active, type, lang, tz, email, color, partner_share, wms_tier_id,
            create_uid, create_date, write_uid, write_date __NOT_NULL_COLUMNS__)
        SELECT c.id, c.id,
               'Bench SLA Customer ' || lpad(c.n::text, 5, '0'),
               'Bench SLA Customer ' || lpad(c.n::text, 5, '0'),
               'BS' || lpad(c.n::text, 5, '0'),
               TRUE, TRUE, 'contact', 'en_US',
               CASE WHEN c.n %% 3 = 0 THEN 'Europe/Brussels'
                    WHEN c.n %% 3 = 1 THEN 'Asia/Shanghai' END,
               'sla' || c.n || '@bench.example.com', 0, TRUE,
               jsonb_build_object(
                   %(company)s::text, (%(tiers)s::int[])[1 + c.tier]),
               1, %(now)s, 1, %(now)s __NOT_NULL_VALUES__
          FROM bench_sla_customer c;
        CREATE TEMPORARY TABLE bench_sla_plan (
            n integer PRIMARY KEY, ticket_id integer, response_id integer,
            resolution_id integer, partner_id integer, tier integer,
            user_id integer, created timestamp, response_deadline timestamp,
            resolution_deadline timestamp)
        """,
    ),
]
SLA_TICKETS = [
    (
        "ticket plan",
        """
        INSERT INTO bench_sla_plan
        SELECT g, nextval('helpdesk_ticket_id_seq'),
               nextval('helpdesk_ticket_sla_id_seq'),
               nextval('helpdesk_ticket_sla_id_seq'),
               c.id, c.tier,
               (%(agents)s::int[])[1 + g %% cardinality(%(agents)s::int[])],
               date_trunc('second', %(now)s - random() * interval '2 days'),
               date_trunc('second', %(now)s + interval '2 hours'
                                    + random() * interval '46 hours'),
               date_trunc('second', %(now)s + interval '1 day'
                                    + random() * interval '9 days')
          FROM generate_series(%(start)s, %(stop)s) g
          JOIN bench_sla_customer c ON c.n = 1 + g %% %(customers)s
        """,
    ),
    (
        "tickets",
        """
        INSERT INTO helpdesk_ticket (
            id, number, name, description, stage_id, team_id, user_id,
            partner_id, commercial_partner_id, partner_name, company_id,
            priority, sequence, active, unattended, last_stage_update,
            assigned_date, wms_tier_id, wms_sla_state, wms_response_deadline,
            wms_resolution_deadline,
            create_uid, create_date, write_uid, write_date __NOT_NULL_COLUMNS__)
        SELECT p.ticket_id, 'BST' || lpad(p.n::text, 7, '0'),
               'Bench SLA ticket ' || p.n, '<p>Where is my delivery?</p>',
               %(stage)s, %(team)s, p.user_id, p.partner_id, p.partner_id,
               'Bench SLA Customer ' || lpad(p.partner_id::text, 5, '0'),
               %(company)s, (ARRAY['3', '2', '1'])[1 + p.tier], 10, TRUE, TRUE,
               p.created, p.created, (%(tiers)s::int[])[1 + p.tier],
               'on_track', p.response_deadline, p.resolution_deadline,
               1, p.created, 1, p.created __NOT_NULL_VALUES__
          FROM bench_sla_plan p
         WHERE p.n BETWEEN %(start)s AND %(stop)s
        """,
    ),
    (
        "sla lines",
        """
        INSERT INTO helpdesk_ticket_sla (
            id, ticket_id, sla_id, wms_kind, state, hours, consumed_time,
            expected_stage_id, last_state_date, deadline, wms_warn_date,
            wms_at_risk,
            create_uid, create_date, write_uid, write_date __NOT_NULL_COLUMNS__)
        SELECT p.response_id, p.ticket_id,
               (%(response_slas)s::int[])[1 + p.tier], 'response',
               'in_progress', (%(response_hours)s::float[])[1 + p.tier], 0,
               NULL, p.created, p.response_deadline,
               p.response_deadline - interval '1 hour', FALSE,
               1, p.created, 1, p.created __NOT_NULL_VALUES__
          FROM bench_sla_plan p
         WHERE p.n BETWEEN %(start)s AND %(stop)s
         UNION ALL
        SELECT p.resolution_id, p.ticket_id,
               (%(resolution_slas)s::int[])[1 + p.tier], 'resolution',
               'in_progress', (%(resolution_hours)s::float[])[1 + p.tier], 0,
               %(done_stage)s, p.created, p.resolution_deadline,
               p.resolution_deadline - interval '2 hours', FALSE,
               1, p.created, 1, p.created __NOT_NULL_VALUES__
          FROM bench_sla_plan p
         WHERE p.n BETWEEN %(start)s AND %(stop)s
        """,
    ),
    (
        "analyze",
        """
        ANALYZE res_partner;
        ANALYZE helpdesk_ticket;
        ANALYZE helpdesk_ticket_sla
        """,
    ),
]
# 1 % of the lines (every 100th) due for a warning a minute ago
SLA_WARN = """
    CREATE TEMPORARY TABLE bench_sla_changed AS
    SELECT id, ticket_id
      FROM (SELECT s.id, s.ticket_id, row_number() OVER (ORDER BY s.id) AS k
              FROM helpdesk_ticket_sla s
              JOIN bench_sla_plan p ON p.ticket_id = s.ticket_id) lines
     WHERE k %% 100 = 0;
    UPDATE helpdesk_ticket_sla s
       SET wms_warn_date = %(now)s - interval '1 minute'
      FROM bench_sla_changed c
     WHERE c.id = s.id
"""
# the warning date stays the one they were warned for
SLA_BREACH = """
    UPDATE helpdesk_ticket_sla s
       SET deadline = %(now)s - interval '30 seconds'
      FROM bench_sla_changed c
     WHERE c.id = s.id
"""
SLA_STATE = """
    SELECT count(*) FILTER (WHERE s.wms_at_risk),
           count(*) FILTER (WHERE s.state = 'expired'),
           count(DISTINCT s.ticket_id) FILTER (WHERE t.wms_sla_state = 'at_risk'),
           count(DISTINCT s.ticket_id) FILTER (WHERE t.wms_sla_state = 'breached'),
           count(*) FILTER (WHERE s.wms_activity_id IS NOT NULL)
      FROM bench_sla_changed c
      JOIN helpdesk_ticket_sla s ON s.id = c.id
      JOIN helpdesk_ticket t ON t.id = s.ticket_id
"""


def sla_setup(env, args):
    """The customers, agents and SQL parameters of the tickets."""
    env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True))
    agents = env["res.users"].create(
        [
            {
                "name": f"Bench SLA Agent {i}",
                "login": f"bench_sla_agent_{i}_{uuid.uuid4().hex[:8]}",
                "email": f"sla.agent{i}@bench.example.com",
                "group_ids": [Command.set([env.ref("base.group_user").id])],
            }
            for i in range(5)
        ]
    )
    team = env.ref("wms_service_tickets.helpdesk_team_customer_care")
    team.write({"user_ids": [Command.set(agents.ids)], "user_id": agents[0].id})
    tiers = [
        env.ref(f"wms_customer_profile.tier_{name}")
        for name in ("vip", "core", "normal")
    ]
    slas = {
        (kind, group): env.ref(f"wms_service_tickets.helpdesk_sla_{group}_{kind}")
        for kind in ("response", "resolution")
        for group in ("vip", "core", "standard")
    }
    groups = ("vip", "core", "standard")
    env.flush_all()
    now = fields.Datetime.now()  # the watch's clock, not the transaction's
    params = {
        "customers": args.ticket_customers,
        "now": now,
        "company": env.company.id,
        "tiers": [tier.id for tier in tiers],
        "agents": agents.ids,
        "team": team.id,
        "stage": env.ref("helpdesk_mgmt.helpdesk_ticket_stage_new").id,
        "done_stage": env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done").id,
        "response_slas": [slas["response", g].id for g in groups],
        "resolution_slas": [slas["resolution", g].id for g in groups],
        "response_hours": [slas["response", g].hours for g in groups],
        "resolution_hours": [slas["resolution", g].hours for g in groups],
    }
    benchlib.execute_steps(env, SLA_CUSTOMERS, params)
    return params


def sla_tickets(env, params, start, stop):
    """Tickets ``start``..``stop`` and their lines; (seconds, steps)."""
    with Stopwatch() as watch:
        with benchlib.fast_load(env.cr):
            steps = benchlib.execute_steps(
                env, SLA_TICKETS, dict(params, start=start, stop=stop)
            )
    env.invalidate_all()
    return watch.seconds, steps


def watch_once(env, type_ids):
    cr = env.cr
    before = benchlib.activity_counts(env, "helpdesk.ticket", type_ids)
    env.invalidate_all()  # a new cron worker: a cold cache
    gc.collect()
    queries = cr.sql_log_count
    with benchlib.QueryLog() as log:
        snapshot = log.snapshot()
        with Stopwatch() as watch:
            returned = env["helpdesk.ticket.sla"]._wms_sla_watch()
            env.flush_all()
        queries = cr.sql_log_count - queries
        slowest = log.slowest(snapshot, limit=4)
        # what the scheduler's commit would run
        hooks, _result = benchlib.timed(cr.flush)
    after = benchlib.activity_counts(env, "helpdesk.ticket", type_ids)
    return {
        "seconds": watch.seconds,
        "queries": queries,
        "hooks": hooks,
        "returned": tuple(returned),
        "writes": log.writes_text(),
        "created": {k: sum(after[k]) - sum(before[k]) for k in ACTIVITY_TYPES},
        "open": {k: after[k][0] for k in ACTIVITY_TYPES},
        "slowest": slowest,
    }


def sla_state(env):
    env.flush_all()
    env.cr.execute(SLA_STATE)
    names = ("lines_at_risk", "lines_expired", "tickets_at_risk", "tickets_breached")
    row = env.cr.fetchone()
    return dict(zip(names, row[:4], strict=True)), row[4]


def bench_watch(env, args, report):
    print(
        f"== SLA watch over {args.tickets} open tickets ({2 * args.tickets} SLA lines)"
    )
    params = sla_setup(env, args)
    type_ids = {kind: env.ref(xmlid).id for kind, xmlid in ACTIVITY_TYPES.items()}
    runs = {}
    generation = 0.0
    seconds, steps = sla_tickets(env, params, 1, args.first_tickets)
    generation += seconds
    print(f"   {args.first_tickets} tickets made: " + benchlib.steps_text(steps))
    runs[f"idle_{args.first_tickets}"] = watch_once(env, type_ids)
    seconds, steps = sla_tickets(env, params, args.first_tickets + 1, args.tickets)
    generation += seconds
    print(f"   {args.tickets} tickets made: " + benchlib.steps_text(steps))
    say("watch_data_generation_s", generation, "{:.2f}")
    env.cr.execute(
        "SELECT count(*), count(*) FILTER (WHERE state = 'in_progress') "
        "FROM helpdesk_ticket_sla"
    )
    lines, in_progress = env.cr.fetchone()
    say("watch_sla_lines", lines)
    say("watch_sla_lines_in_progress", in_progress)
    runs[f"idle_{args.tickets}"] = watch_once(env, type_ids)

    env.cr.execute(SLA_WARN, params)
    changed = env.cr.rowcount
    env.invalidate_all()
    say("watch_lines_changed", changed)
    runs["warn"] = watch_once(env, type_ids)
    warn_state = sla_state(env)
    runs["warn_again"] = watch_once(env, type_ids)
    env.flush_all()
    env.cr.execute(SLA_BREACH, params)
    env.invalidate_all()
    runs["breach"] = watch_once(env, type_ids)
    breach_state = sla_state(env)
    runs["breach_again"] = watch_once(env, type_ids)

    for name, run in runs.items():
        print(f"-- run {name}")
        say(f"watch_{name}_s", run["seconds"])
        say(f"watch_{name}_queries", run["queries"])
        say(f"watch_{name}_commit_hooks_s", run["hooks"])
        say(
            f"watch_{name}_returned_breached_at_risk",
            "{} {}".format(*run["returned"]),
            "{}",
        )
        for kind in ACTIVITY_TYPES:
            say(
                f"watch_{name}_{kind}_activities_created_open",
                f"{run['created'][kind]} {run['open'][kind]}",
                "{}",
            )
        print(f"   write statements: {run['writes']}")
        print("   slowest statements:")
        benchlib.print_slowest(run["slowest"])
    for name, (state, linked) in (("warn", warn_state), ("breach", breach_state)):
        for key, value in state.items():
            say(f"watch_after_{name}_{key}", value)
        say(f"watch_after_{name}_lines_with_activity", linked)

    idle_small, idle = runs[f"idle_{args.first_tickets}"], runs[f"idle_{args.tickets}"]
    report.goal(
        f"watch_idle_s<{GOAL_IDLE_WATCH_S:g}", idle["seconds"] < GOAL_IDLE_WATCH_S
    )
    report.goal("watch_idle_queries_constant", idle_small["queries"] == idle["queries"])
    warn, breach = runs["warn"], runs["breach"]
    checks = {
        "idle runs find nothing and write nothing": all(
            runs[name]["returned"] == (0, 0)
            and runs[name]["writes"] == "none"
            and not any(runs[name]["created"].values())
            for name in (f"idle_{args.first_tickets}", f"idle_{args.tickets}")
        ),
        f"warn run: {changed} lines at risk, one activity each": (
            warn["returned"] == (0, changed)
            and warn["created"] == {"at_risk": changed, "breached": 0}
            and warn_state[0]["lines_at_risk"] == changed
            and warn_state[0]["tickets_at_risk"] == changed
            and warn_state[1] == changed
        ),
        f"breach run: {changed} lines expired, at-risk activities done, "
        "one breach activity each": (
            breach["returned"] == (changed, 0)
            and breach["created"]["breached"] == changed
            and breach["open"] == {"at_risk": 0, "breached": changed}
            and breach_state[0]["lines_expired"] == changed
            and breach_state[0]["tickets_breached"] == changed
        ),
        "re-runs find nothing and write nothing": all(
            runs[name]["returned"] == (0, 0)
            and runs[name]["writes"] == "none"
            and not any(runs[name]["created"].values())
            for name in ("warn_again", "breach_again")
        ),
    }
    for text, ok in checks.items():
        report.check(text, ok)
    return runs, changed, generation


# --------------------------------------------------------------------------
def run(env, args, report):
    if args.baseline_database:
        print(
            f"== database without the module: {args.baseline_database} "
            f"({', '.join(BASELINE_MODULES)} only)"
        )
        validate = validate_against(args, env, args.baseline_database)
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
            validate = validate_against(args, env, baseline)
        finally:
            benchlib.drop_database(baseline)
    median, ratio, sane = report_validate(args, report, *validate)
    late = validate[0]["with"][0]["late"]
    stack = median["no_tickets"]["total"] / median["without"]["total"]
    ticket_seconds = median["with"]["total"] - median["no_tickets"]["total"]
    env.invalidate_all()

    watch, changed, generation = bench_watch(env, args, report)
    say("maxrss_mb", benchlib.maxrss_mb(), "{:.0f}")

    idle = watch[f"idle_{args.tickets}"]
    idle_small = watch[f"idle_{args.first_tickets}"]
    print("== summary")
    print(
        f"   Validating {args.pickings} deliveries ({late} late for VIP "
        f"customers) takes {median['with']['total']:.2f} s with the module "
        f"(commit hooks included), {median['without']['total']:.2f} s "
        f"without: {ratio:.2f}x, goal <= {GOAL_RATIO:g}x "
        f"{report.judge(ratio <= GOAL_RATIO)}; "
        f"{median['no_tickets']['total']:.2f} s with the module and no "
        f"automatic ticket ({stack:.2f}x), so "
        f"{1000 * ticket_seconds / late:.0f} ms per automatic ticket; "
        f"late-delivery tickets {benchlib.verdict(sane)}."
    )
    print(
        f"   The SLA watch over {args.tickets} open tickets (made in "
        f"{generation:.0f} s) takes {idle['seconds']:.3f} s and "
        f"{idle['queries']} queries with nothing due ({idle_small['queries']} "
        f"over {args.first_tickets}), goal < {GOAL_IDLE_WATCH_S:g} s "
        f"{report.judge(idle['seconds'] < GOAL_IDLE_WATCH_S)}; "
        f"{watch['warn']['seconds']:.2f} s and {watch['warn']['queries']} "
        f"queries to warn {changed} lines, {watch['warn_again']['seconds']:.3f} s "
        f"right after; {watch['breach']['seconds']:.2f} s to breach them."
    )


def validate_against(args, env, baseline):
    """The validation benchmark, with the module (``env``) and without it
    (the database ``baseline``, rolled back)."""
    with Registry(baseline).cursor() as base_cr:
        base_env = api.Environment(base_cr, SUPERUSER_ID, {})
        try:
            with benchlib.no_cron_commit(base_env):
                return bench_validate(args, env, base_env)
        finally:
            base_cr.rollback()


if __name__ == "__main__":
    benchlib.main(parse_args(), run)
