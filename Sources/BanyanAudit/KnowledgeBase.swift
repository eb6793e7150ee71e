import BanyanCore
import Foundation

/// How well a package's job can be done on the other side.
public enum Verdict: String, Sendable, Hashable, CaseIterable, Comparable {
    /// An equivalent does the same job with the same concepts.
    case direct
    /// Something covers part of it, or works differently enough to need rework.
    case partial
    /// Nothing equivalent exists (written `none`).
    case noEquivalent = "none"

    public static func < (lhs: Verdict, rhs: Verdict) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// What to do about a dependency in the rewrite.
public enum Advice: String, Sendable, Hashable, CaseIterable {
    /// Use the equivalent.
    case port
    /// Use the closest equivalent and rework what differs.
    case adapt
    /// Keep the code that needs it in a Node sidecar the rewrite calls.
    case sidecar
    /// Call the vendor's REST API directly with the HTTP client.
    case rest
    /// Nothing to port: the framework, language or toolchain of the rewrite covers it.
    case drop

    /// The advice in words.
    public var phrase: String {
        switch self {
        case .port: "port: use the equivalent"
        case .adapt: "adapt: use the closest equivalent and rework what differs"
        case .sidecar: "keep in a Node sidecar"
        case .rest: "call the vendor's REST API"
        case .drop: "drop: the rewrite's framework or toolchain covers it"
        }
    }
}

/// The equivalent of an npm package in one target language.
public struct Equivalent: Sendable, Hashable {
    /// The crate or package name (nil when there is none).
    public var name: String?
    /// How mature it is, in a few words (`mature`, `maintained, pre-1.0`, …).
    public var maturity: String?
    public var verdict: Verdict
    /// What differs from the npm package.
    public var differs: String

    public init(name: String?, maturity: String?, verdict: Verdict, differs: String) {
        self.name = name
        self.maturity = maturity
        self.verdict = verdict
        self.differs = differs
    }
}

/// What Banyan knows about one npm package.
public struct KnownPackage: Sendable, Hashable {
    /// The npm name, or a family pattern ending in `*` (`@aws-sdk/client-*`).
    public var name: String
    /// Other npm names for the same package (`@hapi/joi` for `joi`).
    public var aliases: [String]
    public var category: String
    public var rust: Equivalent
    public var swift: Equivalent
    public var advice: Advice
    /// Where the mapping comes from: documentation pages of the crates and packages.
    public var sources: [String]
    /// Anything the entry is unsure of.
    public var note: String?

    public init(
        name: String, aliases: [String] = [], category: String, rust: Equivalent, swift: Equivalent, advice: Advice,
        sources: [String], note: String? = nil
    ) {
        self.name = name
        self.aliases = aliases
        self.category = category
        self.rust = rust
        self.swift = swift
        self.advice = advice
        self.sources = sources
        self.note = note
    }

    /// The equivalent in `language`.
    public func equivalent(in language: TargetLanguage) -> Equivalent {
        language == .rust ? rust : swift
    }
}

/// The language of the rewrite.
public enum TargetLanguage: String, Sendable, Hashable, CaseIterable {
    case rust, swift
}

/// Why the knowledge base could not be read.
public struct KnowledgeBaseError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The npm packages Banyan can map, read from `knowledge-base.json`.
public struct KnowledgeBase: Sendable {
    public let packages: [KnownPackage]
    private let byName: [String: Int]
    private let families: [(prefix: String, index: Int)]

    public init(packages: [KnownPackage]) {
        self.packages = packages
        var byName: [String: Int] = [:]
        var families: [(String, Int)] = []
        for (index, package) in packages.enumerated() {
            for name in [package.name] + package.aliases {
                if name.hasSuffix("*") {
                    families.append((String(name.dropLast()), index))
                } else {
                    byName[name] = index
                }
            }
        }
        self.byName = byName
        // The longest prefix wins.
        self.families = families.sorted { $0.0.count > $1.0.count }
    }

