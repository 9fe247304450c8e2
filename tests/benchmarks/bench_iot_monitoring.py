"""Benchmark of wms_iot_monitoring: HTTP ingest, overlapping batches, the MQTT
bridge, 10 M readings.

    python3 tests/benchmarks/bench_iot_monitoring.py --config ODOO_CONF \
        --database DB [--sensors 1000] [--clients 2,4] [--batch-size 1000] \
        [--run-batches 240] [--warmup-batches 40] [--excursion-percent 10] \
        [--overlap-readings 20000] [--bridge-sensors 100] \
        [--bridge-gateways 4] [--bridge-duration 45] [--bridge-load 0.84] \
        [--bridge-rate R] [--bridge-saturation 8] \
        [--bridge-saturation-rate R] [--scale-readings 10000000] \
        [--scale-sensors 1000] [--graph-runs 11] [--runs 3] \
        [--vacuum auto|always|never] [--profile] [--smoke]

DB must have the add-ons of ``MODULES`` installed (no demo data) and be
dedicated to this script: ``tests/run --benchmarks`` creates and drops one.
Unlike most benchmarks, this one COMMITS parts 1 to 3: an Odoo server in
another process must see the gateways, sensors and keys, and the readings it
stores are committed by it. What it commits (gateways, sensors, their
readings, alerts and the alerts' tickets, mails and activities) is named
after a tag of the run (``Bench IoT <tag>``) and stays in DB; a second run in
the same database works, and measures a bigger table. Part 4 runs in the
script's own transaction, rolled back at the end. ``--smoke``: 40 sensors,
8,000 readings per run, one run, 3,000 overlapping readings, the bridge at
2,000 readings/s for 3 s and 10,000/s for 1 s, 50,000 readings for part 4
(``tests/run`` runs it, in 15-40 s), goals not judged. While
the server works, the script holds no transaction open in DB (it checks:
an open snapshot would keep every dead row version the batches leave).

1. Throughput. ``--sensors`` sensors (``Bench IoT <tag> S00001``...,
   temperature and humidity, the shipped "Pharma 2-8 °C" profile: warning
   3-7 °C, alarm 2-8 °C, 15 minutes' delay), spread evenly over as many
   gateways as the largest number of clients (one gateway, one key, per
   client); one sensor in ``100 / --excursion-percent`` reads 9.0-9.9 °C
   (an excursion, with a customer to notify), the others 4.0-5.8 °C. Keys
   from ``action_generate_key()`` (as the admin user), the gateways' rate
   limit raised out of the way; committed. A real Odoo server
   (``benchlib.OdooServer``: ``--workers 2``, no cron worker, its own free
   port and log file, ``--db-filter`` to DB) takes the readings at ``POST
   /wms/iot/v1/readings`` (``Authorization: Bearer <key>``, JSON,
   ``X-Odoo-Database``). Clients are processes (one per client, fork), each
   posting its own pre-serialized ``--batch-size``-reading batches one
   after the other on a new connection each (Odoo's workers speak
   HTTP/1.0). Each sensor reads once a minute of device time (ISO 8601
   with a +08:00 offset), in device-time order, starting a few days ago.

   For each number of ``--clients``: a warm-up (``--warmup-batches``,
   loading the registry in each worker and opening the excursions' alarms,
   their tickets and mails), then ``--runs`` timed runs of
   ``--run-batches`` batches in all, each followed by the floor: the same
   number of rows into the same table (``wms_iot_reading``, the sensors of
   a gateway no client uses) with ``psycopg2.extras.execute_values``, one
   connection, a commit per 1,000-row page (the endpoint commits each
   batch). Before each timed run, where PostgreSQL's autovacuum is off
   (``--vacuum auto``), the small tables every batch updates (sensors,
   alerts, gateways, rate windows) are vacuumed, as autovacuum would.
   Printed: readings per second (median and each run; goals >= 35,000 and
   >= 50 % of the floor, per number of clients), p50 and p99 latency of a
   batch (every timed batch of the runs), the floor's rows per second, the
   size of those small tables after each run (their growth: dead row
   versions), and the CPU seconds, per run, of the Odoo server's processes,
   of PostgreSQL's backends on DB (n/a when PostgreSQL runs in another
   container or machine), of the clients, of everything else on
   the machine ("other": on a shared machine, other work skews the
   figures) and of the machine (its cores' busy and total time): where the
   two cores go. The clients' share shows that they are not the
   bottleneck. Then the ingest engine alone, in this
   process (``_wms_ingest_items`` of one batch of a client's gateway as the
   ingest user, without HTTP, JSON parsing, key and rate limit; median of 5,
   rolled back), and with ``--profile`` (or a missed goal at full size) its
   cProfile. Sanity checks: every answer is a JSON 200 with every reading
   accepted and nothing rejected or duplicated; the readings stored for the
   sensors are the readings sent; each excursion sensor has one ongoing
   alarm with a ticket, the other sensors none; the server logged no error.
2. Concurrency. ``--overlap-readings`` new readings of the first gateway's
   sensors; four clients send all of them at once, each in its own order
   (shuffled) and its own batches (500-1,500 readings). Sanity checks: every
   answer is a JSON 200 (no 5xx, no 429, no HTML), each reading accepted
   once and counted as a duplicate three times, every reading stored once
   with its values, each sensor's last reading date its newest reading, one
   ongoing alert at most per sensor, measure and direction.
3. The MQTT bridge (``iot_bridge/``), with the same server. Its own
   gateways (``--bridge-gateways``, keys, rate limit raised) and two sets of
   ``--bridge-sensors`` sensors dealt to them in turn (temperature and
   humidity, "Pharma 2-8 °C"), committed. The broker: the one at
   ``WMS_MQTT_HOST``:``WMS_MQTT_PORT`` (default 127.0.0.1:1883; login from
   ``WMS_MQTT_USERNAME`` and ``WMS_MQTT_PASSWORD``), as for the bridge's
   tests; none answering fails the script. The bridge runs as a subprocess
   (``python -m wms_iot_bridge --config``; a TOML file of its own, a client
   id of the run, a session expiry of a minute, its spool in a temporary
   folder), until it has subscribed; then the simulator, another subprocess
   (``--simulate N --gateway-names ... --serials ... --rate R --duration D
   --interval 1``), publishes the load: each tick, one QoS 1 message per
   gateway with a reading of each of its sensors; tick k carries device time
   ``ts_start + k`` s and is due at ``wall_start + k / ticks_per_second``
   (its ``simulate.started`` log line).

   Paced: the first set of sensors at ``--bridge-rate`` readings/s (default
   ``--bridge-load`` times the HTTP figure of the largest number of clients,
   measured above: 4 clients for 4 gateways; 0.84 = the goal's 80 % and a 5 %
   margin, so that a bridge that keeps up measures above the goal) for
   ``--bridge-duration`` seconds. Meanwhile a thread of this script reads
   the newest reading of each sensor every 25 ms (one index probe per
   sensor): a reading first seen at poll time P took P minus its due time
   from broker to database (publisher lag, spool, batching, Odoo, and the
   poll interval included: an upper bound). Printed: readings per second
   stored while the middle 80 % of them were (the steady state: no start,
   no tail), its ratio to the HTTP figure (goal >= 80 %), latency p50, p99
   (goal < 2 s) and max, the largest backlog (readings due, not yet
   stored), stored per second over each 5 s, the batches the bridge posted
   (their size, duplicates, retries) and where the CPU went (Odoo,
   PostgreSQL, the bridge, the simulator, the broker when it runs here,
   this script, everything else). Sanity checks: the simulator published
   every reading of its schedule; each is stored exactly once (per sensor:
   as many rows as ticks, from the first tick's time to the last's), none
   rejected.

   Saturation (``--bridge-saturation`` seconds, 0: none): the second set of
   sensors at ``--bridge-saturation-rate`` (default twice the HTTP
   figure), more than the bridge or the simulator can take; printed: what
   the simulator published per second and what was stored per second
   (middle 80 %), not judged. Mosquitto queues at most 1,000 messages per
   client by default (``max_queued_messages``) and drops QoS 1 messages
   beyond that when a subscriber falls behind: readings missing there are
   printed, not checked. At the end, SIGTERM: the bridge must stop cleanly
   (exit 0, ``bridge.stopped``) and have logged no ERROR, CRITICAL or
   non-JSON line (sanity checks).
4. At ``--scale-readings`` readings (rolled back at the end). A gateway of
   ``--scale-sensors`` sensors and their readings, evenly spaced over the
   last 100 days (10 days older than the default retention of 90), made by
   one set-based INSERT (every NOT NULL column filled, ``benchlib``), then
   ANALYZE (and the new ranges of the BRIN index summarized, as autovacuum
   would). Timed: the "Readings" graph of one sensor over the last 24
   hours, as the web client asks it: the domain of the sensor's
   ``action_view_readings()`` and of the search view's "Last 24 hours"
   filter, ``formatted_read_group(domain, ["ts:hour", "sensor_id"],
   ["temperature:avg"])`` with ``fill_temporal`` and the user's time zone,
   by an IoT User with the company rules, on a cold ORM cache (median of
   ``--graph-runs``; goal < 50 ms), and ``_read_group`` by hour the same
   way; the hourly rollup (``_wms_rollup``) over every reading not rolled
   up yet (its progress mark removed first, as on its first run after
   installing), and the retention (``_wms_purge``) of the readings older
   than it, as the scheduled action ``_cron_wms_iot_rollup`` calls them
   (committing nothing: ``benchlib.no_cron_commit``); each in seconds per
   million readings rolled up or deleted. Sanity checks: the graph's
   average is the readings' average; the rollups count every reading of a
   complete hour and their averages are the readings'; after the retention
   no reading is older than it and the rollups of the deleted hours stay.

It is a measurement, not a test: a missed goal does not fail it, a failed
sanity check does (exit 1).
"""

import bisect
import cProfile
import itertools
import json
import math
import multiprocessing
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
import psycopg2.extras

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.sql_db import connection_info_for
from odoo.tools import SQL

import benchlib
from benchlib import Stopwatch, say

