#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR GPL-2.0-only
"""Host-side checks of one kernel-check QEMU run, and the stock-vs-ours table.

  analyze.py run --kernel K --iommu M --dir RUNDIR --dio DIO --conf CONF
  analyze.py table RUNDIR...
  analyze.py dmabench [--out FILE] RUNDIR...

`dmabench` prints (and writes to FILE) the kernel's own dma_map_benchmark results of the
runs, stock vs ours.  `run` reads RUNDIR/console.log and the guest's result tar extracted in RUNDIR/out/, checks
everything, prints what it found, writes RUNDIR/summary.json, and exits 1 on any failure.
"""
import bisect
import json
import os
import re
import subprocess
import sys

PAGE = 4096

# ------------------------------------------------------------------ console log
BAD_CONSOLE = [
    (re.compile(r"WARNING:"), "kernel WARN"),
    (re.compile(r"\bBUG[: ]"), "kernel BUG"),
    (re.compile(r"Oops"), "kernel Oops"),
    (re.compile(r"Call Trace"), "kernel Call Trace"),
    (re.compile(r"Kernel panic"), "kernel panic"),
    (re.compile(r"general protection fault"), "general protection fault"),
    (re.compile(r"DMAR: \[DMA (Read|Write)"), "Intel IOMMU DMA fault"),
    (re.compile(r"DMAR: DRHD: handling fault"), "Intel IOMMU DMA fault"),
    (re.compile(r"fault from EP"), "virtio-iommu DMA fault"),
    (re.compile(r"UBSAN|KASAN|kmemleak"), "sanitizer report"),
]

KTAP_SUBTEST = re.compile(r"#\s*Subtest:\s*(\S+)")
KTAP_RESULT = re.compile(r"^\s*(not ok|ok)\s+(\d+)\s+(\S+)(.*)$")


def strip_console(line):
    # drop the "[    1.234567] " printk time stamp
    return re.sub(r"^\[\s*[\d.]+\]\s?", "", line.rstrip("\r\n"))


def check_console(path, want_kunit, fails, info):
    try:
        text = open(path, errors="replace").read()
    except OSError:
        fails.append("no console log")
        return
    lines = [strip_console(l) for l in text.splitlines()]
    for l in lines:
        for rx, what in BAD_CONSOLE:
            if rx.search(l):
                fails.append("console: %s: %s" % (what, l.strip()[:160]))
                break
    if not any("KCHECK-DONE" in l for l in lines):
        fails.append("console: the guest never reached the end of its workload (no KCHECK-DONE)")
    verdict = [l for l in lines if "KCHECK-GUEST:" in l]
    if not verdict:
        fails.append("console: no guest verdict")
    elif "PASS" not in verdict[-1]:
        fails.append("console: guest says %s" % verdict[-1].strip())
    # KUnit TAP
    suites, ok, notok = [], 0, []
    for l in lines:
        m = KTAP_SUBTEST.search(l)
        if m:
            suites.append(m.group(1))
            continue
        m = KTAP_RESULT.match(l)
        if m and ("KTAP" in text or "TAP version" in text):
            if m.group(1) == "ok":
                ok += 1
            else:
                notok.append("%s %s" % (m.group(3), m.group(4).strip()))
    # the iova_paths suite's timings (both kernels)
    paths = {}
    for l in lines:
        m = re.search(r"iova_paths: (first32|pair32|fail32) (\d+) ns", l)
        if m:
            paths[m.group(1)] = int(m.group(2))
    if paths:
        info["paths"] = paths
        print("  paths (ns): " + ", ".join("%s=%d" % kv for kv in sorted(paths.items())))
    info["kunit_suites"] = suites
    info["kunit_ok"] = ok
    info["kunit_not_ok"] = len(notok)
    for n in notok:
        fails.append("kunit: not ok: %s" % n)
    if want_kunit and ("libiova" not in suites or ok == 0):
        fails.append("kunit: expected the 'libiova' KUnit suite to run, found %s"
                     % (",".join(suites) or "no suite"))
    print("  console: %d lines; KUnit: %d suite(s) %s, %d ok, %d not ok"
          % (len(lines), len(suites), ",".join(suites) or "-", ok, len(notok)))


# ------------------------------------------------------------------ guest results
def read(path, default=""):
    try:
        return open(path, errors="replace").read()
    except OSError:
        return default


