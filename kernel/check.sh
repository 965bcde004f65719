#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR GPL-2.0-only
#
# kernel/check.sh: boot Debian's Linux 6.12 under QEMU (TCG) behind an emulated IOMMU
# (intel-iommu, then virtio-iommu), drive real DMA through virtio-blk, NVMe, virtio-net
# and e1000e, and check the result: data verified, no WARN/BUG/Oops, every IOMMU group a
# translated DMA domain, no IOVA handed out twice while live, KUnit all passed.
# It does this for the stock iova.c and, when kernel/linux/iova.c exists, for libiova's,
# built from the pristine tree with `make kernel-patch`'s series applied patch by patch
# (drivers/iommu/ compiled after each).  Each boot also runs the kernel's own
# dma_map_benchmark on QEMU's edu device (kernel/build/dmabench.md: stock vs ours).
#
# Usage: bash kernel/check.sh [all|deps|build|run]     (default: all)
# Environment knobs (all optional):
#   KCHECK_BUILD=dir       work folder (default kernel/build, gitignored, reused)
#   KCHECK_KERNELS="stock ours"   which kernels (ours is skipped if its sources are absent)
#   KCHECK_IOMMUS="intel virtio"  which emulated IOMMUs
#   KCHECK_TIMEOUT=300     seconds allowed for one QEMU run
#   KCHECK_JOBS=N          make -j (default nproc)
#   KCHECK_NO_APT=1        never call apt-get (fail if something is missing)
#   KCHECK_SMP=4           guest CPUs (the per-CPU caches and CPU hotplug are exercised)
#   KCHECK_DMABENCH="1:1 1:16 ..."  dma_map_benchmark runs, THREADS:GRANULE (default
#                          threads 1 2 4 x granules 1 16 64 pages)
#   KCHECK_DMABENCH_SECONDS=1   seconds per dma_map_benchmark run
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
B=${KCHECK_BUILD:-$HERE/build}
SRC=$B/linux-source-6.12
JOBS=${KCHECK_JOBS:-$(nproc)}
TIMEOUT=${KCHECK_TIMEOUT:-300}
IOMMUS=${KCHECK_IOMMUS:-intel virtio}
KERNELS=${KCHECK_KERNELS:-stock ours}
MODE=${1:-all}
T0=$(date +%s)

mkdir -p "$B"
SUMMARY=$B/summary.txt
: > "$SUMMARY"

