# Shared by tests/integration/osmo_hlr.sh and bench/auc_vs_hlr.sh.
# start_osmo_hlr DIR: osmo-hlr on loopback with its configuration and
# database in DIR (GSUP 4222, VTY 4258, CTRL 4259: fixed ports); appends its
# PID to the caller's pids array and sets HLR_PID.  Returns 1, with its log
# in DIR/hlr.log, when it does not come up within 10 s.
start_osmo_hlr() {
	cat >"$1/hlr.cfg" <<'CFG'
log stderr
 logging filter all 1
 logging color 0
 logging level main notice
 logging level db notice
 logging level auc notice
line vty
 bind 127.0.0.1
ctrl
 bind 127.0.0.1
hlr
 gsup
  bind ip 127.0.0.1
CFG
	osmo-hlr -c "$1/hlr.cfg" -l "$1/hlr.db" 2>"$1/hlr.log" &
	HLR_PID=$!
	pids+=("$HLR_PID")
	for _ in $(seq 100); do
		if (exec 3<>/dev/tcp/127.0.0.1/4259) 2>/dev/null &&
			(exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then
			return 0
		fi
		kill -0 "$HLR_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