def check_results(d, dio, conf, fails, info):
    out = os.path.join(d, "out")
    results = read(os.path.join(out, "results.txt"))
    if not results:
        fails.append("no results from the guest (result disk empty)")
        return {}
    gfails = read(os.path.join(out, "fails.txt")).strip()
    if gfails and gfails != "none":
        for l in read(os.path.join(out, "log.txt")).splitlines():
            if l.startswith("FAIL:"):
                fails.append("guest: " + l[5:].strip())
    groups, dev_group, wrote, times, nets = {}, {}, [], {}, []
    for l in results.splitlines():
        f = l.split()
        if not f:
            continue
        if f[0] == "group":
            groups[f[1]] = (f[2], f[3:])
        elif f[0] == "pci":
            g = [x for x in f if x.startswith("group=")]
            if g and g[0] != "group=none":
                dev_group[f[1]] = g[0][6:]
        elif f[0] == "wrote":
            wrote.append(f[1:])
        elif f[0] == "time":
            times[f[1]] = float(f[2])
        elif f[0] == "net":
            nets.append(f[1:])
        elif f[0] == "cpuhp":
            info["cpuhp"] = " ".join(f[1:])
            print("  cpu hotplug: %s" % info["cpuhp"])
    info["groups"] = {g: v[0] for g, v in groups.items()}
    info["times"] = times
    bad = [g for g, v in groups.items() if v[0] != "DMA"]
    if bad:
        fails.append("IOMMU groups not translated DMA domains: %s" % bad)
    print("  groups: %d, all of type %s" % (len(groups), sorted({v[0] for v in groups.values()})))
    # host-side verification of what the guest wrote with O_DIRECT
    nbs = len(conf["BLOCK_SIZES"].split())
    for kind in ("vd", "nvme"):
        n = len([w for w in wrote if w[0].startswith(kind)])
        if n != nbs:
            fails.append("guest wrote %d regions on %s disk, expected %d" % (n, kind, nbs))
    verified = 0
    for dev, off, ln, bs, seed in wrote:
        img = os.path.join(d, "nvme.img" if dev.startswith("nvme") else "vblk.img")
        r = subprocess.run([dio, "verify", "-b", img, off, ln, "65536", seed],
                           capture_output=True, text=True)
        if r.returncode != 0:
            fails.append("host verify of %s offset %s (written with bs=%s): %s"
                         % (dev, off, bs, (r.stderr or r.stdout).strip().splitlines()[:2]))
        else:
            verified += int(ln)
    info["host_verified_bytes"] = verified
    print("  data: host verified %.1f MiB written by the guest; guest verified its reads (%s)"
          % (verified / 1048576.0, "ok" if not gfails or gfails == "none" else gfails))
    if len(nets) < 2:
        fails.append("expected 2 network interfaces (virtio-net, e1000e), saw %d" % len(nets))
    print("  net: " + ", ".join("%s(%s)" % (n[0], n[1]) for n in nets))
    return dev_group


# ------------------------------------------------------------------ trace
TRACE_LINE = re.compile(r"\[(\d+)\]\s.*?\s(\d+\.\d+):\s+(\w+):\s+(.*)$")
RX_MAP = re.compile(r"IOMMU: iova=0x([0-9a-f]+) - 0x([0-9a-f]+) paddr=0x([0-9a-f]+) size=(\d+)")
RX_UNMAP = re.compile(r"IOMMU: iova=0x([0-9a-f]+) - 0x([0-9a-f]+) size=(\d+) unmapped_size=(\d+)")
RX_KV = re.compile(r"(\w+)=(\{[^}]*\}|\S+)")


def arr(s):
    s = s.strip("{}")
    return [int(x, 0) for x in s.split(",") if x]


class Space:
    """Live DMA ranges of one IOMMU domain, page-rounded, kept sorted and disjoint."""

    def __init__(self):
        self.starts, self.items = [], []  # items: (start, end_excl, owner)

    def add(self, lo, hi, owner):
        i = bisect.bisect_left(self.starts, lo)
        clash = None
        for j in (i - 1, i):
            if 0 <= j < len(self.items):
                s, e, o = self.items[j]
                if s < hi and lo < e and o != owner:
                    clash = (s, e, o)
        self.starts.insert(i, lo)
        self.items.insert(i, (lo, hi, owner))
        return clash

    def remove(self, lo, owner):
        i = bisect.bisect_left(self.starts, lo)
        while i < len(self.items) and self.items[i][0] == lo:
            if self.items[i][2] == owner:
                del self.starts[i]
                del self.items[i]
                return True
            i += 1
        return False


