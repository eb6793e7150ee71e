#!/usr/bin/env python3
"""Validates every recorded JSON body against the OpenAPI 3.1 document `banyan contract gen --lang
openapi` wrote: request bodies against the operation's requestBody schema, response bodies against
the schema of their status (JSON Schema 2020-12, python-jsonschema).

  validate-openapi.py OPENAPI_JSON FIXTURE_DIR...
Prints one line per failure (fixture, JSON path, message) and a summary; exit 1 on any failure."""
import json
import os
import re
import sys

from jsonschema import Draft202012Validator
from referencing import Registry, Resource


def sections(text):
    """route, status, request body, response body of one fixture file (base64 bodies skipped)."""
    route, status, section, body, in_body, bodies = None, None, None, [], False, {}
    for line in text.split("\n"):
        if line.startswith("### route: "):
            route = line[len("### route: "):]
        elif line in ("### request", "### response", "### end"):
            if in_body and body:
                bodies[section] = "\n".join(body)
            section, body, in_body = line[4:], [], False
        elif line.startswith("### "):
            continue
        elif section and not in_body:
            if line == "":
                in_body = True
            elif section == "request" and route is None:
                method, target = line.split(" ")[:2]
                route = method + " " + target.split("?")[0]
            elif section == "response" and status is None and line.startswith("HTTP/"):
                status = line.split(" ")[1]
        elif in_body:
            body.append(line)
    return route, status, bodies


def main():
    document = json.load(open(sys.argv[1], encoding="utf-8"))
    # The document as one resource, so that "#/components/schemas/…" references resolve in it.
    registry = Registry().with_resource("urn:api", Resource.opaque(document))
    def validator(schema):
        return Draft202012Validator({"$ref": "urn:api#" + schema["$ref"][1:]} if "$ref" in schema else schema, registry=registry)
    checked = failed = 0
    for folder in sys.argv[2:]:
        for directory, _, files in sorted(os.walk(folder)):
            for name in sorted(files):
                if not name.endswith(".fixture"):
                    continue
                path = os.path.join(directory, name)
                route, status, bodies = sections(open(path, encoding="utf-8").read())
                method, pattern = route.split(" ", 1)
                api_path = re.sub(r":(\w+)", r"{\1}", pattern)
                operation = document["paths"].get(api_path, {}).get(method.lower())
                for side, text in bodies.items():
                    try:
                        value = json.loads(text)
                    except ValueError:
                        continue
                    if side == "request":
                        schema = (operation or {}).get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
                    else:
                        content = ((operation or {}).get("responses", {}).get(status) or {}).get("content", {})
                        schema = next((c["schema"] for t, c in content.items() if t.endswith("json")), None)
                    checked += 1
                    if schema is None:
                        failed += 1
                        print(f"{path}: no schema for {route} {side} {status}")
                        continue
                    for error in validator(schema).iter_errors(value):
                        failed += 1
                        print(f"{path}: {side} {error.json_path}: {error.message}")
                        break
    print(f"{checked - failed} of {checked} recorded JSON bodies validate")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