MODULES = ["wms_iot_monitoring"]
SMOKE_SIZES = {
    "sensors": 40,
    "run_batches": 8,
    "warmup_batches": 4,
    "overlap_readings": 3000,
    "scale_readings": 50000,
    "scale_sensors": 50,
    "graph_runs": 3,
    "runs": 1,
    "bridge_duration": 3,
    "bridge_rate": 2000,
    "bridge_saturation": 1,
    "bridge_saturation_rate": 10000,
}
GOAL_READINGS_PER_S = 35000
GOAL_FLOOR_SHARE = 0.5
GOAL_GRAPH_MS = 50
GOAL_BRIDGE_SHARE = 0.8  # of the HTTP figure, largest number of clients
GOAL_BRIDGE_P99_MS = 2000
ENDPOINT = "/wms/iot/v1/readings"
PROFILE = "wms_iot_monitoring.profile_pharma_2_8"
WATERMARK_PARAM = "wms_iot_monitoring.rollup_done_until"  # the rollup's progress
INTERVAL = timedelta(minutes=1)  # of a sensor's readings, device time
DEVICE_OFFSET = timedelta(hours=8)  # the devices send local time, +08:00
# the tables each batch updates (sensors' last values, ongoing alerts, rate)
BUSY_TABLES = (
    "wms_iot_sensor",
    "wms_iot_alert",
    "wms_iot_gateway",
    "wms_iot_gateway_rate",
)
OVERLAP_CLIENTS = 4
OVERLAP_BATCH = (500, 1500)
REQUEST_TIMEOUT = 120  # seconds
SCALE_DAYS = 100
ENGINE_RUNS = 5
PROFILE_LINES = 25
CUSTOMERS = 10  # the excursion sensors' customers, notified of an alarm
USER_TZ = "Europe/Brussels"
# the web client's graph of a sensor's readings: its search view's "Last 24
# hours" filter, the graph view's groupings
GRAPH_FILTER = [("ts", ">", "-24H")]
GRAPH_GROUPBY = ["ts:hour", "sensor_id"]


def parse_args():
    parser = benchlib.argument_parser(__doc__)
    parser.add_argument("--sensors", type=int, default=1000)
    parser.add_argument(
        "--clients",
        default="2,4",
        help="the numbers of concurrent clients, comma-separated",
    )
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--run-batches", type=int, default=240, help="batches per timed run, in all"
    )
    parser.add_argument("--warmup-batches", type=int, default=40)
    parser.add_argument("--excursion-percent", type=float, default=10.0)
    parser.add_argument("--overlap-readings", type=int, default=20000)
    parser.add_argument(
        "--bridge-sensors",
        type=int,
        default=100,
        help="sensors of each load of the MQTT bridge (paced, saturation)",
    )
    parser.add_argument("--bridge-gateways", type=int, default=4)
    parser.add_argument(
        "--bridge-duration", type=float, default=45, help="seconds of paced load"
    )
    parser.add_argument(
        "--bridge-load",
        type=float,
        default=0.84,
        help="the paced load, a share of the HTTP figure of the largest number "
        "of clients (the goal's 80 %% and a margin)",
    )
    parser.add_argument(
        "--bridge-rate",
        type=float,
        help="the paced load in readings/s (instead of --bridge-load)",
    )
    parser.add_argument(
        "--bridge-saturation",
        type=float,
        default=8,
        help="seconds of a load beyond what the bridge takes (0: none)",
    )
    parser.add_argument(
        "--bridge-saturation-rate",
        type=float,
        help="readings/s of that load (default: twice the HTTP figure)",
    )
    parser.add_argument("--scale-readings", type=int, default=10_000_000)
    parser.add_argument("--scale-sensors", type=int, default=1000)
    parser.add_argument("--graph-runs", type=int, default=11)
    parser.add_argument(
        "--vacuum",
        choices=["auto", "always", "never"],
        default="auto",
        help="VACUUM the tables each batch updates before each timed run: "
        "auto = when PostgreSQL's autovacuum is off",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile of the ingest engine even if the goals are met",
    )
    args = benchlib.parse_args(parser, SMOKE_SIZES)
    try:
        args.clients = sorted({int(n) for n in args.clients.split(",")})
    except ValueError:
        parser.error("--clients: numbers, comma-separated")
    if not args.clients or args.clients[0] < 1:
        parser.error("--clients: at least one client")
    if not 1 <= args.batch_size <= 5000:
        parser.error("--batch-size: 1 to 5000 (the endpoint's limit)")
    if args.sensors < args.clients[-1] or args.run_batches < args.clients[-1]:
        parser.error("--sensors and --run-batches: at least one per client")
    if not 0 < args.excursion_percent <= 100:
        parser.error("--excursion-percent: more than 0, at most 100")
    if args.scale_sensors < 1 or args.scale_readings < args.scale_sensors * 24:
        parser.error("--scale-readings: at least 24 per --scale-sensors")
    if not 1 <= args.bridge_gateways <= args.bridge_sensors:
        parser.error("--bridge-gateways: at least 1, at most --bridge-sensors")
    if args.bridge_duration <= 0 or args.bridge_saturation < 0:
        parser.error("--bridge-duration: more than 0; --bridge-saturation: 0 or more")
    for rate in (args.bridge_load, args.bridge_rate, args.bridge_saturation_rate):
        if rate is not None and rate <= 0:
            parser.error("--bridge-load and the bridge's rates: more than 0")
    return args


# --------------------------------------------------------------------------
# The fleet: gateways, sensors, keys (committed)
# --------------------------------------------------------------------------
class Feed:
    """The readings of one gateway's sensors, in device-time order: reading
    k is sensor k % n's at start + (k // n) minutes."""

    def __init__(self, serials, excursion, start):
        self.serials = serials
        self.excursion = excursion  # set of serials in excursion
        self.start = start
        self.position = 0

    def take(self, count):
        items = []
        n = len(self.serials)
        stamps = {}
        for k in range(self.position, self.position + count):
            serial = self.serials[k % n]
            step = k // n
            if step not in stamps:
                local = self.start + step * INTERVAL + DEVICE_OFFSET
                stamps[step] = local.strftime("%Y-%m-%dT%H:%M:%S+08:00")
            base = 9.0 if serial in self.excursion else 4.0
            items.append(
                {
                    "sensor": serial,
                    "ts": stamps[step],
                    "temperature": round(base + 0.2 * (step % 10) / 2, 2),
                    "humidity": float(45 + step % 7),
                }
            )
        self.position += count
        return items

    def end(self):
        """The device time of the next reading."""
        return self.start + (self.position // len(self.serials) + 1) * INTERVAL


def make_fleet(env, args, tag, start):
    """Gateways (one per client of the largest run, and one for the floor),
    their sensors and keys, committed. Returns the fleet's description."""
    env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True))
    company = env.company
    profile = env.ref(PROFILE)
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", company.id)], limit=1
    )
    location = env["stock.location"].create(
        {
            "name": f"Bench IoT {tag} cold room",
            "usage": "internal",
            "location_id": warehouse.view_location_id.id,
            "company_id": company.id,
        }
    )
    customers = env["res.partner"].create(
        [
            {
                "name": f"Bench IoT {tag} customer {i}",
                "email": f"iot.customer{i}.{tag}@bench.example.com",
                "lang": "en_US",
                "is_company": True,
            }
            for i in range(CUSTOMERS)
        ]
    )
    count = args.clients[-1]
    gateways = env["wms.iot.gateway"].create(
        [
            {
                "name": f"Bench IoT {tag} gateway {i + 1}",
                "company_id": company.id,
                "rate_limit": 10**9,  # no 429 in a benchmark
            }
            for i in range(count + 1)  # the last one: the floor's sensors
        ]
    )
    every = max(1, round(100 / args.excursion_percent))
    vals, floor_vals = [], []
    for i in range(args.sensors):
        gateway = gateways[i % count]
        excursion = i % every == 0
        vals.append(
            {
                "name": f"Bench IoT {tag} S{i + 1:05d}",
                "serial": f"B{tag}-{i + 1:05d}",
                "gateway_id": gateway.id,
                "measures": "both",
                "location_id": location.id,
                "profile_id": profile.id,
                "partner_id": customers[i % CUSTOMERS].id if excursion else False,
            }
        )
    for i in range(args.sensors // count):
        floor_vals.append(
            {
                "name": f"Bench IoT {tag} floor F{i + 1:05d}",
                "serial": f"F{tag}-{i + 1:05d}",
                "gateway_id": gateways[count].id,
                "measures": "both",
                "location_id": location.id,
                "profile_id": profile.id,
            }
        )
    sensors = env["wms.iot.sensor"].create(vals)
    floor_sensors = env["wms.iot.sensor"].create(floor_vals)
    keys, refused = gateway_keys(env, gateways[:count])
    env.cr.commit()
    excursion = {s.serial for i, s in enumerate(sensors) if i % every == 0}
    feeds = [
        Feed(
            [s.serial for s in sensors if s.gateway_id == gateway],
            excursion,
            start,
        )
        for gateway in gateways[:count]
    ]
    return {
        "company": company,
        "gateways": gateways[:count],
        "keys": keys,
        "sensors": sensors,
        "excursion_ids": [s.id for s in sensors if s.serial in excursion],
        "floor_sensors": floor_sensors,
        "floor_feed": Feed([s.id for s in floor_sensors], set(), start),
        "feeds": feeds,
        "location": location,
        "key_refused": refused,
    }


def gateway_keys(env, gateways):
    """(a key per gateway, from ``action_generate_key()`` as the admin; the
    error if the admin may not: then generated as superuser)."""
    admin = env.ref("base.user_admin")
    keys, refused = [], None
    for gateway in gateways:
        try:
            with env.cr.savepoint():
                action = gateway.with_user(admin).action_generate_key()
        except AccessError as error:  # reported; measure on all the same
            refused = str(error).splitlines()[0]
            action = gateway.with_user(admin).sudo().action_generate_key()
        keys.append(env[action["res_model"]].browse(action["res_id"]).key)
    return keys, refused


def plan_start(args):
    """The device time of the first reading: far enough in the past that the
    last one is before now, whatever the clients send."""
    count = args.clients[-1]
    per_gateway = args.sensors // count
    batches = sum(
        args.warmup_batches + args.runs * args.run_batches for _ in args.clients
    )
    readings = batches * args.batch_size + args.overlap_readings + 10 * args.batch_size
    minutes = readings // max(1, per_gateway) + 60
    return fields.Datetime.now().replace(second=0, microsecond=0) - timedelta(
        minutes=minutes
    )


# --------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------
def client_main(port, database, key, bodies, barrier, queue, index):
    """One client process: post ``bodies`` one after the other; put (index,
    CPU seconds, [(start, end, status, content type, body)]) on the queue."""
    import http.client  # noqa: PLC0415 -- the child's own connections

    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "X-Odoo-Database": database,
    }
    answers = []
    barrier.wait()
    cpu = time.process_time()
    for body in bodies:
        start = time.perf_counter()
        try:
            connection = http.client.HTTPConnection(
                "127.0.0.1", port, timeout=REQUEST_TIMEOUT
            )
            connection.request("POST", ENDPOINT, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            status, kind = response.status, response.getheader("Content-Type", "")
            connection.close()
        except OSError as error:
            status, kind, data = 0, "", str(error).encode()
        answers.append((start, time.perf_counter(), status, kind, data))
    queue.put((index, time.process_time() - cpu, answers))


def post_concurrently(server, database, work):
    """``work``: [(key, [body, ...])], one per client, all started at once.
    Returns (wall seconds, client CPU seconds, [[answer, ...] per client],
    CPU seconds by process group)."""
    idle = idle_transactions(database)
    if idle:
        raise RuntimeError(
            f"transaction(s) open on {database} while the server works (their "
            f"snapshot keeps every dead row version: no pruning, no vacuum): {idle}"
        )
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(work) + 1)
    queue = context.Queue()
    processes = [
        context.Process(
            target=client_main,
            args=(server.port, database, key, bodies, barrier, queue, index),
            daemon=True,
        )
        for index, (key, bodies) in enumerate(work)
    ]
    for process in processes:
        process.start()
    meter = benchlib.CpuMeter(
        {
            "odoo": server.pids,
            "postgres": lambda: benchlib.postgres_backends(database),
            "bench": lambda: {os.getpid()},
        }
    )
    meter.start()
    barrier.wait()
    results = [queue.get(timeout=REQUEST_TIMEOUT * 10) for _process in processes]
    cpu = meter.stop()
    for process in processes:
        process.join()
    results.sort()
    answers = [answer for _index, _cpu, answer in results]
    flat = [a for client in answers for a in client]
    wall = max(a[1] for a in flat) - min(a[0] for a in flat)
    cpu["clients"] = sum(client_cpu for _index, client_cpu, _answers in results)
    return wall, answers, cpu


