#!/usr/bin/env bash
# Stand-in for the official postgres image's docker-entrypoint.sh, only what the e2e
# needs: as root, read POSTGRES_PASSWORD/USER/DB (or their _FILE variants, like the
# official file_env), initdb an empty PGDATA with scram-sha-256 for TCP clients, then
# exec the server as the postgres user so it is PID 1.
set -Eeuo pipefail

file_env() {
	local var=$1 fvar=${1}_FILE def=${2:-} val
	if [[ ${!var:-} && ${!fvar:-} ]]; then
		echo "error: both $var and $fvar are set (but are exclusive)" >&2
		exit 1
	fi
	val=$def
	if [[ ${!var:-} ]]; then
		val=${!var}
	elif [[ ${!fvar:-} ]]; then
		val=$(<"${!fvar}")
	fi
	export "$var"="$val"
	unset "$fvar"
}

as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

if [[ ${1:-} == postgres && $(id -u) == 0 ]]; then
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	if [[ -z $POSTGRES_PASSWORD ]]; then
		echo "error: POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE must be set" >&2
		exit 1
	fi
	mkdir -p "$PGDATA" /var/run/postgresql
	chown postgres:postgres "$PGDATA" /var/run/postgresql
	chmod 700 "$PGDATA"
	if [[ ! -s $PGDATA/PG_VERSION ]]; then
		pwfile=$(mktemp)
		printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
		chown postgres "$pwfile"
		as_postgres initdb --username="$POSTGRES_USER" --pwfile="$pwfile" \
			--auth-local=trust --auth-host=scram-sha-256 >/dev/null
		rm -f "$pwfile"
		echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
		printf "listen_addresses = '*'\njit = off\n" >>"$PGDATA/postgresql.conf"
		if [[ $POSTGRES_DB != postgres ]]; then
			as_postgres pg_ctl --silent --wait -o "-c listen_addresses=''" start >/dev/null
			as_postgres createdb --username="$POSTGRES_USER" "$POSTGRES_DB"
			as_postgres pg_ctl --silent --wait -m fast stop >/dev/null
		fi
		echo "stand-in entrypoint: initialised $PGDATA for user $POSTGRES_USER, database $POSTGRES_DB"
	fi
	unset POSTGRES_PASSWORD
	exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"
fi
exec "$@"
