import ArgumentParser
import BanyanCodegen
import BanyanContract
import BanyanCore
import Foundation

struct ContractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contract",
        abstract: "Infer each route's wire contract from recorded traffic and generate the port's types from it.",
        discussion: """
            infer reads fixture folders (banyan record) and writes contract.json: per route and status, the \
            request and response body schemas (key spelling and order, presence class, number facts as a \
            JavaScript client sees them, string formats, open enums) and the contract headers, each decision \
            with its evidence. gen writes Rust (serde), Swift (Codable) or OpenAPI 3.1 from it, with golden \
            tests that re-serialize every recorded body byte for byte. check reports what new traffic changes.
            """,
        subcommands: [ContractInferCommand.self, ContractCheckCommand.self, ContractGenCommand.self]
    )
}

/// The options that pick fixtures: folders and a part of the recording.
struct FixtureSelectionOptions: ParsableArguments {
    @Argument(help: "Fixture folders written by 'banyan record' (or fixture files).", completion: .directory)
    var fixtures: [String] = []

    @Option(help: "Only the first PERCENT of the recording (in recording order), e.g. 80.")
    var head: Double?

    @Option(help: "Only the last PERCENT of the recording, e.g. 20.")
    var tail: Double?

    func validate() throws {
        if head != nil && tail != nil { throw ValidationError("give --head or --tail, not both") }
        for (name, value) in [("--head", head), ("--tail", tail)] {
            if let value, !(value > 0 && value <= 100) {
                throw ValidationError("\(name) must be a percentage in (0, 100]")
            }
        }
    }

    var portion: ContractSource.Portion {
        if let head { return .head(percent: head) }
        if let tail { return .tail(percent: tail) }
        return .all
    }

    func entries() throws -> [ContractSource.Entry] {
        do { return try ContractSource.entries(in: fixtures, portion: portion) } catch {
            throw UsageError(error.description)
        }
    }

    func infer(settings: ContractSettings, label: String) throws -> Contract {
        let entries = try entries()
        do {
            return try ContractSource.infer(
                entries, settings: settings, progress: ProgressLine(label: label, total: entries.count))
        } catch {
            throw UsageError(error.description)
        }
    }
}

func readContract(_ path: String) throws -> Contract {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw UsageError("\(path): cannot read the file")
    }
    do { return try Contract(parsing: String(decoding: data, as: UTF8.self), file: path) } catch {
        throw UsageError(error.description)
    }
}

struct ContractInferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Infer the wire contract of every route from recorded fixtures.",
        discussion: """
            The same traffic in any order gives byte-identical output. Evidence keeps counts and the three \
            smallest exchange ids (fixture paths). Example: banyan contract infer fixtures/ --out contract.json
            """
    )

    @OptionGroup var selection: FixtureSelectionOptions
    @Option(help: "Where to write the contract (default: standard output).") var out: String?
    @Option(help: "k: times a value must be seen to become an enum case; also the integral samples an integer needs.")
    var enumMinimum = ContractSettings.default.enumMinimum
    @Option(help: "At most this many distinct values make an enum.") var enumMaxValues = ContractSettings.default
        .enumMaxValues
    @Option(help: "Output format of the summary printed with --out: text or json.") var format: OutputFormat = .text

    func validate() throws {
        guard !selection.fixtures.isEmpty else { throw ValidationError("name at least one fixture folder") }
        guard enumMinimum >= 1 else { throw ValidationError("--enum-minimum must be 1 or more") }
    }

    func run() throws {
        let settings = ContractSettings(enumMinimum: enumMinimum, enumMaxValues: enumMaxValues)
        let contract = try selection.infer(settings: settings, label: "inferring")
        guard let out else {
            print(contract.text(), terminator: "")
            return
        }
        try Data(contract.text().utf8).write(to: URL(fileURLWithPath: out))
        let summary = ContractSummary(contract)
        switch format {
        case .text: print("wrote \(out): " + summary.text)
        case .json: print(summary.json.prettyText())
        }
    }
}

/// What a contract holds, for the infer command's report.
struct ContractSummary {
    var routes = 0
    var sides = 0
    var exchanges = 0
    var fields = 0
    var presence: [PresenceClass: Int] = [:]
    var orderConflicts: [String] = []

    init(_ contract: Contract) {
        routes = contract.routes.count
        exchanges = contract.exchangeCount
        for name in contract.routes.keys.sorted() {
            let route = contract.routes[name]!
            var bodies = [("request", route.request)]
            bodies += route.responses.keys.sorted().map { (String($0), route.responses[$0]!.body) }
            for (side, body) in bodies where !body.json.isEmpty {
                sides += 1
                visit(body.schema, place: "\(name) \(side)", path: JSONPath())
            }
        }
    }

