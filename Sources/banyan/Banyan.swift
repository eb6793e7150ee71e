import ArgumentParser
import BanyanCore

@main
struct BanyanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "banyan",
        abstract: "Carry an Express service to its rewrite one route at a time, with proof at every step.",
        version: Banyan.version
    )
}
