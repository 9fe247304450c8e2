"""Fixtures of the bridge's tests (plain pytest, not pytest-odoo).

Run them from the repository root with ``python3 -m pytest -p no:odoo
iot_bridge/tests`` (``tests/run`` does, in a step of its own). The unit
tests need nothing; the integration tests (test_integration.py) need:

* a real MQTT broker at ``WMS_MQTT_HOST``:``WMS_MQTT_PORT`` (default
  127.0.0.1:1883), logged in with ``WMS_MQTT_USERNAME`` and
  ``WMS_MQTT_PASSWORD`` if set (``tests/run`` starts a mosquitto where none
  answers);
* a database with ``wms_iot_monitoring`` installed without demo data (admin's
  password is then "admin"): ``WMS_BRIDGE_TEST_DATABASE``, served with the
  Odoo configuration file ``WMS_BRIDGE_TEST_ODOO_CONFIG`` (``tests/run``
  prepares both). Without ``WMS_BRIDGE_TEST_DATABASE`` the session installs
  one itself, ``python3 -m odoo -c <cfg> -d wms_bridge_test_<hex> -i
  wms_iot_monitoring --without-demo --stop-after-init`` (about half a minute;
  ``<cfg>`` is ``WMS_BRIDGE_TEST_ODOO_CONFIG``, else a file of its own with
  this repository's addons/, ``ODOO_EXTRA_ADDONS_PATH`` and PGHOST... as
  for psql), and drops it at the end.

The session serves that database with a real Odoo server
(``tests/benchmarks/benchlib.OdooServer``, threaded: ``--workers 0``) on a
free port; a test that stops it gets it back before the next test. Each test
makes its own gateways, sensors and keys, and runs the bridge
(``python3 -m wms_iot_bridge``) with a configuration of its own: its own
spool, client id and topics, so that tests never see each other's
messages."""

import contextlib
import importlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
import warnings
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
BRIDGE_ROOT = HERE.parent
REPOSITORY = BRIDGE_ROOT.parent
BENCHMARKS = REPOSITORY / "tests" / "benchmarks"

# the bridge's package (run without installing it), and helpers.py
for _path in (BRIDGE_ROOT, HERE):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


