import BanyanCore
import Foundation
import NIOCore
import NIOPosix

/// A target to load: a name (`legacy`, `candidate`), its base URL, and optionally its process.
public struct BenchTarget: Sendable, Hashable {
    public var name: String
    public var base: BaseURL
    /// The process to read from /proc; nil to find the one listening on the port.
    public var pid: Int32?

    public init(name: String, base: BaseURL, pid: Int32? = nil) {
        self.name = name
        self.base = base
        self.pid = pid
    }
}

/// How a bench runs. Durations in seconds.
public struct BenchConfiguration: Sendable {
    /// Measured in turn, A B A B …; the first is the one the others are compared against.
    public var targets: [BenchTarget]
    /// Sent in turn to every target; empty for `GET` of each target's URL path.
    public var requests: [HTTPRequest] = []
    /// Requests per second, open loop.
    public var rate: Double = 100
    public var connections: Int = 32
    /// Per round and target.
    public var duration: Double = 10
    public var rounds: Int = 3
    /// Per target, before anything is measured (JIT, caches, connection set-up).
    public var warmup: Double = 5
    public var timeout: Double = 10
    /// The rate at which the latency of a lone request is measured, for the CPU-bound verdict.
    public var lowLoadRate: Double = 20
    public var lowLoadDuration: Double = 3
    /// Also measure closed loop (labelled as such), to show what a classic tool would report.
    public var closedLoop = false
    /// Connections for the closed-loop measurement; nil for `connections`.
    public var closedLoopConnections: Int?
    /// Seconds of the closed-loop measurement; nil for `duration`.
    public var closedLoopDuration: Double?
    /// Search for the highest rate that meets this objective.
    public var findMax: ServiceLevelObjective?
    /// Seconds per rate tried by the search.
    public var findMaxStepDuration: Double = 3
    /// Seconds between /proc samples.
    public var sampleInterval: Double = 0.2

    public init(targets: [BenchTarget]) {
        self.targets = targets
    }
}

/// Runs a benchmark: warm-up, a low-load probe, interleaved rounds, optional closed-loop and
/// maximum-rate searches, with the targets' processes sampled throughout.
public struct Bench: Sendable {
    public var configuration: BenchConfiguration

    public init(_ configuration: BenchConfiguration) {
        self.configuration = configuration
    }

