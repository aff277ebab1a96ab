#!/usr/bin/env python3
"""Loads ELF images on the simulator with elf_tool and checks every page
read back through the simulated MMU against what pyelftools' reading of the
file says (elfcheck.py): the same pages, the file's bytes at p_vaddr for
p_filesz bytes and zero everywhere else, the union of the rights of the
segments touching each page, one reservation per region with its name.

    check_load.py ELF_TOOL [--static-from DIR]... [--min N] [--large-pages] FILE...

--static-from DIR adds every static executable / static-PIE (no
PT_INTERP) found in DIR; --min N fails unless at least N images loaded.
Every page must be mapped by a base page, or with --large-pages (the
loader's VS_ELF_LOAD_LARGE_PAGES) by the largest page of the architecture
that lies naturally aligned inside its region, as both the shadow tables
and the MMU say."""
import argparse
import os
import subprocess
import sys
import tempfile

from elftools.common.exceptions import ELFError

import elfcheck

MACHINES_WITH_NX = {"EM_X86_64", "EM_AARCH64", "EM_ARM", "EM_RISCV"}

# log2 of the page sizes seL4 maps, from the architecture manuals: IA-32
# without PAE (4 KiB, 4 MiB with PSE), x86-64 / AArch64 4 KiB granule /
# RISC-V Sv39 (4 KiB, 2 MiB, 1 GiB), ARMv7 short descriptors (small 4 KiB,
# large 64 KiB, section 1 MiB, supersection 16 MiB), RISC-V Sv32 (4 KiB,
# 4 MiB megapage).
PAGE_SIZES = {("EM_386", 32): [12, 22], ("EM_X86_64", 64): [12, 21, 30], ("EM_AARCH64", 64): [12, 21, 30],
              ("EM_ARM", 32): [12, 16, 20, 24], ("EM_RISCV", 32): [12, 22], ("EM_RISCV", 64): [12, 21, 30]}


def expected_sizes(exp, large):
    """Base page -> log2 of the page that must map it: the largest that is
    aligned and inside the region at each step, from the region's start."""
    sizes = PAGE_SIZES[(exp["machine"], exp["class"])] if large else [12]
    want = {}
    for start, end, _, _ in exp["regions"]:
        at = start
        while at < end:
            bits = max(b for b in sizes if at % (1 << b) == 0 and at + (1 << b) <= end)
            for p in range(at, at + (1 << bits), elfcheck.PAGE):
                want[p] = bits
            at += 1 << bits
    return want


def static_in(d):
    out = []
    for name in sorted(os.listdir(d)):
        path = os.path.join(d, name)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        try:
            with open(path, "rb") as f:
                if f.read(4) != b"\x7fELF":
                    continue
            hdr, segs, interp, _ = elfcheck.read_image(path)
        except (ELFError, OSError, ValueError, KeyError):
            continue
        if interp is None and hdr["e_type"] in ("ET_EXEC", "ET_DYN") and \
                any(s["p_type"] == "PT_LOAD" for s in segs):
            out.append(path)
    return out


