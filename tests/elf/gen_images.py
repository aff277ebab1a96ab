#!/usr/bin/env python3
"""Writes small purpose-made ELF images (no program code: the segment bytes
are a counter pattern) for the elf/ tests and as the fuzzers' seed corpus.

    gen_images.py OUTDIR

Each image exercises one layout rule of docs/elf.md: pages shared by two or
three segments, ET_DYN at a chosen base, .bss past the file bytes, PT_TLS,
PT_INTERP, a section table with __vsyscall. One set per architecture."""
import os
import struct
import sys

# The arch's smallest page above the base page (for the "large" image).
LARGE = {"ia32": 1 << 22, "x86_64": 1 << 21, "aarch32": 1 << 16, "aarch64": 1 << 21, "riscv32": 1 << 22,
         "riscv64": 1 << 21}
ARCHES = {  # name: (class 1/2, e_machine, e_flags, first address)
    "ia32": (1, 3, 0, 0x08048000),
    "x86_64": (2, 62, 0, 0x400000),
    "aarch32": (1, 40, 0x05000400, 0x10000),
    "aarch64": (2, 183, 0, 0x400000),
    "riscv32": (1, 243, 0x5, 0x10000),
    "riscv64": (2, 243, 0x5, 0x10000),
}
PT_LOAD, PT_INTERP, PT_PHDR, PT_TLS, PT_GNU_STACK = 1, 3, 6, 7, 0x6474E551
R, W, X = 4, 2, 1
PAGE = 4096


def pattern(n, seed):
    return bytes(((i * 7 + seed * 13 + (i >> 8)) & 0xFF) | 1 for i in range(n))


def build(cls, machine, eflags, etype, segs, entry, extra_phdrs=(), interp=None, sections=(), reverse=False):
    """segs: list of (flags, vaddr, filesz, memsz). Returns the file bytes."""
    ehsize = 64 if cls == 2 else 52
    phent = 56 if cls == 2 else 32
    phdrs = []
    nph = 1 + len(segs) + len(extra_phdrs) + (1 if interp else 0) + 1  # PHDR, loads, extra, interp, stack
    table_end = ehsize + nph * phent
    body = bytearray(table_end)
    interp_off = 0
    if interp:
        interp_off = len(body)
        body += interp
    placed = []
    for i, (flags, vaddr, filesz, memsz) in enumerate(segs):
        if i == 0 and vaddr % PAGE == 0 and filesz > len(body):
            # The first segment maps the file from offset 0: header and program headers included.
            body += pattern(filesz - len(body), 1)
            placed.append((flags, vaddr, 0, filesz, memsz))
            continue
        off = len(body)
        want = vaddr % PAGE
        if off % PAGE != want:
            off += (want - off) % PAGE
        body += bytes(off - len(body))
        body += pattern(filesz, i + 1)
        placed.append((flags, vaddr, off, filesz, memsz))
    first = min(v for _, v, _, _ in segs)
    first -= first % PAGE
    phdrs.append((PT_PHDR, R, ehsize, first + ehsize, nph * phent, nph * phent, 8))
    if interp:
        phdrs.append((PT_INTERP, R, interp_off, 0, len(interp), len(interp), 1))
    for flags, vaddr, off, filesz, memsz in (placed[::-1] if reverse else placed):
        phdrs.append((PT_LOAD, flags, off, vaddr, filesz, memsz, PAGE))
    for p in extra_phdrs:
        phdrs.append(p)
    phdrs.append((PT_GNU_STACK, R | W, 0, 0, 0, 0, 16))
    # The first segment must hold the header and the program headers.
    shoff = 0
    shnum = 0
    shstrndx = 0
    if sections:
        names = b"\0.shstrtab\0" + b"".join(n.encode() + b"\0" for n, _, _ in sections)
        stroff = len(body)
        body += names
        while len(body) % 8:
            body += b"\0"
        shoff = len(body)
        shent = 64 if cls == 2 else 40
        entries = [(0, 0, 0, 0, 0, 0)]
        entries.append((1, 3, 0, stroff, len(names), 0))
        pos = 11
        for n, addr, size in sections:
            entries.append((pos, 1, addr, 0, size, 2))
            pos += len(n) + 1
        for name, typ, addr, off, size, fl in entries:
            if cls == 2:
                body += struct.pack("<IIQQQQIIQQ", name, typ, fl, addr, off, size, 0, 0, 8, 0)
            else:
                body += struct.pack("<IIIIIIIIII", name, typ, fl, addr, off, size, 0, 0, 4, 0)
        shnum = len(entries)
        shstrndx = 1
        del shent
    ident = b"\x7fELF" + bytes([cls, 1, 1, 0]) + bytes(8)
    if cls == 2:
        hdr = ident + struct.pack("<HHIQQQIHHHHHH", etype, machine, 1, entry, ehsize, shoff, eflags, ehsize, phent,
                                  nph, 64 if shnum else 0, shnum, shstrndx)
    else:
        hdr = ident + struct.pack("<HHIIIIIHHHHHH", etype, machine, 1, entry, ehsize, shoff, eflags, ehsize, phent,
                                  nph, 40 if shnum else 0, shnum, shstrndx)
    body[0:ehsize] = hdr
    pos = ehsize
    for typ, flags, off, vaddr, filesz, memsz, align in phdrs:
        if cls == 2:
            body[pos:pos + phent] = struct.pack("<IIQQQQQQ", typ, flags, off, vaddr, vaddr, filesz, memsz, align)
        else:
            body[pos:pos + phent] = struct.pack("<IIIIIIII", typ, off, vaddr, vaddr, filesz, memsz, flags, align)
        pos += phent
    return bytes(body)


