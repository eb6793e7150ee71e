import ArgumentParser
import BanyanCore
import Foundation

@main
struct BanyanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "banyan",
        abstract: "Carry an Express service to its rewrite one route at a time, with proof at every step.",
        discussion: """
            Start with 'banyan config check' on your banyan.yaml. Shell completion: \
            'banyan --generate-completion-script bash' (or zsh, fish) prints a script to source.
            """,
        version: Banyan.version,
        subcommands: [
            DemoCommand.self, ConfigCommand.self, RecordCommand.self, VerifyCommand.self, ProbeCommand.self,
            ContractCommand.self,
            DiffCommand.self, ProxyCommand.self, StatusCommand.self, RouteCommand.self, RollbackCommand.self,
            BenchCommand.self, RoutesCommand.self, AuditCommand.self, PlanCommand.self, GuardCommand.self,
            DataCommand.self,
        ]
    )
}

extension BanyanCommand {
    /// Runs the command line. Exit status: 0 success, 1 differences found (or an invalid
    /// configuration for `config check`), 2 usage and environment errors.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
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
