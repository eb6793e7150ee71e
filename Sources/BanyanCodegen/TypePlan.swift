import BanyanCore

/// The types a contract needs, independent of the target language: one root per route side with
/// JSON bodies, one object type per object shape, open enums and unions, each named from the
/// route and the path (`GetOrdersId200`, `GetOrdersId404Error`, `PostCheckoutRequestItemsItem`).
public struct TypePlan: Sendable {
    /// The type of a request body or of one status's response bodies.
    public struct Root: Sendable {
        public var name: String
        public var route: String
        /// `request`, or the status (`200`).
        public var side: String
        public var type: TypeRef
        /// Route and side: the key golden bodies are filed under.
        public var key: BodyKey
    }

    public struct Field: Sendable {
        /// The key exactly as sent.
        public var key: String
        public var presence: PresenceClass
        public var type: TypeRef
        public var facts: FieldFacts
    }

    public struct Object: Sendable {
        public var name: String
        public var route: String
        /// Where the shape appears: `GET /orders/:id 200 $.error`.
        public var origin: String
        /// In key order.
        public var fields: [Field]
    }

    public struct Enumeration: Sendable {
        public var name: String
        public var route: String
        public var origin: String
        public var cases: [String]
    }

    public struct Union: Sendable {
        public var name: String
        public var route: String
        public var origin: String
        public var members: [(kind: JSONKind, type: TypeRef)]
    }

    public var roots: [Root] = []
    public var objects: [Object] = []
    public var enumerations: [Enumeration] = []
    public var unions: [Union] = []
    /// Whether any type is a millisecond date (the Rust crate then needs chrono).
    public var usesDates = false
    public private(set) var settings: ContractSettings

    /// Plans the types of every route side of `contract` that had JSON bodies.
    public init(contract: Contract) {
        settings = contract.settings
        var names = Set<String>()
        for routeName in contract.routes.keys.sorted() {
            let route = contract.routes[routeName]!
            var sides: [(String, BodyFacts)] = [("request", route.request)]
            sides += route.responses.keys.sorted().map { (String($0), route.responses[$0]!.body) }
            for (side, body) in sides where !body.json.isEmpty {
                let base = Naming.typeName(routeName) + (side == "request" ? "Request" : side)
                var builder = Builder(plan: self, names: names, route: routeName, origin: "\(routeName) \(side)")
                let type = builder.typeRef(body.schema, name: base, path: JSONPath(), nullable: true)
                self = builder.plan
                names = builder.names
                // An object, enum or union root carries the name itself; anything else gets an alias.
                let name: String
                switch type {
                case .object(base), .enumeration(base), .union(base): name = base
                default: name = Naming.unique(base, in: &names)
                }
                roots.append(
                    Root(
                        name: name, route: routeName, side: side, type: type, key: BodyKey(route: routeName, side: side)
                    ))
            }
        }
    }

    /// Looks up an object type by name.
    public func object(named name: String) -> Object? { objects.first { $0.name == name } }

    private struct Builder {
        var plan: TypePlan
        var names: Set<String>
        let route: String
        let origin: String

        /// The type of a place; `name` is the name its own type gets, if it needs one.
        mutating func typeRef(_ node: SchemaNode, name: String, path: JSONPath, nullable: Bool) -> TypeRef {
            let base = baseType(node, name: name, path: path)
            return nullable && !node.nulls.isEmpty ? .optional(base) : base
        }

        mutating func baseType(_ node: SchemaNode, name: String, path: JSONPath) -> TypeRef {
            switch node.decision(plan.settings) {
            case .unknown: return .unknown
            case .boolean: return .boolean
            case .number(let kind): return kind == .integer ? .integer : .jsNumber
            case .string(let format):
                if format == .isoMillis {
                    plan.usesDates = true
                    return .date
                }
                return .string(format)
            case .enumeration(let decision):
                let unique = Naming.unique(name, in: &names)
                plan.enumerations.append(
                    Enumeration(name: unique, route: route, origin: "\(origin) \(path)", cases: decision.cases))
                return .enumeration(unique)
            case .array(let items):
                return .array(typeRef(items, name: name + "Item", path: path.appending(.anyIndex), nullable: true))
            case .object(let facts):
                return .object(objectType(facts, name: name, path: path))
            case .union(let kinds):
                let unique = Naming.unique(name, in: &names)
                var members: [(JSONKind, TypeRef)] = []
                for kind in kinds {
                    var only = node
                    only.nulls = Evidence()
                    if kind != .boolean { only.booleans = Evidence() }
                    if kind != .number { only.numbers = nil }
                    if kind != .string { only.strings = nil }
                    if kind != .array { only.arrays = nil }
                    if kind != .object { only.objects = nil }
                    let suffix = Naming.pascal(kind.rawValue)
                    members.append((kind, baseType(only, name: unique + suffix, path: path)))
                }
                plan.unions.append(Union(name: unique, route: route, origin: "\(origin) \(path)", members: members))
                return .union(unique)
            }
        }

