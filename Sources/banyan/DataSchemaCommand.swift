import ArgumentParser
import BanyanCore
import BanyanData
import Foundation

struct DataSchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Guard the shared database: is a schema change safe for the legacy service?",
        subcommands: [DataSchemaCheckCommand.self]
    )
}

struct DataSchemaCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Classify every schema change of a migration as additive or breaking for legacy.",
        discussion: """
            Compares the schema of --database with the schema of --after (a second database), or with the \
            schema --migration would leave: the file is applied in a transaction that is rolled back \
            (PostgreSQL: on the database itself, with a 5 s lock timeout; SQLite: on a copy), so the \
            database parses it and nothing is kept. Each change is named by table, column and rule \
            (docs/data.md lists the rules). With --uses, dropping or renaming a column legacy does not use \
            passes. Exit status: 0 additive, 1 breaking, 2 usage or connection errors, 3 the database \
            refused the migration (the message names the file and line).
            """
    )

    @Option(help: "The database as it is now (sqlite:PATH or postgres://…).")
    var database: String

    @Option(help: "The database after the migration, for a comparison of two live databases.")
    var after: String?

    @Option(help: "A migration SQL file to try on the database (rolled back).", completion: .file(extensions: ["sql"]))
    var migration: String?

    @Option(
        help: "The columns legacy uses: one table.column (or table.*) a line.", completion: .file())
    var uses: String?

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        if (after == nil) == (migration == nil) {
            throw ValidationError("give either --after URL (a second database) or --migration FILE")
        }
    }

    func run() async throws {
        let before = try parseDatabaseURL(database, option: "--database")
        let afterURL = try after.map { try parseDatabaseURL($0, option: "--after") }
        var sql: String?
        if let migration {
            guard let text = try? String(contentsOfFile: migration, encoding: .utf8) else {
                throw UsageError("--migration: cannot read \(migration)")
            }
            sql = text
        }
        var columnUse: LegacyColumnUse?
        if let uses {
            guard let text = try? String(contentsOfFile: uses, encoding: .utf8) else {
                throw UsageError("--uses: cannot read \(uses)")
            }
            switch LegacyColumnUse.parse(text) {
            case .success(let parsed): columnUse = parsed
            case .failure(let error): throw UsageError("\(uses): \(error.message)")
            }
        }
        let file = migration ?? ""
        let migrationName = migration
        let migrationText = sql
        let legacyUse = columnUse
        let report = try await runData { () -> SchemaCheckReport in
            let (old, new) = try await withStore(before) { store -> (SchemaSnapshot, SchemaSnapshot) in
                let old = try await SchemaInspector.snapshot(store)
                if let migrationText {
                    return (
                        old, try await SchemaInspector.snapshotAfter(migration: migrationText, file: file, on: store)
                    )
                }
                return (old, try await withStore(afterURL!) { try await SchemaInspector.snapshot($0) })
            }
            return SchemaCheckReport(
                findings: SchemaGuard.compare(before: old, after: new, uses: legacyUse), before: before.description,
                after: migrationName.map { "\(before.description) + \($0)" } ?? afterURL!.description)
        }
        switch format {
        case .text: print(report.plainText)
        case .json: print(report.jsonValue.prettyText())
        }
        if !report.isAdditive { throw ExitCode(1) }
    }
}
