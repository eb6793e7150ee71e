import BanyanCore
import Foundation

/// Why routes could not be read from an Express app.
public struct RouteImportError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable { case nodeMissing, fileMissing, threw, noExpress, noApp, exited, timeout, failed }
    private let code: Code
    /// What a user reads: what went wrong and what to do.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Whether node itself could not be found.
    public var isNodeMissing: Bool { code == .nodeMissing }

    static func nodeMissing(_ node: String) -> Self {
        Self(
            .nodeMissing,
            "cannot run '\(node)': routes import loads the app with Node.js; install it (scripts/setup.sh does) "
                + "or name it with --node")
    }
    static func fileMissing(_ path: String) -> Self {
        Self(.fileMissing, "\(path): no such file; name the file that creates the Express app (often app.js)")
    }
    static func threw(_ path: String, _ message: String) -> Self {
        Self(
            .threw,
            "\(path) threw while loading, so no routes could be read:\n\(message)\n"
                + "(set the environment it needs, or point --express at the file that only builds the app)")
    }
    static func expressNotFound(_ path: String) -> Self {
        Self(
            .noExpress,
            "\(path) requires Express, which node cannot find from there: run 'npm install' in the app's folder, "
                + "or set NODE_PATH to where Express is installed (Debian's node-express: /usr/share/nodejs)")
    }
    static func noExpress(_ path: String) -> Self {
        Self(
            .noExpress,
            "\(path) did not load Express (require('express') never ran): is it the app's entry file, and "
                + "is Express installed where Node finds it (node_modules or NODE_PATH)?")
    }
    static func noApp(_ path: String) -> Self {
        Self(
            .noApp,
            "\(path) loaded Express but created no app (express() never ran); point --express at the file "
                + "that calls express()")
    }
    static func exited(_ path: String, _ output: String) -> Self {
        Self(.exited, "\(path) ended the process while loading (process.exit); no routes could be read\(output)")
    }
    static func timeout(_ path: String, seconds: Double) -> Self {
        Self(
            .timeout,
            "\(path) did not finish loading within \(Int(seconds)) s; is it waiting for a database? "
                + "(raise --timeout, or point --express at the file that only builds the app)")
    }
    static func failed(_ message: String) -> Self { Self(.failed, message) }
}

/// What the loader read from an app's router, before the patterns are checked.
public struct ExpressAppReport: Sendable {
    public var records: [ExpressRouteRecord]
    public var middleware: [(name: String, mounts: [[ExpressPath]])]
    public var express: RouteInventory.ExpressRelease?
    /// The app's `trust proxy` setting (nil when the loader could not read it).
    public var trustProxy: TrustProxySetting?

    /// The routes, checked with `flavor` (by default the flavour the loaded Express implies, then
    /// `fallback`).
    public func inventory(flavor: ExpressFlavor? = nil, fallback: ExpressFlavor = .express4) -> RouteInventory {
        RouteInventory(
            records: records, middleware: middleware, express: express,
            flavor: flavor ?? express?.flavor ?? fallback)
    }
}

/// Loads an Express app with `node`, without letting it listen, and reads its router.
public struct ExpressRouteLoader: Sendable {
    /// The node executable: a path, or a name looked up on the PATH.
    public var node: String
    /// Extra environment for the app (NODE_PATH, configuration it reads at load time).
    public var environment: [String: String]
    /// How long the app may take to load.
    public var timeout: Double
    /// How long to wait after the app file returns, for routes registered asynchronously, in ms.
    public var settleMilliseconds: Int

    public init(
        node: String = "node", environment: [String: String] = [:], timeout: Double = 30,
        settleMilliseconds: Int = 200
    ) {
        self.node = node
        self.environment = environment
        self.timeout = timeout
        self.settleMilliseconds = settleMilliseconds
    }