say() { printf '[kcheck %4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() { say "FAIL: $*"; echo "kernel-check: FAIL: $*" >> "$SUMMARY"; exit 1; }
timed() { # timed LABEL cmd...: run, print and record the wall time
	local label=$1 s e; shift
	local rc=0
	s=$(date +%s.%N)
	"$@" || rc=$?
	e=$(date +%s.%N)
	local d; d=$(awk -v a="$s" -v b="$e" 'BEGIN{printf "%.1f", b-a}')
	say "time: $label ${d}s"
	echo "time $label $d" >> "$B/times.txt"
	return $rc
}

# ---------------------------------------------------------------- dependencies
PKGS="linux-source-6.12 qemu-system-x86 busybox-static bc bison flex libelf-dev libssl-dev
      cpio xz-utils gzip make gcc libc6-dev python3 git"
deps() {
	local missing=()
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then say "deps: all installed"; return 0; fi
	[ -z "${KCHECK_NO_APT:-}" ] || die "missing packages: ${missing[*]}"
	[ "$(id -u)" = 0 ] || die "need root to apt-get install: ${missing[*]}"
	say "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q > "$B/apt.log" 2>&1 || { tail -20 "$B/apt.log"; die "apt-get update"; }
	apt-get install -y -q --no-install-recommends "${missing[@]}" >> "$B/apt.log" 2>&1 ||
		{ tail -20 "$B/apt.log"; die "apt-get install"; }
}

extract() {
	if [ -f "$SRC/.kcheck-extracted" ]; then say "source: reusing $SRC"; return 0; fi
	local tarball
	tarball=$(KSRC_NO_APT=${KCHECK_NO_APT:-} sh "$HERE/source.sh" --tarball) ||
		die "no /usr/src/linux-source-6.12.tar.*"
	rm -rf "$SRC" "$B/pristine" "$B/obj" "$B"/obj-* "$B/images"
	say "source: extracting $tarball"
	timed extract tar -C "$B" -xf "$tarball"
	[ -f "$SRC/Makefile" ] || die "extraction did not give $SRC/Makefile"
	# The series' base (what kernel/patch.sh's extract_base takes from the tarball, in
	# its layout) from this fresh, pristine extraction: saves patch.sh a second tar pass.
	local kb=$KS/base/linux-source-6.12 f
	rm -rf "$KS/base"; mkdir -p "$kb/drivers" "$kb/include/linux" "$kb/scripts"
	cp -a "$SRC/drivers/iommu" "$kb/drivers/"
	for f in include/linux/iova.h MAINTAINERS scripts/checkpatch.pl scripts/spelling.txt \
		scripts/const_structs.checkpatch; do cp -p "$SRC/$f" "$kb/$f"; done
	touch "$kb/.kpatch-extracted"
	touch "$SRC/.kcheck-extracted"
}

# ---------------------------------------------------------------- kernel builds
have_ours() { [ -f "$HERE/linux/iova.c" ] && [ -f "$HERE/linux/iova.h" ]; }

# Both kernels are built from the one extracted tree, each in its own object folder
# (obj-stock, obj-ours). Only a handful of files differ, so the tree is switched in
# place: the stock versions are kept in build/pristine/ with their original times, and
# the series is applied over them for ours (ours_from_series, below). obj-ours starts as
# a copy of obj-stock, so after the first stock build only what includes <linux/iova.h>
# is compiled again for ours.
SWAPPED="drivers/iommu/iova.c include/linux/iova.h"
OVERLAY_DIRS="drivers/iommu/libiova drivers/iommu/iova_kunit.c"

# overlay_list: lines "SRC DEST" of what makes the tree ours (shared with kernel/patch.sh)
# shellcheck source=kernel/overlay.sh
. "$HERE/overlay.sh"

save_pristine() {
	local f
	for f in $SWAPPED; do
		if [ ! -f "$B/pristine/$f" ]; then
			mkdir -p "$(dirname "$B/pristine/$f")"
			cp -p "$SRC/$f" "$B/pristine/$f"
		fi
	done
}

# Both kernels also build the iova_paths KUnit suite (kernel/linux/iova_paths_kunit.c,
# <linux/iova.h> only): the pathological paths timed inside each kernel.  It is a lab
# test, not part of the patch.
PATHS_MK='obj-$(CONFIG_KUNIT) += iova_paths_kunit.o'
tree_common() {
	local mk=$SRC/drivers/iommu/Makefile t=$SRC/drivers/iommu/iova_paths_kunit.c
	cmp -s "$HERE/linux/iova_paths_kunit.c" "$t" || { rm -f "$t"; cp -p "$HERE/linux/iova_paths_kunit.c" "$t"; }
	grep -qxF -- "$PATHS_MK" "$mk" || echo "$PATHS_MK" >> "$mk"
}

tree_stock() {
	local f
	save_pristine
	for f in $SWAPPED; do
		cmp -s "$B/pristine/$f" "$SRC/$f" || { rm -f "$SRC/$f"; cp -p "$B/pristine/$f" "$SRC/$f"; }
	done
	for f in $OVERLAY_DIRS; do rm -rf "${SRC:?}/$f"; done
	tree_common
}

configure() { # configure SRCDIR OBJDIR
	local src=$1 obj=$2 line sym val bad=()
	mkdir -p "$obj"
	if [ -f "$obj/.config" ] && [ "$obj/.config" -nt "$HERE/config/kcheck.config" ] &&
		[ -f "$obj/.kcheck-configured" ]; then
		return 0
	fi
	make -s -C "$src" O="$obj" ARCH=x86_64 tinyconfig > "$obj/config.log" 2>&1 || die "tinyconfig (see $obj/config.log)"
	local args=()
	while IFS= read -r line; do
		case "$line" in CONFIG_*=*) ;; *) continue ;; esac
		sym=${line%%=*}; sym=${sym#CONFIG_}; val=${line#*=}
		case "$val" in
			y) args+=(--enable "$sym") ;;
			n) args+=(--disable "$sym") ;;
			\"*) val=${val#\"}; val=${val%\"}; args+=(--set-str "$sym" "$val") ;;
			*) args+=(--set-val "$sym" "$val") ;;
		esac
	done < "$HERE/config/kcheck.config"
	"$src/scripts/config" --file "$obj/.config" "${args[@]}"
	make -s -C "$src" O="$obj" ARCH=x86_64 olddefconfig >> "$obj/config.log" 2>&1 || die "olddefconfig"
	while IFS= read -r line; do
		case "$line" in CONFIG_*=*) ;; *) continue ;; esac
		sym=${line%%=*}; val=${line#*=}
		if [ "$val" = n ]; then
			grep -qx "$sym=y" "$obj/.config" && bad+=("$line")
		else
			grep -qx "$sym=$val" "$obj/.config" || bad+=("$line")
		fi
	done < "$HERE/config/kcheck.config"
	[ ${#bad[@]} -eq 0 ] || die "config options did not stick (unmet dependencies?): ${bad[*]}"
	touch "$obj/.kcheck-configured"
}

# Kbuild bakes the object folder's absolute path into tools/objtool, and every object
# depends on objtool, so an object folder must not move or be copied elsewhere and built.
# Hence one active folder, build/obj, and the other flavour parked beside it
# (build/obj-stock or build/obj-ours): switching is two renames, and each flavour keeps
# its own objects.
activate() { # activate stock|ours
	local want=$1 cur=""
	[ -f "$B/obj/.kcheck-flavour" ] && cur=$(cat "$B/obj/.kcheck-flavour")
	[ "$cur" = "$want" ] && return 0
	if [ -d "$B/obj" ]; then
		[ -n "$cur" ] || cur=unknown
		rm -rf "$B/obj-$cur"; mv "$B/obj" "$B/obj-$cur"
	fi
	if [ -d "$B/obj-$want" ]; then
		mv "$B/obj-$want" "$B/obj"
	elif [ "$want" = ours ] && [ -f "$B/obj-stock/arch/x86/boot/bzImage" ]; then
		# first ours build: start from the stock objects
		timed seed-obj-ours cp -a "$B/obj-stock" "$B/obj"
		rm -f "$B/obj/.kcheck-series-sum"
	else
		mkdir -p "$B/obj"
	fi
	echo "$want" > "$B/obj/.kcheck-flavour"
}

build_kernel() { # build_kernel NAME (with the tree and build/obj already set up for it)
	local name=$1 obj=$B/obj rc=0
	configure "$SRC" "$obj"
	say "build: $name kernel (make -j$JOBS, log $B/build-$name.log)"
	timed "build-$name" make -C "$SRC" O="$obj" ARCH=x86_64 -j"$JOBS" bzImage > "$B/build-$name.log" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		grep -E "error|Error" "$B/build-$name.log" | head -30
		die "$name kernel build failed (see $B/build-$name.log)"
	fi
	[ -f "$obj/arch/x86/boot/bzImage" ] || die "no bzImage for $name"
	mkdir -p "$B/images"
	cp "$obj/arch/x86/boot/bzImage" "$B/images/$name.bzImage"
	say "build: $name: $(grep -cE '^\s+CC ' "$B/build-$name.log") files compiled; $(grep -E 'warning:' "$B/build-$name.log" | grep -cE 'iova|libiova') warnings in iova files"
	grep -E 'warning:' "$B/build-$name.log" | grep -E 'iova|libiova' | head -20 || true
}

builds() {
	local k
	for k in $KERNELS; do
		case $k in
			stock) tree_stock; activate stock; build_kernel stock ;;
			ours)
				if ! have_ours; then
					say "build: kernel/linux/iova.c not present yet: skipping the 'ours' kernel"
					continue
				fi
				# a config change reseeds ours from stock
				local sc=$B/obj-stock/.config
				[ "$(cat "$B/obj/.kcheck-flavour" 2>/dev/null)" = stock ] && sc=$B/obj/.config
				if [ -f "$sc" ] && [ -f "$B/obj-ours/.config" ] && ! cmp -s "$sc" "$B/obj-ours/.config"; then
					rm -rf "$B/obj-ours"
				fi
				activate ours
				ours_from_series
				make_patch ;;
			*) die "unknown kernel '$k'" ;;
		esac
	done
}

