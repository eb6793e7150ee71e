import Foundation
import SharedTestSupport
import Testing

/// Runs `Tests/Scripts/verify-route-cases.js` against the Express installed on this machine
/// (Debian's node-express, found through NODE_PATH=/usr/share/nodejs).
@Suite("Route cases against the real Express")
struct RouteCasesAgainstExpressTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var expressInstalled: Bool {
        FileManager.default.fileExists(atPath: "/usr/share/nodejs/express/package.json")
    }

    @Test(.enabled(if: expressInstalled, "Debian's node-express is not installed"))
    func everyCasePasses() throws {
        let casesURL = Self.repositoryRoot.appendingPathComponent("Tests/BanyanCoreTests/Resources/route-cases.json")
        let cases = try JSONSerialization.jsonObject(with: Data(contentsOf: casesURL)) as? [Any]
        let caseCount = try #require(cases?.count)

        let run = try runToEnd(
            "/usr/bin/env", ["node", "Tests/Scripts/verify-route-cases.js"],
            environment: ["NODE_PATH": "/usr/share/nodejs"], directory: Self.repositoryRoot, timeLimit: 300)
        let text = run.output

        #expect(run.status == 0, "\(text)\n\(run.error)")
        let lastLine = text.split(separator: "\n").last.map(String.init) ?? ""
        #expect(lastLine == "\(caseCount) passed, 0 failed", "\(text)")
    }
}
