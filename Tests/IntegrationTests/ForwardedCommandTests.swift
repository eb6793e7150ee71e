import BanyanCore
import Foundation
import Testing

/// `banyan config check` and `banyan routes import` on the forwarded headers.
@Suite("forwarded: in the command line")
struct ForwardedCommandTests {
    static let head = "legacy: http://127.0.0.1:3000\ncandidate: http://127.0.0.1:8080\n"

    @Test("config check warns about append without trusted peers, and only then")
    func appendWithoutTrusted() throws {
        let loose = try CommandLineTests.temporaryFile(
            "banyan.yaml", Self.head + "forwarded:\n  x_forwarded_for: append\n")
        let result = try CommandLineTests.banyan(["config", "check", loose])
        #expect(result.status == 0)
        #expect(
            result.output.contains(
                "\nwarning: forwarded.x_forwarded_for: append without trusted: the X-Forwarded-For of every peer in "
                    + "127.0.0.0/8, ::1/128, 169.254.0.0/16, fe80::/10, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, "
                    + "fc00::/7 is believed and extended; name the load balancers that reach Banyan in forwarded.trusted"
            ))
        let json = try JSONParser.parse(
            try CommandLineTests.banyan(["config", "check", loose, "--format", "json"]).output)
        if case .array(let warnings)? = json["warnings"] {
            #expect(warnings.count == 1)
        } else {
            Issue.record("no warnings")
        }
        let named = try CommandLineTests.temporaryFile(
            "banyan.yaml", Self.head + "forwarded:\n  x_forwarded_for: append\n  trusted: [10.0.0.5]\n")
        let quiet = try CommandLineTests.banyan(["config", "check", named])
        #expect(quiet.status == 0)
        #expect(!quiet.output.contains("warning"))
    }

    @Test("routes import reads trust proxy and says what keeps req.ip, with the exact change")
    func routesImportJudgesTrustProxy() throws {
        let app = try CommandLineTests.temporaryFile(
            "app.js",
            "const express = require('express');\nconst app = express();\napp.set('trust proxy', 1);\n"
                + "app.get('/a', (req, res) => res.json({ ip: req.ip }));\napp.listen(3000);\n")
        let preserve = try CommandLineTests.temporaryFile("banyan.yaml", Self.head)
        let kept = try CommandLineTests.banyan([
            "routes", "import", "--express", app, "--config", preserve, "--dry-run",
        ])
        #expect(kept.status == 0, "\(kept.error)")
        #expect(
            kept.output.contains("forwarded headers: trust proxy 1: req.ip kept, req.protocol kept with forwarded: "))
        let append = try CommandLineTests.temporaryFile(
            "banyan.yaml", Self.head + "forwarded:\n  x_forwarded_for: append\n  trusted: [10.0.0.5]\n")
        let changed = try CommandLineTests.banyan([
            "routes", "import", "--express", app, "--config", append, "--dry-run", "--format", "json",
        ])
        #expect(changed.status == 0, "\(changed.error)")
        let report = try JSONParser.parse(changed.output)
        #expect(report["trust_proxy"]?["setting"] == "1")
        #expect(report["trust_proxy"]?["keeps_ip"] == false)
        #expect(report["trust_proxy"]?["keeps_protocol"] == true)
        #expect(
            report["trust_proxy"]?["changes"]
                == [
                    .string(
                        "x_forwarded_for: append adds a hop: set app.set('trust proxy', 2), or forwarded: "
                            + "{ x_forwarded_for: preserve } in banyan.yaml")
                ])
    }
}
