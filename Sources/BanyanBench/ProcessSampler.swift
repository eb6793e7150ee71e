import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One reading of a target's processes from /proc.
public struct ProcessSample: Sendable, Hashable, Codable {
    /// Seconds since the bench started.
    public var time: Double
    /// Resident memory of every process of the target (VmRSS), in bytes.
    public var rssBytes: Int
    /// The peak resident memory each process reached (VmHWM), summed, in bytes.
    public var peakRSSBytes: Int
    /// User and system CPU time of the processes, in seconds.
    public var cpuSeconds: Double
    public var threads: Int
    public var processes: Int

    public init(time: Double, rssBytes: Int, peakRSSBytes: Int, cpuSeconds: Double, threads: Int, processes: Int) {
        self.time = time
        self.rssBytes = rssBytes
        self.peakRSSBytes = peakRSSBytes
        self.cpuSeconds = cpuSeconds
        self.threads = threads
        self.processes = processes
    }
}

/// Reads the processes of a target from /proc: the process listening on its port (or a given
/// pid) and its descendants (a Node cluster's workers).
public struct ProcessSampler: Sendable {
    /// The process found or given, and its descendants when the sampler was made.
    public let pids: [Int32]
    public let root: Int32
    private let started: Double

    /// Samples `pid` and its descendants.
    public init(pid: Int32, started: Double = monotonicSeconds()) throws(BenchError) {
        guard FileManager.default.fileExists(atPath: "/proc/\(pid)/status") else {
            throw BenchError(.process, "--pid \(pid): no such process")
        }
        self.root = pid
        self.pids = [pid] + ProcFS.descendants(of: pid)
        self.started = started
    }

    /// Finds the process listening on the port: /proc/net/tcp{,6} names the socket's inode,
    /// /proc/PID/fd links name the process holding it.
    public static func listening(port: Int, started: Double = monotonicSeconds()) throws(BenchError) -> Self {
        let inodes = ProcFS.listeningInodes(port: port)
        guard !inodes.isEmpty else {
            throw BenchError(.process, "nothing listens on port \(port) on this machine; give the process with --pid")
        }
        let owners = ProcFS.pids(holdingSocketInodes: inodes)
        guard let first = owners.min() else {
            throw BenchError(
                .process,
                "port \(port) is open but its process cannot be read (another user's, or another namespace); "
                    + "give it with --pid")
        }
        // The oldest holder is the parent of the others in a cluster (its pid is usually the lowest).
        let root = owners.first { ProcFS.parent(of: $0).map { !owners.contains($0) } ?? true } ?? first
        return try Self(pid: root, started: started)
    }

    /// Reads memory and CPU time now.
    public func sample() -> ProcessSample {
        var rss = 0
        var peak = 0
        var cpu = 0.0
        var threads = 0
        var alive = 0
        for pid in pids {
            guard let status = ProcFS.status(pid) else { continue }
            alive += 1
            rss += (status["VmRSS"].flatMap(ProcFS.kilobytes) ?? 0) * 1024
            peak += (status["VmHWM"].flatMap(ProcFS.kilobytes) ?? 0) * 1024
            threads += status["Threads"].flatMap { Int($0) } ?? 0
            cpu += ProcFS.cpuSeconds(pid) ?? 0
        }
        return ProcessSample(
            time: monotonicSeconds() - started, rssBytes: rss, peakRSSBytes: peak, cpuSeconds: cpu, threads: threads,
            processes: alive)
    }

    /// What the honesty checks need to know about the target.
    public func facts() -> ProcessFacts {
        ProcFS.facts(root, processes: pids.count, threads: sample().threads)
    }
}