    /// Runs every phase; `progress` receives a line per phase (`round 2/3: candidate`).
    public func run(progress: (String) -> Void = { _ in }) throws(BenchError) -> BenchReport {
        let config = configuration
        guard !config.targets.isEmpty else { throw BenchError(.usage, "no target: give --target NAME=URL") }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let started = monotonicSeconds()
        let manifestStart = Manifest.capture()

        var states = config.targets.map { target in
            TargetState(target: target, requests: preparedRequests(for: target))
        }
        for index in states.indices {
            let target = states[index].target
            if let pid = target.pid {
                states[index].sampler = try ProcessSampler(pid: pid, started: started)
            } else if isLocal(target.base.host) {
                states[index].sampler = try? ProcessSampler.listening(port: target.base.port, started: started)
            }
            if let sampler = states[index].sampler {
                let idle = sampler.sample()
                states[index].idleRSS = idle.rssBytes
                states[index].record(idle, phase: "idle")
                states[index].facts = sampler.facts()
            }
        }

        let phases =
            states.count
            * ((config.warmup > 0 ? 1 : 0) + (config.lowLoadDuration > 0 ? 1 : 0) + config.rounds
                + (config.closedLoop ? 1 : 0))
            + (config.findMax != nil ? states.count : 0)
        var phase = 0
        func announce(_ text: String) {
            phase += 1
            progress("[\(phase)/\(phases)] \(text)")
        }

        for index in states.indices where config.warmup > 0 {
            announce(
                "warm-up: \(states[index].target.name), \(secondsText(config.warmup)) at \(rateText(config.rate)) req/s"
            )
            _ = try execute(
                openLoop(states[index], rate: config.rate, duration: config.warmup), &states[index], loop, "warm-up")
        }
        for index in states.indices where config.lowLoadDuration > 0 {
            announce(
                "low load: \(states[index].target.name), \(secondsText(config.lowLoadDuration)) at \(rateText(config.lowLoadRate)) req/s"
            )
            let (result, cpu) = try execute(
                openLoop(states[index], rate: config.lowLoadRate, duration: config.lowLoadDuration), &states[index],
                loop, "low load")
            states[index].lowLoad = LowLoadReport(
                rate: config.lowLoadRate, latency: result.latency.summary,
                latencyP10: result.latency.value(atPercentile: CostVerdict.latencyPercentile),
                cpuSecondsPerRequest: cpu.map { result.completed > 0 ? $0 / Double(result.completed) : 0 })
        }
        for round in 1...Swift.max(1, config.rounds) where config.rounds > 0 {
            for index in states.indices {
                announce("round \(round)/\(config.rounds): \(states[index].target.name)")
                let (result, cpu) = try execute(
                    openLoop(states[index], rate: config.rate, duration: config.duration), &states[index], loop,
                    "round \(round)", underLoad: true)
                states[index].add(round: round, result, cpu: cpu)
            }
        }
        if config.closedLoop {
            for index in states.indices {
                let connections = config.closedLoopConnections ?? config.connections
                announce("closed loop: \(states[index].target.name), \(connections) connections")
                let plan = LoadPlan(
                    host: states[index].target.base.host, port: states[index].target.base.port,
                    requests: states[index].requests, mode: .closedLoop, connections: connections,
                    duration: config.closedLoopDuration ?? config.duration, timeout: config.timeout)
                let (result, _) = try execute(plan, &states[index], loop, "closed loop")
                states[index].closedLoop = ClosedLoopReport(
                    label: "closed loop (waits for each answer: coordinated omission hides stalls)",
                    connections: connections, latency: result.latency.summary,
                    spectrum: result.latency.spectrum, achievedRate: result.achievedRate)
            }
        }
        if let slo = config.findMax {
            for index in states.indices {
                announce("find-max: \(states[index].target.name), highest rate meeting \(slo)")
                states[index].maxRate = try findMax(slo, &states[index], loop, progress: progress)
            }
        }

        let generatorProfile = Manifest.ownBuildProfile()
        var percentiles: [Double] = [99, 99.9]
        if let slo = config.findMax, !percentiles.contains(slo.percentile) { percentiles.append(slo.percentile) }
        let reports = states.map { $0.report(sampleInterval: config.sampleInterval) }
        let warnings = HonestyChecks.evaluate(
            states.map {
                HonestyChecks.Evidence(
                    name: $0.target.name, facts: $0.facts, latency: $0.latency.summary, errors: $0.errors,
                    timeouts: $0.timeouts, statusCounts: $0.statusCounts,
                    sendLagP99: $0.sendLag.value(atPercentile: 99))
            }, percentiles: percentiles, generatorProfile: generatorProfile)
        let manifest = ConditionsManifest(
            date: manifestStart.date, cpu: manifestStart.cpu, cores: manifestStart.cores,
            kernel: manifestStart.kernel, loadAverage: manifestStart.loadAverage,
            generator: "banyan \(Banyan.version), one event loop", generatorBuild: generatorProfile,
            mode: "open loop, constant rate; latency from each request's intended send time",
            rate: config.rate, connections: config.connections, durationSeconds: config.duration,
            rounds: config.rounds, warmupSeconds: config.warmup, lowLoadRate: config.lowLoadRate,
            timeoutSeconds: config.timeout,
            requests: (states.first?.requests ?? []).map {
                ConditionsManifest.RequestInfo(label: $0.label, bytes: $0.bytes.readableBytes)
            },
            responseBytes: Dictionary(
                uniqueKeysWithValues: states.map {
                    ($0.target.name, $0.completed > 0 ? Double($0.responseBytes) / Double($0.completed) : 0)
                }),
            buildProfiles: Dictionary(
                uniqueKeysWithValues: states.map { ($0.target.name, $0.facts?.buildProfile ?? "unknown") }),
            samples: Dictionary(uniqueKeysWithValues: states.map { ($0.target.name, $0.latency.count) }))
        return BenchReport(
            manifest: manifest, targets: reports, comparisons: Self.compare(reports), warnings: warnings, gate: nil)
    }