    mutating func visit(_ node: SchemaNode, place: String, path: JSONPath) {
        if let items = node.arrays?.items { visit(items, place: place, path: path.appending(.anyIndex)) }
        guard let object = node.objects else { return }
        for conflict in object.orderConflicts {
            orderConflicts.append(
                "\(place) \(path): \(conflict.pair.first) before \(conflict.pair.second) \(conflict.evidence.count)×, after \(conflict.reverse.count)× (\(conflict.reverse.ids.joined(separator: ", ")))"
            )
        }
        for (key, field) in object.fields {
            fields += 1
            presence[field.presence, default: 0] += 1
            visit(field.value, place: place, path: path.appending(key: key))
        }
    }

    var text: String {
        var text = "\(routes) routes, \(exchanges) exchanges, \(sides) JSON body types, \(fields) fields ("
        text += PresenceClass.allCases.map { "\(presence[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ") + ")"
        if orderConflicts.isEmpty { return text }
        return text + "\nkey order varies:\n" + orderConflicts.map { "  " + $0 }.joined(separator: "\n")
    }

    var json: JSONValue {
        .object([
            JSONMember(key: "routes", value: .number(JSONNumber(routes))),
            JSONMember(key: "exchanges", value: .number(JSONNumber(exchanges))),
            JSONMember(key: "bodyTypes", value: .number(JSONNumber(sides))),
            JSONMember(key: "fields", value: .number(JSONNumber(fields))),
            JSONMember(
                key: "presence",
                value: .object(
                    PresenceClass.allCases.map {
                        JSONMember(key: $0.rawValue, value: .number(JSONNumber(presence[$0] ?? 0)))
                    })),
            JSONMember(key: "keyOrderVaries", value: .array(orderConflicts.map(JSONValue.string))),
        ])
    }
}

struct ContractCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Report what new traffic changes in a contract.",
        discussion: """
            Infers the fixtures with the contract's settings, merges them in and lists every decision that \
            changes (presence class, type, key order, new fields, routes and statuses, enum cases) with the new \
            exchanges that show it. Exit status 1 when a change breaks types generated from the contract; \
            --update writes the merged contract back.
            """
    )

    @Argument(help: "The contract file (contract.json).", completion: .file(extensions: ["json"])) var contract: String
    @OptionGroup var selection: FixtureSelectionOptions
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text
    @Flag(help: "Write the merged contract back to the file.") var update = false

    func validate() throws {
        guard !selection.fixtures.isEmpty else { throw ValidationError("name at least one fixture folder") }
    }

    func run() throws {
        var old = try readContract(contract)
        let traffic = try selection.infer(settings: old.settings, label: "checking")
        let changes = old.changes(from: traffic)
        switch format {
        case .text:
            if changes.isEmpty {
                print("\(traffic.exchangeCount) exchanges agree with \(contract)")
            } else {
                for change in changes { print((change.breaksRoundTrip ? "breaks: " : "fits:   ") + change.description) }
                let breaking = changes.filter(\.breaksRoundTrip).count
                print(
                    "\(changes.count) changes (\(breaking) break the generated types) from \(traffic.exchangeCount) exchanges"
                )
            }
        case .json:
            print(JSONValue.array(changes.map(\.json)).prettyText())
        }
        if update {
            old.merge(traffic)
            try Data(old.text().utf8).write(to: URL(fileURLWithPath: contract))
        }
        if changes.contains(where: \.breaksRoundTrip) { throw ExitCode(1) }
    }
}

extension ContractChange {
    var json: JSONValue {
        var members = [
            JSONMember(key: "route", value: .string(route)), JSONMember(key: "side", value: .string(side)),
        ]
        if let path { members.append(JSONMember(key: "path", value: .string(path))) }
        members += [
            JSONMember(key: "decision", value: .string(decision.rawValue)),
            JSONMember(key: "before", value: .string(before)), JSONMember(key: "after", value: .string(after)),
            JSONMember(key: "breaksRoundTrip", value: .bool(breaksRoundTrip)),
            JSONMember(key: "count", value: .number(JSONNumber(evidence.count))),
            JSONMember(key: "exchanges", value: .array(evidence.ids.map(JSONValue.string))),
        ]
        return .object(members)
    }
}

enum ContractLanguage: String, ExpressibleByArgument, CaseIterable {
    case rust, swift, openapi
}

