import ArgumentParser
import BanyanAudit
import BanyanConfig
import BanyanCore
import Foundation

struct RoutesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routes",
        abstract: "Work with the routes of the legacy service.",
        subcommands: [Import.self]
    )

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "List the routes an Express app serves and add them to banyan.yaml.",
            discussion: """
                Loads the app with node without letting it listen (listen() does nothing), walks its router \
                (nested routers and their mount paths, router.route() chains, app.all, mounted sub-apps) and \
                writes every route into the routes: section of banyan.yaml: new routes get mode legacy, \
                existing entries keep their mode, their place and their comments, and the rest of the file is \
                left as written. Without a banyan.yaml, one is created. --dry-run prints without writing.
                """
        )

        @Option(
            help: "The file that creates the Express app (app.js, server.js).", completion: .file(extensions: ["js"]))
        var express: String

        @Option(
            name: .customLong("config"), help: "The configuration to update (default: banyan.yaml).",
            completion: .file(extensions: ["yaml", "yml"]))
        var config: String = ConfigurationLoader.defaultFileName

        @Option(help: "The Express flavour to check patterns with: 4, 4-debian or 5 (default: the one the app loads).")
        var flavor: String?

        @Option(help: "The node executable.")
        var node: String = "node"

        @Option(help: "Seconds the app may take to load.")
        var timeout: Double = 30

        @Flag(help: "Print the routes and what would change, without writing banyan.yaml.")
        var dryRun = false

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() throws {
            var chosenFlavor: ExpressFlavor?
            if let flavor {
                guard let value = ExpressFlavor(rawValue: flavor) else {
                    throw UsageError(
                        "--flavor: unknown Express flavour '\(flavor)'; allowed: \(ExpressFlavor.allowedValues)")
                }
                chosenFlavor = value
            }
            let existingText: String? =
                FileManager.default.fileExists(atPath: config)
                ? try String(contentsOfFile: config, encoding: .utf8) : nil
            var configured: Configuration?
            if let existingText { configured = try? ConfigurationLoader.parse(yaml: existingText, file: config) }

            let inventory: RouteInventory
            let trust: TrustProxyAdvice?
            do {
                // Patterns are checked with the flavour named, else the app's Express, else the file's.
                let report = try ExpressRouteLoader(node: node, timeout: timeout).load(appPath: express)
                inventory = report.inventory(flavor: chosenFlavor, fallback: configured?.express ?? .express4)
                trust = report.trustProxy.map { setting in
                    // The app sees the proxy connect from the legacy URL's host when that is this machine.
                    let legacyHost = configured?.legacy.host
                    let local = legacyHost.map { $0.hasPrefix("127.") || $0 == "::1" || $0 == "localhost" } ?? true
                    return TrustProxyAdvice(
                        setting: setting, forwarded: configured?.forwarded ?? ForwardedHeaders(),
                        proxyAddress: local ? "127.0.0.1" : nil)
                }
            } catch {
                throw UsageError(error.description)
            }
            var warnings: [String] = []
            if let configured, inventory.flavor != configured.express {
                warnings.append(
                    "\(config) says express: \(configured.express), but the app loads Express "
                        + "\(inventory.express?.version ?? "?") (express: \(inventory.flavor)); set it to match "
                        + "so paths are matched as the app matches them")
            }

            let merge: RoutesSectionEditor.Result
            if let existingText {
                do {
                    merge = try RoutesSectionEditor.merge(routes: inventory.routes, into: existingText)
                } catch {
                    throw UsageError("\(config): \(error.description)")
                }
                if configured != nil {
                    do {
                        _ = try ConfigurationLoader.parse(yaml: merge.text, file: config)
                    } catch {
                        throw UsageError("the updated \(config) would not be valid, so it was not written:\n\(error)")
                    }
                }
            } else {
                let text = RoutesSectionEditor.newFile(routes: inventory.routes, express: inventory.flavor.rawValue)
                merge = .init(text: text, added: inventory.routes, kept: [], notServed: [])
            }
            if !dryRun && merge.text != existingText {
                do {
                    try Data(merge.text.utf8).write(to: URL(fileURLWithPath: config))
                } catch {
                    throw UsageError("cannot write \(config): \(error.localizedDescription)")
                }
            }

            switch format {
            case .text:
                print(inventory.plainText())
                let verb = dryRun ? "would add" : (existingText == nil ? "created with" : "added")
                print(
                    "\(config): \(verb) \(merge.added.count) routes (mode legacy), kept \(merge.kept.count) "
                        + "existing entries as they were")
                for route in merge.added { print("  + \(route)") }
                if !merge.notServed.isEmpty {
                    print("\(merge.notServed.count) entries of \(config) name routes the app does not serve (kept):")
                    for route in merge.notServed { print("  ? \(route)") }
                }
                if let trust {
                    print(
                        "forwarded headers: \(trust.summary) with forwarded: \(configured?.forwarded ?? ForwardedHeaders())"
                    )
                    for change in trust.changes { print("  change: \(change)") }
                }
                for warning in warnings { printError("warning: \(warning)") }
            case .json:
                var object = inventory.json
                if case .object(var members) = object {
                    members.append(
                        JSONMember(
                            key: "config",
                            value: [
                                "file": .string(config), "written": .bool(!dryRun),
                                "added": .array(merge.added.map(JSONValue.string)),
                                "kept": .array(merge.kept.map(JSONValue.string)),
                                "not_served": .array(merge.notServed.map(JSONValue.string)),
                            ]))
                    members.append(JSONMember(key: "warnings", value: .array(warnings.map(JSONValue.string))))
                    if let trust {
                        func kept(_ value: Bool?) -> JSONValue { value.map(JSONValue.bool) ?? .null }
                        members.append(
                            JSONMember(
                                key: "trust_proxy",
                                value: [
                                    "setting": .string(trust.setting.description), "keeps_ip": kept(trust.keepsIP),
                                    "keeps_protocol": kept(trust.keepsProtocol),
                                    "changes": .array(trust.changes.map(JSONValue.string)),
                                ]))
                    }
                    object = .object(members)
                }
                print(object.prettyText())
            }
        }
    }
}