    private func preparedRequests(for target: BenchTarget) -> [PreparedRequest] {
        let requests =
            configuration.requests.isEmpty
            ? [HTTPRequest(method: "GET", target: target.base.pathPrefix.isEmpty ? "/" : target.base.pathPrefix)]
            : configuration.requests.map { request in
                var request = request
                request.target = target.base.pathPrefix + request.target
                return request
            }
        return requests.map { PreparedRequest($0, host: target.base.host, port: target.base.port) }
    }

    private func openLoop(_ state: TargetState, rate: Double, duration: Double) -> LoadPlan {
        LoadPlan(
            host: state.target.base.host, port: state.target.base.port, requests: state.requests,
            mode: .openLoop(rate: rate), connections: configuration.connections, duration: duration,
            timeout: configuration.timeout)
    }

    /// Runs one plan while sampling the target's processes; returns the result and the CPU seconds
    /// the processes spent during it (nil when they are not sampled).
    private func execute(
        _ plan: LoadPlan, _ state: inout TargetState, _ loop: any EventLoop, _ phase: String, underLoad: Bool = false
    ) throws(BenchError) -> (LoadResult, Double?) {
        let before = state.sampler?.sample()
        let finished = DispatchSemaphore(value: 0)
        let future = LoadGenerator.run(plan, on: loop)
        future.whenComplete { _ in finished.signal() }
        while finished.wait(timeout: .now() + configuration.sampleInterval) == .timedOut {
            if let sample = state.sampler?.sample() {
                state.record(sample, phase: phase)
                if underLoad { state.loadSamples.append(sample.rssBytes) }
            }
        }
        let result: LoadResult
        do {
            result = try future.wait()
        } catch let error as BenchError {
            throw BenchError(
                error.code, "\(state.target.name) (\(state.target.base)): \(error.message)", cause: error.cause)
        } catch {
            throw BenchError(.connect, "\(state.target.name) (\(state.target.base)): \(error)", cause: error)
        }
        guard let before, let after = state.sampler?.sample() else { return (result, nil) }
        state.record(after, phase: phase)
        return (result, Swift.max(0, after.cpuSeconds - before.cpuSeconds))
    }

    private func findMax(
        _ slo: ServiceLevelObjective, _ state: inout TargetState, _ loop: any EventLoop,
        progress: (String) -> Void
    ) throws(BenchError) -> MaxRateReport {
        var steps: [MaxRateReport.Step] = []
        func attempt(_ rate: Double) throws(BenchError) -> Bool {
            let (result, _) = try execute(
                openLoop(state, rate: rate, duration: configuration.findMaxStepDuration), &state, loop, "find-max")
            let met =
                slo.isMet(by: result.latency) && result.errors == 0 && result.timeouts == 0
                && Double(result.completed) >= 0.95 * Double(result.scheduled)
            steps.append(
                MaxRateReport.Step(
                    rate: rate, value: result.latency.value(atPercentile: slo.percentile),
                    errors: result.errors + result.timeouts, met: met))
            progress(
                "  \(state.target.name) at \(Int(rate)) req/s: p\(PercentileText.label(slo.percentile)) "
                    + "\(milliseconds(result.latency.value(atPercentile: slo.percentile))) ms "
                    + (met ? "meets" : "misses") + " \(slo)")
            return met
        }
        var low = 0.0
        var high = 0.0
        var rate = configuration.rate
        // Bracket: double until a miss, or halve until a pass (bounded either way).
        if try attempt(rate) {
            low = rate
            for _ in 0..<16 {
                rate *= 2
                if try attempt(rate) { low = rate } else { high = rate; break }
            }
        } else {
            high = rate
            for _ in 0..<10 {
                rate /= 2
                if rate < 1 { break }
                if try attempt(rate) { low = rate; break } else { high = rate }
            }
        }
        if low > 0 && high > 0 {
            for _ in 0..<4 {
                let middle = ((low + high) / 2).rounded()
                if middle <= low || middle >= high { break }
                if try attempt(middle) { low = middle } else { high = middle }
            }
        }
        return MaxRateReport(slo: slo.description, rate: low, steps: steps)
    }

