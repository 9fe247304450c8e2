#!/usr/bin/env python3
"""Benchmark of wms_customer_profile: KPI refresh and XLSX export at scale.

    python3 tests/benchmarks/bench_customer_profile.py --config ODOO_CONF \
        --database DB [--customers 20000] [--deliveries 200000]

DB must have the repository's add-ons installed and be dedicated to this
script (``tests/run --benchmarks`` creates and drops one). The data are made
with set-based SQL; nothing is committed, so the database is left as found.

Prints, one per line:
  * the full KPI refresh (the daily scheduled action) beside the same
    aggregate run as one bare SQL statement, and their ratio (goal <= 2);
  * the XLSX export of every customer: time (goal <= 5 s) and memory growth
    (goal < 100 MB).
"""

import argparse
import base64
import resource
import statistics
import time
import tracemalloc
from datetime import timedelta

RUNS = 3


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--deliveries", type=int, default=200000)
    return parser.parse_args()


def rss_mb():
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 1024 / 1024


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def generate(env, customers, deliveries):
    """Customers, done deliveries (one move each), returns and backorders."""
    cr = env.cr
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", env.company.id)], limit=1
    )
    out_type, in_type = warehouse.out_type_id, warehouse.in_type_id
    stock = warehouse.lot_stock_id.id
    customer_loc = env.ref("stock.stock_location_customers").id
    product = env["product.product"].create(
        {"name": "Benchmark carton", "type": "consu"}
    )
    env.flush_all()
    params = {
        "customers": customers,
        "deliveries": deliveries,
        "company": env.company.id,
        "out_type": out_type.id,
        "in_type": in_type.id,
        "stock": stock,
        "customer_loc": customer_loc,
        "product": product.id,
        "uom": product.uom_id.id,
    }
    cr.execute("SELECT setseed(0.42)")
    cr.execute(
        """
        INSERT INTO res_partner (name, complete_name, is_company, active, type,
                                 tz, create_date, write_date, create_uid,
                                 write_uid)
        SELECT 'Bench customer ' || g, 'Bench customer ' || g, TRUE, TRUE,
               'contact',
               CASE WHEN g %% 3 = 0 THEN 'Asia/Shanghai' ELSE NULL END,
               now(), now(), 1, 1
          FROM generate_series(1, %(customers)s) g
        """,
        params,
    )
    cr.execute(
        """
        UPDATE res_partner SET commercial_partner_id = id
         WHERE name LIKE 'Bench customer %%' AND commercial_partner_id IS NULL
        """
    )
    cr.execute(
        """
        CREATE TEMP TABLE bench_customer AS
        SELECT row_number() OVER (ORDER BY id) AS n, id
          FROM res_partner WHERE name LIKE 'Bench customer %%'
        """
    )
    # deliveries over the last 400 days; 70 % with a deadline around date_done
    cr.execute(
        """
        CREATE TEMP TABLE bench_delivery AS
        SELECT g,
               c.id AS partner_id,
               now()::timestamp - random() * interval '400 days' AS date_done,
               random() AS r
          FROM generate_series(1, %(deliveries)s) g
          JOIN bench_customer c ON c.n = 1 + (g * 7919) %% %(customers)s
        """,
        params,
    )
    cr.execute(
        """
        INSERT INTO stock_picking (name, partner_id, picking_type_id,
                                   location_id, location_dest_id, move_type,
                                   state, company_id, priority, date_done,
                                   scheduled_date, date_deadline, create_date,
                                   write_date, create_uid, write_uid, origin)
        SELECT 'BENCH/OUT/' || g, partner_id, %(out_type)s, %(stock)s,
               %(customer_loc)s, 'direct', 'done', %(company)s, '0', date_done,
               date_done - interval '3 hours',
               CASE WHEN r < 0.6 THEN date_done + interval '1 hour'
                    WHEN r < 0.7 THEN date_done - interval '1 hour' END,
               now(), now(), 1, 1, 'bench'
          FROM bench_delivery
        """,
        params,
    )
    cr.execute(
        """
        INSERT INTO stock_move (picking_id, product_id, product_uom,
                                product_uom_qty, quantity, state, location_id,
                                location_dest_id, company_id, date,
                                procure_method, create_date, write_date,
                                create_uid, write_uid)
        SELECT p.id, %(product)s, %(uom)s, 10,
               CASE WHEN p.id %% 25 = 0 THEN 8 ELSE 10 END,
               CASE WHEN p.id %% 101 = 0 THEN 'cancel' ELSE 'done' END,
               %(stock)s, %(customer_loc)s, %(company)s, p.date_done,
               'make_to_stock', now(), now(), 1, 1
          FROM stock_picking p WHERE p.origin = 'bench'
        """,
        params,
    )
    # 2 % returned, 1 % with a backorder
    cr.execute(
        """
        INSERT INTO stock_picking (name, partner_id, picking_type_id,
                                   location_id, location_dest_id, move_type,
                                   state, company_id, priority, date_done,
                                   return_id, create_date, write_date,
                                   create_uid, write_uid, origin)
        SELECT 'BENCH/RET/' || p.id, p.partner_id, %(in_type)s,
               %(customer_loc)s, %(stock)s, 'direct', 'done', %(company)s, '0',
               p.date_done + interval '2 days', p.id, now(), now(), 1, 1,
               'bench-return'
          FROM stock_picking p WHERE p.origin = 'bench' AND p.id %% 50 = 0
        """,
        params,
    )
    cr.execute(
        """
        INSERT INTO stock_picking (name, partner_id, picking_type_id,
                                   location_id, location_dest_id, move_type,
                                   state, company_id, priority, backorder_id,
                                   scheduled_date, create_date, write_date,
                                   create_uid, write_uid, origin)
        SELECT 'BENCH/BO/' || p.id, p.partner_id, %(out_type)s, %(stock)s,
               %(customer_loc)s, 'direct', 'assigned', %(company)s, '0', p.id,
               now(), now(), now(), 1, 1, 'bench-backorder'
          FROM stock_picking p WHERE p.origin = 'bench' AND p.id %% 97 = 0
        """,
        params,
    )
    cr.execute("ANALYZE stock_picking")
    cr.execute("ANALYZE stock_move")
    cr.execute("ANALYZE res_partner")
    env.invalidate_all()