# ---------------------------------------------------------------- ours = the series
# The "ours" kernel is the pristine tree with `make kernel-patch`'s series applied to it
# patch by patch (git apply), drivers/iommu/ compiled after each patch, then the bzImage:
# so every boot also proves that the series applies and that each patch builds on its own.
# The series is written by kernel/patch.sh into $B/series (its base, the pristine files
# from the tarball, is extracted once).  When the series is byte for byte the one whose
# per-patch builds already passed in this object folder, the per-patch builds are not
# repeated, and the files it writes get back the times they had then, so a warm run
# compiles nothing.
KS=$B/series
ours_from_series() {
	local base=$KS/base/linux-source-6.12 p f sum proven n=0 src dst
	say "series: writing it and checking that it applies (kernel/patch.sh apply, log $B/series.log)"
	timed series env KPATCH_OUT="$KS" KSRC_NO_APT="${KCHECK_NO_APT:-}" \
		bash "$HERE/patch.sh" apply > "$B/series.log" 2>&1 ||
		{ tail -20 "$B/series.log"; die "kernel/patch.sh apply failed (see $B/series.log)"; }
	# the stock tree (tree_stock), and MAINTAINERS as pristine as the series' base
	tree_stock
	cmp -s "$base/MAINTAINERS" "$SRC/MAINTAINERS" || cp -p "$base/MAINTAINERS" "$SRC/MAINTAINERS"
	for f in $SWAPPED; do
		cmp -s "$base/$f" "$SRC/$f" || die "$SRC/$f is not the pristine file (rm -rf $B and rerun)"
	done
	[ -d "$SRC/.git" ] || git -C "$SRC" init -q
	sum=$(cat "$KS"/series/000[1-9]-*.patch | sha256sum | cut -c1-64)
	proven=$(cat "$B/obj/.kcheck-series-sum" 2>/dev/null || true)
	configure "$SRC" "$B/obj"
	for p in "$KS"/series/000[1-9]-*.patch; do
		n=$((n + 1))
		# (run in the tree, its own repository: see make_patch)
		(cd "$SRC" && git apply --check "$p" && git apply "$p") ||
			{ tree_stock; die "$(basename "$p") does not apply to $SRC"; }
		if [ "$sum" = "$proven" ]; then
			say "series: $(basename "$p") applied (its build passed before; series unchanged)"
			continue
		fi
		local log=$B/build-ours-step$n.log rc=0
		timed "build-ours-$(basename "$p" .patch | cut -c1-4)" \
			make -C "$SRC" O="$B/obj" ARCH=x86_64 -j"$JOBS" drivers/iommu/ > "$log" 2>&1 || rc=$?
		if [ $rc -ne 0 ]; then
			grep -E 'error' "$log" | head -20
			tree_stock
			die "drivers/iommu/ does not build after $(basename "$p") (see $log)"
		fi
		say "series: $(basename "$p") applied, drivers/iommu/ built ($(grep -cE '^\s+CC ' "$log" || true) files compiled, $(grep -c 'warning:' "$log" || true) warnings)"
		grep 'warning:' "$log" | head -10 || true
	done
	# the series' result is ours, byte for byte
	while read -r src dst; do
		cmp -s "$src" "$SRC/$dst" || { tree_stock; die "after the series, $dst is not $src"; }
	done < <(overlay_list)
	if [ "$sum" = "$proven" ]; then
		while read -r src dst; do
			f=$B/ours-final/$dst
			if [ -f "$f" ] && cmp -s "$f" "$SRC/$dst"; then touch -r "$f" "$SRC/$dst"; fi
		done < <(overlay_list)
	fi
	build_kernel ours
	rm -rf "$B/ours-final"
	while read -r src dst; do
		mkdir -p "$(dirname "$B/ours-final/$dst")"; cp -p "$SRC/$dst" "$B/ours-final/$dst"
	done < <(overlay_list)
	echo "$sum" > "$B/obj/.kcheck-series-sum"
	say "series: ours is the pristine tree + the $n patches of $KS/series$([ "$sum" = "$proven" ] || echo ", each built")"
	tree_stock
	cp -p "$base/MAINTAINERS" "$SRC/MAINTAINERS"
}

