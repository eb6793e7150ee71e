import ArgumentParser
import BanyanCore
import BanyanData
import BanyanProxy
import CoreMetrics
import Foundation
import Prometheus

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Move a table to the new store: backfill, reconcile and repair, the phase gate, the schema guard.",
        discussion: """
            URLs are sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE, in any combination. \
            See docs/data.md.
            """,
        subcommands: [
            DataBackfillCommand.self, DataReconcileCommand.self, DataPhaseCommand.self, DataSchemaCommand.self,
        ]
    )
}

/// Options naming a table and its mapping, shared by backfill and reconcile.
struct MappingOptions: ParsableArguments {
    @Option(help: "The source (legacy) table; optional when --map names it.")
    var table: String?

    @Option(help: "The target (new) table, when its name differs and no mapping file names it.")
    var targetTable: String?

    @Option(
        name: .customLong("map"), help: "A mapping file (YAML): renames, computed columns, types, canonical forms.",
        completion: .file(extensions: ["yaml", "yml"]))
    var mapFile: String?

    func load() throws -> TableMapping {
        var mapping: TableMapping
        if let mapFile {
            do {
                mapping = try MappingFile.load(path: mapFile)
            } catch {
                throw UsageError(error.description)
            }
            if let table, table != mapping.sourceTable {
                throw UsageError("--table \(table) differs from the mapping file's table: \(mapping.sourceTable)")
            }
        } else {
            guard let table else { throw UsageError("name the table: --table NAME (or --map FILE)") }
            mapping = .identity(table: table)
        }
        if let targetTable { mapping.targetTable = targetTable }
        return mapping
    }
}

func parseDatabaseURL(_ text: String, option: String) throws -> DatabaseURL {
    do {
        return try DatabaseURL(parsing: text)
    } catch {
        throw UsageError("\(option): \(error.description)")
    }
}

/// Runs the data library's async work for a command, mapping data errors to exit statuses:
/// usage and connection problems 2, a row that cannot be converted 1.
func runData<T>(_ body: () async throws -> T) async throws -> T {
    let result: Result<T, any Error>
    do {
        result = .success(try await body())
    } catch {
        result = .failure(error)
    }
    switch result {
    case .success(let value): return value
    case .failure(let error as DataError):
        guard error.code == .row else { throw UsageError(error.description) }
        printError("error: \(error.description)")
        throw ExitCode(1)
    case .failure(let error as PhaseError):
        printError("refused: \(error.description)")
        throw ExitCode(1)
    case .failure(let error as SchemaInspector.MigrationFailure):
        printError("error: \(error.description)")
        throw ExitCode(3)
    case .failure(let error): throw error
    }
}

struct DataBackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Copy a table's rows in resumable, idempotent keyset chunks.",
        discussion: """
            Each chunk and its checkpoint commit in one transaction in the target, so a run that is \
            killed resumes from the last committed chunk. Rows are upserted; with a version column \
            (updated_at) a row is written only when it is strictly newer than the target's. Exit status: \
            0 done, 1 a row could not be converted (the message names the table, key and column), 2 usage \
            or connection errors.
            """
    )

    @Option(help: "The source database URL (sqlite:PATH or postgres://…).")
    var from: String

    @Option(help: "The target database URL.")
    var to: String

    @OptionGroup var mapping: MappingOptions

    @Option(help: "Rows per chunk (default: adaptive, about half a second a chunk).")
    var chunkSize: Int?

    @Option(help: "At most this many rows a second.")
    var rate: Double?

    @Option(help: "What a row that cannot be converted does: stop or skip (to the reject file).")
    var onError: RowErrorPolicy = .stop

    @Option(help: "Where skipped rows go, as JSON lines (default: TABLE.rejects.jsonl).")
    var rejectFile: String?

    @Flag(help: "Read and convert every row, write nothing.")
    var dryRun = false

    @Option(help: "The checkpoint's name (default: SOURCE->TARGET table names).")
    var job: String?

    @Flag(help: "Forget the checkpoint and start again from the first key.")
    var restart = false

    @Option(
        help: ArgumentHelp(
            "Copy with N workers sharing key ranges through a progress table in the (PostgreSQL) target.",
            discussion: "Start the same command on other machines to add workers to the same job."))
    var workers: Int?

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Flag(inversion: .prefixedNo, help: "Show a progress bar on standard error (default: when it is a terminal).")
    var progress: Bool?

    func validate() throws {
        if let chunkSize, chunkSize < 1 { throw ValidationError("--chunk-size must be at least 1") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
    }

    func run() async throws {
        var options = BackfillOptions(
            source: try parseDatabaseURL(from, option: "--from"), target: try parseDatabaseURL(to, option: "--to"),
            mapping: try mapping.load())
        options.chunkSize = chunkSize
        options.rowsPerSecond = rate
        options.onError = onError
        options.rejectFile = rejectFile
        options.dryRun = dryRun
        options.job = job
        options.restart = restart
        if let progress { options.showProgress = progress }
        let settings = options
        let workers = self.workers
        let report = try await runData {
            if let workers { return try await BackfillWorkers.run(settings, workers: workers) }
            return try await Backfill.run(settings)
        }
        switch format {
        case .text: print(report.plainText)
        case .json: print(report.jsonValue.prettyText())
        }
    }
}

