#!/usr/bin/env python3
"""Anchor for Benchmarks/contract-infer.sh: GenSON infers a JSON Schema per route and status from
the same fixture files `banyan contract infer` reads (request and response JSON bodies)."""
import json
import os
import sys

from genson import SchemaBuilder


def bodies(text):
    """The route, status and JSON body texts of one fixture file (base64 bodies are skipped)."""
    lines = text.split("\n")
    route, status, section, body, in_body = None, None, None, [], False
    found = []
    for line in lines:
        if line.startswith("### route: "):
            route = line[len("### route: "):]
        elif line in ("### request", "### response", "### end"):
            if in_body and body:
                found.append((section, "\n".join(body)))
            section, body, in_body = line[4:], [], False
            continue
        elif line.startswith("### "):
            continue
        elif section and not in_body:
            if line == "":
                in_body = True
            elif section == "response" and status is None and line.startswith("HTTP/"):
                status = line.split(" ")[1]
        elif in_body:
            body.append(line)
    return route, status, found


def main():
    builders = {}
    count = 0
    for folder in sys.argv[1:]:
        for directory, _, files in os.walk(folder):
            for name in files:
                if not name.endswith(".fixture"):
                    continue
                with open(os.path.join(directory, name), encoding="utf-8") as handle:
                    route, status, found = bodies(handle.read())
                count += 1
                for section, text in found:
                    try:
                        value = json.loads(text)
                    except ValueError:
                        continue
                    key = (route, "request" if section == "request" else status)
                    builders.setdefault(key, SchemaBuilder()).add_object(value)
    print(f"genson: {count} fixtures, {len(builders)} schemas")


if __name__ == "__main__":
    main()