def _benchlib():
    """tests/benchmarks/benchlib.py (it imports Odoo: only the integration
    tests load it)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    with warnings.catch_warnings():  # Odoo's dependencies' own, not ours
        warnings.simplefilter("ignore", DeprecationWarning)
        return importlib.import_module("benchlib")


# ----------------------------------------------------------------------
# the broker
# ----------------------------------------------------------------------
@pytest.fixture(scope="session")
def mqtt_settings():
    """Where the broker is: {host, port, username, password}."""
    settings = {
        "host": os.environ.get("WMS_MQTT_HOST") or "127.0.0.1",
        "port": int(os.environ.get("WMS_MQTT_PORT") or 1883),
        "username": os.environ.get("WMS_MQTT_USERNAME") or None,
        "password": os.environ.get("WMS_MQTT_PASSWORD"),
    }
    try:
        socket.create_connection((settings["host"], settings["port"]), 5).close()
    except OSError as error:
        pytest.fail(
            f"No MQTT broker answers at {settings['host']}:{settings['port']} "
            f"({error}): start Mosquitto (tests/run starts one where none "
            "answers), or point WMS_MQTT_HOST and WMS_MQTT_PORT at a broker.",
            pytrace=False,
        )
    return settings


# ----------------------------------------------------------------------
# the database and the Odoo server
# ----------------------------------------------------------------------
def _own_odoo_config(folder):
    paths = [str(REPOSITORY / "addons")]
    paths += [p for p in os.environ.get("ODOO_EXTRA_ADDONS_PATH", "").split(",") if p]
    lines = [
        "[options]",
        f"addons_path = {','.join(paths)}",
        f"data_dir = {folder / 'data'}",
        "http_interface = 127.0.0.1",
        "max_cron_threads = 0",
    ]
    for option, variable in (
        ("db_host", "PGHOST"),
        ("db_port", "PGPORT"),
        ("db_user", "PGUSER"),
        ("db_password", "PGPASSWORD"),
    ):
        if os.environ.get(variable):
            lines.append(f"{option} = {os.environ[variable]}")
    path = folder / "odoo.conf"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def odoo_database():
    """(Odoo configuration file, database name) with wms_iot_monitoring
    installed without demo data: the environment's, else one installed
    here and dropped at the end."""
    given = os.environ.get("WMS_BRIDGE_TEST_DATABASE")
    config = os.environ.get("WMS_BRIDGE_TEST_ODOO_CONFIG")
    if given:
        if not config:
            pytest.fail(
                "WMS_BRIDGE_TEST_DATABASE is set without "
                "WMS_BRIDGE_TEST_ODOO_CONFIG, the Odoo configuration file to "
                "serve it with.",
                pytrace=False,
            )
        yield Path(config), given
        return
    folder = Path(tempfile.mkdtemp(prefix="wms_bridge_test_"))
    config = Path(config) if config else _own_odoo_config(folder)
    dbname = f"wms_bridge_test_{uuid.uuid4().hex[:10]}"
    command = [
        sys.executable,
        "-m",
        "odoo",
        "-c",
        str(config),
        "-d",
        dbname,
        "-i",
        "wms_iot_monitoring",
        "--without-demo",
        "--stop-after-init",
        "--no-http",
        "--log-level=warn",
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=1800
        )
        if result.returncode:
            pytest.fail(
                f"Installing wms_iot_monitoring into {dbname} failed (exit "
                f"{result.returncode}):\n{(result.stdout + result.stderr)[-5000:]}",
                pytrace=False,
            )
        yield config, dbname
    finally:
        _drop_database(config, dbname)
        shutil.rmtree(folder, ignore_errors=True)


def _drop_database(config, dbname):
    import helpers  # noqa: PLC0415 -- it imports paho and psycopg2
    from psycopg2 import sql  # noqa: PLC0415

    odoo = helpers.Odoo(config, "postgres", url=None)
    try:
        with contextlib.closing(odoo.connect()) as connection:
            with connection.cursor() as cr:
                cr.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [dbname],
                )
                cr.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(dbname))
                )
    except Exception as error:  # report it, don't mask the tests' result
        print(f"could not drop database {dbname}: {error}", file=sys.stderr)


class OdooService:
    """The session's Odoo server (a started benchlib.OdooServer), which a
    test may stop and start again on the same port."""

    def __init__(self, server, config, dbname):
        self.server = server
        self.config, self.dbname = config, dbname

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.port}"

    def running(self):
        return self.server.process.poll() is None

    def stop(self):
        """SIGTERM, then SIGKILL after a while: Odoo is gone."""
        self.server.stop()
        assert not self.running()

    def start_again(self):
        """The server again, on the same port (the bridge's URL)."""
        assert not self.running()
        self.server.spawn()
        self.server.wait_until_ready()


@pytest.fixture(scope="session")
def odoo_service(odoo_database):
    """The Odoo server of the session: threaded (``--workers 0``, lighter
    than workers here), on a free port of 127.0.0.1."""
    config, dbname = odoo_database
    server = _benchlib().OdooServer(str(config), dbname, workers=0, log_level="warn")
    with server:  # started once /web/health answers; stopped at the end
        try:
            yield OdooService(server, config, dbname)
        finally:
            server.remove_files()


@pytest.fixture
def odoo(odoo_service):
    """Admin's access to the running Odoo (started again if a previous test
    stopped it): XML-RPC calls, gateways and sensors, stored readings."""
    import helpers  # noqa: PLC0415

    if not odoo_service.running():
        odoo_service.start_again()
    return helpers.Odoo(odoo_service.config, odoo_service.dbname, odoo_service.url)


# ----------------------------------------------------------------------
# the bridge
# ----------------------------------------------------------------------
@pytest.fixture
def publisher(mqtt_settings):
    import helpers  # noqa: PLC0415

    publisher = helpers.Publisher(mqtt_settings)
    try:
        yield publisher
    finally:
        publisher.close()


@pytest.fixture
def make_bridge(tmp_path, odoo, odoo_service, mqtt_settings):
    """``make_bridge({gateway name: key})``: a BridgeProcess (not started)
    with a configuration of its own: a fresh spool folder and client id.
    Every bridge made is killed at the end of the test if still running."""
    import helpers  # noqa: PLC0415

    made = []

    def make(gateways, log_level="DEBUG"):
        folder = tmp_path / f"bridge{len(made)}"
        folder.mkdir()
        config = helpers.write_bridge_config(
            folder / "bridge.toml",
            odoo_url=odoo_service.url,
            database=odoo_service.dbname,
            mqtt_settings=mqtt_settings,
            client_id=helpers.unique("wms-bridge-test-"),
            spool=folder / "spool",
            gateways=gateways,
        )
        bridge = helpers.BridgeProcess(config, folder, log_level=log_level)
        bridge.spool = folder / "spool"
        made.append(bridge)
        return bridge

    try:
        yield make
    finally:
        for bridge in made:
            bridge.cleanup()
