import BanyanCore
import Foundation
import Yams

/// Reads `banyan.yaml` into a validated ``Configuration``.
///
/// Every problem in the file is collected, not only the first, and each names the line and
/// the key and says what is allowed.
public enum ConfigurationLoader {
    /// The file name used when none is given.
    public static let defaultFileName = "banyan.yaml"

    /// Reads and validates the file at `path`.
    public static func load(path: String) throws(ConfigurationError) -> Configuration {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            let message =
                exists
                ? "cannot read the file"
                : "no such file (create one, or name another with --config)"
            throw ConfigurationError(file: path, problems: [.init(key: "", message: message)])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(file: path, problems: [.init(key: "", message: "the file is not UTF-8 text")])
        }
        return try parse(yaml: text, file: path)
    }

    /// Validates YAML text; `file` names it in errors.
    public static func parse(yaml: String, file: String = defaultFileName) throws(ConfigurationError) -> Configuration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigurationError(file: file, problems: [problem(from: error)])
        } catch {
            throw ConfigurationError(file: file, problems: [.init(key: "", message: "\(error)")])
        }
        var reader = ConfigurationReader()
        let configuration = reader.read(root)
        if let configuration, reader.problems.isEmpty { return configuration }
        let ordered = reader.problems.enumerated().sorted { lhs, rhs in
            (lhs.element.line ?? 0, lhs.offset) < (rhs.element.line ?? 0, rhs.offset)
        }
        throw ConfigurationError(file: file, problems: ordered.map(\.element))
    }

    private static func problem(from error: YamlError) -> ConfigurationError.Problem {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return .init(line: mark.line, column: mark.column, key: "", message: "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return .init(
                line: context.mark.line, column: context.mark.column, key: "",
                message: "key \(names) appears more than once in one mapping; keep one")
        default:
            return .init(key: "", message: "not valid YAML: \(error)")
        }
    }
}

/// Walks the YAML nodes, collecting every problem.
struct ConfigurationReader {
    private(set) var problems: [ConfigurationError.Problem] = []

    private static let topLevelKeys = [
        "legacy", "candidate", "express", "listen", "admin", "admin_token", "admin_read_token", "state", "served_by",
        "request_id", "promote_steps", "routes", "policy", "guard", "forwarded", "io", "limits",
    ]
    private static let limitKeys = [
        "buffer_per_connection", "head_timeout", "body_timeout", "idle_timeout", "connect_timeout",
        "response_timeout", "send_timeout", "tunnel_idle_timeout", "max_header_fields", "max_head_size",
        "max_uri_length", "max_connections",
    ]
    private static let forwardedKeys = ["x_forwarded_for", "x_forwarded_proto", "x_forwarded_host", "trusted"]
    private static let routeKeys = [
        "route", "mode", "percent", "sticky", "fallback", "shadow", "shadow_non_idempotent", "timeout", "guard",
        "table",
    ]
    private static let guardKeys = [
        "enabled", "observe", "min_samples", "window", "confidence", "failure_margin", "latency_factor",
        "latency_floor", "latency_margin", "difference_rate", "consecutive_failures", "compare", "trip_to",
        "cooldown", "promote_after", "promote_min_time",
    ]
    private static let shadowKeys = ["sample", "timeout", "concurrency"]
    private static let policyKeys = ["fail_at", "ignore", "downgrade", "ignore_headers", "compare_headers"]
    private static let ruleKeys = ["kind", "header", "path", "route", "reason"]

    mutating func report(_ node: Node?, _ key: String, _ message: String) {
        problems.append(.init(line: node?.mark?.line, column: node?.mark?.column, key: key, message: message))
    }

