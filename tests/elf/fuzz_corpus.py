#!/usr/bin/env python3
"""The fuzzers' saved corpus, kept as text: one input per line, its SHA-1
(libFuzzer's file name for it) and its bytes zlib-compressed in base64.
Text, so that the repository holds no binary file that looks like a
prebuilt image; the inputs are what libFuzzer found beyond the generated
seed images (`make fuzz-save`), most of them malformed ELF files.

    fuzz_corpus.py pack DIR SEEDS FILE   every file of DIR whose bytes are
                                         not those of a file in SEEDS into FILE
    fuzz_corpus.py unpack FILE DIR       FILE's inputs into DIR (created)
    fuzz_corpus.py seed IMAGES DIR       the seed corpus: each file of IMAGES,
                                         and a twin with e_ident[EI_PAD] bit 0
                                         set (fuzz_load.c: load with large pages)

unpack checks each input against its SHA-1, so a damaged line is an error
rather than a silently different test."""
import base64
import hashlib
import os
import sys
import zlib


def contents(d):
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            yield f.read()


def pack(src, seeds, out):
    seen = {hashlib.sha1(data).hexdigest() for data in contents(seeds)}
    lines = set()
    for data in contents(src):
        digest = hashlib.sha1(data).hexdigest()
        if digest not in seen:
            lines.add(f"{digest} {base64.b64encode(zlib.compress(data, 9)).decode()}\n")
    with open(out, "w") as f:
        f.writelines(sorted(lines))
    print(f"{out}: {len(lines)} inputs")


def unpack(src, out):
    os.makedirs(out, exist_ok=True)
    n = 0
    with open(src) as f:
        for lineno, line in enumerate(f, 1):
            digest, packed = line.split()
            data = zlib.decompress(base64.b64decode(packed, validate=True))
            if hashlib.sha1(data).hexdigest() != digest:
                sys.exit(f"{src}:{lineno}: input does not match its SHA-1 {digest}")
            with open(os.path.join(out, digest), "wb") as g:
                g.write(data)
            n += 1
    if n == 0:
        sys.exit(f"{src}: no inputs")


EI_PAD = 9


def seed(images, out):
    os.makedirs(out, exist_ok=True)
    for name in sorted(os.listdir(images)):
        with open(os.path.join(images, name), "rb") as f:
            data = f.read()
        with open(os.path.join(out, name), "wb") as g:
            g.write(data)
        if len(data) > EI_PAD:
            with open(os.path.join(out, name + ".large"), "wb") as g:
                g.write(data[:EI_PAD] + bytes([data[EI_PAD] | 1]) + data[EI_PAD + 1 :])


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "pack":
        pack(*sys.argv[2:5])
    elif len(sys.argv) == 4 and sys.argv[1] == "unpack":
        unpack(*sys.argv[2:4])
    elif len(sys.argv) == 4 and sys.argv[1] == "seed":
        seed(*sys.argv[2:4])
    else:
        sys.exit(__doc__)