def idle_transactions(dbname):
    """The transactions open and idle on ``dbname`` (this script's, between
    two statements): none may hold a snapshot while the server works."""
    _db, info = connection_info_for(dbname)
    connection = psycopg2.connect(**info)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, left(query, 200) FROM pg_stat_activity "
                "WHERE datname = %s AND state LIKE 'idle in transaction%%' "
                "AND pid <> pg_backend_pid()",
                [dbname],
            )
            return cursor.fetchall()
    finally:
        connection.close()


def decode(answer):
    """The JSON body of a 200 answer with a JSON content type, else None."""
    _start, _end, status, kind, data = answer
    if status != 200 or not kind.startswith("application/json"):
        return None
    try:
        body = json.loads(data)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def answer_text(answer):
    _start, _end, status, kind, data = answer
    return f"{status} {kind or '-'} {data[:300]!r}"


def batches_for(feed, count, size):
    """(pre-serialized bodies, readings) of ``count`` batches of ``size``."""
    bodies = []
    for _i in range(count):
        items = feed.take(size)
        bodies.append(json.dumps({"readings": items}).encode())
    return bodies, count * size


# --------------------------------------------------------------------------
# 1. throughput
# --------------------------------------------------------------------------
def bench_throughput(env, args, report, server, fleet):
    dbname = env.cr.dbname
    extra = benchlib.not_null_defaults(
        env,
        "wms.iot.reading",
        {"id", "sensor_id", "company_id", "ts", "temperature", "humidity"},
    )
    company_id = fleet["company"].id
    env.cr.commit()  # no snapshot of this script while the server works
    results = {}
    sent_total = accepted_total = 0
    bad_answers = []
    for clients in args.clients:
        print(f"== throughput: {clients} clients, batches of {args.batch_size}")
        feeds, keys = fleet["feeds"][:clients], fleet["keys"][:clients]
        # the warm-up: registries, the excursions' alarms (tickets, mails)
        per_client = max(1, args.warmup_batches // clients)
        work = []
        for key, feed in zip(keys, feeds, strict=True):
            bodies, _count = batches_for(feed, per_client, args.batch_size)
            work.append((key, bodies))
        wall, answers, _cpu = post_concurrently(server, dbname, work)
        say(f"http_{clients}c_warmup_s", wall, "{:.2f}")
        sent = per_client * clients * args.batch_size
        accepted, bad = tally(answers)
        sent_total += sent
        accepted_total += accepted
        bad_answers += bad
        runs = []
        for _run in range(args.runs):
            per_client = args.run_batches // clients
            work = []
            for key, feed in zip(keys, feeds, strict=True):
                bodies, _count = batches_for(feed, per_client, args.batch_size)
                work.append((key, bodies))
            sent = per_client * clients * args.batch_size
            vacuum_s = vacuum_busy_tables(dbname) if args.vacuum_busy else None
            wall, answers, cpu = post_concurrently(server, dbname, work)
            sizes = table_sizes(dbname)
            accepted, bad = tally(answers)
            sent_total += sent
            accepted_total += accepted
            bad_answers += bad
            latencies = [(a[1] - a[0]) * 1000 for client in answers for a in client]
            floor_s = floor_run_rows(dbname, fleet, company_id, extra, sent, args)
            runs.append(
                {
                    "readings": sent,
                    "seconds": wall,
                    "per_s": sent / wall,
                    "latencies": latencies,
                    "cpu": cpu,
                    "floor_per_s": sent / floor_s,
                    "accepted": accepted,
                    "vacuum_s": vacuum_s,
                    "sizes": sizes,
                }
            )
        results[clients] = runs
        report_throughput(args, report, clients, runs)
    print("== throughput: what was stored")
    report.check(
        f"every answer a JSON 200 with all its readings accepted "
        f"({len(bad_answers)} others)",
        not bad_answers,
    )
    for answer in bad_answers[:5]:
        print(f"   {answer}")
    say("http_readings_sent", sent_total)
    say("http_readings_accepted", accepted_total)
    env.cr.rollback()  # a new snapshot: what the server committed
    env.cr.execute(
        "SELECT count(*) FROM wms_iot_reading WHERE sensor_id = ANY(%s)",
        [fleet["sensors"].ids],
    )
    stored = env.cr.fetchone()[0]
    say("http_readings_stored", stored)
    report.check(
        "readings stored = readings sent = readings accepted",
        stored == sent_total == accepted_total,
    )
    check_alerts(env, report, fleet)
    env.cr.commit()
    return results


def floor_run_rows(dbname, fleet, company_id, extra, count, args):
    """The floor: ``count`` new rows of the floor's sensors; seconds."""
    feed = fleet["floor_feed"]
    n = len(feed.serials)
    rows = []
    for k in range(feed.position, feed.position + count):
        step = k // n
        rows.append(
            (
                feed.serials[k % n],
                company_id,
                feed.start + step * INTERVAL,
                4.0 + 0.1 * (step % 10),
                float(45 + step % 7),
                *extra.values(),
            )
        )
    feed.position += count
    columns = "sensor_id, company_id, ts, temperature, humidity"
    columns += "".join(f", {column}" for column in extra)
    query = f"INSERT INTO wms_iot_reading ({columns}) VALUES %s"
    _db, info = connection_info_for(dbname)
    connection = psycopg2.connect(**info)
    try:
        with connection.cursor() as cursor, Stopwatch() as watch:
            for start in range(0, len(rows), args.batch_size):
                psycopg2.extras.execute_values(
                    cursor,
                    query,
                    rows[start : start + args.batch_size],
                    page_size=args.batch_size,
                )
                connection.commit()
    finally:
        connection.close()
    return watch.seconds


def autovacuum_on(cr):
    cr.execute("SHOW autovacuum")
    return cr.fetchone()[0] == "on"


def vacuum_busy_tables(dbname):
    """VACUUM the small tables that every batch updates, as autovacuum
    would (on a connection of its own, outside a transaction); seconds."""
    _db, info = connection_info_for(dbname)
    connection = psycopg2.connect(**info)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor, Stopwatch() as watch:
            cursor.execute(f"VACUUM {', '.join(BUSY_TABLES)}")
    finally:
        connection.close()
    return watch.seconds


def table_sizes(dbname):
    """{table: kB on disk, its indexes included} of BUSY_TABLES: their growth
    is the dead row versions left by the batches' updates."""
    _db, info = connection_info_for(dbname)
    connection = psycopg2.connect(**info)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, pg_total_relation_size(oid) / 1024 FROM pg_class "
                "WHERE relname = ANY(%s) AND relkind = 'r'",
                [list(BUSY_TABLES)],
            )
            return dict(cursor.fetchall())
    finally:
        connection.close()


def tally(answers):
    """(readings accepted, [text of each answer that is not a JSON 200 with
    every reading accepted])."""
    accepted, bad = 0, []
    for client in answers:
        for answer in client:
            body = decode(answer)
            if (
                body is None
                or body.get("duplicates") != 0
                or body.get("rejected") != []
                or not isinstance(body.get("accepted"), int)
            ):
                bad.append(answer_text(answer))
                continue
            accepted += body["accepted"]
    return accepted, bad


