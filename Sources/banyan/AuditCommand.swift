import ArgumentParser
import BanyanAudit
import BanyanCore
import Foundation

/// Text, JSON or Markdown, for the reports that go into a plan document.
enum DocumentFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, markdown
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Map every production npm dependency to its Rust crate and Swift package, or name the gap.",
        discussion: """
            Reads the dependencies and optionalDependencies of package.json (devDependencies are not \
            shipped) and looks each one up in Banyan's knowledge base: its category, the Rust crate and the \
            Swift package that do its job (how mature, what differs), a verdict per language (direct, partial, \
            none) and the advice (port, adapt, keep in a Node sidecar, call the vendor's REST API, drop). A \
            package the knowledge base does not know is reported as unknown, never guessed. --lock adds the \
            versions package-lock.json resolved.
            """
    )

    @Argument(help: "The package.json to audit.", completion: .file(extensions: ["json"]))
    var packageJSON: String = "package.json"

    @Option(help: "The package-lock.json that goes with it.", completion: .file(extensions: ["json"]))
    var lock: String?

    @Option(help: "Which rewrite to show: rust, swift or both.")
    var target: AuditTarget = .both

    @Option(help: "A knowledge base file to use instead of the bundled one.", completion: .file(extensions: ["json"]))
    var knowledge: String?

    @Option(help: "Output format: text, json or markdown.")
    var format: DocumentFormat = .text

    enum AuditTarget: String, ExpressibleByArgument, CaseIterable {
        case rust, swift, both

        var languages: [TargetLanguage] {
            switch self {
            case .rust: [.rust]
            case .swift: [.swift]
            case .both: TargetLanguage.allCases
            }
        }
    }

    func run() throws {
        let audit = try Self.audit(packageJSON: packageJSON, lock: lock, knowledge: knowledge)
        switch format {
        case .text: print(audit.plainText(languages: target.languages))
        case .json: print(audit.json.prettyText())
        case .markdown: print(audit.markdown(languages: target.languages))
        }
    }

    static func audit(packageJSON: String, lock: String?, knowledge: String?) throws -> DependencyAudit {
        let knowledgeBase: KnowledgeBase
        do { knowledgeBase = try KnowledgeBase.load(path: knowledge) } catch { throw UsageError(error.description) }
        guard let manifest = FileManager.default.contents(atPath: packageJSON) else {
            throw UsageError("\(packageJSON): cannot read the file (name the app's package.json)")
        }
        var lockData: Data?
        if let lock {
            guard let data = FileManager.default.contents(atPath: lock) else {
                throw UsageError("--lock \(lock): cannot read the file")
            }
            lockData = data
        }
        do {
            return try DependencyAudit(
                packageJSON: manifest, lock: lockData, knowledgeBase: knowledgeBase, file: packageJSON,
                lockFile: lock ?? "package-lock.json")
        } catch {
            throw UsageError(error.description)
        }
    }
}