def check_one(path, txt, binf, large):
    exp = elfcheck.expected_load(path)
    errors = []
    lines = open(txt).read().split("\n")
    vals = {}
    res = []
    pages = []
    for ln in lines:
        f = ln.split()
        if not f:
            continue
        if f[0] in ("base", "entry", "phdr"):
            vals[f[0]] = int(f[1], 16)
        elif f[0] == "res":
            res.append((int(f[1], 16), int(f[2], 16), int(f[3]), " ".join(f[4:])))
        elif f[0] == "page":
            pages.append((int(f[1], 16), int(f[2]), f[3], int(f[4]), int(f[5])))
    for k in ("base", "entry", "phdr"):
        if vals.get(k) != exp[k]:
            errors.append(f"{k} {vals.get(k, 0):#x}, expected {exp[k]:#x}")
    if res != exp["regions"]:
        errors.append(f"reservations {[(hex(a), hex(b), r, n) for a, b, r, n in res]}, expected "
                      f"{[(hex(a), hex(b), r, n) for a, b, r, n in exp['regions']]}")
    got = {v for v, _, _, _, _ in pages}
    want = set(exp["pages"])
    if got != want:
        errors.append(f"{len(got - want)} pages mapped that should not be, {len(want - got)} missing "
                      f"(e.g. {[hex(x) for x in sorted(got ^ want)[:4]]})")
    with open(binf, "rb") as f:
        want_size = expected_sizes(exp, large)
        for vaddr, book_rights, mmu, shadow_bits, mmu_bits in pages:
            if shadow_bits != want_size.get(vaddr) or mmu_bits != want_size.get(vaddr):
                errors.append(f"page {vaddr:#x}: mapped by a page of 2^{shadow_bits} bytes (shadow) / "
                              f"2^{mmu_bits} (MMU), expected 2^{want_size.get(vaddr)}")
            data = f.read(elfcheck.PAGE)
            if vaddr not in exp["pages"]:
                continue
            want_bytes, want_rights = exp["pages"][vaddr]
            if data != want_bytes:
                diff = next(i for i in range(elfcheck.PAGE) if data[i] != want_bytes[i])
                errors.append(f"page {vaddr:#x}: byte {diff:#x} is {data[diff]:#04x}, expected {want_bytes[diff]:#04x}")
            if book_rights != want_rights:
                errors.append(f"page {vaddr:#x}: reservation rights {book_rights}, expected {want_rights}")
            r, w, x = (c == "1" for c in mmu)
            if not r or w != bool(want_rights & elfcheck.R_WRITE) or \
                    (want_rights & elfcheck.R_EXEC and not x) or \
                    (exp["machine"] in MACHINES_WITH_NX and x and not want_rights & elfcheck.R_EXEC and
                     exp["machine"] != "EM_X86_64"):
                errors.append(f"page {vaddr:#x}: MMU rights r{r:d}w{w:d}x{x:d}, expected rights {want_rights}")
    return errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tool")
    ap.add_argument("--static-from", action="append", default=[])
    ap.add_argument("--min", type=int, default=1)
    ap.add_argument("--large-pages", action="store_true")
    ap.add_argument("files", nargs="*")
    a = ap.parse_intermixed_args()
    files = list(a.files)
    for d in a.static_from:
        if os.path.isdir(d):
            files += [p for p in static_in(d) if os.path.realpath(p) not in map(os.path.realpath, files)]
    seen = set()
    files = [p for p in files if not (os.path.realpath(p) in seen or seen.add(os.path.realpath(p)))]
    bad = 0
    loaded = 0
    with tempfile.TemporaryDirectory() as tmp:
        flag = ["--large-pages"] if a.large_pages else []
        proc = subprocess.run([a.tool, "load"] + flag + [tmp] + files, capture_output=True, text=True)
        sys.stderr.write(proc.stderr)
        for ln in proc.stdout.splitlines():
            f = ln.split("\t")
            if f[1] != "OK":
                print(f"FAIL {f[0]}: load refused: {' '.join(f[2:])}")
                bad += 1
                continue
            errs = check_one(f[0], os.path.join(tmp, f[2] + ".txt"), os.path.join(tmp, f[2] + ".bin"), a.large_pages)
            for e in errs[:10]:
                print(f"FAIL {f[0]} ({f[3]}): {e}")
            bad += bool(errs)
            loaded += 1
            if not errs:
                print(f"ok   {f[0]} ({f[3]})")
        if proc.returncode != 0:
            print(f"FAIL elf_tool exited with {proc.returncode}")
            bad += 1
    print(f"{loaded} images loaded and read back, {bad} failures")
    if loaded < a.min:
        print(f"FAIL fewer than {a.min} images loaded")
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
