# SPDX-License-Identifier: MIT OR GPL-2.0-only
# shellcheck shell=bash
# kernel/overlay.sh: sourced by kernel/check.sh and kernel/patch.sh (needs HERE=kernel/
# and ROOT=the repository root).  overlay_list prints one "SRC DEST" line per file that
# makes the 6.12 tree ours: SRC in this repository, DEST relative to the kernel tree.
overlay_list() { # lines "SRC DEST" of what makes the tree ours
	echo "$HERE/linux/iova.c drivers/iommu/iova.c"
	echo "$HERE/linux/iova.h include/linux/iova.h"
	[ -f "$HERE/linux/iova_kunit.c" ] && echo "$HERE/linux/iova_kunit.c drivers/iommu/iova_kunit.c"
	# libiova's core (included by our iova.c), its kernel environment and the
	# public headers it includes: the kernel copies of overlay_core_stage
	local f
	overlay_core_stage
	for f in "$ROOT/src/env.h" "$ROOT"/src/index/*.[ch] "$ROOT"/src/domain/*.[ch] \
		 "$ROOT"/src/cache/*.[ch] "$ROOT"/src/linux/*.[ch] \
		 "$ROOT/include/iova/iova.h" "$ROOT/include/iova/cache.h" \
		 "$ROOT/include/iova/api.h"; do
		[ -f "$f" ] && echo "$OVERLAY_CORE/${f#"$ROOT"/} drivers/iommu/libiova/${f#"$ROOT"/}"
	done
	echo "$HERE/linux/iova_env.h drivers/iommu/libiova/src/iova_env_kernel.h"
	return 0
}

# The kernel copy of the core (kernel/kernel_types.py): the same source, with the C99
# fixed-width type names spelled the kernel's way (uint64_t -> u64, int32_t -> s32, ...)
# and the continuation lines they shift realigned.  <linux/types.h> defines each of
# those names as the very type it is renamed to, so the compiled code is the same; what
# changes is what a kernel reviewer (and checkpatch) reads.  Every other byte is the
# file userspace builds and tests.  A copy is rewritten only when its content changes,
# so kernel builds stay incremental.
OVERLAY_CORE=${OVERLAY_CORE:-$ROOT/build/kernel-core}
overlay_core_stage() {
	local f out
	for f in "$ROOT/src/env.h" "$ROOT"/src/index/*.[ch] "$ROOT"/src/domain/*.[ch] \
		 "$ROOT"/src/cache/*.[ch] "$ROOT"/src/linux/*.[ch] "$ROOT"/include/iova/*.h; do
		[ -f "$f" ] || continue
		out=$OVERLAY_CORE/${f#"$ROOT"/}
		mkdir -p "$(dirname "$out")"
		python3 "$HERE/kernel_types.py" "$f" > "$out.new"
		if cmp -s "$out.new" "$out"; then rm -f "$out.new"; else mv "$out.new" "$out"; fi
	done
}
