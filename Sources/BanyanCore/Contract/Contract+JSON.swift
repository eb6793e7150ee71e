/// The contract file: `contract.json`, written with sorted routes and statuses, keys in their
/// decided order, so that the same traffic gives the same bytes. Decisions (`presence`, `kind`,
/// `format`, `enum`, `keyOrder`) are written for readers and recomputed from the counts on reading.
extension Contract {
    /// The version written as `banyanContract` in `contract.json`; a reader refuses any other.
    public static let formatVersion = 1

    /// The contract as JSON.
    public func json() -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("banyanContract", .number(JSONNumber(Self.formatVersion))),
            (
                "settings",
                [
                    "enumMinimum": .number(JSONNumber(settings.enumMinimum)),
                    "enumMaxValues": .number(JSONNumber(settings.enumMaxValues)),
                    "trackedValues": .number(JSONNumber(settings.trackedValues)),
                ]
            ),
            ("exchanges", .number(JSONNumber(exchangeCount))),
        ]
        members.append(("routes", .array(routes.keys.sorted().map { routes[$0]!.json(settings) })))
        return .object(members.map { JSONMember(key: $0.0, value: $0.1) })
    }

    /// The contract file's text: indented, with a final newline.
    public func text() -> String { json().prettyText() + "\n" }

    /// Reads a contract file's text, as ``text()`` writes it.
    ///
    /// - Parameters:
    ///   - text: The content of `contract.json`.
    ///   - file: The file's name as the user gave it, for error messages.
    /// - Throws: ``FileProblem`` naming the file, with the line when the text is not JSON, or with
    ///   the JSON path of the first value that does not have the expected shape.
    public init(parsing text: String, file: String) throws(FileProblem) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw FileProblem(file: file, line: error.line, message: "not JSON: \(error.message)")
        }
        do {
            try self.init(json: value)
        } catch {
            throw FileProblem(file: file, message: "\(error.path): \(error.message)")
        }
    }

    /// Reads the JSON form, as ``json()`` writes it; the decisions in it are recomputed from the counts.
    ///
    /// - Throws: ``ContractFormatError`` naming the JSON path of the first value that is missing or
    ///   of the wrong type, or an unsupported ``formatVersion``.
    public init(json: JSONValue) throws(ContractFormatError) {
        let root = Reader(value: json, path: JSONPath())
        let version = try root.int("banyanContract")
        guard version == Self.formatVersion else {
            throw ContractFormatError(
                path: "$.banyanContract", message: "format \(version) is not supported (expected \(Self.formatVersion))"
            )
        }
        let settingsReader = try root.object("settings")
        settings = ContractSettings(
            enumMinimum: try settingsReader.int("enumMinimum"), enumMaxValues: try settingsReader.int("enumMaxValues"),
            trackedValues: try settingsReader.int("trackedValues"))
        routes = [:]
        for reader in try root.array("routes") {
            let route = try RouteContract(reader)
            routes[route.route] = route
        }
    }
}

/// A contract file whose JSON does not have the expected shape.
public struct ContractFormatError: Error, Sendable, Hashable {
    /// Where: `$.routes[2].responses[0].status`.
    public var path: String
    /// What is wrong there (`expected an integer, found a string`).
    public var message: String
}

extension Evidence {
    func json() -> JSONValue {
        ["count": .number(JSONNumber(count)), "ids": .array(ids.map(JSONValue.string))]
    }

    fileprivate init(_ reader: Reader) throws(ContractFormatError) {
        self.init(
            count: try reader.int("count"),
            ids: try reader.array("ids").map { r throws(ContractFormatError) in try r.string() })
    }
}

private func evidenceMembers(_ pairs: [(String, Evidence)]) -> [JSONMember] {
    pairs.filter { !$0.1.isEmpty }.map { JSONMember(key: $0.0, value: $0.1.json()) }
}

private func valuesJSON(_ values: [String: Evidence]) -> JSONValue {
    .array(
        values.keys.sorted().map { key in
            let evidence = values[key]!
            return [
                "value": .string(key), "count": .number(JSONNumber(evidence.count)),
                "ids": .array(evidence.ids.map(JSONValue.string)),
            ]
        })
}

private func readValues(_ reader: Reader, _ key: String) throws(ContractFormatError) -> [String: Evidence]? {
    guard reader.has(key) else { return nil }
    var result: [String: Evidence] = [:]
    for item in try reader.array(key) { result[try item.string("value")] = try Evidence(item) }
    return result
}

extension RouteContract {
    func json(_ settings: ContractSettings) -> JSONValue {
        .object([
            JSONMember(key: "route", value: .string(route)),
            JSONMember(key: "exchanges", value: exchanges.json()),
            JSONMember(key: "request", value: request.json(settings)),
            JSONMember(key: "responses", value: .array(responses.keys.sorted().map { responses[$0]!.json(settings) })),
        ])
    }