def images(arch):
    cls, machine, eflags, a = ARCHES[arch]
    out = {}
    # The classic layout: header+text RX, rodata R, data RW with .bss.
    segs = [(R | X, a, 0x1800, 0x1800), (R, a + 0x2000, 0x900, 0x900), (R | W, a + 0x3100, 0x300, 0x2400)]
    out["basic"] = build(cls, machine, eflags, 2, segs, a + 0x100,
                         sections=[("__vsyscall", a + 0x2000, 0x10)])
    # text ends and data starts in the same page: one frame, both segments' bytes, union of rights.
    segs = [(R | X, a, 0x1234, 0x1234), (R | W, a + 0x1300, 0x200, 0x1100)]
    out["shared"] = build(cls, machine, eflags, 2, segs, a + 0x100)
    # Three segments touch one page.
    segs = [(R | X, a, 0x1100, 0x1100), (R, a + 0x1200, 0x80, 0x80), (R | W, a + 0x1400, 0x100, 0x200)]
    out["three"] = build(cls, machine, eflags, 2, segs, a + 0x100)
    # A static-PIE-like ET_DYN at 0 with a TLS segment inside the data.
    segs = [(R | X, 0, 0x1800, 0x1800), (R | W, 0x2800, 0x400, 0x1000)]
    tls = (PT_TLS, R, 0, 0x2800, 0x40, 0x80, 16)
    out["dyn"] = build(cls, machine, eflags, 3, segs, 0x200, extra_phdrs=[tls])
    # Large .bss spanning many pages, memsz far past filesz.
    segs = [(R | X, a, 0x1000, 0x1000), (R | W, a + 0x1ff0, 0x20, 0x9000)]
    out["bss"] = build(cls, machine, eflags, 2, segs, a + 0x10)
    # Needs a dynamic linker: refused unless asked.
    segs = [(R | X, a, 0x1000, 0x1000)]
    out["interp"] = build(cls, machine, eflags, 2, segs, a + 0x10, interp=b"/lib/ld-test.so.1\0")
    # PT_LOADs out of order (a warning, not an error).
    segs = [(R | X, a, 0x1000, 0x1000), (R | W, a + 0x3000, 0x100, 0x100)]
    out["unsorted"] = build(cls, machine, eflags, 2, segs, a + 0x10, reverse=True)
    # .bss of 1300 pages: more frames than one window and than a small CNode
    # holds copies for at once (found by the load fuzzer).
    segs = [(R | X, a, 0x1000, 0x1000), (R | W, a + 0x1ff0, 0x20, 0x519000)]
    out["hugebss"] = build(cls, machine, eflags, 2, segs, a + 0x10)
    # ET_DYN whose two segments lie far apart: the loader reserves the pages,
    # never the span (found by the load fuzzer: a probe of the span ran out of memory).
    gap = 0x1000000000 if cls == 2 else 0x40000000
    segs = [(R | X, 0, 0x1100, 0x1100), (R, gap + 0x1200, 0, 0x80)]
    out["sparse"] = build(cls, machine, eflags, 3, segs, 0x100)
    # Data whose pages hold naturally aligned large pages (the first with
    # file bytes, the second zero) and a few base pages: with
    # VS_ELF_LOAD_LARGE_PAGES the loader maps them as such. One 4 MiB page
    # only: without large pages, two would be more frames than the
    # simulated root task's CNode has slots for.
    big = LARGE[arch]
    v = (a + 0x1000 + big - 1) // big * big + big
    segs = [(R | X, a, 0x1000, 0x1000), (R | W, v, 0x100, (1 if big >= 1 << 22 else 2) * big + 0x3000)]
    out["large"] = build(cls, machine, eflags, 2, segs, a + 0x10)
    if arch == "x86_64":
        # Text of 513 full pages: more than one file_frames call maps (512),
        # so a load with the file's own pages crosses a call boundary.
        segs = [(R | X, a, 0x201000, 0x201000), (R | W, a + 0x201100, 0x100, 0x100)]
        out["bigtext"] = build(cls, machine, eflags, 2, segs, a + 0x10)
    return out


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for arch in ARCHES:
        for name, data in images(arch).items():
            with open(os.path.join(outdir, f"{arch}-{name}.elf"), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