    static func compare(_ reports: [TargetReport]) -> [Comparison] {
        guard let base = reports.first else { return [] }
        var comparisons: [Comparison] = []
        func ratio(_ a: Double, _ b: Double) -> Double? { b > 0 ? a / b : nil }
        for target in reports.dropFirst() {
            let pairs = zip(target.rounds, base.rounds)
            for (metric, value) in [
                ("p50", { (s: LatencySummary) in s.p50 }), ("p99", { $0.p99 }), ("p99.9", { $0.p999 }),
            ] as [(String, (LatencySummary) -> UInt64)] {
                guard let overall = ratio(Double(value(target.latency)), Double(value(base.latency))) else {
                    continue
                }
                let perRound = pairs.compactMap { ratio(Double(value($0.latency)), Double(value($1.latency))) }
                comparisons.append(
                    Comparison(
                        target: target.name, against: base.name, metric: metric, ratio: overall,
                        roundMinimum: perRound.min(), roundMaximum: perRound.max()))
            }
            if let a = target.process, let b = base.process,
                let overall = ratio(Double(a.rssLoadBytes), Double(b.rssLoadBytes))
            {
                comparisons.append(
                    Comparison(
                        target: target.name, against: base.name, metric: "rss", ratio: overall, roundMinimum: nil,
                        roundMaximum: nil))
            }
            if let a = target.process?.cpuSecondsPerRequest, let b = base.process?.cpuSecondsPerRequest,
                let overall = ratio(a, b)
            {
                let perRound = pairs.compactMap { pair -> Double? in
                    guard let x = pair.0.cpuSecondsPerRequest, let y = pair.1.cpuSecondsPerRequest else { return nil }
                    return ratio(x, y)
                }
                comparisons.append(
                    Comparison(
                        target: target.name, against: base.name, metric: "cpu-per-request", ratio: overall,
                        roundMinimum: perRound.min(), roundMaximum: perRound.max()))
            }
        }
        return comparisons
    }
}

/// What the bench accumulates for one target.
struct TargetState {
    let target: BenchTarget
    let requests: [PreparedRequest]
    var sampler: ProcessSampler?
    var facts: ProcessFacts?
    var idleRSS = 0
    var timeline: [MemoryPoint] = []
    var peakRSS = 0
    var loadSamples: [Int] = []
    var latency = LatencyHistogram()
    var sendLag = LatencyHistogram()
    var scheduled = 0
    var sent = 0
    var completed = 0
    var errors = 0
    var timeouts = 0
    var statusCounts: [Int: Int] = [:]
    var responseBytes = 0
    var waited = 0
    var elapsed = 0.0
    var cpuSeconds = 0.0
    var cpuMeasured = false
    var rounds: [RoundReport] = []
    var lowLoad: LowLoadReport?
    var closedLoop: ClosedLoopReport?
    var maxRate: MaxRateReport?
    var firstError: String?

    init(target: BenchTarget, requests: [PreparedRequest]) {
        self.target = target
        self.requests = requests
    }

