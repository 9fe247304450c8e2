"""What the benchmark scripts share: arguments, the database, figures, checks,
query counting, timing, memory, generated rows with every NOT NULL column, and
an Odoo server of its own (``--workers``) with the CPU time of its processes.

Not a benchmark itself: ``tests/run --benchmarks`` runs only ``bench_*.py``.
Each of those declares at module level, as literals the runner reads without
importing it (``ast``):

* ``MODULES``: the add-ons its database gets, and nothing more (with their
  dependencies);
* optionally ``BASELINE_MODULES``: the add-ons of a second database the
  script compares with, passed as ``--baseline-database``.

A script runs at full sizes by default, at tiny ones with ``--smoke`` (sizes
given explicitly win): a smoke run proves that the script still works and
that its results are right (``sanity`` checks fail the run), not that a goal
is met (goals are printed but not judged).
"""

import argparse
import contextlib
import functools
import http.client
import io
import os
import pstats
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.sql_db import close_db, db_connect
from odoo.tools import SQL, config

PASS, FAIL = "PASS", "FAIL"
NOT_JUDGED = "not judged at smoke sizes"
NOT_NULL_COLUMNS = "__NOT_NULL_COLUMNS__"
NOT_NULL_VALUES = "__NOT_NULL_VALUES__"


