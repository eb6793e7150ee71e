import BanyanCore

/// Writes an OpenAPI 3.1 document (JSON) for a contract.
///
/// `required` lists exactly the keys that are always present (never-null or sometimes-null), and
/// `type: [T, "null"]` appears exactly where null was seen. What JSON Schema cannot say goes into
/// extensions: `x-js-number` (`safe-integer`, `double`, `unsafe-integer`, `string-integer`),
/// `x-date-precision: ms`, `x-key-order`, `x-open-enum` (the cases; other values stay valid) and
/// `x-absent-when-undefined` on keys Express omits.
public struct OpenAPIGenerator: Sendable {
    let plan: TypePlan
    let contract: Contract
    public var title: String

    public init(plan: TypePlan, contract: Contract, title: String = "contract") {
        self.plan = plan
        self.contract = contract
        self.title = title
    }

    public func files() -> [GeneratedFile] {
        [GeneratedFile(path: "openapi.json", text: document().prettyText() + "\n")]
    }

    /// `/users/:id` → `/users/{id}` and its parameter names.
    static func openAPIPath(_ pattern: String) -> (path: String, parameters: [String]) {
        var parameters: [String] = []
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            guard segment.hasPrefix(":") else { return String(segment) }
            let name = String(segment.dropFirst().prefix { $0.isLetter || $0.isNumber || $0 == "_" })
            parameters.append(name)
            return "{\(name)}"
        }
        return (segments.joined(separator: "/"), parameters)
    }

    public func document() -> JSONValue {
        let rootNames = Dictionary(plan.roots.map { ($0.key, $0.name) }, uniquingKeysWith: { a, _ in a })
        var paths: [String: [JSONMember]] = [:]
        for name in contract.routes.keys.sorted() {
            let route = contract.routes[name]!
            let parts = name.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let (path, parameters) = Self.openAPIPath(String(parts[1]))
            var operation: [JSONMember] = [
                JSONMember(key: "operationId", value: .string(Naming.camel(Naming.typeName(name))))
            ]
            if !parameters.isEmpty {
                operation.append(
                    JSONMember(
                        key: "parameters",
                        value: .array(
                            parameters.map {
                                ["name": .string($0), "in": "path", "required": true, "schema": ["type": "string"]]
                            })))
            }
            if let rootName = rootNames[BodyKey(route: name, side: "request")] {
                operation.append(
                    JSONMember(
                        key: "requestBody",
                        value: [
                            "required": .bool(route.request.empty.isEmpty && route.request.text.isEmpty),
                            "content": [
                                "application/json": ["schema": ["$ref": .string("#/components/schemas/\(rootName)")]]
                            ],
                        ]))
            }
            var responses: [JSONMember] = []
            for status in route.responses.keys.sorted() {
                let response = route.responses[status]!
                var members: [JSONMember] = [
                    JSONMember(key: "description", value: .string("\(response.exchanges.count) recorded exchanges"))
                ]
                var headers: [JSONMember] = []
                for header in response.headers.keys.sorted() where header != "content-type" {
                    let facts = response.headers[header]!
                    var schema: [JSONMember] = [JSONMember(key: "type", value: "string")]
                    if let values = facts.values, values.count == 1 {
                        schema.append(JSONMember(key: "const", value: .string(values.keys.first!)))
                    } else if let patterns = facts.patterns, patterns.count <= 4 {
                        schema.append(
                            JSONMember(key: "x-patterns", value: .array(patterns.keys.sorted().map(JSONValue.string))))
                    }
                    headers.append(
                        JSONMember(
                            key: header,
                            value: [
                                "required": .bool(facts.present.count == response.exchanges.count),
                                "schema": .object(schema),
                            ]))
                }
                if !headers.isEmpty { members.append(JSONMember(key: "headers", value: .object(headers))) }
                var content: [JSONMember] = []
                let types = response.headers["content-type"]?.values ?? [:]
                for type in types.keys.sorted() {
                    let media = String(type.split(separator: ";").first ?? "").trimmingSpaces
                    var entry: [JSONMember] = []
                    if BodyFacts.isJSONContentType(type),
                        let rootName = rootNames[BodyKey(route: name, side: String(status))]
                    {
                        entry.append(
                            JSONMember(key: "schema", value: ["$ref": .string("#/components/schemas/\(rootName)")]))
                    } else {
                        entry.append(JSONMember(key: "schema", value: ["type": "string"]))
                    }
                    entry.append(JSONMember(key: "x-content-type", value: .string(type)))
                    if !content.contains(where: { $0.key == media }) {
                        content.append(JSONMember(key: media, value: .object(entry)))
                    }
                }
                if !content.isEmpty { members.append(JSONMember(key: "content", value: .object(content))) }
                responses.append(JSONMember(key: String(status), value: .object(members)))
            }
            operation.append(JSONMember(key: "responses", value: .object(responses)))
            paths[path, default: []].append(JSONMember(key: parts[0].lowercased(), value: .object(operation)))
        }
        var schemas: [JSONMember] = []
        for root in plan.roots {
            switch root.type {
            case .object(root.name), .enumeration(root.name), .union(root.name): continue
            default: schemas.append(JSONMember(key: root.name, value: schema(root.type)))
            }
        }
        for object in plan.objects { schemas.append(JSONMember(key: object.name, value: objectSchema(object))) }
        for enumeration in plan.enumerations {
            schemas.append(
                JSONMember(
                    key: enumeration.name,
                    value: ["type": "string", "x-open-enum": .array(enumeration.cases.map(JSONValue.string))]))
        }
        for union in plan.unions {
            schemas.append(JSONMember(key: union.name, value: ["anyOf": .array(union.members.map { schema($0.type) })]))
        }
        return .object([
            JSONMember(key: "openapi", value: "3.1.0"),
            JSONMember(
                key: "info",
                value: [
                    "title": .string(title), "version": "1",
                    "description": .string(
                        "Inferred by banyan contract infer from \(contract.exchangeCount) recorded exchanges."),
                ]),
            JSONMember(
                key: "paths",
                value: .object(paths.keys.sorted().map { JSONMember(key: $0, value: .object(paths[$0]!)) })),
            JSONMember(key: "components", value: ["schemas": .object(schemas)]),
        ])
    }

    func objectSchema(_ object: TypePlan.Object) -> JSONValue {
        var properties: [JSONMember] = []
        var required: [JSONValue] = []
        for field in object.fields {
            var value = schema(field.type)
            if field.presence == .sometimesNull || field.presence == .absentOrNull { value = Self.nullable(value) }
            if field.presence == .sometimesAbsent || field.presence == .absentOrNull {
                value = Self.adding("x-absent-when-undefined", true, to: value)
            }
            properties.append(JSONMember(key: field.key, value: value))
            if field.presence == .always || field.presence == .sometimesNull { required.append(.string(field.key)) }
        }
        var members: [JSONMember] = [JSONMember(key: "type", value: "object")]
        members.append(JSONMember(key: "properties", value: .object(properties)))
        if !required.isEmpty { members.append(JSONMember(key: "required", value: .array(required))) }
        members.append(JSONMember(key: "x-key-order", value: .array(object.fields.map { .string($0.key) })))
        members.append(JSONMember(key: "description", value: .string(object.origin)))
        return .object(members)
    }

    static func adding(_ key: String, _ extra: JSONValue, to schema: JSONValue) -> JSONValue {
        guard case .object(var members) = schema else { return schema }
        members.append(JSONMember(key: key, value: extra))
        return .object(members)
    }

    /// `{"type": T}` → `{"type": [T, "null"]}`; a reference → `anyOf` with null.
    static func nullable(_ schema: JSONValue) -> JSONValue {
        guard case .object(var members) = schema else { return schema }
        if let index = members.firstIndex(where: { $0.key == "type" }), case .string(let type) = members[index].value {
            members[index].value = [.string(type), "null"]
            return .object(members)
        }
        if members.isEmpty { return schema }
        return ["anyOf": [schema, ["type": "null"]]]
    }

    func schema(_ type: TypeRef) -> JSONValue {
        switch type {
        case .unknown: return .object([])
        case .boolean: return ["type": "boolean"]
        case .integer: return ["type": "integer", "x-js-number": "safe-integer"]
        case .jsNumber: return ["type": "number", "x-js-number": "double"]
        case .string(let format):
            switch format {
            case nil: return ["type": "string"]
            case .uuid: return ["type": "string", "format": "uuid"]
            case .numeric: return ["type": "string", "pattern": "^-?(0|[1-9][0-9]*)$", "x-js-number": "string-integer"]
            case .dateText: return ["type": "string", "x-date-precision": "mixed"]
            case .isoMillis: return Self.dateSchema
            }
        case .date: return Self.dateSchema
        case .enumeration(let name), .union(let name), .object(let name):
            return ["$ref": .string("#/components/schemas/\(name)")]
        case .array(let item): return ["type": "array", "items": schema(item)]
        case .optional(let inner): return Self.nullable(schema(inner))
        }
    }

    static let dateSchema: JSONValue = [
        "type": "string", "format": "date-time", "pattern": #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#,
        "x-date-precision": "ms",
    ]
}

extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