extension RowErrorPolicy: ExpressibleByArgument {}
extension ReconcileMethod: ExpressibleByArgument {}

struct DataReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Compare every row of the legacy table, through the mapping, with the new one.",
        discussion: """
            Reports checked, missing_in_new, extra_in_new and mismatched (with the differing columns and \
            both values), compared in each column's canonical form. The result is recorded in the state \
            database for the phase gate. With --repair, the rows found are then brought to legacy's values \
            (missing inserted, mismatched updated, tombstoned deleted; extra rows deleted only with \
            --delete-extra), newer wins, in chunks each committed with a checkpoint, and a second \
            reconcile checks the result. Exit status: 0 clean (or every difference in --allow), 1 drift \
            (after a repair: drift left), 2 usage or connection errors.
            """
    )

    @Option(help: "The legacy database URL.")
    var legacy: String

    @Option(help: "The new database URL.")
    var new: String

    @OptionGroup var mapping: MappingOptions

    @Option(help: "auto (checksum bisection where both stores can hash alike), bisect, or merge.")
    var method: ReconcileMethod = .auto

    @Option(help: "Only rows with a watermark at or after this: ISO 8601 time, epoch ms, or 15m / 2h / 1d ago.")
    var since: String?

    @Option(help: "The legacy watermark column for --since (default: the version column's source).")
    var watermark: String?

    @Option(help: "A key whose difference is accepted (repeatable; composite keys as JSON arrays).")
    var allow: [String] = []

    @Option(help: "A file of accepted keys, one a line.", completion: .file())
    var allowFile: String?

    @Option(help: "Write the keys of every differing row, one a line, for repair.", completion: .file())
    var exportIds: String?

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Flag(help: "Same as --format json.")
    var json = false

    @Option(help: "The state database where results are recorded for the gate.")
    var state: String = PhaseStore.defaultURL

    @Flag(help: "Do not record the result in the state database.")
    var noRecord = false

    @Option(help: "Run again every INTERVAL (30s, 5m, 1h) and export the drift as a metric.")
    var watch: String?

    @Option(help: "With --watch, stop after this many runs.")
    var runs: Int?

    @Option(
        help: "With --watch (or alone), write the drift metric here in Prometheus text format.",
        completion: .file())
    var metricsFile: String?

    @Option(
        help: ArgumentHelp(
            "Serve the drift gauge at http://HOST:PORT/metrics while watching (Prometheus text format).",
            valueName: "HOST:PORT"))
    var metricsListen: String?

    @Option(help: "Rows read per query in the streaming merge.")
    var chunkSize: Int = 10_000

    @Flag(help: "Repair what the reconcile found, then reconcile again.")
    var repair = false

    @Flag(help: "With --repair: also delete rows only the new store has (extra_in_new).")
    var deleteExtra = false

    @Flag(help: "With --repair: print each statement's effect, write nothing.")
    var dryRun = false

    @Option(help: "With --repair: keys repaired per transaction (each chunk commits with its checkpoint).")
    var repairChunkSize: Int = 1000

    @Flag(inversion: .prefixedNo, help: "Show a progress bar on standard error (default: when it is a terminal).")
    var progress: Bool?

    func validate() throws {
        if !repair && (deleteExtra || dryRun) { throw ValidationError("--delete-extra and --dry-run need --repair") }
        if repair && watch != nil { throw ValidationError("--repair runs once: drop --watch") }
        if repairChunkSize < 1 { throw ValidationError("--repair-chunk-size must be at least 1") }
    }

    func run() async throws {
        var options = ReconcileOptions(
            legacy: try parseDatabaseURL(legacy, option: "--legacy"), new: try parseDatabaseURL(new, option: "--new"),
            mapping: try mapping.load())
        options.method = method
        options.since = since
        options.watermark = watermark
        options.chunkSize = max(1, chunkSize)
        var allowed = Set(allow)
        if let allowFile {
            guard let text = try? String(contentsOfFile: allowFile, encoding: .utf8) else {
                throw UsageError("--allow-file: cannot read \(allowFile)")
            }
            allowed.formUnion(
                text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                    !$0.isEmpty
                })
        }
        options.allow = allowed
        if let progress { options.showProgress = progress }
        let interval = try watch.map { text -> Double in
            guard let seconds = parseInterval(text) else {
                throw UsageError("--watch '\(text)': write an interval like 30s, 5m or 1h")
            }
            return seconds
        }
        let stateURL = noRecord ? nil : try parseDatabaseURL(state, option: "--state")
        let drift = try await metricsListen.asyncMap { try await DriftMetrics.start(listen: $0) }
        do {
            try await reconcile(options, interval: interval, stateURL: stateURL, drift: drift)
        } catch {
            await drift?.close()
            throw error
        }
        await drift?.close()
    }

    /// One reconcile (with its repair when asked), or one every `interval` seconds with --watch.
    private func reconcile(
        _ options: ReconcileOptions, interval: Double?, stateURL: DatabaseURL?, drift: DriftMetrics?
    ) async throws {
        if repair {
            var settings = RepairOptions()
            settings.deleteExtra = deleteExtra
            settings.dryRun = dryRun
            settings.chunkSize = repairChunkSize
            settings.showProgress = options.showProgress
            try await runRepair(options, settings, stateURL: stateURL)
            return
        }
        var run = 0
        while true {
            run += 1
            let settings = options
            let report = try await runData { () -> ReconcileReport in
                let report = try await Reconcile.run(settings)
                if let stateURL {
                    try await withStore(stateURL) { store in try await PhaseStore(store: store).record(report) }
                }
                return report
            }
            switch json ? .json : format {
            case .text: print(report.plainText())
            case .json: print(report.jsonValue.prettyText())
            }
            if let exportIds {
                let text = report.differingKeys.map(\.description).joined(separator: "\n")
                try Data((text.isEmpty ? "" : text + "\n").utf8).write(to: URL(fileURLWithPath: exportIds))
            }
            drift?.update(report)
            if let metricsFile {
                try Data(report.metricText().utf8).write(to: URL(fileURLWithPath: metricsFile), options: .atomic)
            }
            guard let interval, runs.map({ run < $0 }) ?? true else {
                if !report.isClean { throw ExitCode(1) }
                return
            }
            try await Task.sleep(for: .seconds(interval))
        }
    }
}

