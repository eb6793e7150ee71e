import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How a process ended and what it printed.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var output: String
    public var error: String
}

/// Runs `executable` to its end and returns its status, standard output and standard error.
/// `environment` is added to this process's own.
///
/// The process starts with posix_spawn and is awaited with waitpid, its output goes to temporary
/// files: a child that outlives it (a browser's helper, a server a tool starts) can neither hide
/// its exit nor keep a pipe open. A process still running after `timeLimit` seconds is stopped
/// (SIGTERM, then SIGKILL) and the call throws with what it printed so far.
///
/// - Throws: ``ProcessError`` when it cannot start or runs past `timeLimit`.
public func runToEnd(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
    timeLimit: Double = 600
) throws -> ProcessOutput {
    let output = try OutputFile()
    let error = try OutputFile()
    let variables = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let status = try spawnAndWait(
        executable, arguments, environment: variables.map { "\($0.key)=\($0.value)" },
        directory: directory?.path, output: output.handle.fileDescriptor,
        error: error.handle.fileDescriptor, timeLimit: timeLimit)
    guard let status else {
        throw ProcessError(
            "\(executable) \(arguments.joined(separator: " ")) did not end within \(String(format: "%g", timeLimit)) s and was "
                + "stopped; standard output:\n\(output.text())\nstandard error:\n\(error.text())")
    }
    return ProcessOutput(status: status, output: output.text(), error: error.text())
}

/// Starts `executable` with posix_spawn, standard input from /dev/null, and waits for it: its
/// exit status (128 + the signal for one that a signal ended), or nil when it ran past
/// `timeLimit` seconds and was stopped.
public func spawnAndWait(
    _ executable: String, _ arguments: [String], environment: [String]?, directory: String?, output: Int32,
    error: Int32, timeLimit: Double
) throws(ProcessError) -> Int32? {
    let child = try ChildProcess(
        executable, arguments, environment: environment, directory: directory, output: output, error: error)
    if let status = child.wait(timeLimit: timeLimit) { return status }
    child.stop()
    return nil
}

/// A temporary file that takes a child process's output, removed when the value goes away.
public final class OutputFile {
    public let url: URL
    public let handle: FileHandle

    /// - Throws: ``ProcessError`` when the temporary folder does not take the file.
    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-output-\(UUID())")
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw ProcessError("cannot create \(url.path)")
        }
        handle = try FileHandle(forWritingTo: url)
    }

    /// What was written so far.
    public func text() -> String {
        String(decoding: (try? Data(contentsOf: url)) ?? Data(), as: UTF8.self)
    }

    deinit {
        try? handle.close()
        try? FileManager.default.removeItem(at: url)
    }
}