def bench_refresh(env):
    Kpi = env["wms.customer.kpi"]
    date_from = env.cr.now() - timedelta(days=Kpi._get_window_days())
    bare_sql = Kpi._aggregate_sql(date_from)

    def bare():
        env.cr.execute(bare_sql)
        return len(env.cr.fetchall())

    def full():
        return Kpi._cron_refresh_kpi()

    full()  # warm-up: first run also fills "customer since"
    bare()
    full_times, bare_times = [], []
    for _run in range(RUNS):
        elapsed, refreshed = timed(full)
        full_times.append(elapsed)
        elapsed, rows = timed(bare)
        bare_times.append(elapsed)
    return (
        statistics.median(full_times),
        statistics.median(bare_times),
        (
            refreshed,
            rows,
            date_from,
        ),
    )


def bench_export(env):
    partners = env["res.partner"].search([("name", "like", "Bench customer %")])
    env.invalidate_all()
    wizard = env["wms.customer.export"].create(
        {"partner_ids": [(6, 0, partners.ids)], "include_kpi": True}
    )
    env.flush_all()
    env.invalidate_all()
    rss_before = rss_mb()
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    elapsed, _action = timed(wizard.action_export)
    rss_after = rss_mb()
    maxrss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = len(base64.b64decode(wizard.file_data))
    # second run under tracemalloc: the peak of Python allocations
    env.invalidate_all()
    tracemalloc.start()
    wizard.action_export()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "seconds": elapsed,
        "rows": len(partners),
        "rss_growth": rss_after - rss_before,
        "maxrss_growth": maxrss_after - maxrss_before,
        "python_peak": peak / 1024 / 1024,
        "size": size,
    }


def main():
    args = parse_args()
    import odoo  # noqa: PLC0415 -- imported once the arguments are known
    from odoo.modules.registry import Registry  # noqa: PLC0415
    from odoo.tools import config  # noqa: PLC0415

    config.parse_config(["-c", args.config, "-d", args.database])
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        elapsed, _none = timed(lambda: generate(env, args.customers, args.deliveries))
        print(f"customers={args.customers}")
        print(f"deliveries={args.deliveries}")
        print(f"data_generation_s={elapsed:.2f}")

        full, bare, (refreshed, rows, date_from) = bench_refresh(env)
        ratio = full / bare
        print(f"kpi_full_refresh_s={full:.3f}  (median of {RUNS})")
        print(f"kpi_bare_sql_s={bare:.3f}  (median of {RUNS})")
        print(f"kpi_ratio={ratio:.2f}")
        print(f"goal kpi_ratio<=2: {'PASS' if ratio <= 2 else 'FAIL'}")
        cr.execute(
            """
            SELECT count(*), (SELECT sum(delivery_count) FROM wms_customer_kpi)
              FROM stock_picking p
              JOIN stock_picking_type t ON t.id = p.picking_type_id
             WHERE t.code = 'outgoing' AND p.state = 'done'
               AND p.return_id IS NULL AND p.date_done >= %s
            """,
            [date_from],
        )
        in_window, counted = cr.fetchone()
        print(
            f"kpi_rows={rows} customers_refreshed={refreshed} "
            f"deliveries_in_window={in_window} counted={counted} "
            f"consistent={'yes' if in_window == counted else 'NO'}"
        )

        export = bench_export(env)
        print(f"xlsx_export_rows={export['rows']}")
        print(f"xlsx_export_s={export['seconds']:.2f}")
        print(f"xlsx_file_kb={export['size'] / 1024:.0f}")
        print(f"xlsx_rss_growth_mb={export['rss_growth']:.1f}")
        print(f"xlsx_maxrss_growth_mb={export['maxrss_growth']:.1f}")
        print(f"xlsx_python_peak_mb={export['python_peak']:.1f}")
        growth = max(export["rss_growth"], export["python_peak"])
        print(f"goal xlsx_export_s<=5: {'PASS' if export['seconds'] <= 5 else 'FAIL'}")
        print(f"goal xlsx_memory_growth_mb<100: {'PASS' if growth < 100 else 'FAIL'}")
        cr.rollback()


if __name__ == "__main__":
    main()
