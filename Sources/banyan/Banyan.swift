import ArgumentParser
import BanyanCore
import Foundation

@main
struct BanyanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "banyan",
        abstract: "Carry an Express service to its rewrite one route at a time, with proof at every step.",
        discussion: """
            Start with 'banyan config check' on your banyan.yaml. Shell completion: \
            'banyan --generate-completion-script bash' (or zsh, fish) prints a script to source.
            """,
        version: Banyan.version,
        subcommands: [
            ConfigCommand.self, RecordCommand.self, VerifyCommand.self, ProbeCommand.self, DiffCommand.self,
            DataCommand.self,
        ]
    )
}

extension BanyanCommand {
    /// Runs the command line. Exit status: 0 success, 1 differences found (or an invalid
    /// configuration for `config check`), 2 usage and environment errors.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as UsageError {
            printError("error: \(error.description)")
            Foundation.exit(2)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                printError(fullMessage(for: error))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
