# SPDX-License-Identifier: MIT OR GPL-2.0-only
# shellcheck shell=bash
# kernel/overlay.sh: sourced by kernel/check.sh and kernel/patch.sh (needs HERE=kernel/
# and ROOT=the repository root).  overlay_list prints one "SRC DEST" line per file that
# makes the 6.12 tree ours: SRC in this repository, DEST relative to the kernel tree.
overlay_list() { # lines "SRC DEST" of what makes the tree ours
	echo "$HERE/linux/iova.c drivers/iommu/iova.c"
	echo "$HERE/linux/iova.h include/linux/iova.h"
	[ -f "$HERE/linux/iova_kunit.c" ] && echo "$HERE/linux/iova_kunit.c drivers/iommu/iova_kunit.c"
	# libiova's core, compiled unchanged (included by our iova.c), its kernel
	# environment and the public headers it includes
	local f
	for f in "$ROOT/src/env.h" "$ROOT"/src/index/*.[ch] "$ROOT"/src/domain/*.[ch] \
		 "$ROOT"/src/cache/*.[ch] "$ROOT"/src/linux/*.[ch] \
		 "$ROOT/include/iova/iova.h" "$ROOT/include/iova/cache.h" \
		 "$ROOT/include/iova/api.h"; do
		[ -f "$f" ] && echo "$f drivers/iommu/libiova/${f#"$ROOT"/}"
	done
	echo "$HERE/linux/iova_env.h drivers/iommu/libiova/src/iova_env_kernel.h"
	return 0
}