# --------------------------------------------------------------------------
# arguments and the database
# --------------------------------------------------------------------------
def argument_parser(doc):
    """The parser every script starts from: --config, --database, --runs and
    --smoke; the script adds its sizes."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n", 1)[0])
    parser.add_argument("--config", required=True, help="Odoo configuration file")
    parser.add_argument("--database", required=True, help="throwaway database")
    parser.add_argument("--runs", type=int, default=3, help="timed runs (median)")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes: check that the script works and its results are "
        "right; goals are not judged",
    )
    return parser


def parse_args(parser, smoke_sizes, argv=None):
    """Parse; with --smoke, ``smoke_sizes`` replace the defaults (sizes given
    on the command line still win)."""
    args = parser.parse_args(argv)
    if args.smoke:
        parser.set_defaults(**smoke_sizes)
        args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


@contextlib.contextmanager
def environment(args):
    """A superuser environment on ``args.database``, rolled back at the end
    (a script that keeps something commits it itself)."""
    config.parse_config(["-c", args.config, "-d", args.database])
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        try:
            with no_cron_commit(env):
                yield env
        finally:
            cr.rollback()


@contextlib.contextmanager
def no_cron_commit(env):
    """A scheduled action's method run by a benchmark stays in its
    transaction: ``ir.cron._commit_progress`` (which commits, in a cron or
    not) commits nothing while this is active. The benchmark does not depend
    on how a module tells its cron from other callers."""
    cls = type(env["ir.cron"])
    own = cls.__dict__.get("_commit_progress")

    def _commit_progress(self, processed=0, *, remaining=None, deactivate=False):
        return float("inf")

    cls._commit_progress = _commit_progress
    try:
        yield
    finally:
        if own is None:
            del cls._commit_progress
        else:
            cls._commit_progress = own


def main(args, run):
    """Run ``run(env, args, report)`` in a rolled-back environment; exit 1
    if a sanity check failed, 0 otherwise (goals never fail a run)."""
    report = Report(args.smoke)
    with environment(args) as env:
        run(env, args, report)
    sys.exit(report.exit_code())


# --------------------------------------------------------------------------
# figures, goals, checks
# --------------------------------------------------------------------------
def say(name, value, unit_format="{:.3f}"):
    """One ``name=value`` line."""
    text = unit_format.format(value) if isinstance(value, float) else str(value)
    print(f"{name}={text}", flush=True)


def verdict(ok):
    return PASS if ok else FAIL


def times_text(times, unit_format="{:.3f}"):
    return " ".join(unit_format.format(t) for t in times)


def median(values):
    return statistics.median(values)


def percentile(values, percent):
    """The ``percent`` percentile of ``values`` (linear between the closest
    ranks, as numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * percent / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def steps_text(steps):
    return ", ".join(f"{name} {seconds:.1f}s" for name, seconds in steps.items())


class Report:
    """Goals and sanity checks of one run. A goal is judged at full sizes
    only; a failed sanity check makes the script exit non-zero."""

    def __init__(self, smoke):
        self.smoke = smoke
        self.failed = []

    def judge(self, ok):
        """PASS or FAIL for a goal; at smoke sizes, no verdict."""
        return NOT_JUDGED if self.smoke else verdict(ok)

    def goal(self, text, ok):
        print(f"goal {text}: {self.judge(ok)}", flush=True)
        return ok

    def check(self, text, ok):
        print(f"sanity {text}: {verdict(ok)}", flush=True)
        if not ok:
            self.failed.append(text)
        return ok

    def exit_code(self):
        if self.failed:
            print(
                f"{len(self.failed)} sanity check(s) failed: " + "; ".join(self.failed)
            )
            return 1
        return 0


# --------------------------------------------------------------------------
# time, memory, queries
# --------------------------------------------------------------------------
class Stopwatch:
    """``with Stopwatch() as watch: ...``, then ``watch.seconds``."""

    seconds = 0.0

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def timed(function, *args, **kwargs):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def maxrss_mb():
    """The process's peak resident set size so far (Linux: KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb():
    """The process's resident set size now."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 1024 / 1024


def label(query, width=80):
    """A statement on one line, cut to ``width``."""
    if isinstance(query, bytes):
        query = query.decode(errors="replace")
    text = re.sub(r"\s+", " ", str(query)[:400]).strip()
    return text if len(text) <= width else text[: width - 3] + "..."


class MethodTimer:
    """Times methods of the registry's model classes in this process: each
    wrapped method adds the time, queries (and, with a ``QueryLog``, the SQL
    seconds) of its outermost calls to its name, and keeps the arguments of
    its last call. A method the model does not have is left out (its name in
    ``absent``). The wrappers are removed on exit."""

    def __init__(self, log=None):
        self.log = log
        self.records = defaultdict(lambda: [0.0, 0, 0.0, 0])  # s, q, sql s, calls
        self.calls = {}  # name -> (record, args, kwargs) of the last call
        self.absent = set()
        self.undo = []

    def wrap(self, cls, method, name):
        original = getattr(cls, method, None)
        if original is None:
            self.absent.add(name)
            return
        own = cls.__dict__.get(method)
        records, calls, log = self.records, self.calls, self.log
        depth = [0]

        def counters(cr):
            if log is not None:
                return log.count, log.seconds
            return cr.sql_log_count, 0.0

        @functools.wraps(original)  # with its _api_* marks
        def timed(record_self, *args, **kwargs):
            calls[name] = (record_self, args, kwargs)
            if depth[0]:
                return original(record_self, *args, **kwargs)
            depth[0] += 1
            cr = record_self.env.cr
            queries, sql = counters(cr)
            try:
                with Stopwatch() as watch:
                    return original(record_self, *args, **kwargs)
            finally:
                entry = records[name]
                queries_after, sql_after = counters(cr)
                entry[0] += watch.seconds
                entry[1] += queries_after - queries
                entry[2] += sql_after - sql
                entry[3] += 1
                depth[0] -= 1

        setattr(cls, method, timed)
        self.undo.append((cls, method, own))

    def wrap_models(self, env, methods):
        """Wrap each (model, method) of ``methods`` as ``model.method``; a
        model the registry lacks is left out."""
        for model, method in methods:
            if model in env:
                self.wrap(type(env[model]), method, f"{model}.{method}")
        return self

    def reset(self):
        self.records.clear()

    def get(self, name):
        return self.records.get(name, [0.0, 0, 0.0, 0])

    def take(self):
        """{name: (seconds, queries, sql seconds, calls)} since the last
        take (or reset)."""
        taken = {name: tuple(entry) for name, entry in self.records.items()}
        self.reset()
        return taken

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for cls, method, own in reversed(self.undo):
            if own is None:
                delattr(cls, method)
            else:
                setattr(cls, method, own)


class QueryLog:
    """Counts the statements of this thread and their time, by statement
    (its first 80 characters) and, for those that write, by verb and table,
    through the hook that odoo.sql_db.Cursor.execute calls (as
    odoo.tools.profiler does). ``capture(query)`` tells which statement to
    keep, with its parameters, in ``captured`` (the last one seen)."""

    WRITE = re.compile(
        r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE
    )

    def __init__(self, capture=None):
        self.count = 0
        self.seconds = 0.0
        self.by_label = defaultdict(lambda: [0, 0.0])
        self.writes = Counter()
        self.capture = capture
        self.captured = None

    def hook(self, _cr, query, params, _start, delay):
        self.count += 1
        self.seconds += delay
        text = label(query)
        entry = self.by_label[text]
        entry[0] += 1
        entry[1] += delay
        match = self.WRITE.match(text)
        if match:
            self.writes[f"{match[1].split()[0].upper()} {match[2]}"] += 1
        if self.capture and self.capture(query):
            self.captured = (query, params)

    def __enter__(self):
        thread = threading.current_thread()
        if not hasattr(thread, "query_hooks"):
            thread.query_hooks = []
        thread.query_hooks.append(self.hook)
        return self

    def __exit__(self, *exc):
        threading.current_thread().query_hooks.remove(self.hook)

    def snapshot(self):
        return {text: tuple(entry) for text, entry in self.by_label.items()}

    def slowest(self, before=None, limit=6):
        """[(text, (calls, seconds))] of the slowest statements, since
        ``before`` (a ``snapshot()``) if given."""
        before = before or {}
        items = {}
        for text, (calls, seconds) in self.by_label.items():
            old_calls, old_seconds = before.get(text, (0, 0.0))
            if calls > old_calls:
                items[text] = (calls - old_calls, seconds - old_seconds)
        return sorted(items.items(), key=lambda item: -item[1][1])[:limit]

    def writes_text(self):
        if not self.writes:
            return "none"
        return ", ".join(f"{key} x{n}" for key, n in sorted(self.writes.items()))


def print_slowest(items, indent="     "):
    for text, (calls, seconds) in items:
        print(f"{indent}{calls:6d} x {seconds:8.3f} s  {text}")


# --------------------------------------------------------------------------
# generated rows: every NOT NULL column
# --------------------------------------------------------------------------
_defaults = {}  # (database, model) -> {field: its default, or _NO_DEFAULT}
_NO_DEFAULT = object()


def not_null_columns(env, model_name):
    """The columns of the model's table that a row must be given: NOT NULL
    without a default in the database, or a required stored field of the
    registry (whichever module defines it)."""
    model = env[model_name]
    env.cr.execute(
        """
        SELECT column_name FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = %s
           AND is_nullable = 'NO' AND column_default IS NULL
        """,
        [model._table],
    )
    columns = {row[0] for row in env.cr.fetchall()}
    columns |= {
        name
        for name, field in model._fields.items()
        if field.required and field.store and field.column_type
    }
    columns.discard("id")
    return sorted(columns)


def not_null_defaults(env, model_name, explicit):
    """{column: SQL parameter} for every NOT NULL column of the model that a
    generated row does not give (``explicit``: its column names): the value
    the ORM's ``create`` would store, its default, evaluated once per model.
    A NOT NULL column without a default is an error: the generator must give
    it."""
    model = env[model_name]
    missing = [
        name for name in not_null_columns(env, model_name) if name not in explicit
    ]
    if not missing:
        return {}
    known = _defaults.setdefault((env.cr.dbname, model_name), {})
    todo = [name for name in missing if name not in known]
    if todo:  # each default evaluated once per model
        found = model.default_get(todo)
        known.update({name: found.get(name, _NO_DEFAULT) for name in todo})
    values = {}
    for name in missing:
        field = model._fields.get(name)
        default = known[name]
        if default is _NO_DEFAULT and field is not None and field.type == "boolean":
            default = False  # what the ORM stores for a boolean left out
        if field is None or default is _NO_DEFAULT:
            raise RuntimeError(
                f"{model._table}.{name} is NOT NULL and has no default: the "
                f"benchmark's generator must give it a value"
            )
        values[name] = field.convert_to_column_insert(default, model.browse(), {})
    return values


_INSERT = re.compile(r"INSERT\s+INTO\s+\"?(\w+)\"?\s*\(([^)]*)\)", re.IGNORECASE)


def with_not_null(env, query):
    """``query`` with every INSERT into a model's table completed with the
    NOT NULL columns it does not give (``not_null_defaults``), and the
    parameters of their values.

    Each such INSERT lists its columns with ``__NOT_NULL_COLUMNS__`` last,
    and ends each list of values (each SELECT of a UNION) with
    ``__NOT_NULL_VALUES__``; an INSERT into a model's table without them is
    an error, so no generator can forget a column a module adds."""
    tables = {
        model._table: name
        for name, model in env.registry.items()
        if model._auto and not model._abstract
    }
    params = {}
    parts = re.split(r"(?=\bINSERT\s+INTO\b)", query, flags=re.IGNORECASE)
    for index, part in enumerate(parts):
        match = _INSERT.match(part)
        if not match or match[1] not in tables:
            if NOT_NULL_COLUMNS in part or NOT_NULL_VALUES in part:
                raise RuntimeError(f"{NOT_NULL_COLUMNS} outside an INSERT: {part}")
            continue
        table, columns = match[1], match[2]
        if not (
            columns.rstrip().endswith(NOT_NULL_COLUMNS) and NOT_NULL_VALUES in part
        ):
            raise RuntimeError(
                f"INSERT INTO {table} lists its columns without "
                f"{NOT_NULL_COLUMNS} last or its values without {NOT_NULL_VALUES}"
            )
        explicit = {
            name.strip().strip('"')
            for name in columns.replace(NOT_NULL_COLUMNS, "").split(",")
        }
        values = not_null_defaults(env, tables[table], explicit)
        names = {column: f"not_null_{table}_{column}" for column in values}
        params.update({names[column]: value for column, value in values.items()})
        parts[index] = part.replace(
            NOT_NULL_COLUMNS, "".join(f", {column}" for column in values)
        ).replace(NOT_NULL_VALUES, "".join(f", %({names[c]})s" for c in values))
    return "".join(parts), params


def execute_steps(env, steps, params, timings=None, **replace):
    """Run the (name, query) steps of a generator, each completed by
    ``with_not_null``, ``replace``'s ``__KEY__`` markers replaced; add each
    step's seconds to ``timings``, returned."""
    timings = {} if timings is None else timings
    for name, template in steps:
        query = template
        for key, value in replace.items():
            query = query.replace(f"__{key.upper()}__", value)
        query, extra = with_not_null(env, query)
        start = time.perf_counter()
        env.cr.execute(query, {**params, **extra})
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start
    return timings


@contextlib.contextmanager
def fast_load(cr):
    """Bulk load without the foreign-key triggers (the ids are consistent by
    construction, and checked after): 3x faster. Needs a superuser; else the
    load is slower. Yields whether the triggers are off."""
    cr.execute("SELECT current_setting('is_superuser') = 'on'")
    fast = cr.fetchone()[0]
    if fast:
        cr.execute("SET LOCAL session_replication_role = replica")
    try:
        yield fast
    finally:
        if fast:  # the measurements run with every trigger, as in production
            cr.execute("SET LOCAL session_replication_role = origin")


# ----------------------------------------------------------------------
# Baseline databases and profiles (benchmarks that compare with and without
# their module)
# ----------------------------------------------------------------------
def install_baseline(config_path, dbname, modules):
    """Install ``modules`` (a benchmark's BASELINE_MODULES) into ``dbname``."""
    command = [
        sys.executable,
        "-m",
        "odoo",
        "-c",
        config_path,
        "-d",
        dbname,
        "-i",
        ",".join(modules),
        "--stop-after-init",
        "--no-http",
        "--log-level=warn",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=1800
    )
    if result.returncode:
        sys.stdout.write((result.stdout + result.stderr)[-5000:])
        raise RuntimeError(
            f"installing {modules} into {dbname} failed (exit {result.returncode})"
        )


def drop_database(dbname):
    """Drop the baseline database and its filestore; report, never raise."""
    try:
        Registry.delete(dbname)
        close_db(dbname)
        with contextlib.closing(db_connect("postgres").cursor()) as cr:
            cr._cnx.autocommit = True  # DROP DATABASE cannot run in a transaction
            cr.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %(db)s AND pid <> pg_backend_pid()",
                {"db": dbname},
            )
            cr.execute(SQL("DROP DATABASE IF EXISTS %s", SQL.identifier(dbname)))
        shutil.rmtree(Path(config.filestore(dbname)), ignore_errors=True)
    except Exception as error:  # report it, don't mask the run's own result
        print(f"could not drop database {dbname}: {error}", file=sys.stderr)