def report_throughput(args, report, clients, runs):
    per_s = benchlib.median([run["per_s"] for run in runs])
    floor = benchlib.median([run["floor_per_s"] for run in runs])
    latencies = [ms for run in runs for ms in run["latencies"]]
    share = per_s / floor
    tag = f"http_{clients}c"
    say(f"{tag}_readings_per_s", per_s, "{:.0f}")
    print("   runs: " + " ".join(f"{run['per_s']:.0f}" for run in runs))
    say(f"{tag}_batch_latency_p50_ms", benchlib.percentile(latencies, 50), "{:.1f}")
    say(f"{tag}_batch_latency_p99_ms", benchlib.percentile(latencies, 99), "{:.1f}")
    say(f"{tag}_batches_timed", len(latencies))
    say(f"floor_{clients}c_execute_values_rows_per_s", floor, "{:.0f}")
    print("   runs: " + " ".join(f"{run['floor_per_s']:.0f}" for run in runs))
    say(f"ratio_{tag}_floor", share, "{:.2f}")
    for table in BUSY_TABLES:
        say(
            f"{tag}_kb_after_runs_{table}",
            " ".join(str(run["sizes"].get(table, 0)) for run in runs),
            "{}",
        )
    if runs[0]["vacuum_s"] is not None:
        say(
            f"{tag}_vacuum_before_runs_s",
            benchlib.times_text([run["vacuum_s"] for run in runs], "{:.2f}"),
            "{}",
        )
    # where the CPU went, over the runs (seconds per run, and per batch);
    # None: processes this machine does not show (PostgreSQL elsewhere)
    cpu = {}
    for name in runs[0]["cpu"]:
        values = [run["cpu"][name] for run in runs if run["cpu"][name] is not None]
        cpu[name] = statistics.fmean(values) if values else None
    cpu["other"] = cpu["machine_busy"] - sum(
        cpu[name] or 0.0 for name in ("odoo", "postgres", "clients", "bench")
    )
    batches = runs[0]["readings"] / args.batch_size
    for name in ("odoo", "postgres", "clients", "other", "machine_busy"):
        say(f"{tag}_cpu_{name}_s", cpu_text(cpu[name]), "{}")
    say(f"{tag}_cpu_machine_total_s", cpu["machine_total"], "{:.2f}")
    for name in ("odoo", "postgres", "clients"):
        per_batch = None if cpu[name] is None else cpu[name] / batches
        say(f"{tag}_cpu_{name}_ms_per_batch", cpu_text(per_batch, 1000), "{}")
    say(
        f"{tag}_machine_busy_percent",
        100 * cpu["machine_busy"] / cpu["machine_total"],
        "{:.0f}",
    )
    report.goal(
        f"{tag}_readings_per_s>={GOAL_READINGS_PER_S}", per_s >= GOAL_READINGS_PER_S
    )
    report.goal(f"ratio_{tag}_floor>={GOAL_FLOOR_SHARE:g}", share >= GOAL_FLOOR_SHARE)


def cpu_text(seconds, scale=1):
    if seconds is None:
        return "n/a (not on this machine)"
    return f"{seconds * scale:.2f}"


def check_alerts(env, report, fleet):
    """Each excursion sensor: one ongoing alarm, with a ticket; the others:
    no alert."""
    env.invalidate_all()
    env.cr.execute(
        """
        SELECT a.sensor_id, a.level, a.measure, a.direction, a.ticket_id
          FROM wms_iot_alert a
         WHERE a.sensor_id = ANY(%s) AND a.is_ongoing
        """,
        [fleet["sensors"].ids],
    )
    rows = env.cr.fetchall()
    excursion = set(fleet["excursion_ids"])
    alarms = [r for r in rows if r[0] in excursion]
    say("alerts_ongoing_excursion_sensors", len({r[0] for r in alarms}))
    say("alerts_ongoing_other_sensors", len(rows) - len(alarms))
    say("alerts_with_ticket", sum(1 for r in alarms if r[4]))
    report.check(
        f"one ongoing high temperature alarm with a ticket per excursion sensor "
        f"({len(excursion)})",
        len(alarms) == len(excursion)
        and {r[0] for r in alarms} == excursion
        and all(r[1:4] == ("alarm", "temperature", "high") and r[4] for r in alarms),
    )
    report.check("no alert on the sensors in range", len(rows) == len(alarms))


def bench_engine(env, args, report, fleet, profile):
    """The ingest engine without HTTP: one batch of the first gateway as the
    ingest user, in this process, rolled back; median of ENGINE_RUNS."""
    print("== the ingest engine alone (in this process, rolled back)")
    # as the endpoint calls it
    Reading = (
        env["wms.iot.reading"]
        .with_user(env.ref("wms_iot_monitoring.user_iot_ingest"))
        .sudo()
        .with_company(fleet["company"])
    )
    gateway = fleet["gateways"][0].with_env(Reading.env)
    feed = fleet["feeds"][0]
    times = []
    profiler = cProfile.Profile() if profile else None
    for _run in range(ENGINE_RUNS):
        items = feed.take(args.batch_size)
        feed.position -= args.batch_size  # the same readings each time
        env.invalidate_all()
        with env.cr.savepoint(flush=False) as savepoint:
            if profiler:
                profiler.enable()
            with Stopwatch() as watch:
                answer = Reading._wms_ingest_items(items, gateway=gateway)
                Reading.env.flush_all()
            if profiler:
                profiler.disable()
            savepoint.rollback()
        times.append(watch.seconds)
    seconds = benchlib.median(times)
    say("engine_batch_ms", 1000 * seconds, "{:.1f}")
    say("engine_readings_per_s", args.batch_size / seconds, "{:.0f}")
    print("   runs (ms): " + benchlib.times_text([1000 * t for t in times], "{:.1f}"))
    report.check(
        "the engine accepts a batch of new readings",
        answer.get("accepted") == args.batch_size and not answer.get("rejected"),
    )
    if profiler:
        print(f"   cProfile of {ENGINE_RUNS} batches, top {PROFILE_LINES} cumulative:")
        for line in benchlib.profile_lines(profiler, PROFILE_LINES):
            print(line)
    return seconds


# --------------------------------------------------------------------------
# 2. concurrency
# --------------------------------------------------------------------------
def bench_overlap(env, args, report, server, fleet):
    print(
        f"== concurrency: {OVERLAP_CLIENTS} clients send the same "
        f"{args.overlap_readings} readings, in their own orders and batches"
    )
    feed = fleet["feeds"][0]
    key = fleet["keys"][0]
    first = feed.position
    readings = feed.take(args.overlap_readings)
    work = []
    for client in range(OVERLAP_CLIENTS):
        rng = random.Random(client)
        order = readings[:]
        rng.shuffle(order)
        bodies = []
        while order:
            size = rng.randint(*OVERLAP_BATCH)
            bodies.append(json.dumps({"readings": order[:size]}).encode())
            order = order[size:]
        work.append((key, bodies))
    serials = set(feed.serials)
    sensor_ids = fleet["sensors"].filtered(lambda s: s.serial in serials).ids
    env.cr.commit()  # no snapshot of this script while the server works
    wall, answers, _cpu = post_concurrently(server, env.cr.dbname, work)
    say("overlap_s", wall, "{:.2f}")
    say("overlap_batches", sum(len(bodies) for _key, bodies in work))
    flat = [a for client in answers for a in client]
    bodies = [decode(a) for a in flat]
    statuses = {}
    for answer in flat:
        statuses[answer[2]] = statuses.get(answer[2], 0) + 1
    say("overlap_statuses", " ".join(f"{k}x{v}" for k, v in sorted(statuses.items())))
    not_json = [answer_text(a) for a, b in zip(flat, bodies, strict=True) if b is None]
    for text in not_json[:5]:
        print(f"   {text}")
    ok = [b for b in bodies if b is not None]
    accepted = sum(b.get("accepted", 0) for b in ok)
    duplicates = sum(b.get("duplicates", 0) for b in ok)
    rejected = sum(len(b.get("rejected") or []) for b in ok)
    say("overlap_accepted", accepted)
    say("overlap_duplicates", duplicates)
    say("overlap_rejected", rejected)
    expected = args.overlap_readings
    report.check(
        "overlap: every answer a JSON 200 (no 5xx, no 429, no HTML)",
        not not_json and set(statuses) == {200},
    )
    report.check(
        f"overlap: {expected} accepted once, {(OVERLAP_CLIENTS - 1) * expected} "
        "duplicates, none rejected",
        accepted == expected
        and duplicates == (OVERLAP_CLIENTS - 1) * expected
        and rejected == 0,
    )
    # what is stored
    n = len(feed.serials)
    start = feed.start + (first // n) * INTERVAL
    stop = feed.start + ((first + expected - 1) // n) * INTERVAL
    env.cr.rollback()  # a new snapshot
    env.cr.execute(
        """
        SELECT count(*), count(DISTINCT (sensor_id, ts)),
               round(sum(temperature)::numeric, 2), round(sum(humidity)::numeric, 2)
          FROM wms_iot_reading
         WHERE sensor_id = ANY(%(sensors)s) AND ts BETWEEN %(start)s AND %(stop)s
        """,
        {"sensors": sensor_ids, "start": start, "stop": stop},
    )
    count, distinct, temperature, humidity = env.cr.fetchone()
    sent_t = round(sum(r["temperature"] for r in readings), 2)
    sent_h = round(sum(r["humidity"] for r in readings), 2)
    say("overlap_stored", count)
    say("overlap_stored_distinct", distinct)
    report.check(
        f"overlap: {expected} readings stored once, with their values",
        count == distinct == expected
        and float(temperature) == sent_t
        and float(humidity) == sent_h,
    )
    env.cr.execute(
        """
        SELECT count(*) FROM wms_iot_sensor s
         WHERE s.id = ANY(%(sensors)s)
           AND s.last_reading_date IS DISTINCT FROM (
               SELECT max(ts) FROM wms_iot_reading r WHERE r.sensor_id = s.id)
        """,
        {"sensors": sensor_ids},
    )
    stale = env.cr.fetchone()[0]
    say("overlap_sensors_last_reading_not_newest", stale)
    report.check("overlap: each sensor's last reading date is its newest", stale == 0)
    env.cr.execute(
        """
        SELECT count(*) FROM (
            SELECT sensor_id, measure, direction FROM wms_iot_alert
             WHERE sensor_id = ANY(%(sensors)s) AND is_ongoing
             GROUP BY sensor_id, measure, direction HAVING count(*) > 1) x
        """,
        {"sensors": fleet["sensors"].ids},
    )
    doubles = env.cr.fetchone()[0]
    report.check(
        "overlap: one ongoing alert at most per sensor and measure", doubles == 0
    )
    check_alerts(env, report, fleet)
    return wall


# --------------------------------------------------------------------------
# 3. the MQTT bridge (committed)
# --------------------------------------------------------------------------
BRIDGE_ROOT = Path(__file__).resolve().parents[2] / "iot_bridge"
BRIDGE_INTERVAL = 1  # seconds of device time between two readings of a sensor
BRIDGE_POLL_S = 0.025  # between two looks at the sensors' newest readings
BRIDGE_START_TIMEOUT = 30  # seconds for the bridge to subscribe, the simulator
BRIDGE_STALL_S = 20  # seconds without a new reading stored: the rest is lost
BRIDGE_STOP_TIMEOUT = 30
BRIDGE_SESSION_EXPIRY = 60  # seconds the broker keeps the run's session after it
BRIDGE_WINDOW = (0.1, 0.9)  # the stored readings whose rate is the steady one
BRIDGE_TIMELINE_S = 5  # seconds per figure of the stored-per-second line
BRIDGE_SET_POINT = 5.0  # °C, inside the profile's 3-7 °C
BRIDGE_CPU_GROUPS = ("odoo", "postgres", "bridge", "simulator", "mosquitto", "bench")
# the newest reading of each sensor: one backward probe of the unique
# (sensor_id, ts) index per sensor
NEWEST_QUERY = """
    SELECT s.id, (SELECT extract(epoch FROM r.ts)::float8
                    FROM wms_iot_reading r
                   WHERE r.sensor_id = s.id
                   ORDER BY r.ts DESC LIMIT 1)
      FROM unnest(%s::int[]) AS s(id)
"""


def mqtt_broker():
    """Where the broker is: the bridge tests' variables, else 127.0.0.1:1883."""
    return {
        "host": os.environ.get("WMS_MQTT_HOST") or "127.0.0.1",
        "port": int(os.environ.get("WMS_MQTT_PORT") or 1883),
        "username": os.environ.get("WMS_MQTT_USERNAME") or "",
        "password": os.environ.get("WMS_MQTT_PASSWORD"),
    }


def broker_answers(broker):
    try:
        with socket.create_connection((broker["host"], broker["port"]), timeout=3):
            return True
    except OSError:
        return False


def broker_pids(broker):
    """The broker's processes, when it runs on this machine."""
    if broker["host"] not in ("127.0.0.1", "localhost", "::1"):
        return set()
    return benchlib.listening_pids(broker["port"])


class SensorSet:
    """Ids and serials of sensors, read once: no query (and no snapshot held)
    while the server works."""

    def __init__(self, records):
        self.ids = list(records.ids)
        self.serials = records.mapped("serial")

    def __len__(self):
        return len(self.ids)


def make_bridge_fleet(env, args, fleet):
    """The bridge's gateways (named as their topics' second level), their
    keys, and two sets of sensors (paced, saturation) dealt to them in turn
    as the simulator deals its sensors; committed."""
    env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True))
    tag = fleet["tag"]
    names = [f"bench-{tag}-{i + 1}" for i in range(args.bridge_gateways)]
    gateways = env["wms.iot.gateway"].create(
        [
            {
                "name": f"Bench IoT {tag} bridge {name}",
                "company_id": fleet["company"].id,
                "rate_limit": 10**9,  # no 429 in a benchmark
            }
            for name in names
        ]
    )
    sets = {}
    for letter, kind in (("M", "paced"), ("N", "saturation")):
        serials = [f"{letter}{tag}-{i + 1:04d}" for i in range(args.bridge_sensors)]
        records = env["wms.iot.sensor"].create(
            [
                {
                    "name": f"Bench IoT {tag} bridge {serial}",
                    "serial": serial,
                    "gateway_id": gateways[i % len(gateways)].id,
                    "measures": "both",
                    "location_id": fleet["location"].id,
                    "profile_id": env.ref(PROFILE).id,
                }
                for i, serial in enumerate(serials)
            ]
        )
        sets[kind] = SensorSet(records)
    keys, _refused = gateway_keys(env, gateways)  # checked with the fleet's
    env.cr.commit()
    return {"names": names, "keys": dict(zip(names, keys, strict=True)), **sets}