# Our change as one git-format-patch file against the Debian 6.12 tree, plus its diffstat.
make_patch() {
	local p=$B/patch out=$B/0001-iommu-iova-use-libiova.patch src dst f
	rm -rf "$p"; mkdir -p "$p"
	for f in $SWAPPED; do mkdir -p "$p/$(dirname "$f")"; cp "$B/pristine/$f" "$p/$f"; done
	local g=(git -C "$p" -c user.name="libiova kernel-check" -c user.email=libiova@invalid
		-c commit.gpgsign=false)
	"${g[@]}" init -q
	"${g[@]}" add -A
	GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z" \
		"${g[@]}" commit -q -m "linux-source-6.12: files touched by the libiova patch"
	while read -r src dst; do mkdir -p "$p/$(dirname "$dst")"; cp "$src" "$p/$dst"; done < <(overlay_list)
	"${g[@]}" add -A
	GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z" \
		"${g[@]}" commit -q -F <(sed -e '/^SPDX-License-Identifier/d' -e '/./,$!d' "$HERE/linux/COMMIT_MSG")
	"${g[@]}" format-patch -1 --stdout > "$out"
	"${g[@]}" diff --stat HEAD~1 HEAD > "$B/patch.diffstat"
	# it must apply to the pristine tree
	# (git apply run inside another repository's work tree skips the paths
	# outside the current folder: give the tree a repository of its own)
	[ -d "$SRC/.git" ] || git -C "$SRC" init -q
	(cd "$SRC" && git apply --check "$out") || die "the patch does not apply to $SRC"
	say "patch: $out"
	cat "$B/patch.diffstat"
}

