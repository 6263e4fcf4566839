#!/bin/sh
# The unprivileged account the service runs as once started as root
# (web.service_user in config.toml). Created only when missing, only as root.
set -eu
name="${1:-chartdesk}"
[ -n "$name" ] || exit 0
[ "$(id -u)" = 0 ] || exit 0
id -u "$name" >/dev/null 2>&1 && exit 0
echo "creating the system account '$name' for the chartdesk service"
adduser --system --group --no-create-home --home /nonexistent --shell /usr/sbin/nologin "$name" >/dev/null 2>&1 \
  || { echo "could not create the account $name; create it by hand (adduser --system --group $name)" >&2; exit 1; }
