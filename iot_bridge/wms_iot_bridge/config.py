"""The bridge's settings: a TOML file, then the environment (which wins).

Keys and passwords come from the file, a file it names, or the
environment, never from the command line (it shows in ``ps``)."""

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

GATEWAY_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
KEY = re.compile(r"^[\x21-\x7e]{1,512}$")  # printable ASCII, no space
ENV = "WMS_IOT_BRIDGE_"


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which and why."""


@dataclass
class OdooSettings:
    url: str = "http://localhost:8069"
    database: str = ""
    timeout: float = 30.0


@dataclass
class MqttSettings:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str = ""
    password: str = ""
    tls: bool = False
    ca_file: str = ""  # a private certificate authority, for tls
    client_id: str = "wms-iot-bridge"
    keepalive: int = 30
    receive_maximum: int = 200
    session_expiry: int = 7 * 24 * 3600  # seconds the broker keeps our session


@dataclass
class Gateway:
    name: str
    key: str = ""
    key_file: str = ""  # re-read when the key is refused (a new key can be put)

    @property
    def topic(self):
        return f"wms/{self.name}/readings"

    def load_key(self):
        """The key: from ``key_file`` when there is one (read each time)."""
        key = self.key
        if self.key_file:
            try:
                key = Path(self.key_file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise ConfigError(
                    f"gateway {self.name}: cannot read its key file "
                    f"{self.key_file}: {getattr(error, 'strerror', None) or error}"
                ) from error
        key = key.strip()
        if not KEY.match(key):  # never say the key itself: it goes to logs
            raise ConfigError(
                f"gateway {self.name}: its key is empty or holds spaces or "
                "characters a key never has (copy it again from Odoo)"
            )
        return key


@dataclass
class Settings:
    odoo: OdooSettings = field(default_factory=OdooSettings)
    mqtt: MqttSettings = field(default_factory=MqttSettings)
    spool_directory: str = "spool"
    spool_max_mb: float = 512.0
    gateways: dict = field(default_factory=dict)  # name -> Gateway


def _env_name(name):
    return name.upper().replace("-", "_")


def _number(value, kind, what):
    try:
        return kind(value)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{what} must be a number, not {value!r}") from error


def _flag(value, what):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{what} must be true or false, not {value!r}")


def _read_secret(path, what):
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ConfigError(f"{what}: cannot read {path}: {error.strerror}") from error


def load(path=None, environ=None, need_gateways=True):
    """Settings from the TOML file ``path`` (optional) and ``environ``."""
    environ = os.environ if environ is None else environ
    data = {}
    if path:
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except OSError as error:
            raise ConfigError(
                f"cannot read the configuration file {path}: {error.strerror}"
            ) from error
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path} is not valid TOML: {error}") from error
    unknown = set(data) - {"odoo", "mqtt", "spool", "gateways"}
    if unknown:
        raise ConfigError(f"unknown section(s) in {path}: {', '.join(sorted(unknown))}")

    known = {
        "odoo": {"url", "database", "timeout"},
        "mqtt": {
            "host",
            "port",
            "username",
            "password",
            "password_file",
            "tls",
            "ca_file",
            "client_id",
            "keepalive",
            "receive_maximum",
            "session_expiry",
        },
        "spool": {"directory", "max_mb"},
    }
    for section, names in known.items():
        unknown = set(data.get(section, {})) - names
        if unknown:
            raise ConfigError(
                f"unknown setting(s) in [{section}]: {', '.join(sorted(unknown))}"
            )

    def value(section, key, env_key, default):
        if ENV + env_key in environ:
            return environ[ENV + env_key]
        return data.get(section, {}).get(key, default)

    settings = Settings()
    odoo = settings.odoo
    odoo.url = str(value("odoo", "url", "ODOO_URL", odoo.url)).rstrip("/")
    odoo.database = str(value("odoo", "database", "ODOO_DATABASE", ""))
    odoo.timeout = _number(
        value("odoo", "timeout", "ODOO_TIMEOUT", odoo.timeout), float, "odoo.timeout"
    )
    if odoo.timeout <= 0:
        raise ConfigError("odoo.timeout must be a positive number of seconds")
    parts = urlsplit(odoo.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"odoo.url must be an http(s) URL, not {odoo.url!r}")

    mqtt = settings.mqtt
    mqtt.host = str(value("mqtt", "host", "MQTT_HOST", mqtt.host))
    mqtt.port = _number(value("mqtt", "port", "MQTT_PORT", mqtt.port), int, "mqtt.port")
    mqtt.username = str(value("mqtt", "username", "MQTT_USERNAME", ""))
    # the environment's password (or file) wins over both of the file's
    section = data.get("mqtt", {})
    if ENV + "MQTT_PASSWORD" in environ:
        mqtt.password = environ[ENV + "MQTT_PASSWORD"]
    elif ENV + "MQTT_PASSWORD_FILE" in environ:
        mqtt.password = _read_secret(
            environ[ENV + "MQTT_PASSWORD_FILE"], ENV + "MQTT_PASSWORD_FILE"
        )
    elif "password" in section:
        mqtt.password = str(section["password"])
    elif section.get("password_file"):
        mqtt.password = _read_secret(section["password_file"], "mqtt.password_file")
    mqtt.ca_file = str(value("mqtt", "ca_file", "MQTT_CA_FILE", ""))
    mqtt.tls = _flag(value("mqtt", "tls", "MQTT_TLS", False), "mqtt.tls")
    mqtt.client_id = str(value("mqtt", "client_id", "MQTT_CLIENT_ID", mqtt.client_id))
    for name in ("keepalive", "receive_maximum", "session_expiry"):
        setattr(
            mqtt,
            name,
            _number(
                value("mqtt", name, "MQTT_" + name.upper(), getattr(mqtt, name)),
                int,
                f"mqtt.{name}",
            ),
        )
    if not 1 <= mqtt.receive_maximum <= 65535:
        raise ConfigError("mqtt.receive_maximum must be between 1 and 65535")
    if not 60 <= mqtt.session_expiry <= 0xFFFFFFFF:
        raise ConfigError(
            "mqtt.session_expiry must be at least 60 seconds: the broker keeps "
            "the bridge's session (and its readings) that long while it is away"
        )
    if not 5 <= mqtt.keepalive <= 65535:
        raise ConfigError("mqtt.keepalive must be between 5 and 65535 seconds")
    if not mqtt.client_id.strip():
        raise ConfigError(
            "mqtt.client_id must not be empty: the broker keeps the bridge's "
            "session under it"
        )
    if mqtt.ca_file and not Path(mqtt.ca_file).is_file():
        raise ConfigError(f"mqtt.ca_file: no such file {mqtt.ca_file}")

    settings.spool_directory = str(
        value("spool", "directory", "SPOOL_DIR", settings.spool_directory)
    )
    settings.spool_max_mb = _number(
        value("spool", "max_mb", "SPOOL_MAX_MB", settings.spool_max_mb),
        float,
        "spool.max_mb",
    )
    if settings.spool_max_mb < 1:
        raise ConfigError("spool.max_mb must be at least 1")

    sections = data.get("gateways", {})
    names = list(sections)
    names += [
        name.strip()
        for name in environ.get(ENV + "GATEWAYS", "").split(",")
        if name.strip() and name.strip() not in names
    ]
    for name in names:
        if not GATEWAY_NAME.match(name):
            raise ConfigError(
                f"gateway name {name!r}: letters, digits, '-' and '_' only "
                "(it is the topic's second level, wms/<name>/readings)"
            )
        section = sections.get(name, {})
        unknown = set(section) - {"key", "key_file"}
        if unknown:
            raise ConfigError(
                f"gateway {name}: unknown setting(s) {', '.join(sorted(unknown))}"
            )
        env_key = environ.get(f"WMS_IOT_KEY_{_env_name(name)}")
        env_file = environ.get(f"WMS_IOT_KEY_FILE_{_env_name(name)}")
        if env_key or env_file:  # the environment wins over both of the file's
            gateway = Gateway(name=name, key=env_key or "", key_file=env_file or "")
        else:
            gateway = Gateway(
                name=name,
                key=str(section.get("key", "")),
                key_file=str(section.get("key_file", "")),
            )
        if not gateway.key and not gateway.key_file:
            raise ConfigError(
                f"gateway {name} has no key: set key or key_file in its "
                f"[gateways.{name}] section, or WMS_IOT_KEY_{_env_name(name)} "
                f"(or WMS_IOT_KEY_FILE_{_env_name(name)}) in the environment"
            )
        settings.gateways[name] = gateway
    if need_gateways:
        if not settings.gateways:
            raise ConfigError(
                "no gateway is configured: add a [gateways.<name>] section with "
                "its key, or set WMS_IOT_BRIDGE_GATEWAYS and WMS_IOT_KEY_<NAME>"
            )
        if not odoo.database:
            raise ConfigError(
                "odoo.database is not set (it is sent as X-Odoo-Database): set it "
                "in [odoo] or WMS_IOT_BRIDGE_ODOO_DATABASE"
            )
        for gateway in settings.gateways.values():
            gateway.load_key()  # a missing key file is an error at start
    return settings