# ---------------------------------------------------------------- guest image
W=$B/work
initramfs() {
	local ir=$B/initramfs
	rm -rf "$ir"; mkdir -p "$ir"/{bin,dev,proc,sys,tmp,etc,mnt}
	cp /bin/busybox "$ir/bin/busybox"
	"$ir/bin/busybox" --list | while read -r a; do
		[ "$a" = busybox ] || ln -sf busybox "$ir/bin/$a"
	done
	gcc -O2 -static -Wall -Wextra -o "$ir/bin/dio" "$HERE/guest/dio.c" || die "static build of guest/dio.c"
	gcc -O2 -Wall -Wextra -o "$W/dio-host" "$HERE/guest/dio.c" || die "host build of guest/dio.c"
	# The kernel's own benchmark tool, from the same tree.  In 6.12 its header is
	# include/linux/map_benchmark.h (not uapi); it is put alone in an include folder so
	# that <linux/types.h> and <sys/ioctl.h> stay the host libc's (linux-libc-dev).
	local tool=$SRC/tools/testing/selftests/dma/dma_map_benchmark.c
	[ -f "$tool" ] && [ -f "$SRC/include/linux/map_benchmark.h" ] ||
		die "no dma_map_benchmark.c or linux/map_benchmark.h in $SRC"
	mkdir -p "$W/dmabench-inc/linux"
	cp "$SRC/include/linux/map_benchmark.h" "$W/dmabench-inc/linux/"
	gcc -O2 -static -I"$W/dmabench-inc" -o "$ir/bin/dma_map_benchmark" "$tool" ||
		die "static build of $tool"
	cp "$HERE/guest/init" "$ir/init"; chmod +x "$ir/init"
	cp "$W/kcheck.conf" "$ir/etc/kcheck.conf"
	(cd "$ir" && find . | cpio -o -H newc --quiet | gzip -1) > "$W/initramfs.cpio.gz"
}

