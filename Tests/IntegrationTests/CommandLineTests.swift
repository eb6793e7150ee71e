import Foundation
import SharedTestSupport
import Testing

/// Runs the built `banyan` executable as a user would.
struct CommandLineTests {
    typealias Result = ProcessOutput

    static func banyan(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        try runToEnd(try banyanExecutable(), arguments, environment: environment, directory: repositoryRoot)
    }

    static func temporaryFile(_ name: String, _ text: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-cli-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    @Test func helpListsTheSubcommands() throws {
        let result = try Self.banyan(["--help"])
        #expect(result.status == 0)
        for name in ["config", "record", "verify", "probe", "diff", "bench", "routes", "audit", "plan"] {
            #expect(result.output.contains("\n  \(name) "), "\(name)")
        }
        #expect(try Self.banyan(["--version"]).output == "0.1.0\n")
        for subcommand in [
            ["config", "check"], ["record"], ["verify"], ["probe"], ["diff"], ["bench"], ["routes", "import"],
            ["audit"],
            ["plan"],
        ] {
            let help = try Self.banyan(subcommand + ["--help"])
            #expect(help.status == 0, "\(subcommand)")
            #expect(help.output.hasPrefix("OVERVIEW: "), "\(subcommand)")
        }
    }

    @Test func configCheckExitsZeroForAValidFileAndOneWithLineAndKey() throws {
        let valid = try Self.banyan(["config", "check", "Examples/banyan.yaml"])
        #expect(valid.status == 0)
        #expect(valid.output.hasPrefix("Examples/banyan.yaml: valid\n"))
        let broken = try Self.temporaryFile(
            "banyan.yaml",
            "legacy: http://127.0.0.1:3000\ncandidate: http://127.0.0.1:8080\nroutes:\n  - route: GET /a\n    mode: canery\n"
        )
        let invalid = try Self.banyan(["config", "check", broken])
        #expect(invalid.status == 1)
        #expect(
            invalid.error
                == "\(broken):5:11: routes[0].mode: unknown mode 'canery'; allowed: legacy, shadow, canary, new "
                + "(did you mean 'canary'?)\n")
        let json = try Self.banyan(["config", "check", broken, "--format", "json"])
        #expect(json.status == 1)
        #expect(json.output.contains("\"key\" : \"routes[0].mode\""))
        #expect(json.output.contains("\"line\" : 5"))
    }

    @Test func verifyExitsTwoNamingAHandEditedFixture() throws {
        let fixture = try Self.temporaryFile(
            "001-get-a.fixture", "### banyan fixture 1\n### request\nGET /a HTTP/1.1\n\n### response\nHTTP/1.1 2OO OK\n"
        )
        let result = try Self.banyan(["verify", fixture, "--target", "http://127.0.0.1:9"])
        #expect(result.status == 2)
        #expect(
            result.error
                == "error: \(fixture):6: expected a status line like 'HTTP/1.1 200 OK', found 'HTTP/1.1 2OO OK'\n")
    }

    @Test func diffOfTwoBodiesExitsOneWithTheJSONReport() throws {
        let legacy = try Self.temporaryFile("legacy.json", #"{"id":1,"createdAt":"2026-06-02T10:00:00.000Z"}"#)
        let candidate = try Self.temporaryFile("candidate.json", #"{"id":1,"createdAt":"2026-06-02T10:00:00Z"}"#)
        let result = try Self.banyan(["diff", legacy, candidate, "--format", "json"])
        #expect(result.status == 1)
        #expect(result.output.contains(#""kind": "body.date_format""#))
        #expect(result.output.contains(#""path": "$.createdAt""#))
        let same = try Self.banyan(["diff", legacy, legacy])
        #expect(same.status == 0)
    }

    @Test func usageErrorsExitTwo() throws {
        #expect(try Self.banyan(["verify"]).status == 2)
        #expect(try Self.banyan(["record", "--target", "ftp://x", "--requests", "a.http", "--out", "o"]).status == 2)
    }
}
