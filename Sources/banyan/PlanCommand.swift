import ArgumentParser
import BanyanAudit
import BanyanConfig
import BanyanContract
import BanyanCore
import BanyanHTTP
import Foundation

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Rank the routes for migration from measured traffic, latency, CPU, churn and the audit.",
        discussion: """
            Each route gets a verdict (migrate now, later, don't) with the reason and a measurable goal, and \
            the routes to migrate get an order: hot, stable, CPU-bound first; trivial, I/O-bound and churning \
            routes are held back with the reason. The figures come from --measurements (a JSON file, see \
            docs/inventory.md) or from --measure, which sends the requests of --requests to the legacy service \
            one at a time and reads its CPU time from /proc. --repo and --handlers add contract churn (git log \
            of each route's handler files) and the packages those files use; --package adds the audit.
            """
    )

    @Option(help: "Per-route measurements (JSON, see docs/inventory.md).", completion: .file(extensions: ["json"]))
    var measurements: String?

    @Option(help: "Measure the legacy service at this base URL (http://127.0.0.1:3000).")
    var measure: String?

    @Option(help: "With --measure: a .http or .har file with the workload's requests.", completion: .file())
    var requests: String?

    @Option(help: "With --measure: the legacy process id (default: the process listening on the URL's port).")
    var pid: Int32?

    @Option(help: "With --measure: at least this many requests per route.")
    var minimumRequests: Int = 20

    @Option(help: "With --measure: at least this many seconds per route.")
    var minimumSeconds: Double = 0.5

    @Option(help: "With --measure: write the measurements to this file (the --measurements format).")
    var save: String?

    @OptionGroup var configOptions: ConfigOptions

    @Option(help: "The legacy service's git repository, for contract churn.", completion: .directory)
    var repo: String?

    @Option(
        help: "JSON object mapping each route to its handler files, relative to --repo.",
        completion: .file(extensions: ["json"]))
    var handlers: String?

    @Option(help: "Days of git history that count as recent churn.")
    var churnDays: Int = 90

    @Option(
        help: "The legacy service's package.json, to audit its dependencies.", completion: .file(extensions: ["json"]))
    var package: String?

    @Option(help: "A knowledge base file to use instead of the bundled one.", completion: .file(extensions: ["json"]))
    var knowledge: String?

    @Option(help: "The rewrite's language: rust or swift.")
    var target: TargetLanguage = .rust

    @Option(help: "Output format: text, json or markdown.")
    var format: DocumentFormat = .text

    func validate() throws {
        if (measurements == nil) == (measure == nil) {
            throw ValidationError("give either --measurements FILE or --measure URL --requests FILE")
        }
        if measure != nil && requests == nil { throw ValidationError("--measure needs --requests FILE") }
        if handlers != nil && repo == nil {
            throw ValidationError("--handlers needs --repo (the files are relative to it)")
        }
    }

    func run() throws {
        let configuration = try configOptions.loadIfPresent()
        let set = try loadMeasurements(configuration: configuration)
        if let save {
            do { try Data((set.json.prettyText() + "\n").utf8).write(to: URL(fileURLWithPath: save)) } catch {
                throw UsageError("cannot write \(save): \(error.localizedDescription)")
            }
        }
        var churn: [String: RouteChurn] = [:]
        var handlerDependencies: [String: [String]] = [:]
        if let repo, let handlers {
            let mapping = try Self.readHandlers(handlers)
            for (route, files) in mapping {
                do {
                    churn[route] = try RouteChurn.measure(repository: repo, files: files, days: churnDays)
                } catch {
                    throw UsageError(error.description)
                }
                var packages: [String] = []
                for file in files {
                    let path = URL(fileURLWithPath: repo).appendingPathComponent(file).path
                    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                        throw UsageError("--handlers: \(route): cannot read \(path)")
                    }
                    for name in requiredPackages(inSource: text) where !packages.contains(name) {
                        packages.append(name)
                    }
                }
                handlerDependencies[route] = packages
            }
        }
        let audit = try package.map { try AuditCommand.audit(packageJSON: $0, lock: nil, knowledge: knowledge) }
        var rules = PlanRules()
        rules.churnDays = churnDays
        let plan = MigrationPlan(
            measurements: set, routes: configuration?.routes.map(\.route) ?? [], churn: churn,
            handlerDependencies: handlerDependencies, audit: audit, target: target, rules: rules)
        switch format {
        case .text: print(plan.plainText())
        case .json: print(plan.json.prettyText())
        case .markdown: print(plan.markdown())
        }
    }

    private func loadMeasurements(configuration: Configuration?) throws -> MeasurementSet {
        if let measurements {
            guard let data = FileManager.default.contents(atPath: measurements) else {
                throw UsageError("--measurements \(measurements): cannot read the file")
            }
            do { return try MeasurementSet(json: data, file: measurements) } catch {
                throw UsageError(error.description)
            }
        }
        guard let measure, let requests else { throw UsageError("--measure needs --requests FILE") }
        let base = try parseBaseURL(measure, option: "--measure")
        let specs: [RequestSpec]
        do { specs = try RequestSource.load(path: requests) } catch { throw UsageError(error.description) }
        // Group the requests by the configured route they hit, else by method and path.
        let resolver = configuration.map { RouteResolver(routes: $0.routes, flavor: $0.express) }
        var groups: [(route: String, requests: [HTTPRequest])] = []
        for spec in specs {
            let path = spec.request.target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
            let route = resolver?.route(for: spec.request) ?? "\(spec.request.method) \(path)"
            if let index = groups.firstIndex(where: { $0.route == route }) {
                groups[index].requests.append(spec.request)
            } else {
                groups.append((route, [spec.request]))
            }
        }
        let processID = pid ?? WorkloadMeasurer.listeningProcess(port: base.port)
        if processID == nil {
            printError(
                "warning: no process found listening on port \(base.port) (give --pid); CPU is not measured, so "
                    + "CPU-bound and I/O-bound routes cannot be told apart")
        }
        let client = HTTPClient(base: base, timeout: 30)
        let measurer = WorkloadMeasurer(
            pid: processID, minimumRequests: minimumRequests, minimumSeconds: minimumSeconds)
        do {
            return try measurer.measure(groups: groups) { request in
                do {
                    return try client.send(request).response.status
                } catch let error as HTTPClientError where error.isConnectFailure {
                    throw UsageError("cannot reach \(base): \(error.message)")
                } catch {
                    return 0
                }
            }
        } catch let error as UsageError {
            throw error
        } catch {
            throw UsageError("measuring \(base) failed: \(error)")
        }
    }

    static func readHandlers(_ path: String) throws -> [(String, [String])] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError("--handlers \(path): cannot read the file")
        }
        let value: JSONValue
        do { value = try JSONParser.parse(data) } catch { throw UsageError("--handlers \(path): not JSON: \(error)") }
        guard case .object(let members) = value else {
            throw UsageError("--handlers \(path): expected an object like {\"GET /users/:id\": [\"routes/users.js\"]}")
        }
        return try members.map { member in
            let files: [String]
            switch member.value {
            case .string(let file): files = [file]
            case .array(let items):
                files = items.compactMap { if case .string(let text) = $0 { text } else { nil } }
            default:
                throw UsageError("--handlers \(path): \(member.key): expected a file name or a list of them")
            }
            return (member.key, files)
        }
    }
}

extension TargetLanguage: ExpressibleByArgument {}