    /// The entry for an npm package: its own entry, else the family its name falls in; nil when
    /// the package is unknown (it is never guessed from a similar name).
    public func lookup(_ name: String) -> KnownPackage? {
        if let index = byName[name] { return packages[index] }
        if let family = families.first(where: { name.hasPrefix($0.prefix) }) { return packages[family.index] }
        return nil
    }

    /// Reads the knowledge base JSON (see docs/inventory.md for its fields).
    public init(json data: some Collection<UInt8>, file: String) throws(KnowledgeBaseError) {
        let root: JSONValue
        do {
            root = try JSONParser.parse(data)
        } catch {
            throw KnowledgeBaseError("\(file): not JSON: \(error)")
        }
        guard let items = root["packages"]?.arrayValue else {
            throw KnowledgeBaseError("\(file): no 'packages' array")
        }
        var packages: [KnownPackage] = []
        for (index, item) in items.enumerated() {
            let key = "packages[\(index)]"
            guard let name = item["name"]?.stringValue else { throw KnowledgeBaseError("\(file): \(key) has no name") }
            func equivalent(_ side: String) throws(KnowledgeBaseError) -> Equivalent {
                guard let value = item[side] else { throw KnowledgeBaseError("\(file): \(name) has no '\(side)'") }
                guard let verdictText = value["verdict"]?.stringValue, let verdict = Verdict(rawValue: verdictText)
                else {
                    throw KnowledgeBaseError("\(file): \(name).\(side).verdict must be direct, partial or none")
                }
                let equivalentName = value["name"]?.stringValue
                if verdict != .noEquivalent && equivalentName == nil {
                    throw KnowledgeBaseError("\(file): \(name).\(side) has a \(verdict) verdict but names nothing")
                }
                return Equivalent(
                    name: equivalentName, maturity: value["maturity"]?.stringValue, verdict: verdict,
                    differs: value["differs"]?.stringValue ?? "")
            }
            guard let adviceText = item["advice"]?.stringValue, let advice = Advice(rawValue: adviceText) else {
                throw KnowledgeBaseError(
                    "\(file): \(name).advice must be one of \(Advice.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let sources = (item["sources"]?.arrayValue ?? []).compactMap(\.stringValue)
            guard !sources.isEmpty else { throw KnowledgeBaseError("\(file): \(name) names no sources") }
            packages.append(
                KnownPackage(
                    name: name, aliases: (item["aliases"]?.arrayValue ?? []).compactMap(\.stringValue),
                    category: item["category"]?.stringValue ?? "other", rust: try equivalent("rust"),
                    swift: try equivalent("swift"), advice: advice, sources: sources, note: item["note"]?.stringValue))
        }
        self.init(packages: packages)
    }

    /// The file name of the bundled knowledge base.
    public static let fileName = "knowledge-base.json"

    /// Reads the knowledge base at `path`, or the bundled one: beside the executable in SwiftPM's
    /// resource folder (`banyan_BanyanAudit.resources`), else in the source tree it was built from.
    public static func load(path: String? = nil) throws(KnowledgeBaseError) -> KnowledgeBase {
        let candidates = path.map { [$0] } ?? bundledCandidates()
        for candidate in candidates {
            if let data = FileManager.default.contents(atPath: candidate) {
                return try KnowledgeBase(json: data, file: candidate)
            }
        }
        if let path { throw KnowledgeBaseError("\(path): no such file") }
        throw KnowledgeBaseError(
            "the knowledge base is not installed: copy banyan_BanyanAudit.resources from the build folder next to "
                + "the banyan executable, or name the file with --knowledge (looked in: "
                + candidates.joined(separator: ", ") + ")")
    }

    static func bundledCandidates() -> [String] {
        var candidates: [String] = []
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        for folder in [executable.deletingLastPathComponent(), Bundle.main.bundleURL] {
            for bundle in ["banyan_BanyanAudit.resources", "banyan_BanyanAudit.bundle"] {
                candidates.append(folder.appendingPathComponent(bundle).appendingPathComponent(fileName).path)
            }
        }
        candidates.append(
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources")
                .appendingPathComponent(fileName).path)
        var seen = Set<String>()
        return candidates.filter { seen.insert($0).inserted }
    }
}