    mutating func read(_ root: Node?) -> Configuration? {
        guard let root else {
            report(nil, "", "the file is empty; it needs at least 'legacy' and 'candidate' base URLs")
            return nil
        }
        guard let mapping = mapping(root, key: "", allowed: Self.topLevelKeys) else { return nil }

        let legacy = requiredURL(mapping, "legacy")
        let candidate = requiredURL(mapping, "candidate")
        let express = choice(mapping, "express", naming: "Express flavour") ?? ExpressFlavor.express4
        let listen = address(mapping, "listen") ?? ListenAddress(host: "0.0.0.0", port: 8000)
        let admin = address(mapping, "admin") ?? ListenAddress(host: "127.0.0.1", port: 9901)
        let adminToken = mapping["admin_token"].flatMap { scalar($0, "admin_token") }
        if !admin.isLoopback && (adminToken ?? "").isEmpty {
            report(
                mapping["admin"], "admin",
                "the admin API listens on \(admin.host), which is reachable from other machines; "
                    + "set 'admin_token' (clients then send 'Authorization: Bearer TOKEN') or listen on 127.0.0.1")
        }
        let adminReadToken = mapping["admin_read_token"].flatMap { scalar($0, "admin_read_token") }
        if let node = mapping["admin_read_token"], adminReadToken != nil {
            if (adminToken ?? "").isEmpty {
                report(
                    node, "admin_read_token",
                    "a read-only token needs 'admin_token' too; without one the admin API is open to anyone "
                        + "who reaches it")
            } else if adminReadToken == adminToken {
                report(node, "admin_read_token", "the read-only token must differ from 'admin_token'")
            }
        }
        let requestID = mapping["request_id"].flatMap { bool($0, "request_id") } ?? false
        let promotion = readPromotion(mapping["promote_steps"])
        var state = "sqlite:.banyan/state.sqlite"
        if let node = mapping["state"], let text = scalar(node, "state") {
            if text.hasPrefix("sqlite:") && text.count > "sqlite:".count {
                state = text
            } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
                // The same reading the proxy does when it opens the store, so a URL it would
                // refuse is refused here, with the place in the file.
                do {
                    _ = try PostgresStateLocation(parsing: text)
                    state = text
                } catch {
                    let message = error.description
                    report(node, "state", message.hasPrefix("state: ") ? String(message.dropFirst(7)) : message)
                }
            } else {
                report(node, "state", "'\(text)' is not a state database; allowed: sqlite:PATH or postgres://…")
            }
        }
        var servedBy = "served-by"
        if let node = mapping["served_by"], let text = scalar(node, "served_by") {
            if isToken(text) {
                servedBy = text.lowercased()
            } else {
                report(node, "served_by", "'\(text)' is not a valid header name (letters, digits and -!#$%&'*+.^_`|~)")
            }
        }
        let guardDefaults = readGuard(mapping["guard"], key: "guard", base: GuardSettings())
        let routes = readRoutes(mapping["routes"], flavor: express, guardDefaults: guardDefaults)
        let policy = readPolicy(mapping["policy"], flavor: express)
        let forwarded = readForwarded(mapping["forwarded"])
        let io = choice(mapping, "io", naming: "socket I/O") ?? IOMode.direct

        let limits = readLimits(mapping["limits"])

