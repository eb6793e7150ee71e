// The process helpers (`ChildProcess`, `runToEnd`, `OutputFile`) live in BanyanProcess, which the
// demo shares; every test target that imports SharedTestSupport sees them.
@_exported import BanyanProcess
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The repository's root folder, found from this file's location.
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The built `banyan` executable: `BANYAN_BIN`, or the debug build in this repository.
public func banyanExecutable() throws -> String {
    TestLedger.watchForLeaks()
    let path =
        ProcessInfo.processInfo.environment["BANYAN_BIN"]
        ?? repositoryRoot.appendingPathComponent(".build/debug/banyan").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw TestSupportError("banyan is not built at \(path): run 'swift build' first, or set BANYAN_BIN")
    }
    return path
}

/// ``runToEnd(_:_:environment:directory:timeLimit:)`` on a dispatch thread: a test waiting for the process
/// never holds one of the few threads that other tests' tasks run on.
public func runOffThePool(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
    timeLimit: Double = 600
) async throws -> ProcessOutput {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(
                with: Result {
                    try runToEnd(
                        executable, arguments, environment: environment, directory: directory, timeLimit: timeLimit)
                })
        }
    }
}
