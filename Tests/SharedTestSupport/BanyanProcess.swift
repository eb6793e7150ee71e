import Foundation

/// The repository's root folder, found from this file's location.
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// How a process ended and what it printed.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var output: String
    public var error: String
}

/// The built `banyan` executable: `BANYAN_BIN`, or the debug build in this repository.
public func banyanExecutable() throws -> String {
    let path =
        ProcessInfo.processInfo.environment["BANYAN_BIN"]
        ?? repositoryRoot.appendingPathComponent(".build/debug/banyan").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw TestSupportError("banyan is not built at \(path): run 'swift build' first, or set BANYAN_BIN")
    }
    return path
}

/// Runs `executable` to its end and returns its status, standard output and standard error.
/// `environment` is added to this process's own.
public func runToEnd(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil
) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    }
    if let directory { process.currentDirectoryURL = directory }
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessOutput(
        status: process.terminationStatus, output: String(decoding: out, as: UTF8.self),
        error: String(decoding: err, as: UTF8.self))
}

/// ``runToEnd(_:_:environment:directory:)`` on a dispatch thread: a test waiting for the process
/// never holds one of the few threads that other tests' tasks run on.
public func runOffThePool(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil
) async throws -> ProcessOutput {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(
                with: Result { try runToEnd(executable, arguments, environment: environment, directory: directory) })
        }
    }
}
