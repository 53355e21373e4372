#!/bin/sh
# Create the secrets the Compose example reads, as the Docker secrets guide does: random
# passwords from openssl, directory 0700, files 0600. Existing files are kept; to rotate
# one, delete it, run this again and restart the services that use it.
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
chmod 700 secrets
for name in postgres_password redis_password; do
	file=secrets/$name.txt
	if [ -s "$file" ]; then
		echo "setup: keeping $file"
	else
		# the trailing newline openssl writes is fine: shim (and the postgres image)
		# strip trailing newlines
		openssl rand -base64 32 >"$file"
		echo "setup: created $file"
	fi
	chmod 600 "$file"
done
