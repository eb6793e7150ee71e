import ArgumentParser
import BanyanConfig
import BanyanCore
import Foundation

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Work with banyan.yaml.",
        subcommands: [Check.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a configuration file without starting anything.",
            discussion: """
                Exits 0 when the file is valid and 1 when it is not, printing every problem with its \
                file, line, column and key.
                """
        )

        @Argument(help: "The configuration file.", completion: .file(extensions: ["yaml", "yml"]))
        var file: String = ConfigurationLoader.defaultFileName

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() throws {
            do {
                let configuration = try ConfigurationLoader.load(path: file)
                switch format {
                case .text: print(ConfigurationSummary(file: file, configuration: configuration).text)
                case .json: print(ConfigurationSummary(file: file, configuration: configuration).json)
                }
            } catch {
                switch format {
                case .text: printError(error.description)
                case .json: print(jsonText(for: error))
                }
                throw ExitCode(1)
            }
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// What `config check` prints for a valid file.
struct ConfigurationSummary {
    let file: String
    let configuration: Configuration

    var text: String {
        var lines = [
            "\(file): valid",
            "  legacy     \(configuration.legacy)",
            "  candidate  \(configuration.candidate)",
            "  express    \(configuration.express)",
            "  routes     \(configuration.routes.count)",
        ]
        for route in configuration.routes {
            lines.append("    \(route.route.padding(toLength: 28, withPad: " ", startingAt: 0)) \(route.mode)")
        }
        lines.append("  policy     fail at \(configuration.policy.failAt)")
        lines.append("  forwarded  \(configuration.forwarded)")
        for warning in configuration.forwarded.warnings { lines.append("warning: \(warning)") }
        return lines.joined(separator: "\n")
    }

    var json: String {
        let routes: [[String: Any]] = configuration.routes.map { route in
            var entry: [String: Any] = ["route": route.route, "mode": route.mode.name]
            if case .canary(let percent) = route.mode { entry["percent"] = percent }
            return entry
        }
        let object: [String: Any] = [
            "file": file, "valid": true, "legacy": configuration.legacy.description,
            "candidate": configuration.candidate.description, "express": configuration.express.rawValue,
            "routes": routes, "problems": [Any](), "forwarded": configuration.forwarded.description,
            "warnings": configuration.forwarded.warnings,
        ]
        return serializeJSON(object)
    }
}

func jsonText(for error: ConfigurationError) -> String {
    let problems: [[String: Any]] = error.problems.map { problem in
        [
            "line": problem.line.map { $0 as Any } ?? NSNull(),
            "column": problem.column.map { $0 as Any } ?? NSNull(),
            "key": problem.key, "message": problem.message,
        ]
    }
    return serializeJSON(["file": error.file, "valid": false, "problems": problems])
}

func serializeJSON(_ object: Any) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    return String(decoding: data, as: UTF8.self)
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
