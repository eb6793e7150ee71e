import BanyanData
import Foundation
import PostgresTestSupport

extension PostgresCluster {
    /// `postgres://postgres@127.0.0.1:PORT/NAME`
    func url(_ database: String) -> DatabaseURL {
        try! DatabaseURL(parsing: urlText(database))
    }

    /// Creates a fresh database and returns its URL.
    func makeDatabase(_ prefix: String = "t") async throws -> DatabaseURL {
        url(try await createDatabase(prefix))
    }
}

/// A fresh temporary folder for SQLite files.
func temporaryFolder() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
        "banyan-data-\(UUID().uuidString.prefix(8))"
    ).path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The repository's root folder, found from this file's location.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The built `banyan` executable.
func banyanExecutable() throws -> String {
    let path =
        ProcessInfo.processInfo.environment["BANYAN_BIN"]
        ?? repositoryRoot.appendingPathComponent(".build/debug/banyan").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw TestSupportError("banyan is not built at \(path): run 'swift build' first, or set BANYAN_BIN")
    }
    return path
}