    fileprivate init(_ reader: Reader) throws(ContractFormatError) {
        self.init(route: try reader.string("route"))
        exchanges = try Evidence(reader.object("exchanges"))
        request = try BodyFacts(reader.object("request"))
        for item in try reader.array("responses") {
            let response = try ResponseContract(item)
            responses[response.status] = response
        }
    }
}

extension ResponseContract {
    func json(_ settings: ContractSettings) -> JSONValue {
        let headerList: [JSONValue] = headers.keys.sorted().map { name in
            let facts = headers[name]!
            var members = [
                JSONMember(key: "name", value: .string(name)), JSONMember(key: "present", value: facts.present.json()),
            ]
            if let values = facts.values { members.append(JSONMember(key: "values", value: valuesJSON(values))) }
            if let patterns = facts.patterns {
                members.append(JSONMember(key: "patterns", value: valuesJSON(patterns)))
            }
            return .object(members)
        }
        return .object([
            JSONMember(key: "status", value: .number(JSONNumber(status))),
            JSONMember(key: "exchanges", value: exchanges.json()),
            JSONMember(key: "headers", value: .array(headerList)),
            JSONMember(key: "body", value: body.json(settings)),
        ])
    }

    fileprivate init(_ reader: Reader) throws(ContractFormatError) {
        self.init(status: try reader.int("status"))
        exchanges = try Evidence(reader.object("exchanges"))
        body = try BodyFacts(reader.object("body"))
        for item in try reader.array("headers") {
            var facts = HeaderFacts()
            facts.present = try Evidence(item.object("present"))
            facts.values = try readValues(item, "values")
            facts.patterns = try readValues(item, "patterns")
            headers[try item.string("name")] = facts
        }
    }
}

extension BodyFacts {
    func json(_ settings: ContractSettings) -> JSONValue {
        var members = evidenceMembers([("json", json), ("text", text), ("empty", empty), ("nonCompact", nonCompact)])
        if !json.isEmpty { members.append(JSONMember(key: "schema", value: schema.json(settings))) }
        return .object(members)
    }

    fileprivate init(_ reader: Reader) throws(ContractFormatError) {
        self.init()
        json = try reader.evidence("json")
        text = try reader.evidence("text")
        empty = try reader.evidence("empty")
        nonCompact = try reader.evidence("nonCompact")
        if reader.has("schema") { schema = try SchemaNode(reader.object("schema")) }
    }
}

extension SchemaNode {
    func json(_ settings: ContractSettings) -> JSONValue {
        var members = [JSONMember(key: "type", value: .string(decision(settings).summary))]
        members += evidenceMembers([("null", nulls), ("boolean", booleans)])
        if let numbers {
            var number = evidenceMembers([
                ("seen", numbers.seen), ("fraction", numbers.fraction), ("unsafeInteger", numbers.unsafeInteger),
                ("exponent", numbers.exponent), ("negativeZero", numbers.negativeZero),
                ("nonCanonical", numbers.nonCanonical),
            ])
            number.insert(JSONMember(key: "kind", value: .string(numbers.kind(settings).rawValue)), at: 0)
            members.append(JSONMember(key: "number", value: .object(number)))
        }
        if let strings {
            var string: [JSONMember] = []
            if let format = strings.format { string.append(JSONMember(key: "format", value: .string(format.rawValue))) }
            if let decision = strings.enumDecision(settings) {
                string.append(
                    JSONMember(
                        key: "enum",
                        value: ["cases": .array(decision.cases.map(JSONValue.string)), "catchAll": true]))
            }
            string += evidenceMembers([
                ("seen", strings.seen), ("dateTimeMs", strings.isoMillis), ("otherDate", strings.otherDate),
                ("uuid", strings.uuid), ("numeric", strings.numeric), ("unsafeNumeric", strings.unsafeNumeric),
                ("plain", strings.plain),
            ])
            if let values = strings.values {
                string.append(JSONMember(key: "values", value: valuesJSON(values)))
            } else {
                string.append(JSONMember(key: "valuesDropped", value: true))
            }
            members.append(JSONMember(key: "string", value: .object(string)))
        }
        if let arrays {
            var array = evidenceMembers([("seen", arrays.seen), ("empty", arrays.empty)])
            array.append(JSONMember(key: "maxLength", value: .number(JSONNumber(arrays.maxLength))))
            array.append(JSONMember(key: "items", value: arrays.items.json(settings)))
            members.append(JSONMember(key: "array", value: .object(array)))
        }
        if let objects {
            let order = objects.keyOrder
            var object = evidenceMembers([("seen", objects.seen)])
            object.append(JSONMember(key: "keyOrder", value: .array(order.map(JSONValue.string))))
            let conflicts = objects.orderConflicts
            if !conflicts.isEmpty {
                object.append(
                    JSONMember(
                        key: "orderConflicts",
                        value: .array(
                            conflicts.map { conflict in
                                [
                                    "keys": [.string(conflict.pair.first), .string(conflict.pair.second)],
                                    "inOrder": conflict.evidence.json(), "reversed": conflict.reverse.json(),
                                ]
                            })))
            }
            object.append(
                JSONMember(
                    key: "fields",
                    value: .array(
                        order.map { key in
                            let field = objects.fields[key]!
                            var item = [
                                JSONMember(key: "key", value: .string(key)),
                                JSONMember(key: "presence", value: .string(field.presence.rawValue)),
                            ]
                            item += evidenceMembers([("present", field.present), ("absent", field.absent)])
                            item.append(
                                JSONMember(key: "positionTotal", value: .number(JSONNumber(field.positionTotal))))
                            item.append(JSONMember(key: "schema", value: field.value.json(settings)))
                            return .object(item)
                        })))
            object.append(
                JSONMember(
                    key: "precedence",
                    value: .array(
                        objects.precedence.keys.sorted().map { pair in
                            let evidence = objects.precedence[pair]!
                            return [
                                "before": .string(pair.first), "after": .string(pair.second),
                                "count": .number(JSONNumber(evidence.count)),
                                "ids": .array(evidence.ids.map(JSONValue.string)),
                            ]
                        })))
            members.append(JSONMember(key: "object", value: .object(object)))
        }
        return .object(members)
    }

