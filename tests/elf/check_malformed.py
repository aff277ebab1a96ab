#!/usr/bin/env python3
"""Makes a malformed image for every validation rule of docs/elf.md from a
real binary (the x86_64 test program the build compiles), then has
elf_tool refuse each: the parse or the load must fail with the rule's own
code and a message, and change no vspace (elf_tool compares the child's
and the root task's vspace and all accounting before and after).

    check_malformed.py ELF_TOOL X86_64_IMAGE IA32_IMAGE OUTDIR"""
import os
import struct
import subprocess
import sys

PAGE = 4096
PT_LOAD, PT_NOTE, PT_INTERP = 1, 4, 3


class Elf64:
    """The fields of an ELF64 little-endian file this script patches."""

    def __init__(self, data):
        self.b = bytearray(data)
        (self.phoff,) = struct.unpack_from("<Q", self.b, 32)
        (self.phnum,) = struct.unpack_from("<H", self.b, 56)

    def ph(self, i):
        return list(struct.unpack_from("<IIQQQQQQ", self.b, self.phoff + 56 * i))

    def set_ph(self, i, v):
        struct.pack_into("<IIQQQQQQ", self.b, self.phoff + 56 * i, *v)

    def loads(self):
        return [i for i in range(self.phnum) if self.ph(i)[0] == PT_LOAD]

    def find(self, t):
        return next(i for i in range(self.phnum) if self.ph(i)[0] == t)


def mutants(base):
    """(code, name, bytes) for every rule."""
    out = []

    def m(code, name, fn):
        e = Elf64(base)
        fn(e)
        out.append((code, name, bytes(e.b)))

    def ph_field(e, i, field, value):
        v = e.ph(i)
        v[field] = value
        e.set_ph(i, v)

    # (p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align) = fields 0..7
    out.append(("VS_ELF_ERR_EMPTY", "empty", b""))
    out.append(("VS_ELF_ERR_TRUNCATED", "header-cut", base[:40]))
    out.append(("VS_ELF_ERR_TRUNCATED", "ident-cut", base[:10]))
    m("VS_ELF_ERR_MAGIC", "magic", lambda e: e.b.__setitem__(1, ord("X")))
    m("VS_ELF_ERR_CLASS", "class-3", lambda e: e.b.__setitem__(4, 3))
    m("VS_ELF_ERR_DATA", "big-endian", lambda e: e.b.__setitem__(5, 2))
    m("VS_ELF_ERR_VERSION", "ident-version", lambda e: e.b.__setitem__(6, 0))
    m("VS_ELF_ERR_VERSION", "e_version", lambda e: struct.pack_into("<I", e.b, 20, 2))
    m("VS_ELF_ERR_TYPE", "et-rel", lambda e: struct.pack_into("<H", e.b, 16, 1))
    m("VS_ELF_ERR_TYPE", "et-core", lambda e: struct.pack_into("<H", e.b, 16, 4))
    m("VS_ELF_ERR_MACHINE", "em-mips", lambda e: struct.pack_into("<H", e.b, 18, 8))
    m("VS_ELF_ERR_MACHINE", "em-386-in-elf64", lambda e: struct.pack_into("<H", e.b, 18, 3))
    m("VS_ELF_ERR_PHENTSIZE", "phentsize-32", lambda e: struct.pack_into("<H", e.b, 54, 32))
    m("VS_ELF_ERR_NO_PHDRS", "phnum-0", lambda e: struct.pack_into("<H", e.b, 56, 0))
    m("VS_ELF_ERR_TOO_MANY_PHDRS", "pn-xnum", lambda e: struct.pack_into("<H", e.b, 56, 0xFFFF))
    m("VS_ELF_ERR_TOO_MANY_PHDRS", "table-over-64k", lambda e: struct.pack_into("<H", e.b, 56, 1200))
    m("VS_ELF_ERR_PHDRS_OUTSIDE", "phoff-past-end", lambda e: struct.pack_into("<Q", e.b, 32, len(e.b) - 10))
    m("VS_ELF_ERR_PHDRS_OUTSIDE", "phoff-huge", lambda e: struct.pack_into("<Q", e.b, 32, 2**64 - 8))

    def no_load(e):
        for i in e.loads():
            ph_field(e, i, 0, PT_NOTE)
    m("VS_ELF_ERR_NO_LOAD", "no-pt-load", no_load)

    def filesz_gt(e):
        i = e.loads()[1]
        ph_field(e, i, 5, e.ph(i)[6] + 1)
    m("VS_ELF_ERR_FILESZ_GT_MEMSZ", "filesz-gt-memsz", filesz_gt)

    def outside(e):
        i = e.loads()[1]
        ph_field(e, i, 5, len(e.b) - e.ph(i)[2] + 1)
        ph_field(e, i, 6, len(e.b) - e.ph(i)[2] + 1)
    m("VS_ELF_ERR_SEGMENT_OUTSIDE", "bytes-past-end", outside)

    def offset_wrap(e):
        i = e.loads()[1]
        ph_field(e, i, 2, 2**64 - PAGE + (e.ph(i)[3] % PAGE))
    m("VS_ELF_ERR_SEGMENT_OUTSIDE", "offset-wraps", offset_wrap)

    def overflow(e):
        i = e.loads()[-1]
        ph_field(e, i, 3, 2**64 - PAGE + (e.ph(i)[2] % PAGE))
        ph_field(e, i, 6, 2 * PAGE)
    m("VS_ELF_ERR_ADDR_OVERFLOW", "vaddr-plus-memsz-wraps", overflow)

    def mismatch(e):
        i = e.loads()[1]
        ph_field(e, i, 3, e.ph(i)[3] + 0x10)
    m("VS_ELF_ERR_OFFSET_MISMATCH", "vaddr-offset-mod-page", mismatch)

    def align(e):
        ph_field(e, e.loads()[1], 7, 0x3000)
    m("VS_ELF_ERR_ALIGN", "align-0x3000", align)

    def overlap(e):
        a, b = e.loads()[0], e.loads()[1]
        ph_field(e, a, 6, e.ph(b)[3] - e.ph(a)[3] + 0x100)
    m("VS_ELF_ERR_SEGMENT_OVERLAP", "loads-overlap", overlap)

    def low(e):
        i = e.loads()[0]
        ph_field(e, i, 3, e.ph(i)[2] % PAGE)
    m("VS_ELF_ERR_USER_RANGE", "page-zero", low)

    def high(e):
        i = e.loads()[-1]
        ph_field(e, i, 3, 0x00007FFFFFFFF000 + (e.ph(i)[2] % PAGE))
    m("VS_ELF_ERR_USER_RANGE", "above-user-top", high)

    m("VS_ELF_ERR_ENTRY", "entry-nowhere", lambda e: struct.pack_into("<Q", e.b, 24, 0x10))

    text = base.find(b"vspace elf test image")

    def interp(off, size):
        def fn(e):
            i = e.find(PT_NOTE)
            ph_field(e, i, 0, PT_INTERP)
            ph_field(e, i, 2, off)
            ph_field(e, i, 5, size)
            ph_field(e, i, 6, size)
        return fn
    m("VS_ELF_ERR_INTERP", "interp-empty", interp(text, 0))
    m("VS_ELF_ERR_INTERP", "interp-past-end", interp(len(base) - 4, 16))
    m("VS_ELF_ERR_INTERP", "interp-unterminated", interp(text, 8))

    def two_strings(e):
        interp(text, 23)(e)
        e.b[text + 6] = 0
        e.b[text + 22] = 0
    m("VS_ELF_ERR_INTERP", "interp-two-strings", two_strings)

    def needs(e):
        interp(text, 23)(e)
        e.b[text + 22] = 0
    m("VS_ELF_ERR_NEEDS_INTERP", "interp-valid", needs)
    return out