extension DataReconcileCommand {
    /// Reconcile, repair what it found, and (unless a dry run) reconcile again; the second result
    /// is the one recorded for the gate and the one that sets the exit status.
    func runRepair(_ options: ReconcileOptions, _ settings: RepairOptions, stateURL: DatabaseURL?) async throws {
        let (found, repaired, after) = try await runData {
            () -> (ReconcileReport, RepairReport, ReconcileReport?) in
            try await withStore(options.legacy) { legacy in
                try await withStore(options.new) { new in
                    let found = try await Reconcile.run(options, legacy: legacy, new: new)
                    let repaired = try await Repair.run(
                        found, options: options, repair: settings, legacy: legacy, new: new)
                    let after = settings.dryRun ? nil : try await Reconcile.run(options, legacy: legacy, new: new)
                    if let stateURL {
                        try await withStore(stateURL) { store in
                            try await PhaseStore(store: store).record(after ?? found)
                        }
                    }
                    return (found, repaired, after)
                }
            }
        }
        switch json ? .json : format {
        case .text:
            print(found.plainText())
            print(repaired.plainText())
            if let after { print(after.plainText()) }
        case .json:
            print(
                JSONValue.object([
                    JSONMember(key: "reconcile", value: found.jsonValue),
                    JSONMember(key: "repair", value: repaired.jsonValue),
                    JSONMember(key: "after", value: after?.jsonValue ?? .null),
                ]).prettyText())
        }
        if let exportIds {
            let text = (after ?? found).differingKeys.map(\.description).joined(separator: "\n")
            try Data((text.isEmpty ? "" : text + "\n").utf8).write(to: URL(fileURLWithPath: exportIds))
        }
        if let metricsFile {
            try Data((after ?? found).metricText().utf8).write(
                to: URL(fileURLWithPath: metricsFile), options: .atomic)
        }
        if !(after ?? found).isClean { throw ExitCode(1) }
    }
}