    fileprivate init(_ reader: Reader) throws(ContractFormatError) {
        self.init()
        nulls = try reader.evidence("null")
        booleans = try reader.evidence("boolean")
        if reader.has("number") {
            let r = try reader.object("number")
            var facts = NumberFacts()
            facts.seen = try r.evidence("seen")
            facts.fraction = try r.evidence("fraction")
            facts.unsafeInteger = try r.evidence("unsafeInteger")
            facts.exponent = try r.evidence("exponent")
            facts.negativeZero = try r.evidence("negativeZero")
            facts.nonCanonical = try r.evidence("nonCanonical")
            numbers = facts
        }
        if reader.has("string") {
            let r = try reader.object("string")
            var facts = StringFacts()
            facts.seen = try r.evidence("seen")
            facts.isoMillis = try r.evidence("dateTimeMs")
            facts.otherDate = try r.evidence("otherDate")
            facts.uuid = try r.evidence("uuid")
            facts.numeric = try r.evidence("numeric")
            facts.unsafeNumeric = try r.evidence("unsafeNumeric")
            facts.plain = try r.evidence("plain")
            facts.values = try readValues(r, "values")
            strings = facts
        }
        if reader.has("array") {
            let r = try reader.object("array")
            var facts = ArrayFacts()
            facts.seen = try r.evidence("seen")
            facts.empty = try r.evidence("empty")
            facts.maxLength = try r.int("maxLength")
            facts.items = try SchemaNode(r.object("items"))
            arrays = facts
        }
        if reader.has("object") {
            let r = try reader.object("object")
            var facts = ObjectFacts()
            facts.seen = try r.evidence("seen")
            for item in try r.array("fields") {
                var field = FieldFacts()
                field.present = try item.evidence("present")
                field.absent = try item.evidence("absent")
                field.positionTotal = try item.int("positionTotal")
                field.value = try SchemaNode(item.object("schema"))
                facts.fields[try item.string("key")] = field
            }
            for item in try r.array("precedence") {
                facts.precedence[KeyPair(try item.string("before"), try item.string("after"))] = try Evidence(item)
            }
            objects = facts
        }
    }
}

/// Walks the contract JSON, naming the path of anything missing or mistyped.
private struct Reader {
    let value: JSONValue
    let path: JSONPath

    func fail(_ message: String, key: String? = nil) -> ContractFormatError {
        ContractFormatError(path: (key.map { path.appending(key: $0) } ?? path).description, message: message)
    }

    func has(_ key: String) -> Bool { value[key] != nil }

    func child(_ key: String) throws(ContractFormatError) -> Reader {
        guard let child = value[key] else { throw fail("missing", key: key) }
        return Reader(value: child, path: path.appending(key: key))
    }

    func object(_ key: String) throws(ContractFormatError) -> Reader {
        let child = try child(key)
        guard case .object = child.value else {
            throw child.fail("expected an object, found \(child.value.typeDescription)")
        }
        return child
    }

    func array(_ key: String) throws(ContractFormatError) -> [Reader] {
        let child = try child(key)
        guard case .array(let elements) = child.value else {
            throw child.fail("expected an array, found \(child.value.typeDescription)")
        }
        return elements.enumerated().map { Reader(value: $1, path: child.path.appending(index: $0)) }
    }

    func int(_ key: String) throws(ContractFormatError) -> Int {
        let child = try child(key)
        guard case .number(let number) = child.value, let int = Int(number.lexeme) else {
            throw child.fail("expected an integer, found \(child.value.typeDescription)")
        }
        return int
    }

    func string(_ key: String) throws(ContractFormatError) -> String { try child(key).string() }

    func string() throws(ContractFormatError) -> String {
        guard case .string(let text) = value else { throw fail("expected a string, found \(value.typeDescription)") }
        return text
    }

    /// Evidence under `key`; empty when the key is missing (empty evidence is not written).
    func evidence(_ key: String) throws(ContractFormatError) -> Evidence {
        has(key) ? try Evidence(object(key)) : Evidence()
    }
}
