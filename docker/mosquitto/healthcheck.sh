#!/bin/sh
# Health check of the mosquitto service: healthy once the broker takes an
# authenticated connection and delivers a message ($SYS/broker/uptime, which
# it publishes retained). The wms-healthcheck user may read nothing else.
set -eu
auth=${WMS_MQTT_AUTH_DIR:-/mosquitto/auth}
# shellcheck disable=SC2016 # $SYS is the topic's name, not a variable
exec mosquitto_sub -h 127.0.0.1 -p "${WMS_MQTT_PORT:-1883}" \
    -u wms-healthcheck -P "$(cat "$auth/healthcheck.password")" \
    -t '$SYS/broker/uptime' -C 1 -W 5 >/dev/null
