extension DiffReport {
    /// The machine-readable report, indented by two spaces, ending with a newline. Its shape is stable:
    ///
    /// ```
    /// {"summary": {"exchanges", "passed", "failed", "breaking", "risky", "cosmetic", "noise"},
    ///  "exchanges": [{"request": {"method", "path"}, "route", "probe", "passed",
    ///                 "differences": [{"kind", "severity", "path", "header", "legacy", "candidate",
    ///                                  "explanation", "reason"}]}]}
    /// ```
    public func jsonText() -> String {
        let summary = self.summary
        func string(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
        let document: JSONValue = [
            "summary": [
                "exchanges": .number(JSONNumber(summary.exchanges)),
                "passed": .number(JSONNumber(summary.passed)),
                "failed": .number(JSONNumber(summary.failed)),
                "breaking": .number(JSONNumber(summary.breaking)),
                "risky": .number(JSONNumber(summary.risky)),
                "cosmetic": .number(JSONNumber(summary.cosmetic)),
                "noise": .number(JSONNumber(summary.noise)),
            ],
            "exchanges": .array(
                exchanges.map { exchange in
                    [
                        "request": ["method": .string(exchange.method), "path": .string(exchange.path)],
                        "route": string(exchange.route),
                        "probe": string(exchange.probe),
                        "passed": .bool(exchange.passed),
                        "differences": .array(
                            exchange.differences.map { difference in
                                [
                                    "kind": .string(difference.kind.rawValue),
                                    "severity": .string(difference.severity.rawValue),
                                    "path": string(difference.kind.isBodyPathKind ? difference.path : nil),
                                    "header": string(difference.kind.isHeaderKind ? difference.header : nil),
                                    "legacy": string(difference.legacy),
                                    "candidate": string(difference.candidate),
                                    "explanation": .string(difference.explanation),
                                    "reason": string(difference.policyReason),
                                ]
                            }),
                    ]
                }),
        ]
        return document.prettyText() + "\n"
    }

    /// A report for terminals: one block per exchange, one line per difference, then a summary line.
    public func plainText() -> String {
        var lines: [String] = []
        for exchange in exchanges {
            var heading = "\(exchange.passed ? "PASS" : "FAIL") \(exchange.method) \(exchange.path)"
            if let route = exchange.route { heading += " (route \(route))" }
            if let probe = exchange.probe { heading += " [probe \(probe)]" }
            lines.append(heading)
            for difference in exchange.differences {
                lines.append("  " + difference.lineText)
            }
            lines.append("")
        }
        let summary = self.summary
        lines.append(
            "\(summary.exchanges) exchanges: \(summary.passed) passed, \(summary.failed) failed; differences: "
                + "\(summary.breaking) breaking, \(summary.risky) risky, \(summary.cosmetic) cosmetic, "
                + "\(summary.noise) noise")
        return lines.joined(separator: "\n") + "\n"
    }

    /// JUnit XML for CI: one test case per exchange; a failure element lists the differences at or
    /// above the failing severity.
    public func junitXML(suiteName: String = "banyan") -> String {
        let summary = self.summary
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let counts = "tests=\"\(summary.exchanges)\" failures=\"\(summary.failed)\""
        xml += "<testsuites name=\"\(xmlEscaped(suiteName))\" \(counts)>\n"
        xml += "  <testsuite name=\"\(xmlEscaped(suiteName))\" \(counts)>\n"
        for exchange in exchanges {
            let name = xmlEscaped("\(exchange.method) \(exchange.path)")
            let className = xmlEscaped(exchange.route ?? exchange.probe ?? "unmatched")
            let failures = exchange.failures
            if failures.isEmpty {
                xml += "    <testcase classname=\"\(className)\" name=\"\(name)\"/>\n"
                continue
            }
            let worst = failures.map(\.severity).max()!
            let message = "\(failures.count) difference\(failures.count == 1 ? "" : "s") at or above \(exchange.failAt)"
            xml += "    <testcase classname=\"\(className)\" name=\"\(name)\">\n"
            xml += "      <failure message=\"\(xmlEscaped(message))\" type=\"\(worst)\">"
            xml += xmlEscaped(failures.map(\.lineText).joined(separator: "\n"))
            xml += "</failure>\n"
            xml += "    </testcase>\n"
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }
}

extension Difference {
    /// Where the difference is: the header name, the JSON path, `status` or `body`.
    public var location: String {
        if kind.isHeaderKind { return header ?? "header" }
        if kind == .status { return "status" }
        return path ?? "body"
    }

    /// One line: severity, kind, location, legacy → candidate, explanation (and the policy reason).
    public var lineText: String {
        let legacyText = legacy.map(Self.oneLine) ?? "(absent)"
        let candidateText = candidate.map(Self.oneLine) ?? "(absent)"
        var line = "\(severity.rawValue.padded(to: 8)) \(kind.rawValue) \(location): \(legacyText) → \(candidateText)"
        line += " — \(Self.oneLine(explanation))"
        if let policyReason { line += " [policy: \(Self.oneLine(policyReason))]" }
        return line
    }

    private static func oneLine(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default: result.append(character)
            }
        }
        return result
    }
}

extension String {
    fileprivate func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

/// Escapes text for XML attributes and content; drops characters XML 1.0 cannot carry.
func xmlEscaped(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&apos;"
        case "\n", "\r", "\t": result.unicodeScalars.append(scalar)
        case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
            result += "\u{FFFD}"
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result
}
