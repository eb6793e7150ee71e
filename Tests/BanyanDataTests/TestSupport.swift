import BanyanData
import Foundation
import SharedTestSupport

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

/// Starts `banyan` with its output discarded, for a test that kills it.
func startBanyan(_ arguments: [String]) throws -> ChildProcess {
    TestLedger.watchForLeaks()
    return try ChildProcess(try banyanExecutable(), arguments)
}