def short_path(filename):
    for marker in ("/odoo/addons/", "/addons/", "/odoo/"):
        if marker in filename:
            return filename.rsplit(marker, 1)[1]
    return filename


def profile_lines(profiler, limit=25):
    stats = pstats.Stats(profiler, stream=io.StringIO())
    stats.sort_stats("cumulative")
    lines = []
    for func in stats.fcn_list[:limit]:
        calls, _primitive, tottime, cumtime, _callers = stats.stats[func]
        filename, line, name = func
        where = f"{short_path(filename)}:{line}" if line else filename
        lines.append(f"     {cumtime:7.3f} {tottime:7.3f} {calls:8d}  {where}({name})")
    return lines


def activity_counts(env, res_model, type_ids):
    """{kind: (open, done)} of the activities of ``type_ids`` ({kind: activity
    type id}) on records of ``res_model``: done activities are archived."""
    env.flush_all()
    env.cr.execute(
        """
        SELECT activity_type_id, count(*) FILTER (WHERE active),
               count(*) FILTER (WHERE NOT active)
          FROM mail_activity
         WHERE res_model = %(model)s AND activity_type_id = ANY(%(types)s)
         GROUP BY activity_type_id
        """,
        {"model": res_model, "types": list(type_ids.values())},
    )
    rows = {type_id: (opened, done) for type_id, opened, done in env.cr.fetchall()}
    return {kind: rows.get(type_id, (0, 0)) for kind, type_id in type_ids.items()}