    /// Loads `appPath` and returns what its router holds.
    public func load(appPath: String) throws(RouteImportError) -> ExpressAppReport {
        guard FileManager.default.fileExists(atPath: appPath) else { throw .fileMissing(appPath) }
        guard let nodePath = Self.resolve(executable: node) else { throw .nodeMissing(node) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-routes-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = folder.appendingPathComponent("express-loader.js")
        let output = folder.appendingPathComponent("routes.json")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(ExpressLoaderScript.source.utf8).write(to: script)
        } catch {
            throw .failed("cannot write the loader script to \(folder.path): \(error.localizedDescription)")
        }
        let appURL = URL(fileURLWithPath: appPath)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: nodePath)
        process.arguments = [script.path, output.path, appURL.path]
        process.currentDirectoryURL = appURL.deletingLastPathComponent()
        var env = ProcessInfo.processInfo.environment
        env["BANYAN_SETTLE_MS"] = String(settleMilliseconds)
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let log = folder.appendingPathComponent("app.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try? FileHandle(forWritingTo: log)
        process.standardOutput = logHandle ?? FileHandle.nullDevice
        process.standardError = logHandle ?? FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .nodeMissing(nodePath)
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw .timeout(appPath, seconds: timeout)
        }
        try? logHandle?.close()
        let appOutput = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        guard let data = FileManager.default.contents(atPath: output.path) else {
            let tail = appOutput.split(separator: "\n").suffix(15).joined(separator: "\n")
            throw .failed(
                "node exited with status \(process.terminationStatus) before reporting any routes"
                    + (tail.isEmpty ? "" : ":\n\(tail)"))
        }
        let report: JSONValue
        do {
            report = try JSONParser.parse(data)
        } catch {
            throw .failed("the loader's report is not JSON: \(error)")
        }
        return try Self.report(from: report, appPath: appPath, appOutput: appOutput)
    }

    /// Reads the loader's JSON report.
    static func report(
        from report: JSONValue, appPath: String, appOutput: String = ""
    ) throws(RouteImportError) -> ExpressAppReport {
        if let error = report["error"] {
            let kind = error["kind"]?.stringValue ?? ""
            switch kind {
            case "threw":
                let message = error["message"]?.stringValue ?? ""
                if message.hasPrefix("Error: Cannot find module 'express'") { throw .expressNotFound(appPath) }
                throw .threw(appPath, message)
            case "no-express": throw .noExpress(appPath)
            case "no-app": throw .noApp(appPath)
            default:
                let tail = appOutput.split(separator: "\n").suffix(10).joined(separator: "\n")
                throw .exited(appPath, tail.isEmpty ? "" : ":\n\(tail)")
            }
        }
        var release: RouteInventory.ExpressRelease?
        if case .array(let items) = report["express"], let first = items.first {
            release = .init(version: first["version"]?.stringValue, pathToRegexp: first["pathToRegexp"]?.stringValue)
        }
        var records: [ExpressRouteRecord] = []
        for item in report["routes"]?.arrayValue ?? [] {
            let methods = (item["methods"]?.arrayValue ?? []).compactMap(\.stringValue)
            records.append(
                ExpressRouteRecord(
                    mounts: (item["mount"]?.arrayValue ?? []).map(paths(from:)), paths: paths(from: item["path"]),
                    methods: methods))
        }
        var middleware: [(name: String, mounts: [[ExpressPath]])] = []
        for item in report["mounts"]?.arrayValue ?? [] {
            middleware.append(
                (item["name"]?.stringValue ?? "<anonymous>", (item["mount"]?.arrayValue ?? []).map(paths(from:))))
        }
        var trust: TrustProxySetting?
        if let value = report["trustProxy"] {
            switch value["kind"]?.stringValue {
            case "off": trust = .off
            case "all": trust = .all
            case "hops":
                if case .number(let number)? = value["value"] { trust = .hops(Int(number.doubleValue)) }
            case "addresses": trust = .addresses((value["value"]?.arrayValue ?? []).compactMap(\.stringValue))
            case "function": trust = .function
            default: break
            }
        }
        return ExpressAppReport(records: records, middleware: middleware, express: release, trustProxy: trust)
    }

    private static func paths(from value: JSONValue?) -> [ExpressPath] {
        (value?.arrayValue ?? []).map { item in
            if let path = item["path"]?.stringValue { return .pattern(path) }
            if let regexp = item["regexp"]?.stringValue { return .regexp(regexp) }
            return .regexp(item["unknown"]?.stringValue ?? "?")
        }
    }

    /// The full path of an executable: `name` itself when it contains a slash, else the first match
    /// on the PATH.
    public static func resolve(executable name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(
            separator: ":")
        for directory in paths {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

extension JSONValue {
    /// The string, when this is one.
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The elements, when this is an array.
    var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The number as a double, when this is one.
    var doubleValue: Double? {
        if case .number(let number) = self { return number.doubleValue }
        return nil
    }

    /// The members, when this is an object.
    var members: [JSONMember]? {
        if case .object(let members) = self { return members }
        return nil
    }
}
