#!/usr/bin/env python3
"""Documentation coverage of the Swift modules in Sources/.

For each module: `///` doc lines per line of code, and the share of public (and open)
declarations that have a summary, i.e. a `///` comment right above them (attributes such as
`@discardableResult` may stand in between). Extensions are not declarations of their own; their
members are counted.

    scripts/doc-coverage.py                       every module, as a table
    scripts/doc-coverage.py --format json         the same as JSON
    scripts/doc-coverage.py --missing BanyanCore  list the public declarations without a summary
    scripts/doc-coverage.py --require 100 BanyanCore BanyanProxy BanyanState
                                                  exit 1 unless those modules reach 100%
"""
import argparse
import json
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources")
DECLARATION = re.compile(
    r"^\s*(?:@[\w.]+(?:\([^)]*\))?\s+)*(?:(?:public|open)(?:\s*\(set\))?\s+)"
    r"(?:(?:final|static|class|override|mutating|nonmutating|nonisolated|indirect|convenience|required|lazy|"
    r"consuming|borrowing|dynamic|private\(set\)|fileprivate\(set\)|internal\(set\))\s+)*"
    r"(?P<kind>func|var|let|struct|class|enum|protocol|init[?!]?|typealias|subscript|actor|case|associatedtype)\b"
)


def module_files(module):
    folder = os.path.join(ROOT, module)
    for directory, _, names in os.walk(folder):
        for name in sorted(names):
            if name.endswith(".swift"):
                yield os.path.join(directory, name)


def measure(module):
    doc_lines = code_lines = 0
    declarations = documented = 0
    missing = []
    for path in module_files(module):
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().split("\n")
        in_block_comment = False
        for index, line in enumerate(lines):
            stripped = line.strip()
            if in_block_comment:
                in_block_comment = "*/" not in stripped
                continue
            if stripped.startswith("/*"):
                in_block_comment = "*/" not in stripped
                continue
            if stripped.startswith("///"):
                doc_lines += 1
                continue
            if not stripped or stripped.startswith("//"):
                continue
            code_lines += 1
            if not DECLARATION.match(line) or stripped.startswith("public extension"):
                continue
            declarations += 1
            above = index - 1
            while above >= 0 and lines[above].strip().startswith("@"):
                above -= 1
            if above >= 0 and lines[above].strip().startswith("///"):
                documented += 1
            else:
                missing.append(f"{os.path.relpath(path, os.path.join(ROOT, '..'))}:{index + 1}: {stripped}")
    return {
        "module": module,
        "code_lines": code_lines,
        "doc_lines": doc_lines,
        "doc_per_code_line": round(doc_lines / code_lines, 3) if code_lines else 0,
        "public_declarations": declarations,
        "with_summary": documented,
        "summary_share": round(100 * documented / declarations, 1) if declarations else 100.0,
        "missing": missing,
    }


def main():
    parser = argparse.ArgumentParser(description="Documentation coverage of the Swift modules in Sources/.")
    parser.add_argument("modules", nargs="*", help="modules to measure (default: every folder of Sources/)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--missing", action="store_true", help="list the public declarations without a summary")
    parser.add_argument("--require", type=float, metavar="PERCENT",
                        help="exit 1 when a named module's summary share is below PERCENT")
    arguments = parser.parse_args()
    available = sorted(name for name in os.listdir(ROOT) if os.path.isdir(os.path.join(ROOT, name)))
    unknown = [name for name in arguments.modules if name not in available]
    if unknown:
        print(f"doc-coverage: no module {', '.join(unknown)} in Sources/ (there are {', '.join(available)})",
              file=sys.stderr)
        return 2
    results = [measure(module) for module in (arguments.modules or available)]
    if arguments.format == "json":
        print(json.dumps(results if arguments.missing else
                         [{k: v for k, v in r.items() if k != "missing"} for r in results], indent=2))
    else:
        print(f"{'module':<16} {'code lines':>10} {'doc lines':>9} {'doc/code':>8} {'public':>7} {'summary':>8}")
        for r in results:
            print(f"{r['module']:<16} {r['code_lines']:>10} {r['doc_lines']:>9} {r['doc_per_code_line']:>8.2f} "
                  f"{r['public_declarations']:>7} {r['summary_share']:>7.1f}%")
        if arguments.missing:
            for r in results:
                for place in r["missing"]:
                    print(place)
    if arguments.require is not None:
        short = [r for r in results if r["summary_share"] < arguments.require]
        for r in short:
            print(f"doc-coverage: {r['module']} has a summary on {r['summary_share']}% of its public declarations, "
                  f"below {arguments.require}%", file=sys.stderr)
        return 1 if short else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
