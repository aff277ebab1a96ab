#!/usr/bin/env python3
"""Checks the reports test_reports wrote: the JSON document against
docs/vspace.schema.json (python3-jsonschema) with its numbers consistent,
the SVG well-formed XML that librsvg renders to a non-trivial PNG, and the
text report's audit verdict. Usage: check_reports.py SCHEMA DIR clean|orphans"""
import json
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import jsonschema

schema_path, out, mode = sys.argv[1:4]
fails = []

doc = json.load(open(f"{out}/report.json"))
schema = json.load(open(schema_path))
jsonschema.Draft7Validator(schema).validate(doc)
counts = doc["audit"]["counts"]
res_pages = sum(r["pages"] for r in doc["reservations"])
run_pages = sum(r["pages"] << (r["page_bits"] - 12) for r in doc["mapped"])
orphan_pages = sum(r["pages"] << (r["page_bits"] - 12) for r in doc["mapped"] if r["reservation"] is None)
if res_pages != counts["reserved_pages"]:
    fails.append(f"reserved pages {res_pages} != audit {counts['reserved_pages']}")
if run_pages != counts["mapped_pages"]:
    fails.append(f"mapped pages {run_pages} != audit {counts['mapped_pages']}")
if orphan_pages != counts["mapped_outside"]:
    fails.append(f"orphan pages {orphan_pages} != audit {counts['mapped_outside']}")
if doc["audit"]["clean"] != (mode == "clean"):
    fails.append(f"audit clean is {doc['audit']['clean']} in mode {mode}")
if mode == "orphans" and orphan_pages != 6:
    fails.append(f"expected 6 orphan pages, got {orphan_pages}")
if counts["kernel_pages"] != run_pages:
    fails.append(f"kernel pages {counts['kernel_pages']} != shadow's {run_pages}")

# A corrupted document must be refused by the schema (the check can fail).
bad = json.loads(json.dumps(doc))
bad["reservations"][0]["start"] = 4096
try:
    jsonschema.Draft7Validator(schema).validate(bad)
    fails.append("schema accepted a numeric address")
except jsonschema.ValidationError:
    pass

svg = ET.parse(f"{out}/picture.svg").getroot()
height = float(svg.get("height"))
if height > 2000:
    fails.append(f"SVG height {height}: gaps not folded")
png = f"{out}/picture.png"
subprocess.run(["rsvg-convert", "-o", png, f"{out}/picture.svg"], check=True)
data = open(png, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    fails.append("rsvg-convert wrote no PNG")
w, h = struct.unpack(">II", data[16:24])
if w < 500 or h < 100 or len(data) < 5000:
    fails.append(f"PNG {w}x{h}, {len(data)} bytes: trivial")
names = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
for want in [".text", ".rodata", "stack", "ipc-buffer", "kernel window", "guard"]:
    if not any(want == (n or "") or want in (n or "") for n in names):
        fails.append(f"SVG lacks {want!r}")
if mode == "orphans" and not any("NO RESERVATION" in (n or "") for n in names):
    fails.append("SVG does not show the pages outside every reservation")

text = open(f"{out}/report.txt").read()
verdict = "Audit: CLEAN" if mode == "clean" else "DISCREPANCIES"
if verdict not in text:
    fails.append(f"text report lacks {verdict!r}")

for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
