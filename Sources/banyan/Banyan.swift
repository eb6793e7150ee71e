import ArgumentParser
import BanyanCore

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
        subcommands: [ConfigCommand.self]
    )
}
