"""Reads Banyan's reconcile JSON and reladiff's --json output (a stream of ["-"|"+", [key, ...]]
values) and checks that both found the same differing keys. Exits 1 when they disagree."""
import json
import sys

banyan = json.load(open(sys.argv[1]))
ours = {
    "missing_in_new": set(banyan["missing_in_new"]),
    "extra_in_new": set(banyan["extra_in_new"]),
    "mismatched": {m["key"] for m in banyan["mismatched"]},
}
text = open(sys.argv[2]).read()
decoder = json.JSONDecoder()
minus, plus = set(), set()
index = 0
while True:
    while index < len(text) and text[index].isspace():
        index += 1
    if index >= len(text):
        break
    (sign, row), index = decoder.raw_decode(text, index)
    (minus if sign == "-" else plus).add(int(row[0]))
theirs = {"missing_in_new": minus - plus, "extra_in_new": plus - minus, "mismatched": minus & plus}
same = all(ours[k] == theirs[k] for k in ours)
for k in ours:
    print(f"  {k:15} banyan {len(ours[k]):6}   reladiff {len(theirs[k]):6}")
print("  same differences: " + ("yes" if same else "NO"))
sys.exit(0 if same else 1)