    mutating func record(_ sample: ProcessSample, phase: String) {
        timeline.append(MemoryPoint(time: sample.time, rssBytes: sample.rssBytes, phase: phase))
        peakRSS = Swift.max(peakRSS, sample.rssBytes, sample.peakRSSBytes)
    }

    mutating func add(round: Int, _ result: LoadResult, cpu: Double?) {
        latency.add(result.latency)
        sendLag.add(result.sendLag)
        scheduled += result.scheduled
        sent += result.sent
        completed += result.completed
        errors += result.errors
        timeouts += result.timeouts
        for (status, count) in result.statusCounts { statusCounts[status, default: 0] += count }
        responseBytes += result.responseBytes
        waited += result.waitedForConnection
        elapsed += result.elapsedSeconds
        if firstError == nil { firstError = result.firstError }
        if let cpu {
            cpuSeconds += cpu
            cpuMeasured = true
        }
        rounds.append(
            RoundReport(
                round: round, startUptimeNanoseconds: result.startUptimeNanoseconds, latency: result.latency.summary,
                achievedRate: result.achievedRate,
                cpuSecondsPerRequest: cpu.map { result.completed > 0 ? $0 / Double(result.completed) : 0 }))
    }

    func report(sampleInterval: Double) -> TargetReport {
        var process: ProcessReport?
        if let facts {
            let load = loadSamples.isEmpty ? idleRSS : loadSamples.reduce(0, +) / loadSamples.count
            process = ProcessReport(
                facts: facts, rssIdleBytes: idleRSS, rssLoadBytes: load, rssPeakBytes: peakRSS,
                cpuSecondsPerRequest: cpuMeasured && completed > 0 ? cpuSeconds / Double(completed) : nil,
                timeline: timeline)
        }
        var verdict: CostVerdict?
        if let lowLoad, let cpu = lowLoad.cpuSecondsPerRequest, lowLoad.latency.count > 0 {
            verdict = CostVerdict.judge(
                cpuSecondsPerRequest: cpu, lowLoadLatencySeconds: Double(lowLoad.latencyP10) / 1e6)
        }
        return TargetReport(
            name: target.name, url: target.base.description, latency: latency.summary, spectrum: latency.spectrum,
            scheduled: scheduled, sent: sent, completed: completed, errors: errors, timeouts: timeouts,
            statusCounts: Dictionary(uniqueKeysWithValues: statusCounts.map { (String($0.key), $0.value) }),
            achievedRate: elapsed > 0 ? Double(completed) / elapsed : 0, sendLag: sendLag.summary,
            waitedForConnection: waited, rounds: rounds, lowLoad: lowLoad, process: process, verdict: verdict,
            closedLoop: closedLoop, maxRate: maxRate, firstError: firstError)
    }
}

func isLocal(_ host: String) -> Bool {
    host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
}

/// The machine's conditions, read once at the start.
enum Manifest {
    struct Start {
        var date: String
        var cpu: String
        var cores: Int
        var kernel: String
        var loadAverage: String
    }

    static func capture() -> Start {
        let cpuinfo = ProcFS.read("/proc/cpuinfo") ?? ""
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let load = (ProcFS.read("/proc/loadavg") ?? "").split(separator: " ").prefix(3).joined(separator: " ")
        let kernel = (ProcFS.read("/proc/sys/kernel/osrelease") ?? "unknown").trimmingCharacters(
            in: .whitespacesAndNewlines)
        return Start(
            date: ISO8601DateFormatter().string(from: Date()), cpu: model,
            cores: ProcessInfo.processInfo.activeProcessorCount, kernel: "Linux \(kernel)", loadAverage: load)
    }

    /// How the running banyan was built, judged from its own path.
    static func ownBuildProfile() -> String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        let facts = ProcessFacts.inspect(
            pid: getpid(), executable: path, commandLine: [], nodeEnvironment: nil, mappedLibraries: "libswiftCore",
            processes: 1, threads: 1, binaryContains: { _ in false })
        return facts.buildProfile
    }
}