        mutating func objectType(_ facts: ObjectFacts, name: String, path: JSONPath) -> String {
            let unique = Naming.unique(name, in: &names)
            // Reserve the slot first so that the object comes before the types of its fields.
            let slot = plan.objects.count
            plan.objects.append(Object(name: unique, route: route, origin: "\(origin) \(path)", fields: []))
            var fields: [Field] = []
            for key in facts.keyOrder {
                let field = facts.fields[key]!
                let type = typeRef(
                    field.value, name: unique + Naming.pascal(key), path: path.appending(key: key), nullable: false)
                fields.append(Field(key: key, presence: field.presence, type: type, facts: field))
            }
            plan.objects[slot].fields = fields
            return unique
        }
    }
}

/// Names a route side: `GET /users/:id` and `200`.
public struct BodyKey: Sendable, Hashable, Comparable {
    public var route: String
    public var side: String

    public init(route: String, side: String) {
        self.route = route
        self.side = side
    }

    public static func < (lhs: BodyKey, rhs: BodyKey) -> Bool { (lhs.route, lhs.side) < (rhs.route, rhs.side) }
}

/// A type in the plan.
public indirect enum TypeRef: Sendable, Hashable {
    /// Only null was seen: any JSON value.
    case unknown
    case boolean
    /// A 64-bit integer.
    case integer
    /// A double printed as JavaScript prints it.
    case jsNumber
    case string(StringFormatDecision?)
    /// `Date#toJSON` text: a date with milliseconds.
    case date
    case enumeration(String)
    case union(String)
    case object(String)
    case array(TypeRef)
    /// Null or the value (a root or an array item; fields carry their presence class instead).
    case optional(TypeRef)
}

/// Names for types and members.
public enum Naming {
    /// `GET /users/:id` → `GetUsersId`.
    public static func typeName(_ route: String) -> String {
        guard let space = route.firstIndex(of: " ") else { return pascal(route) }
        return pascal(route[..<space].lowercased() + route[space...])
    }

    /// Words of letters and digits, each capitalised: `day-of-year` → `DayOfYear`, `userId` → `UserId`.
    public static func pascal(_ text: String) -> String {
        var result = ""
        var upperNext = true
        for character in text {
            guard character.isASCII, character.isLetter || character.isNumber else {
                upperNext = true
                continue
            }
            if upperNext {
                result += character.uppercased()
                upperNext = false
            } else {
                result.append(character)
            }
        }
        if result.isEmpty { return "Value" }
        if result.first!.isNumber { return "V" + result }
        return result
    }

    /// `name`, or `name2`, `name3`… when it is taken.
    public static func unique(_ name: String, in taken: inout Set<String>) -> String {
        var candidate = name
        var number = 2
        while taken.contains(candidate) {
            candidate = name + String(number)
            number += 1
        }
        taken.insert(candidate)
        return candidate
    }

    /// `dayOfYear` → `day_of_year`, `userID` → `user_id`, `_id` → `_id`, `content-type` → `content_type`.
    public static func snake(_ key: String) -> String {
        var result = ""
        let characters = Array(key)
        for (index, character) in characters.enumerated() {
            if character.isASCII && character.isUppercase {
                let previous = index > 0 ? characters[index - 1] : nil
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                let startsWord =
                    previous.map { $0.isLowercase || $0.isNumber } == true
                    || (previous?.isUppercase == true && next?.isLowercase == true)
                if startsWord && !result.isEmpty && !result.hasSuffix("_") { result += "_" }
                result += character.lowercased()
            } else if character.isASCII && (character.isLetter || character.isNumber || character == "_") {
                result.append(character)
            } else if !result.hasSuffix("_") {
                result += "_"
            }
        }
        if result.isEmpty || result == "_" { return "value" }
        if result.first!.isNumber { return "n" + result }
        return result
    }

    /// `day_of_year` → `dayOfYear`.
    public static func camel(_ key: String) -> String {
        let pascal = pascal(snake(key))
        return pascal.prefix(1).lowercased() + pascal.dropFirst()
    }
}