def bridge_environment(broker):
    """The bridge's and simulator's environment: the package on the path,
    the broker's login; none of the caller's bridge settings (the
    environment wins over the configuration file)."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("WMS_IOT_BRIDGE_", "WMS_IOT_KEY_"))
    }
    environ["PYTHONPATH"] = os.pathsep.join(
        [str(BRIDGE_ROOT)]
        + ([environ["PYTHONPATH"]] if environ.get("PYTHONPATH") else [])
    )
    if broker["username"]:
        environ["WMS_IOT_BRIDGE_MQTT_USERNAME"] = broker["username"]
    if broker["password"] is not None:
        environ["WMS_IOT_BRIDGE_MQTT_PASSWORD"] = broker["password"]
    return environ


def bridge_config(folder, server, dbname, broker, bridge_fleet, tag):
    """The bridge's TOML file (its keys: in the script's private folder)."""
    text = lambda value: json.dumps(str(value))  # noqa: E731 -- a TOML string
    lines = [
        "[odoo]",
        f"url = {text(f'http://127.0.0.1:{server.port}')}",
        f"database = {text(dbname)}",
        "timeout = 60",
        "",
        "[mqtt]",
        f"host = {text(broker['host'])}",
        f"port = {broker['port']}",
        f"client_id = {text(f'wms-bench-bridge-{tag}-{uuid.uuid4().hex[:6]}')}",
        f"session_expiry = {BRIDGE_SESSION_EXPIRY}",
        "",
        "[spool]",
        f"directory = {text(Path(folder) / 'spool')}",
    ]
    for name, key in bridge_fleet["keys"].items():
        lines += ["", f"[gateways.{name}]", f"key = {text(key)}"]
    path = Path(folder) / "bridge.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


class JsonLog:
    """The log of a bridge or simulator process: one JSON object per line
    (a line that is not one is kept with the level "TEXT")."""

    def __init__(self, path):
        self.path = Path(path)
        self.offset = 0
        self.lines = []

    def read(self):
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except FileNotFoundError:
            return
        end = data.rfind(b"\n") + 1
        self.offset += end
        for raw in data[:end].splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                line = None
            if not isinstance(line, dict):
                line = {"level": "TEXT", "event": raw.decode("utf-8", "replace")}
            self.lines.append(line)

    def events(self, name, since=0):
        return [line for line in self.lines[since:] if line.get("event") == name]

    def wait_for(self, name, process, timeout):
        """The first ``name`` line, once logged; None if the process ends or
        ``timeout`` passes first."""
        deadline = time.monotonic() + timeout
        while True:
            ended = exited(process)
            self.read()
            found = self.events(name)
            if found:
                return found[0]
            if ended or time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    def bad(self, since=0):
        """The ERROR, CRITICAL and non-JSON lines."""
        return [
            line
            for line in self.lines[since:]
            if line.get("level") in ("ERROR", "CRITICAL", "TEXT")
        ]


def start_process(command, environ, log_path):
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            benchlib.dying_with_parent(command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environ,
            start_new_session=True,  # not in the terminal's group: no ^C
        )


def exited(process):
    """Whether a child process has ended, without reaping it (``reap`` gets
    its CPU time then)."""
    if process.returncode is not None:
        return True
    try:
        flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
        return os.waitid(os.P_PID, process.pid, flags) is not None
    except ChildProcessError:
        return True


def reap(process, timeout):
    """Wait for a child process: (exit code, its CPU seconds), from wait4
    (a process that ends between two samples of a CpuMeter would be lost
    to it); (None, None) if it still runs after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        if process.returncode is not None:  # reaped already
            return process.returncode, None
        try:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        except ChildProcessError:  # reaped elsewhere
            return process.poll(), None
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return process.returncode, usage.ru_utime + usage.ru_stime
        if time.monotonic() > deadline:
            return None, None
        time.sleep(0.05)


def stop_process(process, timeout=BRIDGE_STOP_TIMEOUT):
    """SIGTERM, then SIGKILL after ``timeout``: (exit code, CPU seconds)."""
    if not exited(process):
        process.send_signal(signal.SIGTERM)
    code, cpu = reap(process, timeout)
    if code is None:
        process.kill()
        code, cpu = reap(process, timeout)
    return code, cpu


def tick_of(ts, ts_start):
    """The tick of a reading stamped ``ts`` (epoch seconds): the simulator
    stamps tick k with ts_start + k * interval cut to the second."""
    return math.ceil((ts - ts_start) / BRIDGE_INTERVAL - 1e-9)


class Poller(threading.Thread):
    """Reads the newest reading of each sensor every ``BRIDGE_POLL_S``, on a
    connection of its own (autocommit: no snapshot held), and keeps when
    each newest reading was first seen: ``changes``, [(time.time() after the
    query, sensor id, ts in epoch seconds)]. A gateway's readings reach
    Odoo in order (one spool, one sender, one batch at a time), so a
    sensor's newest reading tells that every earlier one is stored."""

    def __init__(self, dbname, sensor_ids):
        super().__init__(name="bench-poller", daemon=True)
        self.dbname = dbname
        self.sensor_ids = list(sensor_ids)
        self.changes = []
        self.newest = {}
        self.lock = threading.Lock()
        self.halt = threading.Event()
        self.polls = 0
        self.last_change = time.monotonic()
        self.error = None

    def run(self):
        try:
            _db, info = connection_info_for(self.dbname)
            connection = psycopg2.connect(**info)
            connection.autocommit = True
            try:
                with connection.cursor() as cursor:
                    while not self.halt.is_set():
                        cursor.execute(NEWEST_QUERY, [self.sensor_ids])
                        rows = cursor.fetchall()
                        seen = time.time()
                        with self.lock:
                            self.polls += 1
                            for sensor_id, ts in rows:
                                if ts is not None and ts != self.newest.get(sensor_id):
                                    self.newest[sensor_id] = ts
                                    self.changes.append((seen, sensor_id, ts))
                                    self.last_change = time.monotonic()
                        self.halt.wait(BRIDGE_POLL_S)
            finally:
                connection.close()
        except Exception as error:  # reported by the caller
            self.error = error

    def stored(self, ts_start):
        """Readings stored so far (every tick up to each sensor's newest)."""
        with self.lock:
            return sum(tick_of(ts, ts_start) + 1 for ts in self.newest.values())

    def wait_for(self, total, ts_start):
        """Until ``total`` readings are stored, or none more for
        ``BRIDGE_STALL_S`` seconds."""
        while self.is_alive() and self.stored(ts_start) < total:
            if time.monotonic() - self.last_change > BRIDGE_STALL_S:
                break
            time.sleep(0.05)

    def stop(self):
        self.halt.set()
        self.join()


def stored_timeline(changes, ts_start):
    """[(poll time, readings stored by then)], one entry per poll that saw
    new readings."""
    newest, timeline, total = {}, [], 0
    for seen, sensor_id, ts in changes:
        tick = tick_of(ts, ts_start)
        total += tick - newest.get(sensor_id, -1)
        newest[sensor_id] = tick
        if timeline and timeline[-1][0] == seen:
            timeline[-1] = (seen, total)
        else:
            timeline.append((seen, total))
    return timeline


