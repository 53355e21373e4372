# The state of the host that container engines change, for e2e/run's "nothing left
# behind" check: sourced, not run.
#
#   host_snapshot DIR   records it in DIR
#   host_restore DIR    takes back what was added since: firewall rules, chains and
#                       policies (iptables and ip6tables, filter and nat), the forwarding
#                       switch, the network interfaces and mounts the engines make
#   host_compare DIR    prints every difference from DIR; status 1 if there is one
#
# What is recorded:
#   firewall   iptables-save and ip6tables-save of the filter and nat tables, normalised
#              (no counters; a built-in chain with policy ACCEPT is the same as no table)
#   sysctl     net.ipv4.ip_forward and net.ipv6.conf.all.forwarding
#   links      network interface names (docker0, docker_gwbridge, podman*, br-*, veth*)
#   mounts     mount points (overlay, netns, shm mounts of containers)
#   processes  the engines' and the stack's: dockerd, containerd, containerd-shim*,
#              docker-proxy, conmon, aardvark-dns, slirp4netns, rootlessport, catatonit,
#              redis-server, postgres
#   files      /etc/containers/containers.conf, ~/.docker/cli-plugins, /var/tmp/shim-*
#              (the suite's own work directories, other than the running one)
# The engines' image stores (/var/lib/containers, /var/lib/docker) and $SHIM_E2E_CACHE are
# caches and are not compared; packages installed from Debian stay installed.

# host_fw: the normalised firewall, one line a chain or rule: "CMD TABLE :CHAIN POLICY" or
# "CMD TABLE -A CHAIN ..."
host_fw() {
	local cmd t
	for cmd in iptables ip6tables; do
		command -v "$cmd-save" >/dev/null || continue
		for t in filter nat; do
			"$cmd-save" -t "$t" 2>/dev/null | awk -v p="$cmd $t" '
				/^:/ {
					if ($1 ~ /^:(INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING)$/ && $2 == "ACCEPT") next
					print p, $1, $2; next
				}
				/^-A / { print p, $0 }'
		done
	done
}
host_links() { ip -o link show 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort; }
host_mounts() { awk '{print $5}' /proc/self/mountinfo | sort; }
host_procs() {
	ps -e -o comm= | grep -xE 'dockerd|containerd|containerd-shim.*|docker-proxy|conmon|aardvark-dns|slirp4netns|rootlessport|catatonit|redis-server|postgres' |
		sort | uniq -c | awk '{print $2, $1}'
}
host_sysctl() {
	local k
	for k in net/ipv4/ip_forward net/ipv6/conf/all/forwarding; do
		[[ -r /proc/sys/$k ]] && echo "$k $(cat "/proc/sys/$k")"
	done
	return 0
}
host_files() {
	local f
	for f in /etc/containers/containers.conf "$HOME"/.docker/cli-plugins/*; do
		[[ -e $f ]] && echo "$f $(sha256sum <"$f" | cut -c1-16)"
	done
	# the suite's own temporary directories and files; the running one and what the
	# parent process holds while an engine runs are not leftovers
	for f in /var/tmp/shim-*; do
		[[ -e $f ]] || continue
		[[ -n ${work:-} && $f == "$work" ]] && continue
		case ${f##*/} in shim-e2e-result.* | shim-e2e-compose.* | shim-e2e-apt.*) continue ;; esac
		echo "$f"
	done
	return 0
}
host_snapshot() {
	local d=$1 what
	mkdir -p "$d"
	for what in fw links mounts procs sysctl files; do "host_$what" >"$d/$what"; done
}

# host_restore DIR: remove what was added since the snapshot in DIR (rules first, then
# the chains they jumped to; policies and forwarding set back); prints what it removed
host_restore() {
	local d=$1 now cmd t rest chain n=0 l m
	now=$(mktemp)
	host_fw >"$now"
	# rules added to chains that were there before; then the added chains, flushed and
	# deleted (rules may jump between them, so all are flushed before any is deleted)
	while read -r cmd t rest; do
		[[ $rest == "-A "* ]] || continue
		chain=${rest#-A } chain=${chain%% *}
		# in a chain that is new itself: flushed below
		if grep -qxF -- "$cmd $t :$chain -" "$now" && ! grep -qxF -- "$cmd $t :$chain -" "$d/fw"; then continue; fi
		eval "$cmd -w -t $t ${rest/#-A/-D}" 2>/dev/null && n=$((n + 1))
	done < <(comm -13 <(sort "$d/fw") <(sort "$now"))
	while read -r cmd t chain rest; do
		[[ $chain == :* && $rest == - ]] || continue
		"$cmd" -w -t "$t" -F "${chain#:}" 2>/dev/null
	done < <(comm -13 <(sort "$d/fw") <(sort "$now"))
	while read -r cmd t chain rest; do
		[[ $chain == :* ]] || continue
		if [[ $rest == - ]]; then
			"$cmd" -w -t "$t" -X "${chain#:}" 2>/dev/null && n=$((n + 1))
		else
			# a built-in chain's policy changed (dockerd sets FORWARD to DROP)
			local before
			before=$(awk -v c="$cmd" -v t="$t" -v ch="$chain" '$1 == c && $2 == t && $3 == ch {print $4}' "$d/fw")
			"$cmd" -w -t "$t" -P "${chain#:}" "${before:-ACCEPT}" 2>/dev/null && n=$((n + 1))
		fi
	done < <(comm -13 <(sort "$d/fw") <(sort "$now"))
	((n > 0)) && echo "    removed $n firewall rules, chains and policies the engines left"
	rm -f "$now"
	# forwarding, as it was
	while read -r k v; do
		[[ $(cat "/proc/sys/$k" 2>/dev/null) == "$v" ]] || { echo "$v" >"/proc/sys/$k" && echo "    $k set back to $v"; }
	done <"$d/sysctl"
	# interfaces the engines made and leave (docker0, docker_gwbridge)
	for l in $(comm -13 "$d/links" <(host_links)); do
		case $l in docker0 | docker_gwbridge | br-* | podman* | cni-podman* | veth*)
			ip link delete "$l" >/dev/null 2>&1 && echo "    removed interface $l" ;;
		esac
	done
	# mounts the engines made and leave (podman's storage, network namespaces), the
	# deepest first
	for m in $(comm -13 "$d/mounts" <(host_mounts) | awk '{print length, $0}' | sort -rn | cut -d' ' -f2-); do
		case $m in /var/lib/containers/* | /var/lib/docker/* | /run/netns | /run/netns/* | /run/docker | /run/docker/* | /var/run/docker/* | /run/containers/*)
			umount "$m" >/dev/null 2>&1 && echo "    unmounted $m" ;;
		esac
	done
	return 0
}

# host_compare DIR: the differences from the snapshot, one line each; a process that
# ended during the run is none (a conmon of an earlier step's container, still exiting
# when the snapshot was taken, was seen to)
host_compare() {
	local d=$1 what diffs=0 line
	for what in fw links mounts procs sysctl files; do
		while read -r line; do
			echo "    $what: $line"
			diffs=$((diffs + 1))
		done < <(diff <(sort "$d/$what") <("host_$what" | sort) | sed -n 's/^< /before, not now: /p; s/^> /now, not before: /p' |
			if [[ $what == procs ]]; then grep -v '^before, not now: '; else cat; fi)
	done
	((diffs == 0))
}
