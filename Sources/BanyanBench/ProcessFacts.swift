/// What a target's process is: its runtime, how it was built, how it runs.
public struct ProcessFacts: Sendable, Hashable, Codable {
    public enum Runtime: String, Sendable, Hashable, Codable {
        case node, swift, rust, other
    }

    public var pid: Int32
    public var executable: String
    public var commandLine: [String]
    public var runtime: Runtime
    /// `debug`, `release` or `unknown` for compiled targets; `production` or `development` for Node
    /// (from NODE_ENV).
    public var buildProfile: String
    /// Why the profile was judged so: `built under .build/x86_64-unknown-linux-gnu/debug`.
    public var evidence: String
    /// NODE_ENV as the process sees it, nil when unset.
    public var nodeEnvironment: String?
    public var processes: Int
    public var threads: Int

    public init(
        pid: Int32, executable: String, commandLine: [String], runtime: Runtime, buildProfile: String,
        evidence: String, nodeEnvironment: String?, processes: Int, threads: Int
    ) {
        self.pid = pid
        self.executable = executable
        self.commandLine = commandLine
        self.runtime = runtime
        self.buildProfile = buildProfile
        self.evidence = evidence
        self.nodeEnvironment = nodeEnvironment
        self.processes = processes
        self.threads = threads
    }

    /// Judges the runtime and build profile from what /proc shows.
    ///
    /// - Parameters:
    ///   - mappedLibraries: /proc/PID/maps (a Swift program maps libswiftCore unless linked statically).
    ///   - binaryContains: whether the executable's bytes contain a marker (`/rustc/` paths of Rust's
    ///     standard library, `swift5_protocols` sections of a statically linked Swift program).
    public static func inspect(
        pid: Int32, executable: String, commandLine: [String], nodeEnvironment: String?, mappedLibraries: String,
        processes: Int, threads: Int, binaryContains: (String) -> Bool
    ) -> ProcessFacts {
        let name = executable.split(separator: "/").last.map(String.init) ?? ""
        let runtime: Runtime
        if name == "node" || name == "nodejs" || name.hasPrefix("node-") {
            runtime = .node
        } else if mappedLibraries.contains("libswiftCore") || binaryContains("swift5_protocols") {
            runtime = .swift
        } else if binaryContains("/rustc/") {
            runtime = .rust
        } else {
            runtime = .other
        }
        var profile = "unknown"
        var evidence = ""
        if runtime == .node {
            profile = nodeEnvironment == "production" ? "production" : "development"
            evidence = nodeEnvironment.map { "NODE_ENV=\($0)" } ?? "NODE_ENV is not set"
        } else {
            let components = executable.split(separator: "/").map(String.init)
            if let tool = components.lastIndex(where: { $0 == ".build" || $0 == "target" }) {
                let below = components[(tool + 1)...].dropLast()
                if let folder = below.last(where: { $0 == "debug" || $0 == "release" }) {
                    profile = folder
                    evidence = "built under \(components[tool...].dropLast().joined(separator: "/"))"
                }
            }
            if profile == "unknown" {
                evidence = "no build folder in the path \(executable)"
            }
        }
        return ProcessFacts(
            pid: pid, executable: executable, commandLine: commandLine, runtime: runtime, buildProfile: profile,
            evidence: evidence, nodeEnvironment: nodeEnvironment, processes: processes, threads: threads)
    }
}
