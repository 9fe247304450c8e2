"""Settings: the file, the environment, and clear errors; payloads."""

import json
import re

import pytest

from wms_iot_bridge.bridge import Malformed, records_of
from wms_iot_bridge.config import ConfigError, load

FILE = """
[odoo]
url = "https://odoo.example.com/"
database = "wms"

[mqtt]
host = "broker"
username = "bridge"
password_file = "{password}"

[spool]
directory = "/var/spool/wms"

[gateways.north]
key = "aaaaaaaaaaaa.file-key"

[gateways.south]
key_file = "{key}"
"""


@pytest.fixture
def config_file(tmp_path):
    (tmp_path / "password").write_text("s3cret\n")
    (tmp_path / "south.key").write_text("bbbbbbbbbbbb.south-key\n")
    path = tmp_path / "bridge.toml"
    path.write_text(
        FILE.format(password=tmp_path / "password", key=tmp_path / "south.key")
    )
    return path


def test_the_file_gives_every_setting(config_file):
    settings = load(config_file, environ={})
    assert settings.odoo.url == "https://odoo.example.com"
    assert settings.odoo.database == "wms"
    assert (settings.mqtt.host, settings.mqtt.username) == ("broker", "bridge")
    assert settings.mqtt.password == "s3cret"
    assert settings.mqtt.client_id == "wms-iot-bridge"
    assert sorted(settings.gateways) == ["north", "south"]
    assert settings.gateways["north"].load_key() == "aaaaaaaaaaaa.file-key"
    assert settings.gateways["south"].load_key() == "bbbbbbbbbbbb.south-key"
    assert settings.gateways["south"].topic == "wms/south/readings"


def test_the_environment_wins_and_can_add_gateways(config_file):
    settings = load(
        config_file,
        environ={
            "WMS_IOT_BRIDGE_ODOO_DATABASE": "other",
            "WMS_IOT_BRIDGE_MQTT_PORT": "8883",
            "WMS_IOT_BRIDGE_MQTT_TLS": "true",
            "WMS_IOT_KEY_NORTH": "cccccccccccc.env-key",
            "WMS_IOT_BRIDGE_GATEWAYS": "east-1",
            "WMS_IOT_KEY_EAST_1": "dddddddddddd.east",
        },
    )
    assert settings.odoo.database == "other"
    assert (settings.mqtt.port, settings.mqtt.tls) == (8883, True)
    assert settings.gateways["north"].load_key() == "cccccccccccc.env-key"
    assert settings.gateways["east-1"].load_key() == "dddddddddddd.east"


def test_the_environment_wins_over_both_ways_of_the_file(config_file, tmp_path):
    (tmp_path / "env-password").write_text("from-env-file\n")
    settings = load(
        config_file,
        environ={
            "WMS_IOT_KEY_SOUTH": "eeeeeeeeeeee.env-key",  # the file has key_file
            "WMS_IOT_BRIDGE_MQTT_PASSWORD_FILE": str(tmp_path / "env-password"),
        },
    )
    assert settings.gateways["south"].load_key() == "eeeeeeeeeeee.env-key"
    assert settings.mqtt.password == "from-env-file"


def test_a_key_is_trimmed_and_a_garbled_one_refused(tmp_path):
    key_file = tmp_path / "a.key"
    key_file.write_text("aaaaaaaaaaaa.windows\r\n")
    environ = {
        "WMS_IOT_BRIDGE_GATEWAYS": "a",
        "WMS_IOT_BRIDGE_ODOO_DATABASE": "w",
        "WMS_IOT_KEY_FILE_A": str(key_file),
    }
    assert load(None, environ=environ).gateways["a"].load_key() == (
        "aaaaaaaaaaaa.windows"
    )
    key_file.write_text("aaaaaaaaaaaa.two words")
    with pytest.raises(ConfigError, match="copy it again") as error:
        load(None, environ=environ)
    assert "two words" not in str(error.value)  # a key never goes to a log