def check_trace(d, dev_group, fails, info):
    out = os.path.join(d, "out")
    stats = read(os.path.join(out, "trace-stats.txt"))
    lost = 0
    for l in stats.splitlines():
        m = re.match(r"(overrun|dropped events):\s*(\d+)", l.strip())
        if m:
            lost += int(m.group(2))
    if lost:
        fails.append("trace lost %d events (buffer too small): overlap check incomplete" % lost)
    path = os.path.join(out, "trace.txt")
    if not os.path.exists(path):
        fails.append("no trace dumped by the guest")
        return
    maps = unmaps = 0
    lo_iova, hi_iova = None, None
    live_bytes = peak_bytes = 0
    spaces = {}
    live = {}            # (dev, key) -> list of (group, lo, owner)
    owner_seq = 0
    nlive = peak_live = 0
    dma_events = unmatched = 0
    # Unmaps printed before their own map: two CPUs can stamp a map and its
    # unmap with the same trace-clock value, and the merged trace may then
    # list the unmap first.  key -> timestamps of such unmaps.
    pending = {}
    overlaps = []
    dlo = dhi = None     # lowest/highest IOVA handed to a device (dma:* events)
    for line in open(path, errors="replace"):
        m = TRACE_LINE.search(line)
        if not m:
            continue
        ev, rest = m.group(3), m.group(4)
        if ev == "map":
            mm = RX_MAP.search(rest)
            if not mm:
                continue
            a, b = int(mm.group(1), 16), int(mm.group(2), 16)
            maps += 1
            lo_iova = a if lo_iova is None else min(lo_iova, a)
            hi_iova = b - 1 if hi_iova is None else max(hi_iova, b - 1)
            live_bytes += int(mm.group(4))
            peak_bytes = max(peak_bytes, live_bytes)
            continue
        if ev == "unmap":
            mm = RX_UNMAP.search(rest)
            if mm:
                unmaps += 1
                live_bytes -= int(mm.group(4))
            continue
        if not ev.startswith("dma_"):
            continue
        dma_events += 1
        dev = rest.split()[0]
        kv = dict(RX_KV.findall(rest))
        grp = dev_group.get(dev, "dev:" + dev)
        adds, key = [], None
        if ev in ("dma_map_page", "dma_map_resource", "dma_alloc", "dma_alloc_pages", "dma_alloc_sgt"):
            addr, size = int(kv.get("dma_addr", "0"), 16), int(kv.get("size", "0"))
            if addr == 0xffffffffffffffff or (addr == 0 and ev != "dma_map_page"):
                continue  # failed mapping or allocation
            key = (dev, "a", addr)
            adds = [(addr, size)]
        elif ev == "dma_map_sg":
            addrs, sizes = arr(kv.get("dma_addrs", "{}")), arr(kv.get("sizes", "{}"))
            key = (dev, "sg", tuple(arr(kv.get("phys_addrs", "{}"))[:128]))
            adds = list(zip(addrs, sizes))
        elif ev in ("dma_unmap_page", "dma_unmap_resource", "dma_free", "dma_free_pages", "dma_free_sgt"):
            key = (dev, "a", int(kv.get("dma_addr", "0"), 16))
        elif ev == "dma_unmap_sg":
            key = (dev, "sg", tuple(arr(kv.get("phys_addrs", "{}"))[:128]))
        else:
            continue
        if adds:
            pend = pending.get(key)
            if pend and m.group(2) in pend:
                # Same key, same timestamp: the true order was map, unmap.
                pend.remove(m.group(2))
                if not pend:
                    del pending[key]
                unmatched -= 1
                continue
            owner_seq += 1
            sp = spaces.setdefault(grp, Space())
            recs = []
            for addr, size in adds:
                dlo = addr if dlo is None else min(dlo, addr)
                dhi = addr + size - 1 if dhi is None else max(dhi, addr + size - 1)
                plo = addr & ~(PAGE - 1)
                phi = (addr + max(size, 1) + PAGE - 1) & ~(PAGE - 1)
                clash = sp.add(plo, phi, owner_seq)
                recs.append((grp, plo, owner_seq))
                if clash and len(overlaps) < 10:
                    overlaps.append("%s: %s [0x%x,0x%x) overlaps live [0x%x,0x%x) in group %s"
                                    % (m.group(2), ev, plo, phi, clash[0], clash[1], grp))
                elif clash:
                    overlaps.append(None)
            live.setdefault(key, []).append(recs)
            nlive += 1
            peak_live = max(peak_live, nlive)
        else:
            lst = live.get(key)
            if not lst:
                unmatched += 1
                pending.setdefault(key, []).append(m.group(2))
                continue
            recs = lst.pop(0)
            if not lst:
                del live[key]
            for grp2, plo, own in recs:
                spaces[grp2].remove(plo, own)
            nlive -= 1
    info.update(maps=maps, unmaps=unmaps, lowest_iova=dlo, highest_iova=dhi,
                lowest_mapped=lo_iova, highest_mapped=hi_iova,
                peak_live_mappings=peak_live, peak_live_bytes=peak_bytes,
                dma_events=dma_events, unmatched_unmaps=unmatched, overlaps=len(overlaps))
    if maps == 0:
        fails.append("trace: no iommu:map events at all")
    if dma_events == 0:
        fails.append("trace: no dma:* events at all")
    if overlaps:
        fails.append("trace: %d IOVA range(s) mapped twice while live" % len(overlaps))
        for o in overlaps:
            if o:
                print("    " + o)
    print("  trace: %d iommu:map, %d iommu:unmap, %d dma:* events, device IOVAs 0x%x..0x%x, peak %d"
          " live mappings (%.1f MiB mapped), %d unmatched unmaps, %d double-mapped"
          % (maps, unmaps, dma_events, dlo or 0, dhi or 0, peak_live,
             peak_bytes / 1048576.0, unmatched, len(overlaps)))


