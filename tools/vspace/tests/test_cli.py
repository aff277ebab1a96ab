#!/usr/bin/env python3
"""Tests of the `vspace` command, checked against things the project did not
write: readelf's segment table, the file's own bytes and hashlib's SHA-256,
python3-jsonschema, librsvg.

    test_cli.py VSPACE SCHEMA EXAMPLES WORKDIR GROUP [ARCH]

GROUP: usage | errors | malformed | mutations | inspect | seed (ARCH) | json | svg | maps | pages |
large (ARCH is then an x86_64 image with room for 2 MiB pages)
Every case checks the exit status and, for errors, that stderr names the
file and says why; a crash (signal) always fails."""
import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys

VSPACE, SCHEMA, EXAMPLES, WORK, GROUP = sys.argv[1:6]
ARCH = sys.argv[6] if len(sys.argv) > 6 else "ia32"
PAGE = 4096
fails = []


def fail(msg):
    fails.append(msg)
    print("FAIL:", msg)


def run(*args, expect=None, stderr_has=(), stdout_has=()):
    what = "vspace " + " ".join(args)
    try:
        p = subprocess.run([VSPACE, *args], capture_output=True, text=True, errors="replace", timeout=120)
    except subprocess.TimeoutExpired as e:
        fail(f"{what[:300]}: still running after {e.timeout} s")
        return subprocess.CompletedProcess(e.cmd, -9, "", "")
    if p.returncode < 0:
        fail(f"{what}: killed by signal {-p.returncode}")
    elif expect is not None and p.returncode != expect:
        fail(f"{what}: exit {p.returncode}, expected {expect}; stderr: {p.stderr.strip()[:300]}")
    for s in stderr_has:
        if s not in p.stderr:
            fail(f"{what}: stderr lacks {s!r}: {p.stderr.strip()[:300]}")
    for s in stdout_has:
        if s not in p.stdout:
            fail(f"{what}: stdout lacks {s!r}")
    return p


def example(arch=ARCH):
    return os.path.join(EXAMPLES, f"hello-{arch}")


def readelf_loads(path):
    """PT_LOAD (offset, vaddr, filesz, memsz) from binutils' readelf."""
    out = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True, check=True).stdout
    loads = []
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            loads.append(tuple(int(x, 16) for x in f[1:3] + f[4:6]))
    return loads


def readelf_header(path):
    out = subprocess.run(["readelf", "-hW", path], capture_output=True, text=True, check=True).stdout
    entry = int(re.search(r"Entry point address:\s+(0x[0-9a-f]+)", out).group(1), 16)
    phnum = int(re.search(r"Number of program headers:\s+(\d+)", out).group(1))
    return entry, phnum


