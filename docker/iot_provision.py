"""Give the MQTT bridge of docker/docker-compose.yml a key for the demo gateway.

Gateway keys are shown once and stored hashed, so the bridge's key is made
by Odoo itself, with the gateway's own action, and handed to the bridge on a
volume that only the bridge reads. The ``iot-provision`` service runs, as
root, in the Odoo image, once Odoo has installed the database:

    python3 /opt/wms/iot_provision.py --key-file /run/wms-iot-keys/demo.key

1. It reads the key the bridge already has, if any (``--key-file``).
2. It runs ``odoo shell -d <database>`` as the odoo user, through the image's
   entrypoint, which adds the database settings (HOST, USER, PASSWORD), with
   this file on the shell's standard input. Inside the shell the key is kept
   when it still authenticates the gateway; otherwise the gateway's
   *Generate Key* action makes a new one (the previous key is refused from
   then on) and the dialog record that held it is dropped. Keys travel
   through pipes only: never a log line, a command line or the environment.
3. It writes the key to ``--key-file``, owned by the bridge's uid and gid
   (``--owner``), mode 0400, by an atomic rename; without a trailing newline.

Run again (every ``docker compose up`` does), it changes nothing while the
bridge's key still works, so a running bridge is never cut off; when the key
no longer works (a database made anew, a key regenerated or revoked in Odoo),
or with ``--new-key`` (rotation), it writes a new one, and the bridge, which
re-reads its key file after a 401, goes on with it.

Exit status: 0 when the key file holds a working key; 2 when the database has
no such gateway, or it is archived (a database without demo data: register a
gateway and give the bridge its key yourself, see the README); 1 otherwise.

Fed to ``odoo shell`` by hand, it prints a new key of the gateway instead:

    odoo shell -d wms --no-http < docker/iot_provision.py
"""

import argparse
import os
import pwd
import shlex
import subprocess
import sys
import tempfile

DEFAULT_GATEWAY = "wms_iot_monitoring.gateway_demo"
EXIT_NO_GATEWAY = 2
# Names of the environment variables that pass the pipes' descriptors (not
# the keys) and the gateway's XML id from this program to the shell.
KEY_IN = "WMS_IOT_PROVISION_KEY_IN_FD"
KEY_OUT = "WMS_IOT_PROVISION_KEY_OUT_FD"
GATEWAY = "WMS_IOT_PROVISION_GATEWAY"


def say(message):
    print(f"iot-provision: {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------
# Inside `odoo shell`
# ----------------------------------------------------------------------
def provision_in_odoo(env):
    """Keep or make the gateway's key; hand it out through the out pipe (or
    print it when run by hand). Returns the exit status."""
    xmlid = os.environ.get(GATEWAY, DEFAULT_GATEWAY)
    current = ""
    if os.environ.get(KEY_IN):
        with open(int(os.environ[KEY_IN]), encoding="utf-8") as pipe:
            current = pipe.read().strip()
    gateway = env.ref(xmlid, raise_if_not_found=False)
    if gateway is None or gateway._name != "wms.iot.gateway":
        say(
            f"database {env.cr.dbname} has no gateway {xmlid} (it was installed "
            "without demo data, or the gateway was deleted): no key for the "
            "bridge. Register a gateway in Odoo (Inventory > Cold Chain > "
            "Configuration > Gateways), generate its key and give it to the "
            "bridge yourself (README: Try it with Docker)."
        )
        return EXIT_NO_GATEWAY
    if not gateway.active:
        say(
            f"gateway {xmlid} ({gateway.display_name}) is archived: its keys "
            "are refused. Unarchive it in Odoo and run iot-provision again."
        )
        return EXIT_NO_GATEWAY
    Gateway = env["wms.iot.gateway"]
    if current and Gateway._wms_authenticate(current) == gateway:
        key = current
        say(f"the bridge's key of gateway {gateway.display_name} still works: kept")
    else:
        # The gateway's own action, as an IoT Manager would click it (the
        # shell's user is the superuser, who is one): it stores the key's
        # hash, posts "A new key was generated." on the gateway and returns
        # the dialog that shows the key once.
        action = gateway.action_generate_key()
        dialog = env[action["res_model"]].browse(action["res_id"])
        key = dialog.key
        dialog.action_done()  # drops the plaintext key from the database
        env.cr.commit()
        say(f"generated a new key for gateway {gateway.display_name}")
    if os.environ.get(KEY_OUT):
        with open(int(os.environ[KEY_OUT]), "w", encoding="utf-8") as pipe:
            pipe.write(key)
    else:
        print(key)
    return 0


# ----------------------------------------------------------------------
# As root, in the iot-provision container
# ----------------------------------------------------------------------
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="wms", help="default: %(default)s")
    parser.add_argument(
        "--gateway", default=DEFAULT_GATEWAY, help="XML id; default: %(default)s"
    )
    parser.add_argument(
        "--key-file",
        default="/run/wms-iot-keys/demo.key",
        help="where the bridge reads the key; default: %(default)s",
    )
    parser.add_argument(
        "--new-key",
        action="store_true",
        help="make a new key even if the bridge's still works (rotation)",
    )
    parser.add_argument(
        "--owner",
        default="10001:10001",
        help="UID:GID of the bridge, the key file's owner; default: %(default)s",
    )
    parser.add_argument(
        "--run-as",
        default="odoo",
        help="user that runs odoo shell ('' = this one); default: %(default)s",
    )
    parser.add_argument(
        "--odoo",
        default="/entrypoint.sh odoo",
        help="how to run odoo; 'shell -d DATABASE --no-http' and --odoo-arg "
        "follow; default: %(default)s",
    )
    parser.add_argument(
        "--odoo-arg",
        action="append",
        default=[],
        help="extra argument of odoo shell (repeatable), e.g. -c FILE",
    )
    args = parser.parse_args(argv)
    try:
        uid, gid = (int(part) for part in args.owner.split(":"))
    except ValueError:
        parser.error(f"--owner must be UID:GID, not {args.owner!r}")
    args.uid, args.gid = uid, gid
    return args