def parse_counters(text):
    counters = {}
    for l in text.splitlines():
        m = re.match(r"\s*([a-z_0-9]+)\s*[:=]\s*(\d+)\s*$", l)
        if m:
            counters[m.group(1)] = counters.get(m.group(1), 0) + int(m.group(2))
    return counters


def check_debugfs(d, kernel, fails, info):
    total = parse_counters(read(os.path.join(d, "out", "iova-debugfs.txt")))
    before = parse_counters(read(os.path.join(d, "out", "iova-debugfs-before.txt")))
    # the workload's own traffic: boot-time and KUnit activity subtracted
    counters = {k: v - before.get(k, 0) for k, v in total.items()}
    info["debugfs_total"] = total
    info["debugfs"] = counters
    if kernel != "ours":
        return
    if not counters:
        fails.append("debugfs: no libiova counters found in /sys/kernel/debug/iova")
        return
    if not any(v for k, v in counters.items() if k.startswith("alloc")):
        fails.append("debugfs: allocation counters are all zero")
    if info.get("cpuhp") and not counters.get("cpu_dead_flushes"):
        fails.append("debugfs: a CPU went offline but no domain gave its magazines back")
    for k in ("bad_frees", "misuse"):
        if counters.get(k):
            fails.append("debugfs: %s went up by %d during the workload" % (k, counters[k]))
    hits, misses = counters.get("cache_hits", 0), counters.get("cache_misses", 0)
    if hits + misses:
        info["cache_hit_rate"] = hits / float(hits + misses)
    print("  debugfs (workload only): " + ", ".join("%s=%d" % kv for kv in sorted(counters.items())))


# ------------------------------------------------------------------ dma_map_benchmark
# The tool prints "average map latency(us):X standard deviation:Y" and the same for unmap;
# the kernel measures in 100 ns units (struct map_benchmark's avg_map_100ns), the tool
# divides by 10, so X and Y have one decimal and a 0.1 us step.
RX_DB_RUN = re.compile(r"^run threads=(\d+) granule=(\d+) seconds=(\d+) (.*)$")
RX_DB_LAT = re.compile(r"average (map|unmap) latency\(us\):\s*([\d.]+)\s+standard deviation:\s*([\d.]+)")