def elf_pages(path):
    pages = set()
    for off, va, filesz, memsz in readelf_loads(path):
        if memsz:
            pages.update(range(va // PAGE, (va + memsz + PAGE - 1) // PAGE))
    return len(pages)


def spawn_json(*args, expect=0):
    p = run("spawn", "--json", *args, expect=expect)
    try:
        doc = json.loads(p.stdout)
    except json.JSONDecodeError as e:
        fail(f"spawn --json {' '.join(args)}: not JSON: {e}")
        return None
    import jsonschema
    try:
        jsonschema.Draft7Validator(json.load(open(SCHEMA))).validate(doc)
    except jsonschema.ValidationError as e:
        fail(f"spawn --json {' '.join(args)}: schema: {e.message} at {list(e.absolute_path)}")
    return doc


def group_usage():
    for cmd in ["spawn", "inspect"]:
        run(cmd, "--help", expect=0, stdout_has=["Usage: vspace " + cmd])
        run("help", cmd, expect=0, stdout_has=["Usage: vspace " + cmd])
    run("--help", expect=0, stdout_has=["spawn", "inspect", "Exit status"])
    run(expect=2, stderr_has=["Usage"])
    run("frobnicate", expect=2, stderr_has=["unknown command 'frobnicate'"])
    run("spawn", expect=2, stderr_has=["no ELF file given"])
    run("inspect", expect=2, stderr_has=["no ELF file given"])
    run("spawn", "--bogus", example(), expect=2, stderr_has=["unknown option '--bogus'"])
    run("inspect", "--bogus", example(), expect=2, stderr_has=["unknown option '--bogus'"])
    run("spawn", "--arch", expect=2, stderr_has=["--arch needs a value"])
    run("spawn", "--arch", "sparc", example(), expect=2, stderr_has=["unknown architecture 'sparc'"])
    run("spawn", "--env", "NOEQUALS", example(), expect=2, stderr_has=["--env: 'NOEQUALS' is not K=V"])
    run("spawn", "--svg", "/nonexistent-dir/x.svg", example(), expect=2,
        stderr_has=["/nonexistent-dir/x.svg", "cannot write"])
    missing = os.path.join(WORK, "no-such-file")
    run("spawn", missing, expect=2, stderr_has=[missing, "No such file"])
    run("inspect", missing, expect=2, stderr_has=[missing, "No such file"])
    run("inspect", example(), example(), expect=2, stderr_has=["one ELF file only"])
    run("spawn", WORK, expect=2, stderr_has=[WORK])  # a directory
    run("spawn", "--arch", "ia32", example("ia32"), expect=0, stdout_has=["simulated seL4 (ia32)", "Audit: CLEAN"])
    run("inspect", "--arch", "ia32", example("ia32"), expect=0)
    run("spawn", "--", example("ia32"), "--json", expect=0, stdout_has=['argv[1] = "--json"'])
    run("help", "frobnicate", expect=2, stderr_has=["unknown command 'frobnicate'"])
    # --opt=value as well as --opt value
    svg = os.path.join(WORK, "eq.svg")
    run("spawn", "--arch=ia32", f"--svg={svg}", "--env=K=V", example("ia32"), expect=0,
        stdout_has=["simulated seL4 (ia32)", 'envp[0] = "K=V"'])
    if not os.path.exists(svg) or os.path.getsize(svg) == 0:
        fail(f"spawn --svg={svg}: no picture written")
    run("spawn", "--arch=sparc", example(), expect=2, stderr_has=["unknown architecture 'sparc'"])
    run("spawn", "--env=NOEQUALS", example(), expect=2, stderr_has=["--env: 'NOEQUALS' is not K=V"])
    run("inspect", "--arch=ia32", example("ia32"), expect=0)
    run("inspect", "--arch=aarch64", example("ia32"), expect=2, stderr_has=["requested aarch64"])
    run("inspect", "--arch", expect=2, stderr_has=["--arch needs a value"])
    # --svg naming the ELF itself must not overwrite it
    copy = os.path.join(WORK, "hello-copy")
    with open(example("ia32"), "rb") as f:
        image = f.read()
    write("hello-copy", image)
    run("spawn", "--svg", copy, copy, expect=2, stderr_has=[copy, "is the ELF file itself"])
    with open(copy, "rb") as f:
        if f.read() != image:
            fail("spawn --svg FILE FILE overwrote the ELF")
    run("spawn", "--svg", WORK, example(), expect=2, stderr_has=[WORK, "cannot write", "Is a directory"])
    # a spawn that fails leaves --svg's file as it was, and makes none
    keep = write("keep.svg", b"precious\n")
    run("spawn", "--svg", keep, "--sim-mem=1M", example("x86_64"), expect=2, stderr_has=["seL4_NotEnoughMemory"])
    with open(keep, "rb") as f:
        if f.read() != b"precious\n":
            fail("spawn --svg FILE: a failed spawn changed FILE")
    run("spawn", "--svg", keep, "--arch", "aarch64", example("ia32"), expect=2)
    with open(keep, "rb") as f:
        if f.read() != b"precious\n":
            fail("spawn --svg FILE: a refused ELF changed FILE")
    fresh = os.path.join(WORK, "fresh.svg")
    if os.path.exists(fresh):
        os.unlink(fresh)
    run("spawn", "--svg", fresh, "--sim-mem=1M", example("x86_64"), expect=2)
    if os.path.exists(fresh):
        fail("spawn --svg FILE: a failed spawn left a FILE that was not there")
    run("spawn", "--svg", keep, example("ia32"), expect=0)
    with open(keep, "rb") as f:
        if not f.read().startswith(b"<?xml"):
            fail("spawn --svg FILE: a spawn that worked did not replace FILE with the picture")
    # only a regular file is an image: what is not one is refused by name
    # before a byte is read (a FIFO would block, /dev/zero never end)
    fifo = os.path.join(WORK, "fifo")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    link = os.path.join(WORK, "hello-link")
    if not os.path.lexists(link):
        os.symlink(example("ia32"), link)
    for cmd in ["spawn", "inspect"]:
        for path, kind in ((fifo, "a FIFO"), ("/dev/zero", "a character device"), (WORK, "a directory")):
            run(cmd, path, expect=2, stderr_has=[f"vspace {cmd}: {path}: not a regular file ({kind})"])
        run(cmd, link, expect=0)  # a symbolic link to one is followed
    # output that does not get out: exit 2 and say so, never "audit clean"
    run("spawn", "--svg", "/dev/full", example(), expect=2, stderr_has=["/dev/full", "write error"])
    # a FILE that cannot be emptied for the picture (a memfd sealed against
    # shrinking: its old bytes cannot go) is a write error, FILE untouched
    sealed = os.memfd_create("sealed.svg", os.MFD_ALLOW_SEALING)
    os.write(sealed, b"precious\n")
    fcntl.fcntl(sealed, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK)
    path = f"/proc/self/fd/{sealed}"
    p = subprocess.run([VSPACE, "spawn", "--svg", path, example()], pass_fds=(sealed,), capture_output=True,
                       text=True)
    if p.returncode != 2 or f"{path}: --svg: write error" not in p.stderr or "not permitted" not in p.stderr:
        fail(f"spawn --svg on a sealed memfd: exit {p.returncode}, stderr {p.stderr.strip()[:200]!r}")
    if os.pread(sealed, 64, 0) != b"precious\n":
        fail("spawn --svg on a sealed memfd: its bytes changed")
    os.close(sealed)
    for args in (["spawn", example()], ["spawn", "--json", example()], ["inspect", example()], ["--help"]):
        with open("/dev/full", "w") as full:
            p = subprocess.run([VSPACE, *args], stdout=full, stderr=subprocess.PIPE, text=True)
        if p.returncode != 2 or "standard output: write error" not in p.stderr:
            fail(f"vspace {' '.join(args)} > /dev/full: exit {p.returncode}, stderr {p.stderr.strip()[:200]!r}")
    # a file too large to be an image is refused before reading it
    huge = os.path.join(WORK, "huge-sparse")
    with open(huge, "wb") as f:
        f.truncate(3 << 30)
    for cmd in ["spawn", "inspect"]:
        run(cmd, huge, expect=2, stderr_has=[huge, "too large"])
    os.unlink(huge)


def write(name, data):
    path = os.path.join(WORK, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def group_malformed():
    good = open(example("ia32"), "rb").read()
    cases = {
        "empty": (b"", "VS_ELF_ERR_EMPTY"),
        "truncated": (good[:20], "VS_ELF_ERR_TRUNCATED"),
        "magic": (b"\x7fELG" + good[4:], "VS_ELF_ERR_MAGIC"),
        "bigendian": (good[:5] + b"\x02" + good[6:], "VS_ELF_ERR_DATA"),
        "machine": (good[:18] + (20).to_bytes(2, "little") + good[20:], "VS_ELF_ERR_MACHINE"),
        "phentsize": (good[:42] + (33).to_bytes(2, "little") + good[44:], "e_phentsize"),
        "phdrs-outside": (good[:28] + (0xfffff000).to_bytes(4, "little") + good[32:], "VS_ELF_ERR_PHDRS_OUTSIDE"),
        "garbage": (bytes((i * 131 + 7) & 0xff for i in range(5000)), "VS_ELF_ERR_MAGIC"),
        "text": (b"#!/bin/sh\necho not an ELF\n", "VS_ELF_ERR_"),
    }
    for name, (data, why) in cases.items():
        path = write(f"bad-{name}", data)
        for cmd in ["spawn", "inspect"]:
            run(cmd, path, expect=2, stderr_has=[path, why])
    # Files that say size 0 but hold bytes (/proc): read whole, so the
    # error is the bytes' (not an ELF), not an empty file; kallsyms is
    # megabytes, past the first 64 KiB read.
    for proc in ("/proc/self/maps", "/proc/kallsyms"):
        if os.path.exists(proc) and os.access(proc, os.R_OK):
            for cmd in ["spawn", "inspect"]:
                p = run(cmd, proc, expect=2, stderr_has=[proc, "VS_ELF_ERR_MAGIC"])
                if "EMPTY" in p.stderr:
                    fail(f"{cmd} {proc}: read as empty: {p.stderr.strip()}")
    # Truncations of a real image at many lengths: never a crash.
    for n in [52, 100, 300, 1000, 5000, 40000, len(good) // 2]:
        path = write(f"cut-{n}", good[:n])
        p = run("spawn", path)
        if p.returncode not in (0, 2):
            fail(f"truncated at {n}: exit {p.returncode}")
        if p.returncode == 2 and path not in p.stderr:
            fail(f"truncated at {n}: stderr does not name the file")
    # An architecture the image is not, and a dynamically linked image.
    run("spawn", "--arch", "x86_64", example("ia32"), expect=2, stderr_has=[example("ia32"), "ARCH_MISMATCH"])
    run("inspect", "--arch", "aarch64", example("ia32"), expect=2, stderr_has=["ARCH_MISMATCH"])
    dyn = "/bin/ls"
    run("spawn", dyn, expect=2, stderr_has=[dyn, "PT_INTERP", "dynamically linked"])
    run("inspect", dyn, expect=2, stderr_has=[dyn, "PT_INTERP"])


def grow_last_load(src, name, memsz):
    """A copy of the ELF src whose last PT_LOAD's p_memsz is memsz (a big bss)."""
    import struct
    d = bytearray(open(src, "rb").read())
    is64 = d[4] == 2
    phoff = struct.unpack_from("<Q" if is64 else "<I", d, 32 if is64 else 28)[0]
    phent, phnum = struct.unpack_from("<HH", d, 54 if is64 else 42)
    last = max(phoff + i * phent for i in range(phnum) if struct.unpack_from("<I", d, phoff + i * phent)[0] == 1)
    struct.pack_into("<Q" if is64 else "<I", d, last + (40 if is64 else 20), memsz)
    return write(name, bytes(d))


def group_errors():
    """Spawn failures say what went wrong in their own terms: a size as a
    size, a kernel error by its seL4 name only when a kernel call failed,
    and what to do about it."""
    run("spawn", "--help", expect=0, stdout_has=["--sim-mem SIZE", "--help"])
    # a start-up stack larger than the stack: the bytes needed and the room
    args = [str(i) for i in range(30000)]
    need = sum(len(a) + 1 for a in args)
    p = run("spawn", example("ia32"), *args, expect=2,
            stderr_has=[example("ia32"), "spawn failed in stage stack", "does not fit the stack: needs ",
                        " bytes, has room for 65,536 (VS_ERR_NO_SPACE)", "fewer or shorter arguments"])
    m = re.search(r"needs ([0-9,]+) bytes", p.stderr)
    if m is None or not need < int(m.group(1).replace(",", "")) < need + 30000 * 4 + 4096:
        fail(f"stack too large: bytes needed not between {need} and the vectors' share: {p.stderr.strip()[:300]}")
    for wrong in ("kernel error", " at 0x"):
        if wrong in p.stderr:
            fail(f"stack too large: stderr says {wrong!r} (no kernel call failed, no address): {p.stderr.strip()}")
    # out of the simulated machine's memory (2 MiB frames: few slots, many bytes)
    big = grow_last_load(example("x86_64"), "big-bss-x86_64", 100 << 20)
    run("spawn", "--large-pages", "--sim-mem", "64M", big, expect=2,
        stderr_has=[big, "kernel error 10 (seL4_NotEnoughMemory)",
                    "the simulated x86_64 machine's 64 MiB of memory ran out: give it more with --sim-mem "
                    "(e.g. --sim-mem 256M)"])
    run("spawn", "--large-pages", "--sim-mem=256M", big, expect=0, stdout_has=["Audit: CLEAN"])
    run("spawn", "--large-pages", big, expect=0, stdout_has=["Audit: CLEAN"])  # the default: 256 MiB
    # out of the root task's CNode slots (one per 4 KiB frame): --sim-mem does not help, --large-pages does
    p = run("spawn", "--sim-mem", "1G", big, expect=2,
            stderr_has=["kernel error 10 (seL4_NotEnoughMemory)", "ran out of slots", "--large-pages"])
    if "give it more with --sim-mem" in p.stderr:
        fail(f"slots exhausted, yet --sim-mem advised: {p.stderr.strip()}")
    # --sim-mem's values
    for bad, why in (("12X", "is not a size"), ("", "is not a size"), ("M", "is not a size"),
                     ("1023K", "out of range"), ("17G", "out of range"), ("99999999999999999999", "out of range")):
        run("spawn", "--sim-mem", bad, example(), expect=2, stderr_has=[f"--sim-mem: ", why])
    run("spawn", "--sim-mem", expect=2, stderr_has=["--sim-mem needs a value"])
    for good in ("1M", "1048576", "300m", "1g", "2048K"):
        run("spawn", "--sim-mem", good, example("ia32"), expect=0, stdout_has=["Audit: CLEAN"])
    # 1 MiB runs out in a different stage per 64-bit machine (x86_64: the
    # child's CNode; aarch64: the stack's frame access, which once said
    # neither): each names the seL4 error and advises --sim-mem
    for arch in ("x86_64", "aarch64"):
        if os.path.exists(example(arch)):
            run("spawn", "--sim-mem=1M", example(arch), expect=2,
                stderr_has=[example(arch), "kernel error 10 (seL4_NotEnoughMemory)",
                            f"the simulated {arch} machine's 1 MiB of memory ran out: give it more with --sim-mem"])
    # a machine the simulator cannot boot: 32-bit, memory past 4 GiB
    run("spawn", "--sim-mem", "8G", example("ia32"), expect=2, stderr_has=["cannot boot a simulated ia32 machine"])


def group_mutations():
    """Corrupted copies of a real image (bytes of the ELF header and the
    program headers overwritten at random, seeded): whatever the bytes,
    vspace exits 0, 1 or 2 -- never a crash -- and names the file when it
    refuses one."""
    import random
    good = bytearray(open(example("ia32"), "rb").read())
    rng = random.Random(20261202)
    refused = 0
    for n in range(120):
        bad = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(0, 52 + 8 * 32)
            bad[at] = rng.randrange(256)
        path = write(f"mut-{n}", bytes(bad))
        p = run("spawn", path)
        if p.returncode not in (0, 1, 2):
            fail(f"mutation {n}: exit {p.returncode}")
        elif p.returncode == 2:
            refused += 1
            if path not in p.stderr:
                fail(f"mutation {n}: refused without naming the file: {p.stderr.strip()[:200]}")
        os.unlink(path)
    if refused == 0:
        fail("mutations: no corrupted image was refused")
    print(f"mutations: {refused} of 120 refused")


def readelf_types(path):
    """Each program header's type as readelf -lW prints it, in order."""
    out = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True, check=True).stdout
    rows = out.split("Program Headers:")[1].split("Section to Segment")[0].splitlines()
    return [line.split()[0] for line in rows[2:] if line.strip() and not line.strip().startswith("[")]


# readelf's own spellings: ARM's exception index table, and names cut to
# its column's width.
READELF_ALIASES = {"EXIDX": "ARM_EXIDX"}


def check_segment_types(what, path, doc):
    """inspect's type names agree with readelf's; a type inspect calls
    OTHER is one readelf does not name either (it prints LOPROC+..., LOOS+...)."""
    want = readelf_types(path)
    got = [s["type"] for s in doc["segments"]]
    if len(want) != len(got):
        fail(f"inspect {what}: {len(got)} segments, readelf lists {len(want)}")
        return
    for i, (g, w) in enumerate(zip(got, want)):
        w = READELF_ALIASES.get(w, w)
        named = g == w or (len(w) >= 12 and g.startswith(w))
        unnamed_both = g == "OTHER" and ("+" in w or w.startswith("0x"))
        if not (named or unnamed_both):
            fail(f"inspect {what}: segment {i} type {g} ({doc['segments'][i]['p_type']}), readelf says {w}")


def group_inspect():
    for path in ["/bin/busybox", "/usr/bin/busybox"]:
        if os.path.exists(path):
            doc = json.loads(run("inspect", "--json", path, expect=0).stdout)
            check_segment_types(path, path, doc)
            break
    for arch in ["ia32", "x86_64", "aarch32", "aarch64", "riscv32", "riscv64"]:
        path = example(arch)
        if not os.path.exists(path):
            continue
        p = run("inspect", "--json", path, expect=0)
        doc = json.loads(p.stdout)
        import jsonschema
        schema = json.load(open(os.path.join(os.path.dirname(SCHEMA), "vspace-inspect.schema.json")))
        try:
            jsonschema.Draft7Validator(schema).validate(doc)
        except jsonschema.ValidationError as e:
            fail(f"inspect {arch}: schema: {e.message} at {list(e.absolute_path)}")
        check_segment_types(arch, path, doc)
        entry, phnum = readelf_header(path)
        if int(doc["entry"], 16) != entry or len(doc["segments"]) != phnum:
            fail(f"inspect {arch}: entry/phnum differ from readelf")
        loads = [s for s in doc["segments"] if s["type"] == "LOAD"]
        if [int(s["vaddr"], 16) for s in loads] != [l[1] for l in readelf_loads(path)]:
            fail(f"inspect {arch}: PT_LOAD vaddrs differ from readelf")
        if doc["pages"] != elf_pages(path) or sum(r["pages"] for r in doc["reservations"]) != elf_pages(path):
            fail(f"inspect {arch}: pages {doc['pages']} != readelf's {elf_pages(path)}")
        run("inspect", path, expect=0, stdout_has=["Program headers", "Reservations the loader would make"])


def group_seed():
    """The seed's scenario: clean by default, caught with the legacy loader,
    with the counts derived from readelf's segment table."""
    path = example(ARCH)
    want_elf = elf_pages(path)
    clean = spawn_json(path, "a", "b", expect=0)
    legacy = spawn_json("--free-elf-reservations", path, "a", "b", expect=1)
    if clean is None or legacy is None:
        return
    c = clean["audit"]["counts"]
    other = {"stack", "ipc-buffer", "kernel"}
    elf_res = sum(r["pages"] for r in clean["reservations"] if r["name"] not in other)
    if elf_res != want_elf:
        fail(f"{ARCH}: ELF reservations hold {elf_res} pages, readelf says {want_elf}")
    stack_pages = 64 * 1024 // PAGE  # VS_SPAWN_DEFAULT_STACK
    if c["mapped_pages"] != want_elf + stack_pages + 1:
        fail(f"{ARCH}: {c['mapped_pages']} mapped, expected {want_elf} (ELF) + {stack_pages} (stack) + 1 (IPC)")
    if not (c["mapped_pages"] == c["mapped_in_reservations"] == c["kernel_pages"]) or c["mapped_outside"]:
        fail(f"{ARCH}: clean counts disagree: {c}")
    if clean["audit"]["checks_skipped"]:
        fail(f"{ARCH}: checks skipped on the simulator: {clean['audit']['checks_skipped']}")
    lc = legacy["audit"]["counts"]
    if lc["mapped_outside"] != want_elf:
        fail(f"{ARCH}: legacy: {lc['mapped_outside']} pages outside reservations, expected {want_elf}")
    if lc["reserved_pages"] != c["reserved_pages"] - want_elf:
        fail(f"{ARCH}: legacy: {lc['reserved_pages']} reserved, expected {c['reserved_pages'] - want_elf}")
    if lc["mapped_pages"] != c["mapped_pages"] or lc["kernel_pages"] != c["kernel_pages"]:
        fail(f"{ARCH}: legacy: mapped pages changed: {lc}")
    if lc["I1"] < want_elf or lc["I2"] != 0:
        fail(f"{ARCH}: legacy: I1 {lc['I1']} < {want_elf} or I2 {lc['I2']} != 0")
    outside = sum(int(r["end"], 16) - int(r["start"], 16) for r in legacy["mapped"] if r["reservation"] is None)
    if outside // PAGE != want_elf:
        fail(f"{ARCH}: legacy: runs outside reservations cover {outside // PAGE} pages, expected {want_elf}")
    text = run("spawn", "--free-elf-reservations", path, expect=1).stdout
    for s in ["DISCREPANCIES", "page-outside-reservation", "Pages outside every reservation"]:
        if s not in text:
            fail(f"{ARCH}: legacy text lacks {s!r}")


def group_json():
    path = example(ARCH)
    # strings of any length that fit the stack print whole, text and JSON
    # (4095 bytes once came out as "<unreadable at 0x...>")
    long_args = ["a" * 4095, "b" * 4096, "c" * 40000]
    long_env = "L=" + "d" * 9000
    doc = spawn_json("--env", long_env, path, *long_args)
    if doc is not None and (doc["stack"]["argv"][1:] != long_args or doc["stack"]["envp"] != [long_env]):
        fail(f"json: long strings: argv lengths {[len(a) for a in doc['stack']['argv']]}, "
             f"envp lengths {[len(e) for e in doc['stack']['envp']]}")
    p = run("spawn", "--env", long_env, path, *long_args, expect=0)
    for i, a in enumerate(long_args, 1):
        if f'argv[{i}] = "{a}" (at 0x' not in p.stdout:
            fail(f"spawn text: argv[{i}] of {len(a)} bytes not printed whole")
    if f'envp[0] = "{long_env}" (at 0x' not in p.stdout:
        fail(f"spawn text: envp[0] of {len(long_env)} bytes not printed whole")
    doc = spawn_json("--env", "HOME=/root", "--env", "EMPTY=", path, "one", "", "three words")
    if doc is None:
        return
    st = doc["stack"]
    if st["argv"] != [path, "one", "", "three words"] or st["argc"] != 4:
        fail(f"json: argv {st['argv']}")
    if st["envp"] != ["HOME=/root", "EMPTY="]:
        fail(f"json: envp {st['envp']}")
    aux = {a["name"]: int(a["value"], 16) for a in st["auxv"]}
    entry, phnum = readelf_header(path)
    if aux.get("AT_ENTRY") != entry or aux.get("AT_PHNUM") != phnum or aux.get("AT_PAGESZ") != PAGE:
        fail(f"json: auxv {aux}")
    if st["auxv"][-1]["name"] != "AT_NULL":
        fail("json: auxv does not end with AT_NULL")
    if int(doc["entry"], 16) != entry or int(doc["registers"]["pc"], 16) != entry:
        fail("json: entry differs from readelf")
    if doc["registers"]["sp"] != st["sp"]:
        fail("json: sp register is not where the stack was decoded")
    # UTF-8 text comes back as itself; bytes that are not UTF-8 (passed
    # here through surrogateescape) as the code points of the same numbers.
    utf8, raw = "ü✓ \U0001d11e", "\udcff\udcc3(\udced\udca0\udc80"
    doc = spawn_json(path, utf8, raw)
    if doc is not None and doc["stack"]["argv"][1:] != [utf8, "\u00ff\u00c3(\u00ed\u00a0\u0080"]:
        fail(f"json: non-ASCII argv {doc['stack']['argv'][1:]!r}")


def group_pages():
    """--pages: each page's SHA-256 against the file's own bytes, hashed by
    hashlib, for pages the file fills entirely."""
    path = example(ARCH)
    doc = spawn_json("--pages", path)
    if doc is None:
        return
    data = open(path, "rb").read()
    by_va = {int(p["vaddr"], 16): p for p in doc["pages"]}
    checked = 0
    for off, va, filesz, memsz in readelf_loads(path):
        first = (va + PAGE - 1) // PAGE * PAGE
        for page in range(first, va + filesz - PAGE + 1, PAGE):
            want = hashlib.sha256(data[off + page - va: off + page - va + PAGE]).hexdigest()
            got = by_va.get(page, {}).get("sha256")
            checked += 1
            if got != want:
                fail(f"pages: 0x{page:x}: sha256 {got} != file's {want}")
                break
    zero = hashlib.sha256(bytes(PAGE)).hexdigest()
    stack_zero = sum(1 for p in doc["pages"] if p["reservation"] == "stack" and p["sha256"] == zero)
    if checked == 0 and ARCH != "riscv32":
        fail("pages: no page the file fills entirely")
    if stack_zero < 8:
        fail(f"pages: only {stack_zero} zero stack pages")
    if len(doc["pages"]) != sum(r["pages"] for r in doc["mapped"]):
        fail("pages: not one entry per mapped page")
    text = run("spawn", "--pages", path, expect=0).stdout
    if "Mapped pages (contents read through the MMU walk)" not in text:
        fail("pages: text listing missing")


def group_svg():
    path = example(ARCH)
    svg = os.path.join(WORK, f"{ARCH}.svg")
    png = os.path.join(WORK, f"{ARCH}.png")
    for legacy in [[], ["--free-elf-reservations"]]:
        run("spawn", "--svg", svg, *legacy, path, expect=1 if legacy else 0)
        import xml.etree.ElementTree as ET
        root = ET.parse(svg).getroot()
        texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
        for s in ["stack", "guard", "ipc-buffer", "kernel"]:
            if s not in texts:
                fail(f"svg: lacks {s!r}")
        if legacy and "NO RESERVATION" not in texts:
            fail("svg: legacy picture does not show pages outside reservations")
        subprocess.run(["rsvg-convert", "-o", png, svg], check=True)
        head = open(png, "rb").read(24)
        w, h = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        if head[:4] != b"\x89PNG" or w < 500 or h < 150 or os.path.getsize(png) < 5000:
            fail(f"svg: PNG {w}x{h} {os.path.getsize(png)} bytes")


def group_maps():
    path = example(ARCH)
    doc = spawn_json(path)
    text = run("spawn", "--maps", path, expect=0).stdout
    lines = [l for l in text.split("Maps (like /proc/PID/maps):\n", 1)[-1].splitlines() if l.strip()]
    pat = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) ([r-][w-][x-]p) 00000000 00:00 0 +(\S+)$")
    got = []
    for l in lines:
        m = pat.match(l)
        if m:
            got.append((int(m.group(1), 16), int(m.group(2), 16), m.group(4)))
    want = [(int(r["start"], 16), int(r["end"], 16), r["name"]) for r in doc["reservations"]] if doc else []
    if got != want:
        fail(f"maps: {got} != reservations {want}")


os.makedirs(WORK, exist_ok=True)
def group_large():
    """--large-pages: the ELF pages are mapped by 2 MiB pages exactly where
    one lies naturally aligned inside a segment's page range (readelf's
    segment table), the audit stays clean; without it, base pages only."""
    path = ARCH
    want = 0
    for _, va, _, memsz in readelf_loads(path):
        at, end = va - va % PAGE, (va + memsz + PAGE - 1) // PAGE * PAGE
        while at < end:
            step = 1 << 21 if at % (1 << 21) == 0 and at + (1 << 21) <= end else PAGE
            want += step > PAGE
            at += step
    if want == 0:
        fail(f"large: {path} has no room for a 2 MiB page; the test checks nothing")
    for flag, expect in (["--large-pages"], want), ([], 0):
        doc = spawn_json(*flag, path)
        if doc is None:
            continue
        got = sum(r["pages"] for r in doc["mapped"] if r["page_bits"] == 21)
        if got != expect or any(r["page_bits"] not in (12, 21) for r in doc["mapped"]):
            fail(f"large {' '.join(flag)}: {got} pages of 2 MiB mapped, expected {expect}")
        if not doc["audit"]["clean"]:
            fail(f"large {' '.join(flag)}: audit not clean")


{"usage": group_usage, "errors": group_errors, "malformed": group_malformed, "mutations": group_mutations, "inspect": group_inspect, "seed": group_seed,
 "json": group_json, "pages": group_pages, "svg": group_svg, "maps": group_maps, "large": group_large}[GROUP]()
print(f"{GROUP} {ARCH}: {'FAILED' if fails else 'ok'}")
sys.exit(1 if fails else 0)
