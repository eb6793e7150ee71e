import BanyanCore
import Foundation

/// Reads and writes a folder of fixture files, one file per exchange, grouped by route.
///
/// `fixtures/get-users-id/003-get-users-1.fixture`: a folder per configured route (`unrouted`
/// for requests no route matched), files numbered in recording order so that replaying them in
/// name order repeats the recorded sequence of state changes.
public enum FixtureStore {
    public static let fileExtension = "fixture"

    /// The folder name for a route: `GET /users/:id` → `get-users-id`.
    public static func folderName(route: String?) -> String {
        guard let route else { return "unrouted" }
        return slug(route)
    }

    static func slug(_ text: String, limit: Int = 60) -> String {
        var result = ""
        var lastWasDash = true
        for character in text.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber) {
                result.append(character)
                lastWasDash = false
            } else if !lastWasDash {
                result.append("-")
                lastWasDash = true
            }
        }
        while result.hasSuffix("-") { result.removeLast() }
        return String(result.prefix(limit))
    }

    /// Writes each fixture into `directory`, replacing fixtures recorded there before.
    /// - Returns: the paths written, in order.
    @discardableResult
    public static func write(_ fixtures: [Fixture], to directory: String) throws -> [String] {
        let manager = FileManager.default
        if manager.fileExists(atPath: directory) {
            for existing in try fixturePaths(in: directory) { try manager.removeItem(atPath: existing) }
        }
        var written: [String] = []
        let width = max(3, String(fixtures.count).count)
        for (index, fixture) in fixtures.enumerated() {
            let folder = (directory as NSString).appendingPathComponent(folderName(route: fixture.route))
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let number = String(index + 1)
            let padded = String(repeating: "0", count: max(0, width - number.count)) + number
            let name = "\(padded)-\(slug(fixture.request.method + " " + fixture.request.path)).\(fileExtension)"
            let path = (folder as NSString).appendingPathComponent(name)
            try Data(fixture.text().utf8).write(to: URL(fileURLWithPath: path))
            written.append(path)
        }
        return written
    }

    /// Every fixture file below `directory`, ordered by file name (the recording order).
    public static func fixturePaths(in directory: String) throws -> [String] {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw FixtureError(file: directory, message: "no such folder")
        }
        guard isDirectory.boolValue else {
            return [directory]
        }
        guard let enumerator = manager.enumerator(atPath: directory) else { return [] }
        var paths: [String] = []
        for case let relative as String in enumerator where relative.hasSuffix(".\(fileExtension)") {
            paths.append((directory as NSString).appendingPathComponent(relative))
        }
        // Each file's name once, not once per comparison: a recording can hold hundreds of thousands.
        return paths.map { (name: ($0 as NSString).lastPathComponent, path: $0) }.sorted { $0.name < $1.name }
            .map(\.path)
    }

    /// Reads every fixture below `directory` (or the one file it names), in recording order.
    public static func read(_ directory: String) throws(FixtureError) -> [(path: String, fixture: Fixture)] {
        var result: [(String, Fixture)] = []
        for path in try recordedPaths(in: directory) { result.append((path, try readFixture(at: path))) }
        return result
    }

    /// ``fixturePaths(in:)``, refusing a folder without fixtures.
    public static func recordedPaths(in directory: String) throws(FixtureError) -> [String] {
        let paths: [String]
        do {
            paths = try fixturePaths(in: directory)
        } catch let error as FixtureError {
            throw error
        } catch {
            throw FixtureError(file: directory, message: "cannot list the folder: \(error.localizedDescription)")
        }
        if paths.isEmpty {
            throw FixtureError(
                file: directory, message: "no .\(fileExtension) files here; record some with 'banyan record'")
        }
        return paths
    }

    /// Reads one fixture file.
    public static func readFixture(at path: String) throws(FixtureError) -> Fixture {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FixtureError(file: path, message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FixtureError(file: path, message: "the file is not UTF-8 text")
        }
        return try Fixture(parsing: text, file: path)
    }
}