def read_key(path):
    try:
        with open(path, encoding="utf-8") as file:
            return file.read().strip()
    except FileNotFoundError:
        return ""


def run_odoo_shell(args, current):
    """The key the shell hands back, or None; and the shell's exit status."""
    key_in_r, key_in_w = os.pipe()
    key_out_r, key_out_w = os.pipe()
    # A key is far smaller than a pipe's buffer: write it before the child
    # runs, so that nothing waits on anything.
    os.write(key_in_w, current.encode())
    os.close(key_in_w)
    environ = dict(os.environ)
    environ.update(
        {KEY_IN: str(key_in_r), KEY_OUT: str(key_out_w), GATEWAY: args.gateway}
    )
    user = {}
    if args.run_as:
        account = pwd.getpwnam(args.run_as)
        user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        environ["HOME"] = account.pw_dir
    command = [
        *shlex.split(args.odoo),
        "shell",
        "-d",
        args.database,
        "--no-http",
        *args.odoo_arg,
    ]
    with open(__file__, "rb") as script:
        process = subprocess.Popen(
            command,
            stdin=script,
            env=environ,
            pass_fds=(key_in_r, key_out_w),
            **user,
        )
    os.close(key_in_r)
    os.close(key_out_w)
    with open(key_out_r, encoding="utf-8") as pipe:
        key = pipe.read().strip()
    return key or None, process.wait()


def write_key(path, key, uid, gid):
    """Replace ``path`` by a file holding ``key``, owned by uid:gid, mode
    0400, in one rename, flushed to disk."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    # a name of its own (the container's pid is always 1: a run killed here
    # must not block the next one), mode 0600 until written
    fd, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", dir=directory
    )
    try:
        os.write(fd, key.encode())
        os.fchown(fd, uid, gid)
        os.fchmod(fd, 0o400)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def main(argv=None):
    args = parse_args(argv)
    current = read_key(args.key_file)
    # Odoo keeps a key it is handed that still works: hand none to rotate it.
    key, status = run_odoo_shell(args, "" if args.new_key else current)
    if status:
        if status != EXIT_NO_GATEWAY:
            say(f"odoo shell failed (exit status {status}): see its log above")
        return status
    if not key:
        say("odoo shell ended without handing a key back")
        return 1
    if key == current:
        # the same key: only make sure the bridge may read it, and no one else
        os.chown(args.key_file, args.uid, args.gid)
        os.chmod(args.key_file, 0o400)
    else:
        write_key(args.key_file, key, args.uid, args.gid)
        say(f"wrote the bridge's key to {args.key_file} (owner {args.owner}, 0400)")
    return 0


if __name__ == "__main__":
    odoo_env = globals().get("env")
    if odoo_env is not None:  # fed to `odoo shell`
        status = provision_in_odoo(odoo_env)
        if status:
            sys.exit(status)
    else:
        sys.exit(main())
