import BanyanCore

/// What was measured for one route of the legacy service.
public struct RouteMeasurement: Sendable, Hashable {
    /// `METHOD /pattern`, as in banyan.yaml.
    public var route: String
    /// Production traffic, when known (the proxy's stats, access logs); nil when not.
    public var requestsPerSecond: Double?
    public var p50Milliseconds: Double
    public var p99Milliseconds: Double
    /// CPU seconds the legacy process spent per request, when measured.
    public var cpuSecondsPerRequest: Double?
    /// Seconds per request the legacy process was runnable but waited for a CPU (other load on the
    /// machine, from /proc/PID/schedstat), when measured: time no rewrite of the route would save.
    public var cpuWaitSecondsPerRequest: Double?
    /// How many requests the figures come from.
    public var samples: Int?
    /// Responses with status 500 or above, or failed exchanges, among the samples.
    public var errors: Int?

    public init(
        route: String, requestsPerSecond: Double? = nil, p50Milliseconds: Double, p99Milliseconds: Double,
        cpuSecondsPerRequest: Double? = nil, cpuWaitSecondsPerRequest: Double? = nil, samples: Int? = nil,
        errors: Int? = nil
    ) {
        self.route = route
        self.requestsPerSecond = requestsPerSecond
        self.p50Milliseconds = p50Milliseconds
        self.p99Milliseconds = p99Milliseconds
        self.cpuSecondsPerRequest = cpuSecondsPerRequest
        self.cpuWaitSecondsPerRequest = cpuWaitSecondsPerRequest
        self.samples = samples
        self.errors = errors
    }

    /// The share of the median request's time the legacy process spent on CPU (0 to 1), leaving out
    /// the time it waited for a CPU because of other load on the machine.
    public var cpuShare: Double? {
        guard let cpu = cpuSecondsPerRequest, p50Milliseconds > 0 else { return nil }
        let cpuMs = cpu * 1000
        let ownMs = max(p50Milliseconds - (cpuWaitSecondsPerRequest ?? 0) * 1000, cpuMs)
        return ownMs > 0 ? min(1, cpuMs / ownMs) : nil
    }
}

/// Per-route measurements of the legacy service: the input of `banyan plan`.
///
/// The JSON form (docs/inventory.md):
/// `{"source": "…", "conditions": "…", "routes": [{"route": "GET /price/:symbol", "requests_per_second": 120,
/// "p50_ms": 3.1, "p99_ms": 6.4, "cpu_seconds_per_request": 0.0026, "cpu_wait_seconds_per_request": 0.0004,
/// "samples": 200, "errors": 0}]}`;
/// only `route`, `p50_ms` and `p99_ms` are required.
public struct MeasurementSet: Sendable, Hashable {
    /// What produced the figures (`banyan plan --measure`, `banyan bench`, the proxy).
    public var source: String?
    /// How they were taken (load, machine), in words.
    public var conditions: String?
    public var routes: [RouteMeasurement]

    public init(source: String? = nil, conditions: String? = nil, routes: [RouteMeasurement]) {
        self.source = source
        self.conditions = conditions
        self.routes = routes
    }

    /// Reads the JSON form; `file` names it in errors.
    public init(json data: some Collection<UInt8>, file: String) throws(AuditInputError) {
        let root: JSONValue
        do {
            root = try JSONParser.parse(data)
        } catch {
            throw AuditInputError("\(file): not JSON: \(error)")
        }
        guard let items = root["routes"]?.arrayValue else {
            throw AuditInputError("\(file): no 'routes' array (see docs/inventory.md for the measurements format)")
        }
        var routes: [RouteMeasurement] = []
        for (index, item) in items.enumerated() {
            let key = "routes[\(index)]"
            guard let route = item["route"]?.stringValue else {
                throw AuditInputError("\(file): \(key).route is missing (write it as 'GET /users/:id')")
            }
            func number(_ name: String, required: Bool) throws(AuditInputError) -> Double? {
                guard let value = item[name], !value.isNull else {
                    if required { throw AuditInputError("\(file): \(key).\(name) is missing (\(route))") }
                    return nil
                }
                guard let number = value.doubleValue, number >= 0 else {
                    throw AuditInputError("\(file): \(key).\(name) must be a number ≥ 0 (\(route))")
                }
                return number
            }
            routes.append(
                RouteMeasurement(
                    route: route, requestsPerSecond: try number("requests_per_second", required: false),
                    p50Milliseconds: try number("p50_ms", required: true)!,
                    p99Milliseconds: try number("p99_ms", required: true)!,
                    cpuSecondsPerRequest: try number("cpu_seconds_per_request", required: false),
                    cpuWaitSecondsPerRequest: try number("cpu_wait_seconds_per_request", required: false),
                    samples: try number("samples", required: false).map { Int($0) },
                    errors: try number("errors", required: false).map { Int($0) }))
        }
        self.init(source: root["source"]?.stringValue, conditions: root["conditions"]?.stringValue, routes: routes)
    }

    /// The JSON form.
    public var json: JSONValue {
        func number(_ value: Double?) -> JSONValue { value.flatMap(JSONNumber.init).map(JSONValue.number) ?? .null }
        return [
            "source": source.map(JSONValue.string) ?? .null,
            "conditions": conditions.map(JSONValue.string) ?? .null,
            "routes": .array(
                routes.map { route in
                    [
                        "route": .string(route.route), "requests_per_second": number(route.requestsPerSecond),
                        "p50_ms": number(rounded(route.p50Milliseconds, 3)),
                        "p99_ms": number(rounded(route.p99Milliseconds, 3)),
                        "cpu_seconds_per_request": number(route.cpuSecondsPerRequest.map { rounded($0, 7) }),
                        "cpu_wait_seconds_per_request": number(route.cpuWaitSecondsPerRequest.map { rounded($0, 7) }),
                        "samples": route.samples.map { .number(JSONNumber($0)) } ?? .null,
                        "errors": route.errors.map { .number(JSONNumber($0)) } ?? .null,
                    ]
                }),
        ]
    }
}

func rounded(_ value: Double, _ digits: Int) -> Double {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    return (value * scale).rounded() / scale
}