struct ContractGenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen",
        abstract: "Generate the port's types from a contract: a Rust crate, a Swift package or OpenAPI 3.1.",
        discussion: """
            Rust and Swift get a golden test per route side that deserializes every recorded body given with \
            --fixtures and serializes it back, comparing bytes (cargo test / swift test in --out). The \
            Rust crate builds offline with Debian's serde, serde_json and chrono crates \
            (scripts/build-contract-rust.sh DIR). --out is replaced when banyan generated it before.
            """
    )

    @Argument(help: "The contract file (contract.json).", completion: .file(extensions: ["json"])) var contract: String
    @Option(help: "rust, swift or openapi.") var lang: ContractLanguage
    @Option(help: "The folder to write.", completion: .directory) var out: String
    @Option(help: "Fixture folders whose bodies the golden tests replay (repeatable).", completion: .directory)
    var fixtures: [String] = []
    @Option(help: "Only the first PERCENT of the golden fixtures.") var head: Double?
    @Option(help: "Only the last PERCENT of the golden fixtures, e.g. 20 for a hold-out.") var tail: Double?
    @Option(help: "The crate, package or API name.") var name = "contract-types"
    @Option(help: "Output format of the summary: text or json.") var format: OutputFormat = .text

    static let marker = ".banyan-generated"

    func run() throws {
        let contract = try readContract(self.contract)
        let plan = TypePlan(contract: contract)
        var golden = GoldenBodies()
        if !fixtures.isEmpty {
            var selection = FixtureSelectionOptions()
            selection.fixtures = fixtures
            selection.head = head
            selection.tail = tail
            try selection.validate()
            let keys = Set(plan.roots.map(\.key))
            for entry in try selection.entries() {
                do { golden.add(try ContractSource.exchange(entry), plannedKeys: keys) } catch {
                    throw UsageError(error.description)
                }
            }
        }
        var attributes: Int?
        let files: [GeneratedFile]
        switch lang {
        case .rust:
            var generator = RustGenerator(plan: plan, crateName: name)
            files = generator.files(golden: golden)
            attributes = generator.attributeCount
        case .swift:
            files = SwiftGenerator(plan: plan, packageName: name).files(golden: golden)
        case .openapi:
            files = OpenAPIGenerator(plan: plan, contract: contract, title: name).files()
        }
        try write(files)
        let bodies = golden.bodies.values.reduce(0) { $0 + $1.count }
        switch format {
        case .text:
            var line =
                "wrote \(files.count) files to \(out): \(plan.roots.count) body types, \(plan.objects.count) structs"
            if let attributes { line += ", \(attributes) serde attributes" }
            if !fixtures.isEmpty { line += ", \(bodies) golden bodies" }
            print(line)
            for (id, key) in golden.unmatched {
                print("no type for \(id): \(key.route) \(key.side) is not in the contract")
            }
        case .json:
            var members = [
                JSONMember(key: "files", value: .number(JSONNumber(files.count))),
                JSONMember(key: "bodyTypes", value: .number(JSONNumber(plan.roots.count))),
                JSONMember(key: "structs", value: .number(JSONNumber(plan.objects.count))),
                JSONMember(key: "goldenBodies", value: .number(JSONNumber(bodies))),
                JSONMember(
                    key: "unmatched",
                    value: .array(
                        golden.unmatched.map {
                            ["exchange": .string($0.id), "route": .string($0.key.route), "side": .string($0.key.side)]
                        })),
            ]
            if let attributes {
                members.append(JSONMember(key: "serdeAttributes", value: .number(JSONNumber(attributes))))
            }
            print(JSONValue.object(members).prettyText())
        }
    }

    func write(_ files: [GeneratedFile]) throws {
        let manager = FileManager.default
        let marker = (out as NSString).appendingPathComponent(Self.marker)
        if manager.fileExists(atPath: out) {
            let contents = (try? manager.contentsOfDirectory(atPath: out)) ?? []
            if manager.fileExists(atPath: marker) {
                // Keep build products (target/, .build/) so a regenerated package rebuilds incrementally.
                for item in contents where ![Self.marker, "target", ".build", "Cargo.lock"].contains(item) {
                    try manager.removeItem(atPath: (out as NSString).appendingPathComponent(item))
                }
            } else if !contents.isEmpty {
                throw UsageError("\(out): not empty and not written by 'banyan contract gen'; choose another --out")
            }
        }
        try manager.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data("banyan contract gen --lang \(lang.rawValue)\n".utf8).write(to: URL(fileURLWithPath: marker))
        for file in files {
            let path = (out as NSString).appendingPathComponent(file.path)
            try manager.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(file.bytes).write(to: URL(fileURLWithPath: path))
        }
    }
}
