import ArgumentParser
import BanyanConfig
import BanyanContract
import BanyanCore
import BanyanHTTP
import Foundation

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record the legacy service's answers as fixture files.",
        discussion: """
            Sends each request of a .http file (VS Code REST Client / JetBrains HTTP Client format) or a \
            HAR 1.2 file to the target and writes one fixture per exchange under --out, in a folder per \
            configured route. Safe requests (GET, HEAD, OPTIONS) are sent --repeat times: header values \
            and JSON fields that vary between the answers are stored as learned noise. Other methods are \
            sent once, in file order, so that replaying the fixtures repeats the same state changes.
            """
    )

    @Option(help: "The legacy service's base URL.") var target: String
    @Option(help: "A .http or .har file.", completion: .file(extensions: ["http", "rest", "har"])) var requests: String
    @Option(help: "The folder to write fixtures into (fixtures recorded there before are replaced).")
    var out: String
    @Option(name: .customLong("repeat"), help: "How many times to send each safe request.") var repeatCount = 2
    @Option(help: "Seconds allowed for each answer.") var timeout: Double = 10
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        guard repeatCount >= 1 else { throw ValidationError("--repeat must be 1 or more") }
    }

    func run() throws {
        let base = try parseBaseURL(target, option: "--target")
        let configuration = try config.loadIfPresent()
        let specs: [RequestSpec]
        do { specs = try RequestSource.load(path: requests) } catch { throw UsageError(error.description) }
        let resolver = RouteResolver(
            routes: configuration?.routes ?? [], flavor: configuration?.express ?? .express4)
        let recorder = Recorder(target: base, repeatCount: repeatCount, resolver: resolver, timeout: timeout)
        let fixtures: [Fixture]
        do {
            fixtures = try recorder.record(specs, progress: ProgressLine(label: "recording", total: specs.count))
        } catch {
            throw UsageError("\(target): \(error.message)")
        }
        let paths = try FixtureStore.write(fixtures, to: out)
        let noisy = fixtures.filter { !$0.noiseHeaders.isEmpty || !$0.noisePaths.isEmpty }.count
        let routes = Set(fixtures.map { FixtureStore.folderName(route: $0.route) }).count
        print("recorded \(paths.count) exchanges into \(out) (\(routes) route folders, \(noisy) with learned noise)")
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Replay fixtures against the candidate and report every difference.",
        discussion: """
            Exit status: 0 when no difference reaches the policy's fail_at severity, 1 when one does, \
            2 for usage errors (a malformed fixture, an unreachable candidate).
            """
    )

    @Argument(help: "A folder of fixtures (or one fixture file).", completion: .directory) var fixtures: String
    @Option(help: "The candidate's base URL.") var target: String
    @Option(help: "Output format: text, json or junit.") var format: ReportFormat = .text
    @Option(help: "Seconds allowed for each answer.") var timeout: Double = 10
    @OptionGroup var config: ConfigOptions

    func run() throws {
        let base = try parseBaseURL(target, option: "--target")
        let policy = try config.loadIfPresent()?.policy ?? .default
        let loaded: [(path: String, fixture: Fixture)]
        do { loaded = try FixtureStore.read(fixtures) } catch { throw UsageError(error.description) }
        let verifier = Verifier(target: base, engine: DiffEngine(policy: policy), timeout: timeout)
        let report: DiffReport
        do {
            report = try verifier.verify(
                loaded.map(\.fixture), progress: ProgressLine(label: "verifying", total: loaded.count))
        } catch {
            throw UsageError("\(target): \(error.message)")
        }
        try finish(report, format: format, suiteName: "banyan verify")
    }
}

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Send the edge-case requests a naive port gets wrong to both sides and compare.",
        discussion: """
            Derives from each configured route: trailing slash, upper-case path, doubled slash, \
            percent-encoded, non-numeric and malformed parameters, HEAD, OPTIONS, an unregistered method, \
            repeated and nested query keys, and for body routes malformed JSON, a wrong content type, an \
            empty and an oversized body. --requests gives concrete examples (the first request matching \
            each route); without it every parameter is 1. Exit status as for verify.
            """
    )

    @Option(help: "The legacy service's base URL (default: legacy in the configuration).") var legacy: String?
    @Option(help: "The candidate's base URL (default: candidate in the configuration).") var candidate: String?
    @Option(help: "A .http or .har file with example requests.", completion: .file(extensions: ["http", "har"]))
    var requests: String?
    @Option(help: "Only these probes (comma-separated names; see --list).") var only: String?
    @Flag(help: "List the probes and what each checks.") var list = false
    @Option(help: "Output format: text, json or junit.") var format: ReportFormat = .text
    @Option(help: "Seconds allowed for each answer.") var timeout: Double = 10
    @OptionGroup var config: ConfigOptions

    func run() throws {
        if list {
            for entry in ProbeCatalog.descriptions {
                print("\(entry.name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(entry.checks)")
            }
            return
        }
        guard let configuration = try config.loadIfPresent() else {
            throw UsageError("probe derives its requests from the routes in banyan.yaml; name one with --config")
        }
        guard !configuration.routes.isEmpty else {
            throw UsageError("\(config.path ?? "banyan.yaml"): no routes to probe; list them under 'routes:'")
        }
        let legacyURL = try legacy.map { try parseBaseURL($0, option: "--legacy") } ?? configuration.legacy
        let candidateURL = try candidate.map { try parseBaseURL($0, option: "--candidate") } ?? configuration.candidate
        var examples: [RequestSpec] = []
        if let requests {
            do { examples = try RequestSource.load(path: requests) } catch { throw UsageError(error.description) }
        }
        let resolver = RouteResolver(routes: configuration.routes, flavor: configuration.express)
        let selected = only.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        if let selected {
            let known = Set(ProbeCatalog.descriptions.map(\.name))
            if let unknown = selected.subtracting(known).sorted().first {
                throw UsageError("--only: unknown probe '\(unknown)'; see 'banyan probe --list'")
            }
        }
        var probes: [Probe] = []
        for route in configuration.routes {
            let example = examples.first { resolver.route(for: $0.request) == route.route }?.request
            let path = example?.path ?? ProbeCatalog.examplePath(for: route.pattern)
            probes += ProbeCatalog.probes(
                for: route, example: example, allowedMethods: resolver.allowedMethods(path: path)
            ).filter { selected?.contains($0.name) ?? true }
        }
        let prober = Prober(
            legacy: legacyURL, candidate: candidateURL, engine: DiffEngine(policy: configuration.policy),
            timeout: timeout)
        let report: DiffReport
        do {
            report = try prober.run(probes, progress: ProgressLine(label: "probing", total: probes.count))
        } catch {
            throw UsageError(error.message)
        }
        try finish(report, format: format, suiteName: "banyan probe")
    }
}
