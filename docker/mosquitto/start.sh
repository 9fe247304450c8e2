#!/bin/sh
# Start the broker of docker/docker-compose.yml with passwords made here, on
# the first start: none is shipped in the repository.
#
# Runs as root in the eclipse-mosquitto:2 image (its entrypoint has chowned
# /mosquitto to the mosquitto user) and ends by exec'ing the broker, which
# drops to the mosquitto user before it reads the password and ACL files.
#
# WMS_MQTT_CLIENTS lists "user:uid" pairs. The password of each user is the
# file /run/wms-mqtt/<user>/password, on a volume that only this container and
# that client mount: made when missing (192 random bits, hex), owned by <uid>,
# mode 0400. On every start those users are (re)set in the password file, so
# that it always matches the clients' files; users added by hand (gateways)
# are kept. The health check's user gets a new password on every start.
#
# Paths may be moved with WMS_MQTT_AUTH_DIR, WMS_MQTT_SECRETS_DIR,
# WMS_MQTT_CONFIG_DIR and WMS_MQTT_USER (for a test outside the image).
set -eu
umask 077

auth=${WMS_MQTT_AUTH_DIR:-/mosquitto/auth}
secrets=${WMS_MQTT_SECRETS_DIR:-/run/wms-mqtt}
config=${WMS_MQTT_CONFIG_DIR:-/etc/wms-mosquitto}
broker_user=${WMS_MQTT_USER:-mosquitto}

say() { echo "mosquitto start: $*" >&2; }

random_password() {
    od -An -vtx1 -N24 /dev/urandom | tr -d ' \n'
}

mkdir -p "$auth"
# Edit a root-owned copy (mosquitto_passwd, run as root, wants its file
# owned by root), then hand it to the broker's user in one rename.
work=$(mktemp "$auth/passwd.XXXXXX")
trap 'rm -f "$work"' EXIT
if [ -f "$auth/passwd" ]; then
    cat "$auth/passwd" >"$work"
fi

set_password() { # user password: on stdin, never on a command line
    printf '%s\n%s\n' "$2" "$2" | mosquitto_passwd "$work" "$1" >/dev/null
}

for client in ${WMS_MQTT_CLIENTS:-}; do
    user=${client%%:*}
    uid=${client#*:}
    dir=$secrets/$user
    if [ ! -d "$dir" ]; then
        say "$dir is not mounted: give $user a volume there (docker-compose.yml)"
        exit 1
    fi
    if [ ! -s "$dir/password" ]; then
        random_password >"$dir/password.new"
        mv "$dir/password.new" "$dir/password"
        say "made the MQTT password of $user"
    fi
    chown "$uid:$uid" "$dir/password"
    chmod 0400 "$dir/password"
    set_password "$user" "$(cat "$dir/password")"
done

random_password >"$auth/healthcheck.password"
set_password wms-healthcheck "$(cat "$auth/healthcheck.password")"

# Mosquitto 2 warns (and says future versions will refuse) when these files
# are readable by others or not owned by the user and group it runs as.
chown "$broker_user:$broker_user" "$work"
chmod 0600 "$work"
mv "$work" "$auth/passwd"
cp "$config/acl" "$auth/acl.new"
chown "$broker_user:$broker_user" "$auth/acl.new"
chmod 0600 "$auth/acl.new"
mv "$auth/acl.new" "$auth/acl"
chown "$broker_user:$broker_user" "$auth"
chmod 0700 "$auth"

trap - EXIT
exec mosquitto -c "$config/mosquitto.conf"
