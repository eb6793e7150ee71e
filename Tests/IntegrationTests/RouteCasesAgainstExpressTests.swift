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

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["node", "Tests/Scripts/verify-route-cases.js"]
        process.currentDirectoryURL = Self.repositoryRoot
        var environment = ProcessInfo.processInfo.environment
        environment["NODE_PATH"] = "/usr/share/nodejs"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)

        #expect(process.terminationStatus == 0, "\(text)")
        let lastLine = text.split(separator: "\n").last.map(String.init) ?? ""
        #expect(lastLine == "\(caseCount) passed, 0 failed", "\(text)")
    }
}