# Workload parameters, shared by guest (through the initramfs) and host checks.
DISK_MB=64
SEED0=0x6b636865636b3031   # host-written read region
READ_LEN=$((2 << 20))        # bytes read (direct) per block size
WRITE_LEN=$((1 << 20))       # bytes written (direct) per block size
BLOCK_SIZES="4096 16384 65536 262144 1048576"
TFTP_LEN=$((1 << 20))
# dma_map_benchmark runs, THREADS:GRANULE (pages), each DMABENCH_SECONDS long, in every boot
DMABENCH=${KCHECK_DMABENCH:-1:1 1:16 1:64 2:1 2:16 2:64 4:1 4:16 4:64}
DMABENCH_SECONDS=${KCHECK_DMABENCH_SECONDS:-1}

prepare_work() {
	rm -rf "$W"; mkdir -p "$W/tftp"
	head -c "$TFTP_LEN" /dev/urandom > "$W/tftp/blob.bin"
	local sum; sum=$(sha256sum "$W/tftp/blob.bin" | cut -d' ' -f1)
	cat > "$W/kcheck.conf" <<EOF
SEED0=$SEED0
READ_LEN=$READ_LEN
WRITE_LEN=$WRITE_LEN
BLOCK_SIZES="$BLOCK_SIZES"
READ_REGION_LEN=$((8 << 20))
WRITE_BASE=$((16 << 20))
WRITE_STRIDE=$((4 << 20))
TFTP_FILE=blob.bin
TFTP_SHA256=$sum
DMABENCH="$DMABENCH"
DMABENCH_SECONDS=$DMABENCH_SECONDS
EOF
}

