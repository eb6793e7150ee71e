import ArgumentParser
import BanyanConfig
import BanyanCore
import Foundation

/// An error that stops a command with exit status 2 (usage or environment), as opposed to 1
/// (the comparison found differences).
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Options shared by the commands that read banyan.yaml.
struct ConfigOptions: ParsableArguments {
    @Option(
        name: .customLong("config"), help: "The configuration file (default: banyan.yaml when present).",
        completion: .file(extensions: ["yaml", "yml"]))
    var path: String?

    /// The configuration named, banyan.yaml when present, or nil.
    func loadIfPresent() throws -> Configuration? {
        let file = path ?? ConfigurationLoader.defaultFileName
        if path == nil && !FileManager.default.fileExists(atPath: file) { return nil }
        do {
            return try ConfigurationLoader.load(path: file)
        } catch {
            throw UsageError(error.description)
        }
    }
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, junit
}

/// Prints a report in the chosen format and exits 1 when it failed.
func finish(_ report: DiffReport, format: ReportFormat, suiteName: String) throws {
    switch format {
    case .text: print(report.plainText())
    case .json: print(report.jsonText())
    case .junit: print(report.junitXML(suiteName: suiteName))
    }
    if !report.passed { throw ExitCode(1) }
}

func parseBaseURL(_ text: String, option: String) throws -> BaseURL {
    guard let url = BaseURL(parsing: text) else {
        throw UsageError("\(option): '\(text)' is not a base URL; write it like http://127.0.0.1:3000 (http only)")
    }
    return url
}