PARSER_RULES = ["EMPTY", "TRUNCATED", "MAGIC", "CLASS", "DATA", "VERSION", "TYPE", "MACHINE", "ARCH_MISMATCH",
                "PHENTSIZE", "NO_PHDRS", "TOO_MANY_PHDRS", "PHDRS_OUTSIDE", "NO_LOAD", "FILESZ_GT_MEMSZ",
                "SEGMENT_OUTSIDE", "ADDR_OVERFLOW", "OFFSET_MISMATCH", "ALIGN", "SEGMENT_OVERLAP", "USER_RANGE",
                "ENTRY", "INTERP", "NEEDS_INTERP"]


def main():
    tool, x64, ia32, outdir = sys.argv[1:5]
    os.makedirs(outdir, exist_ok=True)
    base = open(x64, "rb").read()
    cases = mutants(base)
    # A real image of another architecture, loaded into an x86_64 vspace.
    cases.append(("VS_ELF_ERR_ARCH_MISMATCH", "ia32-into-x86_64", open(ia32, "rb").read()))
    bad = 0
    seen = set()
    for code, name, data in cases:
        path = os.path.join(outdir, f"{code}__{name}.elf")
        with open(path, "wb") as f:
            f.write(data)
        p = subprocess.run([tool, "refuse", code, path], capture_output=True, text=True)
        if p.returncode != 0:
            print(f"FAIL {name}: {p.stdout.strip()} {p.stderr.strip()}")
            bad += 1
        else:
            print(f"ok   {name}: {p.stdout.strip().split(chr(9), 1)[1]}")
            seen.add(code)
    missing = [r for r in PARSER_RULES if "VS_ELF_ERR_" + r not in seen]
    if missing:
        print(f"FAIL rules without a refused image: {missing}")
        bad += 1
    print(f"{len(cases)} malformed images, {bad} failures")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