def test_no_file_at_all_with_the_environment(tmp_path):
    settings = load(
        None,
        environ={
            "WMS_IOT_BRIDGE_ODOO_URL": "http://odoo:8069",
            "WMS_IOT_BRIDGE_ODOO_DATABASE": "wms",
            "WMS_IOT_BRIDGE_GATEWAYS": "demo",
            "WMS_IOT_KEY_FILE_DEMO": str(tmp_path / "missing.key"),
        },
        need_gateways=False,
    )
    assert settings.gateways["demo"].key_file.endswith("missing.key")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"WMS_IOT_BRIDGE_ODOO_DATABASE": "wms"}, "no gateway is configured"),
        (
            {"WMS_IOT_BRIDGE_GATEWAYS": "a", "WMS_IOT_KEY_A": "k"},
            "odoo.database is not set",
        ),
        (
            {"WMS_IOT_BRIDGE_GATEWAYS": "a", "WMS_IOT_BRIDGE_ODOO_DATABASE": "w"},
            "gateway a has no key",
        ),
        (
            {"WMS_IOT_BRIDGE_GATEWAYS": "a/b", "WMS_IOT_KEY_A/B": "k"},
            "letters, digits",
        ),
        ({"WMS_IOT_BRIDGE_ODOO_URL": "odoo:8069"}, "must be an http(s) URL"),
        ({"WMS_IOT_BRIDGE_MQTT_PORT": "eighteen"}, "mqtt.port must be a number"),
        ({"WMS_IOT_BRIDGE_MQTT_SESSION_EXPIRY": "0"}, "at least 60 seconds"),
        ({"WMS_IOT_BRIDGE_MQTT_CLIENT_ID": " "}, "client_id must not be empty"),
        ({"WMS_IOT_BRIDGE_ODOO_TIMEOUT": "0"}, "positive number"),
        (
            {
                "WMS_IOT_BRIDGE_GATEWAYS": "a",
                "WMS_IOT_BRIDGE_ODOO_DATABASE": "w",
                "WMS_IOT_KEY_FILE_A": "/nonexistent/a.key",
            },
            "cannot read its key file",
        ),
    ],
)
def test_wrong_settings_are_named(environ, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load(None, environ=environ)


def test_a_broken_file_is_named(tmp_path):
    path = tmp_path / "bridge.toml"
    path.write_text("[odoo\nurl=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(path, environ={})
    path.write_text("[gateway.a]\nkey = 'x'\n")
    with pytest.raises(ConfigError, match="unknown section"):
        load(path, environ={})
    path.write_text("[mqtt]\nhots = 'broker'\n")
    with pytest.raises(ConfigError, match=r"unknown setting\(s\) in \[mqtt\]: hots"):
        load(path, environ={})


# ----------------------------------------------------------------------
# payloads
# ----------------------------------------------------------------------
def test_a_payload_becomes_records_of_at_most_1000_readings():
    items = [{"sensor": "S", "ts": n, "temperature": 4.5} for n in range(2500)]
    records = records_of(json.dumps({"readings": items}).encode())
    assert [count for _payload, count in records] == [1000, 1000, 500]
    joined = b"[" + b",".join(payload for payload, _count in records) + b"]"
    assert json.loads(joined) == items


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "readings"),
        (b'{"readings": {"sensor": "S"}}', "readings"),
        (b'{"values": []}', "readings"),
        (b" " * (2 * 1024 * 1024 + 1), "over"),
        (b'{"readings": [{"sensor": "\\ud800", "ts": 5}]}', "not valid Unicode"),
        (b'{"readings":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "not JSON"),
        (b'{"readings": [{"sensor": "S", "temperature": NaN}]}', "NaN is not JSON"),
    ],
)
def test_a_malformed_payload_is_refused_with_the_reason(payload, message):
    with pytest.raises(Malformed, match=message):
        records_of(payload)


def test_an_empty_list_is_no_record():
    assert records_of(b'{"readings": []}') == []