def window_rate(timeline):
    """Readings per second while the middle ``BRIDGE_WINDOW`` of the
    readings were stored (None: too few polls to tell)."""
    if not timeline:
        return None
    total = timeline[-1][1]
    low = next(p for p in timeline if p[1] >= BRIDGE_WINDOW[0] * total)
    high = next(p for p in timeline if p[1] >= BRIDGE_WINDOW[1] * total)
    if high[0] <= low[0]:
        return None
    return (high[1] - low[1]) / (high[0] - low[0])


def latencies_ms(changes, started):
    """Per reading, from its due time to the poll that first saw it (ms)."""
    wall_start, ts_start = started["wall_start"], started["ts_start"]
    per_tick = 1 / started["ticks_per_second"]
    newest, values = {}, []
    for seen, sensor_id, ts in changes:
        tick = tick_of(ts, ts_start)
        first = newest.get(sensor_id, -1) + 1
        base = 1000 * (seen - wall_start)
        values += [base - 1000 * k * per_tick for k in range(first, tick + 1)]
        newest[sensor_id] = tick
    return values


def max_backlog(timeline, started, sensors, published):
    """The most readings due (by the schedule) and not yet stored, at the
    polls that saw new readings."""
    worst = 0
    for seen, stored in timeline:
        ticks = math.floor((seen - started["wall_start"]) * started["ticks_per_second"])
        due = min(published, sensors * (ticks + 1))
        worst = max(worst, due - stored)
    return worst


def stored_by(timeline, moment):
    """Readings stored at ``moment``: as the last poll at or before it saw."""
    index = bisect.bisect_right(timeline, (moment, math.inf))
    return timeline[index - 1][1] if index else 0


def timeline_text(timeline, wall_start):
    """Stored per second over each ``BRIDGE_TIMELINE_S`` from tick 0."""
    if not timeline:
        return "-"
    slots = math.ceil((timeline[-1][0] - wall_start) / BRIDGE_TIMELINE_S)
    marks = [
        stored_by(timeline, wall_start + i * BRIDGE_TIMELINE_S)
        for i in range(slots + 1)
    ]
    return " ".join(
        f"{(after - before) / BRIDGE_TIMELINE_S:.0f}"
        for before, after in itertools.pairwise(marks)
    )