/// `30s`, `5m`, `1h`, `1d`, or plain seconds.
func parseInterval(_ text: String) -> Double? {
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
    if let seconds = Double(text), seconds > 0 { return seconds }
    guard let unit = text.last, let scale = units[unit], let amount = Double(text.dropLast()), amount > 0 else {
        return nil
    }
    return amount * scale
}

struct DataPhaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phase",
        abstract: "Show or move a table's migration phase.",
        discussion: """
            LegacyOnly → DualWrite → Backfilling → NewPrimary → NewOnly, one step at a time, forward only, \
            each change stored with when and why. Moving to NewPrimary needs a clean full reconcile no older \
            than --max-age. Exit status: 0 shown or moved, 1 refused, 2 usage errors.
            """
    )

    @Argument(help: "The table.")
    var table: String

    @Option(help: "Move to this phase: DualWrite, Backfilling, NewPrimary or NewOnly.")
    var to: String?

    @Option(help: "Why (recorded in the history).")
    var reason: String?

    @Option(help: "How old the last clean reconcile may be for NewPrimary (30m, 1h, 1d).")
    var maxAge: String = "1h"

    @Option(help: "The state database.")
    var state: String = PhaseStore.defaultURL

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() async throws {
        let stateURL = try parseDatabaseURL(state, option: "--state")
        guard let maxAgeSeconds = parseInterval(maxAge) else {
            throw UsageError("--max-age '\(maxAge)': write an interval like 30m, 1h or 1d")
        }
        let target: MigrationPhase? = try to.map { name in
            guard let phase = MigrationPhase(name: name) else {
                throw UsageError(
                    "--to '\(name)': unknown phase; phases: "
                        + MigrationPhase.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return phase
        }
        let table = self.table
        let reason = self.reason ?? "banyan data phase --to \(to ?? "")"
        let (phase, history, last) = try await runData {
            try await withStore(stateURL) { store -> (MigrationPhase, [PhaseTransition], ReconcileRecord?) in
                let phases = PhaseStore(store: store)
                if let target {
                    _ = try await phases.move(
                        table: table, to: target, reason: reason, maxAgeMilliseconds: Int64(maxAgeSeconds * 1000))
                }
                return (
                    try await phases.phase(of: table), try await phases.history(of: table),
                    try await phases.lastReconcile(of: table)
                )
            }
        }
        switch format {
        case .text:
            var lines = ["\(table): \(phase.rawValue)"]
            lines.append(
                "  writes legacy \(phase.writesLegacy ? "yes" : "no"), writes new \(phase.writesNew ? "yes" : "no"), "
                    + "reads from \(phase.readsNew ? "new" : "legacy")")
            if let last {
                lines.append(
                    "  last reconcile \(UTCTimestamp.iso8601(micros: last.at * 1000)): "
                        + (last.clean ? "clean" : "\(last.drift) differing row(s)") + ", \(last.checked) checked"
                        + (last.partial ? " (recent rows only)" : ""))
            }
            for step in history {
                lines.append(
                    "  \(UTCTimestamp.iso8601(micros: step.at * 1000))  \(step.from.rawValue) → \(step.to.rawValue)  \(step.reason)"
                )
            }
            print(lines.joined(separator: "\n"))
        case .json:
            let steps: [JSONValue] = history.map {
                .object([
                    JSONMember(key: "from", value: .string($0.from.rawValue)),
                    JSONMember(key: "to", value: .string($0.to.rawValue)),
                    JSONMember(key: "at", value: .string(UTCTimestamp.iso8601(micros: $0.at * 1000))),
                    JSONMember(key: "reason", value: .string($0.reason)),
                ])
            }
            var members = [
                JSONMember(key: "table", value: .string(table)),
                JSONMember(key: "phase", value: .string(phase.rawValue)),
                JSONMember(key: "writes_legacy", value: .bool(phase.writesLegacy)),
                JSONMember(key: "writes_new", value: .bool(phase.writesNew)),
                JSONMember(key: "reads_new", value: .bool(phase.readsNew)),
                JSONMember(key: "history", value: .array(steps)),
            ]
            if let last {
                members.append(
                    JSONMember(
                        key: "last_reconcile",
                        value: .object([
                            JSONMember(key: "at", value: .string(UTCTimestamp.iso8601(micros: last.at * 1000))),
                            JSONMember(key: "clean", value: .bool(last.clean)),
                            JSONMember(key: "checked", value: .number(JSONNumber(last.checked))),
                            JSONMember(key: "drift", value: .number(JSONNumber(last.drift))),
                            JSONMember(key: "partial", value: .bool(last.partial)),
                        ])))
            }
            print(JSONValue.object(members).prettyText())
        }
    }
}

/// The drift gauges `reconcile --metrics-listen` serves, through swift-metrics and swift-prometheus.
private final class DriftMetrics {
    let registry: PrometheusCollectorRegistry
    let listener: MetricsListener

    private init(registry: PrometheusCollectorRegistry, listener: MetricsListener) {
        self.registry = registry
        self.listener = listener
    }

    static func start(listen: String) async throws -> DriftMetrics {
        guard let address = ListenAddress(parsing: listen) else {
            throw UsageError("--metrics-listen: '\(listen)' is not HOST:PORT")
        }
        let registry = PrometheusCollectorRegistry()
        let listener = try await runData { try await MetricsListener.start(address: address, registry: registry) }
        printError("reconcile: drift metrics at http://\(address.host):\(listener.port)/metrics")
        return DriftMetrics(registry: registry, listener: listener)
    }

    func update(_ report: ReconcileReport) {
        let factory = PrometheusMetricsFactory(registry: registry)
        let table = ("table", report.table)
        CoreMetrics.Gauge(label: "banyan_data_drift_rows", dimensions: [table], factory: factory).record(report.drift)
        for (kind, count) in [
            ("missing_in_new", report.missingInNew.count), ("extra_in_new", report.extraInNew.count),
            ("mismatched", report.mismatched.count),
        ] {
            CoreMetrics.Gauge(
                label: "banyan_data_drift_rows_by_kind", dimensions: [table, ("kind", kind)], factory: factory
            )
            .record(count)
        }
        CoreMetrics.Gauge(label: "banyan_data_reconcile_checked_rows", dimensions: [table], factory: factory).record(
            report.checked)
    }

    func close() async {
        await listener.close()
    }
}

extension Optional {
    /// `map` with an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