def check_dmabench(d, conf, fails, info):
    text = read(os.path.join(d, "out", "dmabench.txt"))
    want = conf.get("DMABENCH", "").split()
    if not want:
        return
    if not text:
        fails.append("dmabench: no results from the guest")
        return
    res = {}
    for l in text.splitlines():
        if l.startswith("device "):
            info["dmabench_device"] = l[7:]
            continue
        m = RX_DB_RUN.match(l)
        if not m:
            continue
        lat = {k: (float(a), float(b)) for k, a, b in RX_DB_LAT.findall(m.group(4))}
        key = "%s:%s" % (m.group(1), m.group(2))
        if "map" not in lat or "unmap" not in lat:
            fails.append("dmabench: threads %s granule %s: no latencies in '%s'"
                         % (m.group(1), m.group(2), m.group(4)[:160]))
            continue
        res[key] = {"map": lat["map"][0], "map_sd": lat["map"][1],
                    "unmap": lat["unmap"][0], "unmap_sd": lat["unmap"][1],
                    "seconds": int(m.group(3))}
    missing = [k for k in want if k not in res]
    if missing:
        fails.append("dmabench: no result for THREADS:GRANULE %s" % " ".join(missing))
    info["dmabench"] = res
    print("  dmabench (%s): %s" % (info.get("dmabench_device", "?"),
          ", ".join("t%s/g%s map %.1f unmap %.1f us" % (tuple(k.split(":")) + (v["map"], v["unmap"]))
                    for k, v in sorted(res.items(), key=lambda kv: tuple(map(int, kv[0].split(":")))))))


def cmd_dmabench(argv):
    out = None
    if len(argv) >= 2 and argv[0] == "--out":
        out, argv = argv[1], argv[2:]
    runs = {}
    for d in argv:
        try:
            r = json.load(open(os.path.join(d, "summary.json")))
        except OSError:
            continue
        runs[(r["kernel"], r["iommu"])] = r.get("dmabench", {})
    mmus = [m for m in ("intel", "virtio") if any(k[1] == m for k in runs)]
    mmus += sorted({k[1] for k in runs} - set(mmus))

    def cell(v, k):
        return "%.1f ± %.1f" % (v[k], v[k + "_sd"]) if v else "-"

    def ratio(a, b, k):
        if not a or not b:
            return "-"
        if b[k] == 0:
            return "inf" if a[k] else "-"
        return "%.2fx" % (a[k] / b[k])
    lines = ["dma_map_benchmark (kernel/dma/map_benchmark.c): average latency ± standard deviation",
             "in us (the kernel's 100 ns units), strict mode, 32-bit mask, on QEMU's edu device;",
             "stock/ours > 1 means ours is faster.  Under TCG the absolute times are emulation-bound:",
             "read the ratios.",
             "",
             "| IOMMU | threads | pages | map stock | map ours | map stock/ours "
             "| unmap stock | unmap ours | unmap stock/ours |",
             "|---|---|---|---|---|---|---|---|---|"]
    keys = set()
    for v in runs.values():
        keys |= set(v)
    keys = sorted(keys, key=lambda k: tuple(int(x) for x in k.split(":")))
    for m in mmus:
        st, ou = runs.get(("stock", m), {}), runs.get(("ours", m), {})
        for k in keys:
            a, b = st.get(k), ou.get(k)
            t, g = k.split(":")
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |"
                         % (m, t, g, cell(a, "map"), cell(b, "map"), ratio(a, b, "map"),
                            cell(a, "unmap"), cell(b, "unmap"), ratio(a, b, "unmap")))
    text = "\n".join(lines) + "\n"
    print()
    print(text, end="")
    if out:
        with open(out, "w") as f:
            f.write(text)
        print("(written to %s)" % out)
    return 0


def parse_conf(path):
    conf = {}
    for l in open(path):
        if "=" in l:
            k, v = l.strip().split("=", 1)
            conf[k] = v.strip('"')
    return conf