def epoch_of(log_ts):
    """Epoch seconds of a log line's ``ts`` (``2026-12-01T10:00:00.123Z``)."""
    moment = datetime.strptime(log_ts, "%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.replace(tzinfo=UTC).timestamp()


def fetch(dbname, query, params):
    """Rows of one statement on a connection of its own (autocommit)."""
    _db, info = connection_info_for(dbname)
    connection = psycopg2.connect(**info)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()
    finally:
        connection.close()


class BridgeRun:
    """The bridge subprocess of part 3, and the loads the simulator puts on
    it; ``stop()`` at the end."""

    def __init__(self, env, args, report, server, fleet, broker):
        self.args, self.report, self.server = args, report, server
        self.dbname = env.cr.dbname
        self.broker = broker
        self.fleet = make_bridge_fleet(env, args, fleet)
        self.folder = Path(tempfile.mkdtemp(prefix="bench_iot_bridge_"))
        self.environ = bridge_environment(broker)
        self.config = bridge_config(
            self.folder, server, self.dbname, broker, self.fleet, fleet["tag"]
        )
        self.log = JsonLog(self.folder / "bridge.log")
        self.process = start_process(
            [sys.executable, "-m", "wms_iot_bridge", "--config", str(self.config)],
            self.environ,
            self.log.path,
        )
        self.mosquitto = broker_pids(broker)

    def ready(self):
        return self.log.wait_for("bridge.ready", self.process, BRIDGE_START_TIMEOUT)

    def stop(self):
        """SIGTERM: (exit code, whether it logged bridge.stopped)."""
        code, _cpu = stop_process(self.process)
        self.log.read()
        return code, bool(self.log.events("bridge.stopped"))

    def simulator_command(self, sensors, rate, duration):
        serials = ",".join(f"{s}:{BRIDGE_SET_POINT:g}:h" for s in sensors.serials)
        return [
            sys.executable,
            "-m",
            "wms_iot_bridge",
            "--config",
            str(self.config),
            "--simulate",
            str(len(sensors)),
            "--gateway-names",
            ",".join(self.fleet["names"]),
            "--serials",
            serials,
            "--rate",
            f"{rate:.3f}",
            "--duration",
            f"{duration:g}",
            "--interval",
            str(BRIDGE_INTERVAL),
            "--seed",
            "1",
        ]

    def load(self, kind, rate, duration):
        """One load on the bridge: the simulator publishes ``rate``
        readings/s for ``duration`` seconds for the ``kind`` set of sensors
        (paced, saturation); the poller times them into the database.
        Returns the figures, or None when the simulator did not start."""
        report = self.report
        sensors = self.fleet[kind]
        prefix = "bridge" if kind == "paced" else "bridge_saturation"
        print(
            f"== the MQTT bridge, {kind}: {rate:.0f} readings/s offered for "
            f"{duration:g} s, {len(sensors)} sensors on "
            f"{len(self.fleet['names'])} gateways"
        )
        idle = idle_transactions(self.dbname)
        if idle:  # as for the HTTP clients: no snapshot may keep dead rows
            raise RuntimeError(
                f"transaction(s) open on {self.dbname} while the server works: {idle}"
            )
        if self.args.vacuum_busy:  # as before each HTTP run
            say(f"{prefix}_vacuum_before_s", vacuum_busy_tables(self.dbname), "{:.2f}")
        self.log.read()
        since = len(self.log.lines)
        poller = Poller(self.dbname, sensors.ids)
        poller.start()
        meter = benchlib.CpuMeter(
            {
                "odoo": self.server.pids,
                "postgres": lambda: benchlib.postgres_backends(self.dbname),
                "bridge": lambda: {self.process.pid},
                "mosquitto": lambda: self.mosquitto,
                "bench": lambda: {os.getpid()},
            }
        )
        sim_log = JsonLog(self.folder / f"simulator_{kind}.log")
        meter.start()
        simulator = start_process(
            self.simulator_command(sensors, rate, duration), self.environ, sim_log.path
        )
        try:
            started = sim_log.wait_for(
                "simulate.started", simulator, BRIDGE_START_TIMEOUT
            )
            if started is None:
                code, sim_cpu = stop_process(simulator)
            else:
                code, sim_cpu = reap(simulator, 5 * duration + 60)
                if code is None:  # far behind its schedule
                    print(f"   the simulator still runs after {5 * duration + 60:g} s")
                    code, sim_cpu = stop_process(simulator)
            sim_log.read()
            stopped = (sim_log.events("simulate.stopped") or [None])[0]
            if started is not None and stopped is not None:
                poller.wait_for(stopped["published_readings"], started["ts_start"])
        finally:
            if simulator.returncode is None:
                stop_process(simulator)
            cpu = meter.stop()
            poller.stop()
        cpu["simulator"] = sim_cpu
        self.log.read()
        ran = started is not None and stopped is not None and code == 0
        say(f"{prefix}_simulator_exit", code)
        report.check(f"{kind}: the simulator ran its load", ran and not sim_log.bad())
        report.check(f"{kind}: the poller read the database", poller.error is None)
        if not ran or poller.error is not None:
            for line in sim_log.lines[-5:] if not ran else []:
                print(f"   {json.dumps(line)[:500]}")
            if poller.error is not None:
                print(f"   {poller.error}")
            return None
        return self.figures(
            kind, prefix, sensors, rate, started, stopped, poller, cpu, since
        )

    def figures(
        self, kind, prefix, sensors, rate, started, stopped, poller, cpu, since
    ):
        report = self.report
        published = stopped["published_readings"]
        ticks = stopped["ticks"]
        ts_start, wall_start = started["ts_start"], started["wall_start"]
        publish_s = epoch_of(stopped["ts"]) - wall_start
        timeline = stored_timeline(poller.changes, ts_start)
        per_s = window_rate(timeline)
        say(f"{prefix}_offered_per_s", rate, "{:.0f}")
        say(f"{prefix}_published", published)
        say(f"{prefix}_publish_s", publish_s, "{:.2f}")
        say(f"{prefix}_published_per_s", published / max(publish_s, 1e-9), "{:.0f}")
        say(f"{prefix}_readings_per_s", per_s if per_s is not None else "n/a", "{:.0f}")
        say(
            f"{prefix}_stored_per_s_each_{BRIDGE_TIMELINE_S}s",
            timeline_text(timeline, wall_start),
            "{}",
        )
        say(
            f"{prefix}_backlog_max_readings",
            max_backlog(timeline, started, len(sensors), published),
        )
        say(f"{prefix}_polls", poller.polls)
        # what the database holds: per sensor, its rows and first and last tick
        rows = fetch(
            self.dbname,
            """
            SELECT sensor_id, count(*), extract(epoch FROM min(ts))::float8,
                   extract(epoch FROM max(ts))::float8
              FROM wms_iot_reading WHERE sensor_id = ANY(%s) GROUP BY sensor_id
            """,
            [sensors.ids],
        )
        stored = sum(row[1] for row in rows)
        whole = len(rows) == len(sensors) and all(
            count == ticks
            and tick_of(first, ts_start) == 0
            and tick_of(last, ts_start) == ticks - 1
            for _id, count, first, last in rows
        )
        say(f"{prefix}_stored", stored)
        sizes = table_sizes(self.dbname)  # their growth: dead row versions
        for table in BUSY_TABLES:
            say(f"{prefix}_kb_after_{table}", sizes.get(table, 0))
        say(f"{prefix}_not_stored", published - stored)
        # what the bridge posted
        lines = self.log.lines[since:]
        batches = [line for line in lines if line.get("event") == "batch.sent"]
        posted = sum(line.get("readings") or 0 for line in batches)
        duplicates = sum(line.get("duplicates") or 0 for line in batches)
        rejected = sum(line.get("rejected") or 0 for line in batches)
        retries = sum(1 for line in lines if line.get("event") == "odoo.retry")
        say(f"{prefix}_batches", len(batches))
        say(f"{prefix}_batch_mean_readings", posted / max(len(batches), 1), "{:.0f}")
        say(f"{prefix}_duplicates_answered", duplicates)
        say(f"{prefix}_rejected", rejected)
        say(f"{prefix}_odoo_retries", retries)
        self.print_cpu(prefix, cpu, published)
        result = {
            "rate": rate,
            "per_s": per_s,
            "published": published,
            "stored": stored,
            "publish_s": publish_s,
            "cpu": cpu,
        }
        if kind != "paced":  # the broker may drop what the bridge could not take
            return result
        report.check(
            f"paced: the simulator published its {ticks} ticks of "
            f"{len(sensors)} sensors, its whole schedule",
            published == ticks * len(sensors)
            and ticks > 0
            and ticks == started["ticks"],  # not stopped early
        )
        report.check(
            f"paced: each of the {published} readings published stored exactly "
            f"once, none rejected",
            whole and stored == published and rejected == 0,
        )
        latencies = latencies_ms(poller.changes, started)
        result["p50"] = benchlib.percentile(latencies, 50)
        result["p99"] = benchlib.percentile(latencies, 99)
        say("bridge_p50_ms", result["p50"], "{:.0f}")
        say("bridge_p99_ms", result["p99"], "{:.0f}")
        say("bridge_max_ms", max(latencies, default=float("nan")), "{:.0f}")
        say("bridge_latencies", len(latencies))
        return result

    def print_cpu(self, prefix, cpu, readings):
        """Where the CPU went during the load: seconds, ms per 1,000 readings."""
        cpu["other"] = cpu["machine_busy"] - sum(
            cpu[name] or 0.0 for name in BRIDGE_CPU_GROUPS
        )
        for name in (*BRIDGE_CPU_GROUPS, "other", "machine_busy"):
            say(f"{prefix}_cpu_{name}_s", cpu_text(cpu[name]), "{}")
        say(f"{prefix}_cpu_machine_total_s", cpu["machine_total"], "{:.2f}")
        for name in (*BRIDGE_CPU_GROUPS, "other"):
            per = None if cpu[name] is None else cpu[name] / max(readings, 1) * 1000
            say(f"{prefix}_cpu_{name}_ms_per_1000", cpu_text(per, 1000), "{}")
        say(
            f"{prefix}_machine_busy_percent",
            100 * cpu["machine_busy"] / cpu["machine_total"],
            "{:.0f}",
        )


def bench_bridge(env, args, report, server, fleet, throughput):
    clients = args.clients[-1]
    http = benchlib.median([run["per_s"] for run in throughput[clients]])
    print(
        f"== the MQTT bridge: beside the HTTP figure of {clients} clients "
        f"(one gateway each)"
    )
    say("bridge_http_readings_per_s", http, "{:.0f}")
    say("bridge_http_clients", clients)
    broker = mqtt_broker()
    where = f"{broker['host']}:{broker['port']}"
    say("bridge_broker", where, "{}")
    if not report.check(f"an MQTT broker answers at {where}", broker_answers(broker)):
        print(
            "   start Mosquitto there, or point WMS_MQTT_HOST and WMS_MQTT_PORT "
            "at a broker (tests/run gives the one of the bridge's tests)"
        )
        return None
    bridge = BridgeRun(env, args, report, server, fleet, broker)
    results = {"http": http, "clients": clients}
    failed = len(report.failed)
    try:
        ready = bridge.ready()
        say("bridge_pid", bridge.process.pid)
        if report.check(
            "the bridge subscribes to its gateways' topics", ready is not None
        ):
            paced_rate = args.bridge_rate or args.bridge_load * http
            results["paced"] = bridge.load("paced", paced_rate, args.bridge_duration)
            if args.bridge_saturation:
                results["saturation"] = bridge.load(
                    "saturation",
                    args.bridge_saturation_rate or 2 * http,
                    args.bridge_saturation,
                )
    finally:
        code, stopped = bridge.stop()
    say("bridge_exit", code)
    report.check(
        "the bridge stops cleanly on SIGTERM (exit 0, bridge.stopped)",
        code == 0 and stopped,
    )
    bad = bridge.log.bad()
    say("bridge_log_errors", len(bad))
    for line in bad[:5]:
        print(f"   {json.dumps(line, ensure_ascii=False)[:1000]}")
    report.check("the bridge logged no ERROR, CRITICAL or non-JSON line", not bad)
    if len(report.failed) == failed:
        shutil.rmtree(bridge.folder, ignore_errors=True)
    else:
        print(f"   the bridge's and simulator's logs are kept in {bridge.folder}")
    paced = results.get("paced")
    if paced:
        ratio = (paced["per_s"] or 0) / http
        results["ratio"] = ratio
        say("bridge_offered_share_of_http", paced["rate"] / http, "{:.2f}")
        say("bridge_vs_http_ratio", ratio, "{:.2f}")
        report.goal(
            f"bridge_vs_http_ratio>={GOAL_BRIDGE_SHARE:g}", ratio >= GOAL_BRIDGE_SHARE
        )
        report.goal(
            f"bridge_p99_ms<{GOAL_BRIDGE_P99_MS}", paced["p99"] < GOAL_BRIDGE_P99_MS
        )
    return results


# --------------------------------------------------------------------------
# 4. at scale (rolled back)
# --------------------------------------------------------------------------
SCALE_STEPS = [
    (
        "sensors",
        """
        CREATE TEMPORARY TABLE bench_scale_sensor AS
        SELECT id FROM wms_iot_sensor WHERE id = ANY(%(sensors)s)
        """,
    ),
    (
        "readings",
        """
        INSERT INTO wms_iot_reading (
            sensor_id, company_id, ts, temperature, humidity __NOT_NULL_COLUMNS__)
        SELECT s.id, %(company)s, %(start)s + g * %(step)s,
               5 + 2.5 * sin(g / 40.0 + s.id), 50 + 10 * cos(g / 60.0 + s.id)
               __NOT_NULL_VALUES__
          FROM generate_series(0, %(per_sensor)s - 1) g
         CROSS JOIN bench_scale_sensor s
         ORDER BY g, s.id
        """,
    ),
]


def brin_indexes(cr):
    cr.execute(
        """
        SELECT indexname FROM pg_indexes
         WHERE tablename = 'wms_iot_reading' AND indexdef ILIKE '%%USING brin%%'
        """
    )
    return [row[0] for row in cr.fetchall()]


def bench_scale(env, args, report, fleet):
    cr = env.cr
    company = env.company
    print(f"== at {args.scale_readings} readings (rolled back at the end)")
    ctx = dict(env.context, tracking_disable=True, mail_create_nolog=True)
    gateway = (
        env["wms.iot.gateway"]
        .with_context(ctx)
        .create({"name": f"Bench IoT {fleet['tag']} scale", "company_id": company.id})
    )
    sensors = (
        env["wms.iot.sensor"]
        .with_context(ctx)
        .create(
            [
                {
                    "name": f"Bench IoT {fleet['tag']} scale {i + 1:05d}",
                    "serial": f"X{fleet['tag']}-{i + 1:05d}",
                    "gateway_id": gateway.id,
                    "measures": "both",
                    "location_id": fleet["location"].id,
                    "profile_id": env.ref(PROFILE).id,
                }
                for i in range(args.scale_sensors)
            ]
        )
    )
    env.flush_all()
    per_sensor = args.scale_readings // args.scale_sensors
    now = fields.Datetime.now().replace(microsecond=0)
    step = timedelta(days=SCALE_DAYS) / per_sensor
    params = {
        "sensors": sensors.ids,
        "company": company.id,
        "start": now - per_sensor * step,
        "step": step,
        "per_sensor": per_sensor,
    }
    with Stopwatch() as watch, benchlib.fast_load(cr):
        steps = benchlib.execute_steps(env, SCALE_STEPS, params)
    with Stopwatch() as analyze:
        for index in brin_indexes(cr):  # what autovacuum does to new ranges
            cr.execute(SQL("SELECT brin_summarize_new_values(%s::regclass)", index))
        cr.execute("ANALYZE wms_iot_reading, wms_iot_sensor")
    cr.execute("SELECT count(*) FROM wms_iot_reading")
    total = cr.fetchone()[0]
    scale = per_sensor * args.scale_sensors
    say("scale_readings_made", scale)
    say("scale_readings_in_table", total)
    say("scale_fill_s", watch.seconds, "{:.1f}")
    say("scale_fill_rows_per_s", scale / steps["readings"], "{:.0f}")
    say("scale_analyze_s", analyze.seconds, "{:.1f}")
    say("scale_interval_s", step.total_seconds(), "{:.0f}")

    graph = bench_graph(env, args, report, sensors[len(sensors) // 2])
    rollup = bench_crons(env, report, sensors, now)
    return {"graph": graph, "rollup": rollup, "total": total}


def iot_user(env):
    return (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": "Bench IoT user",
                "login": f"bench_iot_user_{uuid.uuid4().hex[:8]}",
                "tz": USER_TZ,
                "company_id": env.company.id,
                "company_ids": [Command.set(env.company.ids)],
                "group_ids": [
                    Command.set([env.ref("wms_iot_monitoring.group_iot_user").id])
                ],
            }
        )
    )


def bench_graph(env, args, report, sensor):
    """The 24-hour graph of one sensor, as the web client asks it: the
    sensor's "Readings" action (its domain, the "Last 24 hours" filter of
    the search view) in the graph view (by hour and sensor, the average
    temperature)."""
    user = iot_user(env)
    user_env = env(
        user=user.id,
        context={
            "tz": USER_TZ,
            "lang": "en_US",
            "allowed_company_ids": env.company.ids,
        },
    )
    Reading = user_env["wms.iot.reading"]
    action = sensor.with_env(user_env).action_view_readings()
    domain = list(action["domain"]) + GRAPH_FILTER
    graph = Reading.with_context(fill_temporal=True)
    answers = {}

    def formatted():
        answers["formatted"] = graph.formatted_read_group(
            domain, GRAPH_GROUPBY, ["temperature:avg"]
        )

    def read_group():
        answers["read_group"] = Reading._read_group(
            domain, ["ts:hour"], ["temperature:avg", "__count"]
        )

    times = {}
    for name, call in (("formatted_read_group", formatted), ("read_group", read_group)):
        call()  # warm
        runs = []
        for _run in range(args.graph_runs):
            env.invalidate_all()
            seconds, _result = benchlib.timed(call)
            runs.append(1000 * seconds)
        times[name] = runs
        say(f"graph_24h_{name}_ms", benchlib.median(runs), "{:.1f}")
        print("   runs (ms): " + benchlib.times_text(runs, "{:.1f}"))
    ids = Reading.search(domain).ids
    env.cr.execute(
        "SELECT count(*), avg(temperature) FROM wms_iot_reading WHERE id = ANY(%s)",
        [ids],
    )
    count, average = env.cr.fetchone()
    groups = answers["read_group"]
    grouped = sum(n for _hour, _avg, n in groups)
    weighted = sum(avg * n for _hour, avg, n in groups if n) / max(grouped, 1)
    say("graph_24h_readings", count)
    say("graph_24h_groups", len(answers["formatted"]))
    report.check(
        "graph: the readings of the last 24 h, their average",
        count > 0
        and grouped == count
        and abs(weighted - (average or 0)) < 1e-6
        and answers["formatted"],
    )
    median = benchlib.median(times["formatted_read_group"])
    report.goal(f"graph_24h_ms<{GOAL_GRAPH_MS}", median < GOAL_GRAPH_MS)
    return median


def timed_cron_step(env, name, method, now, readings):
    """``method(now)`` timed: seconds, per million ``readings``, queries and
    the slowest statements, printed as ``<name>_...``; returns the seconds
    per million readings."""
    with benchlib.QueryLog() as log, Stopwatch() as watch:
        method(now)
        env.flush_all()
    per_million = watch.seconds / max(readings, 1) * 1e6
    say(f"{name}_s", watch.seconds, "{:.2f}")
    say(f"{name}_s_per_million", per_million, "{:.2f}")
    say(f"{name}_queries", log.count)
    print("   slowest statements:")
    benchlib.print_slowest(log.slowest(limit=4))
    return per_million


def bench_crons(env, report, sensors, now):
    """The rollup, then the retention, as the hourly scheduled action runs
    them; seconds per million readings."""
    cr = env.cr
    Hourly = env["wms.iot.reading.hourly"]
    # every reading not rolled up yet, as on the first run after installing
    env["ir.config_parameter"].set_param(WATERMARK_PARAM, False)
    env.flush_all()
    cr.execute(
        """
        SELECT count(*) FROM wms_iot_reading r
         WHERE r.ts < date_trunc('hour', %(now)s::timestamp)
           AND NOT EXISTS (
               SELECT 1 FROM wms_iot_reading_hourly h
                WHERE h.sensor_id = r.sensor_id
                  AND h.hour = date_trunc('hour', r.ts))
        """,
        {"now": now},
    )
    to_roll = cr.fetchone()[0]
    say("rollup_readings", to_roll)
    rollup = timed_cron_step(env, "rollup", Hourly._wms_rollup, now, to_roll)
    cr.execute(
        """
        SELECT (SELECT count(*) FROM wms_iot_reading
                 WHERE sensor_id = ANY(%(sensors)s)
                   AND ts < date_trunc('hour', %(now)s::timestamp)),
               (SELECT coalesce(sum(temp_count), 0) FROM wms_iot_reading_hourly
                 WHERE sensor_id = ANY(%(sensors)s)),
               (SELECT count(*) FROM (
                    SELECT h.sensor_id FROM wms_iot_reading_hourly h
                      JOIN (SELECT sensor_id, date_trunc('hour', ts) AS hour,
                                   avg(temperature) AS temp_avg,
                                   max(humidity) AS hum_max
                              FROM wms_iot_reading
                             WHERE sensor_id = %(sample)s
                             GROUP BY 1, 2) r
                        ON r.sensor_id = h.sensor_id AND r.hour = h.hour
                     WHERE abs(r.temp_avg - h.temp_avg) > 1e-6
                        OR abs(r.hum_max - h.hum_max) > 1e-6) x)
        """,
        {"sensors": sensors.ids, "now": now, "sample": sensors[0].id},
    )
    readings, rolled, wrong = cr.fetchone()
    report.check(
        "rollup: the hourly rows count every reading of a complete hour, "
        "with their averages and extremes",
        readings == rolled and wrong == 0,
    )

    retention = env.company.wms_iot_retention_days
    cutoff = now - timedelta(days=retention)
    cr.execute("SELECT count(*) FROM wms_iot_reading WHERE ts < %s", [cutoff])
    old = cr.fetchone()[0]
    say("retention_days", retention)
    say("retention_readings_deleted_expected", old)
    retention_cost = timed_cron_step(env, "retention", Hourly._wms_purge, now, old)
    cr.execute(
        """
        SELECT (SELECT count(*) FROM wms_iot_reading WHERE ts < %(cutoff)s),
               (SELECT coalesce(sum(temp_count), 0) FROM wms_iot_reading_hourly
                 WHERE sensor_id = ANY(%(sensors)s))
        """,
        {"cutoff": cutoff, "sensors": sensors.ids},
    )
    left, rolled_after = cr.fetchone()
    report.check(
        "retention: no reading older than it, the rollups stay",
        left == 0 and rolled_after == rolled and old > 0,
    )
    return {
        "rollup_per_million": rollup,
        "retention_per_million": retention_cost,
        "deleted": old,
        "rolled": to_roll,
    }


# --------------------------------------------------------------------------
def run(env, args, report):
    tag = uuid.uuid4().hex[:6]
    start = plan_start(args)
    print(f"== fleet (committed, tag {tag})")
    with Stopwatch() as watch:
        fleet = make_fleet(env, args, tag, start)
    fleet["tag"] = tag
    say("fleet_sensors", len(fleet["sensors"]))
    say("fleet_gateways", len(fleet["gateways"]))
    say("fleet_excursion_sensors", len(fleet["excursion_ids"]))
    say("fleet_setup_s", watch.seconds, "{:.1f}")
    if fleet["key_refused"]:
        print(f"   action_generate_key() as the admin: {fleet['key_refused']}")
    report.check(
        "the admin (an IoT Manager) generates gateway keys", not fleet["key_refused"]
    )
    autovacuum = autovacuum_on(env.cr)
    args.vacuum_busy = args.vacuum == "always" or (
        args.vacuum == "auto" and not autovacuum
    )
    say("postgresql_autovacuum", "on" if autovacuum else "off", "{}")
    say("vacuum_busy_tables_before_runs", args.vacuum_busy)
    with benchlib.OdooServer(args.config, env.cr.dbname, workers=2) as server:
        print(
            f"   Odoo server on port {server.port}, log {server.log_path} "
            "(removed at the end if it holds no error)"
        )
        throughput = bench_throughput(env, args, report, server, fleet)
        overlap = bench_overlap(env, args, report, server, fleet)
        bridge = bench_bridge(env, args, report, server, fleet, throughput)
        errors = server.log_lines()
    say("server_log_errors", len(errors))
    for line in errors[:3]:
        print("   " + line[:2000])
    if report.check("the server logged no error", not errors):
        server.remove_files()
    else:
        print(f"   the server's log is kept: {server.log_path}")

    profile = args.profile or args.smoke
    if not args.smoke:
        profile = profile or any(
            benchlib.median([r["per_s"] for r in runs]) < GOAL_READINGS_PER_S
            for runs in throughput.values()
        )
    engine = bench_engine(env, args, report, fleet, profile)
    scale = bench_scale(env, args, report, fleet)
    say("maxrss_mb", benchlib.maxrss_mb(), "{:.0f}")

    print("== summary")
    for clients, runs in throughput.items():
        per_s = benchlib.median([r["per_s"] for r in runs])
        floor = benchlib.median([r["floor_per_s"] for r in runs])
        latencies = [ms for r in runs for ms in r["latencies"]]
        share = per_s / floor
        print(
            f"   {clients} clients, batches of {args.batch_size}, Odoo with 2 "
            f"workers: {per_s:.0f} readings/s (goal >= {GOAL_READINGS_PER_S} "
            f"{report.judge(per_s >= GOAL_READINGS_PER_S)}), "
            f"{share:.0%} of execute_values' {floor:.0f} rows/s (goal "
            f">= {GOAL_FLOOR_SHARE:.0%} {report.judge(share >= GOAL_FLOOR_SHARE)}"
            f"); a batch p50 {benchlib.percentile(latencies, 50):.0f} ms, p99 "
            f"{benchlib.percentile(latencies, 99):.0f} ms."
        )
    print(
        f"   The engine alone takes {1000 * engine:.0f} ms per batch "
        f"({args.batch_size / engine:.0f} readings/s in one process). "
        f"{OVERLAP_CLIENTS} clients sending the same "
        f"{args.overlap_readings} readings in overlapping batches: "
        f"{overlap:.1f} s, each stored once."
    )
    if bridge and bridge.get("paced"):
        paced, saturation = bridge["paced"], bridge.get("saturation")
        print(
            f"   The MQTT bridge, {args.bridge_gateways} gateways, "
            f"{args.bridge_sensors} sensors, {paced['rate']:.0f} readings/s "
            f"offered for {args.bridge_duration:g} s: {paced['per_s'] or 0:.0f} "
            f"stored/s, {bridge['ratio']:.0%} of the {bridge['http']:.0f}/s of "
            f"{bridge['clients']} HTTP clients (goal >= {GOAL_BRIDGE_SHARE:.0%} "
            f"{report.judge(bridge['ratio'] >= GOAL_BRIDGE_SHARE)}); broker to "
            f"database p50 {paced['p50']:.0f} ms, p99 {paced['p99']:.0f} ms (goal "
            f"< {GOAL_BRIDGE_P99_MS} ms "
            f"{report.judge(paced['p99'] < GOAL_BRIDGE_P99_MS)}); each reading "
            "stored once."
            + (
                f" Saturated ({saturation['rate']:.0f}/s asked, "
                f"{saturation['published'] / saturation['publish_s']:.0f}/s "
                f"published): {saturation['per_s'] or 0:.0f} stored/s."
                if saturation
                else ""
            )
        )
    print(
        f"   At {scale['total']} readings: the 24-hour graph of a sensor "
        f"{scale['graph']:.1f} ms (goal < {GOAL_GRAPH_MS} ms "
        f"{report.judge(scale['graph'] < GOAL_GRAPH_MS)}); rollup "
        f"{scale['rollup']['rollup_per_million']:.1f} s per million readings "
        f"({scale['rollup']['rolled']} rolled up), retention "
        f"{scale['rollup']['retention_per_million']:.1f} s per million "
        f"({scale['rollup']['deleted']} deleted)."
    )


if __name__ == "__main__":
    benchlib.main(parse_args(), run)