# ---------------------------------------------------------------- QEMU runs
fresh_disks() { # fresh_disks DIR
	local d=$1
	rm -f "$d"/*.img
	truncate -s ${DISK_MB}M "$d/vblk.img" "$d/nvme.img" "$d/out.img"
	"$W/dio-host" fill "$d/vblk.img" 0 $((8 << 20)) "$SEED0" || die "fill vblk.img"
	"$W/dio-host" fill "$d/nvme.img" 0 $((8 << 20)) "$SEED0" || die "fill nvme.img"
}

run_one() { # run_one KERNEL IOMMU
	local k=$1 mmu=$2 d=$W/run-$1-$2 kimg=$B/images/$1.bzImage
	mkdir -p "$d"; fresh_disks "$d"
	local machine="q35,accel=tcg" iommu_dev
	case $mmu in
		intel) machine="$machine,kernel-irqchip=split"; iommu_dev="-device intel-iommu,intremap=on,caching-mode=on" ;;
		virtio) iommu_dev="-device virtio-iommu-pci" ;;
		*) die "unknown iommu $mmu" ;;
	esac
	local events="iommu:map,iommu:unmap,dma:dma_map_page,dma:dma_unmap_page,dma:dma_map_sg,dma:dma_unmap_sg"
	events="$events,dma:dma_map_resource,dma:dma_unmap_resource,dma:dma_alloc,dma:dma_free"
	events="$events,dma:dma_alloc_pages,dma:dma_free_pages,dma:dma_alloc_sgt,dma:dma_free_sgt"
	local append="console=ttyS0 panic=-1 oops=panic loglevel=7 iommu.passthrough=0 iommu.strict=1"
	append="$append intel_iommu=on trace_event=$events trace_buf_size=16M trace_options=nooverwrite"
	append="$append kcheck.kernel=$k kcheck.iommu=$mmu"
	# User-mode networking only, with restrict=on: the guest can reach QEMU's own
	# gateway (ping) and TFTP server and nothing else.
	local net="user,restrict=on,ipv6=off,net=10.0.2.0/24,host=10.0.2.2,tftp=$W/tftp"
	say "boot: $k kernel, $mmu IOMMU (timeout ${TIMEOUT}s, console $d/console.log)"
	# shellcheck disable=SC2086
	local rc=0
	timed "boot-$k-$mmu" timeout -k 10 "$TIMEOUT" qemu-system-x86_64 \
		-machine "$machine" -cpu max -smp "${KCHECK_SMP:-4}" -m 768 -nodefaults -no-reboot \
		-display none -monitor none -serial "file:$d/console.log" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		$iommu_dev \
		-kernel "$kimg" -initrd "$W/initramfs.cpio.gz" -append "$append" \
		-drive if=none,id=dvblk,file="$d/vblk.img",format=raw \
		-device virtio-blk-pci,drive=dvblk,serial=kcheck-data,iommu_platform=on,disable-legacy=on \
		-drive if=none,id=dnvme,file="$d/nvme.img",format=raw \
		-device nvme,drive=dnvme,serial=kcheck-nvme \
		-drive if=none,id=dout,file="$d/out.img",format=raw \
		-device virtio-blk-pci,drive=dout,serial=kcheck-out,iommu_platform=on,disable-legacy=on \
		-netdev "$net,id=nvirt" \
		-device virtio-net-pci,netdev=nvirt,iommu_platform=on,disable-legacy=on,romfile= \
		-netdev "$net,id=ne1k" \
		-device e1000e,netdev=ne1k,romfile= \
		-device edu || rc=$?
	# The guest leaves through isa-debug-exit with 0x31: QEMU exits with (0x31 << 1) | 1.
	[ $rc -eq 99 ] && rc=0
	if [ $rc -ne 0 ]; then
		tail -40 "$d/console.log" || true
		[ $rc -eq 124 ] && die "QEMU run $k/$mmu timed out after ${TIMEOUT}s"
		die "QEMU run $k/$mmu exited with status $rc"
	fi
	mkdir -p "$d/out"
	tar -C "$d/out" -xf "$d/out.img" 2>/dev/null || true
	python3 "$HERE/host/analyze.py" run --kernel "$k" --iommu "$mmu" --dir "$d" \
		--dio "$W/dio-host" --conf "$W/kcheck.conf" || die "checks failed for $k/$mmu (see above)"
}

runs() {
	prepare_work
	initramfs
	local k m ran=()
	for k in $KERNELS; do
		[ -f "$B/images/$k.bzImage" ] || { say "run: no $k kernel built, skipping"; continue; }
		for m in $IOMMUS; do run_one "$k" "$m"; ran+=("$W/run-$k-$m"); done
	done
	[ ${#ran[@]} -gt 0 ] || die "nothing was run"
	python3 "$HERE/host/analyze.py" table "${ran[@]}" | tee -a "$SUMMARY"
	python3 "$HERE/host/analyze.py" dmabench --out "$B/dmabench.md" "${ran[@]}" | tee -a "$SUMMARY"
}

case $MODE in
	deps) deps ;;
	build) deps; extract; builds ;;
	run) runs ;;
	all) deps; extract; builds; runs ;;
	*) die "usage: $0 [all|deps|build|run]" ;;
esac
say "kernel-check: PASS (mode $MODE, $(( $(date +%s) - T0 ))s)"
