#!/usr/bin/env bash
# Makes sure a MariaDB server binary (10.11, Debian bookworm) and openssl are on this machine.
# The test suite and `npm run bench:scrub` start their own throw-away server from it
# (test/support/mariadb.ts); nothing is configured system-wide and no service is started.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

if have mariadbd && have mariadb-install-db && have openssl; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "ensure-mariadb: MariaDB is not installed and this user cannot install Debian packages." >&2
    echo "ensure-mariadb: install it with: apt-get install mariadb-server mariadb-client openssl" >&2
    exit 1
  fi
fi

echo "ensure-mariadb: installing mariadb-server from Debian packages..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client openssl >/dev/null
echo "ensure-mariadb: $(/usr/sbin/mariadbd --version)" >&2
