import BanyanCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Measures the legacy service per route, simply and honestly: requests are sent one at a time
/// (low load, so the latency is the route's own and not queueing), and the legacy process's CPU
/// time is read from `/proc/PID/stat` before and after each route's requests.
///
/// It is not a load test: it says how much CPU a request costs and how long it takes alone. Traffic
/// (requests per second) is not measured; give it in the measurements file when known.
public struct WorkloadMeasurer: Sendable {
    /// The legacy process, whose CPU time is read.
    public var pid: Int32?
    /// At least this many requests per route…
    public var minimumRequests: Int
    /// …and for at least this long, so the CPU clock (10 ms ticks) sees enough of it.
    public var minimumSeconds: Double
    /// Rounds of every request sent before measuring (JIT warm-up).
    public var warmupRounds: Int

    public init(pid: Int32?, minimumRequests: Int = 20, minimumSeconds: Double = 0.5, warmupRounds: Int = 2) {
        self.pid = pid
        self.minimumRequests = minimumRequests
        self.minimumSeconds = minimumSeconds
        self.warmupRounds = warmupRounds
    }

    /// Sends each group's requests in turn and returns one measurement per group. `send` performs
    /// one exchange and returns its status (0 or above 499 counts as an error).
    public func measure(
        groups: [(route: String, requests: [HTTPRequest])], send: (HTTPRequest) throws -> Int
    ) throws -> MeasurementSet {
        for _ in 0..<warmupRounds {
            for group in groups { for request in group.requests { _ = try send(request) } }
        }
        var routes: [RouteMeasurement] = []
        for group in groups where !group.requests.isEmpty {
            var latencies: [Double] = []
            var errors = 0
            let cpuBefore = pid.flatMap(Self.cpuSeconds(pid:))
            let waitBefore = pid.flatMap(Self.runQueueWaitSeconds(pid:))
            let start = monotonicNow()
            var index = 0
            while latencies.count < minimumRequests || monotonicNow() - start < minimumSeconds {
                let request = group.requests[index % group.requests.count]
                index += 1
                let sent = monotonicNow()
                let status = try send(request)
                latencies.append((monotonicNow() - sent) * 1000)
                if status == 0 || status >= 500 { errors += 1 }
            }
            let cpuAfter = pid.flatMap(Self.cpuSeconds(pid:))
            let waitAfter = pid.flatMap(Self.runQueueWaitSeconds(pid:))
            var cpu: Double?
            if let cpuBefore, let cpuAfter { cpu = (cpuAfter - cpuBefore) / Double(latencies.count) }
            var wait: Double?
            if let waitBefore, let waitAfter { wait = (waitAfter - waitBefore) / Double(latencies.count) }
            routes.append(
                RouteMeasurement(
                    route: group.route, p50Milliseconds: nearestRank(latencies, 0.50),
                    p99Milliseconds: nearestRank(latencies, 0.99), cpuSecondsPerRequest: cpu,
                    cpuWaitSecondsPerRequest: wait, samples: latencies.count, errors: errors))
        }
        let conditions =
            "sequential requests (one in flight), at least \(minimumRequests) per route and \(minimumSeconds) s, "
            + "after \(warmupRounds) warm-up rounds; CPU from /proc/\(pid.map(String.init) ?? "?")/stat "
            + "(utime+stime, \(Self.ticksPerSecond) ticks/s) and time waiting for a CPU from its schedstat; "
            + "latency includes the client's own time"
        return MeasurementSet(source: "banyan plan --measure", conditions: conditions, routes: routes)
    }

    /// The clock ticks per second of /proc's CPU times.
    public static var ticksPerSecond: Int { Int(sysconf(Int32(_SC_CLK_TCK))) }

    /// User plus system CPU seconds of a process so far, from /proc/PID/stat; nil when unreadable.
    public static func cpuSeconds(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after "(comm)": state is field 3, utime 14, stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(ticksPerSecond)
    }

    /// Seconds the process's main thread has spent runnable but waiting for a CPU, from
    /// /proc/PID/schedstat (its second field, in nanoseconds); nil when unreadable.
    public static func runQueueWaitSeconds(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/schedstat", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let wait = Double(fields[1].trimmingCharacters(in: .whitespacesAndNewlines)) else {
            return nil
        }
        return wait / 1e9
    }

    /// The process listening on a TCP port of this machine, found through /proc/net/tcp{,6} and the
    /// processes' open sockets; nil when none is visible.
    public static func listeningProcess(port: Int) -> Int32? {
        var inodes = Set<String>()
        let hexPort = String(format: "%04X", port)
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 9, fields[3] == "0A", fields[1].hasSuffix(":" + hexPort) else { continue }
                inodes.insert(String(fields[9]))
            }
        }
        guard !inodes.isEmpty else { return nil }
        let targets = Set(inodes.map { "socket:[\($0)]" })
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in processes {
            guard let pid = Int32(entry) else { continue }
            let folder = "/proc/\(entry)/fd"
            guard let fds = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            for fd in fds {
                if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(folder)/\(fd)"),
                    targets.contains(link)
                {
                    return pid
                }
            }
        }
        return nil
    }
}

/// The nearest-rank percentile of `values` (`q` in 0…1); 0 for no values.
func nearestRank(_ values: [Double], _ q: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let rank = Int((q * Double(sorted.count)).rounded(.up))
    return sorted[max(0, min(sorted.count - 1, rank - 1))]
}

func monotonicNow() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}
