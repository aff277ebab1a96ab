#!/usr/bin/env python3
"""Parses every ELF file under the given directories with elf_tool and
compares each field with pyelftools' reading of the same file: the ELF
header, every program header, PT_INTERP. Files vspace refuses must be
refused for a reason pyelftools confirms (a type other than EXEC/DYN, a
machine not among the six).

    check_parse.py ELF_TOOL [--dir D]... [--lib D --lib-min N] [--min N]"""
import argparse
import os
import subprocess
import sys

from elftools.common.exceptions import ELFError
from elftools.elf import enums
from elftools.elf.elffile import ELFFile

OURS = {"EM_386": 3, "EM_X86_64": 62, "EM_ARM": 40, "EM_AARCH64": 183, "EM_RISCV": 243}
TYPES = {"ET_EXEC": 2, "ET_DYN": 3}
# Machines in a class they do not come in on the six architectures (x32 is EM_X86_64 in ELF32).
CLASS_MISMATCH = {(1, "EM_X86_64"), (1, "EM_AARCH64"), (2, "EM_386"), (2, "EM_ARM")}
P_TYPE_DICTS = [getattr(enums, n) for n in dir(enums) if n.startswith("ENUM_P_TYPE")]
P_FLAGS = {"PF_X": 1, "PF_W": 2, "PF_R": 4}


def is_elf(path):
    try:
        if os.path.islink(path) or not os.path.isfile(path):
            return False
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def ptype_matches(name, number):
    if isinstance(name, int):
        return name == number
    return any(d.get(name) == number for d in P_TYPE_DICTS)


def reference(path):
    with open(path, "rb") as f:
        e = ELFFile(f)
        h = e.header
        ref = {
            "class": 2 if e.elfclass == 64 else 1, "type": h["e_type"], "machine": h["e_machine"],
            "version": 1 if h["e_version"] == "EV_CURRENT" else h["e_version"], "entry": h["e_entry"],
            "phoff": h["e_phoff"], "shoff": h["e_shoff"], "flags": h["e_flags"], "ehsize": h["e_ehsize"],
            "phentsize": h["e_phentsize"], "phnum": h["e_phnum"], "shentsize": h["e_shentsize"],
            "shnum": f_shnum(f, e), "shstrndx": h["e_shstrndx"], "phdrs": [], "interp": "-",
        }
        for s in e.iter_segments():
            p = s.header
            ref["phdrs"].append((p["p_type"], p["p_offset"], p["p_vaddr"], p["p_paddr"], p["p_filesz"],
                                 p["p_memsz"], p["p_flags"], p["p_align"]))
            if p["p_type"] == "PT_INTERP" and ref["interp"] == "-":
                ref["interp"] = s.get_interp_name()
        return ref


def f_shnum(f, e):
    # The raw header field (pyelftools' num_sections() resolves extended numbering).
    return e.header["e_shnum"]


def compare(path, fields, ref):
    errs = []
    got = {}
    phdrs = []
    for tok in fields.split(" "):
        k, _, v = tok.partition("=")
        if k == "ph":
            phdrs.append(tuple(int(x, 16) for x in v.split(",")))
        elif k in ("arch", "interp"):
            got[k] = v
        else:
            got[k] = int(v, 0)
    want_simple = {
        "class": ref["class"], "type": TYPES.get(ref["type"], ref["type"]), "machine": OURS.get(ref["machine"]),
        "version": ref["version"],
    }
    for k in ("entry", "phoff", "shoff", "flags", "ehsize", "phentsize", "phnum", "shentsize", "shnum", "shstrndx"):
        want_simple[k] = ref[k]
    for k, v in want_simple.items():
        if got.get(k) != v:
            errs.append(f"{k}: vspace {got.get(k)!r}, pyelftools {v!r}")
    if got.get("interp") != ref["interp"]:
        errs.append(f"interp: vspace {got.get('interp')!r}, pyelftools {ref['interp']!r}")
    if len(phdrs) != len(ref["phdrs"]):
        errs.append(f"{len(phdrs)} program headers, pyelftools {len(ref['phdrs'])}")
    for i, (g, w) in enumerate(zip(phdrs, ref["phdrs"])):
        if not ptype_matches(w[0], g[0]):
            errs.append(f"phdr[{i}].p_type {g[0]:#x}, pyelftools {w[0]}")
        if g[1:] != w[1:]:
            errs.append(f"phdr[{i}] {tuple(hex(x) for x in g[1:])}, pyelftools {tuple(hex(x) for x in w[1:])}")
    return errs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tool")
    ap.add_argument("--dir", action="append", default=[])
    ap.add_argument("--lib", action="append", default=[])
    ap.add_argument("--lib-min", type=int, default=200)
    ap.add_argument("--min", type=int, default=1)
    a = ap.parse_args()
    files = []
    seen = set()

    def add(p):
        rp = os.path.realpath(p)
        if rp not in seen and is_elf(p):
            seen.add(rp)
            files.append(p)
            return True
        return False

    for d in a.dir:
        if os.path.isdir(d):
            for name in sorted(os.listdir(d)):
                add(os.path.join(d, name))
    nlib = 0
    for d in a.lib:
        for root, dirs, names in os.walk(d):
            dirs.sort()
            for name in sorted(names):
                if nlib >= a.lib_min + 50:
                    break
                nlib += add(os.path.join(root, name))
    bad = 0
    checked = 0
    refused = 0
    for i in range(0, len(files), 200):
        batch = files[i:i + 200]
        out = subprocess.run([a.tool, "parse"] + batch, capture_output=True, text=True, check=True).stdout
        for ln in out.splitlines():
            path, status, *rest = ln.split("\t")
            try:
                ref = reference(path)
            except (ELFError, OSError, ValueError, KeyError, AssertionError) as ex:
                # pyelftools cannot read it: vspace must refuse it too.
                if status == "OK":
                    print(f"FAIL {path}: vspace accepts what pyelftools cannot read ({ex})")
                    bad += 1
                continue
            if status == "OK":
                errs = compare(path, rest[0], ref)
                for e in errs[:8]:
                    print(f"FAIL {path}: {e}")
                bad += bool(errs)
                checked += 1
                continue
            code = rest[0] if rest else status
            why_ok = (code == "VS_ELF_ERR_TYPE" and ref["type"] not in TYPES) or \
                     (code == "VS_ELF_ERR_MACHINE" and (ref["machine"] not in OURS or (ref["class"], ref["machine"]) in
                                                        CLASS_MISMATCH))
            if not why_ok:
                print(f"FAIL {path}: refused with {code} ({rest[1] if len(rest) > 1 else ''}), "
                      f"pyelftools: {ref['type']} {ref['machine']}")
                bad += 1
            refused += 1
    print(f"{len(files)} ELF files ({nlib} under {', '.join(a.lib)}): {checked} parsed and compared field by field, "
          f"{refused} refused for a confirmed reason, {bad} failures")
    if nlib < a.lib_min or checked < a.min:
        print(f"FAIL too few files: {nlib} library files (want {a.lib_min}), {checked} compared (want {a.min})")
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
