"""The test harness itself: what tests/run tells a user whose machine lacks
Odoo or PostgreSQL, what its static checks catch, that the Docker set-up
installs every add-on of the repository, how the benchmarks run: the
modules each declares, smoke sizes, generated rows with every NOT NULL
column; and the MQTT bridge's step: the broker it finds, starts or explains
the lack of, when it runs and the database it gets."""

import ast
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "tests" / "run"


def _load_runner():
    loader = importlib.machinery.SourceFileLoader("wms_tests_run", str(RUN))
    spec = importlib.util.spec_from_loader("wms_tests_run", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _record_installs(runner, monkeypatch):
    """Installs and copies of databases, recorded instead of made."""
    installs, copies = [], []
    monkeypatch.setattr(
        runner,
        "install",
        lambda config, dbname, modules, demo=True, say=None: installs.append(
            (dbname, modules, demo)
        ),
    )
    monkeypatch.setattr(
        runner,
        "copy_database",
        lambda workdir, source, target: copies.append((source, target)),
    )
    return installs, copies


def _run(*args, env=None):
    return subprocess.run(
        [*args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def _assert_one_plain_sentence(result):
    assert result.returncode != 0
    output = (result.stdout + result.stderr).strip()
    assert "Traceback" not in output
    lines = output.splitlines()
    assert len(lines) == 1, output
    assert lines[0].endswith(".")
    assert "docker compose -f docker/docker-compose.yml run --rm tests" in lines[0]
    return lines[0]


def test_without_odoo_one_plain_sentence():
    # -S: no site-packages, hence no Odoo, whatever this machine has installed
    result = _run(sys.executable, "-S", str(RUN), "--no-install")
    sentence = _assert_one_plain_sentence(result)
    assert "Odoo 19.0" in sentence
    assert "Python's path" in sentence


def test_without_postgresql_one_plain_sentence(tmp_path):
    env = dict(os.environ, PGHOST="127.0.0.1", PGPORT="9")  # nothing listens
    result = _run(sys.executable, str(RUN), "--no-install", env=env)
    sentence = _assert_one_plain_sentence(result)
    assert sentence.startswith("tests/run: PostgreSQL does not answer at 127.0.0.1:9")
    assert "PGHOST" in sentence


def test_unknown_module_is_refused():
    result = _run(sys.executable, str(RUN), "--no-install", "--module", "nope")
    assert result.returncode != 0
    assert "There is no addon named nope" in result.stderr


def test_manifest_check_catches_bad_manifests(tmp_path):
    runner = _load_runner()
    good = tmp_path / "wms_good"
    (good / "views").mkdir(parents=True)
    (good / "views" / "a.xml").write_text("<odoo/>")
    (good / "__manifest__.py").write_text(
        "{'name': 'Good', 'version': '19.0.1.0.0', 'license': 'AGPL-3',"
        " 'author': 'Us', 'data': ['views/a.xml']}"
    )
    bad = tmp_path / "wms_bad"
    bad.mkdir()
    (bad / "__manifest__.py").write_text(
        "{'name': 'Bad', 'version': '18.0.1.0.0', 'data': ['views/missing.xml']}"
    )
    errors = runner.check_manifests(tmp_path)
    assert not [e for e in errors if e.startswith("wms_good")], errors
    bad_errors = [e for e in errors if e.startswith("wms_bad")]
    assert any("is not 19.0.x.y.z" in e for e in bad_errors)
    assert any("has no license" in e for e in bad_errors)
    assert any("has no author" in e for e in bad_errors)
    assert any("missing file views/missing.xml" in e for e in bad_errors)


def test_xml_check_catches_broken_xml(tmp_path):
    runner = _load_runner()
    (tmp_path / "ok.xml").write_text("<odoo><data/></odoo>")
    (tmp_path / "broken.xml").write_text("<odoo><record></odoo>")
    errors = runner.check_xml_files(tmp_path)
    assert len(errors) == 1
    assert errors[0].startswith("broken.xml")


def test_repository_addons_pass_the_manifest_check():
    runner = _load_runner()
    assert runner.check_manifests() == []
    assert runner.our_addons()


def test_compose_installs_every_addon_with_demo():
    compose = yaml.safe_load((ROOT / "docker" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres:16")
    assert "healthcheck" in services["db"]
    odoo = services["odoo"]
    assert odoo["depends_on"]["db"]["condition"] == "service_healthy"
    assert "8069:8069" in odoo["ports"]
    command = odoo["command"]
    assert command[command.index("-d") + 1] == "wms"
    assert "--with-demo" in command
    installed = set(command[command.index("-i") + 1].split(","))
    assert installed == set(_load_runner().our_addons())
    assert services["tests"]["entrypoint"][-1] == "tests/run"
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    assert "FROM odoo:19.0" in dockerfile
    assert "--no-deps -r /opt/wms/oca-addons.txt" in dockerfile


def test_every_oca_dependency_is_installed_by_oca_addons_txt():
    """Each add-on our manifests depend on that is neither ours nor Odoo's
    own is listed in oca-addons.txt (which tests/run and the Dockerfile
    install), so a clean clone and the image can install every module."""
    import odoo.modules.module  # noqa: PLC0415 -- tests/run checked Odoo first

    ours = set(_load_runner().our_addons())
    listed = set()
    for raw in (ROOT / "oca-addons.txt").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name = line.split("==", 1)[0].removeprefix("odoo-addon-")
            listed.add(name.replace("-", "_"))
    missing = set()
    for name in ours:
        manifest = ast.literal_eval(
            (ROOT / "addons" / name / "__manifest__.py").read_text()
        )
        for dependency in manifest.get("depends", []):
            if dependency in ours or dependency in listed:
                continue
            manifest = odoo.modules.module.get_manifest(dependency)
            if not manifest or "Odoo Community Association" in manifest.get(
                "author", ""
            ):
                missing.add(dependency)
    assert not missing, f"not in oca-addons.txt: {sorted(missing)}"


def test_waits_for_postgresql_that_is_starting(monkeypatch):
    """CI once started while PostgreSQL was still recovering: tests/run waits
    for a server that says it is starting, and fails at once otherwise."""
    runner = _load_runner()
    answers = [
        Exception("FATAL: the database system is starting up"),
        Exception("FATAL: the database system is not yet accepting connections"),
        None,
    ]

    class Connection:
        def close(self):
            pass

    def connect(dbname="postgres"):
        answer = answers.pop(0)
        if answer:
            raise answer
        return Connection()

    monkeypatch.setattr(runner, "connect", connect)
    monkeypatch.setattr(runner.time, "sleep", lambda seconds: None)
    runner.check_postgres()
    assert answers == []

    answers[:] = [Exception('FATAL: role "nobody" does not exist'), None]
    try:
        runner.check_postgres()
    except runner.Failure as failure:
        assert 'role "nobody" does not exist' in str(failure)
    else:
        raise AssertionError("a refused login must fail at once")
    assert answers == [None]


# ----------------------------------------------------------------------
# benchmarks
# ----------------------------------------------------------------------
BENCHMARKS = ROOT / "tests" / "benchmarks"


def _load_benchlib():
    """The benchmarks' helper module, as the scripts import it (it imports
    Odoo, which pytest-odoo has set up)."""
    loader = importlib.machinery.SourceFileLoader(
        "benchlib", str(BENCHMARKS / "benchlib.py")
    )
    spec = importlib.util.spec_from_loader("benchlib", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_runner_runs_bench_scripts_not_their_helper(tmp_path):
    runner = _load_runner()
    for name in ("bench_a.py", "bench_b.py", "benchlib.py", "helper.py"):
        (tmp_path / name).write_text("MODULES = ['x']\n")
    assert [p.name for p in runner.benchmark_scripts(tmp_path)] == [
        "bench_a.py",
        "bench_b.py",
    ]
    names = [p.name for p in runner.benchmark_scripts()]
    assert "benchlib.py" not in names
    assert (BENCHMARKS / "benchlib.py").is_file()
    assert names == [
        "bench_customer_profile.py",
        "bench_iot_monitoring.py",
        "bench_outbound_requirements.py",
        "bench_segmentation.py",
        "bench_service_tickets.py",
    ]


def test_benchmarks_declare_their_modules(tmp_path):
    """The runner reads MODULES (and BASELINE_MODULES) without importing the
    script, and refuses a script that declares none or a non-literal."""
    runner = _load_runner()
    script = tmp_path / "bench_x.py"
    script.write_text(
        "import odoo_that_does_not_exist\n"
        "MODULES = ['wms_outbound_requirements']\n"
        "BASELINE_MODULES = ('wms_customer_profile',)\n"
    )
    bench = runner.Benchmark(script)
    assert bench.modules == ["wms_outbound_requirements"]
    assert bench.baseline_modules == ["wms_customer_profile"]
    for text in ("X = 1\n", "MODULES = []\n", "MODULES = sorted(['a'])\n"):
        script.write_text(text)
        try:
            runner.Benchmark(script)
        except runner.Failure as failure:
            assert "bench_x.py" in str(failure)
        else:
            raise AssertionError(f"accepted {text!r}")
    ours = set(runner.our_addons())
    declared = {
        bench.name: bench.modules
        for bench in map(runner.Benchmark, runner.benchmark_scripts())
    }
    assert declared == {
        "bench_customer_profile.py": ["wms_customer_profile"],
        "bench_iot_monitoring.py": ["wms_iot_monitoring"],
        "bench_outbound_requirements.py": ["wms_outbound_requirements"],
        "bench_segmentation.py": ["wms_segmentation"],
        "bench_service_tickets.py": ["wms_service_tickets"],
    }
    assert all(set(modules) <= ours for modules in declared.values())


def test_benchmark_databases_get_only_their_modules(tmp_path, monkeypatch):
    """Each benchmark's database gets its own MODULES; a database whose
    modules another one contains is copied from it; every use (a benchmark,
    its baseline) gets a database of its own, each listed for dropping."""
    runner = _load_runner()
    for name, depends in (("a", []), ("b", ["a"]), ("c", ["a"])):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__manifest__.py").write_text(repr({"depends": depends}))
    plan = runner.database_plan(
        [frozenset(["b"]), frozenset(["a"]), frozenset(["c"])], tmp_path
    )
    assert plan == {
        frozenset(["a"]): None,
        frozenset(["b"]): frozenset(["a"]),
        frozenset(["c"]): frozenset(["a"]),
    }
    assert next(iter(plan)) == frozenset(["a"])  # the source first

    monkeypatch.setattr(runner, "ADDONS", tmp_path)
    installs, copies = _record_installs(runner, monkeypatch)
    scripts = {
        "bench_b.py": "MODULES = ['b']\nBASELINE_MODULES = ['a']\n",
        "bench_a.py": "MODULES = ['a']\n",
        "bench_c.py": "MODULES = ['c']\n",
    }
    for name, text in scripts.items():
        (tmp_path / name).write_text(text)
    benchmarks = [runner.Benchmark(p) for p in runner.benchmark_scripts(tmp_path)]
    created = []
    databases = runner.prepare_databases(
        "odoo.conf", tmp_path, benchmarks, created, say=lambda line: None
    )
    assert sorted(databases) == [
        ("bench_a.py", "main"),
        ("bench_b.py", "baseline"),
        ("bench_b.py", "main"),
        ("bench_c.py", "main"),
    ]
    assert len(set(databases.values())) == 4  # one database per use
    assert sorted(created) == sorted(databases.values())
    installed = {dbname: modules for dbname, modules, _demo in installs}
    assert not any(demo for _db, _modules, demo in installs)
    a_db = databases["bench_a.py", "main"]
    assert installed[a_db] == ["a"]
    assert installed[databases["bench_b.py", "main"]] == ["b"]
    assert installed[databases["bench_c.py", "main"]] == ["c"]
    assert len(installs) == 3  # "a" installed once, copied for the baseline
    assert sorted(copies) == sorted(
        [
            (a_db, databases["bench_b.py", "main"]),
            (a_db, databases["bench_c.py", "main"]),
            (a_db, databases["bench_b.py", "baseline"]),
        ]
    )
    command = runner.benchmark_command(
        "odoo.conf", benchmarks[1], databases, smoke=True
    )
    assert command[-5:] == [
        "--database",
        databases["bench_b.py", "main"],
        "--baseline-database",
        databases["bench_b.py", "baseline"],
        "--smoke",
    ]


def test_smoke_is_accepted():
    runner = _load_runner()
    args = runner.parse_args(["--benchmarks", "--smoke"])
    assert args.benchmarks and args.smoke
    assert not runner.parse_args(["--benchmarks"]).smoke
    result = _run(sys.executable, str(RUN), "--no-install", "--smoke")
    assert result.returncode == 2
    assert "--smoke goes with --benchmarks" in result.stderr
    for script in runner.benchmark_scripts():
        result = _run(sys.executable, str(script), "--help")
        assert result.returncode == 0, result.stderr
        assert "--smoke" in result.stdout


def test_smoke_checks_sanity_not_goals(capsys):
    """A failed sanity check fails a benchmark, at any size; a goal is
    judged at full sizes only, and never fails the run."""
    benchlib = _load_benchlib()
    smoke = benchlib.Report(smoke=True)
    assert not smoke.goal("ratio<=2", False)
    assert smoke.check("rows = bare aggregate", True)
    assert smoke.exit_code() == 0
    assert not smoke.check("counts agree", False)
    assert smoke.exit_code() == 1
    full = benchlib.Report(smoke=False)
    full.goal("ratio<=2", False)
    assert full.exit_code() == 0
    output = capsys.readouterr().out
    assert "goal ratio<=2: not judged at smoke sizes" in output
    assert "goal ratio<=2: FAIL" in output
    assert "sanity counts agree: FAIL" in output


@pytest.fixture
def env():
    """A superuser environment on the test database, rolled back."""
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415 -- set up by pytest-odoo
    from odoo.modules.registry import Registry  # noqa: PLC0415
    from odoo.tests.common import get_db_name  # noqa: PLC0415

    with Registry(get_db_name()).cursor() as cr:
        try:
            yield api.Environment(cr, SUPERUSER_ID, {})
        finally:
            cr.rollback()


def test_not_null_filler_fills_the_columns_modules_add(env):
    """Generated rows get every NOT NULL column the installed modules
    define: the benchmarks' generators name none of those by hand."""
    benchlib = _load_benchlib()
    Partner = env["res.partner"]
    env.cr.execute(
        """
        SELECT column_name FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = 'res_partner'
           AND is_nullable = 'NO' AND column_default IS NULL
           AND column_name <> 'id'
        """
    )
    not_null = {row[0] for row in env.cr.fetchall()}
    added = {name for name in not_null if Partner._fields[name]._module != "base"}
    assert added, "no module adds a NOT NULL column to res_partner"
    values = benchlib.not_null_defaults(env, "res.partner", {"id", "name"})
    assert not_null <= set(values)
    for name in added:
        assert values[name] == Partner.default_get([name])[name]

    query, params = benchlib.with_not_null(
        env,
        """
        CREATE TEMPORARY TABLE bench_probe AS SELECT 1 AS n;
        INSERT INTO res_partner (name, type, active __NOT_NULL_COLUMNS__)
        SELECT 'Bench probe ' || n, 'contact', TRUE __NOT_NULL_VALUES__
          FROM bench_probe
        RETURNING id
        """,
    )
    assert set(params) == {f"not_null_res_partner_{name}" for name in values}
    env.cr.execute(query, params)
    partner = Partner.browse(env.cr.fetchone()[0])
    for name in added:
        assert partner[name] == Partner.default_get([name])[name]


def test_not_null_filler_refuses_what_it_cannot_fill(env):
    benchlib = _load_benchlib()
    # an INSERT into a model's table must leave the filler its place
    with pytest.raises(RuntimeError, match="__NOT_NULL_COLUMNS__"):
        benchlib.with_not_null(env, "INSERT INTO res_partner (name) SELECT 'x'")
    # a NOT NULL column that no field defaults is the generator's to give
    env.cr.execute(
        "ALTER TABLE res_partner ADD COLUMN bench_probe integer NOT NULL "
        "DEFAULT 0; ALTER TABLE res_partner ALTER COLUMN bench_probe "
        "DROP DEFAULT"
    )
    with pytest.raises(RuntimeError, match=r"res_partner\.bench_probe"):
        benchlib.not_null_defaults(env, "res.partner", {"id", "name"})


# ----------------------------------------------------------------------
# the MQTT bridge's step: its broker, its database, its plugins
# ----------------------------------------------------------------------
def _free_port():
    return _load_runner().free_port()


def test_bridge_step_starts_mosquitto_where_no_broker_answers(tmp_path):
    """Nothing answers at WMS_MQTT_HOST:WMS_MQTT_PORT: tests/run starts a
    mosquitto of its own on another port, that accepts anonymous clients,
    tells the tests where it is, and stops it at the end."""
    runner = _load_runner()
    if not runner.mosquitto_binary():
        pytest.skip("no mosquitto on this machine (its refusal is tested below)")
    nothing = _free_port()
    environ = {"WMS_MQTT_HOST": "127.0.0.1", "WMS_MQTT_PORT": str(nothing)}
    broker = runner.mqtt_broker(tmp_path / "mosquitto", environ=environ)
    try:
        assert broker.process is not None
        assert broker.port != nothing
        assert broker.env() == {
            "WMS_MQTT_HOST": "127.0.0.1",
            "WMS_MQTT_PORT": str(broker.port),
        }
        assert runner.probe_mqtt("127.0.0.1", broker.port) == 0
        # persistence on, in the folder given
        conf = (tmp_path / "mosquitto" / "mosquitto.conf").read_text()
        assert "persistence true" in conf
        assert f"persistence_location {tmp_path / 'mosquitto'}/" in conf
    finally:
        broker.stop()
    assert broker.process.returncode == 0
    assert runner.probe_mqtt("127.0.0.1", broker.port) is None
    # mosquitto saved its persistence file where it was told to
    assert (tmp_path / "mosquitto" / "mosquitto.db").is_file()


def test_bridge_step_uses_the_broker_that_answers(tmp_path):
    """A broker answers where WMS_MQTT_* say: it is used, none is started,
    and the login given is passed on to the tests."""
    runner = _load_runner()
    if not runner.mosquitto_binary():
        pytest.skip("no mosquitto on this machine (its refusal is tested below)")
    own = runner.start_mosquitto(tmp_path / "own", runner.mosquitto_binary())
    try:
        environ = {
            "WMS_MQTT_PORT": str(own.port),
            "WMS_MQTT_USERNAME": "anyone",
            "WMS_MQTT_PASSWORD": "secret",
        }
        broker = runner.mqtt_broker(tmp_path / "unused", environ=environ)
        assert broker.process is None
        assert not (tmp_path / "unused").exists()
        assert broker.env() == {
            "WMS_MQTT_HOST": "127.0.0.1",
            "WMS_MQTT_PORT": str(own.port),
            "WMS_MQTT_USERNAME": "anyone",
            "WMS_MQTT_PASSWORD": "secret",
        }
        broker.stop()  # not ours: left running
        assert runner.probe_mqtt("127.0.0.1", own.port) == 0
    finally:
        own.stop()


def test_bridge_step_explains_a_broker_that_refuses_the_login(tmp_path):
    """A broker that wants a password we don't have, or a wrong one: one
    sentence that names the variables to set; the right one is accepted."""
    runner = _load_runner()
    binary = runner.mosquitto_binary()
    passwd = shutil.which("mosquitto_passwd")
    if not (binary and passwd):
        pytest.skip("no mosquitto on this machine (its refusal is tested below)")
    port = _free_port()
    _run(passwd, "-b", "-c", str(tmp_path / "passwd"), "bridge", "s3cret")
    (tmp_path / "mosquitto.conf").write_text(
        f"listener {port} 127.0.0.1\n"
        "allow_anonymous false\n"
        f"password_file {tmp_path / 'passwd'}\n"
        f"user {pwd.getpwuid(os.getuid()).pw_name}\n"
    )
    process = subprocess.Popen(
        [binary, "-c", str(tmp_path / "mosquitto.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while runner.probe_mqtt("127.0.0.1", port) is None:
            assert time.monotonic() < deadline, "mosquitto does not answer"
            time.sleep(0.1)
        for login in ({}, {"WMS_MQTT_USERNAME": "bridge", "WMS_MQTT_PASSWORD": "x"}):
            environ = {"WMS_MQTT_PORT": str(port), **login}
            with pytest.raises(runner.Failure) as failure:
                runner.mqtt_broker(tmp_path / "unused", environ=environ)
            sentence = str(failure.value)
            assert sentence.startswith(
                f"The MQTT broker at 127.0.0.1:{port} refuses our connection ("
            )
            assert "WMS_MQTT_USERNAME and WMS_MQTT_PASSWORD" in sentence
            assert sentence.endswith(".") and "\n" not in sentence
        environ = {
            "WMS_MQTT_PORT": str(port),
            "WMS_MQTT_USERNAME": "bridge",
            "WMS_MQTT_PASSWORD": "s3cret",
        }
        assert runner.mqtt_broker(tmp_path / "unused", environ=environ).port == port
        assert not (tmp_path / "unused").exists()
    finally:
        process.terminate()
        process.wait(10)


def test_bridge_step_without_broker_nor_mosquitto_says_why(tmp_path, monkeypatch):
    """No broker answers and no mosquitto is installed: one plain sentence
    that says why and how to get one; nothing started."""
    runner = _load_runner()
    monkeypatch.setattr(runner, "mosquitto_binary", lambda: None)
    port = _free_port()
    with pytest.raises(runner.Failure) as failure:
        runner.mqtt_broker(tmp_path / "m", environ={"WMS_MQTT_PORT": str(port)})
    sentence = str(failure.value)
    assert sentence == (
        "The MQTT bridge's tests and benchmark need a broker, none answers at "
        f"127.0.0.1:{port} and there is no mosquitto to start one: install "
        "Mosquitto (apt install mosquitto), or point WMS_MQTT_HOST and "
        "WMS_MQTT_PORT at a running broker."
    )
    assert not (tmp_path / "m").exists()
    # a port that is none, and a mosquitto that dies at once, are said too
    with pytest.raises(runner.Failure, match="WMS_MQTT_PORT is 'x', which is no"):
        runner.mqtt_broker(tmp_path / "m", environ={"WMS_MQTT_PORT": "x"})
    with pytest.raises(runner.Failure, match=r"exited at once \(exit 1"):
        runner.start_mosquitto(tmp_path / "m", "/bin/false")


def test_bridge_step_explains_what_is_no_broker(tmp_path):
    """Something that is not an MQTT broker answers there: said plainly."""
    runner = _load_runner()
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]

        def answer_garbage():
            connection, _address = server.accept()
            with connection:
                connection.recv(100)
                connection.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")

        thread = threading.Thread(target=answer_garbage, daemon=True)
        thread.start()
        with pytest.raises(runner.Failure) as failure:
            runner.mqtt_broker(tmp_path, environ={"WMS_MQTT_PORT": str(port)})
        thread.join(5)
    assert str(failure.value) == (
        f"Something answers at 127.0.0.1:{port} but not as an MQTT broker: "
        "point WMS_MQTT_HOST and WMS_MQTT_PORT at one (the bridge's tests and "
        "benchmark need it)."
    )


def test_bridge_step_runs_for_the_modules_it_needs():
    """Full runs and --module of wms_iot_monitoring or one of the modules it
    depends on run the bridge's tests, with plain pytest: pytest-odoo (the
    plugin named "odoo") disabled."""
    runner = _load_runner()
    assert runner.bridge_runs(None)
    assert runner.bridge_runs("wms_iot_monitoring")
    assert runner.bridge_runs("wms_customer_profile")  # wms_iot_monitoring needs it
    assert not runner.bridge_runs("wms_segmentation")
    command = runner.bridge_pytest_command("spool", collect_only=True)
    assert command[command.index("-p", command.index("no:cacheprovider")) + 1] == (
        "no:odoo"
    )
    assert command[-4:] == ["iot_bridge/tests", "-k", "spool", "--collect-only"]
    plugins = {
        entry.name
        for entry in importlib.metadata.distribution("pytest-odoo").entry_points
        if entry.group == "pytest11"
    }
    assert plugins == {"odoo"}
    # -k: the step runs when it selects one of the bridge's tests
    assert runner.bridge_selected("test_published_readings_reach_odoo")
    assert not runner.bridge_selected("no_test_is_named_like_this")


def test_bridge_tests_share_the_benchmark_database_install(tmp_path, monkeypatch):
    """The bridge's database has wms_iot_monitoring without demo data; when
    a smoke benchmark installs the same modules, it is a copy of that
    database, not a second install; both are listed for dropping."""
    runner = _load_runner()
    installs, copies = _record_installs(runner, monkeypatch)
    (tmp_path / "bench_iot.py").write_text("MODULES = ['wms_iot_monitoring']\n")
    users = [runner.Benchmark(tmp_path / "bench_iot.py"), runner.BridgeTests()]
    created = []
    databases = runner.prepare_databases(
        "odoo.conf", tmp_path, users, created, say=lambda line: None
    )
    bridge_db = databases["iot_bridge/tests", "main"]
    bench_db = databases["bench_iot.py", "main"]
    assert bridge_db != bench_db
    assert sorted(created) == sorted([bridge_db, bench_db])
    assert [(modules, demo) for _db, modules, demo in installs] == [
        (["wms_iot_monitoring"], False)
    ]
    installed = installs[0][0]
    copied = bridge_db if installed == bench_db else bench_db
    assert installed in (bridge_db, bench_db)
    assert copies == [(installed, copied)]
    # alone (-k), it is installed
    installs.clear()
    databases = runner.prepare_databases(
        "odoo.conf", tmp_path, [runner.BridgeTests()], [], say=lambda line: None
    )
    assert installs == [
        (databases["iot_bridge/tests", "main"], ["wms_iot_monitoring"], False)
    ]


def test_hadolint_checks_every_dockerfile_we_ship(tmp_path):
    runner = _load_runner()
    assert runner.dockerfiles(tmp_path) == []
    for folder in ("docker", "iot_bridge", "elsewhere"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "Dockerfile").write_text("FROM scratch\n")
    assert runner.dockerfiles(tmp_path) == [
        tmp_path / "docker" / "Dockerfile",
        tmp_path / "iot_bridge" / "Dockerfile",
    ]
    shipped = runner.dockerfiles()
    assert ROOT / "docker" / "Dockerfile" in shipped
    assert (ROOT / "iot_bridge" / "Dockerfile" in shipped) == (
        ROOT / "iot_bridge" / "Dockerfile"
    ).is_file()


def test_benchmarks_of_the_bridge_module_get_the_broker(tmp_path):
    """wms_iot_monitoring's benchmark runs the bridge: tests/run finds (or
    starts) the broker for it too, and tells it where, as WMS_MQTT_*."""
    runner = _load_runner()
    declared = {
        bench.name: bench for bench in map(runner.Benchmark, runner.benchmark_scripts())
    }
    assert runner.needs_broker([declared["bench_iot_monitoring.py"]])
    assert not runner.needs_broker([declared["bench_segmentation.py"]])
    assert not runner.needs_broker([declared["bench_customer_profile.py"]])
    script = tmp_path / "bench_mqtt.py"
    script.write_text(
        "import os, sys\n"
        "MODULES = ['wms_iot_monitoring']\n"
        "sys.exit(0 if os.environ.get('WMS_MQTT_HOST') == 'broker.example'\n"
        "         and os.environ.get('WMS_MQTT_PORT') == '1884' else 3)\n"
    )
    bench = runner.Benchmark(script)
    databases = {(bench.name, "main"): "nodb"}
    broker = runner.Broker("broker.example", 1884)
    run = runner.run_benchmarks
    assert run("odoo.conf", [bench], databases, True, True, broker=broker) == 0
    assert run("odoo.conf", [bench], databases, True, True) == 3


def test_copy_of_a_database_that_still_has_a_session(tmp_path):
    """The backend of the install that just ended may still be on the
    database to copy (CREATE DATABASE ... TEMPLATE then fails): the copy
    ends that session and goes on."""
    import uuid  # noqa: PLC0415

    runner = _load_runner()
    source = f"wms_harness_{uuid.uuid4().hex[:10]}"
    target = f"{source}_copy"
    admin = runner.connect()
    admin.autocommit = True
    try:
        with admin.cursor() as cr:
            cr.execute(f'CREATE DATABASE "{source}" TEMPLATE template0')
        lingering = runner.connect(source)
        with lingering.cursor() as cr:
            cr.execute("CREATE TABLE probe AS SELECT 42 AS n")
        lingering.commit()
        runner.copy_database(tmp_path, source, target)
        copy = runner.connect(target)
        try:
            with copy.cursor() as cr:
                cr.execute("SELECT n FROM probe")
                assert cr.fetchall() == [(42,)]
        finally:
            copy.close()
    finally:
        admin.close()
        runner.drop_database(target)
        runner.drop_database(source)