# ----------------------------------------------------------------------
# An Odoo server of the benchmark's own (benchmarks of HTTP endpoints), and
# the CPU time of processes
# ----------------------------------------------------------------------
SERVER_LAUNCHER = """\
import os
import sys
import time

if sys.argv[1:2] == ["gevent"]:
    # the websocket process: none is needed here, an idle stand-in instead
    while os.getppid() != 1:
        time.sleep(1)
else:
    import odoo.cli

    odoo.cli.main()
"""
DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys; "
    "ctypes.CDLL(None).prctl(1, signal.SIGTERM); "  # 1: PR_SET_PDEATHSIG
    "os.execvp(sys.argv[1], sys.argv[1:])"
)
SERVER_START_TIMEOUT = 120  # seconds
SERVER_STOP_TIMEOUT = 30


def dying_with_parent(command):
    """``command``, run so that it gets SIGTERM when its parent (this
    process) dies: Linux's PR_SET_PDEATHSIG, set by a small Python that then
    executes it (not a ``preexec_fn``: unsafe with threads). A benchmark or
    test killed by tests/run's timeout or ^C then leaves no server, bridge
    or simulator behind (they run in sessions of their own, which no group
    signal reaches)."""
    return [sys.executable, "-c", DIE_WITH_PARENT, *command]


