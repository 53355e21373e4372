#!/bin/sh
# The same file_env entrypoint as file_env.bash in POSIX sh, for dash or
# busybox ash, with the same contract (see file_env.bash). POSIX sh has no
# ${!name} and no $(< file), so:
#   - the indirection is done with eval on names the script itself built;
#   - the file is read with the read builtin, without forking a cat: lines are
#     joined with \n, a last line without \n is kept, then every trailing \n
#     is stripped as $(...) would. Inner newlines and a trailing \r stay.
# A NUL byte is not portable in sh; bash drops it with a warning.
set -e

nl='
'

file_env() {
	var=$1
	fileVar=${var}_FILE
	def=${2-}
	eval "val=\${$var-} fileVal=\${$fileVar-}"
	if [ -n "$val" ] && [ -n "$fileVal" ]; then
		printf >&2 'error: both %s and %s are set (but are exclusive)\n' "$var" "$fileVar"
		exit 1
	fi
	if [ -n "$val" ]; then
		:
	elif [ -n "$fileVal" ]; then
		val=
		while IFS= read -r line || [ -n "$line" ]; do
			val=$val$line$nl
		done < "$fileVal"
		while :; do
			case $val in
			*"$nl") val=${val%"$nl"} ;;
			*) break ;;
			esac
		done
	else
		val=$def
	fi
	export "$var=$val"
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
	file_env POSTGRES_DB "${POSTGRES_USER-}"
	file_env POSTGRES_INITDB_ARGS
fi
unset var fileVar def val fileVal line nl

exec "$@"
