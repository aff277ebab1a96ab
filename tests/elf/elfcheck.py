"""What the loader must make of an image, computed from pyelftools' reading
of the file (not from vspace's parser), by the rules of docs/elf.md."""
from elftools.elf.elffile import ELFFile

PAGE = 4096
PF_X, PF_W, PF_R = 1, 2, 4
R_READ, R_WRITE, R_EXEC = 1, 2, 4
USER_BASE = 0x1000


def rights(flags):
    return (R_READ if flags & PF_R else 0) | (R_WRITE if flags & PF_W else 0) | (R_EXEC if flags & PF_X else 0)


def seg_name(flags, filesz):
    f = flags & 7
    if f & PF_W and f & PF_X:
        return "rwx"
    if f & PF_X:
        return ".text"
    if f & PF_W:
        return ".bss" if filesz == 0 else ".data"
    if f & PF_R:
        return ".rodata"
    return "---"


def read_image(path):
    """(header dict, [segments as dicts], interp or None, raw bytes)."""
    with open(path, "rb") as f:
        raw = f.read()
    with open(path, "rb") as f:
        e = ELFFile(f)
        hdr = dict(e.header)
        segs = []
        interp = None
        for s in e.iter_segments():
            h = s.header
            segs.append({k: h[k] for k in ("p_type", "p_offset", "p_vaddr", "p_paddr", "p_filesz", "p_memsz",
                                           "p_flags", "p_align")})
            if h["p_type"] == "PT_INTERP":
                interp = s.get_interp_name()
    return hdr, segs, interp, raw


def expected_load(path):
    """The base, entry, pages {vaddr: (bytes, rights)} and regions
    [(start, end, rights, name)] the loader must produce."""
    hdr, segs, interp, raw = read_image(path)
    loads = sorted((s for s in segs if s["p_type"] == "PT_LOAD" and s["p_memsz"] > 0), key=lambda s: s["p_vaddr"])
    align = max([PAGE] + [s["p_align"] for s in loads])
    base = 0
    if hdr["e_type"] == "ET_DYN":
        base = (USER_BASE + align - 1) // align * align
    pages = {}
    touch = {}
    for i, s in enumerate(loads):
        v = s["p_vaddr"] + base
        lo = v // PAGE * PAGE
        hi = (v + s["p_memsz"] + PAGE - 1) // PAGE * PAGE
        for p in range(lo, hi, PAGE):
            if p not in pages:
                pages[p] = bytearray(PAGE)
                touch[p] = []
            touch[p].append(i)
        data = raw[s["p_offset"]:s["p_offset"] + s["p_filesz"]]
        assert len(data) == s["p_filesz"], "segment past the end of the file"
        pos = 0
        while pos < len(data):
            addr = v + pos
            p = addr // PAGE * PAGE
            n = min(PAGE - (addr - p), len(data) - pos)
            pages[p][addr - p:addr - p + n] = data[pos:pos + n]
            pos += n
    out_pages = {}
    for p, b in pages.items():
        r = 0
        for i in touch[p]:
            r |= rights(loads[i]["p_flags"])
        out_pages[p] = (bytes(b), r)
    regions = []
    for p in sorted(pages):
        first, last = touch[p][0], touch[p][-1]
        r = out_pages[p][1]
        if regions and regions[-1][1] == p and regions[-1][4] == (first, last):
            regions[-1][1] = p + PAGE
            continue
        a = seg_name(loads[first]["p_flags"], loads[first]["p_filesz"])
        b = seg_name(loads[last]["p_flags"], loads[last]["p_filesz"])
        name = a if first == last else (a + "|" + b)[:23]
        regions.append([p, p + PAGE, r, name, (first, last)])
    phdr = 0
    for s in segs:
        if s["p_type"] == "PT_PHDR":
            phdr = s["p_vaddr"] + base
    if phdr == 0:
        table = hdr["e_phnum"] * hdr["e_phentsize"]
        for s in loads:
            if s["p_offset"] <= hdr["e_phoff"] and hdr["e_phoff"] + table <= s["p_offset"] + s["p_filesz"]:
                phdr = s["p_vaddr"] + hdr["e_phoff"] - s["p_offset"] + base
                break
    return {"base": base, "entry": hdr["e_entry"] + base, "phdr": phdr, "pages": out_pages,
            "regions": [tuple(r[:4]) for r in regions], "interp": interp, "machine": hdr["e_machine"],
            "class": 64 if hdr["e_ident"]["EI_CLASS"] == "ELFCLASS64" else 32}