        guard let legacy, let candidate else { return nil }
        return Configuration(
            legacy: legacy, candidate: candidate, express: express, listen: listen, admin: admin,
            adminToken: adminToken, adminReadToken: adminReadToken, requestID: requestID, promotion: promotion,
            state: state, servedByHeader: servedBy, routes: routes, policy: policy, forwarded: forwarded, io: io,
            limits: limits)
    }

    // MARK: Limits

    /// `limits:`: durations like `5s` or `500ms`, sizes like `256KiB`, `1MiB` or a number of
    /// bytes, counts as whole numbers.
    private mutating func readLimits(_ node: Node?) -> ProxyLimits {
        var limits = ProxyLimits()
        guard let node, let entries = mapping(node, key: "limits", allowed: Self.limitKeys) else { return limits }
        func set(_ name: String, _ path: WritableKeyPath<ProxyLimits, Double>) {
            if let seconds = duration(entries[name], "limits.\(name)") { limits[keyPath: path] = seconds }
        }
        func count(_ name: String, _ path: WritableKeyPath<ProxyLimits, Int>, least: Int) {
            if let value = wholeNumber(entries[name], "limits.\(name)", least: least) { limits[keyPath: path] = value }
        }
        func bytes(_ name: String, _ path: WritableKeyPath<ProxyLimits, Int>, least: Int) {
            guard let entry = entries[name], let text = scalar(entry, "limits.\(name)") else { return }
            guard let value = parseSize(text), value >= least else {
                report(
                    entry, "limits.\(name)",
                    "'\(text)' is not a size of \(least) bytes or more; write it like 256KiB, 1MiB or 65536")
                return
            }
            limits[keyPath: path] = value
        }
        bytes("buffer_per_connection", \.bufferPerConnection, least: 16_384)
        set("head_timeout", \.headTimeout)
        set("body_timeout", \.bodyTimeout)
        set("idle_timeout", \.idleTimeout)
        set("connect_timeout", \.connectTimeout)
        set("response_timeout", \.responseTimeout)
        set("send_timeout", \.sendTimeout)
        set("tunnel_idle_timeout", \.tunnelIdleTimeout)
        count("max_header_fields", \.maxHeaderFields, least: 1)
        bytes("max_head_size", \.maxHeadSize, least: 1_024)
        bytes("max_uri_length", \.maxURILength, least: 64)
        count("max_connections", \.maxConnections, least: 1)
        return limits
    }

    // MARK: Forwarded

    /// `forwarded: transparent`, or a mapping of the three fields' choices and `trusted:`.
    private mutating func readForwarded(_ node: Node?) -> ForwardedHeaders {
        var result = ForwardedHeaders()
        guard let node else { return result }
        if let text = node.scalar?.string {
            if text == "transparent" { return .passThrough }
            report(
                node, "forwarded",
                "'\(text)' is not a forwarded setting; write 'transparent' or a mapping of "
                    + Self.forwardedKeys.joined(separator: ", "))
            return result
        }
        guard let mapping = mapping(node, key: "forwarded", allowed: Self.forwardedKeys) else { return result }
        if let value = mapping["x_forwarded_for"], let text = scalar(value, "forwarded.x_forwarded_for") {
            if let choice = ForwardedHeaders.ForChoice(rawValue: text) {
                result.forwardedFor = choice
            } else {
                report(value, "forwarded.x_forwarded_for", "'\(text)' is not a choice here; allowed: append, preserve")
            }
        }
        let valueKeys: [(String, WritableKeyPath<ForwardedHeaders, ForwardedHeaders.ValueChoice>)] = [
            ("x_forwarded_proto", \.proto), ("x_forwarded_host", \.host),
        ]
        for (key, path) in valueKeys {
            guard let value = mapping[key], let text = scalar(value, "forwarded.\(key)") else { continue }
            if let choice = ForwardedHeaders.ValueChoice(rawValue: text) {
                result[keyPath: path] = choice
            } else {
                report(value, "forwarded.\(key)", "'\(text)' is not a choice here; allowed: preserve, set")
            }
        }
        if let value = mapping["trusted"] {
            var ranges: [AddressRange] = []
            let items = value.scalar != nil ? [value] : sequence(value, "forwarded.trusted") ?? []
            for item in items {
                guard let text = scalar(item, "forwarded.trusted") else { continue }
                if let range = AddressRange(parsing: text) {
                    ranges.append(range)
                } else {
                    report(
                        item, "forwarded.trusted",
                        "'\(text)' is not an address or CIDR range; write it like 10.0.0.5, 10.0.0.0/8 or fc00::/7")
                }
            }
            result.trusted = ranges
            result.trustedGiven = true
        }
        return result
    }

    // MARK: Promotion

    /// `promote_steps: [shadow, canary 1, canary 5, new]`: the modes after legacy, each sending more
    /// to the candidate than the one before.
    private mutating func readPromotion(_ node: Node?) -> PromotionLadder {
        guard let node else { return .standard }
        guard let items = sequence(node, "promote_steps") else { return .standard }
        var steps: [RouteMode] = []
        for (index, item) in items.enumerated() {
            let key = "promote_steps[\(index)]"
            guard let text = scalar(item, key) else { continue }
            let words = text.split(separator: " ").map(String.init)
            let mode: RouteMode?
            switch words.first {
            case "shadow" where words.count == 1: mode = .shadow
            case "new" where words.count == 1: mode = .new
            case "canary" where words.count == 2:
                let value = Double(words[1].hasSuffix("%") ? String(words[1].dropLast()) : words[1])
                mode = value.flatMap { (0...100).contains($0) ? RouteMode.canary(percent: $0) : nil }
            default: mode = nil
            }
            guard let mode else {
                report(item, key, "'\(text)' is not a step; allowed: shadow, canary PERCENT (0 to 100), new")
                continue
            }
            steps.append(mode)
        }
        let ladder = PromotionLadder(steps: steps)
        if !steps.isEmpty && !ladder.isIncreasing {
            report(
                node, "promote_steps",
                "each step must send more to the candidate than the one before (shadow, then canary percentages "
                    + "in increasing order, then new)")
            return .standard
        }
        return steps.isEmpty ? .standard : ladder
    }

    // MARK: Routes

    private mutating func readRoutes(_ node: Node?, flavor: ExpressFlavor, guardDefaults: GuardSettings)
        -> [RouteConfig]
    {
        guard let node else { return [] }
        guard let items = sequence(node, "routes") else { return [] }
        var routes: [RouteConfig] = []
        var seen: [String: (index: Int, line: Int?)] = [:]
        for (index, item) in items.enumerated() {
            let key = "routes[\(index)]"
            guard let entry = mapping(item, key: key, allowed: Self.routeKeys) else { continue }
            guard let routeNode = entry["route"] else {
                report(item, key, "missing 'route' (the method and Express path, for example 'GET /users/:id')")
                continue
            }
            guard let routeText = scalar(routeNode, "\(key).route") else { continue }
            let parsed: Route
            do {
                parsed = try Route(parsing: routeText, flavor: flavor)
            } catch {
                report(routeNode, "\(key).route", "'\(routeText)' is not a valid route: \(error.message)")
                continue
            }
            let identity = normalizedIdentity(method: parsed.method, routeText: routeText)
            if let earlier = seen[identity] {
                let place = earlier.line.map { "line \($0)" } ?? "routes[\(earlier.index)]"
                report(
                    routeNode, "\(key).route",
                    "duplicate route '\(routeText)': the same route is already configured at \(place) "
                        + "(Express matches paths case-insensitively and ignores a trailing slash)")
                continue
            }
            seen[identity] = (index, routeNode.mark?.line)

            let mode = readMode(entry, key: key)
            var sticky = StickyKey.client
            if let stickyNode = entry["sticky"], let text = scalar(stickyNode, "\(key).sticky") {
                sticky =
                    readSticky(text, node: stickyNode, key: "\(key).sticky", parameters: parsed.pattern.parameterNames)
                    ?? .client
            }
            let fallback = entry["fallback"].flatMap { bool($0, "\(key).fallback") } ?? false
            let shadow = readShadow(entry["shadow"], key: "\(key).shadow")
            let nonIdempotent =
                entry["shadow_non_idempotent"].flatMap { bool($0, "\(key).shadow_non_idempotent") } ?? false
            var timeout = 30.0
            if let timeoutNode = entry["timeout"], let text = scalar(timeoutNode, "\(key).timeout") {
                if let seconds = parseDuration(text), seconds > 0 {
                    timeout = seconds
                } else {
                    report(timeoutNode, "\(key).timeout", "'\(text)' is not a duration; write it like 2s or 500ms")
                }
            }
            let guardSettings = readGuard(entry["guard"], key: "\(key).guard", base: guardDefaults)
            let table = entry["table"].flatMap { scalar($0, "\(key).table") }
            let pattern = String(routeText.drop { $0 != " " }.dropFirst())
            var route = RouteConfig(
                route: routeText, method: parsed.method, pattern: pattern, mode: mode, sticky: sticky,
                fallback: fallback, shadow: shadow, shadowNonIdempotent: nonIdempotent,
                timeout: timeout, guardSettings: guardSettings, line: routeNode.mark?.line)
            route.table = table
            routes.append(route)
        }
        return routes
    }

    private func normalizedIdentity(method: String, routeText: String) -> String {
        var pattern = String(routeText.drop { $0 != " " }.dropFirst()).lowercased()
        if pattern.count > 1 && pattern.hasSuffix("/") { pattern.removeLast() }
        return method + " " + pattern
    }

    private mutating func readMode(_ entry: [String: Node], key: String) -> RouteMode {
        var mode = RouteMode.legacy
        let percentNode = entry["percent"]
        if let node = entry["mode"], let text = scalar(node, "\(key).mode") {
            switch text {
            case "legacy": mode = .legacy
            case "shadow": mode = .shadow
            case "new": mode = .new
            case "canary":
                guard let percentNode else {
                    report(node, "\(key).percent", "mode 'canary' needs 'percent' (0 to 100)")
                    return .canary(percent: 0)
                }
                return .canary(percent: percent(percentNode, "\(key).percent") ?? 0)
            default:
                var message = "unknown mode '\(text)'; allowed: \(RouteMode.names.joined(separator: ", "))"
                if let guess = suggestion(for: text, in: RouteMode.names) { message += " (did you mean '\(guess)'?)" }
                report(node, "\(key).mode", message)
            }
        }
        if let percentNode {
            report(
                percentNode, "\(key).percent", "'percent' only applies to mode 'canary' (this route is \(mode.name))")
        }
        return mode
    }

    private mutating func percent(_ node: Node, _ key: String) -> Double? {
        guard let text = scalar(node, key) else { return nil }
        let trimmed = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard let value = Double(trimmed), value.isFinite else {
            report(node, key, "'\(text)' is not a number; allowed: a percentage from 0 to 100")
            return nil
        }
        guard (0...100).contains(value) else {
            report(node, key, "\(text) is outside 0–100; a canary sends that percentage of requests to the candidate")
            return nil
        }
        return value
    }

    private mutating func readSticky(_ text: String, node: Node, key: String, parameters: [String]) -> StickyKey? {
        if text == "client" { return .client }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let allowed = "allowed: header:NAME, cookie:NAME, param:NAME or client"
        guard parts.count == 2, !parts[1].isEmpty else {
            report(node, key, "'\(text)' is not a sticky key; \(allowed)")
            return nil
        }
        switch parts[0] {
        case "header":
            guard isToken(parts[1]) else {
                report(node, key, "'\(parts[1])' is not a valid header name")
                return nil
            }
            return .header(parts[1].lowercased())
        case "cookie": return .cookie(parts[1])
        case "param":
            guard parameters.contains(parts[1]) else {
                let names =
                    parameters.isEmpty ? "it has none" : "it has " + parameters.map { ":\($0)" }.joined(separator: ", ")
                report(node, key, "the route has no parameter ':\(parts[1])' (\(names))")
                return nil
            }
            return .param(parts[1])
        default:
            report(node, key, "'\(text)' is not a sticky key; \(allowed)")
            return nil
        }
    }

    private mutating func readShadow(_ node: Node?, key: String) -> ShadowSettings {
        var settings = ShadowSettings()
        guard let node, let entry = mapping(node, key: key, allowed: Self.shadowKeys) else { return settings }
        if let sampleNode = entry["sample"], let text = scalar(sampleNode, "\(key).sample") {
            if let value = Double(text), (0...1).contains(value) {
                settings.sample = value
            } else {
                report(sampleNode, "\(key).sample", "'\(text)' is not a share from 0 to 1 (1.0 copies every request)")
            }
        }
        if let timeoutNode = entry["timeout"], let text = scalar(timeoutNode, "\(key).timeout") {
            if let seconds = parseDuration(text), seconds > 0 {
                settings.timeout = seconds
            } else {
                report(timeoutNode, "\(key).timeout", "'\(text)' is not a duration; write it like 2s or 500ms")
            }
        }
        if let limitNode = entry["concurrency"], let text = scalar(limitNode, "\(key).concurrency") {
            if let value = Int(text), value >= 1 {
                settings.concurrency = value
            } else {
                report(limitNode, "\(key).concurrency", "'\(text)' is not a whole number of 1 or more")
            }
        }
        return settings
    }

    // MARK: Guard

    /// `guard: false`, `guard: true`, or a mapping of the settings that differ from `base`.
    private mutating func readGuard(_ node: Node?, key: String, base: GuardSettings) -> GuardSettings {
        var settings = base
        guard let node else { return settings }
        if let text = node.scalar?.string {
            switch text {
            case "true": settings.enabled = true
            case "false": settings.enabled = false
            default:
                report(
                    node, key,
                    "'\(text)' is not a guard setting; allowed: false, true, or a mapping of "
                        + Self.guardKeys.joined(separator: ", "))
            }
            return settings
        }
        guard let entry = mapping(node, key: key, allowed: Self.guardKeys) else { return settings }
        if let value = entry["enabled"].flatMap({ bool($0, "\(key).enabled") }) { settings.enabled = value }
        if let value = entry["observe"].flatMap({ bool($0, "\(key).observe") }) { settings.observe = value }
        if let value = entry["compare"].flatMap({ bool($0, "\(key).compare") }) { settings.compare = value }
        if let value = wholeNumber(entry["min_samples"], "\(key).min_samples", least: 1) { settings.minSamples = value }
        if let value = wholeNumber(entry["consecutive_failures"], "\(key).consecutive_failures", least: 0) {
            settings.consecutiveFailures = value
        }
        if let value = duration(entry["window"], "\(key).window") { settings.window = value }
        if let value = duration(entry["cooldown"], "\(key).cooldown") { settings.cooldown = value }
        if let value = duration(entry["latency_floor"], "\(key).latency_floor", allowZero: true) {
            settings.latencyFloor = value
        }
        if let value = duration(entry["promote_min_time"], "\(key).promote_min_time", allowZero: true) {
            settings.promoteMinimumTime = value
        }
        if let value = wholeNumber(entry["promote_after"], "\(key).promote_after", least: 1) {
            settings.promoteAfterSamples = value
        }
        if let value = share(entry["confidence"], "\(key).confidence", open: true) { settings.confidence = value }
        if let value = share(entry["failure_margin"], "\(key).failure_margin") { settings.failureMargin = value }
        if let value = share(entry["latency_margin"], "\(key).latency_margin") { settings.latencyMargin = value }
        if let value = share(entry["difference_rate"], "\(key).difference_rate") { settings.differenceRate = value }
        if let node = entry["latency_factor"], let text = scalar(node, "\(key).latency_factor") {
            if let value = Double(text), value.isFinite, value >= 1 {
                settings.latencyFactor = value
            } else {
                report(node, "\(key).latency_factor", "'\(text)' is not a factor of 1 or more (1.5: 50% slower)")
            }
        }
        if let node = entry["trip_to"], let text = scalar(node, "\(key).trip_to") {
            if let target = GuardSettings.TripTarget(rawValue: text) {
                settings.tripTo = target
            } else {
                report(node, "\(key).trip_to", "'\(text)' is not where a tripped route can go; allowed: legacy, shadow")
            }
        }
        if entry["cooldown"] != nil && settings.tripTo == .legacy {
            report(
                entry["cooldown"], "\(key).cooldown",
                "a cooldown needs fresh samples to clear the route, which only 'trip_to: shadow' gathers; "
                    + "add 'trip_to: shadow' or remove 'cooldown'")
        }
        return settings
    }

    private mutating func wholeNumber(_ node: Node?, _ key: String, least: Int) -> Int? {
        guard let node, let text = scalar(node, key) else { return nil }
        guard let value = Int(text), value >= least else {
            report(node, key, "'\(text)' is not a whole number of \(least) or more")
            return nil
        }
        return value
    }

    private mutating func duration(_ node: Node?, _ key: String, allowZero: Bool = false) -> Double? {
        guard let node, let text = scalar(node, key) else { return nil }
        guard let seconds = parseDuration(text), seconds.isFinite, seconds > 0 || (allowZero && seconds == 0) else {
            report(node, key, "'\(text)' is not a duration; write it like 60s, 500ms or 10m")
            return nil
        }
        return seconds
    }

    /// A share from 0 to 1, written as `0.01` or `1%`; `open` excludes 0 and 1 themselves.
    private mutating func share(_ node: Node?, _ key: String, open: Bool = false) -> Double? {
        guard let node, let text = scalar(node, key) else { return nil }
        let value = text.hasSuffix("%") ? Double(text.dropLast()).map { $0 / 100 } : Double(text)
        guard let value, value.isFinite, open ? (value > 0 && value < 1) : (0...1).contains(value) else {
            let range = open ? "strictly between 0 and 1" : "from 0 to 1"
            report(node, key, "'\(text)' is not a share \(range); write it like 0.01 or 1%")
            return nil
        }
        return value
    }

    // MARK: Policy

    private mutating func readPolicy(_ node: Node?, flavor: ExpressFlavor) -> DifferencePolicy {
        var policy = DifferencePolicy()
        guard let node, let entry = mapping(node, key: "policy", allowed: Self.policyKeys) else { return policy }
        if let failNode = entry["fail_at"], let text = scalar(failNode, "policy.fail_at") {
            if let severity = severity(text, node: failNode, key: "policy.fail_at") { policy.failAt = severity }
        }
        if let list = entry["ignore"], let items = sequence(list, "policy.ignore") {
            for (index, item) in items.enumerated() {
                if let rule = readRule(item, key: "policy.ignore[\(index)]", extraKeys: [], flavor: flavor) {
                    policy.ignore.append(rule)
                }
            }
        }
        if let list = entry["downgrade"], let items = sequence(list, "policy.downgrade") {
            for (index, item) in items.enumerated() {
                let key = "policy.downgrade[\(index)]"
                guard let rule = readRule(item, key: key, extraKeys: ["to"], flavor: flavor) else { continue }
                guard let toNode = item.mapping?["to"] else {
                    report(item, key, "missing 'to' (the severity to give: \(Severity.allowedValues))")
                    continue
                }
                if let text = scalar(toNode, "\(key).to"), let target = severity(text, node: toNode, key: "\(key).to") {
                    policy.downgrade.append(DowngradeRule(rule: rule, to: target))
                }
            }
        }
        if let list = entry["ignore_headers"], let items = sequence(list, "policy.ignore_headers") {
            for (index, item) in items.enumerated() {
                if let name = headerName(item, "policy.ignore_headers[\(index)]") {
                    policy.ignoredHeaders.insert(name)
                }
            }
        }
        if let list = entry["compare_headers"], let items = sequence(list, "policy.compare_headers") {
            for (index, item) in items.enumerated() {
                if let name = headerName(item, "policy.compare_headers[\(index)]") {
                    policy.ignoredHeaders.remove(name)
                }
            }
        }
        return policy
    }

    private mutating func readRule(_ node: Node, key: String, extraKeys: [String], flavor: ExpressFlavor) -> PolicyRule?
    {
        guard let entry = mapping(node, key: key, allowed: Self.ruleKeys + extraKeys) else { return nil }
        var rule = PolicyRule()
        var valid = true
        if let kindNode = entry["kind"], let text = scalar(kindNode, "\(key).kind") {
            if let kind = DifferenceKind(rawValue: text) {
                rule.kind = kind
            } else {
                var message = "unknown difference kind '\(text)'; allowed: \(DifferenceKind.allowedValues)"
                let names = DifferenceKind.allCases.map(\.rawValue)
                if let guess = suggestion(for: text, in: names) { message += " (did you mean '\(guess)'?)" }
                report(kindNode, "\(key).kind", message)
                valid = false
            }
        }
        if let headerNode = entry["header"] {
            if let name = headerName(headerNode, "\(key).header") { rule.header = name } else { valid = false }
        }
        if let pathNode = entry["path"], let text = scalar(pathNode, "\(key).path") {
            if text.hasPrefix("$") {
                rule.path = text
            } else {
                report(
                    pathNode, "\(key).path", "'\(text)' is not a JSON path; write it from the root, like $.items[*].sku"
                )
                valid = false
            }
        }
        if let routeNode = entry["route"], let text = scalar(routeNode, "\(key).route") {
            do {
                _ = try Route(parsing: text, flavor: flavor)
                rule.route = text
            } catch {
                report(routeNode, "\(key).route", "'\(text)' is not a valid route: \(error.message)")
                valid = false
            }
        }
        if let reasonNode = entry["reason"] { rule.reason = scalar(reasonNode, "\(key).reason") }
        if rule.isEmpty && valid {
            report(node, key, "the rule selects nothing; give at least one of kind, header, path or route")
            return nil
        }
        return valid ? rule : nil
    }

    private mutating func severity(_ text: String, node: Node, key: String) -> Severity? {
        if let value = Severity(rawValue: text) { return value }
        var message = "unknown severity '\(text)'; allowed: \(Severity.allowedValues)"
        if let guess = suggestion(for: text, in: Severity.allCases.map(\.rawValue)) {
            message += " (did you mean '\(guess)'?)"
        }
        report(node, key, message)
        return nil
    }

    // MARK: Scalars and shapes

    private mutating func mapping(_ node: Node, key: String, allowed: [String]) -> [String: Node]? {
        guard let mapping = node.mapping else {
            report(node, key, "expected a mapping of keys (\(allowed.joined(separator: ", ")))")
            return nil
        }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let name = keyNode.scalar?.string else {
                report(keyNode, key, "a key must be plain text")
                continue
            }
            let path = key.isEmpty ? name : "\(key).\(name)"
            guard allowed.contains(name) else {
                var message = "unknown key '\(name)'; allowed here: \(allowed.joined(separator: ", "))"
                if let guess = suggestion(for: name, in: allowed) { message += " (did you mean '\(guess)'?)" }
                report(keyNode, path, message)
                continue
            }
            result[name] = value
        }
        return result
    }

    private mutating func sequence(_ node: Node, _ key: String) -> [Node]? {
        guard let items = node.sequence else {
            report(node, key, "expected a list (items starting with '- ')")
            return nil
        }
        return Array(items)
    }

    private mutating func scalar(_ node: Node, _ key: String) -> String? {
        guard let value = node.scalar?.string else {
            report(node, key, "expected a single value, not a list or mapping")
            return nil
        }
        return value
    }

    private mutating func bool(_ node: Node, _ key: String) -> Bool? {
        guard let text = scalar(node, key) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default:
            report(node, key, "'\(text)' is not a boolean; allowed: true, false")
            return nil
        }
    }

    private mutating func headerName(_ node: Node, _ key: String) -> String? {
        guard let text = scalar(node, key) else { return nil }
        guard isToken(text) else {
            report(node, key, "'\(text)' is not a valid header name (letters, digits and -!#$%&'*+.^_`|~)")
            return nil
        }
        return text.lowercased()
    }

    /// The value of `key` as one of `Choice`'s spellings; nil when the key is absent, and nil
    /// with the problem reported (`unknown <naming> '<text>'; allowed: …`) when it names none.
    private mutating func choice<Choice: RawRepresentable & CaseIterable>(
        _ mapping: [String: Node], _ key: String, naming: String
    ) -> Choice? where Choice.RawValue == String {
        guard let node = mapping[key], let text = scalar(node, key) else { return nil }
        if let value = Choice(rawValue: text) { return value }
        let allowed = Choice.allCases.map(\.rawValue).joined(separator: ", ")
        report(node, key, "unknown \(naming) '\(text)'; allowed: \(allowed)")
        return nil
    }

    private mutating func requiredURL(_ mapping: [String: Node], _ key: String) -> BaseURL? {
        guard let node = mapping[key] else {
            let role = key == "legacy" ? "the Express service" : "the rewrite"
            report(nil, key, "missing '\(key)': the base URL of \(role), like http://127.0.0.1:3000")
            return nil
        }
        guard let text = scalar(node, key) else { return nil }
        guard let url = BaseURL(parsing: text) else {
            report(node, key, "'\(text)' is not a base URL; write it like http://127.0.0.1:3000 (http only)")
            return nil
        }
        return url
    }

    private mutating func address(_ mapping: [String: Node], _ key: String) -> ListenAddress? {
        guard let node = mapping[key], let text = scalar(node, key) else { return nil }
        guard let address = ListenAddress(parsing: text) else {
            report(node, key, "'\(text)' is not an address; write it like 127.0.0.1:9901")
            return nil
        }
        return address
    }
}

/// Whether the text is an HTTP token (RFC 9110), as header names must be.
func isToken(_ text: String) -> Bool {
    !text.isEmpty
        && text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
}

/// Bytes in `256KiB`, `1MiB`, `64KB` (1,000s) or a bare number of bytes.
func parseSize(_ text: String) -> Int? {
    let units: [(String, Int)] = [("KiB", 1_024), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1_000), ("MB", 1_000_000)]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
        return Int(text.dropLast(suffix.count)).flatMap {
            $0.multipliedReportingOverflow(by: scale).overflow ? nil : $0 * scale
        }
    }
    return Int(text)
}

/// Seconds in `2s`, `500ms`, `1.5s`, `2m` or a bare number of seconds.
func parseDuration(_ text: String) -> Double? {
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60)]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
        let number = text.dropLast(suffix.count)
        if suffix == "s" && number.hasSuffix("m") { continue }
        return Double(number).map { $0 * scale }
    }
    return Double(text)
}
