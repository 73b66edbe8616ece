#!/usr/bin/env bash
# Makes sure the test suite's system dependencies are on this machine: a MariaDB server binary
# (10.11, Debian bookworm), openssl, and OpenSSH's sshd (only used to check the jump host's
# generated sshd configuration with `sshd -t`). The test suite and `npm run bench:scrub` start
# their own throw-away MariaDB from it (test/support/mariadb.ts); nothing is configured
# system-wide and no service is started (a policy-rc.d refuses service starts during install).
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

if have mariadbd && have mariadb-install-db && have openssl && have sshd; then
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

echo "ensure-mariadb: installing mariadb-server and openssh-server from Debian packages..." >&2
export DEBIAN_FRONTEND=noninteractive
created_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client openssl openssh-server openssh-client >/dev/null
[ -n "$created_policy" ] && $SUDO rm -f /usr/sbin/policy-rc.d
echo "ensure-mariadb: $(/usr/sbin/mariadbd --version)" >&2