/// Seconds on a monotonic clock.
public func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Readers of /proc, each returning nil (or nothing) when a file cannot be read.
enum ProcFS {
    static func read(_ path: String) -> String? {
        // /proc files report size 0: read them as a stream.
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func status(_ pid: Int32) -> [String: String]? {
        guard let text = read("/proc/\(pid)/status") else { return nil }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    /// `123456 kB` → 123456.
    static func kilobytes(_ text: String) -> Int? {
        Int(text.split(separator: " ").first ?? "")
    }

    /// CPU time of the process, in seconds: the nanosecond on-CPU times of its threads
    /// (/proc/PID/task/*/schedstat), or utime + stime in clock ticks (10 ms) when those are missing.
    /// Ticks are too coarse for a light route: 40 requests of 0.1 ms round to 0 or 10 ms.
    static func cpuSeconds(_ pid: Int32) -> Double? {
        if let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") {
            var total: UInt64 = 0
            var found = false
            for task in tasks {
                guard let text = read("/proc/\(pid)/task/\(task)/schedstat"),
                    let first = text.split(separator: " ").first, let nanoseconds = UInt64(first)
                else { continue }
                total += nanoseconds
                found = true
            }
            // Threads that ended took their time with them: keep what the kernel's total says if larger.
            if found { return Swift.max(Double(total) / 1e9, tickSeconds(pid) ?? 0) }
        }
        return tickSeconds(pid)
    }

    /// utime + stime from /proc/PID/stat, in seconds (includes threads that have ended).
    static func tickSeconds(_ pid: Int32) -> Double? {
        guard let text = read("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name: state is field 3, utime 14, stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func parent(of pid: Int32) -> Int32? {
        guard let text = read("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    static func allPIDs() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
    }

    static func descendants(of root: Int32) -> [Int32] {
        var children: [Int32: [Int32]] = [:]
        for pid in allPIDs() {
            if let parent = parent(of: pid) { children[parent, default: []].append(pid) }
        }
        var found: [Int32] = []
        var queue = children[root] ?? []
        while let pid = queue.popLast() {
            found.append(pid)
            queue += children[pid] ?? []
        }
        return found.sorted()
    }

    /// Inodes of sockets listening on the port, from /proc/net/tcp and tcp6.
    static func listeningInodes(port: Int) -> Set<String> {
        var inodes: Set<String> = []
        let hexPort = String(format: "%04X", port)
        for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = read(file) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                guard fields.count > 9, fields[3] == "0A", fields[1].hasSuffix(":" + hexPort) else { continue }
                inodes.insert(String(fields[9]))
            }
        }
        return inodes
    }

    static func pids(holdingSocketInodes inodes: Set<String>) -> [Int32] {
        let targets = Set(inodes.map { "socket:[\($0)]" })
        var owners: [Int32] = []
        for pid in allPIDs() {
            let folder = "/proc/\(pid)/fd"
            guard let fds = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            for fd in fds {
                if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(folder)/\(fd)"),
                    targets.contains(link)
                {
                    owners.append(pid)
                    break
                }
            }
        }
        return owners.sorted()
    }

    static func facts(_ pid: Int32, processes: Int, threads: Int) -> ProcessFacts {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) ?? ""
        let commandLine = (read("/proc/\(pid)/cmdline") ?? "").split(separator: "\0").map(String.init)
        var environment: [String: String] = [:]
        for entry in (read("/proc/\(pid)/environ") ?? "").split(separator: "\0") {
            guard let equals = entry.firstIndex(of: "=") else { continue }
            let key = String(entry[..<equals])
            if key == "NODE_ENV" { environment[key] = String(entry[entry.index(after: equals)...]) }
        }
        let maps = read("/proc/\(pid)/maps") ?? ""
        return ProcessFacts.inspect(
            pid: pid, executable: executable, commandLine: commandLine, nodeEnvironment: environment["NODE_ENV"],
            mappedLibraries: maps, processes: processes, threads: threads,
            binaryContains: { needle in BinaryScan.contains(path: executable, needle) })
    }
}

/// Looks for a marker in an executable without reading all of it into memory at once.
enum BinaryScan {
    static func contains(path: String, _ needle: String) -> Bool {
        guard !path.isEmpty, let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let pattern = Array(needle.utf8)
        var carry: [UInt8] = []
        var total = 0
        while total < 512 << 20, let chunk = try? handle.read(upToCount: 4 << 20), !chunk.isEmpty {
            total += chunk.count
            let window = carry + chunk
            if find(pattern, in: window) { return true }
            carry = Array(window.suffix(pattern.count - 1))
        }
        return false
    }

    static func find(_ pattern: [UInt8], in bytes: [UInt8]) -> Bool {
        guard let first = pattern.first, bytes.count >= pattern.count else { return false }
        var index = 0
        let last = bytes.count - pattern.count
        while index <= last {
            if bytes[index] == first && bytes[index..<(index + pattern.count)].elementsEqual(pattern) { return true }
            index += 1
        }
        return false
    }
}
