#!/usr/bin/env bash
# One-shot job of docker-compose.yml (`kafka-auth`), on the apache/kafka image, in the broker's
# own network namespace (`network_mode: service:kafka`): there, and only there, the broker's
# loopback listener 127.0.0.1:9091 answers without a password, as a super user. Every client on
# the network signs in with SCRAM-SHA-512 instead.
#
# Creates each user's SCRAM credential from its secret file /run/secrets/kafka_<user>_password
# (`minyi-admin` reads kafka_admin_password) and grants the ACLs the job's environment declares:
#   MINYI_KAFKA_SERVICES               the services' users, e.g. "intake routing notify reporting"
#   MINYI_ACL_<SERVICE>_READS          topics the service consumes
#   MINYI_ACL_<SERVICE>_WRITES         topics it publishes to
# and to each service everything under its own `<service>.` prefix: its consumer groups and its
# dead-letter topics (which its consumers create when missing). `minyi-admin` (the `topics`
# job) may create topics and see them, nothing else. With MINYI_NAMESPACE every name gets the
# `<namespace>.` prefix, as the services add it.
#
# Safe to re-run: a credential is overwritten, an ACL that exists is kept once.
set -euo pipefail

BROKER=127.0.0.1:9091
BIN=/opt/kafka/bin
PREFIX="${MINYI_NAMESPACE:+$MINYI_NAMESPACE.}"

die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# scram USER SECRET-FILE
scram() {
  local password
  password="$(tr -d '\r\n' <"$2")" || die "cannot read $2"
  # kafka-configs.sh parses `[password=...]`: commas, brackets and spaces would cut it short.
  [[ "$password" =~ ^[A-Za-z0-9._~+/=-]{16,}$ ]] \
    || die "$2: the password must be 16+ letters, digits or ._~+/=- (e.g. openssl rand -hex 24)"
  "$BIN/kafka-configs.sh" --bootstrap-server "$BROKER" --alter --entity-type users \
    --entity-name "$1" --add-config "SCRAM-SHA-512=[password=$password]" >/dev/null
  echo "user $1: SCRAM-SHA-512 credential set"
}

acl() { "$BIN/kafka-acls.sh" --bootstrap-server "$BROKER" --add --force "$@" >/dev/null; }

# topics_args NAME... : `--topic <prefix>NAME` for each
topics_args() {
  local name
  for name in "$@"; do printf -- '--topic\n%s\n' "$PREFIX$name"; done
}

[ -n "${MINYI_KAFKA_SERVICES:-}" ] || die "MINYI_KAFKA_SERVICES is empty"
for service in $MINYI_KAFKA_SERVICES; do
  scram "$service" "/run/secrets/kafka_${service}_password"
  upper="${service^^}"
  reads="MINYI_ACL_${upper}_READS"
  writes="MINYI_ACL_${upper}_WRITES"
  [ -n "${!reads:-}" ] || die "$reads is not set"
  mapfile -t read_args < <(topics_args ${!reads})
  acl --allow-principal "User:$service" --operation Read "${read_args[@]}"
  if [ -n "${!writes:-}" ]; then
    mapfile -t write_args < <(topics_args ${!writes})
    acl --allow-principal "User:$service" --operation Write "${write_args[@]}"
  fi
  acl --allow-principal "User:$service" --operation All --resource-pattern-type prefixed \
    --topic "$PREFIX$service." --group "$PREFIX$service."
  echo "user $service: reads ${!reads}; writes ${!writes:-nothing}; owns $PREFIX$service.*"
done

scram minyi-admin /run/secrets/kafka_admin_password
acl --allow-principal User:minyi-admin --operation Create --cluster
if [ -n "$PREFIX" ]; then
  acl --allow-principal User:minyi-admin --operation Describe --resource-pattern-type prefixed \
    --topic "$PREFIX"
else
  acl --allow-principal User:minyi-admin --operation Describe --topic '*'
fi
echo "user minyi-admin: creates topics"
