import ArgumentParser
import BanyanBench
import BanyanContract
import BanyanCore
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure legacy and candidate honestly: open-loop load, percentiles, memory and CPU per request.",
        discussion: """
            Requests are due at a constant rate whatever the server does, and each latency runs from the \
            moment its request was due, so a stall shows in the tail instead of hiding (coordinated \
            omission). Targets are measured in interleaved rounds (A B A B …) after a warm-up; the servers' \
            memory and CPU time come from /proc for the process listening on each port (or --pid). Every \
            result is printed with honesty checks and the conditions it was measured under.

            Example: banyan bench --target legacy=http://127.0.0.1:3000/price/AAPL \
            --target candidate=http://127.0.0.1:8080/price/AAPL --rate 200 --html bench.html

            Exit status: 0 measured, 1 a metric regressed past --baseline, 2 usage errors and unreachable \
            targets.
            """
    )

    @Option(
        name: .customLong("target"),
        help: ArgumentHelp(
            "NAME=URL of a target, twice for A/B (legacy first); the URL's path is requested unless --requests.",
            valueName: "name=url"))
    var targets: [String] = []
    @Option(
        help: "A .http or .har file: its requests are sent in turn.", completion: .file(extensions: ["http", "har"]))
    var requests: String?
    @Option(help: "Requests per second (open loop).") var rate: Double = 100
    @Option(help: "Connections per target; enough to hold the rate while the server is slow.")
    var connections: Int = 32
    @Option(help: "Duration of each round per target (10s, 500ms, 2m).") var duration = "10s"
    @Option(help: "Rounds per target, interleaved A B A B (0 with --closed-loop: closed loop only).") var rounds = 3
    @Option(help: "Warm-up per target before measuring.") var warmup = "5s"
    @Option(help: "Time after which an unanswered request counts as a timeout.") var timeout = "10s"
    @Option(help: "Rate of the low-load probe used for the CPU-bound verdict.") var lowLoadRate: Double = 20
    @Option(help: "Duration of the low-load probe (0 to skip it).") var lowLoadDuration = "3s"
    @Option(
        name: .customLong("pid"),
        help: ArgumentHelp(
            "NAME=PID: the process to read from /proc instead of the one on the port.", valueName: "name=pid"))
    var pids: [String] = []
    @Flag(help: "Also measure closed loop (as classic tools do), labelled as such, to show what it hides.")
    var closedLoop = false
    @Option(help: "Connections for --closed-loop (default: --connections).") var closedLoopConnections: Int?
    @Flag(help: "Search for the highest rate that meets --slo.") var findMax = false
    @Option(help: "The objective for --find-max: p99<50ms.") var slo: String?
    @Option(help: "Duration of each rate tried by --find-max.") var findMaxStep = "3s"
    @Flag(help: "Print the JSON report instead of the table.") var json = false
    @Option(help: "Write an HTML report with the latency spectrum and memory charts.", completion: .file())
    var html: String?
    @Option(help: "A baseline file: exit 1 when p99 or RSS exceeds baseline × (1 + tolerance).", completion: .file())
    var baseline: String?
    @Option(help: "The gate's tolerance: 10% or 0.1.") var tolerance = "10%"
    @Option(help: "Write this run's p99 and RSS as a baseline file.", completion: .file()) var saveBaseline: String?

    func validate() throws {
        guard !targets.isEmpty else { throw ValidationError("give at least one --target NAME=URL") }
        guard rate > 0 else { throw ValidationError("--rate must be above 0") }
        guard connections >= 1 && connections <= 10_000 else { throw ValidationError("--connections must be 1-10000") }
        guard rounds >= 1 || (rounds == 0 && closedLoop) else {
            throw ValidationError("--rounds must be 1 or more (0 only with --closed-loop, to measure it alone)")
        }
        guard lowLoadRate > 0 else { throw ValidationError("--low-load-rate must be above 0") }
        if findMax && slo == nil { throw ValidationError("--find-max needs --slo, like --slo 'p99<50ms'") }
        for (name, text) in [
            ("--duration", duration), ("--warmup", warmup), ("--timeout", timeout),
            ("--low-load-duration", lowLoadDuration), ("--find-max-step", findMaxStep),
        ] where DurationText.seconds(text) == nil {
            throw ValidationError("\(name) '\(text)' is not a duration; write it like 10s, 500ms or 2m")
        }
        if Tolerance.parse(tolerance) == nil {
            throw ValidationError("--tolerance '\(tolerance)' is not a tolerance; write it like 10% or 0.1")
        }
    }

    func run() throws {
        var configuration = BenchConfiguration(targets: try parseTargets())
        if let requests {
            do {
                configuration.requests = try RequestSource.load(path: requests).map(\.request)
            } catch {
                throw UsageError(error.description)
            }
            if configuration.requests.isEmpty { throw UsageError("\(requests): no request in the file") }
        }
        configuration.rate = rate
        configuration.connections = connections
        configuration.duration = DurationText.seconds(duration) ?? 10
        configuration.rounds = rounds
        configuration.warmup = DurationText.seconds(warmup) ?? 5
        configuration.timeout = DurationText.seconds(timeout) ?? 10
        configuration.lowLoadRate = lowLoadRate
        configuration.lowLoadDuration = DurationText.seconds(lowLoadDuration) ?? 3
        configuration.closedLoop = closedLoop
        configuration.closedLoopConnections = closedLoopConnections
        configuration.findMaxStepDuration = DurationText.seconds(findMaxStep) ?? 3
        if findMax, let slo {
            do { configuration.findMax = try ServiceLevelObjective(parsing: slo) } catch {
                throw UsageError(error.message)
            }
        }
        let gateBaseline: Baseline?
        do { gateBaseline = try baseline.map { path throws(BenchError) in try Baseline.load(path: path) } } catch {
            throw UsageError(error.message)
        }

        var report: BenchReport
        do {
            report = try Bench(configuration).run { line in
                FileHandle.standardError.write(Data("bench \(line)\n".utf8))
            }
        } catch {
            throw UsageError(error.message)
        }
        if let gateBaseline {
            report.gate = BaselineGate(tolerance: Tolerance.parse(tolerance) ?? 0.1)
                .check(baseline: gateBaseline, measured: report.gateMetrics)
        }
        if let saveBaseline {
            let text = Baseline(targets: report.gateMetrics).jsonText()
            guard FileManager.default.createFile(atPath: saveBaseline, contents: Data(text.utf8)) else {
                throw UsageError("\(saveBaseline): cannot write the baseline")
            }
        }
        if let html {
            guard FileManager.default.createFile(atPath: html, contents: Data(report.html().utf8)) else {
                throw UsageError("\(html): cannot write the HTML report")
            }
        }
        print(json ? report.jsonText() : report.plainText())
        if let gate = report.gate, !gate.passed { throw ExitCode(1) }
    }

    private func parseTargets() throws -> [BenchTarget] {
        var pidByName: [String: Int32] = [:]
        for entry in pids {
            guard let equals = entry.firstIndex(of: "="), let pid = Int32(entry[entry.index(after: equals)...]) else {
                throw UsageError("--pid '\(entry)': write it as NAME=PID, like candidate=4242")
            }
            pidByName[String(entry[..<equals])] = pid
        }
        var result: [BenchTarget] = []
        for (index, entry) in targets.enumerated() {
            var name = index == 0 ? "legacy" : index == 1 ? "candidate" : "target\(index + 1)"
            var urlText = entry
            if let equals = entry.firstIndex(of: "="), !entry[..<equals].contains("/") {
                name = String(entry[..<equals])
                urlText = String(entry[entry.index(after: equals)...])
            }
            if result.contains(where: { $0.name == name }) {
                throw UsageError("--target \(entry): the name '\(name)' is given twice")
            }
            let base = try parseBaseURL(urlText, option: "--target \(name)")
            result.append(BenchTarget(name: name, base: base, pid: pidByName.removeValue(forKey: name)))
        }
        if let unknown = pidByName.keys.sorted().first {
            throw UsageError(
                "--pid \(unknown)=…: no target is named '\(unknown)'; names: \(result.map(\.name).joined(separator: ", "))"
            )
        }
        return result
    }
}