def cmd_run(argv):
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--iommu", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--dio", required=True)
    ap.add_argument("--conf", required=True)
    a = ap.parse_args(argv)
    fails, info = [], {"kernel": a.kernel, "iommu": a.iommu}
    print("checks for %s kernel, %s IOMMU:" % (a.kernel, a.iommu))
    check_console(os.path.join(a.dir, "console.log"), a.kernel == "ours", fails, info)
    dev_group = check_results(a.dir, a.dio, parse_conf(a.conf), fails, info)
    check_trace(a.dir, dev_group, fails, info)
    check_debugfs(a.dir, a.kernel, fails, info)
    check_dmabench(a.dir, parse_conf(a.conf), fails, info)
    info["fails"] = fails
    with open(os.path.join(a.dir, "summary.json"), "w") as f:
        json.dump(info, f, indent=1)
    for x in fails:
        print("  FAIL: " + x)
    print("  => %s/%s: %s" % (a.kernel, a.iommu, "PASS" if not fails else "FAIL (%d)" % len(fails)))
    return 1 if fails else 0


def cmd_table(dirs):
    runs = []
    for d in dirs:
        try:
            runs.append(json.load(open(os.path.join(d, "summary.json"))))
        except OSError:
            pass
    def hx(v):
        return "-" if v is None else "0x%x" % v
    rows = [
        ("run", lambda r: "%s/%s" % (r["kernel"], r["iommu"])),
        ("workload time (s)", lambda r: "%.2f" % r.get("times", {}).get("workload", 0)),
        ("  block I/O (s)", lambda r: "%.2f" % r.get("times", {}).get("block", 0)),
        ("  network (s)", lambda r: "%.2f" % r.get("times", {}).get("net", 0)),
        ("dma_map_benchmark (s)", lambda r: "%.2f" % r.get("times", {}).get("dmabench", 0)),
        ("iommu maps", lambda r: str(r.get("maps", "-"))),
        ("iommu unmaps", lambda r: str(r.get("unmaps", "-"))),
        ("lowest DMA IOVA", lambda r: hx(r.get("lowest_iova"))),
        ("highest DMA IOVA", lambda r: hx(r.get("highest_iova"))),
        ("peak live mappings", lambda r: str(r.get("peak_live_mappings", "-"))),
        ("peak live MiB", lambda r: "%.2f" % (r.get("peak_live_bytes", 0) / 1048576.0)),
        ("cache hit rate", lambda r: "%.1f%%" % (100 * r["cache_hit_rate"]) if "cache_hit_rate" in r else "-"),
        ("KUnit ok / not ok", lambda r: "%d / %d" % (r.get("kunit_ok", 0), r.get("kunit_not_ok", 0))),
        ("first 32-bit alloc (ns)", lambda r: str(r.get("paths", {}).get("first32", "-"))),
        ("32-bit alloc+free (ns)", lambda r: str(r.get("paths", {}).get("pair32", "-"))),
        ("failing 32-bit alloc (ns)", lambda r: str(r.get("paths", {}).get("fail32", "-"))),
        ("IOVA double-mapped", lambda r: str(r.get("overlaps", "-"))),
        ("result", lambda r: "PASS" if not r.get("fails") else "FAIL"),
    ]
    w0 = max(len(n) for n, _ in rows)
    cells = [[f(r) for r in runs] for _, f in rows]
    ws = [max(len(c[i]) for c in cells) for i in range(len(runs))]
    print()
    for (name, _), c in zip(rows, cells):
        print("%-*s  %s" % (w0, name, "  ".join("%*s" % (w, x) for w, x in zip(ws, c))))
    # stock / ours for each timed path, per IOMMU (the iova_paths KUnit suite)
    by = {(r["kernel"], r["iommu"]): r.get("paths", {}) for r in runs}
    for mmu in sorted({r["iommu"] for r in runs}):
        st, ou = by.get(("stock", mmu), {}), by.get(("ours", mmu), {})
        ratios = ["%s %.1fx" % (k, st[k] / float(ou[k]))
                  for k in ("first32", "pair32", "fail32") if st.get(k) and ou.get(k)]
        if ratios:
            print("stock / ours (%s): %s" % (mmu, ", ".join(ratios)))
    return 1 if any(r.get("fails") for r in runs) else 0


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "run":
        sys.exit(cmd_run(sys.argv[2:]))
    if len(sys.argv) >= 2 and sys.argv[1] == "dmabench":
        sys.exit(cmd_dmabench(sys.argv[2:]))
    if len(sys.argv) >= 2 and sys.argv[1] == "table":
        sys.exit(cmd_table(sys.argv[2:]))
    print(__doc__)
    sys.exit(2)
