import BanyanCore

/// Why a package.json or lock file could not be read.
public struct AuditInputError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The production dependencies of a package.json, each mapped to its Rust and Swift equivalents or
/// named unknown.
public struct DependencyAudit: Sendable {
    /// One production dependency.
    public struct Item: Sendable {
        public var name: String
        /// The range package.json asks for.
        public var requested: String
        /// The version the lock file resolved, when one was given.
        public var resolved: String?
        /// The knowledge base's entry; nil when the package is unknown.
        public var known: KnownPackage?

        /// The verdict for `language`, nil when the package is unknown.
        public func verdict(for language: TargetLanguage) -> Verdict? { known?.equivalent(in: language).verdict }
    }

    /// The package's name in package.json.
    public var project: String?
    public var items: [Item]
    /// The lock file's version (1, 2 or 3) when one was read.
    public var lockVersion: Int?

    /// Reads package.json (and optionally package-lock.json) and looks each production dependency
    /// (`dependencies` and `optionalDependencies`) up in `knowledgeBase`.
    public init(
        packageJSON: some Collection<UInt8>, lock: (some Collection<UInt8>)? = [UInt8]?.none,
        knowledgeBase: KnowledgeBase, file: String = "package.json", lockFile: String = "package-lock.json"
    ) throws(AuditInputError) {
        let manifest: JSONValue
        do {
            manifest = try JSONParser.parse(packageJSON)
        } catch {
            throw AuditInputError("\(file): not JSON: \(error)")
        }
        guard manifest.members != nil else { throw AuditInputError("\(file): not a package.json (not an object)") }
        var dependencies: [(String, String)] = []
        for section in ["dependencies", "optionalDependencies"] {
            guard let value = manifest[section] else { continue }
            guard let members = value.members else {
                throw AuditInputError("\(file): '\(section)' is not an object of name: version")
            }
            for member in members where !dependencies.contains(where: { $0.0 == member.key }) {
                dependencies.append((member.key, member.value.stringValue ?? member.value.serializedText))
            }
        }
        var resolved: [String: String] = [:]
        var lockVersion: Int?
        if let lock {
            let lockValue: JSONValue
            do {
                lockValue = try JSONParser.parse(lock)
            } catch {
                throw AuditInputError("\(lockFile): not JSON: \(error)")
            }
            lockVersion = lockValue["lockfileVersion"]?.doubleValue.map { Int($0) }
            if let packages = lockValue["packages"]?.members {
                // Lock files 2 and 3: "node_modules/NAME" entries.
                for member in packages where member.key.hasPrefix("node_modules/") {
                    let name = String(member.key.dropFirst("node_modules/".count))
                    if !name.contains("/node_modules/"), let version = member.value["version"]?.stringValue {
                        resolved[name] = version
                    }
                }
            } else if let legacy = lockValue["dependencies"]?.members {
                // Lock file 1: nested "dependencies".
                for member in legacy {
                    if let version = member.value["version"]?.stringValue { resolved[member.key] = version }
                }
            } else {
                throw AuditInputError("\(lockFile): not an npm lock file (no 'packages' or 'dependencies')")
            }
        }
        self.project = manifest["name"]?.stringValue
        self.lockVersion = lockVersion
        self.items = dependencies.map { name, requested in
            Item(name: name, requested: requested, resolved: resolved[name], known: knowledgeBase.lookup(name))
        }
    }

    /// How many dependencies have each verdict in `language` (and how many are unknown).
    public func counts(for language: TargetLanguage) -> (direct: Int, partial: Int, none: Int, unknown: Int) {
        var result = (direct: 0, partial: 0, none: 0, unknown: 0)
        for item in items {
            switch item.verdict(for: language) {
            case .direct: result.direct += 1
            case .partial: result.partial += 1
            case .noEquivalent: result.none += 1
            case nil: result.unknown += 1
            }
        }
        return result
    }

    /// The dependencies that block a plain port: no equivalent in `language`, or advice to keep
    /// them in Node or call the vendor.
    public func gaps(for language: TargetLanguage) -> [Item] {
        items.filter { item in
            guard let known = item.known else { return false }
            return known.equivalent(in: language).verdict == .noEquivalent || known.advice == .sidecar
        }
    }
}
