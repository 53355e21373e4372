#!/usr/bin/env bash
# A bash entrypoint with the official images' file_env logic (docker-library
# postgres, mysql, mariadb, mongo), written from their documented behaviour,
# so bench/run can time what shim replaces:
#   - error (exit 1) only when both NAME and NAME_FILE are non-empty;
#   - an empty NAME counts as unset, so NAME_FILE wins; an empty NAME_FILE is
#     not read; with neither, NAME gets the default (second argument) or "";
#   - the file is read with $(< file): every trailing \n is stripped, inner
#     newlines and a trailing \r are kept; no size, mode or type check;
#   - NAME is exported and NAME_FILE is always unset.
# The images call file_env for a fixed list of names. For the benchmark the
# list comes from FILE_ENV_VARS (space-separated, removed before the exec);
# without it, the postgres image's list and defaults are used.
set -Eeo pipefail

file_env() {
	local var="$1"
	local fileVar="${var}_FILE"
	local def="${2:-}"
	if [ "${!var:-}" ] && [ "${!fileVar:-}" ]; then
		printf >&2 'error: both %s and %s are set (but are exclusive)\n' "$var" "$fileVar"
		exit 1
	fi
	local val="$def"
	if [ "${!var:-}" ]; then
		val="${!var}"
	elif [ "${!fileVar:-}" ]; then
		val="$(< "${!fileVar}")"
	fi
	export "$var"="$val"
	unset "$fileVar"
}

if [ -n "${FILE_ENV_VARS+set}" ]; then
	for name in $FILE_ENV_VARS; do
		file_env "$name"
	done
	unset FILE_ENV_VARS name
else
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS
fi

exec "$@"