def free_port():
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OdooServer:
    """``with OdooServer(config_path, dbname, workers=2) as server:`` an Odoo
    server in a subprocess, in multi-process mode (``--workers``), on free
    ports of 127.0.0.1, serving ``dbname`` only (``--db-filter``), without
    cron workers, logging to ``server.log_path``; the block starts once it
    answers ``/web/health``. Stopped at the end (SIGTERM, then SIGKILL of its
    process group after ``SERVER_STOP_TIMEOUT``).

    Started from a launcher file, as ``odoo-bin`` is: the prefork server
    starts its websocket (gevent) process by running its own ``sys.argv[0]``
    again (``python -m odoo`` would not allow it), and starts it again each
    second if it dies (where gevent cannot start, that would take a core).
    No benchmark uses websockets: the launcher runs an idle stand-in for that
    process, which the server kills when it stops."""

    def __init__(self, config_path, dbname, workers=2, log_level="info", extra=()):
        self.config_path = config_path
        self.dbname = dbname
        self.workers = workers
        self.log_level = log_level
        self.extra = list(extra)
        self.process = None
        self.port = None
        self.folder = None
        self.log_path = None

    def command(self):
        launcher = Path(self.folder) / "odoo_server.py"
        launcher.write_text(SERVER_LAUNCHER, encoding="utf-8")
        return [
            sys.executable,
            str(launcher),  # the server command: the default one
            "-c",
            str(self.config_path),
            "-d",
            self.dbname,
            "--db-filter",
            f"^{re.escape(self.dbname)}$",
            "--workers",
            str(self.workers),
            "--max-cron-threads",
            "0",
            "--http-interface",
            "127.0.0.1",
            "--http-port",
            str(self.port),
            "--gevent-port",
            str(free_port()),
            "--logfile",
            str(self.log_path),
            f"--log-level={self.log_level}",
            *self.extra,
        ]

    def __enter__(self):
        self.folder = tempfile.mkdtemp(prefix="bench_odoo_server_")
        self.log_path = Path(self.folder) / "odoo.log"
        self.port = free_port()
        self.spawn()
        try:
            self.wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def spawn(self):
        """Start the server process (again, after ``stop()``: same port)."""
        self.process = subprocess.Popen(
            dying_with_parent(self.command()),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers in a process group of their own
        )

    def wait_until_ready(self):
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the Odoo server exited ({self.process.returncode}) before "
                    f"answering; its log: {self.log_path}\n{self.log_tail()}"
                )
            try:
                status, _headers, _body = self.request("GET", "/web/health", timeout=5)
            except OSError:
                status = None
            if status == 200:
                return
            time.sleep(0.2)
        raise RuntimeError(
            f"the Odoo server does not answer after {SERVER_START_TIMEOUT} s; "
            f"its log: {self.log_path}\n{self.log_tail()}"
        )

    def request(self, method, path, body=None, headers=None, timeout=60):
        """(status, headers, body) of one request on a new connection."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def stop(self):
        if not self.process or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(SERVER_STOP_TIMEOUT)

    def remove_files(self):
        """Remove the launcher and the log (once read), the server stopped."""
        self.stop()
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def pids(self):
        """The server's processes: the master and its descendants."""
        return descendants(self.process.pid) | {self.process.pid}

    def log_tail(self, lines=40):
        try:
            text = Path(self.log_path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def log_lines(self, levels=("ERROR", "CRITICAL")):
        """The log lines at ``levels``, each with the traceback that follows."""
        try:
            text = Path(self.log_path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        found, keep = [], False
        for line in text.splitlines():
            match = re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (\w+) ", line)
            if match:
                keep = match[1] in levels
                if keep:
                    found.append(line)
            elif keep and found:
                found[-1] += "\n" + line
        return found


def _proc_stat(pid):
    """(ppid, command, CPU seconds: user + system) of a process, or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            text = stat.read()
    except OSError:
        return None
    command = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[1]), command, (int(fields[11]) + int(fields[12])) / ticks


def _all_processes():
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _proc_stat(int(name))
            if stat:
                found[int(name)] = stat
    return found


def postgres_backends(dbname):
    """The pids of the PostgreSQL backends connected to ``dbname`` now, if
    they run on this machine (a pid of another container's server may be
    another process here)."""
    with contextlib.closing(db_connect("postgres").cursor()) as cr:
        cr.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [dbname])
        pids = {row[0] for row in cr.fetchall()}
    return {
        pid for pid in pids if (_proc_stat(pid) or (0, ""))[1].startswith("postgres")
    }


def descendants(pid, processes=None):
    processes = processes or _all_processes()
    children = defaultdict(set)
    for child, (ppid, _command, _cpu) in processes.items():
        children[ppid].add(child)
    found, todo = set(), [pid]
    while todo:
        for child in children.pop(todo.pop(), ()):
            found.add(child)
            todo.append(child)
    return found


class CpuMeter:
    """CPU seconds used, between ``start()`` and ``stop()``, by groups of
    processes of this machine: ``groups`` is {name: function() -> set of
    pids}, evaluated at both ends (a process that starts or ends in between
    counts from or up to the end it is seen at); ``postgres_all`` (every
    process whose command starts with "postgres": this machine's server, for
    every database) is added; ``machine_busy`` and ``machine_total`` (CPU
    seconds of all cores) come from /proc/stat. A group none of whose
    processes this machine shows (PostgreSQL in another container) gets
    None. Linux only."""

    def __init__(self, groups):
        self.groups = dict(groups)
        self.before = self.after = None
        self.seconds = {}

    @staticmethod
    def _machine():
        with open("/proc/stat", encoding="ascii") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        ticks = os.sysconf("SC_CLK_TCK")
        idle = values[3] + values[4]
        return sum(values) / ticks, (sum(values) - idle) / ticks

    def _sample(self):
        processes = _all_processes()
        sample = {}
        for name, pids in self.groups.items():
            sample[name] = {
                pid: processes[pid][2] for pid in pids() if pid in processes
            }
        sample["postgres_all"] = {
            pid: cpu
            for pid, (_ppid, command, cpu) in processes.items()
            if command.startswith("postgres")
        }
        return sample, self._machine()

    def start(self):
        self.before = self._sample()
        return self

    def stop(self):
        self.after = self._sample()
        (before, (total0, busy0)), (after, (total1, busy1)) = self.before, self.after
        for name in after:
            pids = set(before[name]) | set(after[name])
            if not pids:
                self.seconds[name] = None
                continue
            self.seconds[name] = sum(
                after[name].get(pid, before[name].get(pid, 0.0))
                - before[name].get(pid, 0.0)
                for pid in pids
            )
        self.seconds["machine_total"] = total1 - total0
        self.seconds["machine_busy"] = busy1 - busy0
        return self.seconds


def listening_pids(port):
    """The pids of this machine's processes that listen on TCP ``port`` (any
    address, IPv4 or IPv6): a server the benchmark did not start, such as
    the machine's MQTT broker, whose CPU time it measures. Empty when none
    is seen (another container or machine, or no right to look). Linux
    only."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as lines:
                next(lines, None)  # the header
                for line in lines:
                    fields = line.split()
                    local, state, inode = fields[1], fields[3], fields[9]
                    if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                        inodes.add(f"socket:[{inode}]")
        except OSError:
            continue
    found = set()
    if not inodes:
        return found
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        folder = f"/proc/{name}/fd"
        try:
            links = os.listdir(folder)
        except OSError:
            continue
        for link in links:
            try:
                if os.readlink(f"{folder}/{link}") in inodes:
                    found.add(int(name))
                    break
            except OSError:
                continue
    return found
