#!/bin/sh
# PID 1 of a throwaway guest, after the initramfs set everything up (cgroup
# layout included) and switch_root'ed into the host's root (read-only 9p).
# Runs with the host's /bin/sh; uses only builtins and static busybox, as
# every dynamic exec from 9p is slow under TCG. Runs the job the harness
# wrote (/run/cella-vm/.cella-vm/job.sh) as a child, stores its exit code
# and output on the results share, and powers off. Never exits: if PID 1
# died the kernel would panic (the harness reports that as a failed guest).
R=/run/cella-vm
C=$R/.cella-vm
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
BB=/bin/busybox

log() {
	read -r up _ </proc/uptime
	echo "[$up] cella-vm: $*" >/dev/console
}

halt() {
	$BB sync
	$BB poweroff -f
	echo o >/proc/sysrq-trigger
	while :; do $BB sleep 60; done
}

fail() {
	log "error: $*"
	printf '%s\n' "$*" >"$C/error"
	halt
}

read -r cmdline </proc/cmdline
for w in $cmdline; do
	case "$w" in cella.layout=*) layout=${w#*=} ;; esac
done

# Scratch disks, found by the serial numbers the harness gave them.
for b in /sys/block/vd*; do
	[ -e "$b/serial" ] || continue
	read -r serial <"$b/serial"
	read -r devno <"$b/dev"
	case "$serial" in
	cella-scratch) export CELLA_VM_DISK="/dev/${b##*/}" CELLA_VM_DISK_DEVNO="$devno" ;;
	cella-swap) export CELLA_VM_SWAP_DISK="/dev/${b##*/}" CELLA_VM_SWAP_DISK_DEVNO="$devno" ;;
	esac
done
export CELLA_VM=1 CELLA_VM_LAYOUT="$layout" CELLA_VM_RESULTS=$R

[ -r "$C/job.sh" ] || fail "no job script $C/job.sh on the results share"
log "running the job"
: >"$C/booted"
# The job runs as a child in the root cgroup, stdin from /dev/null, its
# output straight to the share (the harness streams it from there).
/bin/sh "$C/job.sh" </dev/null >"$C/output" 2>&1
rc=$?
echo "$rc" >"$C/rc.tmp" && $BB mv "$C/rc.tmp" "$C/rc"
log "job exited with $rc"
halt
